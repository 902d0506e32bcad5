/**
 * A parser for Go's regexp syntax (regexp/syntax with Perl flags, as Prometheus compiles relabel regexes),
 * following Go's parser step by step so that the same patterns are accepted, with the same meaning and the
 * same error texts. It produces the tree of `_tree.ts`, which mod.ts renders as a JavaScript RegExp. The
 * pieces that need no parser state (escapes, counted repeats) are in `_escape.ts`.
 *
 * @module
 */

import { pairsSrc, POSIX_CLASSES, rangeSrc } from "./_classes.ts";
import { cpAt, goError, parseEscape, parseGroupEscape, parseRepeat, widthAt } from "./_escape.ts";
import { cat, type Node, raw, repeatIsValid } from "./_tree.ts";

const FOLD = 1; // (?i)
const MULTI = 2; // (?m): ^ and $ match at line boundaries
const DOTNL = 4; // (?s): . matches \n
const UNGREEDY = 8; // (?U)

/** Go's limit on a counted repetition and on nested repetition products. */
const MAX_REPEAT = 1000;
/** Go's limit on nesting depth. */
const MAX_DEPTH = 1000;

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
    return cpAt(this.#s, at);
  }

  #width(at: number): number {
    return widthAt(this.#s, at);
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
          const r = parseRepeat(s, start);
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

  /** At a backslash: a Unicode or Perl class escape as class-body source, or null (see `parseGroupEscape`). */
  #parseGroupEscape(): string | null {
    const r = parseGroupEscape(this.#s, this.#i);
    if (r === null) return null;
    this.#i = r[1];
    return r[0];
  }

  /** At a backslash: one escaped code point (see `parseEscape`). */
  #parseEscape(): number {
    const [cp, end] = parseEscape(this.#s, this.#i);
    this.#i = end;
    return cp;
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
