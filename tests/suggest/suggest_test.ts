import assert from "node:assert/strict";
import { parse } from "yaml";
import { findFolds, nameParts, normalize, singular, suggestConfig } from "../../src/suggest/mod.ts";
import { toolTest } from "../_lib/validators.ts";
import { assertCleanRun, SEED_DOC, suggestAndRun, suggestFixtures } from "./_fixtures.ts";

const URL_ = "http://127.0.0.1:8080/stats.json";

function suggestOf(doc: unknown, url = URL_): string {
  return suggestConfig({ bytes: new TextEncoder().encode(JSON.stringify(doc)), contentType: null }, { url });
}

Deno.test("suggest: units to base units with scale", () => {
  assert.deepEqual(normalize(["latency", "ms"]), {
    parts: ["latency", "seconds"],
    type: "untyped",
    scale: 0.001,
    why: ['"_ms" to the base unit: seconds, scale 0.001'],
  });
  for (
    const [unit, base, scale] of [
      ["millis", "seconds", 0.001],
      ["us", "seconds", 0.000001],
      [
        "sec",
        "seconds",
        1,
      ],
      ["percent", "ratio", 0.01],
      ["kb", "bytes", 1024],
      ["mb", "bytes", 1048576],
    ] as const
  ) {
    const n = normalize(["x", unit]);
    assert.deepEqual([n.parts, n.scale], [["x", base], scale], unit);
  }
  assert.deepEqual(normalize(["active", "shards", "percent", "as", "number"]).parts, [
    "active",
    "shards",
    "ratio",
  ]);
});

Deno.test("suggest: counts become counters, written with _total", () => {
  assert.deepEqual([normalize(["jobs", "total"]).parts, normalize(["jobs", "total"]).type], [
    ["jobs"],
    "counter",
  ]);
  assert.equal(normalize(["gc", "count"]).type, "counter");
  assert.equal(normalize(["requests"]).type, "counter");
  assert.equal(normalize(["requests", "status", "2xx"]).type, "counter");
  assert.equal(normalize(["requests", "in", "flight"]).type, "untyped");
  assert.match(suggestOf({ errors: 3 }), /- name: errors\n\s+value: "\$\.errors"\n\s+type: counter/);
});

Deno.test("suggest: camelCase to snake_case, singular element names", () => {
  assert.deepEqual(nameParts("responseTimeMs"), ["response", "time", "ms"]);
  assert.deepEqual(nameParts("HTTPServerErrors"), ["http", "server", "errors"]);
  assert.equal(singular("queues"), "queue");
  assert.equal(singular("entries"), "entry");
  assert.match(suggestOf({ responseTimeMs: 7 }), /name: response_time_seconds\n.*\n\s+scale: 0.001/);
});

Deno.test("suggest: siblings that differ in one part fold into one family with a label", () => {
  const m = (names: string[][]) => names.map((parts) => ({ parts, item: parts.join("_") }));
  const [codes] = findFolds(m([["requests", "status", "2xx"], ["requests", "status", "5xx"]]), new Set());
  assert.deepEqual([codes.family, codes.label], [["requests", "status"], "code"]);
  const [lat] = findFolds(m([["request", "p50"], ["request", "p99"]]), new Set());
  assert.deepEqual([lat.family, lat.label], [["request"], "latency"]);
  const [state] = findFolds(m([["jobs", "state", "running"], ["jobs", "state", "failed"]]), new Set());
  assert.deepEqual([state.family, state.label], [["jobs"], "state"]);
  // The family name is taken by another name: no fold; a varying unit: no fold.
  assert.deepEqual(findFolds(m([["messages", "ready"], ["messages", "acked"]]), new Set(["messages"])), []);
  assert.deepEqual(findFolds(m([["x", "ms"], ["x", "bytes"]]), new Set()), []);
});

Deno.test("suggest: arrays of objects as entries labelled by their string fields, counted by state", () => {
  const text = suggestOf([{ name: "a", vhost: "/", state: "running", messages: 1 }, {
    name: "b",
    vhost: "/",
    state: "idle",
    messages: 2,
  }], "http://127.0.0.1:8080/api/queues");
  const cfg = parse(text).targets[0].json;
  assert.deepEqual(cfg[0].path, "$[*]");
  assert.deepEqual(cfg[0].labels, { name: "@.name", vhost: "@.vhost" });
  assert.ok(cfg[0].metrics.some((e: { name: string }) => e.name === "queue_messages"));
  assert.ok(cfg[0].metrics.some((e: { states?: string[] }) => e.states?.includes("idle")));
  assert.deepEqual(cfg.at(-1), { name: "queues", count: "$[*]", group_by: "@.state" });
});

Deno.test("suggest: string states as statesets, value_map or state_label; other strings in _info", () => {
  const cfg = parse(suggestOf({
    status: "green",
    enabled: "yes",
    phase: "Rebalancing",
    version: "1.2.3",
    started: "2024-05-01T10:00:00Z",
  })).targets[0].json;
  assert.deepEqual(cfg.find((e: { name: string }) => e.name === "status").states, ["green", "yellow", "red"]);
  assert.deepEqual(cfg.find((e: { name: string }) => e.name === "enabled").value_map, { yes: 1 });
  assert.equal(cfg.find((e: { name: string }) => e.name === "phase").state_label, "phase");
  assert.deepEqual(cfg.find((e: { type?: string }) => e.type === "info"), {
    name: "app",
    type: "info",
    labels: { version: "$.version" },
  });
});

Deno.test("suggest: every entry has a one-line comment; --input writes a placeholder URL; deterministic", () => {
  const body = { bytes: new TextEncoder().encode(JSON.stringify(SEED_DOC)), contentType: null };
  const text = suggestConfig(body, { input: "saved.json" });
  assert.equal(text, suggestConfig(body, { input: "saved.json" }));
  assert.match(text, /# replace with the upstream's URL\n\s+url: "http:\/\/127\.0\.0\.1:8080\/metrics"/);
  const lines = text.split("\n");
  lines.forEach((l, i) => {
    if (/^ {6,}- /.test(l)) assert.match(lines[i - 1], /^\s+# \S/, `no comment above: ${l}`);
  });
});

Deno.test("suggest: a Prometheus text page gets rules: units, untyped counts, snake_case", () => {
  const text =
    "# TYPE queue_depth_ms gauge\nqueue_depth_ms 1500\n# TYPE jobsDone_total untyped\njobsDone_total 4\n";
  const rules =
    parse(suggestConfig({ bytes: new TextEncoder().encode(text), contentType: null }, { url: URL_ }))
      .targets[0].rules;
  assert.deepEqual(rules, [
    { match: "queue_depth_ms", name: "queue_depth_seconds", scale: 0.001 },
    { match: "jobsDone_total", name: "jobs_done_total", type: "counter" },
  ]);
});

toolTest(
  "suggest: the seed's JSON gives request{latency=...} and uptime_seconds, end to end",
  ["promtool"],
  async () => {
    const seed = suggestFixtures().find((f) => f.name === "seed")!;
    const series = await assertCleanRun(await suggestAndRun(seed, "foo"));
    assert.ok(series.includes('request{latency="p99",service="foo"}'), series.join("\n"));
    assert.ok(series.includes('uptime_seconds{service="foo"}'));
    assert.ok(series.includes('requests_status_total{code="2xx",service="foo"}'));
  },
);

for (const f of suggestFixtures()) {
  toolTest(`suggest: ${f.name}: its suggestion passes check, and once gives a valid exposition, no warning`, [
    "promtool",
  ], async () => {
    await assertCleanRun(await suggestAndRun(f));
  });
}
