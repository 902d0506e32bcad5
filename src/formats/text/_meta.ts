/**
 * The comment lines of the Prometheus text / OpenMetrics grammar: `# HELP`, `# TYPE` (text 0.0.4 and
 * OpenMetrics), `# UNIT` and `# EOF` (OpenMetrics), and plain comments (text only). The
 * {@linkcode CommentReader} checks the syntax and unescapes; what a line means for its family is up to the
 * {@linkcode MetadataTarget} it hands each line to (the family grouper, `_group.ts`).
 *
 * @module
 */

import type { MetricType } from "../../model.ts";
import { isMetricNameChar, isMetricNameStart, quote } from "./_lex.ts";
import type { Scanner } from "./_scan.ts";

/** Metric types a text 0.0.4 `# TYPE` line may name, mapped to the model's names. */
const TEXT_TYPES: ReadonlyMap<string, MetricType> = new Map([
  ["counter", "counter"],
  ["gauge", "gauge"],
  ["histogram", "histogram"],
  ["summary", "summary"],
  ["untyped", "unknown"],
]);

/** Metric types an OpenMetrics `# TYPE` line may name. */
const OM_TYPES: ReadonlyMap<string, MetricType> = new Map(
  (["counter", "gauge", "histogram", "gaugehistogram", "summary", "info", "stateset", "unknown"] as const)
    .map((t) => [t, t]),
);

/** A `# HELP` line. */
export const HELP = 0;
/** A `# TYPE` line. */
export const TYPE = 1;
/** A `# UNIT` line. */
export const UNIT = 2;
/** Keyword spelling by line kind, for messages. */
export const KEYWORDS = ["HELP", "TYPE", "UNIT"] as const;

/** What a metadata line is applied to. */
export interface MetadataTarget {
  /**
   * Applies one metadata line: `keyword` is {@linkcode HELP}, {@linkcode TYPE} or {@linkcode UNIT}; `value` is
   * the unescaped help, the model type name, or the unit.
   */
  metadata(keyword: number, name: string, value: string): void;
}

/** Reads comment lines at the scanner's position and hands each metadata line to its target. */
export class CommentReader {
  readonly #scan: Scanner;
  readonly #target: MetadataTarget;

  /** Reads from `scan` into `target`. */
  constructor(scan: Scanner, target: MetadataTarget) {
    this.#scan = scan;
    this.#target = target;
  }

  /** A text 0.0.4 line starting with `#` (at `pos`): HELP, TYPE, or a comment to skip. */
  text(): void {
    const scan: Scanner = this.#scan;
    const s = scan.s;
    let p = scan.pos + 1;
    let c = s.charCodeAt(p);
    if (c === 32 || c === 9) {
      while (c === 32 || c === 9) c = s.charCodeAt(++p);
      // Character tests rather than startsWith(): a builtin call per comment line is measurable.
      const keyword = c === 72 && s.charCodeAt(p + 1) === 69 && s.charCodeAt(p + 2) === 76 &&
          s.charCodeAt(p + 3) === 80
        ? HELP
        : c === 84 && s.charCodeAt(p + 1) === 89 && s.charCodeAt(p + 2) === 80 && s.charCodeAt(p + 3) === 69
        ? TYPE
        : -1;
      if (keyword !== -1 && scan.isBlankOrEnd(p + 4)) {
        this.#textMetadata(keyword, p + 4);
        return;
      }
    }
    scan.pos = scan.endOfLine(p, "comment");
    scan.nextLine();
  }

  /** `# HELP name text` or `# TYPE name type` in text 0.0.4; `p` is just after the keyword. */
  #textMetadata(keyword: number, p: number): void {
    const scan: Scanner = this.#scan;
    const s = scan.s;
    let c = s.charCodeAt(p);
    while (c === 32 || c === 9) c = s.charCodeAt(++p);
    const what = KEYWORDS[keyword];
    const nameStart = p;
    if (!isMetricNameStart(c)) scan.unexpected(p, `Expected a metric name after ${what}`);
    p++;
    while (isMetricNameChar(s.charCodeAt(p))) p++;
    const name = s.slice(nameStart, p);
    if (!scan.isBlankOrEnd(p)) scan.unexpected(p, `Expected whitespace after the metric name in ${what}`);
    c = s.charCodeAt(p);
    while (c === 32 || c === 9) c = s.charCodeAt(++p);
    if (keyword === HELP) {
      this.#target.metadata(HELP, name, scan.helpText(p));
    } else {
      const end = scan.endOfLine(p, "TYPE");
      const word = s.slice(p, end);
      const type = TEXT_TYPES.get(word);
      if (type === undefined) scan.fail(`Unknown metric type ${quote(word)} in TYPE for ${quote(name)}`);
      scan.pos = end;
      this.#target.metadata(TYPE, name, type);
    }
    scan.nextLine();
  }

  /**
   * An OpenMetrics line starting with `#`: `# HELP`, `# TYPE`, `# UNIT` or `# EOF`. Returns true at a valid
   * `# EOF`, which must end the input (one line feed may follow).
   */
  openMetrics(): boolean {
    const scan: Scanner = this.#scan;
    const s = scan.s;
    const n = scan.n;
    let p = scan.pos;
    if (s.startsWith("# EOF", p) && (p + 5 >= n || s.charCodeAt(p + 5) === 10)) {
      if (p + 6 < n) scan.fail('Content after "# EOF"', scan.line + 1);
      return true;
    }
    let keyword = -1;
    if (s.charCodeAt(p + 1) === 32 && s.charCodeAt(p + 6) === 32) {
      if (s.startsWith("HELP", p + 2)) keyword = HELP;
      else if (s.startsWith("TYPE", p + 2)) keyword = TYPE;
      else if (s.startsWith("UNIT", p + 2)) keyword = UNIT;
    }
    if (keyword === -1) {
      scan.endOfLine(p, "comment");
      scan.fail('Only "# HELP", "# TYPE", "# UNIT" and "# EOF" lines may start with "#" in OpenMetrics');
    }
    const what = KEYWORDS[keyword];
    p += 7;
    const nameStart = p;
    if (!isMetricNameStart(s.charCodeAt(p))) scan.unexpected(p, `Expected a metric name after ${what}`);
    p++;
    while (isMetricNameChar(s.charCodeAt(p))) p++;
    const name = s.slice(nameStart, p);
    if (s.charCodeAt(p) !== 32) scan.unexpected(p, `Expected " " after the metric name in ${what}`);
    p++;
    if (keyword === HELP) {
      this.#target.metadata(HELP, name, scan.helpText(p));
    } else {
      const end = scan.endOfLine(p, what);
      const word = s.slice(p, end);
      scan.pos = end;
      if (keyword === TYPE) {
        const type = OM_TYPES.get(word);
        if (type === undefined) scan.fail(`Unknown metric type ${quote(word)} in TYPE for ${quote(name)}`);
        this.#target.metadata(TYPE, name, type);
      } else {
        for (let i = 0; i < word.length; i++) {
          if (!isMetricNameChar(word.charCodeAt(i))) scan.fail(`Invalid unit ${quote(word)}`);
        }
        this.#target.metadata(UNIT, name, word);
      }
    }
    scan.nextLine();
    return false;
  }
}
