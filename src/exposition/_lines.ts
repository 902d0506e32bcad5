/**
 * The parts of a document the text 0.0.4 and OpenMetrics 1.0.0 writers spell alike: the buffer of a whole
 * document, the `# HELP` line and the sample line. One piece of code for both, so the writers differ only in
 * their family rules (text.ts, openmetrics.ts) and a fix to a line reaches both formats. Private to the two
 * writers; it sits on the hot path (one {@linkcode writeSample} call per series).
 *
 * @module
 */

import type { MetricFamily, Sample } from "../model.ts";
import {
  ByteWriter,
  canonicalFloatLabel,
  escapeLabelValue,
  estimateSize,
  timestampSuffixMs,
  timestampSuffixSeconds,
} from "./escape.ts";
import type { ExpositionFormat } from "./negotiate.ts";

/**
 * A new buffer holding one whole document: the families as `into` writes them, then `end` (OpenMetrics'
 * `# EOF`). A writer's string form is the buffer's `text()`, its bytes form the buffer's `bytes()`.
 */
export function renderDocument(
  families: readonly MetricFamily[],
  into: (w: ByteWriter, families: readonly MetricFamily[]) => void,
  end = "",
): ByteWriter {
  const w = new ByteWriter(estimateSize(families));
  into(w, families);
  if (end !== "") w.raw(end);
  return w;
}

/**
 * Appends `# HELP <name> <help>`, or nothing when help is `""`. A `"` is escaped in OpenMetrics only: HELP is
 * an escaped-string there, while promtool rejects `\"` in text 0.0.4.
 */
export function writeHelp(w: ByteWriter, name: string, help: string, format: ExpositionFormat): void {
  if (help === "") return;
  w.raw("# HELP " + name + " ");
  w.escaped(help, format === "openmetrics");
  w.byte(10);
}

/**
 * Appends one sample line, `name{l="v",…} value[ timestamp]`: the timestamp in integer milliseconds for
 * text, in seconds for OpenMetrics. With `canon`, the value of label `special` (`le` or `quantile`) is
 * written in canonical float form, each spelling converted once and kept in `canon` (bucket bounds repeat on
 * every series); without, every label value is written as the model holds it.
 */
export function writeSample(
  w: ByteWriter,
  s: Sample,
  format: ExpositionFormat,
  special = "",
  canon?: Map<string, string>,
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
      if (canon !== undefined && label === special) {
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
  const ts = s.timestampMs;
  if (ts !== undefined) w.raw(format === "openmetrics" ? timestampSuffixSeconds(ts) : timestampSuffixMs(ts));
  w.byte(10);
}
