/**
 * The JSON mapping's keys for the shapes real stats APIs send (issue 15): names read from the document
 * (`name_from`, `name_prefix`, `name_case`), labels from an object (`labels_from`), label paths through a
 * filter, statesets with their own label, recursive key walks (`recurse`, `@keypath`), grouped counts
 * (`group_by`), `scale` and `timestamp`.
 */
import assert from "node:assert/strict";
import { sanitizeName } from "../../../src/config/json_names.ts";
import type { JsonEntry, JsonMetricEntry } from "../../../src/config/types.ts";
import { compileJsonMapping, MAX_RECURSE_DEPTH, SANITIZE_CACHE_SIZE } from "../../../src/formats/json/mod.ts";
import type { MetricFamily } from "../../../src/model.ts";

function metric(name: string, over: Partial<JsonMetricEntry> = {}): JsonMetricEntry {
  return { kind: "metric", path: "@", labels: {}, skipKeys: [], name, type: "gauge", value: "@", ...over };
}

function group(path: string, over: Partial<JsonEntry>, metrics: JsonEntry[]): JsonEntry {
  return { kind: "group", path, labels: {}, skipKeys: [], metrics, ...over } as JsonEntry;
}

function lines(families: MetricFamily[]): string[] {
  return families.flatMap((f) =>
    f.samples.map((s) => {
      const pairs: string[] = [];
      for (let i = 0; i < s.labels.length; i += 2) pairs.push(`${s.labels[i]}=${s.labels[i + 1]}`);
      const ts = s.timestampMs === undefined ? "" : ` @${s.timestampMs}`;
      return `${f.type} ${s.name}{${pairs.join(",")}} ${s.value}${ts}`;
    })
  );
}

Deno.test("sanitizeName() follows the documented steps (a) to (e)", () => {
  const metricName = (raw: string, snake = false, prefix = "") => sanitizeName(raw, { snake, prefix });
  assert.equal(metricName("HTTPServerErrors", true), "http_server_errors");
  assert.equal(metricName("bytesIn", true), "bytes_in");
  assert.equal(metricName("http2Requests", true), "http2_requests");
  assert.equal(metricName("v2Api", true), "v2_api");
  assert.equal(metricName("bytesIn"), "bytesIn");
  assert.equal(metricName("req.count-2xx / sec"), "req_count_2xx_sec");
  assert.equal(metricName("a:b"), "a_b");
  assert.equal(metricName("__x__"), "x");
  assert.equal(metricName("5xx"), "_5xx");
  assert.equal(metricName("5xx", false, "haproxy_"), "haproxy_5xx");
  assert.equal(metricName("Bytes In", true, "haproxy_"), "haproxy_bytes_in");
  assert.equal(metricName("...."), "");
  assert.equal(metricName("é"), "");
  assert.equal(metricName("__name__"), "name");
});

Deno.test("name_from: names each series from a field, sanitised, merging equal names; unusable names skip", () => {
  const m = compileJsonMapping([
    group("$.stats[*]", { labels: { px: "@.px" } }, [
      metric("", { nameFrom: "@.Name", namePrefix: "haproxy_", nameCase: "snake", value: "@.Value" }),
    ]),
  ]);
  const doc = {
    stats: [
      { px: "a", Name: "BytesIn", Value: 1 },
      { px: "b", Name: "bytesIn", Value: 2 },
      { px: "a", Name: "HTTPServerErrors", Value: 3 },
      { px: "a", Name: 42, Value: 4 },
      { px: "a", Value: 5 },
      { px: "a", Name: "--", Value: 6 },
    ],
  };
  const { families, skipped } = m.map(doc);
  assert.deepEqual(families.map((f) => f.name), ["haproxy_bytes_in", "haproxy_http_server_errors"]);
  assert.deepEqual(lines(families), [
    "gauge haproxy_bytes_in{px=a} 1",
    "gauge haproxy_bytes_in{px=b} 2",
    "gauge haproxy_http_server_errors{px=a} 3",
  ]);
  assert.equal(skipped, 3);
  // A second map reads the cached names alike.
  assert.deepEqual(lines(m.map(doc).families), lines(families));
});

