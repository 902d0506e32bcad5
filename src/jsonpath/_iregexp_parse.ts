/**
 * The parser of I-Regexp (RFC 9485, the ABNF of its section 5) into the small AST that `_iregexp.ts` compiles
 * into an NFA. Strict: what the grammar does not allow (anchors-as-operators, `\d`, `(?:`, lazy quantifiers,
 * an empty class, a reversed range, an unknown `\p{..}` category) is refused, and so is a counted repetition
 * above the given bound. A character class becomes the source of a one-character JavaScript class (`[a-z]`,
 * `\p{Lu}`), compiled once per pattern and only ever run on one code point, which is linear.
 *
 * @module
 */

/** The AST of an I-Regexp. */
export type Node =
  | { readonly t: "char"; readonly cp: number }
  | { readonly t: "any" }
  | { readonly t: "class"; readonly source: string }
  | { readonly t: "cat"; readonly items: readonly Node[] }
  | { readonly t: "alt"; readonly alts: readonly Node[] }
  | { readonly t: "rep"; readonly node: Node; readonly min: number; readonly max: number };

/** Characters that are not a NormalChar: operators and brackets (`^` and `$` are ordinary in I-Regexp). */
const SPECIAL = new Set("()*+.?[\\]{|}");
/** What may follow `\` as a single-character escape. */
const SINGLE_ESCAPES = new Set("()*+-.?[\\]^nrt{|}");
/** The Unicode general categories of `\p{..}` (RFC 9485 IsCategory). */
const CATEGORIES = new Set(
  "L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps Z Zl Zp Zs S Sc Sk Sm So C Cc Cf Cn Co"
    .split(" "),
);

/** Thrown inside the parser on the first thing the grammar does not allow. */
class Invalid extends Error {}

/** `\u{..}`: a code point inside a JavaScript class source. */
function hex(cp: number): string {
  return `\\u{${cp.toString(16)}}`;
}

function isSurrogate(cp: number): boolean {
  return cp >= 0xd800 && cp <= 0xdfff;
}

class Parser {
  #i = 0;
  readonly #cps: number[];
  readonly #maxRepeat: number;

  constructor(pattern: string, maxRepeat: number) {
    this.#cps = Array.from(pattern, (c) => c.codePointAt(0)!);
    this.#maxRepeat = maxRepeat;
  }

  parse(): Node {
    const n = this.#regexp();
    if (this.#i < this.#cps.length) throw new Invalid(); // an unbalanced ")"
    return n;
  }

  #peek(): string | undefined {
    const cp = this.#cps[this.#i];
    return cp === undefined ? undefined : String.fromCodePoint(cp);
  }

