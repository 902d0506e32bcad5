/**
 * The input side of the scrape memo: a body's skeleton is the body with its values cut out. Between two
 * scrapes an upstream almost always sends the same skeleton with new values, so the rule work (names, labels,
 * rules, relabelling, the duplicate check, escaping) can be done once per skeleton (see ./memo.ts).
 *
 * A body is `piece₀ value₀ piece₁ value₁ … pieceₙ`. The values ("slots") are, for Prometheus text and
 * OpenMetrics, the value token of each sample line; for JSON, every number token outside strings.
 * {@linkcode readValues} checks that a new body has exactly the skeleton's pieces and parses only the values.
 *
 * The memo reads bodies as Latin-1 ({@linkcode binaryText}: one char per byte), not UTF-8: about 2.5x faster
 * than a validating UTF-8 decode (bench/micro/memo_bench.ts), and equal strings mean equal bytes. Every delimiter the
 * memo looks for is ASCII, which no byte of a multi-byte UTF-8 sequence can be, and value tokens are ASCII, so
 * a body whose pieces equal those of a valid UTF-8 body is valid UTF-8 too.
 *
 * @module
 */

import { Buffer } from "node:buffer";

import type { ConcreteFormat } from "../formats/detect.ts";
import { ByteWriter } from "../exposition/escape.ts";
import { parseGoFloat } from "../formats/text/mod.ts";
import { runSteps, STEP_VALUES } from "../pace.ts";

/** One upstream shape: the text around the values, and what the real parser checks on each value. */
export interface Skeleton {
  /** The decoded format, which decides how value tokens end and are parsed. */
  format: ConcreteFormat;
  /** The Content-Type the body came with: another one may select another decoder. */
  contentType: string | null;
  /** The text around the values: `pieces[i]` precedes value `i`; the last piece ends the body. */
  pieces: string[];
  /**
   * 1 for a value the parser refuses when negative or NaN (counter totals, buckets and counts; here every
   * sample of a family typed other than gauge or untyped, a superset): such a value is left to the parser.
   */
  nonNegative: Uint8Array;
}

/** Types whose samples carry no check on the value in the parser. */
const UNCHECKED_TYPES = new Set(["gauge", "untyped", "unknown"]);

/**
 * Finds the skeleton of a body ({@linkcode binaryText}) the pipeline took in `format`, or `null` when the memo
 * cannot carry it: a sample line with a timestamp or an exemplar, whose values the memo does not parse.
 */
export function findSkeleton(
  format: ConcreteFormat,
  contentType: string | null,
  text: string,
): Skeleton | null {
  return runSteps(findSkeletonSteps(format, contentType, text));
}

/** {@linkcode findSkeleton} as steps, for a paced caller (src/pace.ts). */
export function* findSkeletonSteps(
  format: ConcreteFormat,
  contentType: string | null,
  text: string,
): Generator<void, Skeleton | null> {
  const spans = format === "json" ? yield* jsonSpans(text) : yield* textSpans(text, format);
  if (spans === null) return null;
  const pieces: string[] = [];
  let from = 0;
  for (let k = 0; k < spans.starts.length; k++) {
    if (k % STEP_VALUES === STEP_VALUES - 1) yield;
    pieces.push(text.slice(from, spans.starts[k]));
    from = spans.ends[k];
  }
  pieces.push(text.slice(from));
  return { format, contentType, pieces, nonNegative: Uint8Array.from(spans.checked) };
}

interface Spans {
  starts: number[];
  ends: number[];
  checked: number[];
}

