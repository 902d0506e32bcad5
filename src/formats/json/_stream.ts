/**
 * The seed's JSON flattening straight from the body bytes, with memory bounded by its output: the bytes are
 * decoded one block at a time and scanned ({@linkcode JsonScanner}) without building a tree or holding the
 * text; what is kept is the key path of the open objects and one entry per numeric leaf
 * ({@linkcode LeafLog}). The result is exactly that of `flattenJson` on the decoded text, errors
 * included, which the tests check on random documents.
 *
 * @module
 */

import { ParseError } from "../../errors.ts";
import type { FlatJsonResult } from "./_flat.ts";
import { LeafLog } from "./_stream_log.ts";
import { JsonFault, JsonScanner } from "./_stream_scan.ts";
import { runSteps } from "../../pace.ts";

/** Bytes decoded per block: big enough that per-block costs vanish, small next to a scrape's output. */
export const DEFAULT_BLOCK_BYTES = 65536;

/** Options of {@linkcode flattenJsonBytes}. */
export interface FlattenBytesOptions {
  /** Bytes decoded per block (tests use tiny blocks to cut every token); {@linkcode DEFAULT_BLOCK_BYTES}. */
  blockBytes?: number;
}

/**
 * Flattens a JSON body the seed's way, straight from its bytes: the same families, values, skipped count
 * and errors as `flattenJson` on the body's text (a leading BOM dropped), without holding the
 * decoded text or a tree of the document.
 *
 * @param bytes The upstream body.
 * @param options Block size.
 * @returns The families and the count of skipped leaves.
 * @throws {ParseError} When the bytes are not UTF-8 or not JSON (the message gives the byte offset, line and
 *   column), the top level is not an object, or objects nest deeper than `MAX_JSON_DEPTH` (100).
 *
 * @example
 * ```ts
 * import { flattenJsonBytes } from "./_stream.ts";
 * import assert from "node:assert/strict";
 * const body = new TextEncoder().encode('{"cache": {"hits": 5, "ratio": "0.5"}, "up": true, "name": "x"}');
 * const { families, skipped } = flattenJsonBytes(body);
 * assert.deepEqual(families.map((f) => [f.name, f.samples[0].value]), [
 *   ["cache_hits", 5],
 *   ["cache_ratio", 0.5],
 *   ["up", 1],
 * ]);
 * assert.equal(skipped, 1); // "name" is not a number
 * ```
 */
export function flattenJsonBytes(bytes: Uint8Array, options: FlattenBytesOptions = {}): FlatJsonResult {
  return runSteps(flattenJsonSteps(bytes, options));
}

/**
 * {@linkcode flattenJsonBytes} as steps: one `yield` after each block, so a paced caller (src/pace.ts) gives
 * the event loop turns while a large body is read.
 */
export function* flattenJsonSteps(
  bytes: Uint8Array,
  options: FlattenBytesOptions = {},
): Generator<void, FlatJsonResult> {
  const block = options.blockBytes ?? DEFAULT_BLOCK_BYTES;
  if (!Number.isInteger(block) || block < 1) throw new RangeError(`Block size must be >= 1: got ${block}`);
  const log = new LeafLog();
  const scanner = new JsonScanner(log);
  let consumed = 0; // characters scanned before the block
  let pos = hasBom(bytes) ? 3 : 0; // as formats/mod.ts's bodyText() drops a leading BOM
  let end: number;
  let want = block;
  do {
    end = blockEnd(bytes, pos + want);
    const s = decode(bytes.subarray(pos, end));
    let used: number;
    try {
      used = scanner.feed(s, end === bytes.length);
    } catch (e) {
      if (!(e instanceof JsonFault)) throw e;
      // The whole body is checked as UTF-8 first today, so a bad byte anywhere wins over a syntax error.
      for (let from = end; from < bytes.length; from = end) {
        end = blockEnd(bytes, from + block);
        decode(bytes.subarray(from, end));
      }
      throw new ParseError(`invalid JSON ${where(bytes, consumed + e.index)}: ${e.message}`, 0, { cause: e });
    }
    consumed += used;
    // A token cut by the block's end is decoded again with the next block (one fresh string scans faster
    // than a concatenation); one longer than a block doubles the read, so it is rescanned O(1) times.
    const cut = used === s.length ? 0 : utf8Length(s, used);
    pos = end - cut;
    want = Math.max(block, 2 * cut);
    yield;
  } while (pos < bytes.length);
  if (scanner.notObject) throw new ParseError("the JSON document must be an object at the top level");
  return yield* log.families();
}

/**
 * Where a block that should end at `want` ends: at the next byte that starts a character (not a continuation
 * byte `10xxxxxx`; at most 3 on), so that each block decodes on its own (a one-shot decode is about twice as
 * fast as a streaming one). An invalid sequence that is cut stays invalid on one side of the cut, so the
 * blocks decode iff the body does.
 */
function blockEnd(bytes: Uint8Array, want: number): number {
  let end = want;
  while (end < bytes.length && end - want < 3 && (bytes[end] & 0xc0) === 0x80) end++;
  return Math.min(end, bytes.length);
}

/** How many UTF-8 bytes encode `s` from `from` (`s` is decoded UTF-8, so its surrogates come in pairs). */
function utf8Length(s: string, from: number): number {
  let bytes = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
  }
  return bytes;
}

function hasBom(bytes: Uint8Array): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** Fatal, and keeping a U+FEFF that starts a block: only the body's first one is a BOM. */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function decode(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch (e) {
    throw new ParseError("the upstream body is not valid UTF-8", 0, { cause: e });
  }
}

/** `at byte B (line L, column C)` for the `index`-th UTF-16 unit of the body's text (after a BOM). */
function where(bytes: Uint8Array, index: number): string {
  let p = hasBom(bytes) ? 3 : 0;
  let line = 1;
  let column = 1;
  for (let units = 0; units < index && p < bytes.length; units++) {
    const b = bytes[p];
    if (b === 10) {
      line++;
      column = 0;
    }
    column++;
    if (b >= 0xf0) units++; // four bytes: a surrogate pair in the text
    p += b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
  }
  return `at byte ${p} (line ${line}, column ${column})`;
}
