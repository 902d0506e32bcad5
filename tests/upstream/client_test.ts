import assert from "node:assert/strict";
import https from "node:https";
import { gzipSync } from "node:zlib";
import { httpOptionsSchema } from "../../src/config/http_options.ts";
import { ConfigError, UpstreamError } from "../../src/errors.ts";
import type { PinnedAddress } from "../../src/config/allow.ts";
import {
  type ClientFetchOptions,
  createUpstreamClient,
  type UpstreamClient,
} from "../../src/upstream/mod.ts";
import { serveUpstream } from "../_lib/helpers.ts";
import { canary, makePki, needTool, type Pki, tempDir } from "../_lib/ops_helpers.ts";

const MAX = 64 * 1024;
const TEXT = new TextDecoder();

async function client(raw: unknown, baseDir = "/"): Promise<UpstreamClient> {
  return await createUpstreamClient(httpOptionsSchema.parse(raw), { baseDir });
}

async function get(c: UpstreamClient, url: string, extra?: Partial<ClientFetchOptions>): Promise<string> {
  const body = await c.fetch(url, { signal: AbortSignal.timeout(5_000), maxBodyBytes: MAX, ...extra });
  return TEXT.decode(body.bytes);
}

async function failure(
  c: UpstreamClient,
  url: string,
  extra?: Partial<ClientFetchOptions>,
): Promise<UpstreamError> {
  try {
    await get(c, url, extra);
  } catch (e) {
    assert.ok(e instanceof UpstreamError, `expected UpstreamError, got ${e}`);
    return e;
  }
  return assert.fail("fetch succeeded");
}

/** An upstream that answers 200 only when it receives exactly the expected Authorization and X-Api-Key. */
function authUpstream(expected: { authorization?: string; apiKey?: string }) {
  return serveUpstream({
    "/metrics": (req) => {
      const ok = req.headers.get("authorization") === (expected.authorization ?? null) &&
        req.headers.get("x-api-key") === (expected.apiKey ?? null);
      return new Response(ok ? "up 1\n" : "denied\n", { status: ok ? 200 : 401 });
    },
  });
}

Deno.test("createUpstreamClient() sends configured headers and an inline bearer token", async () => {
  await using up = authUpstream({ authorization: "Bearer tok-123", apiKey: "k-9" });
  using c = await client({ headers: { "X-Api-Key": "k-9" }, bearer_token: "tok-123" });
  assert.equal(await get(c, `${up.origin}/metrics`), "up 1\n");
  assert.match(up.requests[0].headers.get("accept") ?? "", /^text\/plain;version=0\.0\.4/);
});

