/**
 * The JSONPath parser: a recursive descent over the path text (the grammar of RFC 9535) into the compiled form
 * of `_types.ts`, run once per path at config load. It also does the well-typedness checks of function
 * extensions (RFC 9535 section 2.4.3), so that a badly typed filter is a compile error, not a runtime surprise.
 * Kept apart from the selection in `_select.ts`, which runs on every document.
 *
 * @module
 */

import { SIGNATURES } from "./_functions.ts";
import { compileIRegexp } from "./_iregexp.ts";
import { Scanner } from "./_scan.ts";
import type {
  Argument,
  CmpOp,
  Comparable,
  CompiledPath,
  Filter,
  FunctionCall,
  FunctionName,
  FunctionType,
  Segment,
  Selector,
} from "./_types.ts";

const CMP_OPS: readonly CmpOp[] = ["==", "!=", "<=", ">=", "<", ">"];
const FUNCTION_REGEXP = /[a-z][a-z0-9_]*(?=\()/y;
const KEYWORDS = [["true", true], ["false", false], ["null", null]] as const;

/** What may stand on either side of a comparison, or alone as a function argument. */
type Primary = { literal: string | number | boolean | null } | { path: CompiledPath } | {
  call: FunctionCall;
};

/** A recursive-descent parser over the path text. */
export class PathParser extends Scanner {
  /** Parses a query starting at `$` or `@`; `top` when it must span the whole text. */
  parseQuery(top: boolean): CompiledPath {
    const start = this.pos;
    const c = this.src[this.pos];
    if (c !== "$" && c !== "@") this.fail(`expected "$" or "@"`);
    this.pos++;
    let end = this.pos;
    const segments: Segment[] = [];
    for (;;) {
      this.skipSpace();
      const ch = this.src[this.pos];
      if (ch === "." && this.src[this.pos + 1] === ".") {
        this.pos += 2;
        segments.push({ descendant: true, selectors: this.#afterDot(true) });
      } else if (ch === ".") {
        this.pos++;
        segments.push({ descendant: false, selectors: this.#afterDot(false) });
      } else if (ch === "[") {
        this.pos++;
        segments.push({ descendant: false, selectors: this.#selectors() });
      } else {
        this.pos = end;
        break;
      }
      end = this.pos;
    }
    if (top && this.pos < this.src.length) this.fail(`expected ".", "[" or the end`);
    const singular = segments.every((s) =>
      !s.descendant && s.selectors.length === 1 &&
      (s.selectors[0].kind === "name" || s.selectors[0].kind === "index")
    );
    const steps = singular
      ? segments.map((s) => {
        const sel = s.selectors[0];
        return sel.kind === "name" ? sel.name : (sel as { index: number }).index;
      })
      : [];
    return { source: this.src.slice(start, end), root: c as "$" | "@", segments, singular, steps };
  }

  /** After `.` or `..`: `*`, a member name, or (after `..` only) a bracketed selection. */
  #afterDot(descendant: boolean): Selector[] {
    const ch = this.src[this.pos];
    if (ch === "*") {
      this.pos++;
      return [{ kind: "wildcard" }];
    }
    if (ch === "[" && descendant) {
      this.pos++;
      return this.#selectors();
    }
    return [{ kind: "name", name: this.name() }];
  }

  #selectors(): Selector[] {
    const out: Selector[] = [];
    for (;;) {
      this.skipSpace();
      out.push(this.#selector());
      this.skipSpace();
      const ch = this.src[this.pos++];
      if (ch === "]") return out;
      if (ch !== ",") {
        this.pos--;
        this.fail(`expected "," or "]"`);
      }
    }
  }

  #selector(): Selector {
    const ch = this.src[this.pos];
    if (ch === "*") {
      this.pos++;
      return { kind: "wildcard" };
    }
    if (ch === "'" || ch === '"') return { kind: "name", name: this.string() };
    if (ch === "?") {
      this.pos++;
      return { kind: "filter", filter: this.#or() };
    }
    const at = this.pos;
    const start = this.int();
    const afterInt = this.pos;
    this.skipSpace();
    if (this.src[this.pos] === ":") {
      this.pos++;
      this.skipSpace();
      const end = this.int();
      let step: number | null = null;
      this.skipSpace();
      if (this.src[this.pos] === ":") {
        this.pos++;
        this.skipSpace();
        step = this.int();
      }
      return { kind: "slice", start, end, step: step ?? 1 };
    }
    this.pos = afterInt;
    if (start === null) this.fail(`expected a quoted name, an index, "*" or "?"`, at);
    return { kind: "index", index: start };
  }

  #or(): Filter {
    let left = this.#and();
    while (this.eat("||")) left = { op: "or", left, right: this.#and() };
    return left;
  }

  #and(): Filter {
    let left = this.#basic();
    while (this.eat("&&")) left = { op: "and", left, right: this.#basic() };
    return left;
  }

  /** A parenthesized expression, a test (query or function) or a comparison, with an optional `!`. */
  #basic(): Filter {
    this.skipSpace();
    const not = this.src[this.pos] === "!";
    if (not) {
      this.pos++;
      this.skipSpace();
    }
    if (this.src[this.pos] === "(") {
      this.pos++;
      const inner = this.#or();
      if (!this.eat(")")) this.fail(`expected ")"`);
      return not ? { op: "not", arg: inner } : inner;
    }
    const left = this.#primary();
    const afterLeft = this.pos;
    this.skipSpace();
    const op = CMP_OPS.find((o) => this.src.startsWith(o, this.pos));
    if (op === undefined || not) {
      this.pos = afterLeft;
      const test = this.#test(left);
      return not ? { op: "not", arg: test } : test;
    }
    this.pos += op.length;
    this.skipSpace();
    const right = this.#primary();
    return { op: "cmp", cmp: op, left: this.#comparable(left), right: this.#comparable(right) };
  }

  /** A query or a function of logical or nodes type, standing alone as a test. */
  #test(p: Primary): Filter {
    if ("path" in p) return { op: "exists", path: p.path };
    if ("call" in p) {
      if (SIGNATURES[p.call.name].result === "value") {
        this.fail(`the value of ${p.call.name}() must be compared, it is not true or false`);
      }
      return { op: "call", call: p.call };
    }
    return this.fail(`expected a comparison operator`);
  }

  #comparable(p: Primary): Comparable {
    if ("path" in p && !p.path.singular) {
      this.fail(`a comparison needs a path to one value: "${p.path.source}"`);
    }
    if ("call" in p && SIGNATURES[p.call.name].result !== "value") {
      this.fail(`the result of ${p.call.name}() cannot be compared`);
    }
    return p;
  }

  #primary(): Primary {
    this.skipSpace();
    const ch = this.src[this.pos];
    if (ch === "@" || ch === "$") return { path: this.parseQuery(false) };
    if (ch === "'" || ch === '"') return { literal: this.string() };
    FUNCTION_REGEXP.lastIndex = this.pos;
    const fn = FUNCTION_REGEXP.exec(this.src);
    if (fn !== null) return { call: this.#call(fn[0]) };
    for (const [word, value] of KEYWORDS) {
      if (this.src.startsWith(word, this.pos)) {
        this.pos += word.length;
        return { literal: value };
      }
    }
    const n = this.number();
    if (n !== null) return { literal: n };
    return this.fail(`expected "@", "$", a string, a number, true, false or null`);
  }

  #call(name: string): FunctionCall {
    if (!Object.hasOwn(SIGNATURES, name)) this.fail(`unknown function "${name}"`);
    const fname = name as FunctionName;
    const sig = SIGNATURES[fname];
    this.pos += name.length + 1;
    const args: Argument[] = [];
    if (!this.eat(")")) {
      for (;;) {
        const at = this.pos;
        const arg = this.#argument();
        const param = sig.params[args.length];
        if (param === undefined) this.fail(`${name}() takes ${sig.params.length} argument(s)`, at);
        args.push(this.#typed(arg, param, name, at));
        if (this.eat(",")) continue;
        if (this.eat(")")) break;
        this.fail(`expected "," or ")"`);
      }
    }
    if (args.length !== sig.params.length) this.fail(`${name}() takes ${sig.params.length} argument(s)`);
    const pattern = args[1];
    if ((fname === "match" || fname === "search") && "literal" in pattern) {
      const re = typeof pattern.literal === "string" ? compileIRegexp(pattern.literal) : null;
      return { name: fname, args, regex: re };
    }
    return { name: fname, args };
  }

  /** An argument: a literal, query or function alone, or else a logical expression. */
  #argument(): Argument {
    this.skipSpace();
    const start = this.pos;
    const ch = this.src[this.pos];
    if (ch !== "!" && ch !== "(") {
      const p = this.#primary();
      this.skipSpace();
      const next = this.src[this.pos];
      if (next === "," || next === ")") return p;
      this.pos = start;
    }
    return { filter: this.#or() };
  }

  /** Checks an argument against its parameter type (RFC 9535 section 2.4.3). */
  #typed(arg: Argument, param: FunctionType, name: string, at: number): Argument {
    const bad = (what: string): never => this.fail(`${name}() cannot take ${what} here`, at);
    const result = "call" in arg ? SIGNATURES[arg.call.name].result : null;
    switch (param) {
      case "value":
        if ("filter" in arg) bad("a logical expression");
        if ("path" in arg && !arg.path.singular) bad(`"${arg.path.source}", which may select several values`);
        if (result !== null && result !== "value") bad(`${(arg as { call: FunctionCall }).call.name}()`);
        return arg;
      case "nodes":
        if (!("path" in arg) && result !== "nodes") bad("anything but a query");
        return arg;
      case "logical":
        if ("literal" in arg || result === "value") bad("a value");
        return "path" in arg ? { filter: { op: "exists", path: arg.path } } : arg;
    }
  }
}
