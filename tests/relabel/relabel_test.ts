/**
 * Tests of src/relabel/mod.ts: each action on the table of Prometheus's documented behaviour, the fast path
 * (the input returned untouched when no rule changes it) and the output shape.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Sample } from "../../src/model.ts";
import { compileRelabelConfigs, relabelSample } from "../../src/relabel/mod.ts";
import { ACTION_CASES } from "./_action_cases.ts";
import { check, hashModReference, sample } from "../_lib/relabel.ts";

for (const c of ACTION_CASES) {
  Deno.test(`relabelSample() ${c.name}`, () => check(c));
}

// ---------------------------------------------------------------------------------------------------------
// Fast path and output shape

Deno.test("relabelSample() returns the input object when no rule changes it", () => {
  const rules = compileRelabelConfigs([
    { source_labels: ["__name__"], regex: "go_.*", action: "drop" },
    { source_labels: ["a"], target_label: "a" }, // sets a to its own value: no change
    { regex: "tmp_.*", action: "labeldrop" },
    { source_labels: ["x"], regex: "y", target_label: "z" },
  ]);
  const input = sample("m", { a: "1", b: "2" });
  assert.equal(relabelSample(rules, input), input);
});

Deno.test("relabelSample() never modifies the input and keeps the timestamp", () => {
  const rules = compileRelabelConfigs([
    { source_labels: ["a"], target_label: "b", replacement: "new" },
    { regex: "c", action: "labeldrop" },
    { regex: "(a)", replacement: "${1}_copy", action: "labelmap" },
  ]);
  const input: Sample = Object.freeze({
    name: "m",
    labels: Object.freeze(["a", "1", "b", "2", "c", "3"]) as string[],
    value: 5,
    timestampMs: 1700000000000,
  });
  const out = relabelSample(rules, input);
  assert.deepEqual(out, {
    name: "m",
    labels: ["a", "1", "b", "new", "a_copy", "1"],
    value: 5,
    timestampMs: 1700000000000,
  });
  assert.deepEqual(input.labels, ["a", "1", "b", "2", "c", "3"]);
});

Deno.test("relabelSample() with no rules returns the input", () => {
  const input = sample("m");
  assert.equal(relabelSample(compileRelabelConfigs([]), input), input);
});

Deno.test("relabelSample() labelmap collisions put labels set by earlier rules last (relabel.go's Builder order)", () => {
  // Prometheus's current relabel.go iterates untouched labels in name order, then labels set by earlier
  // rules in the order they were set; 2.42 (installed here) iterated all labels in name order and gives x=2.
  const rules = compileRelabelConfigs([
    { source_labels: ["a_x"], target_label: "a_x", replacement: "9" },
    { regex: "[ab]_(x)", replacement: "$1", action: "labelmap" },
  ]);
  const out = relabelSample(rules, sample("m", { a_x: "1", b_x: "2" }));
  assert.deepEqual(out?.labels, ["a_x", "9", "b_x", "2", "x", "9"]);
});

Deno.test("relabelSample() hashmod agrees with the reference for many inputs and moduli", () => {
  for (const m of [1, 2, 3, 7, 10, 1000, 2 ** 31, 2 ** 53 - 1]) {
    const rules = compileRelabelConfigs([{
      source_labels: ["a"],
      modulus: m,
      target_label: "h",
      action: "hashmod",
    }]);
    for (const v of ["", "a", "node-1:9100", "ü€😀", "x".repeat(1000)]) {
      const out = relabelSample(rules, sample("m", { a: v }));
      assert.equal(out?.labels.at(-1), hashModReference(v, BigInt(m)), `${v} mod ${m}`);
    }
  }
});
