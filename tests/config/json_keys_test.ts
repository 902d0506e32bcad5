/**
 * The JSON entry keys of issue 15 at load: resolved into the model with their defaults, and every invalid
 * combination refused with FILE:LINE.
 */
import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/mod.ts";
import { parseConfigText } from "../../src/config/load.ts";
import type { JsonEntry } from "../../src/config/types.ts";
import { ConfigError } from "../../src/errors.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function flags() {
  const inv = parseCommandLine(["once", "--config.file", "c.yaml"], {});
  if (inv.kind !== "run") throw new Error("unreachable");
  return inv.flags;
}

const head = `targets:
  - name: t
    url: http://127.0.0.1:8080/x.json
    json:
`;

function entries(json: string): JsonEntry[] {
  return parseConfigText(head + json, "c.yaml", flags(), ROOT).targets[0].json!;
}

function problems(json: string): string[] {
  try {
    parseConfigText(head + json, "c.yaml", flags(), ROOT);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return [...e.problems];
  }
  return assert.fail("expected a ConfigError");
}

Deno.test("json keys: resolved with their defaults", () => {
  const got = entries(`      - path: $.components.*
        recurse: components
        labels_from: "@.tags"
        labels: { component: "@keypath", pxname: "@.f[?@.name=='px'].value" }
        metrics:
          - { name_from: "@.Name", name_prefix: app_, name_case: snake, scale: 0.001, timestamp: "@.t", timestamp_unit: seconds }
          - { name: tasks, count: "@.tasks[*]", group_by: "@.Status" }
          - { name: tasks_by, count: "@.tasks[*]", group_by: "@.s", group_label: state }
          - { name: health, value: "@.status", states: [green, red], state_label: color }
          - { name_from: "@.n", name_case: as_sent }
`);
  assert.equal(got.length, 1);
  const g = got[0];
  assert.ok(g.kind === "group");
  assert.equal(g.recurse, "components");
  assert.equal(g.labelsFrom, "@.tags");
  const [a, b, c, d, e] = g.metrics;
  assert.deepEqual(a, {
    kind: "metric",
    path: "@",
    labels: {},
    skipKeys: [],
    name: "",
    type: "unknown",
    value: "@",
    nameFrom: "@.Name",
    namePrefix: "app_",
    nameCase: "snake",
    scale: 0.001,
    timestamp: "@.t",
    timestampUnit: "seconds",
  });
  assert.ok(b.kind === "metric" && c.kind === "metric" && d.kind === "metric" && e.kind === "metric");
  assert.equal(b.type, "gauge");
  assert.equal(b.groupLabel, "status");
  assert.equal(c.groupLabel, "state");
  assert.equal(d.type, "stateset");
  assert.equal(d.stateLabel, "color");
  assert.equal(e.nameCase, undefined);
});

Deno.test("json keys: invalid combinations are refused with their line", () => {
  assert.deepEqual(
    problems(`      - { name: a, name_from: "@.n" }
      - { name: b, name_prefix: x_, name_case: snake }
      - { name_from: n }
      - { name_from: "@.n", name_prefix: "9x" }
      - { name: c, group_by: "@.s" }
      - { name: d, count: "@.x[*]", group_label: s }
      - { name: e, count: "@.x[*]", group_by: "@.s[*]" }
      - { name: f, count: "@.x[*]", group_by: "@.s", group_label: "__s" }
      - { name: g, type: info, scale: 2 }
      - { name: h, value: "@.s", states: [a], scale: 2 }
      - { name: i, scale: 0 }
      - { name: j, timestamp_unit: seconds }
      - { name: k, timestamp: "t" }
      - { flatten: true, recurse: sub }
      - { name: l, recurse: "" }
      - { name: m, labels_from: "x" }
      - { name: n, value: "@.s", state_label: color, value_map: { a: 1 } }
      - { flatten: true, scale: 2 }
`),
    [
      "c.yaml:5: targets[0].json[0].name_from: a JSON entry takes only one of name, name_from, flatten, metrics: found name, name_from",
      'c.yaml:6: targets[0].json[1].name_prefix: "name_prefix" needs "name_from" (a name read from each node)',
      'c.yaml:6: targets[0].json[1].name_case: "name_case" needs "name_from" (a name read from each node)',
      'c.yaml:7: targets[0].json[2].name_from: "n" is not a JSONPath: start it with "@." (this node) or "$." (the document)',
      'c.yaml:8: targets[0].json[3].name_prefix: invalid name prefix "9x": must match [a-zA-Z_][a-zA-Z0-9_]*',
      'c.yaml:9: targets[0].json[4].group_by: "group_by" needs "count" (the nodes to count per value)',
      'c.yaml:10: targets[0].json[5].group_label: "group_label" needs "group_by"',
      'c.yaml:11: targets[0].json[6].group_by: "@.s[*]" does not end in a member name to name the label: set "group_label"',
      'c.yaml:12: targets[0].json[7].group_label: label name "__s" is reserved: names starting with "__" are internal',
      "c.yaml:13: targets[0].json[8].scale: only counter, gauge and untyped values scale: this metric is an info",
      "c.yaml:14: targets[0].json[9].scale: only counter, gauge and untyped values scale: this metric is a stateset",
      "c.yaml:15: targets[0].json[10].scale: must be a finite number other than 0: got 0",
      'c.yaml:16: targets[0].json[11].timestamp_unit: "timestamp_unit" needs "timestamp" (the path of the time in each node)',
      'c.yaml:17: targets[0].json[12].timestamp: "t" is not a JSONPath: start it with "@." (this node) or "$." (the document)',
      'c.yaml:18: targets[0].json[13].recurse: "flatten" already reads every level: "recurse" is for "name" and "metrics" entries',
      "c.yaml:19: targets[0].json[14].recurse: must not be empty: name the member that holds the next level",
      'c.yaml:20: targets[0].json[15].labels_from: "x" is not a JSONPath: start it with "@." (this node) or "$." (the document)',
      "c.yaml:21: targets[0].json[16].state_label: a metric takes only one of count, value_map, states, state_label: found value_map, state_label",
      'c.yaml:22: targets[0].json[17].scale: only a metric entry (with "name" or "name_from") takes "scale"',
    ],
  );
});

Deno.test("json keys: enums are checked by the schema", () => {
  assert.deepEqual(
    problems(`      - { name_from: "@.n", name_case: camel, timestamp: "@.t", timestamp_unit: hours }
`),
    [
      'c.yaml:5: targets[0].json[0].name_case: must be one of "as_sent", "snake": got "camel"',
      'c.yaml:5: targets[0].json[0].timestamp_unit: must be one of "seconds", "milliseconds": got "hours"',
    ],
  );
});
