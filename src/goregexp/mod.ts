/**
 * Translates a Go (RE2) regular expression, as Prometheus writes them, into an equivalent JavaScript
 * `RegExp` (flag `v`). A real parser, not string substitution, so that every construct means what it
 * means in Go: `.` excludes only `\n`, `\s`/`\d`/`\w`/`\b` are ASCII, `(?i)`/`(?m)`/`(?s)`/`(?U)` apply from
 * where they appear to the end of their group, `(?P<name>…)` is a capture, `{` that is not a repeat is a
 * literal, and Go's syntax errors (backreferences, look-around, `\C`, repeats above 1000) are reported
 * with Go's wording.
 *
 * Named groups become plain JavaScript groups; their names are returned separately (Go allows names
 * JavaScript does not, such as `1x`, and duplicates). Case-insensitivity is emitted per atom with
 * the JavaScript modifier syntax `(?i:…)`, or as the whole-RegExp `i` flag when every atom is folded.
 *
 * @module
 */

import { cpSrc } from "./_classes.ts";
import { parseGoRegexp } from "./_parse.ts";
import type { Node } from "./_tree.ts";

/** A Go regular expression translated to JavaScript. */
export interface GoRegexp {
  /** The compiled JavaScript RegExp (flags `v`, plus `i` when the whole expression is case-folded). */
  readonly regexp: RegExp;
  /** Name of every capture group by index; index 0 (the whole match) and unnamed groups are `""`. */
  readonly groupNames: readonly string[];
}

/**
 * Compiles Go regular expression syntax (as used by Prometheus) into a JavaScript RegExp. The pattern is
 * taken as is: callers that want Prometheus's anchoring wrap it in `^(?:` … `)$` first.
 *
 * @param pattern the Go regular expression
 * @returns the RegExp and its group names
 * @throws {SyntaxError} with Go's error text, e.g. `missing closing ): "^(?:()$"`
 *
 * @example
 * ```ts
 * import { compileGoRegexp } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const { regexp, groupNames } = compileGoRegexp("^(?:(?i)(?P<x>ab)c)$");
 * assert.equal(regexp.exec("ABC")?.[1], "AB");
 * assert.deepEqual(groupNames, ["", "x"]);
 * ```
 */
export function compileGoRegexp(pattern: string): GoRegexp {
  const { tree, names } = parseGoRegexp(pattern);
  const global = allFolded(tree) === 1;
  const source = emit(tree, global);
  let regexp: RegExp;
  try {
    regexp = new RegExp(source, global ? "vi" : "v");
  } catch (err) {
    // Not expected for anything the parser accepted; report rather than crash.
    throw new SyntaxError(`not supported by this implementation: ${JSON.stringify(pattern)}`, { cause: err });
  }
  return { regexp, groupNames: names };
}

/** 1 when every case-sensitive atom is folded, 0 when none exist, -1 when some are not folded. */
function allFolded(node: Node): number {
  switch (node.t) {
    case "lit":
    case "class":
      return node.fold ? 1 : node.t === "lit" && !isCased(node.cp) ? 0 : -1;
    case "any":
    case "raw":
      return 0;
    case "rep":
    case "group":
      return allFolded(node.sub);
    case "cat":
    case "alt": {
      let result = 0;
      for (const sub of node.subs) {
        const r = allFolded(sub);
        if (r < 0) return -1;
        if (r > 0) result = 1;
      }
      return result;
    }
  }
}

const CASED_REGEXP = /\p{L}|\p{M}|\p{Nl}|\p{So}/v;

/** Whether case folding might change a code point's matches (over-approximates, which is harmless). */
function isCased(cp: number): boolean {
  return CASED_REGEXP.test(String.fromCodePoint(cp));
}

/** Renders the tree; `global` means the RegExp carries the `i` flag, so per-atom `(?i:…)` is not needed. */
function emit(node: Node, global: boolean): string {
  switch (node.t) {
    case "lit": {
      const src = cpSrc(node.cp);
      return node.fold && !global && isCased(node.cp) ? `(?i:${src})` : src;
    }
    case "class":
      return node.fold && !global ? `(?i:${node.src})` : node.src;
    case "any":
      return node.src;
    case "raw":
      // Go's \b is ASCII even under (?i); JavaScript's \b folds ſ and K into \w under the i flag.
      return node.wordAssert && global ? `(?-i:${node.src})` : node.src;
    case "group":
      return node.cap ? `(${emit(node.sub, global)})` : `(?:${emit(node.sub, global)})`;
    case "cat":
      return node.subs.map((sub) => emit(sub, global)).join("");
    case "alt":
      return node.subs.map((sub) => emit(sub, global)).join("|");
    case "rep": {
      const sub = node.sub;
      let src = emit(sub, global);
      if (!(sub.t === "lit" || sub.t === "class" || sub.t === "any" || sub.t === "group")) src = `(?:${src})`;
      const q = node.min === 0 && node.max === -1
        ? "*"
        : node.min === 1 && node.max === -1
        ? "+"
        : node.min === 0 && node.max === 1
        ? "?"
        : node.max === -1
        ? `{${node.min},}`
        : node.min === node.max
        ? `{${node.min}}`
        : `{${node.min},${node.max}}`;
      return src + q + (node.lazy ? "?" : "");
    }
  }
}
