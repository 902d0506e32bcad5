/**
 * Where a relay pass writes its output lines: an arena, in runs of one output family each, each family's
 * header written just before its first line. Families fed by one upstream family (most) fill the main arena
 * in the order the answer takes them, so that arena is most of the answer as it is; a family the rules merge
 * from several upstream families takes its lines from all over the body, so it fills the side arena, where
 * its lines stay together. The answer is then a few spans of the two arenas (./mod.ts), not a copy.
 *
 * @module
 */

import type { PassFamily } from "./_output.ts";

/** {@linkcode PassFamily.arena} of a family whose lines go to the main arena. */
export const MAIN = 0;
/** {@linkcode PassFamily.arena} of a family merged from several upstream families. */
export const SIDE = 1;

/** One arena of a pass. */
export class Arena {
  /** The bytes; grown by doubling. */
  buf: Uint8Array<ArrayBuffer>;
  /** A view of `buf`, to write four bytes at a time. */
  view: DataView;
  /** Where the next byte goes. */
  pos = 0;
  /** The format's index in a route's headers. */
  readonly #format: number;
  #last: PassFamily | null = null;
  #runStart = 0;

  /**
   * @param buf Where to write: a buffer of the relay's pool (./mod.ts) when it has `capacity` bytes, else a
   *   new one. What it held before is overwritten.
   */
  constructor(buf: Uint8Array<ArrayBuffer> | null, capacity: number, format: number) {
    this.buf = buf !== null && buf.length >= capacity ? buf : new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
    this.#format = format;
  }

  /**
   * Room for an output line of at most `room` bytes of `fam`, written at `pos`: the family's run goes on or
   * starts, and its header goes first if this is its first line.
   */
  line(fam: PassFamily, room: number): Uint8Array {
    if (fam !== this.#last) {
      this.endRun();
      this.#last = fam;
      this.#runStart = this.pos;
    }
    if (fam.lines++ === 0) {
      const { slab, headers } = fam.out;
      const header = headers[this.#format];
      const buf = this.pos + header.length > this.buf.length ? this.#grow(header.length) : this.buf;
      buf.set(slab.buf.subarray(header.at, header.at + header.length), this.pos);
      this.pos += header.length;
    }
    return this.pos + room > this.buf.length ? this.#grow(room) : this.buf;
  }

  /** Ends the run of the family written last (call before reading the runs). */
  endRun(): void {
    const fam = this.#last;
    if (fam !== null && this.pos > this.#runStart) fam.runs.push(this.#runStart, this.pos);
    this.#last = null;
  }

  #grow(k: number): Uint8Array<ArrayBuffer> {
    // A line longer than its room would have lost bytes past the end (typed arrays drop them silently).
    if (this.pos > this.buf.length) throw new RangeError("Arena: a line overran its room");
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + k));
    next.set(this.buf.subarray(0, this.pos));
    this.view = new DataView(next.buffer);
    return this.buf = next;
  }
}
