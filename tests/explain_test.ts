import assert from "node:assert/strict";
import { parseCommandLine } from "../src/cli.ts";
import { parseConfigText } from "../src/config/load.ts";
import { explainTarget } from "../src/explain.ts";
import { flattenJson } from "../src/formats/json_flat.ts";
import { parsePrometheusText } from "../src/formats/prometheus_text.ts";
import { compileTarget, decodeTarget } from "../src/scrape.ts";

const ROOT = new URL("../", import.meta.url).pathname;

function load(file: string, text = Deno.readTextFileSync(ROOT + file)) {
  const inv = parseCommandLine(["explain", "--config.file", file], {});
  if (inv.kind !== "run") throw new Error("unreachable");
  return compileTarget(parseConfigText(text, file, inv.flags, ROOT).targets[0]);
}

Deno.test("explainTarget() shows, for the seed, the rules that touched each metric and what it became", () => {
  const target = load("examples/seed.yaml");
  const doc = { ...JSON.parse(Deno.readTextFileSync(ROOT + "examples/seed.json")), request_p99: 0.25 };
  const report = explainTarget(target, flattenJson(JSON.stringify(doc)).families);
  assert.equal(
    report,
    `Target "foo" (http://127.0.0.1:8080/stats.json): 7 upstream metrics, 6 kept, 1 dropped

requests (untyped, 1 series)
  no rule matched
  => requests{service="foo"} 100

requests_status_2xx (untyped, 1 series)
  rules[1] match "requests_status_(?<code>[0-9]xx)": label code="2xx", name "requests_by_status", type counter, help "Requests answered, by status class."
  => requests_by_status_total{code="2xx",service="foo"} 90

requests_status_4xx (untyped, 1 series)
  rules[1] match "requests_status_(?<code>[0-9]xx)": label code="4xx", name "requests_by_status", type counter, help "Requests answered, by status class."
  => requests_by_status_total{code="4xx",service="foo"} 3

requests_status_5xx (untyped, 1 series)
  rules[1] match "requests_status_(?<code>[0-9]xx)": label code="5xx", name "requests_by_status", type counter, help "Requests answered, by status class."
  => requests_by_status_total{code="5xx",service="foo"} 7

uptime_sec (untyped, 1 series)
  rules[3] rename: "uptime_sec" -> "uptime_seconds"
  => uptime_seconds{service="foo"} 123

exclude_me (untyped, 1 series)
  rules[0] exclude: "exclude_me" matches "exclude_me": dropped

request_p99 (untyped, 1 series)
  rules[2] match "request_(?<latency>p[0-9]+)": label latency="p99", name "request_latency_seconds", help "Upstream metrics matching \\"request_(?<latency>p[0-9]+)\\""
  => request_latency_seconds{latency="p99",service="foo"} 0.25

Result: 4 families, 6 series
`,
  );
});

Deno.test("explainTarget() reports relabel drops, ignored types and a failing duplicate", () => {
  const text = `targets:
  - name: app
    url: http://127.0.0.1:8080/metrics
    rules:
      - match: "(a|b)_total"
        name: ab
      - match: lat
        type: gauge
    metric_relabel_configs:
      - source_labels: [k]
        regex: drop
        action: drop
`;
  const families = parsePrometheusText(
    `# TYPE a_total counter
a_total{k="x"} 1
a_total{k="drop"} 2
# TYPE b_total counter
b_total{k="x"} 3
# TYPE lat histogram
lat_bucket{le="+Inf"} 1
lat_sum 0.5
lat_count 1
`,
    "prometheus",
  );
  const report = explainTarget(load("app.yaml", text), families);
  assert.equal(
    report,
    `Target "app" (http://127.0.0.1:8080/metrics): 3 upstream metrics, 3 kept, 0 dropped

a_total (counter, 2 series)
  rules[0] match "(a|b)_total": name "ab"
  metric_relabel_configs: 1 of 2 series dropped
  => ab_total{k="x"} 1

b_total (counter, 1 series)
  rules[0] match "(a|b)_total": name "ab"
  => ab_total{k="x"} 3

lat (histogram, 3 series)
  rules[1] match "lat": type gauge ignored (a histogram keeps its type)
  => lat_bucket{le="+Inf"} 1
  => lat_sum 0.5
  => lat_count 1

Result: the scrape fails (prom_exporter_up 0): Duplicate series "ab_total{k="x"}" after the rules; see "on_duplicate" in docs/CONFIG.md
`,
  );
});

Deno.test("decodeTarget() gives explain the upstream's own families from a saved body", async () => {
  const target = load("examples/seed.yaml");
  const bytes = new TextEncoder().encode('{"exclude_me": 1, "x": 2}');
  const decoded = await decodeTarget(target, {
    signal: AbortSignal.timeout(1000),
    body: { bytes, contentType: null },
  });
  assert.deepEqual(decoded.families.map((f) => f.name), ["exclude_me", "x"]);
  assert.match(
    explainTarget(target, decoded.families),
    /exclude_me \(untyped, 1 series\)\n {2}rules\[0\] exclude/,
  );
});
