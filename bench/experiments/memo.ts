/**
 * EXPERIMENT, not used by the exporter: a scrape memo ("skeleton cache"), to measure how close to the
 * passthrough a design gets that does the rule work once per upstream *shape* instead of once per scrape.
 *
 * Observation: between two scrapes an upstream almost always sends the same bytes except for the values.
 * Everything the pipeline does except carrying values (parsing names and labels, rules, relabelling, static
 * labels, the duplicate check, escaping, writing names and labels) depends only on the rest, the skeleton.
 *
 * - A body is `piece₀ slot₀ piece₁ slot₁ … pieceₙ`: the slots are the sample values (Prometheus text: the
 *   value token of each sample line) or every number token (JSON, outside strings).
 * - `buildMemo` runs the real pipeline twice, on the body with slot `i` replaced by `i` and then by
 *   `i + 0.5`, and reads both outputs back as `const₀ value₀ const₁ value₁ …`. It keeps the memo only if
 *   both runs give the same constants and every output value maps back to the same slot in both: so no slot
 *   leaked into a name, label or HELP, no value was scaled, summed or filtered, and every output value is a
 *   plain copy of one input value.
 * - `renderMemo` checks that a new body has exactly the memo's pieces (`slice` + `===`, native compares),
 *   parses only the slots (with the real parsers' number syntax) and writes constants and values. Any
 *   difference returns `null`: the caller takes the real pipeline (which also reports any error) and builds a
 *   new memo.
 *
 * Both tag sets keep values non-negative and increasing, so a parser's checks (histogram counts must not be
 * negative, buckets must not decrease) pass; a real version would have the decoder record each sample's slot
 * instead of tagging.
 *
 * Values the parser validates (a counter, bucket or count must not be negative or NaN) are checked the same
 * way, or rather more strictly: such a value sends the scrape to the real parser, which reports it.
 *
 * Limits of this prototype: text 0.0.4 output only; the upstream part of the response only (the server would
 * append its own families); sample lines with timestamps are refused at build.
 *
 * @module
 */

import { formatNumber } from "../../src/exposition/escape.ts";
import { writeTextBytes } from "../../src/exposition/text.ts";
import { decodeBody } from "../../src/formats/decode.ts";
import { parseGoFloat } from "../../src/formats/prometheus_text_lex.ts";
import type { CompiledTarget } from "../../src/scrape.ts";
import type { UpstreamBody } from "../../src/upstream.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const ENC = new TextEncoder();

/** A compiled skeleton for one target and one upstream shape. */
export interface Memo {
  /** How slots are read: a Prometheus text value, or a JSON number. */
  kind: "text" | "json";
  /** The input pieces around the slots: `pieces[i]` comes before slot `i`; the last one ends the body. */
  pieces: string[];
  /** Output constants, back to back: `consts[ends[k-1], ends[k])` goes before output value `k`. */
  consts: Uint8Array;
  /** End offset of each constant in `consts` (one more than `slots`). */
  ends: Int32Array;
  /** The input slot each output value copies. */
  slots: Int32Array;
  /** 1 for a slot whose value must be `>= 0` (not NaN) to skip the real parser's check. */
  nonNegative: Uint8Array;
  /** Size of the output at build, to size the next buffer. */
  size: number;
}

/** Slot positions `[start, end)` in a body, or `null` when this prototype cannot split it. */
function findSlots(kind: Memo["kind"], t: string, checked: number[]): number[] | null {
  return kind === "json" ? jsonSlots(t) : textSlots(t, checked);
}

/**
 * Prometheus text: the value token of every sample line; `null` for a line with a timestamp. `checked`
 * collects the slots the parser validates (it refuses a negative or NaN counter, bucket or count): every
 * sample of a counter, histogram or summary family here, a superset, so such a value goes to the real parser.
 */
