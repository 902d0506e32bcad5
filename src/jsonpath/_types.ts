/**
 * The compiled form of a JSONPath: what the parser (`_parse.ts`) builds and the evaluation (mod.ts) walks.
 *
 * @module
 */

/** A literal in a filter comparison. */
export type Literal = string | number | boolean | null;

/** A compiled filter expression. */
export type Filter =
  | { op: "exists"; path: CompiledPath }
  | { op: "not"; arg: Filter }
  | { op: "and" | "or"; left: Filter; right: Filter }
  | { op: "cmp"; cmp: CmpOp; left: Operand; right: Operand };

/** A comparison operator of a filter. */
export type CmpOp = "==" | "!=" | "<" | "<=" | ">" | ">=";
/** One side of a filter comparison: a path or a literal. */
export type Operand = { path: CompiledPath } | { literal: Literal };

/** One selector inside brackets, or the only selector of a dot segment. */
export type Selector =
  | { kind: "name"; name: string }
  | { kind: "index"; index: number }
  | { kind: "wildcard" }
  | { kind: "filter"; filter: Filter };

/** A compiled JSONPath. */
export interface CompiledPath {
  /** The text it was compiled from, for messages and HELP. */
  readonly source: string;
  /** `$` (document root) or `@` (current node). */
  readonly root: "$" | "@";
  /** Segments; each is one or more selectors whose results are concatenated. */
  readonly segments: readonly (readonly Selector[])[];
  /** True when every segment is a single name or index, so the path selects at most one node. */
  readonly singular: boolean;
}
