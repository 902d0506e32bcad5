/**
 * A text body in blocks of whole lines, for the streaming decode (./mod.ts).
 *
 * @module
 */

import { ParseError } from "../errors.ts";

/** For blocks: a leading BOM is skipped once, by offset, so a later block keeps any it has (and fails). */
const UTF8_BLOCK = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Bytes per block of a streamed text body. Big enough that the per-block costs (one native UTF-8 decode, one
 * backward search for a line feed) vanish, small enough that the decoded text of a whole body never exists.
 */
export const BLOCK_BYTES = 256 * 1024;

/**
 * A body's text in blocks of whole lines: each block ends just after a line feed (or at the end of the body),
 * which is safe to cut at in UTF-8 bytes since 0x0A is never part of a multi-byte sequence. A leading BOM is
 * skipped, as a whole-body decode does.
 *
 * @throws {ParseError} For bytes that are not valid UTF-8.
 */
export function* textBlocks(bytes: Uint8Array, blockBytes = BLOCK_BYTES): Generator<string> {
  const length = bytes.length;
  let start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (start < length) {
    let end = start + blockBytes;
    if (end >= length) {
      end = length;
    } else {
      const lastLf = bytes.lastIndexOf(10, end - 1);
      if (lastLf >= start) {
        end = lastLf + 1;
      } else {
        const nextLf = bytes.indexOf(10, end);
        end = nextLf === -1 ? length : nextLf + 1;
      }
    }
    let block: string;
    try {
      block = UTF8_BLOCK.decode(bytes.subarray(start, end));
    } catch (e) {
      throw new ParseError("the upstream body is not valid UTF-8", 0, { cause: e });
    }
    yield block;
    start = end;
  }
}