Deno.test("createUpstreamClient() re-reads a bearer token file when it changes", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/token`, "first\n");
  const seen: (string | null)[] = [];
  await using up = serveUpstream({
    "/": (req) => {
      seen.push(req.headers.get("authorization"));
      return new Response("ok");
    },
  });
  using c = await client({ bearer_token_file: "token" }, dir.path);
  await get(c, `${up.origin}/`);
  await get(c, `${up.origin}/`);
  await Deno.writeTextFile(`${dir.path}/token`, "second-longer\n");
  await get(c, `${up.origin}/`);
  assert.deepEqual(seen, ["Bearer first", "Bearer first", "Bearer second-longer"]);
});

Deno.test("createUpstreamClient() sends basic auth from a password file", async () => {
  await using dir = await tempDir();
  await Deno.writeTextFile(`${dir.path}/pw`, "s3cr€t\n");
  await using up = authUpstream({ authorization: `Basic ${btoa("alice:s3cr\u00e2\u0082\u00act")}` });
  using c = await client({ basic_auth: { username: "alice", password_file: `${dir.path}/pw` } });
  assert.equal(await get(c, `${up.origin}/metrics`), "up 1\n");
});

Deno.test("createUpstreamClient() reports a missing credentials file without secrets", async () => {
  await using up = authUpstream({});
  using c = await client({ bearer_token_file: "/nonexistent/token" });
  const e = await failure(c, `${up.origin}/metrics`);
  assert.equal(e.reason, "internal");
  assert.match(e.message, /Cannot read credentials file "\/nonexistent\/token"/);
  assert.equal(up.requests.length, 0);
});

Deno.test("createUpstreamClient() sends POST with a body and accepts configured statuses", async () => {
  await using up = serveUpstream({
    "/health": async (req) => {
      const ok = req.method === "POST" && await req.text() === '{"q":1}' &&
        req.headers.get("content-type") === "application/json";
      return new Response(ok ? '{"status":"DOWN"}' : "bad", { status: ok ? 503 : 400 });
    },
  });
  const opts = { method: "POST", body: '{"q":1}', headers: { "Content-Type": "application/json" } };
  using strict = await client(opts);
  assert.equal((await failure(strict, `${up.origin}/health`)).reason, "status");
  using lenient = await client({ ...opts, valid_status_codes: [200, 503] });
  assert.equal(await get(lenient, `${up.origin}/health`), '{"status":"DOWN"}');
});

Deno.test("createUpstreamClient() caps the body", async () => {
  await using up = serveUpstream({ "/big": new Response("x".repeat(2000)) });
  using c = await client({});
  const e = await failure(c, `${up.origin}/big`, { maxBodyBytes: 1000 });
  assert.equal(e.reason, "too_large");
});

Deno.test("createUpstreamClient() follows same-origin redirects with credentials", async () => {
  await using up = serveUpstream({
    "/a": () => Response.redirect("http://x/b", 302),
    "/b": (req) => new Response(`auth=${req.headers.get("authorization")}`),
  });
  await using up2 = serveUpstream({
    "/a": () => new Response(null, { status: 302, headers: { location: "/b" } }),
    "/b": (req) => new Response(`auth=${req.headers.get("authorization")}`),
  });
  using c = await client({ bearer_token: "t" });
  assert.equal(await get(c, `${up2.origin}/a`), "auth=Bearer t");
  // A redirect to another origin is refused by default, before any connection to it.
  const e = await failure(c, `${up.origin}/a`);
  assert.equal(e.reason, "redirect");
  assert.match(e.message, /another origin not followed/);
});

Deno.test("createUpstreamClient() never sends credentials to another origin", async () => {
  await using other = serveUpstream({ "/": () => new Response("other") });
  await using up = serveUpstream({
    "/go": () => new Response(null, { status: 307, headers: { location: `${other.origin}/` } }),
    "/back": () => new Response(null, { status: 302, headers: { location: `${other.origin}/` } }),
  });
  using c = await client({ redirect_policy: "any", bearer_token: "t", headers: { "X-Api-Key": "k" } });
  assert.equal(await get(c, `${up.origin}/go`), "other");
  assert.equal(up.requests[0].headers.get("authorization"), "Bearer t");
  assert.equal(other.requests.length, 1);
  assert.equal(other.requests[0].headers.get("authorization"), null);
  assert.equal(other.requests[0].headers.get("x-api-key"), null);
});

Deno.test("createUpstreamClient() stops after max_redirects hops and with redirect_policy none", async () => {
  let hits = 0;
  await using up = serveUpstream({
    "/loop": () => {
      hits++;
      return new Response(null, { status: 302, headers: { location: "/loop" } });
    },
  });
  using c = await client({});
  const e = await failure(c, `${up.origin}/loop`);
  assert.equal(e.reason, "redirect");
  assert.match(e.message, /more than 10 redirects/);
  assert.equal(hits, 11);
  using none = await client({ redirect_policy: "none" });
  assert.match((await failure(none, `${up.origin}/loop`)).message, /redirect with status 302 not followed/);
});

Deno.test("createUpstreamClient() turns POST into GET after a 303", async () => {
  await using up = serveUpstream({
    "/post": () => new Response(null, { status: 303, headers: { location: "/result" } }),
    "/result": (req) => new Response(req.method),
  });
  using c = await client({ method: "POST", body: "x" });
  assert.equal(await get(c, `${up.origin}/post`), "GET");
});

Deno.test("createUpstreamClient() checks every hop with the guard before connecting", async () => {
  await using target = canary();
  await using up = serveUpstream({
    "/hop": () => new Response(null, { status: 302, headers: { location: `${target.origin}/` } }),
  });
  using c = await client({ redirect_policy: "any" });
  const checked: string[] = [];
  const guard = (url: URL): Promise<PinnedAddress | undefined> => {
    checked.push(url.href);
    if (url.port === String(target.port)) throw new UpstreamError("forbidden", "refused by test");
    return Promise.resolve({ address: "127.0.0.1", family: 4 });
  };
  const e = await failure(c, `${up.origin}/hop`, { guard });
  assert.equal(e.reason, "forbidden");
  assert.deepEqual(checked, [`${up.origin}/hop`, `${target.origin}/`]);
  assert.equal(target.connections(), 0);
});

Deno.test("createUpstreamClient() connects to the pinned address, keeping the URL's host", async () => {
  await using up = serveUpstream({
    "/": (req) =>
      new Response(new Uint8Array(gzipSync(`host=${req.headers.get("host")}`)), {
        headers: { "content-encoding": "gzip" },
      }),
  });
  const port = new URL(up.origin).port;
  using c = await client({});
  const guard = () => Promise.resolve<PinnedAddress>({ address: "127.0.0.1", family: 4 });
  assert.equal(await get(c, `http://pinned.invalid:${port}/`, { guard }), `host=pinned.invalid:${port}`);
});

