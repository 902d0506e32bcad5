/**
 * Tests for src/exposition/openmetrics.ts (OpenMetrics 1.0.0): exact golden files and one targeted test per
 * rule (metadata order, UNIT, canonical `le`/`quantile`, seconds timestamps, `# EOF`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { writeOpenMetrics, writeOpenMetricsBytes } from "../../src/exposition/openmetrics.ts";
import { writeText } from "../../src/exposition/text.ts";
import { assertWellFormed } from "../_lib/validators.ts";
import { CASES, checkGolden, fam, s } from "./_cases.ts";

for (const [name, { families }] of Object.entries(CASES)) {
  Deno.test(`writeOpenMetrics() matches golden ${name}.om`, () => {
    checkGolden(`${name}.om`, writeOpenMetrics(families), "openmetrics");
  });
}

Deno.test("writeOpenMetricsBytes() is the UTF-8 of writeOpenMetrics()", () => {
  const all = Object.values(CASES).flatMap((c) => c.families);
  assert.deepEqual(writeOpenMetricsBytes(all), new TextEncoder().encode(writeOpenMetrics(all)));
});

// ---------------------------------------------------------------- OpenMetrics rules

Deno.test("writeOpenMetrics() writes an empty family list as exactly # EOF", () => {
  assert.equal(writeOpenMetrics([]), "# EOF\n");
});

Deno.test("writeOpenMetrics() writes TYPE, UNIT, HELP in that order under the family name", () => {
  const out = writeOpenMetrics(CASES.histogram.families);
  assert.ok(
    out.startsWith(
      "# TYPE request_duration_seconds histogram\n# UNIT request_duration_seconds seconds\n" +
        "# HELP request_duration_seconds Request latency.\n",
    ),
    out,
  );
});

Deno.test("writeOpenMetrics() writes UNIT only for a matching name suffix and never on info", () => {
  const out = writeOpenMetrics(CASES.units.families);
  assert.match(out, /^# UNIT disk_usage_bytes bytes$/m);
  assert.match(out, /^# UNIT io_read_bytes bytes$/m);
  assert.doesNotMatch(out, /# UNIT cpu_time/);
  assert.doesNotMatch(out, /# UNIT release/);
});

Deno.test("writeOpenMetrics() writes counters as family foo with foo_total and foo_created samples", () => {
  const out = writeOpenMetrics(CASES.counter.families);
  assert.match(out, /^# TYPE jobs_processed counter\n# HELP jobs_processed Jobs processed\.\n/m);
  assert.match(out, /^jobs_processed_total 42\njobs_processed_created 1700000000\.25\n/m);
  assert.doesNotMatch(out, /http_requests_created/);
});

Deno.test("writeOpenMetrics() spells unknown as unknown and keeps info and stateset types", () => {
  assert.match(writeOpenMetrics(CASES.unknown.families), /^# TYPE legacy_value unknown$/m);
  assert.match(writeOpenMetrics(CASES.info.families), /^# TYPE build info\n(?:.*\n)?build_info\{/m);
  assert.match(writeOpenMetrics(CASES.stateset.families), /^# TYPE service_state stateset$/m);
});

Deno.test("writeOpenMetrics() canonicalises le and quantile but no other label", () => {
  const hist = writeOpenMetrics(CASES.histogram.families);
  assert.match(hist, /le="1\.0"\} 9$/m);
  assert.match(hist, /le="1e\+06"\} 10$/m);
  assert.match(hist, /le="0\.005"\} 2$/m);
  assert.match(writeOpenMetrics(CASES.summary.families), /quantile="0\.0"\} 0\.001$/m);
  const gauge = writeOpenMetrics([fam("g", "gauge", "h", [s("g", ["le", "1"], 1)])]);
  assert.match(gauge, /g\{le="1"\} 1/);
  const odd = writeOpenMetrics([fam("h", "histogram", "h", [s("h_bucket", ["le", 'x"y'], 1)])]);
  assert.match(odd, /h_bucket\{le="x\\"y"\} 1/);
});

Deno.test("writeOpenMetrics() writes timestamps in seconds", () => {
  const out = writeOpenMetrics(CASES.timestamps.families);
  assert.match(out, /^events_seen_total\{source="a"\} 5 1700000000\.123$/m);
  assert.match(out, /^events_seen_total\{source="b"\} 6 1700000000$/m);
  assert.match(out, /^last_reading\{probe="early"\} 2 0\.001$/m);
});

Deno.test("writeOpenMetrics() ends with # EOF and has no blank line", () => {
  const all = Object.values(CASES).flatMap((c) => c.families);
  const out = writeOpenMetrics(all);
  assert.ok(out.endsWith("\n# EOF\n"));
  assert.ok(!out.includes("\n\n"));
  assertWellFormed(out, "openmetrics");
  assertWellFormed(writeText(all), "text");
});