function textSlots(t: string, checked: number[]): number[] | null {
  const out: number[] = [];
  let validated = false;
  for (let at = 0; at < t.length;) {
    let end = t.indexOf("\n", at);
    if (end < 0) end = t.length;
    const c = t.charCodeAt(at);
    if (c === 35 && t.startsWith("# TYPE ", at)) {
      const type = t.slice(t.lastIndexOf(" ", end) + 1, end).trim();
      validated = type === "counter" || type === "histogram" || type === "summary";
    }
    if (at < end && c !== 35 && c !== 32 && c !== 9) {
      if (validated) checked.push(out.length / 2);
      const v = valueStart(t, at, end);
      let e = v;
      while (e < end && !isBlank(t.charCodeAt(e))) e++;
      let rest = e;
      while (rest < end && isBlank(t.charCodeAt(rest))) rest++;
      if (rest < end) return null; // a timestamp follows the value
      out.push(v, e);
    }
    at = end + 1;
  }
  return out;
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9;
}

/** Where the value starts in a sample line `[at, end)`: after the name, the labels and the blanks. */
function valueStart(t: string, at: number, end: number): number {
  let i = at;
  while (i < end && t.charCodeAt(i) !== 123 && !isBlank(t.charCodeAt(i))) i++;
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

/** JSON: every number token outside strings. */
function jsonSlots(t: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 34) {
      for (i++; i < t.length && t.charCodeAt(i) !== 34; i++) if (t.charCodeAt(i) === 92) i++;
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      const e = jsonNumberEnd(t, i);
      out.push(i, e);
      i = e - 1;
    }
  }
  return out;
}

/** The end of a JSON number starting at `i`, or `-1` when there is none (strict JSON grammar). */
function jsonNumberEnd(t: string, i: number): number {
  const digit = (k: number) => {
    const c = t.charCodeAt(k);
    return c >= 48 && c <= 57;
  };
  if (t.charCodeAt(i) === 45) i++;
  if (t.charCodeAt(i) === 48) i++;
  else if (digit(i)) { while (digit(i)) i++; }
  else return -1;
  if (t.charCodeAt(i) === 46) {
    if (!digit(++i)) return -1;
    while (digit(i)) i++;
  }
  const e = t.charCodeAt(i);
  if (e === 101 || e === 69) {
    i++;
    if (t.charCodeAt(i) === 43 || t.charCodeAt(i) === 45) i++;
    if (!digit(i)) return -1;
    while (digit(i)) i++;
  }
  return i;
}

/** Runs the real pipeline on the body with every slot replaced by `tag(i)`. */
function runTagged(
  target: CompiledTarget,
  body: UpstreamBody,
  t: string,
  slots: number[],
  tag: (i: number) => number,
) {
  const parts: string[] = [];
  let from = 0;
  for (let k = 0; k < slots.length; k += 2) {
    parts.push(t.slice(from, slots[k]), formatNumber(tag(k / 2)));
    from = slots[k + 1];
  }
  parts.push(t.slice(from));
  const tagged = { bytes: ENC.encode(parts.join("")), contentType: body.contentType };
  return writeTextBytes(target.transform.apply(decodeBody(target.decoder, tagged).families));
}

/** Splits an output into constants and values (the token after the last blank of each sample line). */
function splitOutput(out: Uint8Array): { consts: string[]; values: number[] } {
  const text = UTF8.decode(out);
  const consts: string[] = [];
  const values: number[] = [];
  let from = 0;
  for (let at = 0; at < text.length;) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    if (text.charCodeAt(at) !== 35) {
      const sp = text.lastIndexOf(" ", end);
      consts.push(text.slice(from, sp + 1));
      values.push(Number(text.slice(sp + 1, end)));
      from = end;
    }
    at = end + 1;
  }
  consts.push(text.slice(from));
  return { consts, values };
}

