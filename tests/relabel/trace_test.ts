import assert from "node:assert/strict";
import fc from "fast-check";
import type { Sample } from "../../src/model.ts";
import { compileRelabelConfigs, type RelabelStep } from "../../src/relabel/mod.ts";

const RULE_SETS: unknown[][] = [
  [{ action: "lowercase", source_labels: ["__name__"], target_label: "__name__" }],
  [
    { source_labels: ["code"], regex: "([0-9])..", target_label: "code", replacement: "${1}xx" },
    { action: "labeldrop", regex: "pod" },
  ],
  [{ source_labels: ["job"], regex: "drop.*", action: "drop" }, {
    action: "uppercase",
    source_labels: ["job"],
    target_label: "job",
  }],
  [{ action: "labelmap", regex: "k_(.*)", replacement: "${1}" }, {
    action: "labelkeep",
    regex: "__name__|code|a|b",
  }],
  [{ source_labels: ["job"], target_label: "__name__" }],
  [{ source_labels: ["job"], target_label: "shard", modulus: 4, action: "hashmod" }, {
    source_labels: ["shard"],
    regex: "1",
    action: "keep",
  }],
  [{ action: "labelmap", regex: "k_(.*)", replacement: "x${1}" }, { action: "labelmap", regex: "k_(.*)" }],
];

Deno.test("CompiledRelabel.trace() gives what apply() gives, for any series (property)", () => {
  const name = fc.constantFrom("up", "http_requests_total", "Node_Memory", "x");
  const label = fc.tuple(
    fc.constantFrom("code", "pod", "job", "k_a", "k_b", "k_", "a"),
    fc.constantFrom("", "200", "503", "drop-me", "api", "p-1", "Ünï"),
  );
  fc.assert(
    fc.property(
      fc.nat(RULE_SETS.length - 1),
      name,
      fc.uniqueArray(label, { selector: (l) => l[0] }),
      (i, n, ls) => {
        const rules = compileRelabelConfigs(RULE_SETS[i]);
        const sample: Sample = { name: n, labels: ls.flat(), value: 1 };
        const frozen = structuredClone(sample);
        const steps: RelabelStep[] = [];
        const traced = rules.trace(sample, (s) => steps.push(s));
        assert.deepEqual(sample, frozen, "trace() changed its input");
        assert.deepEqual(traced, rules.apply(sample));
        // The steps chain: each starts where the previous ended, the last ends with the result.
        for (let k = 1; k < steps.length; k++) assert.deepEqual(steps[k].before, steps[k - 1].after);
        const last = steps.at(-1);
        if (traced === null) assert.equal(last?.after, null);
        else if (last !== undefined) {
          assert.deepEqual([last.after?.name, last.after?.labels], [
            traced.name,
            traced.labels,
          ]);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

Deno.test("CompiledRelabel.trace() names each rule that changed or dropped a series", () => {
  const rules = compileRelabelConfigs([
    { source_labels: ["job"], regex: "keep", action: "keep" },
    { action: "lowercase", source_labels: ["__name__"], target_label: "__name__" },
    { action: "labeldrop", regex: "nothing" },
    // A label named "k_" maps to the empty name, which is not a valid label name.
    { action: "labelmap", regex: "k_(.*)" },
  ]);
  const steps: RelabelStep[] = [];
  const input = { name: "Up_X", labels: ["job", "keep", "k_", "v"], value: 1 };
  assert.equal(rules.trace(input, (s) => steps.push(s)), null);
  assert.deepEqual(steps, [
    {
      index: 1,
      action: "lowercase",
      before: { name: "Up_X", labels: ["job", "keep", "k_", "v"], value: 1 },
      after: { name: "up_x", labels: ["job", "keep", "k_", "v"], value: 1 },
      why: "",
    },
    {
      index: 3,
      action: "labelmap",
      before: { name: "up_x", labels: ["job", "keep", "k_", "v"], value: 1 },
      after: { name: "up_x", labels: ["job", "keep", "k_", "v", "", "v"], value: 1 },
      why: "",
    },
    {
      index: -1,
      action: "",
      before: { name: "up_x", labels: ["job", "keep", "k_", "v", "", "v"], value: 1 },
      after: null,
      why: 'label name "" is not valid',
    },
  ]);
  const dropped: RelabelStep[] = [];
  assert.equal(rules.trace({ name: "up", labels: ["job", "other"], value: 1 }, (s) => dropped.push(s)), null);
  assert.deepEqual(dropped.map((s) => [s.index, s.action, s.after]), [[0, "keep", null]]);
});