Deno.test("createUpstreamClient() times out on a slow upstream, pinned or not", async () => {
  await using up = serveUpstream({
    "/slow": async () => {
      await new Promise((r) => setTimeout(r, 1_000));
      return new Response("late");
    },
  });
  using c = await client({});
  for (
    const guard of [undefined, () => Promise.resolve<PinnedAddress>({ address: "127.0.0.1", family: 4 })]
  ) {
    const started = performance.now();
    const e = await failure(c, `${up.origin}/slow`, { signal: AbortSignal.timeout(200), guard });
    assert.equal(e.reason, "timeout");
    assert.ok(performance.now() - started < 900, "aborted at the deadline");
  }
});

Deno.test("createUpstreamClient() reports a refused connection over both transports", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  using c = await client({});
  assert.equal((await failure(c, `http://127.0.0.1:${port}/`)).reason, "refused");
  const guard = () => Promise.resolve<PinnedAddress>({ address: "127.0.0.1", family: 4 });
  assert.equal((await failure(c, `http://127.0.0.1:${port}/`, { guard })).reason, "refused");
});

Deno.test("createUpstreamClient() goes through an HTTP proxy with proxy credentials", async () => {
  await using up = serveUpstream({ "/m": new Response("via proxy") });
  const seen: string[] = [];
  // A forward proxy: Deno.serve sees the absolute-form request URL of the upstream.
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    (req) => {
      seen.push(`${req.url} ${req.headers.get("proxy-authorization")}`);
      return fetch(req.url);
    },
  );
  try {
    using c = await client({ proxy_url: `http://pu:pp@127.0.0.1:${server.addr.port}` });
    assert.equal(await get(c, `${up.origin}/m`), "via proxy");
    assert.deepEqual(seen, [`${up.origin}/m Basic ${btoa("pu:pp")}`]);
    assert.equal(up.requests.length, 1);
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("createUpstreamClient() talks HTTP over a unix socket", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/up.sock`;
  const ac = new AbortController();
  const server = Deno.serve({ path, signal: ac.signal, onListen: () => {} }, (req) => {
    return new Response(`unix ${new URL(req.url).pathname}`);
  });
  try {
    using c = await client({ unix_socket: "up.sock" }, dir.path);
    assert.equal(await get(c, "http://localhost/stats"), "unix /stats");
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("createUpstreamClient() refuses a missing CA file as a config error", async () => {
  await assert.rejects(
    () => client({ tls_config: { ca_file: "/nonexistent/ca.pem" } }),
    (e: unknown) =>
      e instanceof ConfigError && /Cannot read tls_config\.ca_file "\/nonexistent\/ca\.pem"/.test(e.message),
  );
});

/** A TLS upstream on 127.0.0.1 answering its own name; node:https so it can require client certificates. */
async function tlsUpstream(pki: Pki, options: { mtls?: boolean; self?: boolean } = {}) {
  const ca = await Deno.readTextFile(pki.caFile);
  const server = https.createServer({
    cert: options.self ? pki.selfCert : pki.serverCert,
    key: options.self ? pki.selfKey : pki.serverKey,
    ca,
    requestCert: options.mtls ?? false,
    rejectUnauthorized: options.mtls ?? false,
  }, (_req, res) => res.end("tls ok\n"));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    [Symbol.asyncDispose]: () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const TLS = { ignore: !needTool("openssl") };

Deno.test({ ...TLS, name: "createUpstreamClient() trusts a private CA from ca_file" }, async () => {
  await using dir = await tempDir();
  const pki = await makePki(dir.path);
  await using up = await tlsUpstream(pki);
  using plain = await client({});
  assert.equal((await failure(plain, `https://localhost:${up.port}/`)).reason, "tls");
  using c = await client({ tls_config: { ca_file: "ca.pem" } }, dir.path);
  assert.equal(await get(c, `https://localhost:${up.port}/`), "tls ok\n");
});

Deno.test({ ...TLS, name: "createUpstreamClient() presents a client certificate" }, async () => {
  await using dir = await tempDir();
  const pki = await makePki(dir.path);
  await using up = await tlsUpstream(pki, { mtls: true });
  using without = await client({ tls_config: { ca_file: pki.caFile } });
  const e = await failure(without, `https://localhost:${up.port}/`);
  assert.ok(e.reason === "tls" || e.reason === "network", e.reason);
  using c = await client({
    tls_config: { ca_file: pki.caFile, cert_file: pki.clientCertFile, key_file: pki.clientKeyFile },
  });
  assert.equal(await get(c, `https://localhost:${up.port}/`), "tls ok\n");
});

Deno.test({ ...TLS, name: "createUpstreamClient() verifies against server_name" }, async () => {
  await using dir = await tempDir();
  const pki = await makePki(dir.path);
  await using up = await tlsUpstream(pki);
  using right = await client({ tls_config: { ca_file: pki.caFile, server_name: "upstream.test" } });
  assert.equal(await get(right, `https://127.0.0.1:${up.port}/`), "tls ok\n");
  using wrong = await client({ tls_config: { ca_file: pki.caFile, server_name: "wrong.test" } });
  assert.equal((await failure(wrong, `https://127.0.0.1:${up.port}/`)).reason, "tls");
});

Deno.test(
  { ...TLS, name: "createUpstreamClient() pins https to the checked address and verifies the name" },
  async () => {
    await using dir = await tempDir();
    const pki = await makePki(dir.path);
    await using up = await tlsUpstream(pki);
    using c = await client({ tls_config: { ca_file: pki.caFile } });
    const guard = () => Promise.resolve<PinnedAddress>({ address: "127.0.0.1", family: 4 });
    assert.equal(await get(c, `https://upstream.test:${up.port}/`, { guard }), "tls ok\n");
  },
);

Deno.test(
  { ...TLS, name: "createUpstreamClient() skips verification only with insecure_skip_verify" },
  async () => {
    await using dir = await tempDir();
    const pki = await makePki(dir.path);
    await using up = await tlsUpstream(pki, { self: true });
    using strict = await client({ tls_config: { ca_file: pki.caFile } });
    assert.equal((await failure(strict, `https://localhost:${up.port}/`)).reason, "tls");
    using insecure = await client({ tls_config: { insecure_skip_verify: true } });
    assert.equal(await get(insecure, `https://localhost:${up.port}/`), "tls ok\n");
  },
);

Deno.test("createUpstreamClient() keeps secrets out of errors and serialization", async () => {
  const opts = httpOptionsSchema.parse({
    basic_auth: { username: "u", password: "pw-SECRET" },
    headers: { "X-Api-Key": "key-SECRET" },
    proxy_url: "http://pu:proxy-SECRET@127.0.0.1:1",
  });
  const text = JSON.stringify(opts) + Deno.inspect(opts, { depth: 10 }) + String(opts.proxyUrl);
  assert.doesNotMatch(text, /SECRET/);
  using c = await createUpstreamClient(opts, { baseDir: "/" });
  const e = await failure(c, "http://127.0.0.1:1/");
  assert.doesNotMatch(`${e.message} ${e.stack}`, /SECRET/);
});

Deno.test("createUpstreamClient() says an https URL reached a plain HTTP server, over both transports", async () => {
  await using up = serveUpstream({ "/": new Response("a 1\n") });
  const port = new URL(up.origin).port;
  const url = `https://127.0.0.1:${port}/`;
  const expected =
    `Cannot fetch "${url}": TLS handshake failed: the server at 127.0.0.1:${port} answered plain HTTP; use http://`;
  using viaFetch = await client({ headers: { "X-Api-Key": "k" } });
  using viaNode = await client({ tls_config: { insecure_skip_verify: true } });
  const guard = () => Promise.resolve<PinnedAddress>({ address: "127.0.0.1", family: 4 });
  for (const [c, extra] of [[viaFetch, {}], [viaNode, {}], [viaFetch, { guard }]] as const) {
    const e = await failure(c, url, extra);
    assert.equal(e.reason, "tls");
    assert.equal(e.message, expected);
  }
});

Deno.test(
  { ...TLS, name: "createUpstreamClient() says an http URL reached a TLS server, over both transports" },
  async () => {
    await using dir = await tempDir();
    const pki = await makePki(dir.path);
    await using up = await tlsUpstream(pki);
    const url = `http://127.0.0.1:${up.port}/`;
    using viaFetch = await client({});
    const guard = () => Promise.resolve<PinnedAddress>({ address: "127.0.0.1", family: 4 });
    // The node transport sees the server's first bytes: a TLS record, so it can say so for certain.
    const sure = await failure(viaFetch, url, { guard });
    assert.equal(sure.reason, "tls");
    assert.equal(
      sure.message,
      `Cannot fetch "${url}": the server at 127.0.0.1:${up.port} speaks TLS; use https://`,
    );
    // fetch only says the answer was not HTTP.
    const unsure = await failure(viaFetch, url);
    assert.equal(
      unsure.message,
      `Cannot fetch "${url}": the server at 127.0.0.1:${up.port} did not answer HTTP (if it speaks TLS, use https://)`,
    );
  },
);
