/**
 * The relay's byte-level reading of a text exposition: character classes, comparisons, values and the
 * metadata words. Everything here reads bytes; strings are made only for names and for values that are not
 * already written as the writer writes them.
 *
 * @module
 */

import { parseGoFloat } from "../formats/text/mod.ts";
import type { MetricType } from "../model.ts";

export const HASH = 35, SPACE = 32, LF = 10, QUOTE = 34, COMMA = 44, EQUALS = 61, OPEN = 123, CLOSE = 125;
export const BACKSLASH = 92, TAB = 9, CR = 13, NUL = 0;

const UTF8 = new TextDecoder("utf-8", { fatal: true });
/** For long ranges: one char per byte (the ranges read here are ASCII, or fail their checks either way). */
const LATIN1 = new TextDecoder("latin1");
const LE = new TextEncoder().encode("le");
const QUANTILE = new TextEncoder().encode("quantile");

/** Why a pass gave the body back: thrown inside a pass, caught by its driver (not an Error: no stack). */
export class GiveUp {
  constructor(readonly why: string) {}
}

/** An ASCII string of `b[from, to)`, flat (a string built char by char would be a rope to hash). */
export function ascii(b: Uint8Array, from: number, to: number): string {
  switch (to - from) {
    case 0:
      return "";
    case 1:
      return String.fromCharCode(b[from]);
    case 2:
      return String.fromCharCode(b[from], b[from + 1]);
    default:
      // A spread of many arguments overflows the stack: a long range (a value of 200k digits) is decoded.
      return to - from > 256
        ? LATIN1.decode(b.subarray(from, to))
        : String.fromCharCode.apply(null, b.subarray(from, to) as unknown as number[]);
  }
}

/** A table of 256 bytes, 1 where `is` holds: one load per byte in the pass's loops, not a chain of compares. */
function byteTable(is: (c: number) => boolean): Uint8Array {
  const table = new Uint8Array(256);
  for (let c = 0; c < 256; c++) table[c] = is(c) ? 1 : 0;
  return table;
}

/** 1 for the bytes of a metric name after the first. */
export const NAME_CHARS = byteTable((c) => isNameChar(c));
/** 1 for the bytes of a label name after the first. */
export const LABEL_CHARS = byteTable((c) => isLabelChar(c));
/** 1 for the bytes that end or stop a label value the relay copies: `"`, `\`, LF, NUL, and non-ASCII. */
export const VALUE_STOPS = byteTable((c) =>
  c === QUOTE || c === BACKSLASH || c === LF || c === NUL || c >= 0x80
);
/** 1 for the bytes that end or stop a sample value: LF, and the blanks before a timestamp. */
const SAMPLE_VALUE_STOPS = byteTable((c) => c === LF || c === SPACE || c === TAB || c === CR);

/** A metric name's first character: a letter, `_` or `:`. */
export function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}

/** A metric name's other characters: also digits. */
export function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58 || (c >= 48 && c <= 57);
}

/** A label name's characters after the first (which is not a digit). */
export function isLabelChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57);
}

/** Whether `b[from, to)` is `name`. */
export function sameBytes(b: Uint8Array, from: number, to: number, name: Uint8Array): boolean {
  if (to - from !== name.length) return false;
  for (let i = 0; i < name.length; i++) if (b[from + i] !== name[i]) return false;
  return true;
}

/** Whether `b[a, a + len)` equals `b[c, c + len)`. */
export function sameRange(b: Uint8Array, a: number, c: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (b[a + i] !== b[c + i]) return false;
  return true;
}

/** Whether `b` at `p` starts with the ASCII `word`, before `eol`. */
export function startsWithWord(b: Uint8Array, p: number, eol: number, word: string): boolean {
  if (eol - p < word.length) return false;
  for (let i = 0; i < word.length; i++) if (b[p + i] !== word.charCodeAt(i)) return false;
  return true;
}

