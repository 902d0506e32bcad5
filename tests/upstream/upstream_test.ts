import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { TargetConfig } from "../../src/config/types.ts";
import { UpstreamError } from "../../src/errors.ts";
import { compileTarget, scrapeTarget } from "../../src/scrape/mod.ts";
import { fetchUpstream } from "../../src/upstream/mod.ts";
import { readResponse } from "../../src/upstream/_body.ts";
import { freePort, serveUpstream, testTarget } from "../_lib/helpers.ts";
import { makePki, needTool, tempDir } from "../_lib/ops_helpers.ts";

const MAX = 1024;

async function failure(url: string, signal = AbortSignal.timeout(5_000), max = MAX): Promise<UpstreamError> {
  try {
    await fetchUpstream(url, { signal, maxBodyBytes: max });
  } catch (e) {
    assert.ok(e instanceof UpstreamError, `expected UpstreamError, got ${e}`);
    return e;
  }
  return assert.fail("fetch succeeded");
}

Deno.test("fetchUpstream() returns the body and content type, and sends Accept", async () => {
  await using up = serveUpstream({
    "/ok": new Response("a 1\n", { headers: { "content-type": "text/plain" } }),
  });
  const got = await fetchUpstream(`${up.origin}/ok`, {
    signal: AbortSignal.timeout(5_000),
    maxBodyBytes: MAX,
  });
  assert.equal(new TextDecoder().decode(got.bytes), "a 1\n");
  assert.equal(got.contentType, "text/plain");
  assert.match(up.requests[0].headers.get("accept") ?? "", /^text\/plain;version=0\.0\.4/);
});

Deno.test("fetchUpstream() sends extra headers", async () => {
  await using up = serveUpstream({ "/": new Response("") });
  await fetchUpstream(`${up.origin}/`, {
    signal: AbortSignal.timeout(5_000),
    maxBodyBytes: MAX,
    headers: { "x-token": "t" },
  });
  assert.equal(up.requests[0].headers.get("x-token"), "t");
});

Deno.test("fetchUpstream() reports a non-2xx status", async () => {
  await using up = serveUpstream({ "/500": new Response("boom", { status: 500 }) });
  const e = await failure(`${up.origin}/500`);
  assert.equal(e.reason, "status");
  assert.equal(e.message, `Cannot fetch "${up.origin}/500": status 500`);
});

Deno.test("fetchUpstream() reports a refused connection", async () => {
  const e = await failure(`http://127.0.0.1:${freePort()}/`);
  assert.equal(e.reason, "refused");
});

Deno.test("fetchUpstream() times out on an upstream that never answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) held.push(c);
  })();
  const t0 = performance.now();
  const e = await failure(
    `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`,
    AbortSignal.timeout(300),
  );
  const took = performance.now() - t0;
  listener.close();
  for (const c of held) c.close();
  await accepting.catch(() => {});
  assert.equal(e.reason, "timeout");
  assert.ok(took < 300 + 1_000, `took ${took} ms`);
});

Deno.test("fetchUpstream() times out on a body that stalls after the headers", async () => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await using up = serveUpstream({
    "/stall": () =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode("a 1\n"));
            timer = setTimeout(() => c.close(), 3_000);
          },
        }),
      ),
  });
  const e = await failure(`${up.origin}/stall`, AbortSignal.timeout(300));
  clearTimeout(timer);
  assert.equal(e.reason, "timeout");
});

Deno.test("fetchUpstream() refuses a body over the limit, with and without Content-Length", async () => {
  const big = "x".repeat(MAX + 1);
  await using up = serveUpstream({
    "/declared": new Response(big),
    "/chunked": () =>
      new Response(
        new ReadableStream({
          start(c) {
            for (let i = 0; i < 4; i++) c.enqueue(new TextEncoder().encode(big.slice(0, 400)));
            c.close();
          },
        }),
      ),
  });
  assert.equal((await failure(`${up.origin}/declared`)).reason, "too_large");
  assert.equal((await failure(`${up.origin}/chunked`)).reason, "too_large");
});

