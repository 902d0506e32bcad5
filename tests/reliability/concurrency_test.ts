/**
 * Item 4 of issue 6 (RELIABILITY.md C1, L1): 64 concurrent scrapers against `main.ts start` (a subprocess)
 * whose config mixes healthy and faulty upstreams, for 5 s quick and 60 s in the full run. Every answer must
 * be a 200 with a well-formed exposition, `up 1` for every healthy upstream and `up 0` for every faulty one,
 * and all values of one upstream must carry one generation number (one snapshot per answer). The server's
 * RSS, sampled every second, must plateau.
 *
 * @module
 */

import assert from "node:assert/strict";
import { assertWellFormed } from "../_lib/validators.ts";
import { FaultServer, refusedUrl } from "../_lib/fault_server.ts";
import {
  FULL,
  memoryAllowance,
  quantile,
  record,
  round,
  rssOf,
  samples,
  size,
  sleep,
  spawnStart,
  tempFile,
} from "../_lib/harness.ts";

const SCRAPERS = 64;

/** Upstreams: name, path on the fault server (or a refused URL), whether it is healthy. */
const UPSTREAMS: readonly [name: string, path: string, healthy: boolean][] = [
  ["text", "/ok?fmt=text&series=40&chunks=4", true],
  ["openmetrics", "/ok?fmt=om&series=40&chunks=4", true],
  ["json", "/ok?fmt=json&series=40&chunks=4", true],
  ["slow_text", "/ok?fmt=text&series=10&delay=100&chunks=2", true],
  ["status_500", "/status/500", false],
  ["garbage", "/garbage", false],
  ["refused", "REFUSED", false],
  ["too_large", "/big-chunked", false],
];

Deno.test(`concurrency: ${SCRAPERS} scrapers for ${size(5, 60)} s over healthy and faulty upstreams`, async () => {
  const durationMs = size(5_000, 60_000);
  await using up = FaultServer.start({ maxRecorded: 100 });
  const lines = ["targets:"];
  for (const [name, path] of UPSTREAMS) {
    const url = path === "REFUSED" ? refusedUrl("/metrics") : up.url(path);
    lines.push(
      `  - name: ${name}`,
      `    url: "${url}"`,
      `    labels: { upstream: ${name} }`,
      "    max_body_bytes: 1048576",
    );
  }
  await using config = await tempFile(lines.join("\n") + "\n");
  await using main = await spawnStart(["--config.file", config.path, "--web.max-requests", "100"]);
  const url = `${main.origin}/metrics`;
  const problems: string[] = [];
  const latencies: number[] = [];
  const rss: number[] = [];
  let answers = 0;
  let checkedWellFormed = 0;
  const generations = new Set<number>();
  const started = performance.now();
  const sampler = (async () => {
    while (performance.now() - started < durationMs) {
      const r = rssOf(main.pid);
      if (r !== undefined) rss.push(r);
      await sleep(1_000);
    }
  })();
  const scraper = async (id: number) => {
    const om = id % 2 === 1;
    while (performance.now() - started < durationMs && problems.length < 20) {
      const t0 = performance.now();
      let text: string;
      try {
        const res = await fetch(url, {
          headers: {
            "x-prometheus-scrape-timeout-seconds": "5",
            accept: om ? "application/openmetrics-text; version=1.0.0" : "text/plain",
          },
        });
        text = await res.text();
        if (res.status !== 200) {
          problems.push(`status ${res.status}: ${text.slice(0, 200)}`);
          continue;
        }
      } catch (e) {
        problems.push(`request failed: ${(e as Error).message}`);
        continue;
      }
      latencies.push(performance.now() - t0);
      const n = ++answers;
      if (n % 25 === 0) {
        try {
          assertWellFormed(text, om ? "openmetrics" : "text");
          checkedWellFormed++;
        } catch (e) {
          problems.push(`malformed exposition: ${(e as Error).message}`);
        }
      }
      const all = samples(text);
      for (const [name, , healthy] of UPSTREAMS) {
        const upValue = all.find((s) => s.name === "prom_exporter_up" && s.labels.upstream === name)?.value;
        if (upValue !== (healthy ? 1 : 0)) problems.push(`${name}: prom_exporter_up ${upValue}`);
        if (!healthy) continue;
        const values = new Set(
          all.filter((s) => s.labels.upstream === name && !s.name.startsWith("prom_exporter_")).map((s) =>
            s.value
          ),
        );
        if (values.size !== 1) problems.push(`${name}: values from ${values.size} snapshots: ${[...values]}`);
        for (const v of values) generations.add(v);
      }
    }
  };
  await Promise.all(Array.from({ length: SCRAPERS }, (_, i) => scraper(i)));
  await sampler;
  // The plateau compares the medians of the middle and the last third. Maxima were compared before and failed
  // in CI on single-second spikes (measured locally: 281 and 290 MiB in one or two samples over a 255-262 MiB
  // plateau). A leak moves the median as much as the maximum: growth that is linear in the work shifts the
  // median of a third by the growth over a third.
  const third = Math.max(1, Math.floor(rss.length / 3));
  const middleMedian = quantile(rss.slice(third, 2 * third), 0.5);
  const lastMedian = quantile(rss.slice(2 * third), 0.5);
  const upstreamRequests = up.requestCount;
  record(`C1/L1 ${SCRAPERS} scrapers`, {
    server_rss_series_mib: rss.map((r) => round(r / 2 ** 20, 0)).join(" "),
    seconds: round((performance.now() - started) / 1000),
    answers,
    answers_per_s: round(answers / (durationMs / 1000)),
    p50_ms: round(quantile(latencies, 0.5)),
    p99_ms: round(quantile(latencies, 0.99)),
    max_ms: round(Math.max(...latencies)),
    upstream_requests: upstreamRequests,
    upstream_requests_per_answer: round(upstreamRequests / Math.max(1, answers), 2),
    distinct_generations: generations.size,
    well_formed_checked: checkedWellFormed,
    problems: problems.length,
    server_rss_first_mib: round((rss[0] ?? 0) / 2 ** 20),
    server_rss_middle_median_mib: round(middleMedian / 2 ** 20),
    server_rss_last_median_mib: round(lastMedian / 2 ** 20),
    server_rss_max_mib: round(Math.max(...rss) / 2 ** 20),
  });
  assert.deepEqual(problems, []);
  assert.ok(answers > SCRAPERS, `only ${answers} answers`);
  // 5 s is all warm-up (V8 heap sizing); the plateau is judged on the full run's 60 s.
  if (FULL) {
    assert.ok(
      lastMedian - middleMedian <= memoryAllowance(middleMedian),
      `server RSS still rising: ${rss.map((r) => round(r / 2 ** 20))}`,
    );
  }
});
