/**
 * The cursor of the Prometheus text / OpenMetrics parser: the current block, position and line, errors that
 * name the line, and the tokens shared by every line kind (label sets, escaped HELP text, OpenMetrics
 * timestamps). One {@linkcode Scanner} is shared by the parser's parts (`_meta`, `_sample`, `_line`,
 * `_group`), which read and move it; it knows no line grammar itself.
 *
 * @module
 */

import { ParseError } from "../../errors.ts";
import { isLabelNameChar, isLabelNameStart, MAX_TIMESTAMP_MS, parseGoFloat, quote } from "./_lex.ts";

/** Most label names checked pairwise for duplicates before a set is used. */
const LINEAR_DUPLICATE_CHECK = 32;

/** The two upstream text formats: Prometheus text 0.0.4 and OpenMetrics 1.0.0. */
export type TextFormat = "prometheus" | "openmetrics";

/** Position, line and token reading over the current block of one parse. */
export class Scanner {
  /** The input: the current block of whole lines ({@linkcode Scanner.load}). */
  s = "";
  /** Its length. */
  n = 0;
  /**
   * `format === "openmetrics"` (strict spacing, `\"` in HELP, no trailing comma), kept as a boolean because
   * the line readers test it per line.
   */
  readonly om: boolean;
  /** Offset of the next character to read. */
  pos = 0;
  /** 1-based line of `pos`. */
  line = 1;
  /** Labels of the previous sample, whose strings are reused when they repeat (saves allocations). */
  #prevLabels: string[] = [];
  /** Whether the input has any backslash or CR at all; if not, HELP text is one slice. */
  #hasBackslashOrCR: boolean;
  /** Scratch space the label parser fills before copying out an exactly sized array. */
  readonly #scratch: string[] = [];

  /** Creates a scanner for `format`, before its first block. */
  constructor(format: TextFormat) {
    this.om = format === "openmetrics";
    this.#hasBackslashOrCR = false;
  }

  /**
   * Moves on to the next block of the input: whole lines that follow the previous block's last line feed.
   * Line numbers go on counting; nothing read from the previous block is kept but the strings already cut.
   */
  load(block: string): void {
    this.s = block;
    this.n = block.length;
    this.pos = 0;
    this.#hasBackslashOrCR = block.indexOf("\\") !== -1 || block.indexOf("\r") !== -1;
  }

  /** Throws a {@linkcode ParseError} for the current line (or `line`). */
  fail(message: string, line = this.line): never {
    throw new ParseError(message, line);
  }

  /** Fails with "`expectation`, got <what is at p>", naming CR specially since it means CRLF input. */
  unexpected(p: number, expectation: string): never {
    if (p >= this.n) this.fail(`${expectation}, got end of input`);
    const c = this.s.charCodeAt(p);
    if (c === 10) this.fail(`${expectation}, got end of line`);
    if (c === 13) this.fail("Carriage return is not allowed (lines must end with LF only)");
    this.fail(`${expectation}, got ${quote(String.fromCodePoint(this.s.codePointAt(p)!))}`);
  }

  /** Fails for an invalid number token, naming CR separately since it means CRLF input. */
  badNumber(what: string, start: number, end: number): never {
    const token = this.s.slice(start, end);
    const cr = token.indexOf("\r");
    if (cr !== -1) this.unexpected(start + cr, "");
    this.fail(`Invalid ${what} ${quote(token)}`);
  }

  /** True when `p` holds a space, a tab, a line feed or the end of input. */
  isBlankOrEnd(p: number): boolean {
    const c = this.s.charCodeAt(p);
    return c === 32 || c === 9 || c === 10 || p >= this.n;
  }

  /** Returns the offset of the line feed (or end of input) from `p`, failing on CR. */
  endOfLine(p: number, what: string): number {
    const s = this.s;
    const n = this.n;
    while (p < n) {
      const c = s.charCodeAt(p);
      if (c === 10) break;
      if (c === 13) this.unexpected(p, `Unexpected character in ${what}`);
      p++;
    }
    return p;
  }

  /** Steps `pos` over the line feed it is on, if any. */
  nextLine(): void {
    if (this.pos < this.n) {
      this.pos++;
      this.line++;
    }
  }

  /**
   * Unescapes HELP text from `p` to the end of the line (`\\` and `\n`; OpenMetrics also `\"`) and leaves
   * `pos` on the line feed.
   */
  helpText(p: number): string {
    const s = this.s;
    const n = this.n;
    if (!this.#hasBackslashOrCR) {
      const end = s.indexOf("\n", p);
      this.pos = end === -1 ? n : end;
      return s.slice(p, this.pos);
    }
    let out = "";
    let segment = p;
    while (p < n) {
      const c = s.charCodeAt(p);
      if (c === 10) break;
      if (c === 13) this.unexpected(p, "Unexpected character in HELP");
      if (c === 92) {
        out += s.slice(segment, p);
        const e = s.charCodeAt(p + 1);
        if (e === 92) out += "\\";
        else if (e === 110) out += "\n";
        else if (e === 34 && this.om) out += '"';
        else this.fail(`Invalid escape ${quote(s.slice(p, p + 2))} in HELP`);
        p += 2;
        segment = p;
      } else {
        p++;
      }
    }
    this.pos = p;
    return out + s.slice(segment, p);
  }

