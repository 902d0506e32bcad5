/**
 * Sample lines the target's series cache already knows, for the Prometheus text / OpenMetrics parser. When a
 * line starts with a cached series key (name and labels as sent) of the current family, only its value is
 * read and checked and the rules' earlier output is taken again; lines it misses go through the sample fast
 * path and are added to the cache. Used only when the parser streams into a {@linkcode SeriesSink} with a
 * {@linkcode SeriesCache}.
 *
 * @module
 */

import type { Sample, SeriesSink } from "../../model.ts";
import { type Claim, type FamilyRecord, KIND_PLAIN, valueProblem } from "./_claims.ts";
import { claimOf } from "./_families.ts";
import type { FamilyGrouper } from "./_group.ts";
import { plainValue } from "./_lex.ts";
import type { Scanner } from "./_scan.ts";
import type { CachedSeries, SeriesCache } from "../series_cache.ts";

/**
 * The claim of `record` with `suffix` on a sample name of `length` characters, trying `last` (the previous
 * line's) first. With the family's token equal and the line's key equal to the entry's, this is the claim the
 * name resolves to: a family's claims follow from its name and type.
 */
function claimWithSuffix(
  record: FamilyRecord,
  suffix: string,
  length: number,
  last: Claim | null,
): Claim | undefined {
  if (last !== null && last.record === record && last.suffix === suffix && last.inputName.length === length) {
    return last;
  }
  // A family without TYPE claims its bare name on first use.
  if (!record.hasType && record.claims.length === 0) claimOf(record, record.declaredName);
  for (const claim of record.claims) {
    if (claim.suffix === suffix && claim.inputName.length === length) return claim;
  }
  return undefined;
}

/** Recognises cached lines and records new ones, for one parse. */
export class CachedLines {
  readonly #scan: Scanner;
  readonly #group: FamilyGrouper;
  readonly #series: SeriesSink;
  readonly #cache: SeriesCache;

  /** Reads lines from `scan` of `group`'s families, passing them to `series` with `cache`. */
  constructor(scan: Scanner, group: FamilyGrouper, series: SeriesSink, cache: SeriesCache) {
    this.#scan = scan;
    this.#group = group;
    this.#series = series;
    this.#cache = cache;
  }

  /**
   * A line the series cache recognises at `start` (`lineEnd` its end): the predicted entry or one of the few
   * after it, of the current family with the same token and claim, and a plain value. Then only the value is
   * read and checked; the rules' output is taken again. Returns false, having changed nothing, otherwise.
   */
  line(start: number, lineEnd: number): boolean {
    const group = this.#group;
    const current = group.current;
    if (current === null) return false;
    const scan = this.#scan;
    const cache = this.#cache;
    const s = scan.s;
    let entry: CachedSeries | undefined;
    let k = 0;
    // A slice and `===` (a native compare of flat strings) measured four times faster than `startsWith` with
    // a position, which V8 does not optimise.
    for (; (entry = cache.predicted(k)) !== undefined; k++) {
      if (s.slice(start, start + entry.key.length) === entry.key) break;
    }
    if (entry === undefined) return false;
    const claim = claimWithSuffix(current, entry.suffix, entry.nameLength, group.lastClaim);
    if (claim === undefined || claim.kind !== entry.kind || this.#token(current) !== entry.token) {
      return false;
    }
    const value = plainValue(s, start + entry.key.length, lineEnd);
    if (value === undefined || (claim.kind !== KIND_PLAIN && valueProblem(claim.kind, value))) return false;
    if (scan.om && lineEnd === scan.n) return false;
    if (!this.#series.again(current.out!, entry.out, value)) return false;
    claim.used = true;
    current.hasSamples = true;
    group.lastClaim = claim;
    cache.hit(entry, k);
    scan.pos = lineEnd;
    scan.nextLine();
    return true;
  }

  /**
   * A fast-path line the prediction missed (its key `s[start, valueStart)`): found in the cache by its key
   * after a run of misses, or passed to the sink and added to the cache.
   */
  emit(record: FamilyRecord, claim: Claim, sample: Sample, start: number, valueStart: number): void {
    const cache = this.#cache;
    const key = this.#scan.s.slice(start, valueStart);
    const token = this.#token(record);
    const family = record.out!;
    const found = cache.find(key);
    if (
      found !== undefined && found.token === token && found.kind === claim.kind &&
      this.#series.again(family, found.out, sample.value)
    ) {
      return;
    }
    const out = this.#series.sample(family, sample);
    if (out !== undefined) {
      const { kind, suffix, inputName } = claim;
      cache.add({ key, token, kind, suffix, nameLength: inputName.length, out, kept: false });
    }
  }

  /** The family's token in the series cache: its name, type, HELP and UNIT as they are streamed. */
  #token(record: FamilyRecord): object {
    if (record.token === null) {
      const f = record.out ??= this.#group.registry.streamedFamily(record);
      record.token = this.#cache.token(`${f.type}\u0000${f.name}\u0000${f.unit}\u0000${f.help}`);
    }
    return record.token;
  }
}
