/**
 * Parser for the Prometheus text format 0.0.4 and OpenMetrics 1.0.0 into the internal model
 * ({@linkcode MetricFamily}), the public entry of this folder. One hand-written pass over the string: no
 * regex and no split into lines. {@linkcode TextParser} composes private parts that share one cursor:
 * `_scan` (the {@linkcode Scanner}: block, position, line, errors, label sets), `_meta` (comment lines),
 * `_sample` (the fast path for canonical sample lines), `_line` (every other sample line), `_cached` (lines
 * the series cache knows), `_group` (the current family and where samples go), `_families` and `_claims`
 * (the family registry, name resolution and per-sample checks), `_lex` (characters, numbers).
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
import type { MetricFamily, SampleSink, SeriesSink } from "../../model.ts";
import { CachedLines } from "./_cached.ts";
import { FamilyGrouper } from "./_group.ts";
import { quote } from "./_lex.ts";
import { SampleLineReader } from "./_line.ts";
import { CommentReader } from "./_meta.ts";
import { FastSampleReader } from "./_sample.ts";
import { Scanner, type TextFormat } from "./_scan.ts";
import type { SeriesCache } from "../series_cache.ts";

export { StreamRestart } from "./_families.ts";
export type { TextFormat } from "./_scan.ts";
export { parseGoFloat } from "./_lex.ts";

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
  /** The cursor every part reads from. */
  readonly #scan: Scanner;
  /** The current family and where samples go. */
  readonly #group: FamilyGrouper;
  /** Comment lines (HELP, TYPE, UNIT, EOF). */
  readonly #comments: CommentReader;
  /** Canonical sample lines. */
  readonly #fast: FastSampleReader;
  /** Every other sample line. */
  readonly #lines: SampleLineReader;
  /** OpenMetrics: `# EOF` was read, so no further block may hold anything. */
  #eof = false;
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
    const scan = new Scanner(format);
    this.#scan = scan;
    if (cached !== undefined) {
      const series = cached.sink;
      const group = new FamilyGrouper(scan, format, (family, sample) => void series.sample(family, sample));
      this.#group = group;
      this.#fast = new FastSampleReader(scan, group, new CachedLines(scan, group, series, cached.cache));
    } else {
      const group = new FamilyGrouper(scan, format, sink);
      this.#group = group;
      this.#fast = new FastSampleReader(scan, group, null);
    }
    this.#comments = new CommentReader(scan, this.#group);
    this.#lines = new SampleLineReader(this.#group);
  }

  /** Parses the next block of whole lines. @throws {ParseError} */
  push(block: string): void {
    this.#blocks++;
    this.#push(block);
  }

  /**
   * Ends the input and returns the families (without samples when a sink took them).
   *
   * @throws {ParseError} For an incomplete input (OpenMetrics without `# EOF`) or a clash found at the end.
   * @throws {StreamRestart} With a sink, when a family was renamed after its samples were passed on.
   */
  finish(): MetricFamily[] {
    if (this.#blocks === 0) this.#push("");
    if (this.#scan.om && !this.#eof) this.#scan.fail('Missing "# EOF" at the end of the input');
    return this.#group.finish();
  }

  #push(block: string): void {
    const scan = this.#scan;
    if (this.#eof && block.length > 0) scan.fail('Content after "# EOF"', scan.line + 1);
    // NUL is never valid here; one native scan up front lets the readers ignore it.
    const nul = block.indexOf("\0");
    if (nul !== -1) throw new ParseError("NUL character is not allowed", scan.line - 1 + lineAt(block, nul));
    scan.load(block);
    this.#fast.load();
    if (scan.om) this.#pushOpenMetrics(scan, block, block.length);
    else this.#pushText(scan, block, block.length);
  }

  /** Parses the current block `s` (of length `n`, loaded into `scan`) as text 0.0.4. */
  #pushText(scan: Scanner, s: string, n: number): void {
    const fast = this.#fast;
    while (scan.pos < n) {
      let p = scan.pos;
      let c = s.charCodeAt(p);
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      scan.pos = p;
      if (c === 10) {
        scan.pos++;
        scan.line++;
      } else if (c === 35) {
        this.#comments.text();
      } else if (p < n && !fast.read()) {
        this.#lines.read();
      }
    }
  }

  /** Parses the current block `s` (of length `n`, loaded into `scan`) as OpenMetrics 1.0.0. */
  #pushOpenMetrics(scan: Scanner, s: string, n: number): void {
    while (scan.pos < n) {
      const c = s.charCodeAt(scan.pos);
      if (c === 35) {
        if (this.#comments.openMetrics()) {
          this.#eof = true;
          return;
        }
      } else if (c === 10) {
        scan.fail("Blank lines are not allowed in OpenMetrics");
      } else if (!this.#fast.read()) {
        this.#lines.read();
      }
    }
  }
}

/** A series sink with the cache that serves it ({@linkcode TextParser}). */
export interface CachedSink {
  /** Takes samples and cached series. */
  sink: SeriesSink;
  /** The target's series cache, between {@linkcode SeriesCache.begin} and commit or abort. */
  cache: SeriesCache;
}

/** The 1-based line of offset `index`. */
function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}
