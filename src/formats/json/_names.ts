/**
 * The JSON mapping's cache of sanitised names (src/config/json_names.ts has the steps): the regex chain runs
 * once per distinct raw string of one compiled entry, not once per node.
 *
 * @module
 */

/** Results kept per cache before it starts over (a bound on memory for upstreams with unbounded names). */
export const SANITIZE_CACHE_SIZE = 4096;

/**
 * A bounded memo of `raw string → result` for one compiled entry: the regex chain runs once per distinct
 * name, not once per node. Cleared when it holds {@linkcode SANITIZE_CACHE_SIZE} results.
 */
/** Raw strings longer than this are sanitised on every use instead of kept: names are short. */
const MAX_CACHED_LENGTH = 256;

export class SanitizeCache<T> {
  readonly #map = new Map<string, T>();
  readonly #make: (raw: string) => T;

  /** @param make Computes the result for a raw string not seen yet. */
  constructor(make: (raw: string) => T) {
    this.#make = make;
  }

  /** The result for `raw`, computed on first use; a long string is not kept, so upstream data cannot fill it. */
  get(raw: string): T {
    if (raw.length > MAX_CACHED_LENGTH) return this.#make(raw);
    let v = this.#map.get(raw);
    if (v === undefined && !this.#map.has(raw)) {
      v = this.#make(raw);
      if (this.#map.size >= SANITIZE_CACHE_SIZE) this.#map.clear();
      this.#map.set(raw, v);
    }
    return v as T;
  }
}
