/**
 * The relay's series hashes: two independent 32-bit hashes of a series' output bytes, whose labels part is a
 * sum over label pairs so that it does not depend on the label order (as the pipeline's duplicate check
 * does not). Together they key the duplicate table; a match of both sends the scrape to the pipeline, which
 * decides, so a collision costs time, never a wrong answer.
 *
 * @module
 */

/** Start values of the two hashes. */
export const SEED1 = 0x811c9dc5;
export const SEED2 = 0x3b9aca07;

/** FNV-1a over `b[from, to)`, from `h`. */
export function bytesHash1(b: Uint8Array, from: number, to: number, h: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ b[i], 0x01000193);
  return h;
}

/** A second multiplicative hash over `b[from, to)`, from `h` (another prime, another mix). */
export function bytesHash2(b: Uint8Array, from: number, to: number, h: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h + b[i], 0x5bd1e995) ^ (h >>> 13);
  return h;
}

/**
 * Both hashes of one label pair of `b` (name bytes `[nFrom, nTo)`, then value bytes `[vFrom, vTo)`) in one
 * loop: {@linkcode bytesHash1} and {@linkcode bytesHash2} over the name, a separator, then the value, each
 * mixed so that a sum of pairs spreads. Returns the first and leaves the second in {@linkcode secondHash}.
 */
export function pairHashes(b: Uint8Array, nFrom: number, nTo: number, vFrom: number, vTo: number): number {
  let h1 = SEED1, h2 = SEED2;
  for (let i = nFrom; i < nTo; i++) {
    const c = b[i];
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 + c, 0x5bd1e995) ^ (h2 >>> 13);
  }
  h1 ^= 0x3d;
  h2 ^= 0x3d;
  for (let i = vFrom; i < vTo; i++) {
    const c = b[i];
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 + c, 0x5bd1e995) ^ (h2 >>> 13);
  }
  secondHash = Math.imul(h2 ^ (h2 >>> 16), 0x297a2d39);
  return Math.imul(h1 ^ (h1 >>> 15), 0x2c1b3c6d);
}

/** The second hash of the last {@linkcode pairHashes} call. */
export let secondHash = 0;

/**
 * The series seen in one relay pass, keyed by both hashes, in open addressing over typed arrays: no object
 * per series. Entries carry the pass's stamp, so a new pass starts without clearing.
 */
export class SeenSeries {
  #keys1 = new Int32Array(1 << 12);
  #keys2 = new Int32Array(1 << 12);
  #stamps = new Uint32Array(1 << 12);
  #stamp = 0;
  #count = 0;

  /** Forgets every series (a new pass); a table far larger than the last pass needed is made smaller. */
  clear(): void {
    const size = this.#keys1.length;
    if (size > 1 << 12 && this.#count * 8 < size) {
      let smaller = 1 << 12;
      while (smaller < this.#count * 4) smaller *= 2;
      this.#keys1 = new Int32Array(smaller);
      this.#keys2 = new Int32Array(smaller);
      this.#stamps = new Uint32Array(smaller);
      this.#stamp = 0;
    }
    this.#count = 0;
    if (++this.#stamp === 0xffffffff) {
      this.#stamps.fill(0);
      this.#stamp = 1;
    }
  }

  /** Adds a series; false when one with both hashes equal was already there. */
  add(h1: number, h2: number): boolean {
    if ((this.#count + 1) * 2 > this.#keys1.length) this.#grow();
    const mask = this.#keys1.length - 1;
    const stamp = this.#stamp;
    let i = (h1 ^ (h2 >>> 7)) & mask;
    for (;;) {
      if (this.#stamps[i] !== stamp) {
        this.#stamps[i] = stamp;
        this.#keys1[i] = h1;
        this.#keys2[i] = h2;
        this.#count++;
        return true;
      }
      if (this.#keys1[i] === h1 && this.#keys2[i] === h2) return false;
      i = (i + 1) & mask;
    }
  }

  #grow(): void {
    const k1 = this.#keys1, k2 = this.#keys2, st = this.#stamps, stamp = this.#stamp;
    const size = k1.length * 2;
    this.#keys1 = new Int32Array(size);
    this.#keys2 = new Int32Array(size);
    this.#stamps = new Uint32Array(size);
    this.#count = 0;
    for (let i = 0; i < k1.length; i++) if (st[i] === stamp) this.add(k1[i], k2[i]);
  }
}