  #regexp(): Node {
    const alts = [this.#branch()];
    while (this.#peek() === "|") {
      this.#i++;
      alts.push(this.#branch());
    }
    return alts.length === 1 ? alts[0] : { t: "alt", alts };
  }

  #branch(): Node {
    const items: Node[] = [];
    for (let c = this.#peek(); c !== undefined && c !== "|" && c !== ")"; c = this.#peek()) {
      items.push(this.#piece());
    }
    return items.length === 1 ? items[0] : { t: "cat", items };
  }

  #piece(): Node {
    const node = this.#atom();
    const q = this.#peek();
    if (q === "*" || q === "+" || q === "?") {
      this.#i++;
      return { t: "rep", node, min: q === "+" ? 1 : 0, max: q === "?" ? 1 : Infinity };
    }
    if (q !== "{") return node;
    this.#i++;
    const min = this.#number();
    let max = min;
    if (this.#peek() === ",") {
      this.#i++;
      max = this.#peek() === "}" ? Infinity : this.#number();
    }
    if (this.#peek() !== "}" || max < min) throw new Invalid();
    this.#i++;
    return { t: "rep", node, min, max };
  }

  /** QuantExact: digits, at most the repetition bound. */
  #number(): number {
    let n = 0;
    let digits = 0;
    for (let c = this.#cps[this.#i]; c >= 0x30 && c <= 0x39; c = this.#cps[++this.#i]) {
      n = n * 10 + c - 0x30;
      digits++;
      if (n > this.#maxRepeat) throw new Invalid();
    }
    if (digits === 0) throw new Invalid();
    return n;
  }

  #atom(): Node {
    const cp = this.#cps[this.#i++];
    const c = String.fromCodePoint(cp);
    if (c === "(") {
      const n = this.#regexp();
      if (this.#peek() !== ")") throw new Invalid();
      this.#i++;
      return n;
    }
    if (c === ".") return { t: "any" };
    if (c === "[") return { t: "class", source: this.#bracket() };
    if (c === "\\") {
      const prop = this.#property();
      return prop !== null ? { t: "class", source: prop } : { t: "char", cp: this.#escape() };
    }
    if (SPECIAL.has(c) || isSurrogate(cp)) throw new Invalid();
    return { t: "char", cp };
  }

  /** After `\`: `p{..}` or `P{..}` as a JavaScript class escape, else null (nothing consumed). */
  #property(): string | null {
    const c = this.#peek();
    if (c !== "p" && c !== "P") return null;
    this.#i++;
    if (this.#peek() !== "{") throw new Invalid();
    const start = this.#i + 1;
    const end = this.#cps.indexOf(0x7d, start); // "}"
    if (end < 0) throw new Invalid();
    const name = String.fromCodePoint(...this.#cps.slice(start, end));
    if (!CATEGORIES.has(name)) throw new Invalid();
    this.#i = end + 1;
    return `\\${c}{${name}}`;
  }

  /** After `\`: a single-character escape, as its code point. */
  #escape(): number {
    const c = this.#peek();
    if (c === undefined || !SINGLE_ESCAPES.has(c)) throw new Invalid();
    this.#i++;
    return c === "n" ? 10 : c === "r" ? 13 : c === "t" ? 9 : c.codePointAt(0)!;
  }

  /** After `[`: a bracket expression, up to its `]`, as a JavaScript class source. */
  #bracket(): string {
    let out = "[";
    if (this.#peek() === "^") {
      this.#i++;
      out += "^";
    }
    let items = 0;
    if (this.#peek() === "-") { // a leading "-" is literal
      this.#i++;
      out += "\\-";
      items++;
    }
    for (;;) {
      const c = this.#peek();
      if (c === "]") break;
      if (c === "-") { // only a trailing "-" is literal
        this.#i++;
        if (this.#peek() !== "]") throw new Invalid();
        out += "\\-";
        items++;
        break;
      }
      if (c === "\\") {
        this.#i++;
        const prop = this.#property();
        if (prop !== null) {
          out += prop;
          items++;
          continue;
        }
        this.#i--;
      }
      const lo = this.#classChar();
      if (this.#peek() === "-" && this.#cps[this.#i + 1] !== 0x5d) { // a range, not a trailing "-"
        this.#i++;
        const hi = this.#classChar();
        if (hi < lo) throw new Invalid();
        out += hex(lo) + "-" + hex(hi);
      } else {
        out += hex(lo);
      }
      items++;
    }
    if (items === 0) throw new Invalid();
    this.#i++;
    return out + "]";
  }

  /** CCchar: a character of a bracket expression (not `-`, `[`, `]`), or a single-character escape. */
  #classChar(): number {
    const cp = this.#cps[this.#i];
    if (cp === undefined) throw new Invalid();
    if (cp === 0x5c) { // "\"
      this.#i++;
      return this.#escape();
    }
    if (cp === 0x2d || cp === 0x5b || cp === 0x5d || isSurrogate(cp)) throw new Invalid();
    this.#i++;
    return cp;
  }
}

/** A parsed I-Regexp. */
export interface Parsed {
  readonly ast: Node;
  /** The characters the pattern begins with (the first `prefixOps` items of its top sequence). */
  readonly prefix: string;
  readonly prefixOps: number;
  /** The pattern is its prefix: no operator at all. */
  readonly literal: boolean;
  /** The pattern began with `^`, ended with `$`: anchors (see `parseIRegexp`). */
  readonly atStart: boolean;
  readonly atEnd: boolean;
}

/**
 * Parses an I-Regexp; null when the pattern is not one or repeats more than `maxRepeat` times. `^` and `$` are
 * ordinary characters (RFC 9485), but for the first character and the last: there they are anchors, as the
 * compliance suite wants (`match(@, '^ab.*')` matches "abc", as in the RFC's mapping to JavaScript). Stripping
 * them never makes an invalid pattern valid: `\$` is no I-Regexp, and a `$` closing a class has no `]`.
 */
export function parseIRegexp(pattern: string, maxRepeat: number): Parsed | null {
  const atStart = pattern.startsWith("^");
  const atEnd = pattern.length > (atStart ? 1 : 0) && pattern.endsWith("$");
  const body = pattern.slice(atStart ? 1 : 0, atEnd ? -1 : undefined);
  let ast: Node;
  try {
    ast = new Parser(body, maxRepeat).parse();
  } catch (e) {
    if (e instanceof Invalid || e instanceof RangeError) return null; // RangeError: nesting too deep
    throw e;
  }
  const items = ast.t === "cat" ? ast.items : [ast];
  const cps: number[] = [];
  for (const n of items) {
    if (n.t !== "char") break;
    cps.push(n.cp);
  }
  const prefix = String.fromCodePoint(...cps);
  return { ast, prefix, prefixOps: cps.length, literal: cps.length === items.length, atStart, atEnd };
}
