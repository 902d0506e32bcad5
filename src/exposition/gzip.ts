/**
 * gzip for answers in parts (./respond.ts `SharedDocument`): one gzip member (RFC 1952) whose deflate data is
 * each part's raw deflate in turn. A part before the last ends with a sync flush (an empty stored block: the
 * data ends on a byte boundary, with no final block), so the next part's deflate can follow it; the last part's
 * ends the stream. Each part's deflate is kept with it, so a part that every request of a scrape shares is
 * compressed once per scrape, not once per request: an answer then costs the deflate of its own last part and
 * a CRC-32 pass. One member, not one per part, because not every gzip reader goes on past the first member.
 *
 * @module
 */

import { constants, crc32, deflateRawSync } from "node:zlib";

/** Level 1: most of gzip's gain on metric text at a fraction of the CPU (docs/PERFORMANCE.md). */
const LEVEL = 1;

/** The member header: deflate, no flags, no time, no extra flags, OS unknown (RFC 1952, 2.3). */
const HEADER = Uint8Array.of(0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255);

/** Each part's deflate ending on a sync flush, kept while the part lives (parts are never written again). */
const flushed = new WeakMap<Uint8Array, Uint8Array<ArrayBuffer>>();

/**
 * One gzip member of the parts' bytes in order, as pieces to send in order (the header and the shared parts'
 * deflates are shared with other answers: never write them). The parts must never be written again.
 *
 * @example
 * ```ts
 * import { gzipParts } from "./gzip.ts";
 * import { gunzipSync } from "node:zlib";
 * import assert from "node:assert/strict";
 *
 * const enc = new TextEncoder();
 * const pieces = gzipParts([enc.encode("a 1\n"), enc.encode("b 2\n")]);
 * const all = new Uint8Array(pieces.reduce((n, p) => n + p.byteLength, 0));
 * pieces.reduce((at, p) => (all.set(p, at), at + p.byteLength), 0);
 * assert.equal(new TextDecoder().decode(gunzipSync(all)), "a 1\nb 2\n");
 * ```
 */
export function gzipParts(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer>[] {
  const pieces: Uint8Array<ArrayBuffer>[] = [HEADER];
  let crc = 0;
  let size = 0;
  const last = parts.length - 1;
  for (let i = 0; i < last; i++) {
    const part = parts[i];
    crc = crc32(part, crc);
    size += part.byteLength;
    let deflated = flushed.get(part);
    if (deflated === undefined) {
      deflated = new Uint8Array(deflateRawSync(part, { level: LEVEL, finishFlush: constants.Z_SYNC_FLUSH }));
      flushed.set(part, deflated);
    }
    pieces.push(deflated);
  }
  const end = parts[last] ?? new Uint8Array(0);
  crc = crc32(end, crc);
  size += end.byteLength;
  pieces.push(new Uint8Array(deflateRawSync(end, { level: LEVEL })));
  // The trailer: CRC-32 and size modulo 2^32 of the uncompressed data, little-endian (RFC 1952, 2.3.1).
  const trailer = new Uint8Array(8);
  const view = new DataView(trailer.buffer);
  view.setUint32(0, crc >>> 0, true);
  view.setUint32(4, size >>> 0, true);
  pieces.push(trailer);
  return pieces;
}
