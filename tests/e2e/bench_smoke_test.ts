/**
 * The bench must not rot: its pieces work and the whole harness runs at a tiny size. No timing assertions
 * (the machine is shared); only that every stage produced the right kind of answer.
 *
 * @module
 */

import assert from "node:assert/strict";
import { concurrentDeno, parseWrk, percentile, sequential } from "../../bench/system/lib/load.ts";
import { caseBody, caseTarget, scrapeOnce } from "../../bench/system/lib/pipeline.ts";
import { issue13Targets, type Row, runRatio } from "../../bench/system/lib/report.ts";
import { summarise } from "../../bench/system/profile_report.ts";
import { ByteWriter } from "../../src/exposition/escape.ts";
import { bodyText } from "../../src/formats/mod.ts";
import { detectFormat } from "../../src/formats/detect.ts";
import { binaryText, ScrapeMemo } from "../../src/memo/memo.ts";
import { type CompiledTarget, pipelineSteps, runPipeline } from "../../src/scrape/mod.ts";
import type { UpstreamBody } from "../../src/upstream/mod.ts";
import { churnAt, parseChurn, parseOptions, parseSize } from "../../bench/system/run.ts";
import {
  churnLayout,
  renderMetricsText,
  renderStatsJson,
  serveBenchUpstream,
  slotGeneration,
} from "../../bench/system/upstream.ts";

const dec = new TextDecoder();

