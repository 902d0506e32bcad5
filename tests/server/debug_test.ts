import assert from "node:assert/strict";
import type { TargetConfig } from "../../src/config/types.ts";
import { compileAllowList } from "../../src/config/allow.ts";
import { defaultHttpOptions } from "../../src/config/http_options.ts";
import { SelfMetrics } from "../../src/exposition/self_metrics.ts";
import { createLogger } from "../../src/log.ts";
import { type CompiledTarget, compileTarget, scrapeTarget, type ScrapeTrace } from "../../src/scrape/mod.ts";
import { createHandler, type Handler } from "../../src/server/mod.ts";
import type { ProbeModule } from "../../src/server/probe.ts";
import { type Runtime, staticRuntime } from "../../src/server/runtime.ts";
import { createUpstreamClient } from "../../src/upstream/mod.ts";
import { VERSION } from "../../src/version.ts";
import { json, serveUpstream, testTarget } from "../_lib/helpers.ts";

const TEXT = '# HELP jobs Jobs queued.\n# TYPE jobs gauge\njobs{queue="a"} 3\njobs{queue="b"} 4\nlegacy 1\n';
const JSON_DOC = { queues: [{ name: "a", depth: 5 }, { name: "b", depth: 7 }] };
const JSON_MAPPING: TargetConfig["json"] = [{
  kind: "metric",
  path: "$.queues[*]",
  labels: { queue: "@.name" },
  skipKeys: [],
  name: "queue_depth",
  type: "gauge",
  value: "@.depth",
}];

/** A handler over these targets (and probe modules), its logs captured. */
function exporter(targets: CompiledTarget[], modules = new Map<string, ProbeModule>()) {
  const logs: string[] = [];
  const runtime: Runtime = { ...staticRuntime(targets), modules };
  const handler: Handler = createHandler({
    runtime: () => runtime,
    self: new SelfMetrics({ version: VERSION, targets: targets.map((t) => t.config.name) }),
    log: createLogger({ level: "info", format: "logfmt", write: (l) => logs.push(l) }),
    version: VERSION,
    allowAnyTarget: true,
  });
  return { handler, logs };
}

async function get(handler: Handler, path: string) {
  const res = await handler(new Request(`http://localhost${path}`));
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** The three parts of a debug report, by their headers. */
function parts(text: string): { log: string; explain: string; exposition: string } {
  const m = text.match(
    /^Scrape log:\n([\s\S]*?)\n\nExplain of the rules on this body:\n([\s\S]*?)\n\nMetrics that would have been returned:\n([\s\S]*)$/,
  );
  assert.ok(m, `not a debug report:\n${text}`);
  return { log: m[1], explain: m[2], exposition: m[3] };
}

/** A route answering after `ms`, or as soon as the exporter gives up (so no timer outlives the test). */
function slowRoute(ms: number, body: string) {
  return async (req: Request) => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      req.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()));
    });
    return new Response(body);
  };
}

Deno.test("/metrics?target=NAME scrapes that target only, without waiting for a slow one", async () => {
  const delayMs = 3_000;
  await using up = serveUpstream({ "/fast": new Response(TEXT), "/slow": slowRoute(delayMs, "slow 1\n") });
  const fast = compileTarget(testTarget({ name: "fast", url: `${up.origin}/fast` }));
  const slow = compileTarget(testTarget({ name: "slow", url: `${up.origin}/slow`, timeoutMs: 1_000 }));
  const { handler } = exporter([fast, slow]);
  // The whole answer waits for the slow target (until its timeout); one target's does not.
  const started = performance.now();
  const whole = get(handler, "/metrics").then((r) => ({ ...r, tookMs: performance.now() - started }));
  const { status, type, text } = await get(handler, "/metrics?target=fast");
  const tookMs = performance.now() - started;
  assert.equal(status, 200);
  assert.match(type ?? "", /^text\/plain; version=0\.0\.4/);
  assert.ok(tookMs < delayMs / 10, `took ${tookMs} ms`);
  const all = await whole;
  assert.ok(all.tookMs >= 900, `the whole answer took ${all.tookMs} ms`);
  assert.match(all.text, /^prom_exporter_up\{target="slow"\} 0$/m);
  assert.match(text, /^jobs\{queue="a"\} 3$/m);
  assert.match(text, /^prom_exporter_up\{target="fast"\} 1$/m);
  assert.match(text, /^prom_exporter_scrape_errors_total\{target="fast",reason="status"\} 0$/m);
  // Nothing of the other target, nor the process's own metrics (they are on /metrics).
  assert.doesNotMatch(text, /target="slow"|^process_|prom_exporter_build_info/m);
  // The two answers share one scrape of "fast" when they overlap (single flight).
  assert.deepEqual([...new Set(up.requests.map((r) => new URL(r.url).pathname))].sort(), ["/fast", "/slow"]);
});

