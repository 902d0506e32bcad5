/**
 * The parse tree of a Go regexp, as the parser in `_parse.ts` builds it and mod.ts renders it: literals and
 * classes (with their case folding), raw JavaScript assertions, groups, concatenation, alternation and
 * repeats, plus Go's check that nested counted repeats stay within its limit.
 *
 * @module
 */

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

/** A raw JavaScript assertion (`^`, `$`, a look-around for `(?m)`). */
export function raw(src: string): Node {
  return { t: "raw", src, wordAssert: false };
}

/** The concatenation of `items`, or the one item itself. */
export function cat(items: Node[]): Node {
  return items.length === 1 ? items[0] : { t: "cat", subs: items };
}

/** Go's repeatIsValid: nested counted repetitions may not multiply beyond `n` copies. */
export function repeatIsValid(node: Node, n: number): boolean {
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
