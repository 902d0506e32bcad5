import assert from "node:assert/strict";
import type { DuplicatePolicy } from "../../src/config/types.ts";
import { DocumentBuilder } from "../../src/exposition/assemble.ts";
import { namesTaken, typeSuffixOf } from "../../src/exposition/names.ts";
import { writeOpenMetrics } from "../../src/exposition/openmetrics.ts";
import { writeText } from "../../src/exposition/text.ts";
import type { MetricFamily, MetricType } from "../../src/model.ts";
import { assertWellFormed, pythonParseOpenMetrics, toolTest } from "../_lib/validators.ts";

function fam(name: string, type: MetricType, samples: [string, string[], number][]): MetricFamily {
  return {
    name,
    type,
    help: "",
    unit: "",
    samples: samples.map(([n, labels, value]) => ({ name: n, labels, value })),
  };
}

function part(source: string, onDuplicate: DuplicatePolicy, ...families: MetricFamily[]) {
  return { source, onDuplicate, families };
}

Deno.test("typeSuffixOf() and namesTaken() know every suffix a type writes", () => {
  assert.equal(typeSuffixOf("a_total"), "_total");
  assert.equal(typeSuffixOf("a_gcount"), "_gcount");
  assert.equal(typeSuffixOf("a_count"), "_count");
  assert.equal(typeSuffixOf("_sum"), "");
  assert.equal(typeSuffixOf("total"), "");
  assert.deepEqual(namesTaken(fam("x", "counter", [])), ["x", "x_total", "x_created"]);
  assert.deepEqual(namesTaken(fam("x", "gauge", [])), ["x"]);
});

Deno.test("DocumentBuilder: a series two targets send follows the later target's on_duplicate", () => {
  const a = fam("req", "gauge", [["req", [], 1], ["req", ["k", "a"], 2]]);
  const b = fam("req", "gauge", [["req", [], 10], ["req", ["k", "b"], 20]]);
  const cases: [DuplicatePolicy, string | null, number[]][] = [
    ["error", 'Duplicate series "req" from target "a" and from target "b"', [1, 2]],
    ["first", null, [1, 2, 20]],
    ["last", null, [10, 2, 20]],
    ["sum", null, [11, 2, 20]],
  ];
  for (const [policy, refused, values] of cases) {
    const doc = new DocumentBuilder();
    assert.equal(doc.add(part("a", "error", a)), null);
    assert.equal(doc.add(part("b", policy, b)), refused, policy);
    assert.deepEqual(doc.families().flatMap((f) => f.samples.map((s) => s.value)), values, policy);
    assert.equal(doc.conflicts.length, refused === null ? 1 : 0, policy);
    assert.deepEqual(a.samples.map((s) => s.value), [1, 2], "the scrape result is never changed");
  }
});

Deno.test("DocumentBuilder: name clashes across targets, within a target, and with our own families", () => {
  const counter = fam("x", "counter", [["x_total", [], 1]]);
  const gaugeTotal = fam("x_total", "gauge", [["x_total", [], 2]]);
  // Across targets: error refuses, first keeps the counter, last the gauge.
  const refuse = new DocumentBuilder();
  refuse.add(part("a", "error", counter));
  assert.match(refuse.add(part("b", "error", gaugeTotal)) ?? "", /clashes with counter "x"/);
  for (const [policy, kept] of [["first", "x"], ["last", "x_total"]] as const) {
    const doc = new DocumentBuilder();
    doc.add(part("a", "error", counter));
    assert.equal(doc.add(part("b", policy, gaugeTotal)), null);
    assert.deepEqual(doc.families().map((f) => f.name), [kept]);
    assert.equal(doc.conflicts[0].kind, "type");
  }
  // Within one target: the first family keeps the name, whatever the policy.
  const within = new DocumentBuilder();
  assert.equal(within.add(part("a", "error", counter, gaugeTotal)), null);
  assert.deepEqual(within.families().map((f) => f.name), ["x"]);
  assert.equal(within.conflicts.length, 1);
  // Our own family wins over an upstream one of another type, and over an equal series.
  const own = new DocumentBuilder();
  own.add(part("a", "error", fam("process_cpu_seconds", "gauge", [["process_cpu_seconds", [], 5]])));
  own.add(part("b", "error", fam("up_x", "gauge", [["up_x", [], 1], ["up_x", ["t", "b"], 2]])));
  own.addOwn([
    fam("process_cpu_seconds", "counter", [["process_cpu_seconds_total", [], 9]]),
    fam("up_x", "gauge", [["up_x", [], 7]]),
  ]);
  const text = writeText(own.families());
  assertWellFormed(text, "text");
  assert.equal(
    text,
    '# TYPE up_x gauge\nup_x{t="b"} 2\nup_x 7\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 9\n',
  );
  assert.deepEqual(own.conflicts.map((c) => [c.source, c.kind]), [["a", "type"], ["b", "duplicate"]]);
});

toolTest("DocumentBuilder and the OpenMetrics writer: a gauge x_created of another target folds into x", [
  "python",
], async () => {
  const doc = new DocumentBuilder();
  doc.add(part(
    "a",
    "error",
    fam("h", "histogram", [
      ["h_bucket", ["le", "1", "p", "a"], 1],
      ["h_bucket", ["le", "+Inf", "p", "a"], 2],
      ["h_count", ["p", "a"], 2],
      ["h_sum", ["p", "a"], 3],
      ["h_bucket", ["le", "1", "p", "b"], 0],
      ["h_bucket", ["le", "+Inf", "p", "b"], 1],
      ["h_count", ["p", "b"], 1],
      ["h_sum", ["p", "b"], 1],
    ]),
  ));
  assert.equal(
    doc.add(
      part(
        "b",
        "error",
        fam("h_created", "gauge", [["h_created", ["p", "b"], 20], ["h_created", ["p", "z"], 9]]),
      ),
    ),
    null,
  );
  assert.deepEqual(doc.conflicts, []);
  const om = writeOpenMetrics(doc.families());
  assert.match(om, /^h_sum\{p="b"\} 1\nh_created\{p="b"\} 20\n# EOF\n$/m);
  assert.doesNotMatch(om, /p="z"|# TYPE h_created/);
  assertWellFormed(om, "openmetrics");
  await pythonParseOpenMetrics(om);
  // Text keeps the gauge as sent.
  assert.match(
    writeText(doc.families()),
    /^# TYPE h_created gauge\nh_created\{p="b"\} 20\nh_created\{p="z"\} 9$/m,
  );
});