/** Builds a memo for a target from one body, or `null` when the output is not a plain copy of its values. */
export function buildMemo(target: CompiledTarget, body: UpstreamBody): Memo | null {
  const kind = body.contentType?.includes("json") ? "json" : "text";
  const t = UTF8.decode(body.bytes);
  const checked: number[] = [];
  const slots = findSlots(kind, t, checked);
  if (slots === null) return null;
  const n = slots.length / 2;
  let a, b;
  try {
    a = splitOutput(runTagged(target, body, t, slots, (i) => i));
    b = splitOutput(runTagged(target, body, t, slots, (i) => i + 0.5));
  } catch {
    return null; // the real pipeline refuses this body; it will say why
  }
  if (a.consts.length !== b.consts.length) return null;
  const out = new Int32Array(a.values.length);
  const used = new Uint8Array(n);
  for (let k = 0; k < a.values.length; k++) {
    const i = a.values[k];
    if (a.consts[k] !== b.consts[k] || !Number.isInteger(i) || i < 0 || i >= n || used[i] === 1) return null;
    if (b.values[k] - 0.5 !== i) return null;
    used[i] = 1;
    out[k] = i;
  }
  if (a.consts[a.values.length] !== b.consts[a.values.length]) return null;
  const bytes = a.consts.map((c) => ENC.encode(c));
  const consts = new Uint8Array(bytes.reduce((s, c) => s + c.length, 0));
  const ends = new Int32Array(bytes.length);
  let pos = 0;
  for (let k = 0; k < bytes.length; k++) {
    consts.set(bytes[k], pos);
    pos += bytes[k].length;
    ends[k] = pos;
  }
  const pieces: string[] = [];
  let from = 0;
  for (let k = 0; k < slots.length; k += 2) {
    pieces.push(t.slice(from, slots[k]));
    from = slots[k + 1];
  }
  pieces.push(t.slice(from));
  const nonNegative = new Uint8Array(n);
  for (const i of checked) nonNegative[i] = 1;
  return { kind, pieces, consts, ends, slots: out, nonNegative, size: pos + 16 * out.length };
}

/** The response bytes for a new body with the memo's skeleton, or `null` when the skeleton differs. */
export function renderMemo(m: Memo, body: UpstreamBody): Uint8Array | null {
  const t = UTF8.decode(body.bytes);
  const { pieces } = m;
  const n = pieces.length - 1;
  const values = new Float64Array(n);
  const json = m.kind === "json";
  let at = 0;
  for (let i = 0; i <= n; i++) {
    const piece = pieces[i];
    // slice + === compares flat one-byte strings natively; startsWith(piece, at) measured 4x slower here.
    if (t.slice(at, at + piece.length) !== piece) return null;
    at += piece.length;
    if (i === n) break;
    let end: number;
    if (json) {
      end = jsonNumberEnd(t, at);
      if (end < 0) return null;
      values[i] = Number(t.slice(at, end));
    } else {
      end = at;
      for (let c = t.charCodeAt(end); end < t.length && c !== 10 && c !== 32 && c !== 9;) {
        c = t.charCodeAt(++end);
      }
      const v = parseGoFloat(t, at, end);
      if (v === undefined || (!(v >= 0) && m.nonNegative[i] === 1)) return null;
      values[i] = v;
    }
    at = end;
  }
  return at === t.length ? write(m, values) : null;
}

/** Writes constants and values; numbers spelled as the exposition writers spell them. */
function write(m: Memo, values: Float64Array): Uint8Array {
  let buf = new Uint8Array(m.size + 64);
  let pos = 0;
  const { consts, ends, slots } = m;
  for (let k = 0; k <= slots.length; k++) {
    const from = k === 0 ? 0 : ends[k - 1];
    const len = ends[k] - from;
    if (pos + len + 32 > buf.length) {
      const next = new Uint8Array(buf.length * 2 + len);
      next.set(buf.subarray(0, pos));
      buf = next;
    }
    // One subarray set per constant from one array: measured faster than sets of many small arrays.
    buf.set(consts.subarray(from, from + len), pos);
    pos += len;
    if (k === slots.length) break;
    const v = values[slots[k]];
    if (v >= 0 && v < 1e15 && v === Math.floor(v)) {
      let digits = 1;
      for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
      let p = pos + digits;
      pos = p;
      let x = v;
      do {
        const q = Math.floor(x / 10);
        buf[--p] = 48 + (x - q * 10);
        x = q;
      } while (x > 0);
    } else {
      const s = formatNumber(v);
      for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
    }
  }
  return buf.subarray(0, pos);
}