/** The value token of every sample line, and which values the parser checks; `null` for a timestamp. */
function* textSpans(t: string, format: ConcreteFormat): Generator<void, Spans | null> {
  const spans: Spans = { starts: [], ends: [], checked: [] };
  let check = 0;
  for (let at = 0, lines = 0; at < t.length; lines++) {
    if (lines === STEP_VALUES) {
      lines = 0;
      yield;
    }
    let end = t.indexOf("\n", at);
    if (end < 0) end = t.length;
    const c = t.charCodeAt(at);
    if (c === 35) {
      if (t.startsWith("# TYPE ", at)) {
        const type = t.slice(t.lastIndexOf(" ", end) + 1, end).trim().toLowerCase();
        check = UNCHECKED_TYPES.has(type) ? 0 : 1;
      }
    } else if (at < end && c !== 32 && c !== 9) {
      const v = valueStart(t, at, end);
      const e = tokenEnd(t, v, end, format);
      let rest = e;
      while (rest < end && isBlank(t.charCodeAt(rest))) rest++;
      if (rest < end) return null;
      spans.starts.push(v);
      spans.ends.push(e);
      spans.checked.push(check);
    }
    at = end + 1;
  }
  return spans;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** The end of a value token as the parser sees it: a blank (OpenMetrics: a space) or the line's end. */
function tokenEnd(t: string, at: number, end: number, format: ConcreteFormat): number {
  let e = at;
  if (format === "openmetrics") { while (e < end && t.charCodeAt(e) !== 32) e++; }
  else while (e < end && !isBlank(t.charCodeAt(e))) e++;
  return e;
}

/** Where the value starts in a sample line `[at, end)`: after the name, the labels and the blanks. */
function valueStart(t: string, at: number, end: number): number {
  let i = at;
  while (i < end && t.charCodeAt(i) !== 123 && !isBlank(t.charCodeAt(i))) i++;
  while (i < end && isBlank(t.charCodeAt(i))) i++;
  if (i < end && t.charCodeAt(i) === 123) {
    let quoted = false;
    for (i++; i < end; i++) {
      const c = t.charCodeAt(i);
      if (quoted) {
        if (c === 92) i++;
        else if (c === 34) quoted = false;
      } else if (c === 34) quoted = true;
      else if (c === 125) break;
    }
    i++;
  }
  while (i < end && isBlank(t.charCodeAt(i))) i++;
  return i;
}

/** Every JSON number token outside strings. */
function* jsonSpans(t: string): Generator<void, Spans> {
  const spans: Spans = { starts: [], ends: [], checked: [] };
  for (let i = 0, next = STEP_CHARS; i < t.length; i++) {
    if (i >= next) {
      next = i + STEP_CHARS;
      yield;
    }
    const c = t.charCodeAt(i);
    if (c === 34) {
      for (i++; i < t.length && t.charCodeAt(i) !== 34; i++) if (t.charCodeAt(i) === 92) i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const e = jsonNumberEnd(t, i);
      if (e < 0) continue; // not JSON: the real parser refuses the body, so no memo is ever built from it
      spans.starts.push(i);
      spans.ends.push(e);
      spans.checked.push(0);
      i = e - 1;
    }
  }
  return spans;
}

/** Characters of a JSON body scanned between two looks at the clock: well under a millisecond. */
const STEP_CHARS = 64 * STEP_VALUES;

function isDigit(t: string, k: number): boolean {
  const c = t.charCodeAt(k);
  return c >= 48 && c <= 57;
}

/** The end of a JSON number starting at `i` (strict JSON grammar), or `-1` when there is none. */
function jsonNumberEnd(t: string, i: number): number {
  if (t.charCodeAt(i) === 45) i++;
  if (t.charCodeAt(i) === 48) i++;
  else if (isDigit(t, i)) { while (isDigit(t, i)) i++; }
  else return -1;
  if (t.charCodeAt(i) === 46) {
    if (!isDigit(t, ++i)) return -1;
    while (isDigit(t, i)) i++;
  }
  const e = t.charCodeAt(i);
  if (e === 101 || e === 69) {
    i++;
    if (t.charCodeAt(i) === 43 || t.charCodeAt(i) === 45) i++;
    if (!isDigit(t, i)) return -1;
    while (isDigit(t, i)) i++;
  }
  return i;
}

/**
 * A body's values, in skeleton order. A value token already spelled the way the writers spell its number (see
 * {@linkcode isCanonical}) is kept as its span in the body, to be copied, not parsed and formatted again.
 */
export interface BodyValues {
  /** Per value: `[start, end)` of its token in the body, or `start` -1 when only `numbers` holds it. */
  spans: Int32Array;
  /** Per value whose span is -1: the number. */
  numbers: Float64Array;
}

/**
 * Reads a body's values if it has exactly the skeleton's pieces, with the parser's number syntax and value
 * checks; `null` on any difference (the caller then runs the real pipeline, which also reports any error).
 * Both the body and the skeleton are {@linkcode binaryText}; the format is the skeleton's, since the format
 * detection only looks at the Content-Type and the first character, which is never a value.
 */
export function readValues(s: Skeleton, contentType: string | null, t: string): BodyValues | null {
  const read = startRead(s, contentType);
  if (read === null) return null;
  const n = s.pieces.length - 1;
  return readSome(s, t, read, n) && endRead(s, t, read) ? read.values : null;
}

/** A read of a body's values in steps ({@linkcode readSome}), so a long one can give the event loop turns. */
export interface ValueRead {
  /** The values read so far. */
  values: BodyValues;
  /** The next value to read. */
  next: number;
  /** Where its piece starts in the body. */
  at: number;
}

/** Starts a read of a body's values, or `null` when its Content-Type is not the skeleton's. */
export function startRead(s: Skeleton, contentType: string | null): ValueRead | null {
  if (contentType !== s.contentType) return null;
  const n = s.pieces.length - 1;
  return { values: { spans: new Int32Array(2 * n), numbers: new Float64Array(n) }, next: 0, at: 0 };
}

/**
 * Reads up to `count` more values (each with the piece before it) into `read`; `false` when the body differs
 * from the skeleton. Done once `read.next` is the number of values: then {@linkcode endRead}.
 */
export function readSome(s: Skeleton, t: string, read: ValueRead, count: number): boolean {
  const { pieces, nonNegative } = s;
  const { spans, numbers } = read.values;
  const last = Math.min(pieces.length - 1, read.next + count);
  const json = s.format === "json";
  const om = s.format === "openmetrics";
  let at = read.at;
  for (let i = read.next; i < last; i++) {
    at = matchPiece(pieces[i], t, at);
    if (at < 0) return false;
    let end: number;
    if (json) {
      end = jsonNumberEnd(t, at);
      if (end < 0) return false;
    } else {
      end = at;
      for (let c = t.charCodeAt(end); end < t.length && c !== 10 && c !== 32 && (om || c !== 9);) {
        c = t.charCodeAt(++end);
      }
    }
    if (isCanonical(t, at, end)) {
      if (nonNegative[i] === 1 && t.charCodeAt(at) === 45) return false;
      spans[2 * i] = at;
      spans[2 * i + 1] = end;
    } else {
      const v = json ? Number(t.slice(at, end)) : parseGoFloat(t, at, end);
      if (v === undefined || (nonNegative[i] === 1 && !(v >= 0))) return false;
      spans[2 * i] = -1;
      numbers[i] = v;
    }
    at = end;
  }
  read.next = last;
  read.at = at;
  return true;
}

/** Whether the body ends with the skeleton's last piece, once {@linkcode readSome} read every value. */
export function endRead(s: Skeleton, t: string, read: ValueRead): boolean {
  return read.next === s.pieces.length - 1 && matchPiece(s.pieces[read.next], t, read.at) === t.length;
}

/** Where `piece` ends if the body has it at `at`, else -1. */
function matchPiece(piece: string, t: string, at: number): number {
  const len = piece.length;
  if (len < SHORT_PIECE) {
    for (let k = 0; k < len; k++) if (t.charCodeAt(at + k) !== piece.charCodeAt(k)) return -1;
  } else if (t.slice(at, at + len) !== piece) {
    // slice + === compares flat one-byte strings natively; startsWith(piece, at) measured 4x slower here.
    return -1;
  }
  return at + len;
}

function isDigitCode(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Whether a token is exactly how the writers spell its number (`ByteWriter.number`: integer digits, else
 * JavaScript's shortest round-trip form), so it can be copied: an optional `-`, an integer part without a
 * leading zero, an optional fraction without a trailing zero, at most 15 significant digits (a decimal of 15
 * digits or fewer is its own shortest form), no exponent, not below 1e-6 (written with an exponent), not `-0`
 * (written `0`).
 */
export function isCanonical(t: string, at: number, end: number): boolean {
  let i = at;
  if (t.charCodeAt(i) === 45) i++;
  const intStart = i;
  while (i < end && isDigitCode(t.charCodeAt(i))) i++;
  const intLen = i - intStart;
  if (intLen === 0 || (intLen > 1 && t.charCodeAt(intStart) === 48)) return false;
  const zero = intLen === 1 && t.charCodeAt(intStart) === 48;
  if (i === end) return intLen <= 15 && !(zero && intStart > at);
  if (t.charCodeAt(i) !== 46) return false;
  const fracStart = ++i;
  while (i < end && isDigitCode(t.charCodeAt(i))) i++;
  if (i !== end || i === fracStart || t.charCodeAt(end - 1) === 48) return false;
  if (!zero) return intLen + (end - fracStart) <= 15;
  let first = fracStart;
  while (t.charCodeAt(first) === 48) first++;
  return first - fracStart <= 5 && end - first <= 15;
}

/** Pieces shorter than this are compared char by char: cheaper than slicing a string to compare it. */
const SHORT_PIECE = 16;

/** A body's bytes as a Latin-1 string: one char per byte (see the module doc). */
export function binaryText(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/**
 * The body with value `i` replaced by `tag(i)` (spelled so every decoder reads it back exactly), as the bytes
 * the pipeline takes, in steps: one `yield` after about {@linkcode STEP_VALUES} values.
 */
export function* fillSkeletonSteps(s: Skeleton, tag: (i: number) => number): Generator<void, Uint8Array> {
  const { pieces } = s;
  const n = pieces.length - 1;
  // Written straight into one buffer: the memo's build runs on the largest bodies, where 2n strings and
  // their join would add to its peak memory.
  let size = 0;
  for (let i = 0; i <= n; i++) size += pieces[i].length;
  const w = new ByteWriter(size + n * 12);
  for (let i = 0; i <= n; i++) {
    w.latin1(pieces[i]);
    if (i < n) w.number(tag(i));
    if (i % STEP_VALUES === STEP_VALUES - 1) yield;
  }
  return w.bytes();
}
