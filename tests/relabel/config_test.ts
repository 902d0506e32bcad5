/**
 * Tests of the relabel rule checks (src/relabel/_config.ts, through `validateRelabelConfigs` and
 * `compileRelabelConfigs`): each of Prometheus's `Validate()` failures with its wording, unknown keys and
 * wrong types, and `promtool check config` as the oracle for the wording.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors.ts";
import { compileRelabelConfigs, validateRelabelConfigs } from "../../src/relabel/mod.ts";
import { toolTest } from "../_lib/validators.ts";
import { promtoolCheckConfig } from "../_lib/relabel.ts";

interface ValidationRow {
  name: string;
  rules: unknown[];
  problems: { path: string; message: string }[];
  /** Whether promtool prints the same message (Prometheus's wording) for this rule list. */
  promtool: boolean;
}

const VALIDATION_ROWS: ValidationRow[] = [
  {
    name: "hashmod without modulus",
    rules: [{ source_labels: ["a"], target_label: "h", action: "hashmod" }],
    problems: [{
      path: "[0].modulus",
      message: "relabel configuration for hashmod requires non-zero modulus",
    }],
    promtool: true,
  },
  {
    name: "replace without target_label",
    rules: [{ source_labels: ["a"] }],
    problems: [{
      path: "[0].target_label",
      message: "relabel configuration for replace action requires 'target_label' value",
    }],
    promtool: true,
  },
  {
    name: "lowercase without target_label",
    rules: [{ source_labels: ["a"], action: "lowercase" }],
    problems: [{
      path: "[0].target_label",
      message: "relabel configuration for lowercase action requires 'target_label' value",
    }],
    promtool: true,
  },
  {
    name: "replace with an invalid target_label",
    rules: [{ source_labels: ["a"], target_label: "1x" }],
    problems: [{ path: "[0].target_label", message: `"1x" is invalid 'target_label' for replace action` }],
    promtool: true,
  },
  {
    name: "replace with a malformed templated target_label",
    rules: [{ source_labels: ["a"], target_label: "x-$1" }],
    problems: [{ path: "[0].target_label", message: `"x-$1" is invalid 'target_label' for replace action` }],
    promtool: true,
  },
  {
    name: "hashmod with a templated target_label",
    rules: [{ source_labels: ["a"], target_label: "$1", modulus: 2, action: "hashmod" }],
    problems: [{ path: "[0].target_label", message: `"$1" is invalid 'target_label' for hashmod action` }],
    promtool: true,
  },
  {
    name: "uppercase with replacement",
    rules: [{ source_labels: ["a"], target_label: "b", replacement: "x", action: "uppercase" }],
    problems: [{ path: "[0].replacement", message: "'replacement' can not be set for uppercase action" }],
    promtool: true,
  },
  {
    name: "labelmap with an invalid replacement",
    rules: [{ regex: "(.*)", replacement: "a-$1", action: "labelmap" }],
    problems: [{ path: "[0].replacement", message: `"a-$1" is invalid 'replacement' for labelmap action` }],
    promtool: true,
  },
  {
    name: "keepequal with a regex, even the default one",
    rules: [{ source_labels: ["a"], target_label: "b", regex: "(.*)", action: "keepequal" }],
    problems: [{
      path: "[0].regex",
      message: "keepequal action requires only 'source_labels' and `target_label`, and no other fields",
    }],
    promtool: true,
  },
  {
    name: "dropequal with a separator",
    rules: [{ source_labels: ["a"], target_label: "b", separator: ",", action: "dropequal" }],
    problems: [{
      path: "[0].separator",
      message: "dropequal action requires only 'source_labels' and `target_label`, and no other fields",
    }],
    promtool: true,
  },
  {
    name: "keepequal with replacement reports the replacement first",
    rules: [{ source_labels: ["a"], target_label: "b", replacement: "x", action: "keepequal" }],
    problems: [{ path: "[0].replacement", message: "'replacement' can not be set for keepequal action" }],
    promtool: true,
  },
  {
    name: "labeldrop with source_labels",
    rules: [{ source_labels: ["a"], regex: "x", action: "labeldrop" }],
    problems: [{
      path: "[0].source_labels",
      message: "labeldrop action requires only 'regex', and no other fields",
    }],
    promtool: true,
  },
  {
    name: "labelkeep with target_label",
    rules: [{ regex: "x", target_label: "y", action: "labelkeep" }],
    problems: [{
      path: "[0].target_label",
      message: "labelkeep action requires only 'regex', and no other fields",
    }],
    promtool: true,
  },
  {
    name: "labeldrop with an explicit default separator is fine",
    rules: [{ regex: "x", separator: ";", replacement: "$1", action: "labeldrop" }],
    problems: [],
    promtool: true,
  },
  {
    name: "unknown action",
    rules: [{ action: "Rename" }],
    problems: [{ path: "[0].action", message: `unknown relabel action "Rename"` }],
    promtool: true,
  },
  {
    name: "null action",
    rules: [{ source_labels: ["a"], target_label: "b", action: null }],
    problems: [{ path: "[0].action", message: "relabel action cannot be empty" }],
    promtool: true,
  },
  {
    name: "invalid source label name",
    rules: [{ source_labels: ["ok", "not-ok"], target_label: "b" }],
    problems: [{ path: "[0].source_labels[1]", message: `"not-ok" is not a valid label name` }],
    promtool: true,
  },
  {
    name: "every rule is checked, with its index",
    rules: [
      { source_labels: ["a"], target_label: "b" },
      { source_labels: ["a"], regex: "(", target_label: "b" },
      { action: "hashmod", target_label: "h" },
    ],
    problems: [
      { path: "[1].regex", message: `invalid regular expression "(": missing closing ): "^(?:()$"` },
      { path: "[2].modulus", message: "relabel configuration for hashmod requires non-zero modulus" },
    ],
    promtool: false,
  },
  {
    name: "unknown keys, wrong types and a null rule",
    rules: [
      { source_lables: ["a"], target_label: "b" },
      { source_labels: "a", target_label: "b" },
      { source_labels: ["a"], target_label: ["b"], modulus: -1 },
      null,
      "drop",
    ],
    problems: [
      { path: "[0].source_lables", message: `unknown key "source_lables"` },
      { path: "[1].source_labels", message: "must be a list of label names" },
      { path: "[2].target_label", message: "must be a string" },
      { path: "[2].modulus", message: "must be a non-negative integer" },
      { path: "[3]", message: "empty or null relabeling rule" },
      { path: "[4]", message: "must be a mapping, got string" },
    ],
    promtool: false,
  },
  {
    name: "scalars are read as text like go-yaml does",
    rules: [{ target_label: "shard", replacement: 0 }, { source_labels: ["a"], regex: 5, action: "keep" }],
    problems: [],
    promtool: true,
  },
];

