/**
 * What a metric family takes and what each of its samples must satisfy, for the Prometheus text /
 * OpenMetrics parser: the per-sample check kinds, the {@linkcode Claim} (one sample name a family takes) and
 * {@linkcode FamilyRecord} (one family while parsing), and the checks themselves. Kept apart from the
 * registry (`_families.ts`) because the sample readers need only these, on every line.
 *
 * @module
 */

import { ParseError } from "../../errors.ts";
import { getLabel, type MetricFamily } from "../../model.ts";
import { parseGoFloat, quote } from "./_lex.ts";

/** No per-sample check. */
export const KIND_PLAIN = 0;
/** A counter's `_total` sample: OpenMetrics forbids negative and NaN; may carry an exemplar. */
export const KIND_TOTAL = 1;
/** A `_bucket` sample: a float `le` (OpenMetrics: required), not negative; may carry an exemplar. */
export const KIND_BUCKET = 2;
/** A `_count` / `_gcount` sample: not negative (OpenMetrics: not NaN either). */
export const KIND_COUNT = 3;
/** A summary's bare sample: a float `quantile` label (OpenMetrics: required, value not negative). */
export const KIND_QUANTILE = 4;
/** An info `_info` sample (OpenMetrics: value 1). */
export const KIND_INFO = 5;
/** A stateset sample (OpenMetrics: has a label named after the family, value 0 or 1). */
export const KIND_STATESET = 6;

/** One sample name a family takes: the family name plus `suffix`. */
export interface Claim {
  /** The owning family. */
  readonly record: FamilyRecord;
  /** The suffix after the family name (`""` for the bare name). */
  readonly suffix: string;
  /** The sample name as the input spells it: the family name plus `suffix`. */
  readonly inputName: string;
  /** The sample name written into the model (a text counter's bare sample becomes `<name>_total`). */
  readonly outName: string;
  /** Which per-sample checks apply (a KIND_* constant). */
  readonly kind: number;
  /** A sample used this claim, so it can no longer move to another family. */
  used: boolean;
}

/** One declared or implied family while parsing. */
export interface FamilyRecord {
  /** The model family, returned as is. */
  readonly family: MetricFamily;
  /** The name in the `# HELP`/`# TYPE`/`# UNIT` line, or the sample name of an implied family. */
  readonly declaredName: string;
  /** Started by a sample without any metadata (an `unknown` family of that sample's name). */
  readonly implied: boolean;
  /** The sample names this family takes (ceded claims removed). */
  claims: Claim[];
  /** A TYPE line was seen. */
  hasType: boolean;
  /** A HELP line was seen. */
  hasHelp: boolean;
  /** A UNIT line was seen (OpenMetrics). */
  hasUnit: boolean;
  /** At least one sample was added. */
  hasSamples: boolean;
  /** OpenMetrics: another family started after this one, so it may not continue. */
  closed: boolean;
  /** Streaming: the family its samples were passed on with, fixed at its first sample. */
  out: MetricFamily | null;
  /** Streaming with a series cache: the token of `out` (see `SeriesCache.token`). */
  token: object | null;
}

/**
 * The per-type check on one sample (see the KIND_* constants): returns the problem, or `undefined` when the
 * sample is fine. The rules are OpenMetrics' and apply to text 0.0.4 too, because whatever is accepted must
 * be writable as valid OpenMetrics: counter totals, bucket and count values are neither negative nor NaN, a
 * bucket has a numeric `le` (not NaN), a summary quantile a `quantile` in [0, 1]; info samples are 1 and
 * stateset samples 0 or 1 with a label named after the family (OpenMetrics only has those types).
 */
export function sampleProblem(claim: Claim, labels: string[], value: number): string | undefined {
  switch (claim.kind) {
    case KIND_TOTAL:
      return !(value >= 0) ? `Counter sample ${quote(claim.outName)} is negative or NaN` : undefined;
    case KIND_BUCKET:
      return floatLabelProblem(claim, labels, "le") ?? countProblem(claim, value);
    case KIND_COUNT:
      return countProblem(claim, value);
    case KIND_QUANTILE:
      return floatLabelProblem(claim, labels, "quantile");
    case KIND_INFO:
      return value !== 1 ? `Info sample ${quote(claim.outName)} must have the value 1` : undefined;
    case KIND_STATESET: {
      const family = claim.record.family.name;
      if (getLabel(labels, family) === undefined) {
        return `Stateset sample ${quote(family)} lacks the label ${quote(family)}`;
      }
      return value !== 0 && value !== 1 ? `Stateset sample ${quote(family)} must be 0 or 1` : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The value part of {@linkcode sampleProblem}, for a series whose labels already passed: whether the value is
 * wrong for the kind (then the full check names the problem).
 */
export function valueProblem(kind: number, value: number): boolean {
  switch (kind) {
    case KIND_TOTAL:
    case KIND_BUCKET:
    case KIND_COUNT:
      return !(value >= 0);
    case KIND_INFO:
      return value !== 1;
    case KIND_STATESET:
      return value !== 0 && value !== 1;
    default:
      return false;
  }
}

/** `le` must be a number other than NaN, `quantile` a number in [0, 1]; both are required. */
function floatLabelProblem(claim: Claim, labels: string[], label: string): string | undefined {
  const v = getLabel(labels, label);
  if (v === undefined) return `Sample ${quote(claim.outName)} lacks the label ${quote(label)}`;
  const n = parseGoFloat(v, 0, v.length);
  if (n === undefined || n !== n || (label === "quantile" && !(n >= 0 && n <= 1))) {
    return `Label ${quote(label)} of ${quote(claim.outName)} is not a valid ${label}: ${quote(v)}`;
  }
  return undefined;
}

/** Bucket counts and counts are neither negative nor NaN. */
function countProblem(claim: Claim, value: number): string | undefined {
  return !(value >= 0) ? `Count sample ${quote(claim.outName)} is negative or NaN` : undefined;
}

/**
 * A gauge histogram `g` (OpenMetrics only) is written in text 0.0.4 as a histogram, whose reserved sample
 * names include `g_sum` and `g_count`: another family of either name would make that output invalid, so the
 * whole input is refused.
 *
 * @throws {ParseError} Naming both families.
 */
export function checkGaugeHistogramNames(families: readonly MetricFamily[]): void {
  let reserved: Map<string, string> | undefined;
  for (const f of families) {
    if (f.type !== "gaugehistogram") continue;
    reserved ??= new Map();
    reserved.set(f.name + "_sum", f.name);
    reserved.set(f.name + "_count", f.name);
  }
  if (reserved === undefined) return;
  for (const f of families) {
    const owner = reserved.get(f.name);
    if (owner !== undefined) {
      throw new ParseError(
        `Family ${quote(f.name)} clashes with the samples of gaugehistogram family ${quote(owner)}`,
      );
    }
  }
}
