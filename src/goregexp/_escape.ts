/**
 * The lexical pieces of Go's regexp syntax that read a fixed stretch of the pattern and need no parser
 * state: counted repeats (`{n,m}`), escapes of one code point (`\x{41}`, `\101`, `\n`, `\.`) and group
 * escapes (`\pL`, `\p{Greek}`, `\d`). Each follows the Go function it names, with Go's error texts, and
 * returns what it read with the index just after it; the parser in `_parse.ts` moves its cursor there.
 *
 * @module
 */

import { isAsciiAlnum, pairsSrc, PERL_CLASSES, unhex, unicodeGroupSrc } from "./_classes.ts";

/** Go's error text: code, then the offending fragment (Go quotes it with backquotes; we use JSON quotes). */
export function goError(code: string, expr: string): SyntaxError {
  return new SyntaxError(`${code}: ${JSON.stringify(expr)}`);
}

/** The code point at `at`, or -1 past the end. */
export function cpAt(s: string, at: number): number {
  return s.codePointAt(at) ?? -1;
}

/** The UTF-16 length of the code point at `at`. */
export function widthAt(s: string, at: number): number {
  return cpAt(s, at) > 0xffff ? 2 : 1;
}

/**
 * Go's parseRepeat at the `{` at `at`: `{n}`, `{n,}` or `{n,m}` as `[min, max, end]` (`max` -1 for no upper
 * bound), or null when the `{` is a literal. Values over 1e8 become -1.
 */
export function parseRepeat(s: string, at: number): [number, number, number] | null {
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

/**
 * At the backslash at `i`: `\p…`/`\P…` or a Perl class `\d \s \w \D \S \W`, as `[class-body source, end]`
 * (a negated group as a nested class), or null when the escape is something else.
 *
 * @throws {SyntaxError} For an unknown Unicode group name.
 */
export function parseGroupEscape(s: string, i: number): [string, number] | null {
  const c = s[i + 1];
  if (c === "p" || c === "P") {
    let negated = c === "P";
    let name: string;
    let end: number;
    if (s[i + 2] !== "{") {
      end = i + 2 + (i + 2 < s.length ? widthAt(s, i + 2) : 0);
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
    return [negated ? `[^${body}]` : body, end];
  }
  if (c === undefined || c.length !== 1 || !"dswDSW".includes(c)) return null;
  const body = pairsSrc(PERL_CLASSES[c.toLowerCase()]);
  return [c >= "a" ? body : `[^${body}]`, i + 2];
}

/**
 * Go's parseEscape at the backslash at `i`: one escaped code point (octal, hex, C escapes, escaped
 * punctuation), as `[code point, end]`.
 *
 * @throws {SyntaxError} For a trailing backslash, a backreference or an unknown escape.
 */
export function parseEscape(s: string, i: number): [number, number] {
  if (i + 1 >= s.length) throw goError("trailing backslash at end of expression", "");
  const c = cpAt(s, i + 1);
  let j = i + 1 + widthAt(s, i + 1);
  const fail = (): never => {
    throw goError("invalid escape sequence", s.slice(i, j));
  };
  const isOctal = (k: number): boolean => s[k] >= "0" && s[k] <= "7";
  if (c < 0x80 && !isAsciiAlnum(c)) return [c, j];
  if (c >= 0x31 && c <= 0x37 && !isOctal(j)) fail(); // \1..\7 alone would be a backreference
  if (c >= 0x30 && c <= 0x37) {
    let r = c - 0x30;
    for (let n = 1; n < 3 && isOctal(j); n++) r = r * 8 + (s.charCodeAt(j++) - 0x30);
    return [r, j];
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
  if (simple >= 0) return [simple, j];
  if (c !== 0x78 || j >= s.length) return fail();
  if (s[j] === "{") {
    j++;
    let r = 0;
    let n = 0;
    for (;;) {
      if (j >= s.length) return fail();
      const d = s.charCodeAt(j);
      j += widthAt(s, j);
      if (d === 0x7d) break;
      const v = unhex(d);
      if (v < 0) return fail();
      r = r * 16 + v;
      if (r > 0x10ffff) return fail();
      n++;
    }
    if (n === 0) return fail();
    return [r, j];
  }
  const x = unhex(s.charCodeAt(j));
  j += widthAt(s, j);
  const y = j < s.length ? unhex(s.charCodeAt(j)) : -1;
  if (j < s.length) j += widthAt(s, j);
  if (x < 0 || y < 0) return fail();
  return [x * 16 + y, j];
}
