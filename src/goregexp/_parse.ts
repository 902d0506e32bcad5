/**
 * A parser for Go's regexp syntax (regexp/syntax with Perl flags, as Prometheus compiles relabel regexes),
 * following Go's parser step by step so that the same patterns are accepted, with the same meaning and the
 * same error texts. It produces a small tree that `relabel_regexp.ts` renders as a JavaScript RegExp.
 *
 * @module
 */

import {
  isAsciiAlnum,
  pairsSrc,
  PERL_CLASSES,
  POSIX_CLASSES,
  rangeSrc,
  unhex,
  unicodeGroupSrc,
} from "./_classes.ts";

const FOLD = 1; // (?i)
const MULTI = 2; // (?m): ^ and $ match at line boundaries
const DOTNL = 4; // (?s): . matches \n
const UNGREEDY = 8; // (?U)

/** Go's limit on a counted repetition and on nested repetition products. */
const MAX_REPEAT = 1000;
/** Go's limit on nesting depth. */
const MAX_DEPTH = 1000;

/** The parse tree: literals, classes, raw JavaScript assertions, groups, concatenation, alternation, repeats. */
export type Node =
  | { readonly t: "lit"; readonly cp: number; readonly fold: boolean }
  | { readonly t: "class"; readonly src: string; readonly fold: boolean }
  | { readonly t: "any"; readonly src: string }
  | { readonly t: "raw"; readonly src: string; readonly wordAssert: boolean }
  | { readonly t: "group"; readonly cap: boolean; readonly sub: Node }
  | { readonly t: "cat"; readonly subs: readonly Node[] }
  | { readonly t: "alt"; readonly subs: readonly Node[] }
  | {
    readonly t: "rep";
    readonly sub: Node;
    readonly min: number;
    readonly max: number;
    readonly lazy: boolean;
    readonly counted: boolean;
  };

/** A parsed Go regexp: the tree, and the capture-group names by index (index 0 and unnamed groups: ""). */
export interface ParsedGoRegexp {
  /** The syntax tree. */
  readonly tree: Node;
  /** Capture names by group index. */
  readonly names: readonly string[];
}

/**
 * Parses Go regexp syntax.
 *
 * @param pattern the Go regular expression
 * @returns the tree and the capture names
 * @throws {SyntaxError} with Go's error text, e.g. `missing closing ): "^(?:()$"`
 */
export function parseGoRegexp(pattern: string): ParsedGoRegexp {
  const parser = new GoRegexpParser(pattern);
  const tree = parser.parse();
  return { tree, names: parser.names };
}

/** Go's error text: code, then the offending fragment (Go quotes it with backquotes; we use JSON quotes). */
function goError(code: string, expr: string): SyntaxError {
  return new SyntaxError(`${code}: ${JSON.stringify(expr)}`);
}

/** Recursive-descent parser that follows Go's regexp/syntax parser (Perl flags) step by step. */
class GoRegexpParser {
  readonly #s: string;
  #i = 0;
  /** Capture names by group index. */
  readonly names: string[] = [""];

  constructor(s: string) {
    this.#s = s;
  }

  parse(): Node {
    const node = this.#alternation(0, 0);
    if (this.#i < this.#s.length) throw goError("unexpected )", this.#s); // stopped at an unmatched ')'
    return node;
  }

  #cp(at: number): number {
    return this.#s.codePointAt(at) ?? -1;
  }

