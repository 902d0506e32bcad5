/**
 * EXPERIMENT, not used by the exporter: a scrape memo ("skeleton cache"), to measure how close to the
 * passthrough a design can get that does the rule work once per upstream *shape* instead of once per scrape.
 *
 * Observation: between two scrapes an upstream almost always sends the same lines with new values. Everything
 * the pipeline does except carrying values (parsing names and labels, rules, relabelling, static labels,
 * duplicate checks, escaping, writing names and labels) depends only on that skeleton. So:
 *
 * - `build` runs the real pipeline once on the body with every value replaced by its ordinal (a "tag"), then
 *   reads the output back: each output sample line is constant bytes followed by the tag of the input value it
 *   carries. The result is the input skeleton (every line up to its value) and the output as
 *   `const₀ value[tag₀] const₁ value[tag₁] ...`.
 * - `render` checks that the new body has exactly the same skeleton (`startsWith` at each line, no slicing, no
 *   allocation per line), parses only the values, and writes the constant bytes and values. Any difference
 *   (a new series, a changed HELP, a timestamp) returns `null` and the caller takes the real pipeline and
 *   builds a new memo.
 *
 * Limits of this prototype (a real one would record provenance in the pipeline instead of tagging values):
 * it refuses targets whose output values are not plain copies of input values (a `scale`, the `sum`
 * duplicate policy) by checking that every output value is a distinct tag, and lines with timestamps.
 *
 * @module
 */

import { writeTextBytes } from "../../src/exposition/text.ts";
import { formatNumber } from "../../src/exposition/escape.ts";
import { decodeBody } from "../../src/formats/decode.ts";
import { parseGoFloat } from "../../src/formats/prometheus_text_lex.ts";
import type { CompiledTarget } from "../../src/scrape.ts";
import type { UpstreamBody } from "../../src/upstream.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const ENC = new TextEncoder();

/** A compiled skeleton for one target and one upstream shape. */
export interface Memo {
  /** `text` or `json`. */
  kind: "text" | "json";
  /** Text: every input line up to its value (comment lines whole, with a 1 in `comment`). JSON: the keys. */
  keys: string[];
  /** Text: 1 for a line compared whole (comments, blank lines). */
  comment: Uint8Array;
  /** Output constants, back to back: `consts[ends[k-1], ends[k])` goes before value `tags[k]`; the last ends it. */
  consts: Uint8Array;
  /** End offset of each constant in `consts`. */
  ends: Int32Array;
  /** Output values by input ordinal. */
  tags: Int32Array;
  /** Size of the last output, to size the next buffer. */
  size: number;
}

// ---------------------------------------------------------------------------------------------- text

/** Finds where the value starts in a sample line `[at, end)`: after the name, the labels and the blanks. */
function valueStart(t: string, at: number, end: number): number {
  let i = at;
  while (i < end && t.charCodeAt(i) !== 123 && t.charCodeAt(i) !== 32 && t.charCodeAt(i) !== 9) i++;
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
  while (i < end && (t.charCodeAt(i) === 32 || t.charCodeAt(i) === 9)) i++;
  return i;
}

function buildText(target: CompiledTarget, body: UpstreamBody): Memo | null {
  const t = UTF8.decode(body.bytes);
  const keys: string[] = [];
  const comment: number[] = [];
  const parts: string[] = [];
  let ordinal = 0;
  for (let at = 0; at < t.length;) {
    let end = t.indexOf("\n", at);
    if (end < 0) end = t.length;
    const c = t.charCodeAt(at);
    if (at === end || c === 35 || c === 32 || c === 9) {
      keys.push(t.slice(at, end));
      comment.push(1);
      parts.push(t.slice(at, end));
    } else {
      const v = valueStart(t, at, end);
      const rest = t.slice(v, end);
      if (rest.trim().includes(" ") || rest.includes("\t")) return null; // a timestamp: not in this prototype
      keys.push(t.slice(at, v));
      comment.push(0);
      parts.push(t.slice(at, v) + ordinal++);
    }
    at = end + 1;
  }
  const tagged = { bytes: ENC.encode(parts.join("\n") + (t.endsWith("\n") ? "\n" : "")), contentType: body.contentType };
  const out = readTagged(writeTextBytes(target.transform.apply(decodeBody(target.decoder, tagged).families)), ordinal);
  return out && { kind: "text", keys, comment: Uint8Array.from(comment), ...out };
}

