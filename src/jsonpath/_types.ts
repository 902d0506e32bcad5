/**
 * The compiled form of a JSONPath: what the parser (`_parse.ts`) builds once at config load and the selection
 * (`_select.ts`) walks on every document. Plain data: no closures, no regex built per document.
 *
 * @module
 */

import type { IRegexp } from "./_iregexp.ts";

/** A literal in a filter: a JSON scalar. */
export type Literal = string | number | boolean | null;

/** The names of the function extensions of RFC 9535 (section 2.4). */
export type FunctionName = "length" | "count" | "match" | "search" | "value";

/** The declared type of a function result or parameter (RFC 9535 section 2.4.1). */
export type FunctionType = "value" | "logical" | "nodes";

/** A compiled filter expression (a logical expression of RFC 9535). */
export type Filter =
  | { op: "exists"; path: CompiledPath }
  | { op: "call"; call: FunctionCall }
  | { op: "not"; arg: Filter }
  | { op: "and" | "or"; left: Filter; right: Filter }
  | { op: "cmp"; cmp: CmpOp; left: Comparable; right: Comparable };

/** A comparison operator of a filter. */
export type CmpOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** One side of a comparison: a literal, a singular path or a function of value type. */
export type Comparable = { literal: Literal } | { path: CompiledPath } | { call: FunctionCall };

/** One argument of a function call, already checked against the parameter type. */
export type Argument =
  | { literal: Literal }
  | { path: CompiledPath }
  | { call: FunctionCall }
  | { filter: Filter };

/** A call of a function extension. */
export interface FunctionCall {
  readonly name: FunctionName;
  readonly args: readonly Argument[];
  /** For `match` and `search` with a literal pattern: the I-Regexp, compiled at load (null: invalid). */
  readonly regex?: IRegexp | null;
}

/** One selector inside brackets, or the only selector of a dot segment. */
export type Selector =
  | { kind: "name"; name: string }
  | { kind: "index"; index: number }
  | { kind: "slice"; start: number | null; end: number | null; step: number }
  | { kind: "wildcard" }
  | { kind: "filter"; filter: Filter };

/** A segment: its selectors, applied to the input nodes (child) or to them and all their descendants. */
export interface Segment {
  /** True for `..` (the descendant segment). */
  readonly descendant: boolean;
  /** The selectors, whose results are concatenated. */
  readonly selectors: readonly Selector[];
}

/** A compiled JSONPath. */
export interface CompiledPath {
  /** The text it was compiled from, for messages and HELP. */
  readonly source: string;
  /** `$` (document root) or `@` (current node). */
  readonly root: "$" | "@";
  /** The segments, in order. */
  readonly segments: readonly Segment[];
  /** True when every segment is a child segment of one name or index, so the path selects at most one node. */
  readonly singular: boolean;
  /** For a singular path: its steps, a member name (string) or an index (number) each; empty otherwise. */
  readonly steps: readonly (string | number)[];
}

/** One node of a selection: the value and the member name (or array index) it was reached by. */
export interface JsonNode {
  /** The JSON value. */
  value: unknown;
  /** The member name or array index of the last step (the last element of its normalized path); `""` for `$`. */
  key: string;
}

/** The nodes a path selects, and whether a member or index on the way was missing or null. */
export interface Selection {
  /** The selected nodes, in document order. */
  nodes: JsonNode[];
  /**
   * True when some step found nothing to select from: a missing or `null` member or index, or a wildcard,
   * slice, filter or descendant segment over a scalar (or `null`). An empty array or object is not missing.
   * A `null` member is still selected (as RFC 9535 says), and flagged here.
   */
  missing: boolean;
}
