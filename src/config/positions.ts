/**
 * Problems found in a config file, and how they are shown: `FILE:LINE: key.path: what is wrong`. Key paths
 * are found in the YAML node tree (`yaml`'s `parseDocument` with a `LineCounter`), so a problem points at the
 * line of the value, or of the key for an unknown key, or of the nearest enclosing map for a missing key.
 *
 * @module
 */

import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from "yaml";
import { closestName } from "../cli/mod.ts";

/** A key path: map keys and list indexes, from the top of the file. */
export type KeyPath = readonly (string | number)[];

/** One problem in a config file. */
export interface Problem {
  /** Where. */
  path: KeyPath;
  /** What is wrong (sentence case, no final period). */
  message: string;
  /** Point at the key rather than its value (unknown keys). */
  atKey?: boolean;
}

const PLAIN_KEY_REGEXP = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/**
 * Formats a key path as users write it: `targets[0].rules[2].match`, with `["..."]` for other keys.
 *
 * @example
 * ```ts
 * import { formatKeyPath } from "./positions.ts";
 * import assert from "node:assert/strict";
 * assert.equal(formatKeyPath(["targets", 0, "labels", "a b"]), 'targets[0].labels["a b"]');
 * ```
 */
export function formatKeyPath(path: KeyPath): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (PLAIN_KEY_REGEXP.test(seg)) out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/**
 * Parses a relative path such as `[2].regex` or `.source_labels[0]` (the relabel validator's) into segments.
 */
export function parseKeyPath(text: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]|\.?([^.[\]]+)/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[1] !== undefined) out.push(Number(m[1]));
    else if (m[2] !== undefined) out.push(JSON.parse(`"${m[2]}"`));
    else out.push(m[3]);
  }
  return out;
}

/**
 * The message for an unknown key: the closest allowed key when it is a likely typo, else the allowed keys.
 *
 * @example
 * ```ts
 * import { unknownKeyMessage } from "./positions.ts";
 * import assert from "node:assert/strict";
 * assert.equal(unknownKeyMessage("lables", ["name", "labels"]), 'unknown key (did you mean "labels"?)');
 * assert.equal(unknownKeyMessage("colour", ["name", "labels"]), "unknown key: expected one of name, labels");
 * ```
 */
export function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  if (allowed.length === 0) return "unknown key";
  const guess = closestName(key, allowed);
  if (guess !== undefined) return `unknown key (did you mean "${guess}"?)`;
  return `unknown key: expected one of ${allowed.join(", ")}`;
}

/** Finds the 1-based line of a key path in a parsed document: the deepest node on the path that exists. */
export function lineOf(doc: Document, lc: LineCounter, path: KeyPath, atKey = false): number {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) =>
        isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg)
      );
      if (pair === undefined) break;
      const key = pair.key as Node;
      const value = pair.value as Node | null;
      if (last && atKey) {
        offset = key.range?.[0] ?? offset;
        break;
      }
      offset = value?.range?.[0] ?? key.range?.[0] ?? offset;
      if (value === null) break;
      node = value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg] as Node | undefined;
      if (item === undefined) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return lc.linePos(offset).line;
}

/** Formats problems as `FILE:LINE: key.path: message`, sorted by line (stable for one line). */
export function formatProblems(
  problems: readonly Problem[],
  file: string,
  doc: Document,
  lc: LineCounter,
): string[] {
  const rows = problems.map((p, i) => ({ i, line: lineOf(doc, lc, p.path, p.atKey), p }));
  rows.sort((a, b) => a.line - b.line || a.i - b.i);
  return rows.map(({ line, p }) => {
    const where = formatKeyPath(p.path);
    return where === "" ? `${file}:${line}: ${p.message}` : `${file}:${line}: ${where}: ${p.message}`;
  });
}