  #width(at: number): number {
    const c = this.#cp(at);
    return c > 0xffff ? 2 : 1;
  }

  /** Parses up to an unmatched `)` or the end. Flag directives last until the enclosing group ends. */
  #alternation(startFlags: number, depth: number): Node {
    if (depth > MAX_DEPTH) throw goError("expression nests too deeply", this.#s);
    const s = this.#s;
    let flags = startFlags;
    const branches: Node[] = [];
    let items: Node[] = [];
    let lastRepeat = -1; // start of the previous token when it was a repetition operator
    while (this.#i < s.length) {
      const start = this.#i;
      const c = s[start];
      let repeat = -1;
      if (c === ")") break;
      switch (c) {
        case "|":
          branches.push(cat(items));
          items = [];
          this.#i++;
          break;
        case "(": {
          const open = this.#openGroup(flags);
          if (open.directive) {
            flags = open.flags;
            break;
          }
          const sub = this.#alternation(open.flags, depth + 1);
          if (this.#i >= s.length) throw goError("missing closing )", s);
          this.#i++;
          items.push({ t: "group", cap: open.cap, sub });
          break;
        }
        case "^":
          items.push(raw(flags & MULTI ? "(?<![^\\u{a}])" : "^"));
          this.#i++;
          break;
        case "$":
          items.push(raw(flags & MULTI ? "(?![^\\u{a}])" : "$"));
          this.#i++;
          break;
        case ".":
          items.push({ t: "any", src: flags & DOTNL ? "[^]" : "[^\\u{a}]" });
          this.#i++;
          break;
        case "[":
          items.push(this.#parseClass(flags));
          break;
        case "*":
        case "+":
        case "?": {
          this.#i++;
          const [min, max] = c === "*" ? [0, -1] : c === "+" ? [1, -1] : [0, 1];
          this.#repeat(items, flags, min, max, false, start, lastRepeat);
          repeat = start;
          break;
        }
        case "{": {
          const r = this.#parseRepeat(start);
          if (r === null) {
            items.push({ t: "lit", cp: 0x7b, fold: (flags & FOLD) !== 0 });
            this.#i++;
            break;
          }
          const [min, max, end] = r;
          if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
            throw goError("invalid repeat count", s.slice(start, end));
          }
          this.#i = end;
          this.#repeat(items, flags, min, max, true, start, lastRepeat);
          repeat = start;
          break;
        }
        case "\\":
          this.#parseEscapeAtom(items, flags);
          break;
        default: {
          items.push({ t: "lit", cp: this.#cp(start), fold: (flags & FOLD) !== 0 });
          this.#i += this.#width(start);
        }
      }
      lastRepeat = repeat;
    }
    branches.push(cat(items));
    return branches.length === 1 ? branches[0] : { t: "alt", subs: branches };
  }

  /** Handles `(`: capture, named capture, non-capturing group, or flag directive `(?i)`. */
  #openGroup(flags: number): { directive: boolean; cap: boolean; flags: number } {
    const s = this.#s;
    const i = this.#i;
    if (s[i + 1] !== "?") {
      this.names.push("");
      this.#i = i + 1;
      return { directive: false, cap: true, flags };
    }
    const rest = s.length - i;
    const withP = rest > 4 && s[i + 2] === "P" && s[i + 3] === "<";
    const withLt = rest > 3 && s[i + 2] === "<";
    if (withP || withLt) {
      const end = s.indexOf(">", i);
      if (end < 0) throw goError("invalid named capture", s.slice(i));
      const name = s.slice(i + (withP ? 4 : 3), end);
      if (!/^[A-Za-z0-9_]+$/.test(name)) throw goError("invalid named capture", s.slice(i, end + 1));
      this.names.push(name);
      this.#i = end + 1;
      return { directive: false, cap: true, flags };
    }
    let j = i + 2;
    let f = flags;
    let negate = false;
    let saw = false;
    while (j < s.length) {
      const c = s[j];
      j += this.#width(j);
      const bit = c === "i" ? FOLD : c === "m" ? MULTI : c === "s" ? DOTNL : c === "U" ? UNGREEDY : 0;
      if (bit !== 0) {
        f = negate ? f & ~bit : f | bit;
        saw = true;
      } else if (c === "-") {
        if (negate) break;
        negate = true;
        saw = false;
      } else if (c === ":" || c === ")") {
        if (negate && !saw) break;
        this.#i = j;
        return { directive: c === ")", cap: false, flags: f };
      } else {
        break;
      }
    }
    throw goError("invalid or unsupported Perl syntax", s.slice(i, j));
  }

  /** Go's parseRepeat: `{n}`, `{n,}` or `{n,m}`; null when `{` is a literal. Values over 1e8 become -1. */
  #parseRepeat(at: number): [number, number, number] | null {
    const s = this.#s;
    let j = at + 1;
    const isDigit = (k: number): boolean => k < s.length && s[k] >= "0" && s[k] <= "9";
    // Go's parseInt: no leading zeros; values from 1e8 up become -1.
    const int = (): number | null => {
      if (!isDigit(j) || (s[j] === "0" && isDigit(j + 1))) return null;
      let n = 0;
      for (; isDigit(j); j++) if (n >= 0) n = n >= 1e8 ? -1 : n * 10 + (s.charCodeAt(j) - 48);
      return n;
    };
    let min = int();
    if (min === null || j >= s.length) return null;
    let max = min;
    if (s[j] === ",") {
      j++;
      if (j >= s.length) return null;
      if (s[j] === "}") {
        max = -1;
      } else {
        const m = int();
        if (m === null) return null;
        max = m;
        if (m < 0) min = -1;
      }
    }
    if (s[j] !== "}") return null;
    return [min, max, j + 1];
  }

  /** Applies a repetition operator to the last item, with Go's checks. */
  #repeat(
    items: Node[],
    flags: number,
    min: number,
    max: number,
    counted: boolean,
    start: number,
    lastRepeat: number,
  ): void {
    let lazy = (flags & UNGREEDY) !== 0;
    if (this.#s[this.#i] === "?") {
      this.#i++;
      lazy = !lazy;
    }
    if (lastRepeat >= 0) {
      throw goError("invalid nested repetition operator", this.#s.slice(lastRepeat, this.#i));
    }
    if (items.length === 0) {
      throw goError("missing argument to repetition operator", this.#s.slice(start, this.#i));
    }
    const node: Node = { t: "rep", sub: items[items.length - 1], min, max, lazy, counted };
    if (counted && (min >= 2 || max >= 2) && !repeatIsValid(node, MAX_REPEAT)) {
      throw goError("invalid repeat count", this.#s.slice(start, this.#i));
    }
    items[items.length - 1] = node;
  }

  /** A backslash outside a class: assertions, `\Q…\E`, Unicode and Perl classes, or one literal. */
  #parseEscapeAtom(items: Node[], flags: number): void {
    const s = this.#s;
    const i = this.#i;
    const fold = (flags & FOLD) !== 0;
    switch (s[i + 1]) {
      case "A":
        items.push(raw("^"));
        this.#i += 2;
        return;
      case "z":
        items.push(raw("$"));
        this.#i += 2;
        return;
      case "b":
      case "B":
        items.push({ t: "raw", src: `\\${s[i + 1]}`, wordAssert: true });
        this.#i += 2;
        return;
      case "C":
        throw goError("invalid escape sequence", "\\C");
      case "Q": {
        const end = s.indexOf("\\E", i + 2);
        const lit = end < 0 ? s.slice(i + 2) : s.slice(i + 2, end);
        this.#i = end < 0 ? s.length : end + 2;
        for (const ch of lit) items.push({ t: "lit", cp: ch.codePointAt(0)!, fold });
        return;
      }
    }
    const group = this.#parseGroupEscape();
    if (group !== null) {
      items.push({ t: "class", src: `[${group}]`, fold });
      return;
    }
    items.push({ t: "lit", cp: this.#parseEscape(), fold });
  }

  /**
   * At a backslash: `\p…`/`\P…` or a Perl class `\d \s \w \D \S \W`; returns class-body source (a
   * negated group as a nested class) or null when the escape is something else.
   */
  #parseGroupEscape(): string | null {
    const s = this.#s;
    const i = this.#i;
    const c = s[i + 1];
    if (c === "p" || c === "P") {
      let negated = c === "P";
      let name: string;
      let end: number;
      if (s[i + 2] !== "{") {
        end = i + 2 + (i + 2 < s.length ? this.#width(i + 2) : 0);
        name = s.slice(i + 2, end);
      } else {
        const close = s.indexOf("}", i);
        if (close < 0) throw goError("invalid character class range", s.slice(i));
        end = close + 1;
        name = s.slice(i + 3, close);
      }
      if (name.startsWith("^")) {
        negated = !negated;
        name = name.slice(1);
      }
      const body = unicodeGroupSrc(name);
      if (body === null) throw goError("invalid character class range", s.slice(i, end));
      this.#i = end;
      return negated ? `[^${body}]` : body;
    }
    if (c === undefined || c.length !== 1 || !"dswDSW".includes(c)) return null;
    this.#i = i + 2;
    const body = pairsSrc(PERL_CLASSES[c.toLowerCase()]);
    return c >= "a" ? body : `[^${body}]`;
  }

  /** Go's parseEscape: one escaped code point (octal, hex, C escapes, escaped punctuation). */
  #parseEscape(): number {
    const s = this.#s;
    const i = this.#i;
    if (i + 1 >= s.length) throw goError("trailing backslash at end of expression", "");
    const c = this.#cp(i + 1);
    let j = i + 1 + this.#width(i + 1);
    const fail = (): never => {
      throw goError("invalid escape sequence", s.slice(i, j));
    };
    const isOctal = (k: number): boolean => s[k] >= "0" && s[k] <= "7";
    if (c < 0x80 && !isAsciiAlnum(c)) {
      this.#i = j;
      return c;
    }
    if (c >= 0x31 && c <= 0x37 && !isOctal(j)) fail(); // \1..\7 alone would be a backreference
    if (c >= 0x30 && c <= 0x37) {
      let r = c - 0x30;
      for (let n = 1; n < 3 && isOctal(j); n++) r = r * 8 + (s.charCodeAt(j++) - 0x30);
      this.#i = j;
      return r;
    }
    const simple = c === 0x61
      ? 7
      : c === 0x66
      ? 12
      : c === 0x6e
      ? 10
      : c === 0x72
      ? 13
      : c === 0x74
      ? 9
      : c === 0x76
      ? 11
      : -1;
    if (simple >= 0) {
      this.#i = j;
      return simple;
    }
    if (c !== 0x78 || j >= s.length) return fail();
    if (s[j] === "{") {
      j++;
      let r = 0;
      let n = 0;
      for (;;) {
        if (j >= s.length) return fail();
        const d = s.charCodeAt(j);
        j += this.#width(j);
        if (d === 0x7d) break;
        const v = unhex(d);
        if (v < 0) return fail();
        r = r * 16 + v;
        if (r > 0x10ffff) return fail();
        n++;
      }
      if (n === 0) return fail();
      this.#i = j;
      return r;
    }
    const x = unhex(s.charCodeAt(j));
    j += this.#width(j);
    const y = j < s.length ? unhex(s.charCodeAt(j)) : -1;
    if (j < s.length) j += this.#width(j);
    if (x < 0 || y < 0) return fail();
    this.#i = j;
    return x * 16 + y;
  }

  /** Go's parseClass: `[...]` with `]` first as a literal, POSIX `[:name:]`, ranges and nested groups. */
  #parseClass(flags: number): Node {
    const s = this.#s;
    const whole = s.slice(this.#i);
    this.#i++;
    let negated = false;
    if (s[this.#i] === "^") {
      negated = true;
      this.#i++;
    }
    let body = "";
    let first = true;
    while (this.#i >= s.length || s[this.#i] !== "]" || first) {
      first = false;
      const i = this.#i;
      if (s[i] === "[" && s[i + 1] === ":" && s.length - i > 2) {
        const close = s.indexOf(":]", i + 2);
        if (close >= 0) {
          let name = s.slice(i + 2, close);
          const neg = name.startsWith("^");
          if (neg) name = name.slice(1);
          const pairs = Object.hasOwn(POSIX_CLASSES, name) ? POSIX_CLASSES[name] : undefined;
          if (pairs === undefined) throw goError("invalid character class range", s.slice(i, close + 2));
          body += neg ? `[^${pairsSrc(pairs)}]` : pairsSrc(pairs);
          this.#i = close + 2;
          continue;
        }
      }
      if (s[i] === "\\") {
        const group = this.#parseGroupEscape();
        if (group !== null) {
          body += group;
          continue;
        }
      }
      const lo = this.#classChar(whole);
      let hi = lo;
      if (s[this.#i] === "-" && this.#i + 1 < s.length && s[this.#i + 1] !== "]") {
        this.#i++;
        hi = this.#classChar(whole);
        if (hi < lo) throw goError("invalid character class range", s.slice(i, this.#i));
      }
      body += rangeSrc(lo, hi);
    }
    this.#i++; // the closing ]
    return { t: "class", src: `[${negated ? "^" : ""}${body}]`, fold: (flags & FOLD) !== 0 };
  }

  #classChar(whole: string): number {
    const i = this.#i;
    if (i >= this.#s.length) throw goError("missing closing ]", whole);
    if (this.#s[i] === "\\") return this.#parseEscape();
    this.#i += this.#width(i);
    return this.#cp(i);
  }
}

function raw(src: string): Node {
  return { t: "raw", src, wordAssert: false };
}

function cat(items: Node[]): Node {
  return items.length === 1 ? items[0] : { t: "cat", subs: items };
}

/** Go's repeatIsValid: nested counted repetitions may not multiply beyond `n` copies. */
function repeatIsValid(node: Node, n: number): boolean {
  if (node.t === "rep" && node.counted) {
    let m = node.max;
    if (m === 0) return true;
    if (m < 0) m = node.min;
    if (m > n) return false;
    if (m > 0) n = Math.floor(n / m);
  }
  switch (node.t) {
    case "rep":
    case "group":
      return repeatIsValid(node.sub, n);
    case "cat":
    case "alt":
      return node.subs.every((sub) => repeatIsValid(sub, n));
    default:
      return true;
  }
}