/** {@linkcode canonicalValue}: not written as the writer writes it. */
export const NOT_CANONICAL = 0;
/** {@linkcode canonicalValue}: written as the writer writes it, and not negative. */
export const CANONICAL = 1;
/** {@linkcode canonicalValue}: written as the writer writes it, and negative. */
export const CANONICAL_NEGATIVE = 2;

/**
 * Whether the value `b[s, e)` is already spelled as the writer spells its number (`formatNumber`), so the
 * relay copies its bytes: a decimal with at most 15 significant digits (each such decimal is the shortest
 * that reads back as its double, which is what JavaScript writes), no leading zero, no trailing zero in a
 * fraction, no exponent, and no more than five zeros after `0.` (below 1e-6 JavaScript writes an exponent).
 * `-0` is written `0`, so it is not canonical. Checked against the writer in tests/relay/relay_test.ts.
 */
export function canonicalValue(b: Uint8Array, s: number, e: number): number {
  let i = s;
  const negative = b[i] === 45;
  if (negative) i++;
  const intStart = i;
  let c = b[i];
  while (i < e && c >= 48 && c <= 57) c = b[++i];
  const intLength = i - intStart;
  if (intLength === 0 || (intLength > 1 && b[intStart] === 48)) return NOT_CANONICAL;
  const zero = b[intStart] === 48;
  let significant = zero ? 0 : intLength;
  if (i < e) {
    if (c !== 46) return NOT_CANONICAL;
    const fracStart = ++i;
    while (i < e && (c = b[i]) >= 48 && c <= 57) i++;
    if (i !== e || i === fracStart || b[e - 1] === 48) return NOT_CANONICAL;
    if (zero) {
      let z = fracStart;
      while (b[z] === 48) z++;
      if (z - fracStart > 5) return NOT_CANONICAL;
      significant = e - z;
    } else {
      significant += e - fracStart;
    }
  } else if (zero) {
    return negative ? NOT_CANONICAL : CANONICAL;
  }
  if (significant > 15) return NOT_CANONICAL;
  return negative ? CANONICAL_NEGATIVE : CANONICAL;
}

/**
 * Where the series has the label `le` (a bucket; `quantile` false) or `quantile` with a number, not NaN, and
 * for a quantile in [0, 1], as the parser checks them: its offset in `lab`, or -1.
 */
export function floatLabel(b: Uint8Array, lab: Int32Array, labels: number, quantile: boolean): number {
  const name = quantile ? QUANTILE : LE;
  for (let j = 0; j < labels; j++) {
    const k = j * 4;
    if (!sameBytes(b, lab[k], lab[k + 1], name)) continue;
    const v = parseGoFloat(ascii(b, lab[k + 2], lab[k + 3]), 0, lab[k + 3] - lab[k + 2]);
    return v !== undefined && v === v && (!quantile || (v >= 0 && v <= 1)) ? k : -1;
  }
  return -1;
}

/** A HELP text: UTF-8, with the escapes `\\` and `\n`; anything else gives the body back. */
export function helpText(b: Uint8Array, from: number, to: number): string {
  let text: string;
  try {
    text = UTF8.decode(b.subarray(from, to));
  } catch {
    throw new GiveUp("a HELP text that is not UTF-8");
  }
  if (text.indexOf("\0") !== -1 || text.indexOf("\r") !== -1) throw new GiveUp("a NUL or CR in a HELP text");
  if (text.indexOf("\\") === -1) return text;
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new GiveUp("a HELP escape");
  });
}

/** Checks a plain comment is UTF-8 without NUL or CR, as the parser does. */
export function checkComment(b: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    if (b[i] === NUL || b[i] === CR) throw new GiveUp("a NUL or CR in a comment");
  }
  try {
    UTF8.decode(b.subarray(from, to));
  } catch {
    throw new GiveUp("a comment that is not UTF-8");
  }
}

