/**
 * Byte strings kept in one growing buffer: names, output prefixes, headers. In this V8 a small typed array
 * costs about a microsecond to make (a view into a large buffer a tenth of that), so a route of a dozen byte
 * strings, made for each of ten thousand families, would cost more than the scrape.
 *
 * @module
 */

const ENC = new TextEncoder();

/** A growing buffer of byte strings, each known by its offset and length. */
export class Slab {
  /** The bytes; replaced (not changed) when it grows, so read it after adding. */
  buf: Uint8Array;
  #length = 0;

  constructor(capacity = 1 << 16) {
    this.buf = new Uint8Array(capacity);
  }

  /** Bytes in use. */
  get length(): number {
    return this.#length;
  }

  /** Adds a string's UTF-8 bytes; returns their offset (their length: {@linkcode Slab.length} after, less it). */
  add(s: string): number {
    const at = this.#length;
    const buf = this.#room(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return this.#addEncoded(at, s);
      buf[at + i] = c;
    }
    this.#length = at + s.length;
    return at;
  }

  /** Adds bytes `src[from, to)`; returns their offset. */
  addBytes(src: Uint8Array, from: number, to: number): number {
    const at = this.#length;
    const buf = this.#room(to - from);
    for (let i = from; i < to; i++) buf[at + i - from] = src[i];
    this.#length = at + to - from;
    return at;
  }

  /** Whether `b[from, to)` equals the slab's bytes at `[at, at + length)`. */
  same(b: Uint8Array, from: number, to: number, at: number, length: number): boolean {
    if (to - from !== length) return false;
    const buf = this.buf;
    for (let i = 0; i < length; i++) if (b[from + i] !== buf[at + i]) return false;
    return true;
  }

  #addEncoded(at: number, s: string): number {
    const bytes = ENC.encode(s);
    this.#length = at;
    return this.addBytes(bytes, 0, bytes.length);
  }

  #room(n: number): Uint8Array {
    // A string of n UTF-16 units takes at most 3n bytes.
    if (this.#length + n * 3 > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.#length + n * 3));
      next.set(this.buf.subarray(0, this.#length));
      this.buf = next;
    }
    return this.buf;
  }
}