Deno.test("fetchUpstream() reads every body byte for byte, up to the limit and not one byte past it", async () => {
  // fetch's body is a byte stream, read into one buffer (the BYOB path of src/upstream/_body.ts): the buffer
  // is sized by Content-Length, or grown when there is none, and a byte past a full buffer is copied in.
  const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) % 251);
  const chunked = (body: Uint8Array, piece: number) => () =>
    new Response(
      new ReadableStream({
        async start(c) {
          for (let at = 0; at < body.length; at += piece) {
            c.enqueue(body.slice(at, at + piece));
            // A turn now and then, so the pieces go out as separate writes.
            if ((at / piece) % 64 === 0) await new Promise((r) => setTimeout(r, 0));
          }
          c.close();
        },
      }),
    );
  const sizes = [0, 1, 100, MAX - 1, MAX, MAX + 1, 3 * MAX];
  const routes: Record<string, Response | (() => Response)> = {};
  for (const n of sizes) {
    routes[`/declared/${n}`] = new Response(bytes(n, n));
    for (const piece of [1, 7, 512, 4096]) routes[`/chunked/${n}/${piece}`] = chunked(bytes(n, n), piece);
    routes[`/gzip/${n}`] = new Response(new Uint8Array(gzipSync(bytes(n, n))), {
      headers: { "content-encoding": "gzip" },
    });
  }
  await using up = serveUpstream(routes);
  // The precondition of that path: fetch's body takes a BYOB reader.
  const probe = await fetch(`${up.origin}/declared/100`);
  probe.body!.getReader({ mode: "byob" }).releaseLock();
  await probe.body!.cancel();
  for (const path of Object.keys(routes)) {
    const n = Number(path.split("/")[2]);
    for (const max of [MAX, 4 * MAX]) {
      if (n > max) {
        assert.equal((await failure(`${up.origin}${path}`, undefined, max)).reason, "too_large", path);
        continue;
      }
      const got = await fetchUpstream(`${up.origin}${path}`, {
        signal: AbortSignal.timeout(5_000),
        maxBodyBytes: max,
      });
      assert.deepEqual(got.bytes, bytes(n, n), `${path} (limit ${max})`);
    }
  }
});

Deno.test("readResponse() reads a body that is not a byte stream by chunk, under the same limit", async () => {
  const body = new TextEncoder().encode("x".repeat(3000));
  const response = (piece: number) =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          for (let at = 0; at < body.length; at += piece) c.enqueue(body.slice(at, at + piece));
          c.close();
        },
      }),
    );
  // A stream made by hand is not a byte stream: the BYOB reader is refused and chunks are copied in.
  assert.throws(() => response(1).body!.getReader({ mode: "byob" }), TypeError);
  const limits = (max: number) => ({ signal: AbortSignal.timeout(5_000), maxBodyBytes: max });
  for (const piece of [1, 100, 3000]) {
    const got = await readResponse(response(piece), "test", limits(3000));
    assert.deepEqual(got.bytes, body, `pieces of ${piece}`);
    await assert.rejects(readResponse(response(piece), "test", limits(2999)), /larger than 2999 bytes/);
  }
});

Deno.test("fetchUpstream() counts the limit after decompression (gzip bomb)", async () => {
  const bomb = new Uint8Array(gzipSync(new Uint8Array(1024 * 1024)));
  assert.ok(bomb.byteLength < MAX * 2);
  await using up = serveUpstream({
    "/bomb": () =>
      new Response(bomb, { headers: { "content-encoding": "gzip", "content-type": "text/plain" } }),
    "/small": () =>
      new Response(new Uint8Array(gzipSync(new TextEncoder().encode("a 1\n"))), {
        headers: { "content-encoding": "gzip" },
      }),
  });
  assert.equal((await failure(`${up.origin}/bomb`)).reason, "too_large");
  const ok = await fetchUpstream(`${up.origin}/small`, {
    signal: AbortSignal.timeout(5_000),
    maxBodyBytes: MAX,
  });
  assert.equal(new TextDecoder().decode(ok.bytes), "a 1\n");
});

Deno.test("fetchUpstream() does not follow redirects", async () => {
  await using up = serveUpstream({ "/r": new Response(null, { status: 302, headers: { location: "/ok" } }) });
  assert.equal((await failure(`${up.origin}/r`)).reason, "redirect");
});

