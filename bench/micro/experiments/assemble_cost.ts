// The cost of one document (DocumentBuilder) and of the OpenMetrics writer per family and per counter sample:
// `deno run -A bench/micro/experiments/assemble_cost.ts`. Figures in docs/PERFORMANCE.md.
import { DocumentBuilder } from "../../../src/exposition/assemble.ts";
import { writeOpenMetricsBytes } from "../../../src/exposition/openmetrics.ts";
import type { MetricFamily } from "../../../src/model.ts";
const many: MetricFamily[] = Array.from(
  { length: 100_000 },
  (_, i) => ({
    name: `key_${i}_value`,
    type: "unknown",
    help: "h",
    unit: "",
    samples: [{ name: `key_${i}_value`, labels: ["service", "foo"], value: i }],
  }),
);
const counters: MetricFamily[] = Array.from(
  { length: 100 },
  (_, f) => ({
    name: `c${f}`,
    type: "counter",
    help: "h",
    unit: "",
    samples: Array.from(
      { length: 1000 },
      (_, i) => ({ name: `c${f}_total`, labels: ["i", String(i)], value: i }),
    ),
  }),
);
function t(label: string, fn: () => void) {
  for (let i = 0; i < 5; i++) fn();
  const n = 20;
  const s = performance.now();
  for (let i = 0; i < n; i++) fn();
  Deno.stdout.writeSync(
    new TextEncoder().encode(`${label} ${((performance.now() - s) / n).toFixed(2)} ms\n`),
  );
}
t("builder 100k families", () => {
  const d = new DocumentBuilder();
  d.add({ source: "a", families: many, onDuplicate: "error" });
  d.families();
});
t("OM write 100k families", () => {
  writeOpenMetricsBytes(many);
});
t("OM write 100k counter samples", () => {
  writeOpenMetricsBytes(counters);
});
