/**
 * A small, documented subset of JSONPath (RFC 9535) for the JSON mapping, compiled once at config load into
 * plain step arrays: no `eval`, no regex built per document, and the member name of every selected node is
 * kept so it can become a label value (`@key`).
 *
 * Supported: the root `$` and the current node `@`; member names `.name` (letters, digits, `_` and `-`) and
 * `['any key']` / `["any key"]` (for keys with dots, spaces or slashes); array indexes `[0]`, `[-1]`;
 * wildcards `.*` / `[*]` over array elements and object members; unions `['a','b']`; and filters
 * `[?@.state == 'FAILED']` with `==`, `!=`, `<`, `<=`, `>`, `>=`, existence `[?@.error]`, `!`, `&&`, `||`
 * and parentheses, comparing against strings, numbers, `true`, `false` and `null`. Not supported: the
 * descendant segment `..`, slices and function extensions.
 *
 * @module
 */

import { PathParser } from "./_parse.ts";
import type { CmpOp, CompiledPath, Filter, Operand, Selector } from "./_types.ts";

export type { CompiledPath } from "./_types.ts";

/** One node of a selection: the value and the member name (or array index) it was reached by. */
export interface JsonNode {
  /** The JSON value. */
  value: unknown;
  /** The member name or array index of the last step; `""` for the start node. */
  key: string;
}

/**
 * Compiles a JSONPath of the supported subset.
 *
 * @example
 * ```ts
 * import { compileJsonPath, selectNodes } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const p = compileJsonPath("$.tasks[?@.state == 'FAILED']");
 * const doc = { tasks: [{ state: "RUNNING" }, { state: "FAILED" }] };
 * assert.equal(selectNodes(p, doc, doc).nodes.length, 1);
 * ```
 *
 * @throws {SyntaxError} Naming the position and what was expected.
 */
export function compileJsonPath(source: string): CompiledPath {
  return new PathParser(source).parseQuery(true);
}

/** The nodes a path selects, and whether a member or index on the way was missing or null. */
export interface Selection {
  /** The selected nodes, in document order. */
  nodes: JsonNode[];
  /**
   * True when some step found nothing to select from: a missing or `null` member or index, or a wildcard or
   * filter over a scalar. An empty array or object is not missing.
   */
  missing: boolean;
}

/**
 * Selects the nodes of a path. `root` is the document (`$`), `current` the node `@` refers to.
 */
export function selectNodes(path: CompiledPath, root: unknown, current: unknown, currentKey = ""): Selection {
  let nodes: JsonNode[] = [{
    value: path.root === "$" ? root : current,
    key: path.root === "$" ? "" : currentKey,
  }];
  let missing = false;
  for (const segment of path.segments) {
    const next: JsonNode[] = [];
    for (const node of nodes) {
      for (const sel of segment) {
        if (!applySelector(sel, node.value, root, next)) missing = true;
      }
    }
    nodes = next;
    if (nodes.length === 0) break;
  }
  return { nodes, missing };
}

/**
 * Reads a singular path (only names and indexes): the value, or `undefined` when missing. Faster than
 * {@linkcode selectNodes}: no arrays are built.
 */
export function selectOne(path: CompiledPath, root: unknown, current: unknown): unknown {
  let v = path.root === "$" ? root : current;
  for (const segment of path.segments) {
    const sel = segment[0];
    if (v === null || typeof v !== "object") return undefined;
    if (sel.kind === "name") {
      if (Array.isArray(v) || !Object.hasOwn(v, sel.name)) return undefined;
      v = (v as Record<string, unknown>)[sel.name];
    } else if (sel.kind === "index") {
      if (!Array.isArray(v)) return undefined;
      const i = sel.index < 0 ? v.length + sel.index : sel.index;
      if (i < 0 || i >= v.length) return undefined;
      v = v[i];
    } else {
      return undefined;
    }
  }
  return v;
}

/** Appends what one selector selects from `value`; returns false when a name or index found nothing. */
function applySelector(sel: Selector, value: unknown, root: unknown, out: JsonNode[]): boolean {
  // Nothing to select in a scalar: for a wildcard or filter too, the array or object is missing.
  if (value === null || typeof value !== "object") return false;
  switch (sel.kind) {
    case "name": {
      if (Array.isArray(value) || !Object.hasOwn(value, sel.name)) return false;
      const v = (value as Record<string, unknown>)[sel.name];
      if (v === null) return false;
      out.push({ value: v, key: sel.name });
      return true;
    }
    case "index": {
      if (!Array.isArray(value)) return false;
      const i = sel.index < 0 ? value.length + sel.index : sel.index;
      if (i < 0 || i >= value.length || value[i] === null) return false;
      out.push({ value: value[i], key: String(i) });
      return true;
    }
    case "wildcard":
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) out.push({ value: value[i], key: String(i) });
      } else {
        for (const k of Object.keys(value)) {
          out.push({ value: (value as Record<string, unknown>)[k], key: k });
        }
      }
      return true;
    case "filter":
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (test(sel.filter, value[i], root)) out.push({ value: value[i], key: String(i) });
        }
      } else {
        for (const k of Object.keys(value)) {
          const v = (value as Record<string, unknown>)[k];
          if (test(sel.filter, v, root)) out.push({ value: v, key: k });
        }
      }
      return true;
  }
}

function test(f: Filter, current: unknown, root: unknown): boolean {
  switch (f.op) {
    case "exists":
      return selectNodes(f.path, root, current).nodes.length > 0;
    case "not":
      return !test(f.arg, current, root);
    case "and":
      return test(f.left, current, root) && test(f.right, current, root);
    case "or":
      return test(f.left, current, root) || test(f.right, current, root);
    case "cmp":
      return compare(f.cmp, operand(f.left, current, root), operand(f.right, current, root));
  }
}

/** `undefined` stands for "Nothing" (a missing member), which RFC 9535 compares equal only to Nothing. */
function operand(o: Operand, current: unknown, root: unknown): unknown {
  return "literal" in o ? o.literal : selectOne(o.path, root, current);
}

function compare(op: CmpOp, a: unknown, b: unknown): boolean {
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
  return JSON.stringify(a) === JSON.stringify(b);
}

function less(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  if (typeof a === "string" && typeof b === "string") return a < b;
  return false;
}
