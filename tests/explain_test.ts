import assert from "node:assert/strict";
import { run, type RunIO } from "../main.ts";
import { parseCommandLine } from "../src/cli/mod.ts";
import { parseConfigText } from "../src/config/load.ts";
import { explainTarget } from "../src/explain.ts";
import { flattenJson } from "../src/formats/json/mod.ts";
import { parsePrometheusText } from "../src/formats/text/mod.ts";
import { compileTarget, decodeTarget } from "../src/scrape/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const value: RunIO = { env: {}, stdout: (t) => out.push(t), stderr: (t) => err.push(t), cwd: ROOT };
  return { io: value, out, err };
}

/** Writes files into a fresh temp directory, removed by `await using`. */
async function files(contents: Record<string, string>) {
  const dir = await Deno.makeTempDir({ prefix: "prom-exporter-explain-" });
  for (const [name, text] of Object.entries(contents)) await Deno.writeTextFile(`${dir}/${name}`, text);
  return { dir, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

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
  labels: service="foo"
  => requests{service="foo"} 100

requests_status_2xx (untyped, 1 series)
  rules[1] match "requests_status_(?<code>[0-9]xx)": label code="2xx", name "requests_by_status", type counter, help "Requests answered, by status class."
  counter: "_total" appended: requests_by_status => requests_by_status_total
  labels: service="foo"
  merged into family "requests_by_status" with requests_status_4xx, requests_status_5xx
  => requests_by_status_total{code="2xx",service="foo"} 90

requests_status_4xx (untyped, 1 series)
  rules[1] match "requests_status_(?<code>[0-9]xx)": label code="4xx", name "requests_by_status", type counter, help "Requests answered, by status class."
  counter: "_total" appended: requests_by_status => requests_by_status_total
  labels: service="foo"
  merged into family "requests_by_status" with requests_status_2xx, requests_status_5xx
  => requests_by_status_total{code="4xx",service="foo"} 3

requests_status_5xx (untyped, 1 series)
  rules[1] match "requests_status_(?<code>[0-9]xx)": label code="5xx", name "requests_by_status", type counter, help "Requests answered, by status class."
  counter: "_total" appended: requests_by_status => requests_by_status_total
  labels: service="foo"
  merged into family "requests_by_status" with requests_status_2xx, requests_status_4xx
  => requests_by_status_total{code="5xx",service="foo"} 7

uptime_sec (untyped, 1 series)
  rules[3] rename: "uptime_sec" -> "uptime_seconds"
  labels: service="foo"
  => uptime_seconds{service="foo"} 123

exclude_me (untyped, 1 series)
  rules[0] exclude: "exclude_me" matches "exclude_me": dropped

request_p99 (untyped, 1 series)
  rules[2] match "request_(?<latency>p[0-9]+)": label latency="p99", name "request_latency_seconds", help "Upstream metrics matching \\"request_(?<latency>p[0-9]+)\\""
  labels: service="foo"
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
  counter: "_total" appended: ab => ab_total
  metric_relabel_configs[0] drop: ab_total{k="drop"}: dropped
  metric_relabel_configs: 1 of 2 series dropped
  merged into family "ab" with b_total
  duplicate: ab_total{k="x"} also comes from b_total: on_duplicate error fails the scrape
  => ab_total{k="x"} 1

b_total (counter, 1 series)
  rules[0] match "(a|b)_total": name "ab"
  counter: "_total" appended: ab => ab_total
  merged into family "ab" with a_total
  duplicate: ab_total{k="x"} also comes from a_total: on_duplicate error fails the scrape
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

Deno.test("explainTarget() lists every step: include kept, labels, each relabel rule before => after, namespace, merge, duplicate", () => {
  const text = `targets:
  - name: node
    url: http://127.0.0.1:9100/metrics
    labels: { instance: host1 }
    namespace: host
    on_duplicate: sum
    rules:
      - include: ["go_*", "node_*"]
      - match: "node_cpu_seconds_total"
        type: gauge
    metric_relabel_configs:
      - action: lowercase
        source_labels: [__name__]
        target_label: __name__
      - source_labels: [device]
        regex: lo
        action: drop
`;
  const families = parsePrometheusText(
    `# TYPE node_memory_MemAvailable_bytes gauge
node_memory_MemAvailable_bytes{instance="x"} 1500
node_memory_MemAvailable_bytes 957
# TYPE node_memory_memavailable_bytes gauge
node_memory_memavailable_bytes 43
# TYPE node_network_receive_bytes counter
node_network_receive_bytes_total{device="lo"} 10
node_network_receive_bytes_total{device="eth0"} 20
# TYPE node_cpu_seconds counter
node_cpu_seconds_total 5
node_cpu_seconds_created 1700000000
# TYPE up gauge
up 1
`,
    "prometheus",
  );
  const report = explainTarget(load("node.yaml", text), families, { asSent: true });
  assert.equal(
    report,
    `Target "node" (http://127.0.0.1:9100/metrics): 5 upstream metrics, 4 kept, 1 dropped

node_memory_MemAvailable_bytes (gauge, 2 series)
  rules[0] include: "node_*" matches "node_memory_MemAvailable_bytes": kept
  labels: instance="host1" (upstream label instance kept as exported_instance)
  metric_relabel_configs[0] lowercase: node_memory_MemAvailable_bytes{exported_instance="x",instance="host1"} => node_memory_memavailable_bytes{exported_instance="x",instance="host1"}
  metric_relabel_configs[0] lowercase: node_memory_MemAvailable_bytes{instance="host1"} => node_memory_memavailable_bytes{instance="host1"}
  namespace "host": node_memory_memavailable_bytes => host_node_memory_memavailable_bytes
  merged into family "host_node_memory_memavailable_bytes" with node_memory_memavailable_bytes
  duplicate: host_node_memory_memavailable_bytes{instance="host1"} also comes from node_memory_memavailable_bytes: on_duplicate sum adds the values
  => host_node_memory_memavailable_bytes{exported_instance="x",instance="host1"} 1500
  => host_node_memory_memavailable_bytes{instance="host1"} 957

node_memory_memavailable_bytes (gauge, 1 series)
  rules[0] include: "node_*" matches "node_memory_memavailable_bytes": kept
  labels: instance="host1"
  namespace "host": node_memory_memavailable_bytes => host_node_memory_memavailable_bytes
  merged into family "host_node_memory_memavailable_bytes" with node_memory_MemAvailable_bytes
  duplicate: host_node_memory_memavailable_bytes{instance="host1"} also comes from node_memory_MemAvailable_bytes: on_duplicate sum adds the values
  => host_node_memory_memavailable_bytes{instance="host1"} 43

node_network_receive_bytes_total (counter, 2 series)
  rules[0] include: "node_*" matches "node_network_receive_bytes_total": kept
  labels: instance="host1"
  metric_relabel_configs[1] drop: node_network_receive_bytes_total{device="lo",instance="host1"}: dropped
  metric_relabel_configs: 1 of 2 series dropped
  namespace "host": node_network_receive_bytes => host_node_network_receive_bytes
  => host_node_network_receive_bytes_total{device="eth0",instance="host1"} 20

node_cpu_seconds_total (counter, 2 series)
  rules[0] include: "node_*" matches "node_cpu_seconds_total": kept
  rules[1] match "node_cpu_seconds_total": type gauge
  no longer a counter: 1 _created series dropped
  labels: instance="host1"
  namespace "host": node_cpu_seconds_total => host_node_cpu_seconds_total
  => host_node_cpu_seconds_total{instance="host1"} 5

up (gauge, 1 series)
  rules[0] include: "up" matches none of "go_*", "node_*": dropped

Result: 3 families, 4 series
`,
  );
});

Deno.test("explainTarget() reports duplicates within one metric resolved by on_duplicate", () => {
  const text = `targets:
  - name: app
    url: http://127.0.0.1:8080/metrics
    on_duplicate: last
    metric_relabel_configs:
      - action: labeldrop
        regex: pod
`;
  const families = parsePrometheusText('# TYPE q gauge\nq{pod="a"} 1\nq{pod="b"} 2\n', "prometheus");
  const report = explainTarget(load("app.yaml", text), families, { asSent: true });
  assert.match(report, /^ {2}metric_relabel_configs\[0\] labeldrop: q\{pod="a"\} => q$/m);
  assert.match(report, /^ {2}duplicate: q twice in this metric: on_duplicate last keeps the last$/m);
  assert.match(report, /^ {2}=> q 2$/m);
});

const JSON_CONFIG = `targets:
  - name: queues
    url: http://127.0.0.1:15672/api/queues
    format: json
    json:
      - name: queues_total
        count: "$.queues[*]"
      - path: "$.queues[*]"
        labels: { queue: "@.name" }
        metrics:
          - { name: queue_messages, value: "@.messages" }
          - path: "@.consumers[*]"
            metrics: [{ name: consumer_prefetch, value: "@.prefetch" }]
      - name: queue_depth
        path: "$.foo[*]"
      - name: health
        value: "$.status"
`;

Deno.test("run() explain and check --input name each JSON entry that selected nothing", async () => {
  await using f = await files({
    "c.yaml": JSON_CONFIG,
    "body.json": JSON.stringify({ queues: [{ name: "a", messages: 3, consumers: [] }] }),
    "page.html": "<!DOCTYPE html><html><body>Sign in</body></html>",
  });
  const warnings = [
    'json[1].metrics[1] path "@.consumers[*]" selected nothing',
    'json[2] path "$.foo[*]" selected nothing',
    'json[3] name "health": value "$.status" gave no series (missing, null or not usable)',
  ];
  const explain = io();
  const args = ["--config.file", `${f.dir}/c.yaml`, "--input", `${f.dir}/body.json`];
  assert.equal(await run(["explain", ...args], explain.io), 0, explain.err.join(""));
  assert.ok(
    explain.out.join("").includes(`dropped\n\n${warnings.join("\n")}\n\nqueues_total`),
    explain.out.join(""),
  );

  const check = io();
  assert.equal(await run(["check", ...args], check.io), 0, check.err.join(""));
  assert.deepEqual(
    check.err.join("").split("\n").filter((l) => l.includes("json[")),
    warnings.map((w) => `warning: target "queues": ${w}`),
  );
  assert.match(check.out.join(""), /is valid: 1 target\(s\)/);
  assert.match(
    check.out.join(""),
    /^Input ".*body\.json" decoded for target "queues": 2 families, 3 warnings$/m,
  );

  const html = io();
  assert.equal(
    await run(["check", "--config.file", `${f.dir}/c.yaml`, "--input", `${f.dir}/page.html`], html.io),
    1,
  );
  assert.equal(
    html.err.join(""),
    `prom-exporter: target "queues": Cannot decode "${f.dir}/page.html": the upstream answered an HTML page, not metrics (wrong URL or a login page?)\n`,
  );
});

Deno.test("run() explain --metric shows only the upstream metrics matching a glob, by upstream or output name", async () => {
  await using f = await files({
    "body.json": JSON.stringify({ requests: 1, requests_status_2xx: 2, uptime_sec: 3, exclude_me: 4 }),
  });
  const shown = async (...globs: string[]) => {
    const t = io();
    const args = ["explain", "--config.file", "examples/seed.yaml", "--input", `${f.dir}/body.json`];
    assert.equal(await run([...args, ...globs.flatMap((g) => ["--metric", g])], t.io), 0, t.err.join(""));
    const out = t.out.join("");
    return { out, heads: [...out.matchAll(/^(\w+) \(untyped/gm)].map((m) => m[1]) };
  };
  assert.deepEqual((await shown()).heads, ["requests", "requests_status_2xx", "uptime_sec", "exclude_me"]);
  assert.deepEqual((await shown("requests_*")).heads, ["requests_status_2xx"]);
  // The output name: uptime_sec becomes uptime_seconds; `?` is one character.
  assert.deepEqual((await shown("uptime_second?", "exclude_m?")).heads, ["uptime_sec", "exclude_me"]);
  assert.deepEqual((await shown("requests_by_status_total")).heads, ["requests_status_2xx"]);
  const none = await shown("nothing.*");
  assert.deepEqual(none.heads, []);
  assert.match(none.out, /; none matches --metric "nothing\.\*"\n/);
  assert.match(
    (await shown("req*")).out,
    /4 upstream metrics, 3 kept, 1 dropped; 2 shown \(--metric "req\*"\)/,
  );
});

Deno.test("run() explain names name_from, group_by and recurse entries that read nothing, and shows their series", async () => {
  await using f = await files({
    "c.yaml": `targets:
  - name: app
    url: http://127.0.0.1:8080/stats.json
    format: json
    json:
      - path: "$.stats[*]"
        metrics: [{ name_from: "@.Name", name_case: snake, value: "@.Value" }]
      - { name: tasks, count: "$.tasks[*]", group_by: "@.Status" }
      - path: "$.components.*"
        recurse: components
        labels: { component: "@keypath" }
        metrics: [{ name: up, value: "@.status", value_map: { UP: 1, "*": 0 } }]
`,
    "body.json": JSON.stringify({ stats: [{ Name: "BytesIn", Value: 3 }, { Name: 7, Value: 1 }] }),
  });
  const explain = io();
  const args = ["explain", "--config.file", `${f.dir}/c.yaml`, "--input", `${f.dir}/body.json`];
  assert.equal(await run(args, explain.io), 0, explain.err.join(""));
  const out = explain.out.join("");
  for (
    const line of [
      'json[0].metrics[0] name_from "@.Name": no name in 1 of 2 nodes (missing, not a string, or nothing left after sanitising)',
      'json[1] name "tasks": count "$.tasks[*]" group_by "@.Status" gave no series (missing, null or not usable)',
      'json[2] path "$.components.*" (recurse "components") selected nothing',
    ]
  ) assert.ok(out.includes(line), out);
  assert.match(out, /bytes_in/);
});
