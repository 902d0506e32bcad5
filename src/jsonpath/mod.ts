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

/** One node of a selection: the value and the member name (or array index) it was reached by. */
export interface JsonNode {
  /** The JSON value. */
  value: unknown;
  /** The member name or array index of the last step; `""` for the start node. */
  key: string;
}

type Literal = string | number | boolean | null;

/** A compiled filter expression. */
type Filter =
  | { op: "exists"; path: CompiledPath }
  | { op: "not"; arg: Filter }
  | { op: "and" | "or"; left: Filter; right: Filter }
  | { op: "cmp"; cmp: CmpOp; left: Operand; right: Operand };

type CmpOp = "==" | "!=" | "<" | "<=" | ">" | ">=";
type Operand = { path: CompiledPath } | { literal: Literal };

/** One selector inside brackets, or the only selector of a dot segment. */
type Selector =
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

const NAME_FIRST_REGEXP = /[A-Za-z_\u0080-\uffff]/;
const NAME_CHAR_REGEXP = /[A-Za-z0-9_\-\u0080-\uffff]/;
const NUMBER_REGEXP = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/;

/** A recursive-descent parser over the path text. */
class PathParser {
  #src: string;
  #pos = 0;

  constructor(src: string) {
    this.#src = src;
  }

  parseQuery(top: boolean): CompiledPath {
    const start = this.#pos;
    const c = this.#src[this.#pos];
    if (c !== "$" && c !== "@") this.#fail(`expected "$" or "@"`);
    this.#pos++;
    let end = this.#pos;
    const segments: Selector[][] = [];
    for (;;) {
      const ch = this.#src[this.#pos];
      if (ch === ".") {
        this.#pos++;
        if (this.#src[this.#pos] === ".") this.#fail(`the descendant segment ".." is not supported`);
        if (this.#src[this.#pos] === "*") {
          this.#pos++;
          segments.push([{ kind: "wildcard" }]);
        } else {
          segments.push([{ kind: "name", name: this.#name() }]);
        }
      } else if (ch === "[") {
        this.#pos++;
        segments.push(this.#selectors());
      } else {
        break;
      }
      end = this.#pos;
      if (!top) this.#skipSpace();
    }
    if (top && this.#pos < this.#src.length) this.#fail(`expected ".", "[" or the end`);
    const singular = segments.every((s) => s.length === 1 && (s[0].kind === "name" || s[0].kind === "index"));
    return { source: this.#src.slice(start, end), root: c as "$" | "@", segments, singular };
  }

  #name(): string {
    const start = this.#pos;
    if (!NAME_FIRST_REGEXP.test(this.#src[this.#pos] ?? "")) {
      this.#fail(`expected a member name (use ['...'] for other keys)`);
    }
    while (this.#pos < this.#src.length && NAME_CHAR_REGEXP.test(this.#src[this.#pos])) this.#pos++;
    return this.#src.slice(start, this.#pos);
  }

  #selectors(): Selector[] {
    const out: Selector[] = [];
    for (;;) {
      this.#skipSpace();
      out.push(this.#selector());
      this.#skipSpace();
      const ch = this.#src[this.#pos];
      this.#pos++;
      if (ch === "]") return out;
      if (ch !== ",") {
        this.#pos--;
        this.#fail(`expected "," or "]"`);
      }
    }
  }

  #selector(): Selector {
    const ch = this.#src[this.#pos];
    if (ch === "*") {
      this.#pos++;
      return { kind: "wildcard" };
    }
    if (ch === "'" || ch === '"') return { kind: "name", name: this.#string() };
    if (ch === "?") {
      this.#pos++;
      return { kind: "filter", filter: this.#or() };
    }
    const m = /^-?[0-9]+/.exec(this.#src.slice(this.#pos));
    if (m) {
      if (this.#src[this.#pos + m[0].length] === ":") this.#fail(`array slices are not supported`);
      this.#pos += m[0].length;
      return { kind: "index", index: Number(m[0]) };
    }
    return this.#fail(`expected a quoted name, an index, "*" or "?"`);
  }

  #string(): string {
    const quoteChar = this.#src[this.#pos++];
    let out = "";
    while (this.#pos < this.#src.length) {
      const ch = this.#src[this.#pos++];
      if (ch === quoteChar) return out;
      if (ch !== "\\") {
        out += ch;
        continue;
      }
      const esc = this.#src[this.#pos++];
      if (esc === "u") {
        const hex = this.#src.slice(this.#pos, this.#pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.#fail(`invalid \\u escape`);
        out += String.fromCharCode(parseInt(hex, 16));
        this.#pos += 4;
      } else {
        const simple: Record<string, string> = {
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
          "/": "/",
          "\\": "\\",
        };
        if (esc === "'" || esc === '"') out += esc;
        else if (esc !== undefined && esc in simple) out += simple[esc];
        else this.#fail(`invalid escape "\\${esc ?? ""}"`);
      }
    }
    return this.#fail(`unterminated string`);
  }

  #or(): Filter {
    let left = this.#and();
    while (this.#eat("||")) left = { op: "or", left, right: this.#and() };
    return left;
  }

  #and(): Filter {
    let left = this.#unary();
    while (this.#eat("&&")) left = { op: "and", left, right: this.#unary() };
    return left;
  }

  #unary(): Filter {
    this.#skipSpace();
    if (this.#src[this.#pos] === "!" && this.#src[this.#pos + 1] !== "=") {
      this.#pos++;
      return { op: "not", arg: this.#unary() };
    }
    if (this.#src[this.#pos] === "(") {
      this.#pos++;
      const inner = this.#or();
      if (!this.#eat(")")) this.#fail(`expected ")"`);
      return inner;
    }
    const left = this.#operand();
    this.#skipSpace();
    const op = (["==", "!=", "<=", ">=", "<", ">"] as const).find((o) => this.#src.startsWith(o, this.#pos));
    if (op === undefined) {
      if ("literal" in left) this.#fail(`expected a comparison operator`);
      return { op: "exists", path: (left as { path: CompiledPath }).path };
    }
    this.#pos += op.length;
    this.#skipSpace();
    const right = this.#operand();
    for (const o of [left, right]) {
      if ("path" in o && !o.path.singular) {
        this.#fail(`a comparison needs a path to one value: "${o.path.source}"`);
      }
    }
    return { op: "cmp", cmp: op, left, right };
  }

  #operand(): Operand {
    this.#skipSpace();
    const ch = this.#src[this.#pos];
    if (ch === "@" || ch === "$") {
      const path = this.parseQuery(false);
      return { path };
    }
    if (ch === "'" || ch === '"') return { literal: this.#string() };
    for (const [word, value] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.#src.startsWith(word, this.#pos)) {
        this.#pos += word.length;
        return { literal: value };
      }
    }
    const m = NUMBER_REGEXP.exec(this.#src.slice(this.#pos));
    if (m) {
      this.#pos += m[0].length;
      return { literal: Number(m[0]) };
    }
    return this.#fail(`expected "@", "$", a string, a number, true, false or null`);
  }

  #eat(token: string): boolean {
    this.#skipSpace();
    if (!this.#src.startsWith(token, this.#pos)) return false;
    this.#pos += token.length;
    return true;
  }

  #skipSpace(): void {
    while (this.#src[this.#pos] === " " || this.#src[this.#pos] === "\t") this.#pos++;
  }

  #fail(what: string): never {
    throw new SyntaxError(`at character ${this.#pos + 1}: ${what}`);
  }
}
