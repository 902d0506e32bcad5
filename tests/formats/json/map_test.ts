import assert from "node:assert/strict";
import fc from "fast-check";
import type { JsonEntry, JsonMetricEntry } from "../../../src/config/types.ts";
import { compileJsonMapping } from "../../../src/formats/json/mod.ts";
import type { MetricFamily } from "../../../src/model.ts";

function metric(name: string, over: Partial<JsonMetricEntry> = {}): JsonEntry {
  return { kind: "metric", path: "@", labels: {}, skipKeys: [], name, type: "gauge", value: "@", ...over };
}

function group(
  path: string,
  labels: Record<string, string>,
  metrics: JsonEntry[],
  skipKeys: string[] = [],
): JsonEntry {
  return { kind: "group", path, labels, skipKeys, metrics };
}

function lines(families: MetricFamily[]): string[] {
  return families.flatMap((f) =>
    f.samples.map((s) => {
      const pairs: string[] = [];
      for (let i = 0; i < s.labels.length; i += 2) pairs.push(`${s.labels[i]}=${s.labels[i + 1]}`);
      return `${f.type} ${s.name}{${pairs.join(",")}} ${s.value}`;
    })
  );
}

Deno.test("compileJsonMapping() reads one series per array element with labels from its fields", () => {
  const m = compileJsonMapping([
    group("$.queues[*]", { vhost: "@.vhost", queue: "@.name" }, [
      metric("messages", { value: "@.messages" }),
    ]),
  ]);
  const doc = { queues: [{ name: "a", vhost: "/", messages: 3 }, { name: "b", vhost: "v", messages: "4" }] };
  assert.deepEqual(lines(m.map(doc).families), [
    "gauge messages{vhost=/,queue=a} 3",
    "gauge messages{vhost=v,queue=b} 4",
  ]);
});

Deno.test("compileJsonMapping() takes object keys as labels, inherited by nested entries, a child's label winning", () => {
  const m = compileJsonMapping([
    group("$.*", { upstream: "@key", level: "@.level" }, [
      metric("keepalive", { value: "@.keepalive" }),
      group("@.peers[*]", { server: "@.server", level: "@.level" }, [
        metric("active", { value: "@.active" }),
      ]),
    ], ["zone"]),
  ]);
  const doc = {
    web: {
      level: "top",
      keepalive: 1,
      peers: [{ server: "s1", active: 2, level: "peer" }, { server: "s2", active: 3 }],
    },
    zone: { keepalive: 99 },
  };
  assert.deepEqual(lines(m.map(doc).families), [
    "gauge keepalive{upstream=web,level=top} 1",
    "gauge active{upstream=web,level=peer,server=s1} 2",
    "gauge active{upstream=web,level=top,server=s2} 3",
  ]);
});

Deno.test("compileJsonMapping() names counters with _total and infos with _info", () => {
  const m = compileJsonMapping([
    metric("jobs", { type: "counter", value: "$.done" }),
    metric("errors_total", { type: "counter", value: "$.errors" }),
    metric("build_info", { type: "info", labels: { version: "$.version", missing: "$.nope" } }),
  ]);
  const { families } = m.map({ done: 5, errors: 1, version: "1.2" });
  assert.deepEqual(families.map((f) => f.name), ["jobs", "errors", "build"]);
  assert.deepEqual(lines(families), [
    "counter jobs_total{} 5",
    "counter errors_total{} 1",
    "info build_info{version=1.2} 1",
  ]);
});

Deno.test("compileJsonMapping() maps string states: value map, state label, stateset", () => {
  const m = compileJsonMapping([
    metric("up", { value: "$.status", valueMap: { UP: 1, "/DEG.*/": 0.5, "*": 0 } }),
    metric("mode", { value: "$.mode", stateLabel: "mode" }),
    metric("status", { type: "stateset", value: "$.status", states: ["UP", "DOWN"] }),
  ]);
  assert.deepEqual(lines(m.map({ status: "DEGRADED", mode: "primary" }).families), [
    "gauge up{} 0.5",
    "gauge mode{mode=primary} 1",
    "stateset status{status=UP} 0",
    "stateset status{status=DOWN} 0",
  ]);
  assert.deepEqual(lines(m.map({ status: "UP", mode: true }).families), [
    "gauge up{} 1",
    "gauge mode{mode=true} 1",
    "stateset status{status=UP} 1",
    "stateset status{status=DOWN} 0",
  ]);
});

Deno.test("compileJsonMapping() counts matches: 0 for an empty selection, skipped when the field is missing", () => {
  const m = compileJsonMapping([
    metric("tasks", { count: "$.tasks[*]" }),
    metric("failed", { count: "$.tasks[?@.state == 'FAILED']" }),
  ]);
  assert.deepEqual(lines(m.map({ tasks: [{ state: "FAILED" }, { state: "RUNNING" }] }).families), [
    "gauge tasks{} 2",
    "gauge failed{} 1",
  ]);
  assert.deepEqual(lines(m.map({ tasks: [] }).families), ["gauge tasks{} 0", "gauge failed{} 0"]);
  const missing = m.map({ other: 1 });
  assert.deepEqual(missing.families, []);
  assert.equal(missing.skipped, 2);
});

