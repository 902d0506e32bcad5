/**
 * Parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0.0 into the internal model
 * ({@linkcode MetricFamily}). One hand-written pass over the string: no regex and no split into lines. A
 * fast path takes canonical sample lines (`name{a="x"} 1`), finding quotes and line ends with native
 * `indexOf` and reusing the previous sample's name and label-name strings and recent label values; anything
 * else (blanks, escapes, timestamps, exemplars, errors) goes to a full `charCodeAt` scanner. Modules:
 * `_lex` (characters, numbers), `_scan` (tokens, labels), `_meta` (comment lines), `_families` (grouping).
 *
 * Policy in brief (the tests hold the details):
 * - Any malformed line rejects the whole input with a {@linkcode ParseError} naming the 1-based line.
 * - NUL is rejected everywhere; CR only inside a quoted label value (so CRLF line endings fail).
 * - Text: blank lines, `#` comments, spaces/tabs between tokens and a trailing comma in labels are allowed; a
 *   family split by other families is merged into its first group (Prometheus 2.42 ingests split families).
 * - OpenMetrics: exact single spaces, no comments, no blank lines, `# EOF` last, no interleaved families.
 * - Values follow Go `strconv.ParseFloat` decimal syntax (`NaN`, `Inf`, `+inf`, `-Infinity` in any case).
 * - Text timestamps are int64 milliseconds; OpenMetrics timestamps are float seconds, rounded to whole ms.
 * - Exemplars (OpenMetrics) are checked and dropped; `_created` samples stay in their family.
 *
 * @module
 */

import { ParseError } from "../../errors.ts";
import type { MetricFamily, MetricType, Sample, SampleSink, SeriesSink } from "../../model.ts";
import {
  checkGaugeHistogramNames,
  type Claim,
  claimOf,
  type FamilyRecord,
  FamilyRegistry,
  KIND_BUCKET,
  KIND_PLAIN,
  KIND_TOTAL,
  sampleProblem,
  valueProblem,
} from "./_families.ts";
import {
  codePointLength,
  isLabelNameChar,
  isLabelNameStart,
  isMetricNameChar,
  isMetricNameStart,
  parseGoFloat,
  parseInt64,
  quote,
} from "./_lex.ts";
import { HELP, KEYWORDS, MetadataScanner, TYPE } from "./_meta.ts";
import type { CachedSeries, SeriesCache } from "../series_cache.ts";

export { StreamRestart } from "./_families.ts";

/** The two upstream text formats: Prometheus text 0.0.4 and OpenMetrics 1.0.0. */
export type TextFormat = "prometheus" | "openmetrics";

/** The OpenMetrics limit on an exemplar's label names plus values, in code points. */
const EXEMPLAR_MAX_CODE_POINTS = 128;

/** Slots of the label value table (a power of two). */
const INTERN_SLOTS = 4096;

/** Longest label value worth looking up in the table. */
const MAX_INTERNED_LENGTH = 32;

/**
 * Parses a whole exposition in Prometheus text 0.0.4 or OpenMetrics 1.0.0 into metric families, in the
 * order they first appear, with samples in input order within a family.
 *
 * @param text The whole body, already decoded from UTF-8.
 * @param format `"prometheus"` for text 0.0.4, `"openmetrics"` for OpenMetrics 1.0.0.
 * @returns The families; an empty array for an empty text 0.0.4 body.
 * @throws {ParseError} On any malformed input, with the 1-based line; never returns half a result.
 * @throws {TypeError} When `format` is not one of the two formats.
 *
 * @example Parsing a text counter
 * ```ts
 * import { parsePrometheusText } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const [family] = parsePrometheusText("# TYPE requests_total counter\nrequests_total 5\n", "prometheus");
 * assert.equal(family.name, "requests");
 * assert.equal(family.samples[0].name, "requests_total");
 * ```
 */
export function parsePrometheusText(text: string, format: TextFormat): MetricFamily[] {
  const parser = new TextParser(format, null);
  parser.push(text);
  return parser.finish();
}

/**
 * The parser fed in blocks: {@linkcode TextParser.push} takes whole lines (a block ends just after a line
 * feed, or at the end of the input), {@linkcode TextParser.finish} ends the input. With a sink, each sample is
 * passed on as soon as it is read, with its family's metadata complete, and no family keeps samples: memory
 * stays bounded by the families' metadata, not the body. Errors throw {@linkcode ParseError} with the 1-based
 * line counted over all blocks; the caller discards whatever the sink built.
 *
 * @example Streaming two blocks into a sink
 * ```ts
 * import { TextParser } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const seen: string[] = [];
 * const parser = new TextParser("prometheus", (family, sample) => seen.push(`${family.type} ${sample.name}`));
 * parser.push("# TYPE requests_total counter\n");
 * parser.push("requests_total 5\n");
 * parser.finish();
 * assert.deepEqual(seen, ["counter requests_total"]);
 * ```
 */
