/**
 * End to end against a real Prometheus (Debian's 2.42): it scrapes the exporter over TCP in both formats and
 * we read back what it stored through its HTTP API.
 */

import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/mod.ts";
import { configFromFlags } from "../../src/config/from_flags.ts";
import { SelfMetrics } from "../../src/exposition/self_metrics.ts";
import { createLogger } from "../../src/log.ts";
import { compileTarget, withMemo, withRelay } from "../../src/scrape/mod.ts";
import { createHandler } from "../../src/server/mod.ts";
import { staticRuntime } from "../../src/server/runtime.ts";
import { freePort, serveUpstream } from "../_lib/helpers.ts";
import { REQUIRE_E2E } from "../_lib/validators.ts";

const PROMETHEUS = "/usr/bin/prometheus";

function have(cmd: string): boolean {
  try {
    return new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

/** The upstream page: hostile label values, special floats, a counter, a histogram, a HELP with escapes. */
const FIXTURE = `# HELP hostile_labels Label values that need escaping.
# TYPE hostile_labels gauge
hostile_labels{path="C:\\\\dir\\\\file",quote="say \\"hi\\"",nl="line1\\nline2",uni="héllo ☃"} 1
# HELP special_values Special floats.
# TYPE special_values gauge
special_values{kind="nan"} NaN
special_values{kind="pinf"} +Inf
special_values{kind="ninf"} -Inf
special_values{kind="tiny"} 1.5e-3
# HELP jobs_processed_total Jobs processed.
# TYPE jobs_processed_total counter
jobs_processed_total{queue="a"} 42
# HELP latency_seconds A histogram.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 1
latency_seconds_bucket{le="1"} 3
latency_seconds_bucket{le="+Inf"} 4
latency_seconds_sum 2.5
latency_seconds_count 4
# HELP help_escapes A help with \\\\ backslash, \\n a newline and "quotes".
# TYPE help_escapes gauge
help_escapes 7
`;

/** What Prometheus must store for the fixture (plus service="foo", job and instance), values as the API spells them. */
const EXPECTED: [Record<string, string>, string][] = [
  [{
    __name__: "hostile_labels",
    path: "C:\\dir\\file",
    quote: 'say "hi"',
    nl: "line1\nline2",
    uni: "héllo ☃",
  }, "1"],
  [{ __name__: "special_values", kind: "nan" }, "NaN"],
  [{ __name__: "special_values", kind: "pinf" }, "+Inf"],
  [{ __name__: "special_values", kind: "ninf" }, "-Inf"],
  [{ __name__: "special_values", kind: "tiny" }, "0.0015"],
  [{ __name__: "jobs_processed_total", queue: "a" }, "42"],
  [{ __name__: "latency_seconds_bucket", le: "0.1" }, "1"],
  [{ __name__: "latency_seconds_bucket", le: "1" }, "3"],
  [{ __name__: "latency_seconds_bucket", le: "+Inf" }, "4"],
  [{ __name__: "latency_seconds_sum" }, "2.5"],
  [{ __name__: "latency_seconds_count" }, "4"],
  [{ __name__: "help_escapes" }, "7"],
];

const JOBS = [
  { job: "negotiated", params: "" },
  { job: "text", params: "format: [text]" },
  { job: "openmetrics", params: "format: [openmetrics]" },
];

async function api<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`);
  const body = await res.json();
  assert.equal(body.status, "success", JSON.stringify(body));
  return body.data as T;
}

/** Canonical key of a series without Prometheus's target labels; `le` compared as a number. */
function key(labels: Record<string, string>): string {
  const copy: Record<string, string> = { ...labels };
  delete copy.job;
  delete copy.instance;
  delete copy.service;
  if (copy.le !== undefined) copy.le = String(Number(copy.le.replace("+Inf", "Infinity")));
  return JSON.stringify(Object.keys(copy).sort().map((k) => [k, copy[k]]));
}

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
}

const available = have(PROMETHEUS);
if (!available && REQUIRE_E2E) {
  Deno.test("a real Prometheus scrapes the exporter (prometheus missing)", () => {
    throw new Error(`Required tool missing: ${PROMETHEUS} (REQUIRE_E2E=1)`);
  });
}

Deno.test({
  name: "a real Prometheus 2.42 scrapes the exporter in both formats and stores every sample exactly",
  ignore: !available,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using up = serveUpstream({
      "/metrics": new Response(FIXTURE, { headers: { "content-type": "text/plain; version=0.0.4" } }),
    });
    const inv = parseCommandLine(["start", "-s", "foo", "-u", `${up.origin}/metrics`], {});
    assert.ok(inv.kind === "run");
    // With the memo and the relay, as `start` makes its targets: once the memo answers, each answer is a
    // shared part and the request's own families, gzipped as one member of two deflates (src/exposition/gzip.ts).
    const target = withRelay(
      withMemo(compileTarget(configFromFlags(inv.flags, `${up.origin}/metrics`).targets[0])),
    );
    const logs: string[] = [];
    const runtime = staticRuntime([target]);
    const handler = createHandler({
      runtime: () => runtime,
      self: new SelfMetrics({ version: "e2e", targets: ["foo"] }),
      log: createLogger({ level: "info", format: "logfmt", write: (l) => logs.push(l) }),
      version: "e2e",
    });
    const stopExporter = new AbortController();
    const exporter = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: stopExporter.signal, onListen: () => {} },
      handler,
    );
    const exporterAddr = `127.0.0.1:${exporter.addr.port}`;

    const dir = await Deno.makeTempDir({ prefix: "prom-e2e-" });
    const jobs = JOBS.map(({ job, params }) =>
      `  - job_name: ${job}\n    scrape_interval: 1s\n    scrape_timeout: 1s\n` +
      (params ? `    params:\n      ${params}\n` : "") +
      `    static_configs:\n      - targets: ["${exporterAddr}"]\n`
    ).join("");
    await Deno.writeTextFile(
      `${dir}/prometheus.yml`,
      `global:\n  scrape_interval: 1s\nscrape_configs:\n${jobs}`,
    );
    const promPort = freePort();
    const base = `http://127.0.0.1:${promPort}`;
    const prometheus = new Deno.Command(PROMETHEUS, {
      args: [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--log.level=warn",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();

    try {
      // Wait (bounded) until every job has scraped successfully at least twice.
      const deadline = Date.now() + 40_000;
      let targets: Target[] = [];
      let scrapes = 0;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        try {
          targets = (await api<{ activeTargets: Target[] }>(base, "/api/v1/targets")).activeTargets;
          const counts = await api<{ result: { value: [number, string] }[] }>(
            base,
            "/api/v1/query?query=" + encodeURIComponent("min(count_over_time(up[1m]))"),
          );
          scrapes = Number(counts.result[0]?.value[1] ?? 0);
        } catch {
          continue; // not up yet
        }
        if (targets.length === JOBS.length && targets.every((t) => t.health === "up") && scrapes >= 2) break;
      }
      assert.equal(targets.length, JOBS.length);
      for (const t of targets) {
        assert.equal(t.health, "up", `${t.labels.job}: ${t.lastError}`);
        assert.equal(t.lastError, "", t.labels.job);
      }

      for (const { job } of JOBS) {
        const query = encodeURIComponent(`{job="${job}",service="foo"}`);
        const stored = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
          base,
          `/api/v1/query?query=${query}`,
        );
        const got = new Map(stored.result.map((r) => [key(r.metric), r.value[1]]));
        for (const [labels, value] of EXPECTED) {
          assert.equal(got.get(key(labels)), value, `${job}: ${JSON.stringify(labels)}`);
        }
        const up = await api<{ result: { value: [number, string] }[] }>(
          base,
          `/api/v1/query?query=${encodeURIComponent(`prom_exporter_up{job="${job}"}`)}`,
        );
        assert.equal(up.result[0]?.value[1], "1", `${job}: prom_exporter_up`);
      }

      const own = await (await fetch(`${base}/metrics`)).text();
      for (
        const counter of [
          "prometheus_target_scrapes_sample_out_of_bounds_total",
          "prometheus_target_scrapes_sample_duplicate_timestamp_total",
          "prometheus_target_scrapes_sample_out_of_order_total",
        ]
      ) {
        const line = own.split("\n").find((l) => l.startsWith(counter + " "));
        assert.equal(line, `${counter} 0`, counter);
      }
      assert.deepEqual(logs, [], "the exporter logged no failed scrape");
      assert.ok((target.memo?.stats.hits ?? 0) > 0, "some answers were written from the memo");
    } finally {
      prometheus.kill("SIGTERM");
      await prometheus.status;
      await prometheus.stderr.cancel();
      stopExporter.abort();
      await exporter.finished;
      await Deno.remove(dir, { recursive: true });
    }
  },
});
