/**
 * The output side of the scrape memo: one exposition format's answer for one skeleton, as constant byte runs
 * with value slots between them, so a scrape that matches the skeleton only copies constants and writes
 * numbers.
 *
 * It is built from two runs of the real pipeline on the skeleton filled with tags: value `i` becomes `i`,
 * then `i + 0.5`. The memo is kept only if both answers have the same constants and every value in them reads
 * back as a tag of the same slot in both runs (`j` and `j + 0.5`). That proves each output value is a plain
 * copy of one input value: not scaled (`k·i` and `k·i + k/2` are a slot pair only for `k = 1`), not summed,
 * not counted, and no value leaked into a name, a label or a HELP text.
 *
 * @module
 */

import type { ByteWriter } from "../exposition/escape.ts";
import type { BodyValues } from "./skeleton.ts";
import { runSteps, STEP_VALUES } from "../pace.ts";

/** One format's answer for one skeleton. */
export interface OutputMemo {
  /** Output constants back to back: bytes `[ends[k-1], ends[k])` precede output value `k`. */
  consts: Uint8Array;
  /** End offset of each constant (one more than `slots`). */
  ends: Int32Array;
  /** The input value each output value copies. */
  slots: Int32Array;
  /** The names of the families in this answer, to check they cannot meet another target's or our own. */
  names: ReadonlySet<string>;
}

/** One tagged run: the answer's bytes and its family names. */
export interface TaggedAnswer {
  /** The upstream part of the answer, as the writer made it. */
  bytes: Uint8Array;
  /** Its family names. */
  names: ReadonlySet<string>;
}

/**
 * The value token of every sample line of an answer, as `[start, end)` byte pairs: the bytes after the
 * line's last space (a line not starting with `#` is a sample; the memo's bodies carry no timestamps).
 */
function* valueSpans(bytes: Uint8Array): Generator<void, number[]> {
  const spans: number[] = [];
  for (let at = 0, lines = 0; at < bytes.length; lines++) {
    if (lines === STEP_VALUES) {
      lines = 0;
      yield;
    }
    let end = bytes.indexOf(10, at);
    if (end < 0) end = bytes.length;
    if (at < end && bytes[at] !== 35) {
      let sp = end - 1;
      while (sp > at && bytes[sp] !== 32) sp--;
      spans.push(sp + 1, end);
    }
    at = end + 1;
  }
  return spans;
}

/** Whether `a[aFrom, aTo)` and `b[bFrom, bTo)` hold the same bytes. */
function sameBytes(
  a: Uint8Array,
  aFrom: number,
  aTo: number,
  b: Uint8Array,
  bFrom: number,
  bTo: number,
): boolean {
  if (aTo - aFrom !== bTo - bFrom) return false;
  for (let i = aFrom, j = bFrom; i < aTo; i++, j++) if (a[i] !== b[j]) return false;
  return true;
}

/** The slot a whole-run token names (`0`, `17`: plain digits, no leading zero), or -1. */
function tagOf(a: Uint8Array, from: number, to: number): number {
  if (to === from || to - from > 9 || (a[from] === 48 && to - from > 1)) return -1;
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = a[i];
    if (c < 48 || c > 57) return -1;
    n = n * 10 + c - 48;
  }
  return n;
}

/**
 * Builds one format's memo from the answers to the `i` and `i + 0.5` tagged bodies, or `null` when the
 * answer is not a plain copy of the input values (see the module doc). Works on the bytes: a 100k-series
 * answer would otherwise cost some 400k strings.
 *
 * @param slotCount The number of input values.
 * @param constants Whether a value equal in both answers is part of the skeleton (a JSON `true`, a numeric
 *   string): only for pipelines with no value-dependent step that could map both tags to one result (JSON
 *   mappings with states or value maps, a `scale` of 0).
 */
export function buildOutput(
  whole: TaggedAnswer,
  half: TaggedAnswer,
  slotCount: number,
  constants: boolean,
): OutputMemo | null {
  return runSteps(buildOutputSteps(whole, half, slotCount, constants));
}