Deno.test("name_from: counters get _total, the cache stays bounded over many distinct names", () => {
  const m = compileJsonMapping([
    group("$[*]", {}, [metric("", { nameFrom: "@.n", type: "counter", value: "@.v" })]),
  ]);
  const doc = Array.from({ length: SANITIZE_CACHE_SIZE + 10 }, (_, i) => ({ n: `m${i}_total`, v: i }));
  const { families } = m.map(doc);
  assert.equal(families.length, SANITIZE_CACHE_SIZE + 10);
  assert.equal(families[0].name, "m0");
  assert.equal(families[0].samples[0].name, "m0_total");
  assert.equal(m.map(doc).families.at(-1)!.name, `m${SANITIZE_CACHE_SIZE + 9}`);
});

Deno.test("labels_from: scalar members become labels, sanitised; explicit labels win; on groups too", () => {
  const m = compileJsonMapping([
    group("$.items[*]", { labelsFrom: "@.Labels", labels: { env: "@.env" } }, [
      metric("v", { value: "@.v" }),
      metric("w", { value: "@.v", labelsFrom: "@.more" }),
    ]),
  ]);
  const doc = {
    items: [
      {
        v: 1,
        env: "prod",
        Labels: { "app.kind": "web", n: 3, ok: true, nil: null, obj: {}, arr: [1], env: "x", "__meta": "m" },
        more: { "2nd": "y", "app.kind": "api" },
      },
      { v: 2, Labels: "not an object" },
    ],
  };
  assert.deepEqual(lines(m.map(doc).families), [
    "gauge v{app_kind=web,n=3,ok=true,env=prod,meta=m} 1",
    "gauge v{} 2",
    "gauge w{app_kind=api,n=3,ok=true,env=prod,meta=m,_2nd=y} 1",
    "gauge w{} 2",
  ]);
});

Deno.test("labels: a path through a filter takes the first node it selects, no label when none", () => {
  const m = compileJsonMapping([
    group("$.servers[*]", {
      labels: { pxname: "@.fields[?@.field.name=='pxname'].value.value", first: "@.tags[*]" },
    }, [metric("up", { value: "@.up" })]),
  ]);
  const doc = {
    servers: [
      {
        up: 1,
        tags: ["t1", "t2"],
        fields: [{ field: { name: "x" }, value: { value: "no" } }, {
          field: { name: "pxname" },
          value: { value: "be" },
        }],
      },
      { up: 0, fields: [] },
    ],
  };
  assert.deepEqual(lines(m.map(doc).families), ["gauge up{pxname=be,first=t1} 1", "gauge up{} 0"]);
});

Deno.test("states with state_label: the stateset's label has its own name", () => {
  const m = compileJsonMapping([
    metric("cluster_status", {
      type: "stateset",
      value: "$.status",
      states: ["green", "yellow", "red"],
      stateLabel: "color",
    }),
  ]);
  assert.deepEqual(lines(m.map({ status: "yellow" }).families), [
    "stateset cluster_status{color=green} 0",
    "stateset cluster_status{color=yellow} 1",
    "stateset cluster_status{color=red} 0",
  ]);
});

const HEALTH = {
  status: "UP",
  components: {
    db: { status: "UP", components: { primary: { status: "UP" }, replica: { status: "DOWN" } } },
    disk: { status: "UP" },
    ping: { status: "UP", components: "not an object" },
  },
};

Deno.test("recurse: walks the member at any depth; @keypath joins the member names, @key is the last", () => {
  const m = compileJsonMapping([
    group("$.components.*", { recurse: "components", labels: { component: "@keypath", leaf: "@key" } }, [
      metric("health_up", { value: "@.status", valueMap: { UP: 1, "*": 0 } }),
    ]),
  ]);
  assert.deepEqual(lines(m.map(HEALTH).families), [
    "gauge health_up{component=db,leaf=db} 1",
    "gauge health_up{component=db/primary,leaf=primary} 1",
    "gauge health_up{component=db/replica,leaf=replica} 0",
    "gauge health_up{component=disk,leaf=disk} 1",
    "gauge health_up{component=ping,leaf=ping} 1",
  ]);
  // From the document itself: the top node has no key path (no label), then every level.
  const top = compileJsonMapping([
    metric("health_up", {
      value: "@.status",
      valueMap: { UP: 1, "*": 0 },
      recurse: "components",
      labels: { c: "@keypath" },
      skipKeys: ["disk"],
    }),
  ]);
  assert.deepEqual(lines(top.map(HEALTH).families), [
    "gauge health_up{} 1",
    "gauge health_up{c=db} 1",
    "gauge health_up{c=db/primary} 1",
    "gauge health_up{c=db/replica} 0",
    "gauge health_up{c=ping} 1",
  ]);
});

