/**
 * Writes the internal model as Prometheus text format 0.0.4
 * (`text/plain; version=0.0.4; charset=utf-8`).
 *
 * The model speaks OpenMetrics; this writer maps it down the way client_python's `generate_latest` does:
 * - `counter` `foo`: metadata is named `foo_total` (HELP/TYPE carry the sample name in 0.0.4);
 *   `foo_created` samples are dropped (also for histograms and summaries), because 0.0.4 has no
 *   created-timestamp and a stray `foo_created` line would be a separate untyped series.
 * - `info` `foo`: `# TYPE foo_info gauge`, samples `foo_info{…} 1`.
 * - `stateset`: `gauge`, samples unchanged.
 * - `gaugehistogram` `foo`: `# TYPE foo histogram` with the `foo_bucket` samples, then the `foo_gcount` and
 *   `foo_gsum` samples as two gauge families of their own (same HELP), so every series keeps the name it
 *   has in OpenMetrics and promtool's lint stays clean.
 * - `unknown`: `untyped`.
 *
 * HELP is omitted when the family's help is `""`. Label values and `le`/`quantile` are written as the model
 * holds them (no canonicalisation: in 0.0.4, Prometheus 2.x stores `le="1"` and `le="1.0"` as different
 * series, so rewriting would rename series that upstream exposed). Timestamps are integer milliseconds.
 *
 * @module
 */

import type { MetricFamily, Sample } from "../model.ts";
import type { ByteWriter } from "./escape.ts";
import { renderDocument, writeHelp, writeSample } from "./_lines.ts";
import { runSteps, STEP_VALUES } from "../pace.ts";

/**
 * Renders families as one text 0.0.4 document. Families must already be valid (legal names, no duplicate
 * families or series, each family's samples belong to it); the writer neither checks nor reorders.
 *
 * @example Writing a counter
 * ```ts
 * import { writeText } from "./text.ts";
 * import assert from "node:assert/strict";
 * const out = writeText([{
 *   name: "jobs", type: "counter", help: "Jobs run.", unit: "",
 *   samples: [{ name: "jobs_total", labels: ["queue", "a"], value: 3 }],
 * }]);
 * assert.equal(out, '# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total{queue="a"} 3\n');
 * ```
 *
 * @param families The families to write, in output order.
 * @returns The document; `""` for no families.
 */
export function writeText(families: readonly MetricFamily[]): string {
  return renderDocument(families, writeTextInto).text();
}

/**
 * Same document as {@linkcode writeText}, as UTF-8 bytes: the form an HTTP body needs, without the
 * decode/encode round trip of a string.
 *
 * @param families The families to write, in output order.
 * @returns The UTF-8 bytes of the document.
 */
export function writeTextBytes(families: readonly MetricFamily[]): Uint8Array<ArrayBuffer> {
  return renderDocument(families, writeTextInto).bytes();
}

/** Appends families as text 0.0.4 to `w` (a document is any run of families: no header, no trailer). */
export function writeTextInto(w: ByteWriter, families: readonly MetricFamily[]): void {
  runSteps(writeTextSteps(w, families));
}

/**
 * {@linkcode writeTextInto} as steps: one `yield` after about {@linkcode STEP_VALUES} lines, so a paced
 * caller (src/pace.ts) can give the event loop turns while a large answer is written.
 */
export function* writeTextSteps(w: ByteWriter, families: readonly MetricFamily[]): Generator<void, void> {
  let lines = 0;
  for (let f = 0; f < families.length; f++) {
    // HELP, TYPE and the samples: what writing the family costs, in lines.
    lines += families[f].samples.length + 2;
    if (lines >= STEP_VALUES) {
      lines = 0;
      yield;
    }
    const fam = families[f];
    const name = fam.name;
    switch (fam.type) {
      case "counter":
        header(w, name + "_total", "counter", fam.help);
        writeSamples(w, fam.samples, name + "_created");
        break;
      case "gauge":
      case "stateset":
        header(w, name, "gauge", fam.help);
        writeSamples(w, fam.samples, "");
        break;
      case "histogram":
      case "summary":
        header(w, name, fam.type, fam.help);
        writeSamples(w, fam.samples, name + "_created");
        break;
      case "info":
        header(w, name + "_info", "gauge", fam.help);
        writeSamples(w, fam.samples, "");
        break;
      case "unknown":
        header(w, name, "untyped", fam.help);
        writeSamples(w, fam.samples, "");
        break;
      case "gaugehistogram":
        writeGaugeHistogram(w, fam);
        break;
    }
  }
}

/** `# HELP` (only when help is non-empty) and `# TYPE` for one metadata name. */
function header(w: ByteWriter, name: string, type: string, help: string): void {
  writeHelp(w, name, help, "text");
  w.raw("# TYPE " + name + " " + type + "\n");
}

/** Writes every sample except those named `skip` (`""` skips nothing, as no sample has an empty name). */
function writeSamples(w: ByteWriter, samples: readonly Sample[], skip: string): void {
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (s.name !== skip) writeSample(w, s, "text");
  }
}

/** A gauge histogram as a histogram of its buckets plus `_gcount` and `_gsum` gauge families (client_python). */
function writeGaugeHistogram(w: ByteWriter, fam: MetricFamily): void {
  const gcount = fam.name + "_gcount";
  const gsum = fam.name + "_gsum";
  const counts: Sample[] = [];
  const sums: Sample[] = [];
  header(w, fam.name, "histogram", fam.help);
  for (const s of fam.samples) {
    if (s.name === gcount) counts.push(s);
    else if (s.name === gsum) sums.push(s);
    else writeSample(w, s, "text");
  }
  if (counts.length !== 0) {
    header(w, gcount, "gauge", fam.help);
    writeSamples(w, counts, "");
  }
  if (sums.length !== 0) {
    header(w, gsum, "gauge", fam.help);
    writeSamples(w, sums, "");
  }
}