export class TextParser {
  readonly #parser: Parser;
  #blocks = 0;

  /**
   * @param format `"prometheus"` for text 0.0.4, `"openmetrics"` for OpenMetrics 1.0.0.
   * @param sink Receives each sample; `null` collects them into the families {@linkcode TextParser.finish}
   *   returns.
   * @param cached A series sink and its cache, used instead of `sink`: lines the cache recognises skip
   *   their labels and the rules. The caller commits or aborts the cache once the scrape is over.
   * @throws {TypeError} When `format` is not one of the two formats.
   */
  constructor(format: TextFormat, sink: SampleSink | null, cached?: CachedSink) {
    if (format !== "prometheus" && format !== "openmetrics") {
      throw new TypeError(`Cannot parse exposition: unknown format ${quote(String(format))}`);
    }
    this.#parser = new Parser(format === "openmetrics", sink, cached ?? null);
  }

  /** Parses the next block of whole lines. @throws {ParseError} */
  push(block: string): void {
    this.#blocks++;
    this.#parser.push(block);
  }

  /**
   * Ends the input and returns the families (without samples when a sink took them).
   *
   * @throws {ParseError} For an incomplete input (OpenMetrics without `# EOF`) or a clash found at the end.
   * @throws {StreamRestart} With a sink, when a family was renamed after its samples were passed on.
   */
  finish(): MetricFamily[] {
    if (this.#blocks === 0) this.#parser.push("");
    return this.#parser.finish();
  }
}

/** A series sink with the cache that serves it ({@linkcode TextParser}). */
export interface CachedSink {
  /** Takes samples and cached series. */
  sink: SeriesSink;
  /** The target's series cache, between {@linkcode SeriesCache.begin} and commit or abort. */
  cache: SeriesCache;
}

/** True when `name` occurs in `s` at `p` (label names are short: a loop beats a slice to compare). */
function sameChars(s: string, p: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    if (s.charCodeAt(p + i) !== name.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * Appends a sample. The first one replaces the empty array with an exact one-element array: a pushed-to
 * empty array grows to 17 slots, which single-sample families (common) would keep.
 */
function addSample(family: MetricFamily, sample: Sample): void {
  if (family.samples.length === 0) family.samples = [sample];
  else family.samples.push(sample);
}

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

/** The 1-based line of offset `index`. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** One parse: sample lines and family bookkeeping over {@linkcode MetadataScanner}. Any error throws. */
class Parser extends MetadataScanner {
  readonly #registry: FamilyRegistry;
  /** Where samples go; `null` adds them to their family. */
  readonly #sink: SampleSink | null;
  /** The series sink and cache, when streaming with one. */
  readonly #series: SeriesSink | null;
  readonly #cache: SeriesCache | null;
  /** OpenMetrics: `# EOF` was read, so no further block may hold anything. */
  #eof = false;
  /** The family of the previous sample or metadata line. */
  #current: FamilyRecord | null = null;
  /** The previous sample's claim, to skip name resolution when the next sample repeats its name. */
  #lastClaim: Claim | null = null;
  /** Labels of the previous fast-path sample, whose strings are compared and reused. */
  #prevLabels: string[] = [];
  /** Direct-mapped table of recent short label values (see #value); `"\u0000"` marks an empty slot. */
  readonly #interned: string[] = new Array(INTERN_SLOTS).fill("\u0000");
  /** Scratch space for the fast path's labels. */
  readonly #scratch: string[] = [];
  /** Offset of the next backslash at or after the last search (`n` when none): escapes force the slow path. */
  #nextBackslash = 0;

  constructor(om: boolean, sink: SampleSink | null, cached: CachedSink | null) {
    super("", om);
    this.#registry = new FamilyRegistry(!om);
    if (cached !== null) {
      const series = cached.sink;
      this.#series = series;
      this.#cache = cached.cache;
      this.#sink = (family, sample) => void series.sample(family, sample);
    } else {
      this.#series = null;
      this.#cache = null;
      this.#sink = sink;
    }
  }

  /** Parses one block of whole lines. */
  push(block: string): void {
    if (this.#eof && block.length > 0) this.fail('Content after "# EOF"', this.line + 1);
    // NUL is never valid here; one native scan up front lets the scanner ignore it.
    const nul = block.indexOf("\0");
    if (nul !== -1) throw new ParseError("NUL character is not allowed", this.line - 1 + lineAt(block, nul));
    this.load(block);
    const backslash = block.indexOf("\\");
    this.#nextBackslash = backslash === -1 ? this.n : backslash;
    if (this.om) this.#pushOpenMetrics();
    else this.#pushText();
  }

  /** Ends the input: the families, after the checks that need all of them. */
  finish(): MetricFamily[] {
    if (this.om) {
      if (!this.#eof) this.fail('Missing "# EOF" at the end of the input');
      checkGaugeHistogramNames(this.#registry.families);
      return this.#registry.families;
    }
    return this.#registry.finish(this.#sink !== null);
  }

  /** Passes a sample on: to the sink with its family as it will be written, or into its family. */
  #emit(record: FamilyRecord, sample: Sample): void {
    if (this.#sink === null) addSample(record.family, sample);
    else this.#sink(record.out ??= this.#registry.streamedFamily(record), sample);
  }

  /**
   * A fast-path line the prediction missed: found in the cache by its key after a run of misses, or passed to
   * the sink and added to the cache.
   */
  #emitCached(
    record: FamilyRecord,
    claim: Claim,
    sample: Sample,
    start: number,
    valueStart: number,
    cache: SeriesCache,
  ): void {
    const key = this.s.slice(start, valueStart);
    const token = this.#token(record, cache);
    const family = record.out!;
    const found = cache.find(key);
    if (
      found !== undefined && found.token === token && found.kind === claim.kind &&
      this.#series!.again(family, found.out, sample.value)
    ) {
      return;
    }
    const out = this.#series!.sample(family, sample);
    if (out !== undefined) {
      const { kind, suffix, inputName } = claim;
      cache.add({ key, token, kind, suffix, nameLength: inputName.length, out, kept: false });
    }
  }

  /** The family's token in the series cache: its name, type, HELP and UNIT as they are streamed. */
  #token(record: FamilyRecord, cache: SeriesCache): object {
    if (record.token === null) {
      const f = record.out ??= this.#registry.streamedFamily(record);
      record.token = cache.token(`${f.type}\u0000${f.name}\u0000${f.unit}\u0000${f.help}`);
    }
    return record.token;
  }

  /**
   * A line the series cache recognises at `start` (`lineEnd` its end): the predicted entry or one of the few
   * after it, of the current family with the same token and claim, and a plain value. Then only the value is
   * read and checked; the rules' output is taken again. Returns false, having changed nothing, otherwise.
   */
  #cachedLine(start: number, lineEnd: number, cache: SeriesCache): boolean {
    const current = this.#current;
    if (current === null) return false;
    const s = this.s;
    let entry: CachedSeries | undefined;
    let k = 0;
    // A slice and `===` (a native compare of flat strings) measured four times faster than `startsWith` with
    // a position, which V8 does not optimise.
    for (; (entry = cache.predicted(k)) !== undefined; k++) {
      if (s.slice(start, start + entry.key.length) === entry.key) break;
    }
    if (entry === undefined) return false;
    const claim = claimWithSuffix(current, entry.suffix, entry.nameLength, this.#lastClaim);
    if (claim === undefined || claim.kind !== entry.kind || this.#token(current, cache) !== entry.token) {
      return false;
    }
    const value = this.#plainValue(start + entry.key.length, lineEnd);
    if (value === undefined || (claim.kind !== KIND_PLAIN && valueProblem(claim.kind, value))) return false;
    if (this.om && lineEnd === this.n) return false;
    if (!this.#series!.again(current.out!, entry.out, value)) return false;
    claim.used = true;
    current.hasSamples = true;
    this.#lastClaim = claim;
    cache.hit(entry, k);
    this.pos = lineEnd;
    this.nextLine();
    return true;
  }

  /**
   * A value running exactly from `p` to `end` (no timestamp), or `undefined`: digits summed on the spot (up
   * to 15, so the sum is exact), anything else by `parseGoFloat`.
   */
  #plainValue(p: number, end: number): number | undefined {
    const s = this.s;
    const start = p;
    let value = 0;
    let c: number;
    while ((c = s.charCodeAt(p)) >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      p++;
    }
    if (p === end && p !== start && p - start <= 15) return value;
    return parseGoFloat(s, start, end);
  }

  /** Parses the current block as text 0.0.4. */
  #pushText(): void {
    const s = this.s;
    const n = this.n;
    while (this.pos < n) {
      let p = this.pos;
      let c = s.charCodeAt(p);
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      this.pos = p;
      if (c === 10) {
        this.pos++;
        this.line++;
      } else if (c === 35) {
        this.textComment();
      } else if (p < n && !this.#fastSample()) {
        this.#sample();
      }
    }
  }

  /** Parses the current block as OpenMetrics 1.0.0. */
  #pushOpenMetrics(): void {
    const s = this.s;
    const n = this.n;
    while (this.pos < n) {
      const c = s.charCodeAt(this.pos);
      if (c === 35) {
        if (this.omComment()) {
          this.#eof = true;
          return;
        }
      } else if (c === 10) {
        this.fail("Blank lines are not allowed in OpenMetrics");
      } else if (!this.#fastSample()) {
        this.#sample();
      }
    }
  }

  /** Makes `record` the current family; in OpenMetrics a family may not come back once another started. */
  #enter(record: FamilyRecord): void {
    if (this.om) {
      if (record.closed) this.fail(`Family ${quote(record.family.name)} is interleaved with another family`);
      if (this.#current !== null) this.#current.closed = true;
    }
    this.#current = record;
  }

  /**
   * The label value `s[start, end)`. Short values repeat a lot (`instance`, `code`, `le`, ...), so they go
   * through a small direct-mapped table keyed by a hash computed here: a hit returns the earlier string with
   * no allocation, which also leaves fewer objects for the GC to keep.
   */
  #value(start: number, end: number): string {
    const length = end - start;
    if (length > MAX_INTERNED_LENGTH) return this.s.slice(start, end);
    const s = this.s;
    let hash = length;
    for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + s.charCodeAt(i)) | 0;
    const slot = hash & (INTERN_SLOTS - 1);
    const table = this.#interned;
    const old = table[slot];
    if (old.length === length && sameChars(s, start, old)) return old;
    const value = s.slice(start, end);
    table[slot] = value;
    return value;
  }