/** {@linkcode buildOutput} as steps, for a paced caller (src/pace.ts). */
export function* buildOutputSteps(
  whole: TaggedAnswer,
  half: TaggedAnswer,
  slotCount: number,
  constants: boolean,
): Generator<void, OutputMemo | null> {
  const a = whole.bytes;
  const b = half.bytes;
  const sa = yield* valueSpans(a);
  const sb = yield* valueSpans(b);
  if (sa.length !== sb.length) return null;
  // Constant byte runs of `a` as [from, to) pairs, and after which run each value comes.
  const runs: number[] = [];
  const runEnds: number[] = [];
  const slots: number[] = [];
  const used = new Uint8Array(slotCount);
  let fromA = 0;
  let fromB = 0;
  for (let k = 0; k < sa.length; k += 2) {
    if (k % (2 * STEP_VALUES) === 0) yield;
    const startA = sa[k], endA = sa[k + 1], startB = sb[k], endB = sb[k + 1];
    if (!sameBytes(a, fromA, startA, b, fromB, startB)) return null;
    if (constants && sameBytes(a, startA, endA, b, startB, endB)) {
      runs.push(fromA, endA);
    } else {
      const i = tagOf(a, startA, endA);
      if (i < 0 || i >= slotCount || used[i] === 1) return null;
      // The half run's token must read "<i>.5".
      const half = endB - 2;
      if (!sameBytes(a, startA, endA, b, startB, half) || b[half] !== 46 || b[half + 1] !== 53) return null;
      used[i] = 1;
      slots.push(i);
      runs.push(fromA, startA);
      runEnds.push(runs.length);
    }
    fromA = endA;
    fromB = endB;
  }
  if (!sameBytes(a, fromA, a.length, b, fromB, b.length)) return null;
  runs.push(fromA, a.length);
  runEnds.push(runs.length);
  let size = 0;
  for (let r = 0; r < runs.length; r += 2) size += runs[r + 1] - runs[r];
  const consts = new Uint8Array(size);
  const ends = new Int32Array(runEnds.length);
  let pos = 0;
  yield;
  for (let k = 0, r = 0; k < runEnds.length; k++) {
    if (k % STEP_VALUES === 0) yield;
    for (; r < runEnds[k]; r += 2) {
      consts.set(a.subarray(runs[r], runs[r + 1]), pos);
      pos += runs[r + 1] - runs[r];
    }
    ends[k] = pos;
  }
  return { consts, ends, slots: Int32Array.from(slots), names: whole.names };
}

/** Bytes a render needs before its numbers: to size the buffer once. */
export function outputSize(m: OutputMemo): number {
  return m.consts.length + 24 * m.slots.length;
}

/**
 * Writes the answer for the values of a body with the memo's skeleton: a canonical token is copied from the
 * body's bytes, any other value written as a number.
 */
export function renderOutput(m: OutputMemo, values: BodyValues, body: Uint8Array, w: ByteWriter): void {
  renderSome(m, values, body, w, 0, m.slots.length);
  renderEnd(m, w);
}

/**
 * Writes output values `[first, last)` of {@linkcode renderOutput}'s answer, each after its constant, so a
 * long answer can be written in steps; {@linkcode renderEnd} then writes the last constant.
 */
export function renderSome(
  m: OutputMemo,
  values: BodyValues,
  body: Uint8Array,
  w: ByteWriter,
  first: number,
  last: number,
): void {
  const { consts, ends, slots } = m;
  const { spans, numbers } = values;
  let from = first === 0 ? 0 : ends[first - 1];
  for (let k = first; k < last; k++) {
    const to = ends[k];
    w.copy(consts, from, to);
    const slot = slots[k];
    const start = spans[2 * slot];
    if (start >= 0) w.copy(body, start, spans[2 * slot + 1]);
    else w.number(numbers[slot]);
    from = to;
  }
}

/** Writes the constant after the last output value. */
export function renderEnd(m: OutputMemo, w: ByteWriter): void {
  const n = m.slots.length;
  w.copy(m.consts, n === 0 ? 0 : m.ends[n - 1], m.ends[n]);
}
