/**
 * The JSONPath parser: a recursive descent over the path text into the compiled form of `_types.ts`, run once
 * per path at config load. Kept apart from the evaluation in mod.ts, which runs on every document.
 *
 * @module
 */

import type { CompiledPath, Filter, Operand, Selector } from "./_types.ts";

const NAME_FIRST_REGEXP = /[A-Za-z_\u0080-\uffff]/;
const NAME_CHAR_REGEXP = /[A-Za-z0-9_\-\u0080-\uffff]/;
const NUMBER_REGEXP = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?/;

/** A recursive-descent parser over the path text. */
export class PathParser {
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