  /**
   * Parses a label set from just after `{` through `}` and returns the new array with the offset after `}`
   * in `pos`. Text 0.0.4 allows blanks around tokens and a trailing comma; OpenMetrics allows neither.
   * With `reuse`, strings equal to the previous sample's label at the same index are shared.
   */
  labels(p: number, reuse: boolean): string[] {
    const s = this.s;
    const n = this.n;
    const om = this.om;
    const prev = reuse ? this.#prevLabels : [];
    const scratch = this.#scratch;
    let k = 0;
    let seen: Set<string> | null = null;
    let c: number;
    for (;;) {
      c = s.charCodeAt(p);
      if (!om) { while (c === 32 || c === 9) c = s.charCodeAt(++p); }
      if (c === 125) {
        if (om && k > 0) this.fail("Trailing comma in labels is not allowed in OpenMetrics");
        p++;
        break;
      }
      if (!isLabelNameStart(c)) this.unexpected(p, "Expected a label name");
      let name = k < prev.length ? prev[k] : "";
      if (name !== "" && s.startsWith(name, p) && !isLabelNameChar(s.charCodeAt(p + name.length))) {
        p += name.length;
      } else {
        const nameStart = p++;
        while (isLabelNameChar(s.charCodeAt(p))) p++;
        name = s.slice(nameStart, p);
      }
      if (k < LINEAR_DUPLICATE_CHECK) {
        for (let i = 0; i < k; i += 2) {
          if (scratch[i] === name) this.fail(`Duplicate label name ${quote(name)}`);
        }
      } else {
        if (seen === null) {
          seen = new Set();
          for (let i = 0; i < k; i += 2) seen.add(scratch[i]);
        }
        if (seen.has(name)) this.fail(`Duplicate label name ${quote(name)}`);
        seen.add(name);
      }
      if (name === "__name__") this.fail('Label name "__name__" is reserved');

      c = s.charCodeAt(p);
      if (!om) { while (c === 32 || c === 9) c = s.charCodeAt(++p); }
      if (c !== 61) this.unexpected(p, `Expected "=" after label name ${quote(name)}`);
      c = s.charCodeAt(++p);
      if (!om) { while (c === 32 || c === 9) c = s.charCodeAt(++p); }
      if (c !== 34) this.unexpected(p, `Expected '"' to open the value of label ${quote(name)}`);
      const valueStart = ++p;
      while (p < n && (c = s.charCodeAt(p)) !== 34 && c !== 92 && c !== 10) p++;
      let value: string;
      if (p < n && c === 34) {
        const old = k + 1 < prev.length ? prev[k + 1] : undefined;
        value = old !== undefined && old.length === p - valueStart && s.startsWith(old, valueStart)
          ? old
          : s.slice(valueStart, p);
        p++;
      } else {
        value = this.#escapedLabelValue(valueStart, p, name);
        p = this.pos;
      }
      scratch[k] = name;
      scratch[k + 1] = value;
      k += 2;

      c = s.charCodeAt(p);
      if (!om) { while (c === 32 || c === 9) c = s.charCodeAt(++p); }
      if (c === 44) {
        p++;
      } else if (c === 125) {
        p++;
        break;
      } else {
        this.unexpected(p, 'Expected "," or "}" after a label');
      }
    }
    const labels = scratch.slice(0, k);
    if (reuse) this.#prevLabels = labels;
    this.pos = p;
    return labels;
  }

  /**
   * Finishes a label value that has an escape (or no end) from `p`; `start` is just after the opening quote.
   * Returns the unescaped value and leaves `pos` just after the closing quote.
   */
  #escapedLabelValue(start: number, p: number, name: string): string {
    const s = this.s;
    const n = this.n;
    // Pieces joined once at the end: `+=` per escape builds a deep rope on escape-heavy values.
    const parts: string[] = [];
    let segment = start;
    for (;;) {
      if (p >= n) this.fail(`Value of label ${quote(name)} is not terminated`);
      const c = s.charCodeAt(p);
      if (c === 34) break;
      if (c === 10) this.fail(`Value of label ${quote(name)} is not terminated before the end of the line`);
      if (c === 92) {
        if (p > segment) parts.push(s.slice(segment, p));
        const e = s.charCodeAt(p + 1);
        if (e === 92) parts.push("\\");
        else if (e === 34) parts.push('"');
        else if (e === 110) parts.push("\n");
        else this.fail(`Invalid escape ${quote(s.slice(p, p + 2))} in the value of label ${quote(name)}`);
        p += 2;
        segment = p;
      } else {
        p++;
      }
    }
    if (p > segment) parts.push(s.slice(segment, p));
    this.pos = p + 1;
    return parts.join("");
  }

  /** Parses an OpenMetrics timestamp (float seconds, not NaN or infinite) into whole milliseconds. */
  omTimestamp(start: number, end: number): number {
    const seconds = parseGoFloat(this.s, start, end);
    if (seconds === undefined) this.badNumber("timestamp", start, end);
    const ms = Math.round(seconds * 1000);
    if (!(Math.abs(ms) <= MAX_TIMESTAMP_MS)) this.badNumber("timestamp", start, end);
    return ms === 0 ? 0 : ms;
  }
}
