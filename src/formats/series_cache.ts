/**
 * The series cache: what the rules made of each series line of the last scrape, in the order it came, so a
 * line that comes again byte for byte (up to its value) skips its labels and the rules entirely.
 *
 * Upstreams write their series in the same order every scrape, so the cache predicts that the next line is
 * the series that followed the last one: one compare with the predicted key checks it, with no hash of a
 * freshly cut string (a `Map.get` on one costs more than the rest of a hit). A miss looks a few entries
 * ahead (a series replaced or removed), and after a run of misses resyncs through an index built once per
 * scrape. The cache holds only the last successful scrape's entries, so it is bounded by the body size and
 * shrinks when series go away; a failed scrape leaves it as it was. A scrape that hits too few lines makes it
 * stand aside for a while, so an upstream whose series keep changing pays about what no cache costs.
 *
 * Family metadata takes part through tokens: a series hits only when its family has the same name, type,
 * HELP and UNIT as when the entry was made (the rules' decision depends on them).
 *
 * @module
 */

/** One series line of an earlier scrape and what the rules made of it. */
export interface CachedSeries {
  /** The line up to its value: the sample name, the label set as written and the blank before the value. */
  key: string;
  /** The family's token ({@linkcode SeriesCache.token}) when the entry was made. */
  token: object;
  /** The per-sample check kind of the sample name's claim (see `formats/text/_claims.ts`). */
  kind: number;
  /**
   * The suffix of the sample name's claim (`""`, `_bucket`, ...: constants, so an entry keeps no name cut
   * from a block).
   */
  suffix: string;
  /** The length of the sample name as written. */
  nameLength: number;
  /** The transform's output for the series, opaque here; `null` when the rules dropped it. */
  out: unknown;
  /** The output's strings were made the entry's own (see `outputKeeper` in the transform). */
  kept: boolean;
}

/** Entries tried after the predicted one before a line counts as new. */
const LOOK_AHEAD = 3;

/**
 * Misses in a row after which the index is used to find where the upstream's order went on: more than a few
 * changed series in a row (random churn), fewer than a removed family's lines.
 */
const RESYNC_AFTER = 16;

/**
 * A scrape whose lines hit less often than this makes the cache stand aside (see {@linkcode COLD_SCRAPES}).
 * A miss costs more than no cache (the compares, the entry, and copying the entry's strings once it is hit),
 * so a cache that misses one line in ten already costs what it saves (bench/micro/experiments/series_cache_cost.ts
 * at 10% churn).
 */
const MIN_HIT_RATIO = 0.9;

/**
 * Scrapes run without the cache after one that missed too often, before it is tried again: doubled after each
 * such try in a row, up to {@linkcode MAX_COLD_SCRAPES}, as the memo backs off (an upstream that churns keeps
 * churning); one that hits again starts over.
 */
const COLD_SCRAPES = 3;
const MAX_COLD_SCRAPES = 64;

/** The series cache of one target; the text parser drives it, one scrape at a time. */
export class SeriesCache {
  /** Makes an entry's output own its strings, once the entry lives past its scrape (see `copyString`). */
  readonly #keepOutput: (out: unknown) => void;
  /** The last successful scrape's entries, in order. */
  #last: CachedSeries[] = [];
  /** This scrape's entries, in order. */
  #next: CachedSeries[] = [];
  /** Index in `#last` of the predicted entry. */
  #cursor = 0;
  #missesInRow = 0;
  /** `#last`'s keys to positions, built on the first resync of a scrape. */
  #index: Map<string, number> | null = null;
  /** Family signatures to tokens, of the last successful scrape and this one. */
  #tokens = new Map<string, object>();
  #nextTokens = new Map<string, object>();
  /** Hits and missed lines of the scrape in progress. */
  #hits = 0;
  #lines = 0;
  /** Scrapes left to run without the cache, and how many the next miss-heavy scrape earns. */
  #coldLeft = 0;
  #backoff = COLD_SCRAPES;
  /** Whether this scrape had entries to hit (a first scrape misses every line, as it should). */
  #hadEntries = false;
  /** A scrape holds the cache (from `begin` to `commit` or `abort`). */
  #busy = false;
  /** Hits of the last successful scrape that used the cache (for tests and the bench). */
  lastHits = 0;
  /** Cached or cacheable lines of that scrape. */
  lastLines = 0;

  /**
   * Creates an empty cache.
   *
   * @param keepOutput Called once per entry that lives past its scrape, to copy the output's strings cut
   *   from the scrape's text (the transform's `outputKeeper`).
   */
  constructor(keepOutput: (out: unknown) => void = () => {}) {
    this.#keepOutput = keepOutput;
  }

