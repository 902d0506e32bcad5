/**
 * The full sample-line reader of the Prometheus text / OpenMetrics parser: every line the fast path
 * (`_sample.ts`) leaves, character by character, with the format's spacing rules, escaped label values,
 * timestamps and OpenMetrics exemplars. It is also where malformed sample lines get their error message.
 *
 * @module
 */

import type { Sample } from "../../model.ts";
import { type Claim, KIND_BUCKET, KIND_PLAIN, KIND_TOTAL, sampleProblem } from "./_claims.ts";
import type { FamilyGrouper } from "./_group.ts";
import {
  codePointLength,
  isMetricNameChar,
  isMetricNameStart,
  parseGoFloat,
  parseInt64,
  quote,
} from "./_lex.ts";
import type { Scanner } from "./_scan.ts";

/** The OpenMetrics limit on an exemplar's label names plus values, in code points. */
const EXEMPLAR_MAX_CODE_POINTS = 128;

/** Reads any sample line at the scanner's position into the grouper's families, or fails. */
export class SampleLineReader {
  readonly #scan: Scanner;
  readonly #group: FamilyGrouper;

  /** Reads from the grouper's scanner into `group`. */
  constructor(group: FamilyGrouper) {
    this.#group = group;
    this.#scan = group.scan;
  }

  /** One sample line at `pos`: `name[{labels}] value [timestamp]`, plus an exemplar in OpenMetrics. */
  read(): void {
    const group = this.#group;
    const scan: Scanner = this.#scan;
    const { s, n, om } = scan;
    const start = scan.pos;
    let p = start;
    let c = s.charCodeAt(p);
    if (!isMetricNameStart(c)) scan.unexpected(p, "Expected a metric name");
    let claim = group.lastClaim;
    if (
      claim !== null && s.startsWith(claim.inputName, p) &&
      !isMetricNameChar(s.charCodeAt(p + claim.inputName.length))
    ) {
      p += claim.inputName.length;
    } else {
      p++;
      while (isMetricNameChar(s.charCodeAt(p))) p++;
      claim = group.claim(s, start, p);
      group.lastClaim = claim;
    }
    const record = claim.record;
    if (record !== group.current) group.enter(record);

    // Labels; text allows blanks before `{` and needs none between `}` and the value.
    c = s.charCodeAt(p);
    let separated = c === 32 || c === 9;
    if (!om) { while (c === 32 || c === 9) c = s.charCodeAt(++p); }
    let labels: string[];
    if (c === 123) {
      labels = scan.labels(p + 1, true);
      p = scan.pos;
      c = s.charCodeAt(p);
      separated = !om;
    } else {
      labels = [];
    }
    if (om) {
      if (c !== 32) scan.unexpected(p, 'Expected " " before the value');
      c = s.charCodeAt(++p);
    } else {
      if (c === 32 || c === 9) separated = true;
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (!separated) scan.unexpected(p, "Expected whitespace after the metric name");
    }

    const valueStart = p;
    if (om) {
      while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10) p++;
    } else {
      while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10 && c !== 9) p++;
    }
    if (p === valueStart) scan.unexpected(p, "Expected a value");
    const value = parseGoFloat(s, valueStart, p);
    if (value === undefined) scan.badNumber("value", valueStart, p);

    let timestampMs: number | undefined;
    if (om) {
      if (p < n && c === 32) {
        c = s.charCodeAt(++p);
        if (c !== 35) {
          const tsStart = p;
          while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10) p++;
          timestampMs = scan.omTimestamp(tsStart, p);
          if (p < n && c === 32) {
            c = s.charCodeAt(++p);
            if (c !== 35) scan.unexpected(p, 'Expected "# {" to start an exemplar');
          }
        }
        if (c === 35) p = this.#exemplar(p, claim);
      }
    } else {
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (p < n && c !== 10) {
        const tsStart = p;
        while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10 && c !== 9) p++;
        timestampMs = parseInt64(s, tsStart, p);
        if (timestampMs === undefined) scan.badNumber("timestamp", tsStart, p);
        if (timestampMs === 0) timestampMs = 0; // never -0
        while (c === 32 || c === 9) c = s.charCodeAt(++p);
      }
    }
    if (p < n && s.charCodeAt(p) !== 10) scan.unexpected(p, "Expected end of line");

    if (claim.kind !== KIND_PLAIN) {
      const problem = sampleProblem(claim, labels, value);
      if (problem !== undefined) scan.fail(problem);
    }
    claim.used = true;
    record.hasSamples = true;
    const sample: Sample = timestampMs === undefined
      ? { name: claim.outName, labels, value }
      : { name: claim.outName, labels, value, timestampMs };
    group.emit(record, sample);
    scan.pos = p;
    scan.nextLine();
  }

  /** Checks an OpenMetrics exemplar `# {labels} value [timestamp]` at `p` (the `#`) and skips it. */
  #exemplar(p: number, claim: Claim): number {
    const scan: Scanner = this.#scan;
    const { s, n } = scan;
    if (s.charCodeAt(p + 1) !== 32 || s.charCodeAt(p + 2) !== 123) {
      scan.unexpected(p, 'Expected "# {" to start an exemplar');
    }
    if (claim.kind !== KIND_TOTAL && claim.kind !== KIND_BUCKET) {
      scan.fail(`Sample ${quote(claim.outName)} may not have an exemplar (only counters and buckets may)`);
    }
    const labels = scan.labels(p + 3, false);
    p = scan.pos;
    let length = 0;
    for (const part of labels) length += codePointLength(part);
    if (length > EXEMPLAR_MAX_CODE_POINTS) {
      scan.fail(`Exemplar labels are longer than ${EXEMPLAR_MAX_CODE_POINTS} code points`);
    }
    if (s.charCodeAt(p) !== 32) scan.unexpected(p, 'Expected " " before the exemplar value');
    const valueStart = ++p;
    let c = 0;
    while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10) p++;
    if (parseGoFloat(s, valueStart, p) === undefined) scan.badNumber("exemplar value", valueStart, p);
    if (p < n && c === 32) {
      const tsStart = ++p;
      while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10) p++;
      scan.omTimestamp(tsStart, p);
    }
    return p;
  }
}
