/**
 * Character-class building blocks for the Go→JavaScript regexp translation: Go's ASCII Perl classes
 * (`\d \s \w`) and POSIX classes (`[:alpha:]`), Go's Unicode group names (`\pL`, `\p{Greek}`), and
 * code-point escaping that is valid in JavaScript's `v` mode both inside and outside a class.
 *
 * @module
 */

/** Whether a code point is `[0-9A-Za-z]` (Go's `isalnum`). */
export function isAsciiAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** The value of a hex digit, or -1. */
export function unhex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** JavaScript (`v` mode) source for one code point, safe both inside and outside a class. */
export function cpSrc(cp: number): string {
  return isAsciiAlnum(cp) ? String.fromCharCode(cp) : `\\u{${cp.toString(16)}}`;
}

/** JavaScript class source for the range `lo`-`hi`. */
export function rangeSrc(lo: number, hi: number): string {
  return lo === hi ? cpSrc(lo) : `${cpSrc(lo)}-${cpSrc(hi)}`;
}

/** Go's ASCII Perl classes `\d \s \w` (keyed d, s, w), as [lo, hi] pairs. */
export const PERL_CLASSES: Readonly<Record<string, readonly number[]>> = {
  d: [0x30, 0x39],
  s: [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20],
  w: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
};

/** Go's POSIX classes (`[:alpha:]`), as [lo, hi] pairs. */
export const POSIX_CLASSES: Readonly<Record<string, readonly number[]>> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: [0x30, 0x39],
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};

/** JavaScript class source for [lo, hi] pairs. */
export function pairsSrc(pairs: readonly number[]): string {
  let s = "";
  for (let i = 0; i < pairs.length; i += 2) s += rangeSrc(pairs[i], pairs[i + 1]);
  return s;
}

/** Go's Unicode general categories (Go's `C` lacks the unassigned `Cn` that JavaScript's `C` has). */
const GO_CATEGORIES = new Set(
  ("C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc Sk Sm So Z Zl Zp Zs")
    .split(" "),
);

/** Class-body source for a Unicode group name, or null when Go does not know the name. */
export function unicodeGroupSrc(name: string): string | null {
  if (name === "Any") return "\\p{Any}";
  if (name === "C") return "\\p{Cc}\\p{Cf}\\p{Co}\\p{Cs}";
  if (GO_CATEGORIES.has(name)) return `\\p{${name}}`;
  if (!/^[A-Za-z_]+$/.test(name)) return null;
  const src = `\\p{Script=${name}}`;
  try {
    new RegExp(src, "v");
  } catch {
    return null;
  }
  return src;
}