Deno.test("fetchUpstream() never shows URL userinfo in its errors", async () => {
  const e = await failure(`http://user:s3cret@127.0.0.1:${freePort()}/`);
  assert.ok(!e.message.includes("s3cret"), e.message);
  assert.match(e.message, /<redacted>@/);
});

Deno.test("fetchUpstream() reads file:// URLs", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/stats.json`;
  await Deno.writeTextFile(path, '{"a": 1}');
  const got = await fetchUpstream(`file://${path}`, {
    signal: AbortSignal.timeout(5_000),
    maxBodyBytes: MAX,
  });
  assert.equal(new TextDecoder().decode(got.bytes), '{"a": 1}');
  const missing = await failure(`file://${dir}/missing.json`);
  assert.equal(missing.reason, "network");
  await Deno.remove(dir, { recursive: true });
});

const HTML_MESSAGE = "the upstream answered an HTML page, not metrics (wrong URL or a login page?)";

function htmlTarget(origin: string, format: TargetConfig["format"]) {
  return compileTarget(testTarget({ name: "web", url: `${origin}/login`, format }));
}

Deno.test("scrapeTarget() says an HTML page is not metrics, whatever the format", async () => {
  const page = (body: string, type: string) => () =>
    new Response(body, { headers: { "content-type": type } });
  for (
    const [body, type] of [
      ["\uFEFF \n<!DOCTYPE html>\n<html><body>Sign in</body></html>\n", "text/html; charset=utf-8"],
      ["  <HTML><head><title>Login</title></head></HTML>", "text/plain"],
      ["<!doctype HTML><p>x</p>", "application/json"],
      // Neither marker, but the server says so: the Content-Type names the cause of the parse failure.
      ["<head><title>Login</title></head>", "text/html"],
    ] as const
  ) {
    await using up = serveUpstream({ "/login": page(body, type) });
    for (const format of ["auto", "json", "prometheus", "openmetrics"] as const) {
      const r = await scrapeTarget(htmlTarget(up.origin, format), { signal: AbortSignal.timeout(5_000) });
      assert.ok(!r.ok, `${format} ${JSON.stringify(body)}: scrape succeeded`);
      assert.equal(r.error.reason, "parse");
      assert.equal(r.error.message, `Cannot decode the upstream: ${HTML_MESSAGE}`, `${format} ${body}`);
    }
  }
});

Deno.test("scrapeTarget() still decodes metrics a server labels text/html", async () => {
  // PHP answers text/html unless told otherwise: a valid body must not fail for its Content-Type alone.
  await using up = serveUpstream({
    "/login": () => new Response('{"a": 1}', { headers: { "content-type": "text/html" } }),
  });
  const r = await scrapeTarget(htmlTarget(up.origin, "auto"), { signal: AbortSignal.timeout(5_000) });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.deepEqual(r.families.map((f) => f.name), ["a"]);
});

Deno.test("fetchUpstream() says an https URL reached a plain HTTP server", async () => {
  await using up = serveUpstream({ "/": new Response("a 1\n") });
  const port = new URL(up.origin).port;
  const e = await failure(`https://127.0.0.1:${port}/`);
  assert.equal(e.reason, "tls");
  assert.equal(
    e.message,
    `Cannot fetch "https://127.0.0.1:${port}/": TLS handshake failed: the server at 127.0.0.1:${port} answered plain HTTP; use http://`,
  );
});

Deno.test({
  name: "fetchUpstream() says an http URL reached a server that may speak TLS",
  ignore: !needTool("openssl"),
}, async () => {
  await using dir = await tempDir();
  const pki = await makePki(dir.path);
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    cert: pki.serverCert,
    key: pki.serverKey,
    signal: ac.signal,
    onListen: () => {},
  }, () => new Response("a 1\n"));
  try {
    const e = await failure(`http://127.0.0.1:${server.addr.port}/`);
    assert.equal(
      e.message,
      `Cannot fetch "http://127.0.0.1:${server.addr.port}/": the server at 127.0.0.1:${server.addr.port} did not answer HTTP (if it speaks TLS, use https://)`,
    );
  } finally {
    ac.abort();
    await server.finished;
  }
});
