/**
 * The sample-line fast path of the Prometheus text / OpenMetrics parser, the hot path of every scrape. It
 * takes the canonical line `name{a="x",b="y"} value` + LF (valid in both formats), finding line ends and
 * closing quotes with native `indexOf`, comparing names that repeat the previous sample's whole, and reusing
 * recent short label values from a small table. Anything else (blanks, escapes, timestamps, exemplars,
 * errors) is left to the full line reader (`_line.ts`), which it is kept apart from so that this stays small
 * and monomorphic.
 *
 * @module
 */

import { KIND_PLAIN, sampleProblem } from "./_claims.ts";
import type { CachedLines } from "./_cached.ts";
import type { FamilyGrouper } from "./_group.ts";
import {
  isLabelNameChar,
  isLabelNameStart,
  isMetricNameChar,
  isMetricNameStart,
  plainValue,
  quote,
} from "./_lex.ts";
import type { Scanner } from "./_scan.ts";

/** Slots of the label value table (a power of two). */
const INTERN_SLOTS = 4096;

/** Longest label value worth looking up in the table. */
const MAX_INTERNED_LENGTH = 32;

/** True when `name` occurs in `s` at `p` (label names are short: a loop beats a slice to compare). */
function sameChars(s: string, p: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    if (s.charCodeAt(p + i) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/** Reads canonical sample lines at the scanner's position into the grouper's families. */
export class FastSampleReader {
  readonly #scan: Scanner;
  readonly #group: FamilyGrouper;
  /** The series cache's line reader, when streaming with one. */
  readonly #cached: CachedLines | null;
  /** Labels of the previous fast-path sample, whose strings are compared and reused. */
  #prevLabels: string[] = [];
  /** Direct-mapped table of recent short label values (see #value); `"\u0000"` marks an empty slot. */
  readonly #interned: string[] = new Array(INTERN_SLOTS).fill("\u0000");
  /** Scratch space for the fast path's labels. */
  readonly #scratch: string[] = [];
  /** Offset of the next backslash at or after the last search (`n` when none): escapes force the slow path. */
  #nextBackslash = 0;

  /** Reads from `scan` into `group`, trying `cached` first on each line when given. */
  constructor(scan: Scanner, group: FamilyGrouper, cached: CachedLines | null) {
    this.#scan = scan;
    this.#group = group;
    this.#cached = cached;
  }

  /** Starts on the block the scanner has just loaded. */
  load(): void {
    const backslash = this.#scan.s.indexOf("\\");
    this.#nextBackslash = backslash === -1 ? this.#scan.n : backslash;
  }

  /**
   * The label value `s[start, end)`. Short values repeat a lot (`instance`, `code`, `le`, ...), so they go
   * through a small direct-mapped table keyed by a hash computed here: a hit returns the earlier string with
   * no allocation, which also leaves fewer objects for the GC to keep.
   */
  #value(s: string, start: number, end: number): string {
    const length = end - start;
    if (length > MAX_INTERNED_LENGTH) return s.slice(start, end);
    let hash = length;
    for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + s.charCodeAt(i)) | 0;
    const slot = hash & (INTERN_SLOTS - 1);
    const table = this.#interned;
    const old = table[slot];
    if (old.length === length && sameChars(s, start, old)) return old;
    const value = s.slice(start, end);
    table[slot] = value;
    return value;
  }

  /**
   * Reads the sample line at `pos` if it is canonical and moves past it. Returns false, having changed
   * nothing that matters, for anything else, which the full line reader then parses.
   */
  read(): boolean {
    const scan: Scanner = this.#scan;
    const group = this.#group;
    const s = scan.s;
    const n = scan.n;
    const start = scan.pos;
    let lineEnd = s.indexOf("\n", start);
    if (lineEnd === -1) lineEnd = n;
    const cached = this.#cached;
    if (cached !== null && cached.line(start, lineEnd)) return true;
    // The metric name.
    let claim = group.lastClaim;
    let p: number;
    let c: number;
    if (claim !== null) {
      const name = claim.inputName;
      p = start + name.length;
      c = s.charCodeAt(p);
      if ((c !== 123 && c !== 32) || s.slice(start, p) !== name) claim = null;
    }
    if (claim === null) {
      p = start;
      if (!isMetricNameStart(s.charCodeAt(p))) return false;
      p++;
      while (isMetricNameChar(c = s.charCodeAt(p))) p++;
      if (c !== 123 && c !== 32) return false;
      claim = group.claim(s, start, p);
    } else {
      p = start + claim.inputName.length;
      c = s.charCodeAt(p);
    }
    // Labels, compared against the previous sample's.
    let labels: string[];
    if (c === 123) {
      const prev = this.#prevLabels;
      // Filled in place, then copied out at its exact size: a grown array would keep 17 slots.
      const scratch = this.#scratch;
      let k = 0;
      p++;
      for (;;) {
        let name = k < prev.length ? prev[k] : "";
        const nameEnd = p + name.length;
        if (name === "" || s.charCodeAt(nameEnd) !== 61 || !sameChars(s, p, name)) {
          const nameStart = p;
          if (!isLabelNameStart(s.charCodeAt(p))) return false;
          p++;
          while (isLabelNameChar(c = s.charCodeAt(p))) p++;
          if (c !== 61) return false;
          name = s.slice(nameStart, p);
          for (let i = 0; i < k; i += 2) {
            if (scratch[i] === name) scan.fail(`Duplicate label name ${quote(name)}`);
          }
          if (name === "__name__") scan.fail('Label name "__name__" is reserved');
        } else {
          p = nameEnd;
          for (let i = 0; i < k; i += 2) {
            if (scratch[i] === name) scan.fail(`Duplicate label name ${quote(name)}`);
          }
        }
        // Many labels: the slow path checks duplicates with a set instead of pairwise.
        if (s.charCodeAt(p + 1) !== 34 || k >= 64) return false;
        const valueStart = p + 2;
        const close = s.indexOf('"', valueStart);
        if (close === -1 || close > lineEnd) return false;
        if (this.#nextBackslash < valueStart) {
          const b = s.indexOf("\\", valueStart);
          this.#nextBackslash = b === -1 ? n : b;
        }
        if (this.#nextBackslash < close) return false;
        scratch[k] = name;
        scratch[k + 1] = this.#value(s, valueStart, close);
        k += 2;
        c = s.charCodeAt(close + 1);
        p = close + 2;
        if (c === 125) break;
        if (c !== 44) return false;
      }
      labels = scratch.slice(0, k);
      c = s.charCodeAt(p);
    } else {
      labels = [];
    }
    // The value, then the end of the line.
    if (c !== 32) return false;
    const valueStart = ++p;
    const value = plainValue(s, valueStart, lineEnd);
    if (value === undefined) return false;
    if (scan.om && lineEnd === n) return false;

    const record = claim.record;
    if (record !== group.current) group.enter(record);
    if (claim.kind !== KIND_PLAIN) {
      const problem = sampleProblem(claim, labels, value);
      if (problem !== undefined) scan.fail(problem);
    }
    claim.used = true;
    record.hasSamples = true;
    group.lastClaim = claim;
    if (labels.length !== 0) this.#prevLabels = labels;
    if (cached === null) group.emit(record, { name: claim.outName, labels, value });
    else cached.emit(record, claim, { name: claim.outName, labels, value }, start, valueStart);
    scan.pos = lineEnd;
    scan.nextLine();
    return true;
  }
}
