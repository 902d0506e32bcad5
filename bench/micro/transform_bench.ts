/**
 * The transform hot path: 100k samples through a typical rule set, and a JSON mapping of 10k array elements.
 * Run: `deno bench -A bench/micro/transform_bench.ts`.
 *
 * @module
 */

import type { JsonEntry, RuleConfig, TargetConfig } from "../../src/config/types.ts";
import { compileJsonMapping } from "../../src/formats/json/mod.ts";
import type { MetricFamily } from "../../src/model.ts";
import { compileTransform } from "../../src/transform/mod.ts";

const RULES: RuleConfig[] = [
  { kind: "exclude", patterns: ["go_*", "process_*", "/promhttp_.+/"] },
  { kind: "include", patterns: ["app_*", "/http_.+/"] },
  {
    kind: "match",
    match: "app_(?<kind>[a-z]+)_latency_ms",
    name: "app_latency_seconds",
    scale: 0.001,
    labels: {},
  },
  { kind: "match", match: "app_(.+)_count", name: "app_${1}", type: "counter", labels: {} },
  { kind: "rename", map: { app_up_sec: "app_uptime_seconds" } },
];

function target(over: Partial<TargetConfig> = {}): TargetConfig {
  return {
    name: "bench",
    url: "http://127.0.0.1:1/",
    labels: { service: "bench" },
    format: "auto",
    namespace: "svc",
    rules: RULES,
    metricRelabelConfigs: [],
    onDuplicate: "error",
    timeoutMs: 1000,
    maxBodyBytes: 1 << 24,
    ...over,
  };
}

/** 1000 families of 100 samples (three labels each): 100k samples, 1/10 of them dropped by the rules. */
function families(): MetricFamily[] {
  const out: MetricFamily[] = [];
  const kinds = ["app_x%_latency_ms", "app_y%_count", "http_z%_bytes", "app_w%_value", "go_v%_things"];
  for (let f = 0; f < 1000; f++) {
    const name = kinds[f % kinds.length].replace("%", String(f)).replace(
      /[0-9]+/,
      (d) => "abcdefghij"[Number(d) % 10],
    );
    const fam: MetricFamily = { name: `${name}_${f}`, type: "gauge", help: "h", unit: "", samples: [] };
    for (let i = 0; i < 100; i++) {
      fam.samples.push({
        name: fam.name,
        labels: ["code", String(200 + (i % 5)), "handler", `/h${i}`, "method", i % 2 ? "GET" : "POST"],
        value: i,
      });
    }
    out.push(fam);
  }
  return out;
}

const INPUT = families();
const SAMPLES = INPUT.reduce((n, f) => n + f.samples.length, 0);
const plain = compileTransform(target());
const relabel = compileTransform(target({
  metricRelabelConfigs: [
    { source_labels: ["code"], regex: "([0-9])..", target_label: "code", replacement: "${1}xx" },
    { action: "labeldrop", regex: "method" },
  ],
  onDuplicate: "sum",
}));

Deno.bench(`transform: ${SAMPLES} text samples, 5 rules, namespace, static label`, {
  group: "transform",
  baseline: true,
}, () => {
  plain.apply(INPUT, { asSent: true });
});

Deno.bench(
  "transform: the same, every series checked for duplicates (as for JSON)",
  { group: "transform" },
  () => {
    plain.apply(INPUT);
  },
);

Deno.bench("transform: the same plus 2 relabel configs and on_duplicate sum", { group: "transform" }, () => {
  relabel.apply(INPUT, { asSent: true });
});

const QUEUES = Array.from({ length: 10_000 }, (_, i) => ({
  name: `q${i}`,
  vhost: i % 3 ? "/" : "mail",
  state: i % 7 ? "running" : "idle",
  messages: i,
  messages_ready: i,
  messages_unacknowledged: 0,
  consumers: i % 4,
  memory: 1000 + i,
  message_stats: { publish: i * 10 },
}));
const MAPPING: JsonEntry[] = [{
  kind: "group",
  path: "$[*]",
  labels: { vhost: "@.vhost", queue: "@.name" },
  skipKeys: [],
  metrics: [
    "messages",
    "messages_ready",
    "messages_unacknowledged",
    "consumers",
    "memory",
    "message_stats.publish",
  ].map(
    (field): JsonEntry => ({
      kind: "metric",
      path: "@",
      labels: {},
      skipKeys: [],
      name: `queue_${field.replace(".", "_")}`,
      type: "gauge",
      value: `@.${field}`,
    }),
  ).concat([{
    kind: "metric",
    path: "@",
    labels: {},
    skipKeys: [],
    name: "queue_state",
    type: "gauge",
    value: "@.state",
    stateLabel: "state",
  }]),
}];
const mapping = compileJsonMapping(MAPPING);

Deno.bench("json mapping: 10k array elements x 7 metrics (70k samples)", { group: "json" }, () => {
  mapping.map(QUEUES);
});
