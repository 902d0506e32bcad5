/**
 * Tests for src/exposition/text.ts (text format 0.0.4): exact golden files, checked by promtool, and one
 * targeted test per rule of the mapping down from the OpenMetrics model.
 *
 * @module
 */

import assert from "node:assert/strict";
import { writeText, writeTextBytes } from "../../src/exposition/text.ts";
import { promtoolCheck, toolTest } from "../_lib/validators.ts";
import { CASES, checkGolden, fam, readGolden, s } from "./_cases.ts";

for (const [name, { families }] of Object.entries(CASES)) {
  Deno.test(`writeText() matches golden ${name}.prom`, () => {
    checkGolden(`${name}.prom`, writeText(families), "text");
  });
}

// ---------------------------------------------------------------- golden files vs independent tools

toolTest("writeText() golden files pass promtool check metrics", ["promtool"], async () => {
  for (const [name, { lint = [] }] of Object.entries(CASES)) {
    const res = await promtoolCheck(readGolden(`${name}.prom`));
    if (lint.length === 0) {
      assert.equal(res.code, 0, `${name}.prom: ${res.output}`);
    } else {
      // Exit 3 is "lint problems only": the document parsed; the listed problems are expected.
      assert.equal(res.code, 3, `${name}.prom: ${res.output}`);
      assert.deepEqual(res.output.trim().split("\n").sort(), [...lint].sort(), `${name}.prom`);
    }
  }
});

Deno.test("writeTextBytes() is the UTF-8 of writeText()", () => {
  const all = Object.values(CASES).flatMap((c) => c.families);
  assert.deepEqual(writeTextBytes(all), new TextEncoder().encode(writeText(all)));
});

// ---------------------------------------------------------------- text rules

Deno.test("writeText() names counter metadata foo_total and drops foo_created", () => {
  const out = writeText(CASES.counter.families);
  assert.match(out, /^# HELP jobs_processed_total Jobs processed\.\n# TYPE jobs_processed_total counter\n/m);
  assert.doesNotMatch(out, /_created/);
  assert.doesNotMatch(out, /# TYPE jobs_processed counter/);
});

Deno.test("writeText() drops _created of histograms and summaries", () => {
  assert.doesNotMatch(writeText(CASES.histogram.families), /_created/);
  assert.doesNotMatch(writeText(CASES.summary.families), /_created/);
});

Deno.test("writeText() writes unknown as untyped, info as foo_info gauge, stateset as gauge", () => {
  assert.match(writeText(CASES.unknown.families), /^# TYPE legacy_value untyped$/m);
  assert.match(
    writeText(CASES.info.families),
    /^# HELP build_info Build information\.\n# TYPE build_info gauge\n/,
  );
  assert.match(writeText(CASES.stateset.families), /^# TYPE service_state gauge$/m);
});

Deno.test("writeText() writes a gauge histogram as a histogram plus _gcount and _gsum gauges", () => {
  assert.equal(
    writeText(CASES.gaugehistogram.families),
    "# HELP queue_wait_seconds Current wait distribution.\n# TYPE queue_wait_seconds histogram\n" +
      'queue_wait_seconds_bucket{le="1"} 3\nqueue_wait_seconds_bucket{le="5.0"} 4\n' +
      'queue_wait_seconds_bucket{le="+Inf"} 6\n' +
      "# HELP queue_wait_seconds_gcount Current wait distribution.\n# TYPE queue_wait_seconds_gcount gauge\n" +
      "queue_wait_seconds_gcount 6\n" +
      "# HELP queue_wait_seconds_gsum Current wait distribution.\n# TYPE queue_wait_seconds_gsum gauge\n" +
      "queue_wait_seconds_gsum 17.5\n",
  );
});

Deno.test("writeText() omits HELP when help is empty and writes HELP before TYPE", () => {
  assert.equal(writeText(CASES.no_help.families), "# TYPE quiet_value gauge\nquiet_value 1\n");
  assert.match(
    writeText(CASES.gauge.families),
    /^# HELP queue_depth Items waiting\.\n# TYPE queue_depth gauge\n/,
  );
});

Deno.test("writeText() keeps le and quantile values as the model has them", () => {
  const out = writeText(CASES.histogram.families);
  assert.match(out, /le="1"\}/);
  assert.match(out, /le="1000000"\}/);
  assert.match(writeText(CASES.summary.families), /quantile="0"\}/);
});

Deno.test("writeText() writes timestamps as integer milliseconds, truncating fractions", () => {
  const out = writeText(CASES.timestamps.families);
  assert.match(out, /^events_seen_total\{source="a"\} 5 1700000000123$/m);
  assert.match(out, /^last_reading 1\.5 1700000000123$/m);
});

Deno.test("writeText() omits a non-finite timestamp instead of writing an invalid one", () => {
  const out = writeText([fam("x", "gauge", "h", [s("x", [], 1, NaN), s("x", ["a", "b"], 2, Infinity)])]);
  assert.equal(out, '# HELP x h\n# TYPE x gauge\nx 1\nx{a="b"} 2\n');
});

Deno.test("writeText() writes a family without samples as metadata only, and nothing for no families", () => {
  assert.equal(writeText([fam("idle", "gauge", "Idle.", [])]), "# HELP idle Idle.\n# TYPE idle gauge\n");
  assert.equal(writeText([]), "");
});
