/**
 * The function extensions of RFC 9535 (`length`, `count`, `match`, `search`, `value`): their declared types,
 * checked by the parser at compile time, and the value-level parts of their evaluation; plus the comparison
 * rules of filters. `match` and `search` take I-Regexp patterns (RFC 9485), translated once into a JavaScript
 * `RegExp` with the `u` flag, where `.` matches any character but line feed and carriage return.
 *
 * @module
 */

import type { CmpOp, FunctionName, FunctionType } from "./_types.ts";

/** The parameter types and the result type of each function. */
export const SIGNATURES: Readonly<Record<FunctionName, { params: FunctionType[]; result: FunctionType }>> = {
  length: { params: ["value"], result: "value" },
  count: { params: ["nodes"], result: "value" },
  match: { params: ["value", "value"], result: "logical" },
  search: { params: ["value", "value"], result: "logical" },
  value: { params: ["nodes"], result: "value" },
};

/** Escapes allowed by I-Regexp after `\` (besides `p{..}` and `P{..}`). */
const SINGLE_ESCAPES = new Set("()*+-.?[\\]^nrt{|}");

/**
 * Translates an I-Regexp into a JavaScript regex: whole-string for `match`, anywhere for `search`. Null when
 * the pattern is not a valid I-Regexp (then the function gives false, as RFC 9535 says).
 */
export function iRegexp(pattern: string, whole: boolean): RegExp | null {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      const esc = pattern[++i];
      if (esc === "p" || esc === "P") {
        const end = pattern.indexOf("}", i);
        if (pattern[i + 1] !== "{" || end < 0) return null;
        out += "\\" + pattern.slice(i, end + 1);
        i = end;
      } else if (esc !== undefined && SINGLE_ESCAPES.has(esc)) {
        out += esc === "-" && !inClass ? "-" : "\\" + esc;
      } else {
        return null;
      }
    } else if (inClass) {
      if (ch === "]") inClass = false;
      out += ch;
    } else if (ch === ".") {
      out += "[^\\n\\r]";
    } else if (ch === "(" && pattern[i + 1] === "?") {
      return null;
    } else {
      if (ch === "[") {
        inClass = true;
        if (pattern[i + 1] === "^") out += pattern[i++];
      }
      out += ch;
    }
  }
  try {
    return new RegExp(whole ? `^(?:${out})$` : out, "u");
  } catch {
    return null;
  }
}

const cache = new Map<string, RegExp | null>();

/** `iRegexp` for a pattern read from the document: cached by pattern, so each is translated once. */
export function cachedRegexp(pattern: string, whole: boolean): RegExp | null {
  const key = (whole ? "m" : "s") + pattern;
  let re = cache.get(key);
  if (re === undefined) {
    if (cache.size >= 1000) cache.clear();
    re = iRegexp(pattern, whole);
    cache.set(key, re);
  }
  return re;
}

/** `length()`: code points of a string, elements of an array, members of an object; else Nothing. */
export function lengthOf(v: unknown): unknown {
  if (typeof v === "string") {
    let n = v.length;
    for (let i = 0; i < v.length - 1; i++) {
      // A surrogate pair is one code point.
      if ((v.charCodeAt(i) & 0xfc00) === 0xd800 && (v.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        n--;
        i++;
      }
    }
    return n;
  }
  if (Array.isArray(v)) return v.length;
  if (v !== null && typeof v === "object") return Object.keys(v).length;
  return undefined;
}

/**
 * A comparison by the rules of RFC 9535 (section 2.3.5.2.2). `undefined` is Nothing (an empty selection),
 * which equals only Nothing; `null` is the JSON value null.
 */
export function compare(op: CmpOp, a: unknown, b: unknown): boolean {
  switch (op) {
    case "==":
      return equal(a, b);
    case "!=":
      return !equal(a, b);
    case "<":
      return less(a, b);
    case ">":
      return less(b, a);
    case "<=":
      return less(a, b) || equal(a, b);
    case ">=":
      return less(b, a) || equal(a, b);
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equal(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

function less(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  if (typeof a === "string" && typeof b === "string") return codePointLess(a, b);
  return false;
}

/** String order by Unicode scalar values (UTF-16 code units order differently above U+FFFF). */
function codePointLess(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs === ys) return x < y;
    return ys; // a surrogate (a code point above U+FFFF) sorts after any other unit
  }
  return a.length < b.length;
}
