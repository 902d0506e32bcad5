import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { parseCommandLine } from "../../src/cli/mod.ts";
import { configFromFlags } from "../../src/config/from_flags.ts";
import { SelfMetrics } from "../../src/exposition/self_metrics.ts";
import { createLogger } from "../../src/log.ts";
import { type CompiledTarget, compileTarget } from "../../src/scrape/mod.ts";
import { createHandler, type Handler } from "../../src/server/mod.ts";
import { staticRuntime } from "../../src/server/runtime.ts";
import { VERSION } from "../../src/version.ts";
import { freePort, json, normalizeVolatile, SEED_JSON, serveUpstream } from "../_lib/helpers.ts";
import { promtoolCheck, toolTest } from "../_lib/validators.ts";

const GOLDEN_DIR = new URL("../testdata/core/", import.meta.url);
const PROM_TEXT = "text/plain; version=0.0.4; charset=utf-8";

interface Exporter {
  handler: Handler;
  logs: string[];
  target: CompiledTarget;
}

/** An exporter for the seed's flags against `url`, with captured logs. */
function seedExporter(url: string, extra: string[] = [], maxRequests = 0): Exporter {
  const inv = parseCommandLine(["start", "-s", "foo", "-u", url, "-e", "exclude_me", ...extra], {});
  assert.ok(inv.kind === "run");
  const target = compileTarget(configFromFlags(inv.flags, url).targets[0]);
  const logs: string[] = [];
  const runtime = staticRuntime([target]);
  const handler = createHandler({
    runtime: () => runtime,
    self: new SelfMetrics({ version: VERSION, targets: ["foo"] }),
    log: createLogger({ level: "info", format: "logfmt", write: (l) => logs.push(l) }),
    version: VERSION,
    maxRequests,
  });
  return { handler, logs, target };
}

function get(path: string, headers?: HeadersInit, method = "GET"): Request {
  return new Request(`http://localhost${path}`, { headers, method });
}

Deno.test("handler serves the seed's example exactly (golden)", async () => {
  await using up = serveUpstream({ "/stats.json": json(SEED_JSON) });
  const { handler, logs } = seedExporter(`${up.origin}/stats.json`);
  const res = await handler(get("/metrics"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), PROM_TEXT);
  const body = await res.text();
  assert.equal(res.headers.get("content-length"), String(new TextEncoder().encode(body).byteLength));
  const golden = await Deno.readTextFile(new URL("seed.prom", GOLDEN_DIR));
  assert.equal(normalizeVolatile(body), golden);
  assert.deepEqual(logs, [], "a successful scrape logs nothing at info");
});

toolTest(
  "handler's seed answer and every failure answer pass promtool check metrics",
  ["promtool"],
  async () => {
    await using up = serveUpstream({
      "/stats.json": json(SEED_JSON),
      "/500": new Response("", { status: 500 }),
    });
    const failed = await (await seedExporter(`${up.origin}/500`).handler(get("/metrics"))).text();
    const check = await promtoolCheck(failed);
    assert.ok(check.ok, check.output);
    // The seed's own upstream name "uptime_sec" trips promlint's unit rule (exit 3, a lint finding, not a parse
    // error); it is the user's name, kept as the seed kept it. Every other line must be clean.
    const seed = await (await seedExporter(`${up.origin}/stats.json`).handler(get("/metrics"))).text();
    const seedCheck = await promtoolCheck(seed);
    assert.equal(seedCheck.code, 3, seedCheck.output);
    assert.equal(seedCheck.output.trim(), "uptime_sec metric names should not contain abbreviated units");
    const renamed = seed.replaceAll("uptime_sec", "uptime_seconds");
    assert.ok((await promtoolCheck(renamed)).ok, "with the name fixed, promtool is clean");
  },
);

Deno.test("handler fetches the upstream on every scrape, so values and vanished keys follow it", async () => {
  let doc: Record<string, number> = { a: 1, b: 2 };
  await using up = serveUpstream({ "/s": () => json(doc) });
  const { handler } = seedExporter(`${up.origin}/s`);
  assert.match(await (await handler(get("/metrics"))).text(), /^b\{service="foo"\} 2$/m);
  doc = { a: 5 };
  const second = await (await handler(get("/metrics"))).text();
  assert.match(second, /^a\{service="foo"\} 5$/m);
  assert.doesNotMatch(second, /^b\{/m);
  assert.equal(up.requests.length, 2);
});

const FAILURES: [string, string, (origin: string) => string][] = [
  ["refused", "refused", () => `http://127.0.0.1:${freePort()}/`],
  ["non-2xx", "status", (o) => `${o}/500`],
  ["bad JSON", "parse", (o) => `${o}/badjson`],
  ["too big", "too_large", (o) => `${o}/big`],
  ["invalid UTF-8", "parse", (o) => `${o}/binary`],
];

for (const [kind, reason, url] of FAILURES) {
  Deno.test(`handler answers 200 with prom_exporter_up 0 when the upstream is ${kind}`, async () => {
    await using up = serveUpstream({
      "/500": new Response("oops", { status: 500 }),
      "/badjson": new Response('{"a": 1,', { headers: { "content-type": "application/json" } }),
      "/big": () => json({ a: "x".repeat(2048) }),
      "/binary": new Response(new Uint8Array([0x61, 0x20, 0xff, 0xfe, 0x0a])),
    });
    const { handler, logs } = seedExporter(url(up.origin), ["--upstream.max-body-bytes", "1024"]);
    const res = await handler(get("/metrics"));
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /^prom_exporter_up\{target="foo",service="foo"\} 0$/m);
    assert.match(body, /^prom_exporter_scrape_duration_seconds\{target="foo",service="foo"\} [0-9.e-]+$/m);
    assert.match(
      body,
      new RegExp(`^prom_exporter_scrape_errors_total\\{target="foo",reason="${reason}"\\} 1$`, "m"),
    );
    assert.doesNotMatch(body, /^(a|requests)\{/m, "no upstream samples");
    assert.equal(logs.length, 1, logs.join("\n"));
    assert.match(logs[0], new RegExp(`level=warn msg="scrape failed" target=foo .*reason=${reason} `));
  });
}

Deno.test("handler answers up 0 within the deadline from X-Prometheus-Scrape-Timeout-Seconds", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of listener) held.push(c);
  })();
  try {
    const { handler } = seedExporter(`http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/`);
    const t0 = performance.now();
    const res = await handler(get("/metrics", { "x-prometheus-scrape-timeout-seconds": "1" }));
    const took = performance.now() - t0;
    const body = await res.text();
    assert.match(body, /^prom_exporter_up\{target="foo",service="foo"\} 0$/m);
    assert.match(body, /reason="timeout"\} 1$/m);
    // Budget is 1 s - 0.5 s offset; allow generous scheduling slack, but far below the 10 s default.
    assert.ok(took >= 450 && took < 1_000, `took ${took} ms`);
  } finally {
    listener.close();
    for (const c of held) c.close();
    await accepting.catch(() => {});
  }
});

