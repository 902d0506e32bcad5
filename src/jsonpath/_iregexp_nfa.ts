/**
 * The NFA of an I-Regexp (`_iregexp.ts`): Thompson's construction from the AST of `_iregexp_parse.ts` into a
 * flat program of typed arrays, built once per pattern. A counted repetition copies its operand, so the size is
 * bounded by the caller (a pattern from the document must not make us build millions of instructions); a loop
 * (`*`, `+`, `{n,}`) never copies, so nesting stays linear in the pattern.
 *
 * @module
 */

import type { Node } from "./_iregexp_parse.ts";

/**
 * The instructions: read a code point (`x`), read any but `\n`/`\r`, read one of class `x`; go on at both
 * `x` and `y`, go on at `x`, accept.
 */
export const [CHAR, ANY, CLASS, SPLIT, JMP, MATCH] = [0, 1, 2, 3, 4, 5] as const;

/** A character class: an answer table for ASCII, a sticky one-character JavaScript regex beyond. */
export interface CharClass {
  readonly ascii: Uint8Array;
  readonly re: RegExp;
}

/** Emits the NFA program of an AST (Thompson's construction). */
class Builder {
  readonly #max: number;
  readonly op: number[] = [];
  readonly x: number[] = [];
  readonly y: number[] = [];
  readonly classes: CharClass[] = [];
  readonly #classIndex = new Map<string, number>();

  constructor(max: number) {
    this.#max = max;
  }

  add(op: number, x: number, y: number): number {
    if (this.op.length >= this.#max) throw new RangeError("I-Regexp program too large");
    this.op.push(op);
    this.x.push(x);
    this.y.push(y);
    return this.op.length - 1;
  }

  emit(n: Node): void {
    switch (n.t) {
      case "char":
        this.add(CHAR, n.cp, 0);
        return;
      case "any":
        this.add(ANY, 0, 0);
        return;
      case "class":
        this.add(CLASS, this.#klass(n.source), 0);
        return;
      case "cat":
        for (const item of n.items) this.emit(item);
        return;
      case "alt": {
        const jumps: number[] = [];
        for (let i = 0; i < n.alts.length; i++) {
          if (i === n.alts.length - 1) {
            this.emit(n.alts[i]);
            break;
          }
          const split = this.add(SPLIT, this.op.length + 1, 0);
          this.emit(n.alts[i]);
          jumps.push(this.add(JMP, 0, 0));
          this.y[split] = this.op.length;
        }
        for (const j of jumps) this.x[j] = this.op.length;
        return;
      }
      case "rep":
        return this.#repeat(n.node, n.min, n.max);
    }
  }

  /** `min` copies, then either a loop (no upper bound) or `max - min` optional copies. */
  #repeat(node: Node, min: number, max: number): void {
    for (let i = 0; i < min - (max === Infinity && min > 0 ? 1 : 0); i++) this.emit(node);
    if (max === Infinity) {
      if (min > 0) { // the last required copy loops (one copy, not two: nesting stays linear)
        const top = this.op.length;
        this.emit(node);
        this.add(SPLIT, top, this.op.length + 1);
      } else {
        const split = this.add(SPLIT, this.op.length + 1, 0);
        this.emit(node);
        this.add(JMP, split, 0);
        this.y[split] = this.op.length;
      }
      return;
    }
    const splits: number[] = [];
    for (let i = min; i < max; i++) {
      splits.push(this.add(SPLIT, this.op.length + 1, 0));
      this.emit(node);
    }
    for (const s of splits) this.y[s] = this.op.length;
  }

  /** The index of a class (each distinct class compiled once per pattern). */
  #klass(source: string): number {
    let k = this.#classIndex.get(source);
    if (k === undefined) {
      const re = new RegExp(source, "uy");
      const ascii = new Uint8Array(128);
      for (let c = 0; c < 128; c++) {
        re.lastIndex = 0;
        ascii[c] = re.test(String.fromCharCode(c)) ? 1 : 0;
      }
      k = this.classes.push({ ascii, re }) - 1;
      this.#classIndex.set(source, k);
    }
    return k;
  }
}

/** A compiled NFA: instruction `i` is `op[i]` with operands `x[i]`, `y[i]`; it starts at 0 and ends with MATCH. */
export interface Program {
  readonly op: Uint8Array;
  readonly x: Int32Array;
  readonly y: Int32Array;
  readonly classes: readonly CharClass[];
}

/** Compiles an AST; throws a RangeError when the program would exceed `max` instructions. */
export function compileNfa(ast: Node, max: number): Program {
  const b = new Builder(max);
  b.emit(ast);
  b.add(MATCH, 0, 0);
  return { op: Uint8Array.from(b.op), x: Int32Array.from(b.x), y: Int32Array.from(b.y), classes: b.classes };
}
