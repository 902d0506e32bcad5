/**
 * Family grouping across families: a client_golang counter `x_total` beside a family `x`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parsePrometheusText } from "../../../src/formats/text/mod.ts";
import { writeOpenMetrics } from "../../../src/exposition/openmetrics.ts";
import { pythonParseMany, toolTest } from "../../_lib/validators.ts";

const CLASH_PAGE = [
  "# HELP go_memstats_alloc_bytes Number of bytes allocated and still in use.",
  "# TYPE go_memstats_alloc_bytes gauge",
  "go_memstats_alloc_bytes 1.2e+06",
  "# HELP go_memstats_alloc_bytes_total Total number of bytes allocated, even if freed.",
  "# TYPE go_memstats_alloc_bytes_total counter",
  "go_memstats_alloc_bytes_total 3.4e+07",
  "",
].join("\n");

Deno.test("parsePrometheusText() keeps a counter x_total beside a family x as unknown x_total", () => {
  const families = parsePrometheusText(CLASH_PAGE, "prometheus");
  assert.deepEqual(families.map((f) => [f.name, f.type, f.samples.map((s) => s.name)]), [
    ["go_memstats_alloc_bytes", "gauge", ["go_memstats_alloc_bytes"]],
    ["go_memstats_alloc_bytes_total", "unknown", ["go_memstats_alloc_bytes_total"]],
  ]);
  const om = writeOpenMetrics(families);
  assert.deepEqual(parsePrometheusText(om, "openmetrics").map((f) => f.name), families.map((f) => f.name));
});

toolTest(
  "a client_golang page with x and x_total families renders as OpenMetrics the strict parser accepts",
  [
    "python",
  ],
  async () => {
    const [result] = await pythonParseMany([{
      text: writeOpenMetrics(parsePrometheusText(CLASH_PAGE, "prometheus")),
      format: "openmetrics",
    }]);
    assert.ok(result.ok, result.ok ? "" : result.error);
  },
);
