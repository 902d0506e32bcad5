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
import { MemoryBudget } from "../../src/upstream/memory_budget.ts";
import { capLines, MAX_REPORT_LINES } from "../../src/server/debug.ts";
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
function exporter(
  targets: CompiledTarget[],
  modules = new Map<string, ProbeModule>(),
  budget?: MemoryBudget,
) {
  const logs: string[] = [];
  const runtime: Runtime = { ...staticRuntime(targets), modules };
  const handler: Handler = createHandler({
    runtime: () => runtime,
    self: new SelfMetrics({ version: VERSION, targets: targets.map((t) => t.config.name) }),
    log: createLogger({ level: "info", format: "logfmt", write: (l) => logs.push(l) }),
    version: VERSION,
    allowAnyTarget: true,
    budget,
  });
  return { handler, logs };
}

async function get(handler: Handler, path: string) {
  const res = await handler(new Request(`http://localhost${path}`));
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** Like {@linkcode get}, with the `X-Content-Type-Options` header. */
async function getSniff(handler: Handler, path: string) {
  const res = await handler(new Request(`http://localhost${path}`));
  return { status: res.status, nosniff: res.headers.get("x-content-type-options"), text: await res.text() };
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
  // The two answers share one scrape of "fast": both started in the same turn, so they overlap (single flight).
  const paths = up.requests.map((r) => new URL(r.url).pathname);
  assert.deepEqual(paths.filter((p) => p === "/fast"), ["/fast"]);
  assert.deepEqual(paths.filter((p) => p === "/slow"), ["/slow"]);
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
  // Logged once, at info level, with the target and its URL.
  assert.equal(logs.length, 1, logs.join("\n"));
  assert.match(
    logs[0],
    /level=info msg="debug scrape" target=web url=http:\/\/127\.0\.0\.1:\d+\/metrics result=success/,
  );
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
  // Logged once at info level, not as a failed scrape (nor counted, below).
  assert.equal(logs.length, 1, logs.join("\n"));
  assert.match(logs[0], /level=info msg="debug scrape" target=bad .*result=status/);
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

Deno.test("a repeated target or module answers 400, and an unknown target lists 20 names at most", async () => {
  const targets = Array.from({ length: 25 }, (_, i) => compileTarget(testTarget({ name: `t${i}` })));
  const module: ProbeModule = {
    allow: null,
    unixSocket: false,
    timeoutMs: 1_000,
    scrape: () => Promise.reject(new Error("not scraped")),
  };
  const { handler } = exporter(targets, new Map([["m", module]]));
  assert.deepEqual(await getSniff(handler, "/metrics?target=t1&target=t2"), {
    status: 400,
    nosniff: "nosniff",
    text: 'Parameter "target" is given 2 times; give it once\n',
  });
  assert.equal((await get(handler, "/metrics?target=t1&target=t1&debug=true")).status, 400);
  const names = Array.from({ length: 20 }, (_, i) => `"t${i}"`).join(", ");
  assert.deepEqual(await getSniff(handler, "/metrics?target=nope"), {
    status: 400,
    nosniff: "nosniff",
    text: `Unknown target "nope"; the targets are ${names}, … 5 more\n`,
  });
  assert.deepEqual(await getSniff(handler, "/probe?module=m&target=a.example&target=b.example"), {
    status: 400,
    nosniff: "nosniff",
    text: 'Parameter "target" is given 2 times; give it once\n',
  });
  assert.deepEqual(await getSniff(handler, "/probe?module=m&module=n&target=a.example"), {
    status: 400,
    nosniff: "nosniff",
    text: 'Parameter "module" is given 2 times; give it once\n',
  });
});

Deno.test("capLines() keeps the first lines and says how many were left out", () => {
  assert.equal(capLines("a\nb", 2), "a\nb");
  assert.equal(capLines("a\nb\nc", 2), "a\nb\n… 1 more line left out (the first 2 are shown)");
  assert.equal(capLines("a\nb\nc\nd", 1), "a\n… 3 more lines left out (the first 1 are shown)");
  assert.equal(capLines("", 1), "");
});

Deno.test("debug=true cuts the explain and the exposition at 2000 lines each", async () => {
  // One series per family: the explain shows each family (it cuts a family's series at 10 on its own).
  const series = 1_500;
  const body = Array.from({ length: series }, (_, i) => `m${i} ${i}\n`).join("");
  await using up = serveUpstream({ "/metrics": () => new Response(body) });
  const t = compileTarget(testTarget({ name: "big", url: `${up.origin}/metrics` }));
  const { handler } = exporter([t]);
  const res = await handler(new Request("http://localhost/metrics?target=big&debug=true"));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("x-content-type-options"), "nosniff");
  const text = await res.text();
  assert.equal(Number(res.headers.get("content-length")), new TextEncoder().encode(text).length);
  const { log, explain, exposition } = parts(text);
  assert.match(log, new RegExp(`, ${series} series read, ${series} series out`));
  const note = /^… (\d+) more lines left out \(the first 2000 are shown\)$/;
  for (const [name, part] of [["explain", explain], ["exposition", exposition.trimEnd()]]) {
    const lines = part.split("\n");
    assert.equal(lines.length, MAX_REPORT_LINES + 1, name);
    const left = Number(note.exec(lines[MAX_REPORT_LINES])?.[1]);
    // Each family takes more than one line in both parts: 1500 of them do not fit in 2000 lines.
    assert.ok(left > 0, `${name}: ${lines[MAX_REPORT_LINES]}`);
  }
  // The report shows and leaves out the lines of the whole exposition: those of a regular answer, but for our
  // own counters, which a counted scrape has and an uncounted one lacks (a few lines).
  const whole = (await get(handler, "/metrics?target=big")).text.trimEnd().split("\n").length;
  const shown = MAX_REPORT_LINES + Number(note.exec(exposition.trimEnd().split("\n")[MAX_REPORT_LINES])?.[1]);
  assert.ok(Math.abs(shown - whole) <= 10, `report ${shown} lines, answer ${whole}`);
});

Deno.test("one debug scrape at a time: a second answers 429 while the first runs, /probe included", async () => {
  await using up = serveUpstream({ "/slow": slowRoute(1_000, "slow 1\n"), "/fast": new Response(TEXT) });
  const slow = compileTarget(testTarget({ name: "slow", url: `${up.origin}/slow` }));
  const fast = compileTarget(testTarget({ name: "fast", url: `${up.origin}/fast` }));
  using client = await createUpstreamClient(defaultHttpOptions(), { baseDir: "/" });
  const probed: CompiledTarget = { ...compileTarget(testTarget({ name: "m", url: "" })), client };
  const module: ProbeModule = {
    allow: compileAllowList([new URL(up.origin).host]),
    unixSocket: false,
    timeoutMs: 5_000,
    scrape: (url, options) => scrapeTarget(probed, { ...options, url }),
  };
  const { handler } = exporter([slow, fast], new Map([["m", module]]));
  const first = get(handler, "/metrics?target=slow&debug=true");
  const busy = await getSniff(handler, "/metrics?target=fast&debug=true");
  assert.deepEqual(busy, {
    status: 429,
    nosniff: "nosniff",
    text: "A debug scrape is running; one runs at a time: try again once it is done\n",
  });
  const probe = await get(
    handler,
    `/probe?module=m&target=${encodeURIComponent(`${up.origin}/fast`)}&debug=true`,
  );
  assert.equal(probe.status, 429);
  // A regular scrape is not held by it.
  assert.equal((await get(handler, "/metrics?target=fast")).status, 200);
  assert.equal((await first).status, 200);
  // Once it is done, the next one runs.
  const next = await get(handler, "/metrics?target=fast&debug=true");
  assert.equal(next.status, 200);
  assert.match(parts(next.text).exposition, /^jobs\{queue="a"\} 3$/m);
});

Deno.test("debug=true holds the report on the memory budget, and answers 503 when it does not fit", async () => {
  await using up = serveUpstream({ "/metrics": () => new Response(TEXT) });
  const t = compileTarget(testTarget({ name: "web", url: `${up.origin}/metrics` }));
  const bodyBytes = new TextEncoder().encode(TEXT).length;
  const free = await (exporter([t]).handler)(new Request("http://localhost/metrics?target=web&debug=true"));
  const reportBytes = Number(free.headers.get("content-length"));
  await free.body?.cancel();
  assert.ok(reportBytes > 1_000, `${reportBytes}`);
  // The body fits, and the regular answer too, but not the body and the report together.
  const small = new MemoryBudget(bodyBytes + Math.floor(reportBytes / 2));
  const { handler, logs } = exporter([t], undefined, small);
  assert.equal((await get(handler, "/metrics?target=web")).status, 200);
  const refused = await getSniff(handler, "/metrics?target=web&debug=true");
  assert.equal(refused.status, 503);
  assert.equal(refused.nosniff, "nosniff");
  assert.match(
    refused.text,
    new RegExp(
      `^Cannot answer the debug report: the scrapes in flight hold the memory budget, no room for \\d+ more bytes \\(--scrape.max-inflight-bytes ${small.limit}\\)\n$`,
    ),
  );
  assert.match(logs.at(-1) ?? "", /msg="debug scrape" target=web .*refused=memory/);
  assert.equal(small.used, 0);
  // With room for both, the report is answered, and its bytes are given back.
  const roomy = new MemoryBudget(bodyBytes + 2 * reportBytes);
  const ok = await get(exporter([t], undefined, roomy).handler, "/metrics?target=web&debug=true");
  assert.equal(ok.status, 200);
  assert.equal(roomy.used, 0);
});
