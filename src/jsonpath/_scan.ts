/**
 * The lexical part of the JSONPath parser: blank space, member names, string literals, integers and numbers,
 * with the exact rules of RFC 9535 (section 2.3.1.1 and 2.3.3.1). A base class of the parser in `_parse.ts`,
 * kept apart so that each file stays small.
 *
 * @module
 */

/** Member-name shorthand: RFC 9535 plus `-` inside a name (an extension, for keys like `my-connector`). */
const NAME_REGEXP =
  /[A-Za-z_\u0080-\uD7FF\u{E000}-\u{10FFFF}][A-Za-z0-9_\-\u0080-\uD7FF\u{E000}-\u{10FFFF}]*/uy;
const INT_REGEXP = /-?(?:0|[1-9][0-9]*)/y;
const NUMBER_REGEXP = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/y;
const MAX_INT = 2 ** 53 - 1;
const ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", "/": "/", "\\": "\\" };

/** A cursor over the path text with the token readers the parser needs. */
export class Scanner {
  protected readonly src: string;
  protected pos = 0;

  constructor(src: string) {
    this.src = src;
  }

  /** Skips blank space (space, tab, line feed, carriage return); true when there was some. */
  protected skipSpace(): boolean {
    const start = this.pos;
    for (;;) {
      const c = this.src.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return this.pos > start;
      this.pos++;
    }
  }

  /** Consumes `token` after optional blank space; on a miss the position is where it was. */
  protected eat(token: string): boolean {
    const start = this.pos;
    this.skipSpace();
    if (this.src.startsWith(token, this.pos)) {
      this.pos += token.length;
      return true;
    }
    this.pos = start;
    return false;
  }

  /** Reads a member-name shorthand (after `.` or `..`). */
  protected name(): string {
    const m = this.#sticky(NAME_REGEXP);
    if (m === null) this.fail(`expected a member name (use ['...'] for other keys)`);
    return m;
  }

  /** Reads an integer within the exact range of a double, without leading zeros or `-0`; null if none. */
  protected int(): number | null {
    const start = this.pos;
    const m = this.#sticky(INT_REGEXP);
    if (m === null) return null;
    if (m === "-0") this.fail(`"-0" is not an index`, start);
    const n = Number(m);
    if (Math.abs(n) > MAX_INT) this.fail(`the integer ${m} is out of range`, start);
    if (/[0-9]/.test(this.src[this.pos] ?? "")) this.fail(`leading zeros are not allowed`, start);
    return n;
  }

  /** Reads a number literal; null if none. */
  protected number(): number | null {
    const m = this.#sticky(NUMBER_REGEXP);
    if (m === null) return null;
    if (/[0-9.eE]/.test(this.src[this.pos] ?? "")) this.fail(`invalid number`);
    return Number(m);
  }

  /** Reads a string literal in single or double quotes (the position is on the quote). */
  protected string(): string {
    const quote = this.src[this.pos++];
    let out = "";
    while (this.pos < this.src.length) {
      const ch = this.src[this.pos++];
      if (ch === quote) return out;
      if (ch !== "\\") {
        const c = ch.charCodeAt(0);
        if (c < 0x20) this.fail(`control characters must be escaped in a string`, this.pos - 1);
        if (c >= 0xd800 && c <= 0xdfff) {
          const next = this.src.charCodeAt(this.pos);
          if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) this.fail(`lone surrogate`, this.pos - 1);
          out += ch + this.src[this.pos++];
          continue;
        }
        out += ch;
        continue;
      }
      const esc = this.src[this.pos++];
      if (esc === quote) out += esc;
      else if (esc === "u") out += this.#unicodeEscape();
      else if (esc !== undefined && esc in ESCAPES) out += ESCAPES[esc];
      else this.fail(`invalid escape "\\${esc ?? ""}"`);
    }
    return this.fail(`unterminated string`);
  }

  /** `XXXX` after `\u`: a non-surrogate, or a high surrogate followed by `\uXXXX` with a low one. */
  #unicodeEscape(): string {
    const hi = this.#hex4();
    if (hi >= 0xdc00 && hi <= 0xdfff) this.fail(`lone low surrogate in \\u escape`);
    if (hi < 0xd800 || hi > 0xdbff) return String.fromCharCode(hi);
    if (this.src[this.pos] !== "\\" || this.src[this.pos + 1] !== "u") this.fail(`lone high surrogate`);
    this.pos += 2;
    const lo = this.#hex4();
    if (lo < 0xdc00 || lo > 0xdfff) this.fail(`expected a low surrogate`);
    return String.fromCharCode(hi, lo);
  }

  #hex4(): number {
    const hex = this.src.slice(this.pos, this.pos + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail(`invalid \\u escape`);
    this.pos += 4;
    return parseInt(hex, 16);
  }

  #sticky(re: RegExp): string | null {
    re.lastIndex = this.pos;
    const m = re.exec(this.src);
    if (m === null) return null;
    this.pos += m[0].length;
    return m[0];
  }

  /** Throws the SyntaxError of the parser: `at character N: what`. */
  protected fail(what: string, at = this.pos): never {
    throw new SyntaxError(`at character ${at + 1}: ${what}`);
  }
}
