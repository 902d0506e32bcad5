/**
 * The selection: walks a compiled path (`_types.ts`) over a parsed JSON document, on every scrape. Kept
 * allocation-light: one array per segment, no closures, no regex built per document (a `match`/`search`
 * pattern read from the document is compiled once and cached), and an explicit stack for `..` so that a
 * deeply nested document cannot overflow the call stack.
 *
 * @module
 */

import { compare, lengthOf } from "./_functions.ts";
import { cachedIRegexp } from "./_iregexp.ts";
import type {
  Argument,
  Comparable,
  CompiledPath,
  Filter,
  FunctionCall,
  JsonNode,
  Selection,
  Selector,
} from "./_types.ts";

type Obj = Record<string, unknown>;

/** The nodes of `path` from `root` (`$`) or `current` (`@`, reached by `currentKey`). */
export function select(path: CompiledPath, root: unknown, current: unknown, currentKey: string): Selection {
  let nodes: JsonNode[] = path.root === "$"
    ? [{ value: root, key: "" }]
    : [{ value: current, key: currentKey }];
  let missing = false;
  const segments = path.segments;
  for (let s = 0; s < segments.length; s++) {
    const { descendant, selectors } = segments[s];
    const next: JsonNode[] = [];
    for (let n = 0; n < nodes.length; n++) {
      const value = nodes[n].value;
      if (descendant) {
        if (!descend(selectors, value, root, next)) missing = true;
      } else {
        for (let i = 0; i < selectors.length; i++) {
          if (!apply(selectors[i], value, root, next)) missing = true;
        }
      }
    }
    nodes = next;
    if (nodes.length === 0) break;
  }
  return { nodes, missing };
}

/** The value of a singular path, or `undefined` (Nothing) when it is missing or the path is not singular. */
export function selectValue(path: CompiledPath, root: unknown, current: unknown): unknown {
  if (!path.singular) return undefined;
  let v = path.root === "$" ? root : current;
  const steps = path.steps;
  for (let i = 0; i < steps.length; i++) {
    if (v === null || typeof v !== "object") return undefined;
    const step = steps[i];
    if (typeof step === "string") {
      if (Array.isArray(v) || !Object.hasOwn(v, step)) return undefined;
      v = (v as Obj)[step];
    } else {
      if (!Array.isArray(v)) return undefined;
      const at = step < 0 ? v.length + step : step;
      if (at < 0 || at >= v.length) return undefined;
      v = v[at];
    }
  }
  return v;
}

/** `..`: the selectors applied to `value` and every descendant, in document order (preorder). */
function descend(selectors: readonly Selector[], value: unknown, root: unknown, out: JsonNode[]): boolean {
  if (value === null || typeof value !== "object") return false;
  const stack: object[] = [value];
  while (stack.length > 0) {
    const v = stack.pop()!;
    for (let i = 0; i < selectors.length; i++) apply(selectors[i], v, root, out);
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) {
        const c = v[i];
        if (c !== null && typeof c === "object") stack.push(c);
      }
    } else {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const c = (v as Obj)[keys[i]];
        if (c !== null && typeof c === "object") stack.push(c);
      }
    }
  }
  return true;
}

/** Appends what one selector selects from `value`; false when there was nothing to select from. */
function apply(sel: Selector, value: unknown, root: unknown, out: JsonNode[]): boolean {
  if (value === null || typeof value !== "object") return false;
  switch (sel.kind) {
    case "name": {
      if (Array.isArray(value) || !Object.hasOwn(value, sel.name)) return false;
      const v = (value as Obj)[sel.name];
      out.push({ value: v, key: sel.name });
      return v !== null;
    }
    case "index": {
      if (!Array.isArray(value)) return false;
      const i = sel.index < 0 ? value.length + sel.index : sel.index;
      if (i < 0 || i >= value.length) return false;
      out.push({ value: value[i], key: String(i) });
      return value[i] !== null;
    }
    case "slice":
      if (!Array.isArray(value)) return false;
      slice(sel, value, out);
      return true;
    case "wildcard":
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) out.push({ value: value[i], key: String(i) });
      } else {
        for (const k of Object.keys(value)) out.push({ value: (value as Obj)[k], key: k });
      }
      return true;
    case "filter":
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (test(sel.filter, value[i], root)) out.push({ value: value[i], key: String(i) });
        }
      } else {
        for (const k of Object.keys(value)) {
          const v = (value as Obj)[k];
          if (test(sel.filter, v, root)) out.push({ value: v, key: k });
        }
      }
      return true;
  }
}

/** The array slice `[start:end:step]` of RFC 9535 section 2.3.4.2. */
function slice(sel: Selector & { kind: "slice" }, a: unknown[], out: JsonNode[]): void {
  const { step } = sel;
  const len = a.length;
  const norm = (i: number) => (i >= 0 ? i : len + i);
  if (step > 0) {
    const lower = Math.min(Math.max(norm(sel.start ?? 0), 0), len);
    const upper = Math.min(Math.max(norm(sel.end ?? len), 0), len);
    for (let i = lower; i < upper; i += step) out.push({ value: a[i], key: String(i) });
  } else if (step < 0) {
    const upper = Math.min(Math.max(norm(sel.start ?? len - 1), -1), len - 1);
    const lower = Math.min(Math.max(norm(sel.end ?? -len - 1), -1), len - 1);
    for (let i = upper; lower < i; i += step) out.push({ value: a[i], key: String(i) });
  }
}

/**
 * Whether a filter holds for the node `current`. Its key is not passed: nothing in a filter reads the key of
 * `@`, and building it for every element would cost a string per element.
 */
function test(f: Filter, current: unknown, root: unknown): boolean {
  switch (f.op) {
    case "exists":
      return f.path.singular
        ? selectValue(f.path, root, current) !== undefined
        : select(f.path, root, current, "").nodes.length > 0;
    case "call":
      return call(f.call, current, root) === true;
    case "not":
      return !test(f.arg, current, root);
    case "and":
      return test(f.left, current, root) && test(f.right, current, root);
    case "or":
      return test(f.left, current, root) || test(f.right, current, root);
    case "cmp":
      return compare(f.cmp, valueOf(f.left, current, root), valueOf(f.right, current, root));
  }
}

/** The value of a comparable or value-typed argument; `undefined` is Nothing. */
function valueOf(c: Comparable | Argument, current: unknown, root: unknown): unknown {
  if ("literal" in c) return c.literal;
  if ("path" in c) return selectValue(c.path, root, current);
  if ("call" in c) return call(c.call, current, root);
  return test(c.filter, current, root);
}

function nodesOf(arg: Argument, current: unknown, root: unknown): JsonNode[] {
  return "path" in arg ? select(arg.path, root, current, "").nodes : [];
}

/** Evaluates a function call: a value (or `undefined`, Nothing) or, for `match`/`search`, a boolean. */
function call(c: FunctionCall, current: unknown, root: unknown): unknown {
  const args = c.args;
  switch (c.name) {
    case "length":
      return lengthOf(valueOf(args[0], current, root));
    case "count":
      return nodesOf(args[0], current, root).length;
    case "value": {
      const nodes = nodesOf(args[0], current, root);
      return nodes.length === 1 ? nodes[0].value : undefined;
    }
    case "match":
    case "search": {
      const s = valueOf(args[0], current, root);
      if (typeof s !== "string") return false;
      let re = c.regex;
      if (re === undefined) {
        const pattern = valueOf(args[1], current, root);
        re = typeof pattern === "string" ? cachedIRegexp(pattern) : null;
      }
      return re !== null && re.test(s, c.name === "match");
    }
  }
}