Deno.test("/metrics?target=NAME answers 400 naming the known targets for an unknown one", async () => {
  const { handler } = exporter([
    compileTarget(testTarget({ name: "a" })),
    compileTarget(testTarget({ name: "b" })),
  ]);
  assert.deepEqual(await get(handler, "/metrics?target=nope"), {
    status: 400,
    type: "text/plain; charset=utf-8",
    text: 'Unknown target "nope"; the targets are "a", "b"\n',
  });
  const debugAlone = await get(handler, "/metrics?debug=true");
  assert.equal(debugAlone.status, 400);
  assert.equal(debugAlone.text, 'Parameter "debug" needs "target=NAME"; the targets are "a", "b"\n');
});

Deno.test("debug=true on a healthy text target: the log, the explain and the exposition", async () => {
  await using up = serveUpstream({
    "/metrics": new Response(TEXT, { headers: { "content-type": "text/plain; version=0.0.4" } }),
  });
  const t = compileTarget(testTarget({
    name: "web",
    url: `${up.origin}/metrics`,
    rules: [{ kind: "exclude", patterns: ["legacy"] }],
  }));
  const { handler, logs } = exporter([t]);
  const { status, type, text } = await get(handler, "/metrics?target=web&debug=true");
  assert.equal(status, 200);
  assert.equal(type, "text/plain; charset=utf-8");
  const { log, explain, exposition } = parts(text);
  assert.match(log, /^target: "web"$/m);
  assert.match(log, new RegExp(`^url: ${up.origin}/metrics$`, "m"));
  assert.match(log, /^timeout: 5000 ms$/m);
  assert.match(
    log,
    /^connect \+ headers: \d+\.\d ms: HTTP 200, content type "text\/plain; version=0\.0\.4"$/m,
  );
  assert.match(log, new RegExp(`^body: \\d+\\.\\d ms: ${new TextEncoder().encode(TEXT).length} bytes$`, "m"));
  assert.match(
    log,
    /^decode \+ rules: \d+\.\d ms: format prometheus \(detected\), 3 series read, 2 series out, 0 values skipped$/m,
  );
  assert.match(log, /^total: \d+\.\d ms$/m);
  assert.match(log, /^result: success$/m);
  assert.match(explain, /^Target "web" \(.*\): 2 upstream metrics, 1 kept, 1 dropped$/m);
  assert.match(explain, /rules\[0\] exclude: "legacy" matches "legacy": dropped/);
  assert.match(explain, /^ {2}=> jobs\{queue="a"\} 3$/m);
  assert.match(exposition, /^jobs\{queue="b"\} 4$/m);
  assert.doesNotMatch(exposition, /^legacy/m);
  assert.match(exposition, /^prom_exporter_up\{target="web"\} 1$/m);
  assert.deepEqual(logs, []);
});

Deno.test("debug=true on a JSON target with a json: mapping explains the mapped series", async () => {
  await using up = serveUpstream({ "/stats": json(JSON_DOC) });
  const t = compileTarget(testTarget({ name: "api", url: `${up.origin}/stats`, json: JSON_MAPPING }));
  const { handler } = exporter([t]);
  const { status, text } = await get(handler, "/metrics?target=api&debug=true");
  assert.equal(status, 200);
  const { log, explain, exposition } = parts(text);
  assert.match(log, /content type "application\/json"/);
  assert.match(
    log,
    /^decode \+ rules: \d+\.\d ms: format json \(detected\), 2 series read, 2 series out, 0 values skipped$/m,
  );
  assert.match(explain, /^queue_depth \(gauge, 2 series\)$/m);
  assert.match(explain, /^ {2}=> queue_depth\{queue="b"\} 7$/m);
  assert.match(exposition, /^queue_depth\{queue="a"\} 5$/m);
});

Deno.test("debug=true on a failing target answers 200 with the failure in the log", async () => {
  await using up = serveUpstream({ "/metrics": new Response("boom", { status: 500 }) });
  const t = compileTarget(testTarget({ name: "bad", url: `${up.origin}/metrics` }));
  const { handler, logs } = exporter([t]);
  const { status, type, text } = await get(handler, "/metrics?target=bad&debug=true");
  assert.equal(status, 200);
  assert.equal(type, "text/plain; charset=utf-8");
  const { log, explain, exposition } = parts(text);
  assert.match(log, /^connect \+ headers: \d+\.\d ms: HTTP 500, content type "text\/plain;charset=UTF-8"$/m);
  assert.match(log, /^body: not read, for that status$/m);
  assert.match(log, /^result: failed, reason status: .*500/m);
  assert.equal(explain, "No body to explain: the fetch failed.");
  assert.match(exposition, /^prom_exporter_up\{target="bad"\} 0$/m);
  assert.deepEqual(logs, [], "a debug scrape is reported, not logged");
  // Nor counted: the regular answer still shows no error.
  const regular = await get(handler, "/metrics?target=bad");
  assert.match(regular.text, /^prom_exporter_scrape_errors_total\{target="bad",reason="status"\} 1$/m);
});