  /** The claim of the current family whose sample name is `s[start, end)`, if any (no allocation). */
  #matchCurrent(start: number, end: number): Claim | undefined {
    const current = this.#current;
    if (current === null || current.claims.length === 0) return undefined;
    const family = current.family.name;
    if (end - start < family.length || !this.s.startsWith(family, start)) return undefined;
    for (const claim of current.claims) {
      if (claim.inputName.length === end - start && this.s.startsWith(claim.suffix, start + family.length)) {
        return claim;
      }
    }
    return undefined;
  }

  // ------------------------------------------------------------------------------------------- samples

  /**
   * The fast path for the common, canonical sample line `name{a="x",b="y"} value` + LF (valid in both
   * formats): native `indexOf` finds line ends and closing quotes, and names that repeat the previous
   * sample's are compared whole instead of character by character. Returns false, having changed nothing
   * that matters, for anything else (blanks, escapes, timestamps, exemplars, errors), which
   * {@linkcode Parser.#sample} then parses in full.
   */
  #fastSample(): boolean {
    const s = this.s;
    const n = this.n;
    const start = this.pos;
    let lineEnd = s.indexOf("\n", start);
    if (lineEnd === -1) lineEnd = n;
    const cache = this.#cache;
    if (cache !== null && this.#cachedLine(start, lineEnd, cache)) return true;
    // The metric name.
    let claim = this.#lastClaim;
    let p: number;
    let c: number;
    if (claim !== null) {
      const name = claim.inputName;
      p = start + name.length;
      c = s.charCodeAt(p);
      if ((c !== 123 && c !== 32) || s.slice(start, p) !== name) claim = null;
    }
    if (claim === null) {
      p = start;
      if (!isMetricNameStart(s.charCodeAt(p))) return false;
      p++;
      while (isMetricNameChar(c = s.charCodeAt(p))) p++;
      if (c !== 123 && c !== 32) return false;
      claim = this.#matchCurrent(start, p) ?? this.#registry.resolve(s.slice(start, p), this.line);
    } else {
      p = start + claim.inputName.length;
      c = s.charCodeAt(p);
    }
    // Labels, compared against the previous sample's.
    let labels: string[];
    if (c === 123) {
      const prev = this.#prevLabels;
      // Filled in place, then copied out at its exact size: a grown array would keep 17 slots.
      const scratch = this.#scratch;
      let k = 0;
      p++;
      for (;;) {
        let name = k < prev.length ? prev[k] : "";
        const nameEnd = p + name.length;
        if (name === "" || s.charCodeAt(nameEnd) !== 61 || !sameChars(s, p, name)) {
          const nameStart = p;
          if (!isLabelNameStart(s.charCodeAt(p))) return false;
          p++;
          while (isLabelNameChar(c = s.charCodeAt(p))) p++;
          if (c !== 61) return false;
          name = s.slice(nameStart, p);
          for (let i = 0; i < k; i += 2) {
            if (scratch[i] === name) this.fail(`Duplicate label name ${quote(name)}`);
          }
          if (name === "__name__") this.fail('Label name "__name__" is reserved');
        } else {
          p = nameEnd;
          for (let i = 0; i < k; i += 2) {
            if (scratch[i] === name) this.fail(`Duplicate label name ${quote(name)}`);
          }
        }
        // Many labels: the slow path checks duplicates with a set instead of pairwise.
        if (s.charCodeAt(p + 1) !== 34 || k >= 64) return false;
        const valueStart = p + 2;
        const close = s.indexOf('"', valueStart);
        if (close === -1 || close > lineEnd) return false;
        if (this.#nextBackslash < valueStart) {
          const b = s.indexOf("\\", valueStart);
          this.#nextBackslash = b === -1 ? n : b;
        }
        if (this.#nextBackslash < close) return false;
        scratch[k] = name;
        scratch[k + 1] = this.#value(valueStart, close);
        k += 2;
        c = s.charCodeAt(close + 1);
        p = close + 2;
        if (c === 125) break;
        if (c !== 44) return false;
      }
      labels = scratch.slice(0, k);
      c = s.charCodeAt(p);
    } else {
      labels = [];
    }
    // The value, then the end of the line.
    if (c !== 32) return false;
    const valueStart = ++p;
    const value = this.#plainValue(valueStart, lineEnd);
    if (value === undefined) return false;
    if (this.om && lineEnd === n) return false;

    const record = claim.record;
    if (record !== this.#current) this.#enter(record);
    if (claim.kind !== KIND_PLAIN) {
      const problem = sampleProblem(claim, labels, value);
      if (problem !== undefined) this.fail(problem);
    }
    claim.used = true;
    record.hasSamples = true;
    this.#lastClaim = claim;
    if (labels.length !== 0) this.#prevLabels = labels;
    if (cache === null) this.#emit(record, { name: claim.outName, labels, value });
    else this.#emitCached(record, claim, { name: claim.outName, labels, value }, start, valueStart, cache);
    this.pos = lineEnd;
    this.nextLine();
    return true;
  }

  /** One sample line at `pos`: `name[{labels}] value [timestamp]`, plus an exemplar in OpenMetrics. */
  #sample(): void {
    const s = this.s;
    const n = this.n;
    const om = this.om;
    const start = this.pos;
    let p = start;
    let c = s.charCodeAt(p);
    if (!isMetricNameStart(c)) this.unexpected(p, "Expected a metric name");
    let claim = this.#lastClaim;
    if (
      claim !== null && s.startsWith(claim.inputName, p) &&
      !isMetricNameChar(s.charCodeAt(p + claim.inputName.length))
    ) {
      p += claim.inputName.length;
    } else {
      p++;
      while (isMetricNameChar(s.charCodeAt(p))) p++;
      claim = this.#matchCurrent(start, p) ?? this.#registry.resolve(s.slice(start, p), this.line);
      this.#lastClaim = claim;
    }
    const record = claim.record;
    if (record !== this.#current) this.#enter(record);

    // Labels; text allows blanks before `{` and needs none between `}` and the value.
    c = s.charCodeAt(p);
    let separated = c === 32 || c === 9;
    if (!om) { while (c === 32 || c === 9) c = s.charCodeAt(++p); }
    let labels: string[];
    if (c === 123) {
      labels = this.labels(p + 1, true);
      p = this.pos;
      c = s.charCodeAt(p);
      separated = !om;
    } else {
      labels = [];
    }
    if (om) {
      if (c !== 32) this.unexpected(p, 'Expected " " before the value');
      c = s.charCodeAt(++p);
    } else {
      if (c === 32 || c === 9) separated = true;
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (!separated) this.unexpected(p, "Expected whitespace after the metric name");
    }

    const valueStart = p;
    if (om) {
      while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10) p++;
    } else {
      while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10 && c !== 9) p++;
    }
    if (p === valueStart) this.unexpected(p, "Expected a value");
    const value = parseGoFloat(s, valueStart, p);
    if (value === undefined) this.badNumber("value", valueStart, p);

    let timestampMs: number | undefined;
    if (om) {
      if (p < n && c === 32) {
        c = s.charCodeAt(++p);
        if (c !== 35) {
          const tsStart = p;
          while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10) p++;
          timestampMs = this.omTimestamp(tsStart, p);
          if (p < n && c === 32) {
            c = s.charCodeAt(++p);
            if (c !== 35) this.unexpected(p, 'Expected "# {" to start an exemplar');
          }
        }
        if (c === 35) p = this.#exemplar(p, claim);
      }
    } else {
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      if (p < n && c !== 10) {
        const tsStart = p;
        while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10 && c !== 9) p++;
        timestampMs = parseInt64(s, tsStart, p);
        if (timestampMs === undefined) this.badNumber("timestamp", tsStart, p);
        if (timestampMs === 0) timestampMs = 0; // never -0
        while (c === 32 || c === 9) c = s.charCodeAt(++p);
      }
    }
    if (p < n && s.charCodeAt(p) !== 10) this.unexpected(p, "Expected end of line");

    if (claim.kind !== KIND_PLAIN) {
      const problem = sampleProblem(claim, labels, value);
      if (problem !== undefined) this.fail(problem);
    }
    claim.used = true;
    record.hasSamples = true;
    const sample: Sample = timestampMs === undefined
      ? { name: claim.outName, labels, value }
      : { name: claim.outName, labels, value, timestampMs };
    this.#emit(record, sample);
    this.pos = p;
    this.nextLine();
  }

  /** Checks an OpenMetrics exemplar `# {labels} value [timestamp]` at `p` (the `#`) and skips it. */
  #exemplar(p: number, claim: Claim): number {
    const s = this.s;
    const n = this.n;
    if (s.charCodeAt(p + 1) !== 32 || s.charCodeAt(p + 2) !== 123) {
      this.unexpected(p, 'Expected "# {" to start an exemplar');
    }
    if (claim.kind !== KIND_TOTAL && claim.kind !== KIND_BUCKET) {
      this.fail(`Sample ${quote(claim.outName)} may not have an exemplar (only counters and buckets may)`);
    }
    const labels = this.labels(p + 3, false);
    p = this.pos;
    let length = 0;
    for (const part of labels) length += codePointLength(part);
    if (length > EXEMPLAR_MAX_CODE_POINTS) {
      this.fail(`Exemplar labels are longer than ${EXEMPLAR_MAX_CODE_POINTS} code points`);
    }
    if (s.charCodeAt(p) !== 32) this.unexpected(p, 'Expected " " before the exemplar value');
    const valueStart = ++p;
    let c = 0;
    while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10) p++;
    if (parseGoFloat(s, valueStart, p) === undefined) this.badNumber("exemplar value", valueStart, p);
    if (p < n && c === 32) {
      const tsStart = ++p;
      while (p < n && (c = s.charCodeAt(p)) !== 32 && c !== 10) p++;
      this.omTimestamp(tsStart, p);
    }
    return p;
  }

  /** Applies one HELP/TYPE/UNIT line to the family declared as `name`. */
  protected override metadata(keyword: number, name: string, value: string): void {
    const what = KEYWORDS[keyword];
    // HELP and TYPE of one family are usually adjacent: skip the lookup for the current family.
    const current = this.#current;
    const record = current !== null && current.declaredName === name
      ? current
      : this.#registry.declared(name, this.line);
    if (record.hasSamples) this.fail(`${what} for ${quote(name)} comes after its samples`);
    if (record !== this.#current) this.#enter(record);
    const family = record.family;
    if (keyword === HELP) {
      if (record.hasHelp) this.fail(`Second HELP for ${quote(name)}`);
      record.hasHelp = true;
      family.help = value;
      return;
    }
    if (keyword === TYPE) {
      if (record.hasType) this.fail(`Second TYPE for ${quote(name)}`);
      this.#registry.setType(record, value as MetricType, this.line);
    } else {
      if (record.hasUnit) this.fail(`Second UNIT for ${quote(name)}`);
      record.hasUnit = true;
      if (value !== "" && !name.endsWith("_" + value)) {
        this.fail(`Unit ${quote(value)} is not a suffix of the name ${quote(name)}`);
      }
      family.unit = value;
    }
    if (family.unit !== "" && (family.type === "info" || family.type === "stateset")) {
      this.fail(`A ${family.type} family may not have a unit (${quote(name)})`);
    }
  }
}