for (const row of VALIDATION_ROWS) {
  Deno.test(`validateRelabelConfigs() ${row.name}`, () => {
    assert.deepEqual(validateRelabelConfigs(row.rules), row.problems);
  });
}

Deno.test("compileRelabelConfigs() throws a ConfigError listing every problem as path: message", () => {
  assert.throws(
    () =>
      compileRelabelConfigs([
        { source_labels: ["a"], regex: "(", action: "keep" },
        { action: "hashmod", target_label: "h" },
      ]),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        `[0].regex: invalid regular expression "(": missing closing ): "^(?:()$"`,
        "[1].modulus: relabel configuration for hashmod requires non-zero modulus",
      ]);
      return true;
    },
  );
});

toolTest("validateRelabelConfigs() agrees with promtool check config", ["promtool"], async () => {
  const rows = VALIDATION_ROWS.filter((r) => r.promtool);
  const results = await Promise.all(rows.map((r) => promtoolCheckConfig(r.rules)));
  rows.forEach((row, i) => {
    const { code, output } = results[i];
    if (row.problems.length === 0) {
      assert.equal(code, 0, `${row.name}: promtool rejected it:\n${output}`);
    } else {
      assert.notEqual(code, 0, `${row.name}: promtool accepted it`);
      assert.ok(output.includes(row.problems[0].message), `${row.name}: promtool said:\n${output}`);
    }
  });
});