function renderText(m: Memo, body: UpstreamBody): Uint8Array | null {
  const t = UTF8.decode(body.bytes);
  const { keys, comment } = m;
  const values = new Float64Array(m.tags.length === 0 ? 0 : keys.length);
  let at = 0;
  let ordinal = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    // slice + === compares flat one-byte strings natively; startsWith(key, at) measured 4x slower here.
    if (t.slice(at, at + key.length) !== key) return null;
    at += key.length;
    if (comment[i] === 1) {
      if (at < t.length && t.charCodeAt(at) !== 10) return null;
    } else {
      let end = t.indexOf("\n", at);
      if (end < 0) end = t.length;
      let stop = end;
      while (stop > at && (t.charCodeAt(stop - 1) === 32 || t.charCodeAt(stop - 1) === 9)) stop--;
      const v = parseGoFloat(t, at, stop);
      if (v === undefined) return null; // a timestamp or a bad value: the real parser decides
      values[ordinal++] = v;
      at = end;
    }
    at++;
  }
  if (at < t.length) return null;
  return write(m, values);
}

// ---------------------------------------------------------------------------------------------- json

function buildJson(target: CompiledTarget, body: UpstreamBody): Memo | null {
  const doc = JSON.parse(UTF8.decode(body.bytes));
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) return null;
  const keys: string[] = [];
  const tagged: Record<string, number> = {};
  for (const k in doc) {
    if (typeof doc[k] !== "number") return null; // nested or coerced values: not in this prototype
    tagged[k] = keys.length;
    keys.push(k);
  }
  const tb = { bytes: ENC.encode(JSON.stringify(tagged)), contentType: body.contentType };
  const out = readTagged(writeTextBytes(target.transform.apply(decodeBody(target.decoder, tb).families)), keys.length);
  return out && { kind: "json", keys, comment: new Uint8Array(0), ...out };
}

function renderJson(m: Memo, body: UpstreamBody): Uint8Array | null {
  const doc = JSON.parse(UTF8.decode(body.bytes)) as Record<string, unknown>;
  const { keys } = m;
  const values = new Float64Array(keys.length);
  let i = 0;
  for (const k in doc) {
    if (i >= keys.length || k !== keys[i]) return null;
    const v = doc[k];
    if (typeof v !== "number") return null;
    values[i++] = v;
  }
  return i === keys.length ? write(m, values) : null;
}

// ---------------------------------------------------------------------------------------------- shared

/** Splits the tagged output into constants and tags; `null` when an output value is not a distinct tag. */
function readTagged(out: Uint8Array, count: number): Pick<Memo, "consts" | "ends" | "tags" | "size"> | null {
  const text = UTF8.decode(out);
  const consts: Uint8Array[] = [];
  const tags: number[] = [];
  const used = new Uint8Array(count);
  let from = 0;
  for (let at = 0; at < text.length;) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    if (text.charCodeAt(at) !== 35) {
      const sp = text.lastIndexOf(" ", end);
      const tag = Number(text.slice(sp + 1, end));
      if (!Number.isInteger(tag) || tag < 0 || tag >= count || used[tag] === 1) return null;
      used[tag] = 1;
      consts.push(ENC.encode(text.slice(from, sp + 1)));
      tags.push(tag);
      from = end;
    }
    at = end + 1;
  }
  consts.push(ENC.encode(text.slice(from)));
  const all = new Uint8Array(consts.reduce((n, c) => n + c.length, 0));
  const ends = new Int32Array(consts.length);
  let pos = 0;
  for (let k = 0; k < consts.length; k++) {
    all.set(consts[k], pos);
    pos += consts[k].length;
    ends[k] = pos;
  }
  return { consts: all, ends, tags: Int32Array.from(tags), size: out.byteLength };
}

/** Writes constants and values; numbers spelled as the exposition writers spell them. */
function write(m: Memo, values: Float64Array): Uint8Array {
  let buf = new Uint8Array(m.size + 64 * m.tags.length + 64);
  let pos = 0;
  const { consts, ends, tags } = m;
  for (let k = 0; k <= tags.length; k++) {
    const from = k === 0 ? 0 : ends[k - 1];
    const len = ends[k] - from;
    if (pos + len + 32 > buf.length) {
      const next = new Uint8Array(buf.length * 2 + len);
      next.set(buf.subarray(0, pos));
      buf = next;
    }
    // One subarray set per constant; measured faster than a set of many small arrays (locality).
    buf.set(consts.subarray(from, from + len), pos);
    pos += len;
    if (k === tags.length) break;
    const v = values[tags[k]];
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

/** Builds a memo for a target from one body, or `null` when this prototype cannot. */
export function buildMemo(target: CompiledTarget, body: UpstreamBody): Memo | null {
  const json = body.contentType?.includes("json") ?? false;
  return json ? buildJson(target, body) : buildText(target, body);
}

/** The response bytes for a new body with the memo's skeleton, or `null` when the skeleton differs. */
export function renderMemo(m: Memo, body: UpstreamBody): Uint8Array | null {
  return m.kind === "json" ? renderJson(m, body) : renderText(m, body);
}
