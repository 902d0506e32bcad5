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
import type { ByteWriter } from "./escape.ts";
import { renderDocument, writeHelp, writeSample } from "./_lines.ts";
import { runSteps, STEP_VALUES } from "../pace.ts";

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
  return renderDocument(families, writeOpenMetricsInto, OPENMETRICS_EOF).text();
}

/**
 * Same document as {@linkcode writeOpenMetrics}, as UTF-8 bytes (for an HTTP body).
 *
 * @param families The families to write, in output order.
 * @returns The UTF-8 bytes of the document.
 */
export function writeOpenMetricsBytes(families: readonly MetricFamily[]): Uint8Array<ArrayBuffer> {
  return renderDocument(families, writeOpenMetricsInto, OPENMETRICS_EOF).bytes();
}

/** The line that ends an OpenMetrics document. */
export const OPENMETRICS_EOF = "# EOF\n";

/** Appends families as OpenMetrics to `w`, without the closing `# EOF` (see {@linkcode OPENMETRICS_EOF}). */
export function writeOpenMetricsInto(w: ByteWriter, families: readonly MetricFamily[]): void {
  runSteps(writeOpenMetricsSteps(w, families));
}

/**
 * {@linkcode writeOpenMetricsInto} as steps: one `yield` after about {@linkcode STEP_VALUES} lines, so a
 * paced caller (src/pace.ts) can give the event loop turns while a large answer is written.
 */
export function* writeOpenMetricsSteps(
  w: ByteWriter,
  families: readonly MetricFamily[],
): Generator<void, void> {
  // Bucket bounds and quantiles repeat on every series of a family; canonicalise each spelling once.
  let canon: Map<string, string> | undefined;
  const companions = createdCompanions(families);
  let lines = 0;
  for (let f = 0; f < families.length; f++) {
    // TYPE, HELP and the samples: what writing the family costs, in lines.
    lines += families[f].samples.length + 2;
    if (lines >= STEP_VALUES) {
      lines = 0;
      yield;
    }
    const fam = families[f];
    if (companions?.folded.has(fam)) continue;
    const { name, type, unit, help } = fam;
    w.raw("# TYPE " + name + " " + type + "\n");
    if (unit !== "" && type !== "info" && type !== "stateset" && hasUnitSuffix(name, unit)) {
      w.raw("# UNIT " + name + " " + unit + "\n");
    }
    writeHelp(w, name, help, "openmetrics");
    const samples = fam.samples;
    const special = type === "summary"
      ? "quantile"
      : type === "histogram" || type === "gaugehistogram"
      ? "le"
      : "";
    if (special !== "") canon ??= new Map();
    const companion = companions?.byBase.get(fam);
    if (companion !== undefined || (CREATED_TYPES.has(type) && hasCreated(samples, name + CREATED))) {
      writeByPoint(w, fam, companion, special, canon);
    } else {
      for (let i = 0; i < samples.length; i++) writeSample(w, samples[i], "openmetrics", special, canon);
    }
  }
}

const CREATED = "_created";

/** The types whose MetricPoints may carry a `_created` sample. */
const CREATED_TYPES: ReadonlySet<string> = new Set(["counter", "histogram", "summary"]);

/**
 * Gauge or unknown families `x_created` beside a counter, histogram or summary `x` of the same document:
 * client_python's text 0.0.4 rendering of the created timestamp, kept as sent so rules can see and drop it.
 * OpenMetrics has no rendering for the pair apart (the Python parser: `Clashing name`), so the gauge's
 * samples are written as the `x_created` samples of `x`'s MetricPoints. `null` when there is none (the
 * common case costs one `endsWith` per family).
 */
function createdCompanions(
  families: readonly MetricFamily[],
): { byBase: Map<MetricFamily, MetricFamily>; folded: Set<MetricFamily> } | null {
  let candidates: MetricFamily[] | undefined;
  for (const f of families) {
    if ((f.type === "gauge" || f.type === "unknown") && f.name.endsWith(CREATED)) (candidates ??= []).push(f);
  }
  if (candidates === undefined) return null;
  const byName = new Map<string, MetricFamily>();
  for (const f of families) if (CREATED_TYPES.has(f.type)) byName.set(f.name, f);
  const byBase = new Map<MetricFamily, MetricFamily>();
  const folded = new Set<MetricFamily>();
  for (const c of candidates) {
    const base = byName.get(c.name.slice(0, -CREATED.length));
    if (base === undefined || byBase.has(base)) continue;
    byBase.set(base, c);
    folded.add(c);
  }
  return byBase.size === 0 ? null : { byBase, folded };
}

/** Whether any sample is named `createdName`. */
function hasCreated(samples: readonly Sample[], createdName: string): boolean {
  for (let i = 0; i < samples.length; i++) if (samples[i].name === createdName) return true;
  return false;
}

/**
 * Writes a family whose MetricPoints have `_created` samples (its own, or a companion gauge's): each
 * point's `x_created` right after the point's last sample, as OpenMetrics requires ("Invalid metric
 * grouping" otherwise). A `_created` sample of a point the family does not have is dropped: alone it is no
 * valid MetricPoint.
 */
function writeByPoint(
  w: ByteWriter,
  fam: MetricFamily,
  companion: MetricFamily | undefined,
  special: string,
  canon: Map<string, string> | undefined,
): void {
  const createdName = fam.name + CREATED;
  const created = new Map<string, Sample>();
  const points: Sample[] = [];
  for (const s of fam.samples) {
    if (s.name !== createdName) {
      points.push(s);
      continue;
    }
    const key = pointKey(s.labels, special);
    if (!created.has(key)) created.set(key, s);
  }
  for (const s of companion?.samples ?? []) {
    const key = pointKey(s.labels, special);
    if (!created.has(key)) created.set(key, { ...s, name: createdName });
  }
  // A point's samples are contiguous: its `_created` follows when the next sample starts another point.
  let key = points.length > 0 ? pointKey(points[0].labels, special) : "";
  for (let i = 0; i < points.length; i++) {
    writeSample(w, points[i], "openmetrics", special, canon);
    const next = i + 1 < points.length ? pointKey(points[i + 1].labels, special) : null;
    if (next !== key) {
      const c = created.get(key);
      if (c !== undefined) {
        created.delete(key);
        writeSample(w, c, "openmetrics", special, canon);
      }
    }
    if (next !== null) key = next;
  }
}

/** A MetricPoint's identity: its label pairs without `le`/`quantile`, in name order. */
function pointKey(labels: readonly string[], special: string): string {
  const pairs: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] !== special) pairs.push(labels[i] + "\u0000" + labels[i + 1]);
  }
  return pairs.sort().join("\u0001");
}

/** Whether `name` ends with `_<unit>`. */
function hasUnitSuffix(name: string, unit: string): boolean {
  return name.length > unit.length + 1 && name.endsWith(unit) && name[name.length - unit.length - 1] === "_";
}
