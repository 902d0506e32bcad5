/**
 * String helpers for relabeling that must behave exactly like Go: `regexp.Expand` templates (`$1`,
 * `${name}`, `$$`; not the `match` rule templates of src/patterns, whose `$name` rules differ), Prometheus's
 * check of templated target labels, Go's per-rune case mapping (`strings.ToLower`/`ToUpper`), and the
 * `hashmod` value.
 *
 * @module
 */

import { createHash } from "node:crypto";

/**
 * A replacement template compiled against one regex: literal text and capture references. A reference
 * is a group index, or for a name used by several groups the list of their indices (Go takes the first
 * that participated in the match). References to groups that do not exist are dropped at compile time,
 * since Go expands them to "".
 */
export interface ExpandTemplate {
  /** The whole result when the template has no references (after `$$` and malformed `$` are resolved). */
  readonly constant: string | null;
  /** Literal strings and references, in order. */
  readonly parts: readonly (string | number | readonly number[])[];
}

const NAME_CHAR_REGEXP = /[\p{L}\p{Nd}_]/uy;

/**
 * Compiles a Go `regexp.Expand` template (a relabel `replacement` or templated `target_label`). Go's rules: `$$` is `$`; `$name` takes the longest run of
 * letters, digits and underscores (so `$1x` names group `1x`); `${name}` delimits; a name made only of
 * digits (no leading zero) is a group number; anything else after `$` leaves the `$` as text.
 *
 * @param template the template text, e.g. `${1}_total`
 * @param groupNames capture names by index, as returned by `compileGoRegexp`
 * @returns the compiled template
 */
export function compileExpandTemplate(template: string, groupNames: readonly string[]): ExpandTemplate {
  const parts: (string | number | readonly number[])[] = [];
  let lit = "";
  let i = 0;
  while (i < template.length) {
    const dollar = template.indexOf("$", i);
    if (dollar < 0) {
      lit += template.slice(i);
      break;
    }
    lit += template.slice(i, dollar);
    i = dollar + 1;
    if (template[i] === "$") {
      lit += "$";
      i++;
      continue;
    }
    const brace = template[i] === "{";
    let j = brace ? i + 1 : i;
    NAME_CHAR_REGEXP.lastIndex = j;
    while (j < template.length && NAME_CHAR_REGEXP.test(template)) j = NAME_CHAR_REGEXP.lastIndex;
    const name = template.slice(brace ? i + 1 : i, j);
    if (name === "" || (brace && template[j] !== "}")) {
      lit += "$"; // malformed: Go keeps the $ as text and goes on after it
      continue;
    }
    i = brace ? j + 1 : j;
    if (lit !== "") parts.push(lit);
    lit = "";
    const num = /^(?:0|[1-9][0-9]{0,7})$/.test(name) ? Number(name) : -1;
    if (num >= 0) {
      if (num < groupNames.length) parts.push(num);
      continue;
    }
    const indices: number[] = [];
    for (let g = 1; g < groupNames.length; g++) if (groupNames[g] === name) indices.push(g);
    if (indices.length === 1) parts.push(indices[0]);
    else if (indices.length > 1) parts.push(indices);
  }
  if (lit !== "") parts.push(lit);
  const constant = parts.every((p) => typeof p === "string") ? parts.join("") : null;
  return { constant, parts };
}

/**
 * Expands a compiled `regexp.Expand` template with one match.
 *
 * @param template the compiled template
 * @param match group texts by index (`undefined` for a group that did not participate)
 * @returns the expanded text
 */
export function expandTemplate(template: ExpandTemplate, match: ArrayLike<string | undefined>): string {
  if (template.constant !== null) return template.constant;
  let out = "";
  const parts = template.parts;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if (typeof p === "string") {
      out += p;
    } else if (typeof p === "number") {
      const g = match[p];
      if (g !== undefined) out += g;
    } else {
      for (let k = 0; k < p.length; k++) {
        const g = match[p[k]];
        if (g !== undefined) {
          out += g;
          break;
        }
      }
    }
  }
  return out;
}

function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

/**
 * Prometheus's check for a templated `target_label` (and `labelmap` replacement): the language of
 * `^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$`, checked in one linear pass (the regex itself would
 * backtrack badly in JavaScript). It means: not empty, not starting with a digit, only word characters
 * and `$` references, and every `$` followed by `\w+` or `{\w+}`.
 *
 * @param s the template
 * @returns whether Prometheus accepts it
 */
export function isValidTargetTemplate(s: string): boolean {
  if (s === "" || (s.charCodeAt(0) >= 48 && s.charCodeAt(0) <= 57)) return false;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (isWordChar(c)) {
      i++;
      continue;
    }
    if (c !== 36) return false; // $
    i++;
    const brace = s.charCodeAt(i) === 123;
    if (brace) i++;
    const start = i;
    while (i < s.length && isWordChar(s.charCodeAt(i))) i++;
    if (i === start) return false;
    if (brace) {
      if (s.charCodeAt(i) !== 125) return false;
      i++;
    }
  }
  return true;
}

const NON_ASCII_REGEXP = /[^\p{ASCII}]/u;

/**
 * Go's `strings.ToLower`: the simple per-code-point mapping. JavaScript's `toLowerCase` uses full
 * mappings and context (`İ` gives two code points, a final `Σ` gives `ς`); Go maps each rune alone.
 *
 * @param s the text
 * @returns the lower-cased text
 */
export function goToLower(s: string): string {
  if (!NON_ASCII_REGEXP.test(s)) return s.toLowerCase();
  let out = "";
  for (const ch of s) {
    const low = ch.toLowerCase();
    // Only U+0130 has a multi-code-point full lower mapping; its simple mapping is "i".
    out += low.length === ch.length || [...low].length === 1 ? low : ch === "\u0130" ? "i" : ch;
  }
  return out;
}

/**
 * Go's `strings.ToUpper`: the simple per-code-point mapping. Where JavaScript's full mapping gives
 * several code points (`ß` → `SS`, `ŉ` → `ʼN`), Go keeps the rune unless it has a simple mapping (the
 * Greek letters with ypogegrammeni map to their title-case forms).
 *
 * @param s the text
 * @returns the upper-cased text
 */
export function goToUpper(s: string): string {
  if (!NON_ASCII_REGEXP.test(s)) return s.toUpperCase();
  let out = "";
  for (const ch of s) {
    const up = ch.toUpperCase();
    if (up.length === ch.length || [...up].length === 1) {
      out += up;
      continue;
    }
    const c = ch.codePointAt(0)!;
    const low = c & 0xfff0;
    if ((low === 0x1f80 || low === 0x1f90 || low === 0x1fa0) && (c & 0xf) < 8) {
      out += String.fromCodePoint(c + 8);
    } else if (c === 0x1fb3 || c === 0x1fc3 || c === 0x1ff3) {
      out += String.fromCodePoint(c + 9);
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * Prometheus's `hashmod`: MD5 of the UTF-8 text, the last 8 bytes read as a big-endian unsigned 64-bit
 * integer, modulo `modulus`, in decimal.
 *
 * @param s the joined source values
 * @param modulus the modulus (> 0)
 * @returns the remainder as a decimal string
 */
export function hashMod(s: string, modulus: bigint): string {
  const sum = createHash("md5").update(s, "utf8").digest();
  return (sum.readBigUInt64BE(8) % modulus).toString();
}