/** A TYPE line's type; others (OpenMetrics types, misspellings) give the body back. */
export function typeOf(word: string): MetricType {
  switch (word) {
    case "counter":
    case "gauge":
    case "histogram":
    case "summary":
      return word;
    case "untyped":
      return "unknown";
    default:
      throw new GiveUp("a type");
  }
}

/**
 * Copies `src[from, to)` to `out` at `o`; returns the position after. The pass's copies are short (a name,
 * the labels): a loop, in a small function V8 optimizes on its own whatever tier the large loop runs in
 * (inside it, the same loops measured several times slower).
 */
export function copyBytes(out: Uint8Array, o: number, src: Uint8Array, from: number, to: number): number {
  for (let k = from; k < to; k++) out[o++] = src[k];
  return o;
}

/** Copies an ASCII string to `out` at `o`; returns the position after (a rare path: kept out of the loop). */
export function copyAscii(out: Uint8Array, o: number, s: string): number {
  for (let k = 0; k < s.length; k++) out[o++] = s.charCodeAt(k);
  return o;
}

/** How many of the `length` bytes of `b` at `p` equal those of `other` at `at`. */
export function samePrefix(b: Uint8Array, p: number, other: Uint8Array, at: number, length: number): number {
  let k = 0;
  while (k < length && b[p + k] === other[at + k]) k++;
  return k;
}

/** The offset in `lab` of the series' label named `name`, or -1. */
export function labelAt(b: Uint8Array, lab: Int32Array, labels: number, name: Uint8Array): number {
  for (let j = 0; j < labels; j++) if (sameBytes(b, lab[j * 4], lab[j * 4 + 1], name)) return j * 4;
  return -1;
}

/**
 * Where the value starting at `vs` ends: at its line's end or the body's. A timestamp, a blank or no value
 * gives the body back (the pipeline's cases).
 */
export function valueEnd(b: Uint8Array, vs: number): number {
  let i = vs;
  while (SAMPLE_VALUE_STOPS[b[i]] === 0) i++;
  if (i < b.length && b[i] !== LF) throw new GiveUp("a timestamp or a blank");
  if (i === vs) throw new GiveUp("no value");
  return i;
}

/** Writes a sample's value (`formatted`, or the body's bytes `[vs, ve)` when empty) and its line end at `o`. */
export function writeValue(
  out: Uint8Array,
  o: number,
  b: Uint8Array,
  vs: number,
  ve: number,
  formatted: string,
): number {
  if (formatted === "") o = copyBytes(out, o, b, vs, ve);
  else o = copyAscii(out, o, formatted);
  out[o] = LF;
  return o + 1;
}

/** A view of `b`'s bytes for reading and writing them four at a time. */
export function viewOf(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Whether the `length` bytes of `b` at `p` equal those of `other` at `at`, compared four at a time (`bv` and
 * `ov` view the same bytes, {@linkcode viewOf}): a series key is some 60 bytes, and this halves the loop.
 */
export function sameBytes4(
  b: Uint8Array,
  bv: DataView,
  p: number,
  other: Uint8Array,
  ov: DataView,
  at: number,
  length: number,
): boolean {
  let k = 0;
  for (const words = length - 3; k < words; k += 4) {
    if (bv.getInt32(p + k) !== ov.getInt32(at + k)) return false;
  }
  for (; k < length; k++) if (b[p + k] !== other[at + k]) return false;
  return true;
}

/** {@linkcode copyBytes} four bytes at a time (`outView` and `srcView` view `out` and `src`). */
export function copyBytes4(
  out: Uint8Array,
  outView: DataView,
  o: number,
  src: Uint8Array,
  srcView: DataView,
  from: number,
  to: number,
): number {
  let k = from;
  for (const words = to - 3; k < words; k += 4, o += 4) outView.setInt32(o, srcView.getInt32(k));
  for (; k < to; k++) out[o++] = src[k];
  return o;
}
