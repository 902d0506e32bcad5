/**
 * Writes the internal model as OpenMetrics 1.0.0
 * (`application/openmetrics-text; version=1.0.0; charset=utf-8`).
 *
 * Rules this writer applies (the model already speaks OpenMetrics, so most things pass through):
 * - Metadata order is `# TYPE`, `# UNIT`, `# HELP`, as in the specification's examples; the Python strict
 *   parser and Prometheus 2.42 accept any order, at most one of each, before the samples.
 * - `# UNIT` only when the unit is non-empty, the family name ends with `_<unit>` (2.42 fails the scrape
 *   otherwise) and the type is not `info` or `stateset` (units are not allowed there); else it is omitted.
 * - `# HELP` is omitted when help is `""`; otherwise `\`, LF and `"` are escaped.
 * - Sample names are written as the model holds them: a counter `foo` has `foo_total` samples and
 *   `foo_created` only when the model carries one. `unknown` is spelled `unknown`.
 * - `le` on histogram and gauge-histogram samples and `quantile` on summary samples are rewritten into
 *   canonical float form (`1` → `1.0`, `1000000` → `1e+06`), the form client_golang writes and
 *   Prometheus 3 normalises to; other label values are never touched.
 * - Timestamps are seconds (`ms / 1000`, a float when needed). The body ends with `# EOF\n`, no blank lines.
 *
 * @module
 */

import type { MetricFamily, Sample } from "../model.ts";
import {
  ByteWriter,
  canonicalFloatLabel,
  escapeLabelValue,
  estimateSize,
  timestampSuffixSeconds,
} from "./escape.ts";

/**
 * Renders families as one OpenMetrics 1.0.0 document ending with `# EOF\n`. Families must already be valid
 * (legal names, no duplicates, OpenMetrics sample names); the writer neither checks nor reorders.
 *
 * @example Writing a counter
 * ```ts
 * import { writeOpenMetrics } from "./openmetrics.ts";
 * import assert from "node:assert/strict";
 * const out = writeOpenMetrics([{
 *   name: "jobs", type: "counter", help: "Jobs run.", unit: "",
 *   samples: [{ name: "jobs_total", labels: [], value: 3 }],
 * }]);
 * assert.equal(out, "# TYPE jobs counter\n# HELP jobs Jobs run.\njobs_total 3\n# EOF\n");
 * ```
 *
 * @param families The families to write, in output order.
 * @returns The document; exactly `"# EOF\n"` for no families.
 */
export function writeOpenMetrics(families: readonly MetricFamily[]): string {
  return render(families).text();
}

/**
 * Same document as {@linkcode writeOpenMetrics}, as UTF-8 bytes (for an HTTP body).
 *
 * @param families The families to write, in output order.
 * @returns The UTF-8 bytes of the document.
 */
export function writeOpenMetricsBytes(families: readonly MetricFamily[]): Uint8Array<ArrayBuffer> {
  return render(families).bytes();
}

function render(families: readonly MetricFamily[]): ByteWriter {
  const w = new ByteWriter(estimateSize(families));
  writeOpenMetricsInto(w, families);
  w.raw(OPENMETRICS_EOF);
  return w;
}

/** The line that ends an OpenMetrics document. */
export const OPENMETRICS_EOF = "# EOF\n";

/** Appends families as OpenMetrics to `w`, without the closing `# EOF` (see {@linkcode OPENMETRICS_EOF}). */
export function writeOpenMetricsInto(w: ByteWriter, families: readonly MetricFamily[]): void {
  // Bucket bounds and quantiles repeat on every series of a family; canonicalise each spelling once.
  let canon: Map<string, string> | undefined;
  for (let f = 0; f < families.length; f++) {
    const fam = families[f];
    const { name, type, unit, help } = fam;
    w.raw("# TYPE " + name + " " + type + "\n");
    if (unit !== "" && type !== "info" && type !== "stateset" && hasUnitSuffix(name, unit)) {
      w.raw("# UNIT " + name + " " + unit + "\n");
    }
    if (help !== "") {
      w.raw("# HELP " + name + " ");
      w.escaped(help, true);
      w.byte(10);
    }
    const samples = fam.samples;
    const special = type === "summary"
      ? "quantile"
      : type === "histogram" || type === "gaugehistogram"
      ? "le"
      : "";
    if (special !== "") canon ??= new Map();
    for (let i = 0; i < samples.length; i++) writeSample(w, samples[i], special, canon);
  }
}

/** Whether `name` ends with `_<unit>`. */
function hasUnitSuffix(name: string, unit: string): boolean {
  return name.length > unit.length + 1 && name.endsWith(unit) && name[name.length - unit.length - 1] === "_";
}

/** One sample line; the value of label `special` (`le`, `quantile` or none) is written canonically. */
function writeSample(
  w: ByteWriter,
  s: Sample,
  special: string,
  canon: Map<string, string> | undefined,
): void {
  w.raw(s.name);
  const labels = s.labels;
  if (labels.length !== 0) {
    w.byte(123); // {
    for (let j = 0; j < labels.length; j += 2) {
      if (j !== 0) w.byte(44); // ,
      const label = labels[j];
      w.raw(label);
      w.byte(61); // =
      w.byte(34); // "
      if (label === special && canon !== undefined) {
        const v = labels[j + 1];
        let c = canon.get(v);
        if (c === undefined) {
          // A non-numeric value comes back raw and still needs escaping.
          c = escapeLabelValue(canonicalFloatLabel(v));
          canon.set(v, c);
        }
        w.raw(c);
      } else {
        w.escaped(labels[j + 1], true);
      }
      w.byte(34);
    }
    w.byte(125); // }
  }
  w.byte(32);
  w.number(s.value);
  if (s.timestampMs !== undefined) w.raw(timestampSuffixSeconds(s.timestampMs));
  w.byte(10);
}
