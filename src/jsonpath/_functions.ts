/**
 * The function extensions of RFC 9535 (`length`, `count`, `match`, `search`, `value`): their declared types,
 * checked by the parser at compile time, and the value-level parts of their evaluation; plus the comparison
 * rules of filters. `match` and `search` take I-Regexp patterns (RFC 9485), run by our linear-time matcher
 * (`_iregexp.ts`).
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