  /**
   * Starts a scrape. Returns false when this scrape should run without the cache: the last tried one missed
   * too often (see {@linkcode MIN_HIT_RATIO}), or another scrape of the target holds it (a paced decode
   * gives the event loop turns, so two could overlap). Then no other method is called until the next `begin`.
   */
  begin(): boolean {
    if (this.#busy) return false;
    if (this.#coldLeft > 0) {
      this.#coldLeft--;
      return false;
    }
    this.#next = [];
    this.#hadEntries = this.#last.length > 0;
    this.#cursor = 0;
    this.#missesInRow = 0;
    this.#index = null;
    this.#nextTokens = new Map();
    this.#hits = 0;
    this.#lines = 0;
    this.#busy = true;
    return true;
  }

  /**
   * The token of a family signature (name, type, HELP, UNIT): the same object as last scrape's for the same
   * signature, so entries compare families by identity.
   */
  token(signature: string): object {
    let token = this.#nextTokens.get(signature);
    if (token === undefined) {
      token = this.#tokens.get(signature) ?? {};
      this.#nextTokens.set(signature, token);
    }
    return token;
  }

  /**
   * The entry predicted at `k` places past the cursor (`k` below {@linkcode LOOK_AHEAD}), or `undefined`.
   */
  predicted(k: number): CachedSeries | undefined {
    return k < LOOK_AHEAD ? this.#last[this.#cursor + k] : undefined;
  }

  /** Records a hit on the entry `k` places past the cursor: the prediction moves on after it. */
  hit(entry: CachedSeries, k: number): void {
    this.#cursor += k + 1;
    this.#take(entry);
  }

  /**
   * A line that missed the prediction, by its key: the earlier entry with that key, found through the
   * index once misses run long (a family removed or moved), else `undefined`.
   */
  find(key: string): CachedSeries | undefined {
    this.#lines++;
    if (++this.#missesInRow < RESYNC_AFTER || this.#last.length === 0) return undefined;
    // Building the index costs a hash of every key: only worth it when the last scrape hit.
    if (this.lastHits < this.lastLines * MIN_HIT_RATIO) return undefined;
    if (this.#index === null) {
      this.#index = new Map();
      const last = this.#last;
      for (let i = 0; i < last.length; i++) this.#index.set(last[i].key, i);
    }
    const at = this.#index.get(key);
    if (at === undefined) return undefined;
    this.#cursor = at + 1;
    this.#lines--;
    const entry = this.#last[at];
    this.#take(entry);
    return entry;
  }

  /** Adds the entry of a line met for the first time (or whose family changed). */
  add(entry: CachedSeries): void {
    this.#next.push(entry);
  }

  /** Ends a successful scrape: its entries and tokens replace the last ones. */
  commit(): void {
    this.#busy = false;
    this.#last = this.#next;
    this.#next = [];
    this.#tokens = this.#nextTokens;
    this.#nextTokens = new Map();
    this.#index = null;
    this.lastHits = this.#hits;
    this.lastLines = this.#lines + this.#hits;
    if (!this.#hadEntries) return;
    if (this.lastHits < this.lastLines * MIN_HIT_RATIO) {
      this.#coldLeft = this.#backoff;
      this.#backoff = Math.min(MAX_COLD_SCRAPES, this.#backoff * 2);
    } else {
      this.#backoff = COLD_SCRAPES;
    }
  }

  /** Ends a failed scrape: the last successful one's entries stay. */
  abort(): void {
    this.#busy = false;
    this.#next = [];
    this.#nextTokens = new Map();
    this.#index = null;
  }

  /** Number of entries kept (the last successful scrape's series lines that could be cached). */
  get size(): number {
    return this.#last.length;
  }

  #take(entry: CachedSeries): void {
    this.#hits++;
    this.#missesInRow = 0;
    if (!entry.kept) {
      // Strings cut from a block keep the whole block alive: an entry that lives past its scrape gets its own
      // copies, once. Replacing the key with each scrape's fresh cut instead measured slower: every hit then
      // writes a young string into an old entry, which each minor GC must visit.
      entry.kept = true;
      entry.key = copyString(entry.key);
      if (entry.out !== null) this.#keepOutput(entry.out);
    }
    this.#next.push(entry);
  }
}

/**
 * A flat copy of a string that keeps no larger string alive: V8 represents `slice` results of 13 or more
 * characters as views into their parent. A JSON round trip gives a sequential string, which later compares
 * and `charCodeAt` loops read two to three times faster than a view, and costs less than a UTF-8 round trip
 * (measured: 0.6 against 0.9 µs for 70 characters; a concatenate-and-slice copy is itself a view, of a fresh
 * parent). Used once per entry that outlives its scrape.
 */
export function copyString(s: string): string {
  return s.length < 13 ? s : JSON.parse(JSON.stringify(s));
}