Deno.test("renderMetricsText() writes exactly n samples in families of 10 with all three types", () => {
  for (const n of [0, 1, 10, 35, 1000]) {
    const lines = renderMetricsText(n).split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    assert.equal(lines.length, n);
  }
  const text = renderMetricsText(30);
  assert.match(text, /# TYPE upstream_requests_00000_total counter\n/);
  assert.match(text, /# TYPE upstream_queue_depth_00001 gauge\n/);
  assert.match(text, /# TYPE upstream_request_duration_seconds_00002 histogram\n/);
  assert.match(text, /upstream_request_duration_seconds_00002_bucket\{handler="\/api\/2",le="\+Inf"\} \d+\n/);
});

Deno.test("renderStatsJson() writes a flat object with n numeric keys", () => {
  const doc = JSON.parse(renderStatsJson(25)) as Record<string, unknown>;
  assert.equal(Object.keys(doc).length, 25);
  assert.ok(Object.values(doc).every((v) => typeof v === "number"));
  assert.equal(doc.requests, 1000);
  assert.equal(doc.requests_2, 1060);
});

Deno.test("serveBenchUpstream() serves both bodies on 127.0.0.1", async () => {
  await using up = serveBenchUpstream(20);
  assert.match(up.origin, /^http:\/\/127\.0\.0\.1:\d+$/);
  const text = await fetch(up.origin + "/metrics");
  assert.equal(text.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(await text.text(), renderMetricsText(20));
  const json = await fetch(up.origin + "/stats.json");
  assert.equal(await json.text(), renderStatsJson(20));
  assert.equal((await fetch(up.origin + "/nope")).status, 404);
  // Each path's answers take the versions in turn: new values every time, the same series.
  const next = await (await fetch(up.origin + "/metrics")).text();
  assert.equal(next, renderMetricsText(20, 1));
  assert.notEqual(next, renderMetricsText(20, 0));
  assert.equal(next.replace(/ [\d.]+$/gm, ""), renderMetricsText(20, 0).replace(/ [\d.]+$/gm, ""));
  assert.equal(await (await fetch(up.origin + "/metrics")).text(), renderMetricsText(20, 2));
  assert.equal(await (await fetch(up.origin + "/metrics")).text(), renderMetricsText(20, 0));
});

/** The series keys of a body: text sample lines up to the value, or JSON keys. */
function seriesKeys(body: string): string[] {
  if (body.startsWith("{")) return Object.keys(JSON.parse(body));
  return body.split("\n").filter((l) => l !== "" && !l.startsWith("#")).map((l) =>
    l.slice(0, l.lastIndexOf(" "))
  );
}

/** How many of `next`'s keys were not in `prev`. */
function changedKeys(prev: string[], next: string[]): number {
  const before = new Set(prev);
  return next.filter((k) => !before.has(k)).length;
}

Deno.test("slotGeneration() moves exactly C of the 100 slots per request", () => {
  for (const churn of [0, 1, 10, 37, 50, 100]) {
    for (const k of [1, 2, 3, 17, 1000]) {
      let moved = 0;
      for (let s = 0; s < 100; s++) {
        const step = slotGeneration(s, k, churn) - slotGeneration(s, k - 1, churn);
        assert.ok(step === 0 || step === 1, `churn ${churn}, request ${k}, slot ${s}: step ${step}`);
        moved += step;
      }
      assert.equal(moved, churn, `churn ${churn}, request ${k}`);
    }
    for (let s = 0; s < 100; s++) assert.equal(slotGeneration(s, 0, churn), 0);
  }
  // Groups are spread over the slots: 10 groups take every 10th slot, 1000 take each slot 10 times.
  assert.deepEqual([...churnLayout(10).slots], [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  const big = churnLayout(91_000);
  assert.equal(big.slots.length, 1000);
  assert.ok(
    Array.from({ length: 100 }, (_, s) => big.slots.filter((x) => x === s).length).every((n) => n === 10),
  );
});

Deno.test("the upstream's churn changes the given share of series keys on every request", async () => {
  await using up = serveBenchUpstream(10, 0, { generations: 4 });
  const get = async (path: string) => {
    const res = await fetch(up.origin + path);
    const body = await res.text();
    assert.equal(res.status, 200, body);
    assert.equal(Number(res.headers.get("content-length")), new TextEncoder().encode(body).byteLength);
    return body;
  };
  // Churn 0: the steady bodies, byte for byte, whatever the generations rendered.
  const steady = [
    await get("/metrics?churn=0"),
    await get("/metrics?churn=0"),
    await get("/metrics?churn=0"),
  ];
  assert.deepEqual(steady, [0, 1, 2].map((t) => renderMetricsText(10, t)));
  assert.deepEqual(seriesKeys(steady[1]), seriesKeys(steady[0]));
  // Churn 50 at 10 series: about half the keys change from one body to the next (here exactly 5), every time.
  let prev = seriesKeys(await get("/metrics?churn=50"));
  for (let i = 0; i < 6; i++) {
    const body = await get("/metrics?churn=50");
    const keys = seriesKeys(body);
    assert.equal(keys.length, 10);
    const changed = changedKeys(prev, keys);
    assert.ok(changed >= 4 && changed <= 6, `${changed} of 10 keys changed:\n${body}`);
    prev = keys;
  }
  // Churn 100: every key changes every time (a cold scrape), in text and in JSON.
  for (const path of ["/metrics?churn=100", "/stats.json?churn=100"]) {
    prev = seriesKeys(await get(path));
    for (let i = 0; i < 5; i++) {
      const keys = seriesKeys(await get(path));
      assert.equal(changedKeys(prev, keys), 10, path);
      prev = keys;
    }
  }
  assert.equal((await fetch(up.origin + "/metrics?churn=101")).status, 400);
  assert.equal((await fetch(up.origin + "/metrics?churn=x")).status, 400);
  await using plain = serveBenchUpstream(10);
  const refused = await fetch(plain.origin + "/metrics?churn=10");
  assert.equal(refused.status, 400);
  await refused.body?.cancel();
});

Deno.test("the upstream's churn at 1,000 series: about C% of the keys change, histograms stay whole", async () => {
  await using up = serveBenchUpstream(1000, 0, { generations: 4, jsonGenerations: 4 });
  for (const [path, churn] of [["/metrics", 10], ["/metrics", 50], ["/stats.json", 10]] as const) {
    let prevBody = await (await fetch(`${up.origin}${path}?churn=${churn}`)).text();
    for (let i = 0; i < 4; i++) {
      const body = await (await fetch(`${up.origin}${path}?churn=${churn}`)).text();
      const changed = changedKeys(seriesKeys(prevBody), seriesKeys(body));
      assert.equal(seriesKeys(body).length, 1000);
      assert.ok(Math.abs(changed - churn * 10) <= 30, `${path} churn ${churn}: ${changed} of 1000 changed`);
      if (path === "/metrics") {
        // Every histogram keeps one handler for its 10 lines, so it stays one histogram.
        for (const m of body.matchAll(/^# TYPE (\S+) histogram\n((?:\1\S*\{[^\n]*\n)+)/gm)) {
          assert.equal(new Set([...m[2].matchAll(/handler="([^"]+)"/g)].map((h) => h[1])).size, 1, m[0]);
        }
      } else {
        JSON.parse(body);
      }
      prevBody = body;
    }
  }
});

Deno.test("scrapeOnce() runs each bench case through the real pipeline", () => {
  const text = dec.decode(scrapeOnce(caseTarget("text"), caseBody("text", 100)));
  // The typical rules: the match folds the counters into one family with a shard label, the static label is
  // on every series, the exclude glob, a rename and the relabel drop each leave a trace.
  assert.match(text, /^upstream_requests_total\{.*shard="00000".*\} \d+$/m);
  assert.match(text, /^queue_depth_primary\{.*env="bench".*\} /m);
  assert.doesNotMatch(text, /upstream_queue_depth_00007/);
  assert.doesNotMatch(text, /code="5xx"/);
  for (const line of text.split("\n")) {
    if (line !== "" && !line.startsWith("#")) assert.match(line, /env="bench"/);
  }
  const plain = dec.decode(scrapeOnce(caseTarget("text-norules"), caseBody("text", 100)));
  assert.equal(plain.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length, 100);
  const json = dec.decode(scrapeOnce(caseTarget("json"), caseBody("json", 30)));
  assert.match(json, /^requests_status_2xx\{service="bench"\} 1003$/m);
});

/** The memo's answer (text 0.0.4) for `next` after learning `base`, or `null` when it declines. */
function memoAnswer(target: CompiledTarget, base: UpstreamBody, next: UpstreamBody): string | null {
  const memo = new ScrapeMemo((text, format) => pipelineSteps(target, text, format));
  const learn = bodyText(base);
  const format = detectFormat(target.decoder.format, base.contentType, learn);
  memo.learn(binaryText(base.bytes), base.contentType, format, runPipeline(target, learn, format).skipped);
  const hit = memo.lookup(next.bytes, binaryText(next.bytes), next.contentType);
  if (hit === null || hit.output("text") === null) return null;
  const w = new ByteWriter();
  hit.writeInto(w, "text");
  return w.text();
}

Deno.test("the scrape memo answers the bench's bodies exactly as the pipeline, and declines a changed skeleton", () => {
  const enc = new TextEncoder();
  for (const c of ["text", "json"] as const) {
    const target = caseTarget(c);
    const body = caseBody(c, 200);
    // New values in the same skeleton: integers, fractions, exponents, NaN in gauges (text only).
    const text = dec.decode(body.bytes);
    const changed = c === "json"
      ? text.replace(/:(\d+)([,}])/g, (_, d, e) => `:${Number(d) % 3 === 0 ? `${d}.25` : `${d}e3`}${e}`)
      : text.replace(
        /(_depth_\d+\{[^}]*\})? (\d+)\n/g,
        (_, g, d) => `${g ?? ""} ${g && Number(d) % 5 === 0 ? "NaN" : Number(d) * 1.5}\n`,
      );
    assert.notEqual(changed, text);
    const body2 = { bytes: enc.encode(changed), contentType: body.contentType };
    assert.equal(memoAnswer(target, body, body2), dec.decode(scrapeOnce(target, body2)), c);
    // A new series, or a changed label value, is not this skeleton.
    const grown = {
      bytes: enc.encode(c === "json" ? text.replace("{", '{"new_key":1,') : text + "extra 1\n"),
      contentType: body.contentType,
    };
    assert.equal(memoAnswer(target, body, grown), null, c);
  }
  const target = caseTarget("text");
  const body = caseBody("text", 50);
  const relabelled = dec.decode(body.bytes).replace('code="2xx"', 'code="5xx"');
  assert.equal(memoAnswer(target, body, { ...body, bytes: enc.encode(relabelled) }), null);
  // A value the parser refuses (a NaN counter) goes to the parser, which reports it.
  const nan = dec.decode(body.bytes).replace(/(upstream_requests_00000_total\{[^}]*\}) \d+/, "$1 NaN");
  assert.equal(memoAnswer(target, body, { ...body, bytes: enc.encode(nan) }), null);
});

Deno.test("sequential() and concurrentDeno() stop at their count bound and count failures", async () => {
  await using up = serveBenchUpstream(10);
  const seq = await sequential(up.origin + "/metrics", {}, { count: 5, maxMs: 10_000 });
  assert.deepEqual([seq.requests, seq.errors, seq.latencies.length], [5, 0, 5]);
  const conc = await concurrentDeno(up.origin + "/stats.json", {}, 3, { count: 7, maxMs: 10_000 });
  assert.deepEqual([conc.requests, conc.errors], [7, 0]);
  // minMs keeps a sequential phase going past its count, up to 100 times the count.
  const long = await sequential(up.origin + "/metrics", {}, { count: 2, maxMs: 10_000, minMs: 300 });
  assert.ok(long.requests > 2 && long.requests <= 200, `${long.requests} requests`);
  const bad = await sequential(up.origin + "/nope", {}, { count: 2, maxMs: 10_000 });
  assert.deepEqual([bad.requests, bad.errors], [0, 2]);
});

Deno.test("parseWrk() reads throughput, errors and latency percentiles", () => {
  const r = parseWrk(`Running 2s test @ http://127.0.0.1:1/metrics
  2 threads and 8 connections
  Latency Distribution
     50%  812.00us
     75%    1.20ms
     90%    2.00ms
     99%    1.10s
  4000 requests in 2.00s, 1.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:   1999.50
`);
  assert.deepEqual(r, { rps: 1999.5, requests: 4000, errors: 6, p50: 0.812, p99: 1100 });
});

Deno.test("percentile() and runRatio() use nearest rank and ratios within a run", () => {
  assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
  assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
  assert.equal(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99), 99);
  const row = (server: Row["server"], run: number, median: number): Row => ({
    size: 10,
    format: "text",
    server,
    run,
    bodyBytes: 1,
    samples: 1,
    median,
    p99: median,
    requests: 1,
    connections: 8,
    rps: 1,
    loadP50: 1,
    loadP99: 1,
    errors: 0,
    cpuMs: 1,
    seqCpuMs: 1,
    rssSeqMiB: 1,
    rssMiB: 1,
  });
  const rows = [
    row("exporter", 1, 4),
    row("passthrough", 1, 2),
    row("exporter", 2, 30),
    row("passthrough", 2, 10),
  ];
  assert.equal(runRatio(rows, "text", 10, "exporter", "passthrough", (r) => r.median), 2.5);
});

Deno.test("issue13Targets() judges within-run ratios per scenario, and says what was not measured", () => {
  const row = (server: Row["server"], churn: number, run: number, median: number, rssMiB: number): Row => ({
    size: 100_000,
    format: "text",
    server,
    run,
    churn,
    firstMs: 5 * median,
    bodyBytes: 1,
    samples: 1,
    median,
    p99: median,
    requests: 1,
    connections: 8,
    rps: 100 / median,
    loadP50: 1,
    loadP99: 1,
    errors: 0,
    cpuMs: 1,
    seqCpuMs: 1,
    rssSeqMiB: rssMiB,
    rssMiB,
  });
  const rows = [
    row("passthrough", 0, 1, 10, 60),
    row("exporter", 0, 1, 25, 100),
    row("passthrough", 0, 2, 20, 60),
    row("exporter", 0, 2, 70, 200),
    row("passthrough", 100, 1, 10, 60),
    row("exporter", 100, 1, 70, 120),
  ];
  const t = new Map(issue13Targets(rows).map((x) => [x.target, x]));
  const steady = t.get("100k text series, steady: median latency");
  // Run 1: 2.5×, run 2: 3.5×: the median of the runs' ratios is 3×, not the ratio of the medians (47.5 / 15).
  assert.deepEqual([steady?.ratio, steady?.verdict], ["3.00×", "met"]);
  assert.equal(t.get("100k text series, cold: median latency")?.verdict, "**not met**");
  assert.equal(t.get("100k text series: first scrape of a fresh process")?.ratio, "15.0×");
  assert.equal(t.get("100k text series, churn10: median latency")?.verdict, "not measured");
  assert.equal(t.get("1M text series, steady: median latency")?.figure, "–");
  // RSS: +40 and +140 MiB over the passthrough, median +90: over the 64 MiB allowed; cold +60 MiB is within.
  const rss = t.get("100k text series, steady: peak RSS, 8 scrapers");
  assert.deepEqual([rss?.ratio, rss?.verdict], ["+90.0 MiB (2.50×)", "**not met**"]);
  assert.equal(t.get("100k text series, cold: peak RSS, 8 scrapers")?.verdict, "met");
  assert.equal(t.get("10k JSON keys, steady: peak RSS, 8 scrapers")?.verdict, "not measured");
  const rps = t.get("100k text series, steady: throughput, 8 scrapers");
  assert.deepEqual([rps?.ratio, rps?.verdict], ["0.34×", "met"]);
});

Deno.test("parseSize() and parseOptions() read the bench's flags", () => {
  assert.equal(parseSize("1k"), 1000);
  assert.equal(parseSize("1M"), 1_000_000);
  assert.throws(() => parseSize("ten"), RangeError);
  const o = parseOptions(["--quick", "--sizes", "10,2k", "--formats", "json"]);
  assert.deepEqual([o.sizes, o.formats, o.runs], [[10, 2000], ["json"], 1]);
  assert.throws(() => parseOptions(["--bogus"]), TypeError);
  // Scenarios: every size, or only those after @.
  const plans = parseChurn("0,10@100k,100@100k+1M");
  assert.deepEqual([churnAt(plans, 10_000), churnAt(plans, 100_000), churnAt(plans, 1e6)], [
    [0],
    [0, 10, 100],
    [
      0,
      100,
    ],
  ]);
  assert.throws(() => parseChurn("101"), RangeError);
  assert.throws(() => parseChurn("10,10"), RangeError);
  const d = parseOptions([]);
  assert.deepEqual([churnAt(d.churn, 100_000), churnAt(d.churn, 1e6), churnAt(d.jsonChurn, 100_000)], [
    [
      0,
      10,
      100,
    ],
    [0, 100],
    [0],
  ]);
  assert.deepEqual(churnAt(parseOptions(["--quick"]).churn, 10_000), [0, 10, 100]);
  assert.deepEqual(parseOptions(["--exporter-flags", " --a=1  --b "]).exporterFlags, ["--a=1", "--b"]);
});

Deno.test("summarise() attributes self and total time from a cpuprofile", () => {
  const frame = (functionName: string) => ({ functionName, url: "", lineNumber: 0 });
  const s = summarise({
    nodes: [
      { id: 1, callFrame: frame("(root)"), children: [2] },
      { id: 2, callFrame: frame("outer"), children: [3] },
      { id: 3, callFrame: frame("inner") },
    ],
    samples: [2, 3, 3, 3],
    timeDeltas: [0, 10, 10, 10],
  });
  const by = new Map(s.functions.map((f) => [f.name, f]));
  assert.equal(s.totalUs, 30);
  assert.equal(by.get("inner")?.selfUs, 20);
  assert.equal(by.get("outer")?.selfUs, 10);
  assert.equal(by.get("outer")?.totalUs, 30);
});

Deno.test({
  name: "bench/system/run.ts measures the exporter and the passthrough at a tiny size",
  // Subprocesses and sockets outlive single awaits here; each is stopped by the harness itself.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const out = await Deno.makeTempFile({ suffix: ".md" });
    try {
      const cmd = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-all",
          new URL("../../bench/system/run.ts", import.meta.url).pathname,
          "--quick",
          "--sizes",
          "10",
          "--requests",
          "3",
          "--duration",
          "1",
          "--churn",
          "0,50,100",
          "--json-churn",
          "0,100",
          "--out",
          out,
        ],
        stdout: "piped",
        stderr: "piped",
        signal: AbortSignal.timeout(180_000),
      });
      const res = await cmd.output();
      const stderr = dec.decode(res.stderr);
      assert.equal(res.code, 0, stderr);
      const md = await Deno.readTextFile(out);
      // The report is run through `deno fmt`, which pads table cells: compare trimmed cells.
      const rows = md.split("\n").filter((l) => l.startsWith("|")).map((l) =>
        l.split("|").slice(1, -1).map((c) => c.trim())
      );
      const scenarios = { text: ["steady", "churn50", "cold"], json: ["steady", "cold"] };
      for (const format of ["text", "json"] as const) {
        for (const scenario of scenarios[format]) {
          for (const server of ["passthrough", "exporter"]) {
            const row = rows.find((r) =>
              r[0] === format && r[1] === "10" && r[2] === scenario && r[3] === server
            );
            assert.ok(row !== undefined, `no ${format} ${scenario} ${server} row in:\n${md}`);
            assert.doesNotMatch(row.join(" | "), /skipped|failed/);
            // body KiB, first scrape ms, median ms and req/s are numbers; 8 scrapers at every size.
            for (const i of [4, 6, 7, 11]) assert.match(row[i], /^[\d,.]+$/, row.join(" | "));
            assert.equal(row[10], "8", row.join(" | "));
          }
        }
      }
      assert.match(md, /## Exporter ÷ passthrough/);
      assert.match(md, /## `\/-\/healthy` while a scrape runs/);
      assert.ok(rows.some((r) => r[1] === "passthrough" && r[0] === "10"), "no passthrough probe row");
      // Issue 13's targets are at 1k series and more: at 10 the table lists every one as not measured.
      assert.match(md, /## Targets \(issue 13\), exporter/);
      const targets = rows.filter((r) => /^(100k|1M|1k|10k) (text series|JSON keys)/.test(r[0]));
      assert.ok(targets.length >= 17, `${targets.length} target rows in:\n${md}`);
      for (const r of targets) assert.equal(r[5], "not measured", r.join(" | "));
      const json = JSON.parse(await Deno.readTextFile(out.replace(/\.md$/, ".json")));
      assert.equal(json.rows.length, 10);
    } finally {
      await Deno.remove(out);
      await Deno.remove(out.replace(/\.md$/, ".json")).catch(() => {});
    }
  },
});

Deno.test({
  name:
    "bench/system/experiments/first_scrapes.ts probes /-/healthy through a fresh exporter's first scrapes",
  // Subprocesses and sockets outlive single awaits here; each is stopped by the experiment itself.
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const res = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL("../../bench/system/experiments/first_scrapes.ts", import.meta.url).pathname,
        "--series",
        "100",
        "--runs",
        "1",
      ],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    assert.equal(res.code, 0, dec.decode(res.stderr));
    const rows = dec.decode(res.stdout).split("\n").filter((l) => /^\| this tree \|/.test(l));
    // Text and JSON, three scrapes each, every cell a number.
    assert.equal(rows.length, 6, dec.decode(res.stdout));
    for (const r of rows) assert.match(r, /^\| this tree \| (text|json) \| [123] \| [\d.]+ \| [\d.]+ \|$/, r);
  },
});