Deno.test("recurse: stops at MAX_RECURSE_DEPTH levels without a stack overflow", () => {
  let doc: Record<string, unknown> = { v: 1 };
  for (let i = 0; i < 5000; i++) doc = { v: 1, sub: { x: doc } };
  const m = compileJsonMapping([metric("v", { value: "@.v", recurse: "sub" })]);
  assert.equal(m.map(doc).families[0].samples.length, MAX_RECURSE_DEPTH + 1);
});

Deno.test("group_by: one count per distinct value, first appearance first; unusable values are skipped", () => {
  const m = compileJsonMapping([
    metric("tasks", { type: "gauge", count: "$.tasks[*]", groupBy: "@.Status", groupLabel: "status" }),
    metric("by_code", { type: "gauge", count: "$.tasks[*]", groupBy: "@.code", groupLabel: "code" }),
  ]);
  const doc = {
    tasks: [
      { Status: "running", code: 200 },
      { Status: "failed", code: 500 },
      { Status: "running", code: true },
      { Status: null },
      { Status: { x: 1 }, code: 200 },
    ],
  };
  const { families, skipped } = m.map(doc);
  assert.deepEqual(lines(families), [
    "gauge tasks{status=running} 2",
    "gauge tasks{status=failed} 1",
    "gauge by_code{code=200} 2",
    "gauge by_code{code=500} 1",
    "gauge by_code{code=true} 1",
  ]);
  assert.equal(skipped, 3);
});

Deno.test("scale: multiplies counter, gauge and untyped values", () => {
  const m = compileJsonMapping([
    metric("lat_seconds", { value: "$.ms", scale: 0.001 }),
    metric("n", { type: "counter", count: "$.list[*]", scale: 2 }),
  ]);
  assert.deepEqual(lines(m.map({ ms: 250, list: [1, 2, 3] }).families), [
    "gauge lat_seconds{} 0.25",
    "counter n_total{} 6",
  ]);
});

Deno.test("timestamp: a numeric field is the sample's time; missing or not numeric leaves none", () => {
  const m = compileJsonMapping([
    group("$[*]", {}, [
      metric("ms", { value: "@.v", timestamp: "@.t" }),
      metric("s", {
        value: "@.v",
        timestamp: "@.t",
        timestampUnit: "seconds",
        states: ["1"],
        type: "stateset",
      }),
    ]),
  ]);
  const doc = [
    { v: 1, t: 1700000000 },
    { v: 2, t: "1700000001" },
    { v: 3 },
    { v: 4, t: "soon" },
    // Beyond what an int64 timestamp carries exactly: no timestamp, never an invalid line.
    { v: 5, t: 1e300 },
    { v: 6, t: 1700000000.0004 },
  ];
  assert.deepEqual(lines(m.map(doc).families), [
    "gauge ms{} 1 @1700000000",
    "gauge ms{} 2 @1700000001",
    "gauge ms{} 3",
    "gauge ms{} 4",
    "gauge ms{} 5",
    "gauge ms{} 6 @1700000000",
    "stateset s{s=1} 1 @1700000000000",
    "stateset s{s=1} 0 @1700000001000",
    "stateset s{s=1} 0",
    "stateset s{s=1} 0",
    "stateset s{s=1} 0",
    "stateset s{s=1} 0 @1700000000000",
  ]);
});

Deno.test("mapTraced() names name_from and group_by entries that read nothing, and nodes without a name", () => {
  const m = compileJsonMapping([
    group("$.a[*]", { recurse: "sub" }, [metric("", { nameFrom: "@.n", value: "@.v" })]),
    metric("g", { count: "$.missing[*]", groupBy: "@.s", groupLabel: "s" }),
    group("$.none", { recurse: "sub" }, [metric("x")]),
  ]);
  const { unselected } = m.mapTraced({ a: [{ n: "ok", v: 1 }, { n: 3, v: 2 }] });
  assert.deepEqual(unselected, [
    'json[0].metrics[0] name_from "@.n": no name in 1 of 2 nodes (missing, not a string, or nothing left after sanitising)',
    'json[1] name "g": count "$.missing[*]" group_by "@.s" gave no series (missing, null or not usable)',
    'json[2] path "$.none" (recurse "sub") selected nothing',
  ]);
});
