/**
 * src/scrape/mod.ts's public functions against a real HTTP upstream on 127.0.0.1 (`Deno.serve` on port 0):
 * what a scrape answers, and how each upstream failure comes back as a bounded reason.
 */

import assert from "node:assert/strict";
import { httpOptionsSchema } from "../../src/config/http_options.ts";
import type { TargetConfig } from "../../src/config/types.ts";
import { ParseError, UpstreamError } from "../../src/errors.ts";
import type { MetricFamily } from "../../src/model.ts";
import {
  asUpstreamError,
  type CompiledTarget,
  compileTarget,
  decodeTarget,
  runPipeline,
  type ScrapeResult,
  scrapeTarget,
  withMemo,
  withSeriesCache,
} from "../../src/scrape/mod.ts";
import { createUpstreamClient } from "../../src/upstream/mod.ts";
import { testTarget } from "../_lib/helpers.ts";

const TEXT = '# TYPE a_total counter\na_total 1\n# TYPE b gauge\nb{x="1"} 2\n';

/** A real upstream: `routes` by path, every request's path recorded; 404 for the rest. */
function serve(routes: Record<string, (req: Request) => Response | Promise<Response>>) {
  const paths: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const path = new URL(req.url).pathname;
    paths.push(path);
    return routes[path]?.(req) ?? new Response("not found", { status: 404 });
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    paths,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function target(url: string, extra: Partial<TargetConfig> = {}): CompiledTarget {
  return compileTarget(testTarget({ url, ...extra }));
}

const signal = () => AbortSignal.timeout(5_000);

function names(families: MetricFamily[]): string[] {
  return families.map((f) => f.name);
}

function failed(r: ScrapeResult): UpstreamError {
  assert.ok(!r.ok, "scrape succeeded");
  return r.error;
}

Deno.test("scrapeTarget() fetches, decodes and transforms the upstream's text", async () => {
  await using up = serve({
    "/metrics": () => new Response(TEXT, { headers: { "content-type": "text/plain" } }),
  });
  const r = await scrapeTarget(target(`${up.origin}/metrics`, { namespace: "ns" }), { signal: signal() });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.deepEqual(names(r.families), ["ns_a", "ns_b"]);
  assert.equal(r.skipped, 0);
  assert.ok(r.durationSeconds >= 0);
  assert.equal(r.memo, undefined);
  assert.deepEqual(up.paths, ["/metrics"]);
});

Deno.test("scrapeTarget() decodes a JSON upstream", async () => {
  await using up = serve({ "/stats": () => Response.json({ requests: 7, up: true }) });
  const r = await scrapeTarget(target(`${up.origin}/stats`), { signal: signal() });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.deepEqual(names(r.families).sort(), ["requests", "up"]);
});

Deno.test("scrapeTarget() fetches options.url instead of the target's own", async () => {
  await using up = serve({ "/other": () => new Response(TEXT) });
  const r = await scrapeTarget(target(`${up.origin}/own`), { signal: signal(), url: `${up.origin}/other` });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.deepEqual(up.paths, ["/other"]);
});

Deno.test("scrapeTarget() uses a given body without fetching", async () => {
  await using up = serve({});
  const body = { bytes: new TextEncoder().encode(TEXT), contentType: null };
  const r = await scrapeTarget(target(`${up.origin}/metrics`), { signal: signal(), body });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.deepEqual(names(r.families), ["a", "b"]);
  assert.deepEqual(up.paths, []);
});

Deno.test("scrapeTarget() answers a bad status with reason status", async () => {
  await using up = serve({ "/500": () => new Response("boom", { status: 500 }) });
  const e = failed(await scrapeTarget(target(`${up.origin}/500`), { signal: signal() }));
  assert.equal(e.reason, "status");
  assert.equal(e.message, `Cannot fetch "${up.origin}/500": status 500`);
});

Deno.test("scrapeTarget() answers a body past max_body_bytes with reason too_large", async () => {
  await using up = serve({ "/big": () => new Response("x".repeat(2048)) });
  const e = failed(
    await scrapeTarget(target(`${up.origin}/big`, { maxBodyBytes: 1024 }), { signal: signal() }),
  );
  assert.equal(e.reason, "too_large");
  assert.equal(e.message, `Cannot fetch "${up.origin}/big": body is larger than 1024 bytes`);
});

Deno.test("scrapeTarget() answers the deadline with reason timeout", async () => {
  const release = Promise.withResolvers<void>();
  await using up = serve({ "/slow": () => release.promise.then(() => new Response(TEXT)) });
  const e = failed(await scrapeTarget(target(`${up.origin}/slow`), { signal: AbortSignal.timeout(200) }));
  release.resolve();
  assert.equal(e.reason, "timeout");
  assert.equal(e.message, `Cannot fetch "${up.origin}/slow": deadline exceeded`);
});

Deno.test("scrapeTarget() answers a body that is not metrics with reason parse", async () => {
  await using up = serve({
    "/bad": () => new Response("a{ 1\n", { headers: { "content-type": "text/plain" } }),
  });
  const e = failed(await scrapeTarget(target(`${up.origin}/bad`), { signal: signal() }));
  assert.equal(e.reason, "parse");
  assert.match(e.message, /^Cannot decode the upstream: /);
});

Deno.test("scrapeTarget() without a client follows no redirect; with one, a same-origin redirect", async () => {
  await using up = serve({
    "/r": () => new Response(null, { status: 302, headers: { location: "/metrics" } }),
    "/metrics": () => new Response(TEXT),
  });
  const plain = target(`${up.origin}/r`);
  const e = failed(await scrapeTarget(plain, { signal: signal() }));
  assert.equal(e.reason, "redirect");
  assert.equal(e.message, `Cannot fetch "${up.origin}/r": redirect with status 302 not followed`);

  using client = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
  const r = await scrapeTarget({ ...plain, client }, { signal: signal() });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  assert.deepEqual(names(r.families), ["a", "b"]);
});

Deno.test("scrapeTarget() passes the guard to the client and answers its refusal", async () => {
  await using up = serve({ "/metrics": () => new Response(TEXT) });
  using client = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
  const t = { ...target(`${up.origin}/metrics`), client };
  const seen: string[] = [];
  const ok = await scrapeTarget(t, {
    signal: signal(),
    guard: (u) => {
      seen.push(u.href);
      return Promise.resolve(undefined);
    },
  });
  assert.ok(ok.ok);
  assert.deepEqual(seen, [`${up.origin}/metrics`]);
  const refused = failed(
    await scrapeTarget(t, {
      signal: signal(),
      guard: () => Promise.reject(new UpstreamError("forbidden", "not on the list")),
    }),
  );
  assert.equal(refused.reason, "forbidden");
  assert.equal(refused.message, "not on the list");
});

Deno.test("scrapeTarget() answers a budget that refuses the body with reason memory", async () => {
  await using up = serve({ "/metrics": () => new Response(TEXT) });
  const budget = { limit: 10, take: () => false };
  const e = failed(await scrapeTarget(target(`${up.origin}/metrics`), { signal: signal(), budget }));
  assert.equal(e.reason, "memory");
  assert.match(e.message, /--scrape\.max-inflight-bytes 10\)$/);
});