Deno.test("handler rejects a malformed scrape timeout header with 400", async () => {
  const { handler } = seedExporter("http://127.0.0.1:1/");
  const res = await handler(get("/metrics", { "x-prometheus-scrape-timeout-seconds": "soon" }));
  assert.equal(res.status, 400);
  assert.match(await res.text(), /X-Prometheus-Scrape-Timeout-Seconds/);
});

Deno.test("handler answers HEAD with headers only, 405 for other methods, 404 for unknown paths", async () => {
  await using up = serveUpstream({ "/s": json({ a: 1 }) });
  const { handler } = seedExporter(`${up.origin}/s`);
  const head = await handler(get("/metrics", {}, "HEAD"));
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-type"), PROM_TEXT);
  assert.ok(Number(head.headers.get("content-length")) > 0);
  assert.equal(await head.text(), "");
  for (const method of ["POST", "PUT", "DELETE", "PATCH"]) {
    const res = await handler(get("/metrics", {}, method));
    assert.equal(res.status, 405, method);
    assert.equal(res.headers.get("allow"), "GET, HEAD");
    await res.body?.cancel();
  }
  for (const path of ["/metric", "/metrics/", "/favicon.ico", "/-/nope"]) {
    const res = await handler(get(path));
    assert.equal(res.status, 404, path);
    await res.body?.cancel();
  }
});

Deno.test("handler serves a landing page with name, version and a link to the metrics path", async () => {
  const { handler } = seedExporter("http://user:secret@127.0.0.1:1/stats.json");
  const res = await handler(get("/"));
  assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
  const html = await res.text();
  assert.match(html, /<h1>prom-exporter<\/h1>/);
  assert.match(html, new RegExp(`Version ${VERSION}`));
  assert.match(html, /<a href="\/metrics">/);
  assert.ok(!html.includes("secret"), "no credentials on the landing page");
  const healthy = await handler(get("/-/healthy"));
  assert.equal(healthy.status, 200);
  await healthy.body?.cancel();
});

Deno.test("handler gzips when Accept-Encoding allows, with Vary", async () => {
  const doc: Record<string, number> = {};
  for (let i = 0; i < 200; i++) doc[`metric_${i}`] = i;
  await using up = serveUpstream({ "/s": json(doc) });
  const { handler } = seedExporter(`${up.origin}/s`);
  const res = await handler(get("/metrics", { "accept-encoding": "gzip" }));
  assert.equal(res.headers.get("content-encoding"), "gzip");
  assert.match(res.headers.get("vary") ?? "", /Accept-Encoding/);
  const raw = new Uint8Array(await res.arrayBuffer());
  assert.equal(res.headers.get("content-length"), String(raw.byteLength));
  assert.match(new TextDecoder().decode(gunzipSync(raw)), /^metric_199\{service="foo"\} 199$/m);
  const plain = await handler(get("/metrics"));
  assert.equal(plain.headers.get("content-encoding"), null);
  await plain.body?.cancel();
});

Deno.test("handler writes OpenMetrics when Prometheus asks for it", async () => {
  await using up = serveUpstream({ "/s": json({ a: 1 }) });
  const { handler } = seedExporter(`${up.origin}/s`);
  const accept =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  const res = await handler(get("/metrics", { accept }));
  assert.equal(res.headers.get("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  const body = await res.text();
  assert.ok(body.endsWith("# EOF\n"));
  assert.match(body, /^prom_exporter_scrape_errors_total\{target="foo",reason="refused"\} 0$/m);
  assert.match(body, /^# TYPE prom_exporter_scrape_errors counter$/m);
});

Deno.test("handler answers 503 beyond --web.max-requests in-flight scrapes", async () => {
  let release = () => {};
  const gate = new Promise<void>((r) => release = r);
  await using up = serveUpstream({ "/slow": async () => (await gate, json({ a: 1 })) });
  const { handler } = seedExporter(`${up.origin}/slow`, [], 1);
  const first = handler(get("/metrics"));
  await new Promise((r) => setTimeout(r, 50));
  const second = await handler(get("/metrics"));
  assert.equal(second.status, 503);
  await second.body?.cancel();
  release();
  assert.equal((await first).status, 200);
  await (await first).body?.cancel();
});
