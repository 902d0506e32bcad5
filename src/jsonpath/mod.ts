/**
 * JSONPath (RFC 9535) for the JSON mapping, compiled once at config load into plain data: no `eval`, no
 * regex built per document, and the member name of every selected node is kept so it can become a label
 * value (`@key`).
 *
 * The whole RFC: the root `$` and the current node `@`; member names `.name` and `['any key']` /
 * `["any key"]`; indexes `[0]`, `[-1]`; slices `[1:3]`, `[::-1]`; wildcards `.*` / `[*]`; the descendant
 * segment `..name`, `..*`, `..[0]`; unions `['a','b']`; filters `[?@.state == 'FAILED']` with `==`, `!=`,
 * `<`, `<=`, `>`, `>=`, existence `[?@.error]`, `!`, `&&`, `||` and parentheses; and the function
 * extensions `length()`, `count()`, `match()`, `search()` (I-Regexp, RFC 9485) and `value()`, type-checked
 * at compile time. One extension: a member-name shorthand may contain `-` (`$.my-connector.ok`).
 *
 * Why our own rather than a library: `selectOne` on singular paths runs per node on the hot path, the
 * `missing` flag of {@linkcode Selection} has no equivalent in the libraries, and compile-once is a must
 * (see docs/DESIGN.md).
 *
 * @module
 */

import { PathParser } from "./_parse.ts";
import { select, selectValue } from "./_select.ts";
import type { CompiledPath, Selection } from "./_types.ts";

export type { CompiledPath, JsonNode, Selection } from "./_types.ts";

/**
 * Compiles a JSONPath (RFC 9535).
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
 * @throws {SyntaxError} Naming the position and what was expected, also for a badly typed function call.
 */
export function compileJsonPath(source: string): CompiledPath {
  return new PathParser(source).parseQuery(true);
}

/**
 * Selects the nodes of a path, in document order. `root` is the document (`$`), `current` the node `@`
 * refers to and `currentKey` its member name (the key of `@` itself when the path is just `@`).
 *
 * @example
 * ```ts
 * import { compileJsonPath, selectNodes } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const doc = { a: { name: "x", b: [{ name: "y" }] } };
 * const { nodes } = selectNodes(compileJsonPath("$..name"), doc, doc);
 * assert.deepEqual(nodes, [{ value: "x", key: "name" }, { value: "y", key: "name" }]);
 * ```
 */
export function selectNodes(path: CompiledPath, root: unknown, current: unknown, currentKey = ""): Selection {
  return select(path, root, current, currentKey);
}

/**
 * Reads a singular path (only names and indexes): the value, or `undefined` when missing (or when the path
 * is not singular). Faster than {@linkcode selectNodes}: no arrays are built.
 */
export function selectOne(path: CompiledPath, root: unknown, current: unknown): unknown {
  return selectValue(path, root, current);
}