Deno.test("scrapeTarget() with a memo and a series cache answers the same over repeated scrapes", async () => {
  await using up = serve({
    "/metrics": () => new Response(TEXT, { headers: { "content-type": "text/plain" } }),
  });
  const t = withSeriesCache(withMemo(target(`${up.origin}/metrics`)));
  assert.ok(t.memo !== undefined && t.seriesCache !== undefined);
  for (let i = 0; i < 6; i++) {
    const r = await scrapeTarget(t, { signal: signal() });
    assert.ok(r.ok, r.ok ? "" : r.error.message);
    assert.deepEqual(names(r.families), ["a", "b"], `scrape ${i}`);
    assert.deepEqual(r.families[1].samples.map((s) => s.value), [2], `scrape ${i}`);
  }
  assert.equal(up.paths.length, 6);
});

Deno.test("decodeTarget() answers the upstream's own families, without the rules", async () => {
  await using up = serve({
    "/metrics": () => new Response(TEXT, { headers: { "content-type": "text/plain" } }),
  });
  const t = target(`${up.origin}/metrics`, { namespace: "ns" });
  const decoded = await decodeTarget(t, { signal: signal() });
  assert.deepEqual(names(decoded.families), ["a", "b"]);
  assert.equal(decoded.format, "prometheus");
});

Deno.test("decodeTarget() throws the upstream's failure", async () => {
  await using up = serve({});
  await assert.rejects(
    decodeTarget(target(`${up.origin}/missing`), { signal: signal() }),
    (e) => e instanceof UpstreamError && e.reason === "status",
  );
});

Deno.test("runPipeline() decodes a text in the given format and applies the rules", () => {
  const t = target("http://127.0.0.1:1/", { namespace: "ns" });
  const r = runPipeline(t, TEXT, "prometheus");
  assert.deepEqual(names(r.families), ["ns_a", "ns_b"]);
  assert.equal(r.format, "prometheus");
  const j = runPipeline(t, '{"c": 3}', "json");
  assert.deepEqual(names(j.families), ["ns_c"]);
  assert.throws(() => runPipeline(t, "a{ 1\n", "prometheus"), ParseError);
});

Deno.test("asUpstreamError() gives every error a bounded reason", () => {
  const up = new UpstreamError("refused", "x");
  assert.equal(asUpstreamError(up), up);
  const parse = asUpstreamError(new ParseError("bad", 3));
  assert.equal(parse.reason, "parse");
  assert.equal(parse.message, "Cannot decode the upstream: line 3: bad");
  const big = asUpstreamError(new RangeError("Invalid string length"));
  assert.equal(big.reason, "too_large");
  assert.equal(big.message, "Cannot decode the upstream: body too large");
  const other = asUpstreamError(new TypeError("oops"));
  assert.equal(other.reason, "internal");
  assert.equal(other.message, "Cannot scrape: oops");
  assert.equal(asUpstreamError("text").message, "Cannot scrape: text");
});