Deno.test("debug=true on a target that times out says so, within its timeout", async () => {
  await using up = serveUpstream({ "/metrics": slowRoute(5_000, "late 1\n") });
  const t = compileTarget(testTarget({ name: "slow", url: `${up.origin}/metrics`, timeoutMs: 300 }));
  const { handler } = exporter([t]);
  const started = performance.now();
  const { status, text } = await get(handler, "/metrics?target=slow&debug=true");
  assert.ok(performance.now() - started < 2_000);
  assert.equal(status, 200);
  const { log, explain, exposition } = parts(text);
  assert.match(log, /^timeout: 300 ms$/m);
  assert.match(log, /^connect \+ headers: no response$/m);
  assert.match(log, /^result: failed, reason timeout: /m);
  assert.equal(explain, "No body to explain: the fetch failed.");
  assert.match(exposition, /^prom_exporter_up\{target="slow"\} 0$/m);
});

Deno.test("/probe?module=M&target=T&debug=true reports the check, the fetch, the explain and the exposition", async () => {
  await using up = serveUpstream({ "/stats": json(JSON_DOC) });
  using client = await createUpstreamClient(defaultHttpOptions(), { baseDir: "/" });
  // As src/server/runtime.ts builds a module: the module's compiled target, scraped at the probe's URL.
  const target: CompiledTarget = {
    ...compileTarget(testTarget({ name: "queues", url: "", json: JSON_MAPPING })),
    client,
  };
  const module: ProbeModule = {
    allow: compileAllowList([new URL(up.origin).host]),
    unixSocket: false,
    timeoutMs: 5_000,
    scrape: (url, options) => scrapeTarget(target, { ...options, url }),
  };
  const { handler } = exporter([], new Map([["queues", module]]));
  const url = `${up.origin}/stats`;
  const { status, type, text } = await get(
    handler,
    `/probe?module=queues&target=${encodeURIComponent(url)}&debug=true`,
  );
  assert.equal(status, 200);
  assert.equal(type, "text/plain; charset=utf-8");
  const { log, explain, exposition } = parts(text);
  assert.match(log, /^module: "queues"$/m);
  assert.match(log, new RegExp(`^target: ${url}$`, "m"));
  assert.match(log, /^check \(resolve and allowed_targets\): \d+\.\d ms: allowed$/m);
  assert.match(log, /^connect \+ headers: \d+\.\d ms: HTTP 200/m);
  assert.match(log, /format json \(detected\), 2 series read, 2 series out/);
  assert.match(
    explain,
    new RegExp(`^Target "queues" \\(${url}\\): 1 upstream metric, 1 kept, 0 dropped$`, "m"),
  );
  assert.match(exposition, /^queue_depth\{queue="b"\} 7$/m);
  assert.match(exposition, /^prom_exporter_up 1$/m);
  // Without debug, the same probe answers the exposition alone.
  const plain = await get(handler, `/probe?module=queues&target=${encodeURIComponent(url)}`);
  assert.doesNotMatch(plain.text, /Scrape log/);
  assert.match(plain.text, /^queue_depth\{queue="b"\} 7$/m);
});

Deno.test("scrapeTarget() records the fetch and decode steps in a trace", async () => {
  await using up = serveUpstream({ "/metrics": new Response(TEXT) });
  const t = compileTarget(testTarget({ url: `${up.origin}/metrics` }));
  const trace: ScrapeTrace = { fetch: { hops: 0 } };
  const r = await scrapeTarget(t, { signal: AbortSignal.timeout(5_000), trace });
  assert.ok(r.ok);
  assert.equal(trace.fetch.hops, 1);
  assert.equal(trace.fetch.status, 200);
  assert.equal(trace.fetch.bytes, new TextEncoder().encode(TEXT).length);
  assert.equal(trace.format, "prometheus");
  assert.equal(trace.target, t);
  assert.ok(trace.body !== undefined && (trace.fetch.headersMs ?? -1) >= 0 && (trace.transformMs ?? -1) >= 0);
});