Deno.test("compileJsonMapping() skips null, missing and unusable values and counts them", () => {
  const m = compileJsonMapping([
    group("$.w[*]", { name: "@.name" }, [metric("busy", { value: "@.busy" })]),
    metric("mapped", { value: "$.s", valueMap: { a: 1 } }),
    metric("state", { value: "$.obj", stateLabel: "s" }),
  ]);
  const r = m.map({
    w: [{ name: "a", busy: null }, { name: "b" }, { name: "c", busy: "x" }, 5],
    s: "b",
    obj: {},
  });
  assert.deepEqual(r.families, []);
  assert.equal(r.skipped, 6);
});

Deno.test("compileJsonMapping() flattens under a prefix with labels, gathering repeated names in one family", () => {
  const m = compileJsonMapping([
    {
      kind: "group",
      path: "$.pools.*",
      labels: { pool: "@key" },
      skipKeys: [],
      metrics: [
        { kind: "flatten", path: "@", labels: {}, skipKeys: ["name"], prefix: "pool" },
      ],
    },
  ]);
  const r = m.map({ pools: { a: { busy: 1, idle: 2, name: "A" }, b: { busy: 3, idle: 4, name: "B" } } });
  assert.deepEqual(lines(r.families), [
    "unknown pool_busy{pool=a} 1",
    "unknown pool_busy{pool=b} 3",
    "unknown pool_idle{pool=a} 2",
    "unknown pool_idle{pool=b} 4",
  ]);
  assert.equal(r.skipped, 0);
});

Deno.test("compileJsonMapping() accepts any top-level JSON value", () => {
  const m = compileJsonMapping([metric("n", { count: "$[*]" })]);
  assert.deepEqual(lines(m.map([1, 2, 3]).families), ["gauge n{} 3"]);
  assert.deepEqual(m.map(42).families, []);
});

Deno.test("compileJsonMapping() never throws and emits only numbers for any document (property)", () => {
  const m = compileJsonMapping([
    { kind: "flatten", path: "$", labels: {}, skipKeys: [], prefix: "f" },
    group("$.*", { k: "@key", n: "@.name" }, [
      metric("v", { value: "@.v" }),
      metric("c", { count: "@.items[?@.ok == true]" }),
      metric("m", { value: "@.s", valueMap: { a: 1, "/b.*/": 2 } }),
      metric("st", { type: "stateset", value: "@.s", states: ["a", "b"] }),
      metric("sl", { value: "@.s", stateLabel: "state" }),
      metric("i", { type: "info", labels: { x: "@.x" } }),
      group("@.items[*]", { id: "@.id" }, [metric("item", { type: "counter", value: "@.n" })]),
    ]),
  ]);
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 4 }), (doc) => {
      const r = m.map(doc);
      for (const f of r.families) {
        for (const s of f.samples) {
          assert.equal(typeof s.value, "number");
          assert.equal(s.labels.length % 2, 0);
          for (const l of s.labels) assert.equal(typeof l, "string");
        }
      }
    }),
    { numRuns: 500 },
  );
});

Deno.test("compileJsonMapping() mapTraced() names each entry that read nothing, and maps as map() does", () => {
  const m = compileJsonMapping([
    metric("queues_total", { count: "$.queues[*]" }),
    group("$.queues[*]", { queue: "@.name" }, [
      metric("messages", { value: "@.messages" }),
      group("@.consumers[*]", {}, [metric("prefetch", { value: "@.prefetch" })]),
      metric("rate", { value: "@.stats.rate" }),
    ]),
    group("$.nodes[*]", {}, [group("@.disks[*]", {}, [metric("disk", { value: "@.free" })])]),
    { kind: "flatten", path: "$.jvm", labels: {}, skipKeys: [], prefix: "jvm" },
    metric("skipped", { path: "$.obj.*", skipKeys: ["*"] }),
  ]);
  const doc = {
    queues: [{ name: "a", messages: 3, consumers: [] }, { name: "b", messages: 1 }],
    obj: { x: 1 },
  };
  const traced = m.mapTraced(doc);
  assert.deepEqual(traced.unselected, [
    'json[1].metrics[1] path "@.consumers[*]" selected nothing',
    'json[1].metrics[2] name "rate": value "@.stats.rate" gave no series (missing, null or not usable)',
    'json[2] path "$.nodes[*]" selected nothing',
    'json[3] path "$.jvm" selected nothing',
    'json[4] path "$.obj.*" selected nothing',
  ]);
  const plain = m.map(doc);
  assert.deepEqual(traced.families, plain.families);
  assert.equal(traced.skipped, plain.skipped);
  // Everything found: only the entry whose every member is skipped still selects nothing.
  const full = {
    queues: [{ name: "a", messages: 1, consumers: [{ prefetch: 5 }], stats: { rate: 2 } }],
    nodes: [{ disks: [{ free: 9 }] }],
    jvm: { heap: 1 },
    obj: { x: 1 },
  };
  assert.deepEqual(m.mapTraced(full).unselected, ['json[4] path "$.obj.*" selected nothing']);
});
