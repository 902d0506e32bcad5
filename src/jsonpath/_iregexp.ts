/**
 * I-Regexp (RFC 9485), the regexes of the JSONPath functions `match` and `search`, matched in linear time by
 * our own engine: a pattern is parsed into a small AST (`_iregexp_parse.ts`), compiled once into a Thompson NFA
 * (`_iregexp_nfa.ts`), and run over the subject's code points as a set of NFA states, never backtracking: at
 * most subject length × program size. The sets met are memoized as a small lazy DFA (a table lookup per ASCII
 * character), so typical patterns run within 1.5-2× of V8's `RegExp`. Why not `RegExp`: V8 backtracks,
 * synchronously, and a pattern may come from the document (`match(@.s, $.pattern)`), so `(a+)+` on 40 upstream
 * characters would freeze the process beyond any scrape deadline. Literal patterns (from the config) use the
 * same engine: an operator's pattern cannot stall on upstream strings either, and there is one semantics.
 *
 * `^` and `$` are ordinary characters but at the very start and end of a pattern (see `parseIRegexp`), `.` is
 * any character but `\n` and `\r`, `match` is a whole-string match and `search` a match anywhere. What a
 * pattern can make us build is bounded (`MAX_PATTERN`, `MAX_REPEAT`, `MAX_PROGRAM`, and the cache below):
 * beyond, the pattern is refused, and RFC 9535 treats a refused pattern as not matching.
 *
 * @module
 */

import { ANY, CHAR, type CharClass, compileNfa, JMP, MATCH, SPLIT } from "./_iregexp_nfa.ts";
import { type Parsed, parseIRegexp } from "./_iregexp_parse.ts";

/** The longest pattern accepted, in UTF-16 code units. */
export const MAX_PATTERN = 1_000;
/** The largest bound of a counted repetition (`{n}`, `{n,}`, `{n,m}`). */
export const MAX_REPEAT = 1_000;
/** The most NFA instructions a pattern may compile to (counted repetitions copy their operand). */
export const MAX_PROGRAM = 10_000;

/** A DFA state, built lazily: a set of NFA states, whether it accepts, its transitions on ASCII (-1: unknown). */
interface DState {
  readonly pcs: Int32Array;
  readonly matched: boolean;
  readonly next: Int32Array;
}

/** The lazily built DFA of one mode (anchored at the start, or a match starting anywhere). */
interface Dfa {
  readonly startPc: number;
  readonly reseed: boolean;
  states: DState[];
  readonly index: Map<string, number>;
}

/** A bound on the DFA states kept per mode; beyond, the cache restarts (each step stays O(program size)). */
const MAX_DFA_STATES = 64;

/**
 * A compiled I-Regexp. Matching simulates the NFA (a set of states per character), memoizing each set and its
 * transitions on ASCII characters as a DFA state, so a typical subject costs one table lookup per character.
 * Reusable, not reentrant (its scratch arrays are kept between runs to save allocation).
 */
export class IRegexp {
  readonly #op: Uint8Array;
  readonly #x: Int32Array;
  readonly #y: Int32Array;
  readonly #classes: readonly CharClass[];
  /** What the pattern begins with: the NFA's first `#prefixOps` instructions, checked with `startsWith`. */
  readonly #prefix: string;
  /** The whole pattern is `#prefix` (no operator): `match` is `===`, `search` is `includes`. */
  readonly #literal: boolean;
  /** A leading `^`, a trailing `$` (see `parseIRegexp`): `search` is anchored there. */
  readonly #atStart: boolean;
  readonly #atEnd: boolean;
  readonly #anchored: Dfa;
  readonly #anywhere: Dfa;
  #next: Int32Array;
  #cur: Int32Array;
  #nextLen = 0;
  readonly #mark: Uint32Array;
  #gen = 0;
  readonly #stack: Int32Array;
  #matched = false;

  /** Compiles a parsed pattern; throws a RangeError when the program would exceed `MAX_PROGRAM`. */
  constructor({ ast, prefix, prefixOps, literal, atStart, atEnd }: Parsed) {
    const p = compileNfa(ast, MAX_PROGRAM);
    this.#op = p.op;
    this.#x = p.x;
    this.#y = p.y;
    this.#classes = p.classes;
    this.#prefix = prefix;
    this.#literal = literal;
    this.#atStart = atStart;
    this.#atEnd = atEnd;
    this.#anchored = { startPc: prefixOps, reseed: false, states: [], index: new Map() };
    this.#anywhere = { startPc: 0, reseed: true, states: [], index: new Map() };
    const n = this.#op.length;
    this.#next = new Int32Array(n);
    this.#cur = new Int32Array(n);
    this.#mark = new Uint32Array(n);
    this.#stack = new Int32Array(n + 1);
  }

  /** Whether `s` matches: as a whole (`match()`) or anywhere (`search()`). */
  test(s: string, whole: boolean): boolean {
    const atStart = whole || this.#atStart;
    const atEnd = whole || this.#atEnd;
    const prefix = this.#prefix;
    if (this.#literal) {
      if (atStart) return atEnd ? s === prefix : s.startsWith(prefix);
      return atEnd ? s.endsWith(prefix) : s.includes(prefix);
    }
    // Anchored at the start: the prefix is compared at once, and the NFA starts after it.
    if (atStart && !s.startsWith(prefix)) return false;
    const dfa = atStart ? this.#anchored : this.#anywhere;
    if (dfa.states.length === 0) this.#startState(dfa);
    let st = dfa.states[0];
    if (st.matched && !atEnd) return true;
    for (let i = atStart ? prefix.length : 0; i < s.length;) {
      const cp = s.codePointAt(i)!;
      let t = cp < 128 ? st.next[cp] : -1;
      if (t < 0) {
        const states = dfa.states;
        t = this.#transition(dfa, st, cp, s, i);
        if (dfa.states !== states) { // the DFA thrashes: the plain NFA simulation for the rest of `s`
          st = dfa.states[t];
          i += cp > 0xffff ? 2 : 1;
          return (st.matched && !atEnd) || this.#simulate(dfa, st, s, i, atEnd);
        }
        if (cp < 128) st.next[cp] = t;
      }
      st = dfa.states[t];
      i += cp > 0xffff ? 2 : 1;
      if (st.matched && !atEnd) return true;
      if (st.pcs.length === 0 && atStart) return st.matched && i === s.length;
    }
    return st.matched;
  }

  /** The DFA's start state (index 0): the closure of its start instruction. */
  #startState(dfa: Dfa): void {
    this.#step();
    this.#nextLen = 0;
    this.#addTo(dfa.startPc);
    this.#intern(dfa);
  }

  /** The state after reading `cp` (at `s[i]`) in `from`, by one step of the NFA simulation. */
  #transition(dfa: Dfa, from: DState, cp: number, s: string, i: number): number {
    this.#advance(dfa, from.pcs, from.pcs.length, cp, s, i);
    return this.#intern(dfa);
  }

  /** One step of the NFA: the set after reading `cp` (at `s[i]`) in the set `pcs[0..n)`, into `#next`. */
  #advance(dfa: Dfa, pcs: Int32Array, n: number, cp: number, s: string, i: number): void {
    const op = this.#op;
    const x = this.#x;
    this.#step();
    this.#nextLen = 0;
    for (let k = 0; k < n; k++) {
      const pc = pcs[k];
      const o = op[pc];
      if (o === CHAR ? x[pc] === cp : o === ANY ? cp !== 10 && cp !== 13 : this.#inClass(x[pc], cp, s, i)) {
        this.#addTo(pc + 1);
      }
    }
    if (dfa.reseed) this.#addTo(dfa.startPc); // a match may begin at every position
  }

  /** The NFA simulation alone, from `from` at `s[i]`: for a pattern with more sets than the DFA keeps. */
  #simulate(dfa: Dfa, from: DState, s: string, i: number, atEnd: boolean): boolean {
    this.#cur.set(from.pcs);
    let n = from.pcs.length;
    let matched = from.matched;
    while (i < s.length) {
      const cp = s.codePointAt(i)!;
      this.#advance(dfa, this.#cur, n, cp, s, i);
      i += cp > 0xffff ? 2 : 1;
      matched = this.#matched;
      if (matched && !atEnd) return true;
      n = this.#nextLen;
      if (n === 0 && !dfa.reseed) return matched && i === s.length;
      const t = this.#next;
      this.#next = this.#cur;
      this.#cur = t;
    }
    return matched;
  }

  /** The index of the DFA state of the current set (`#next`, `#matched`), added when new. */
  #intern(dfa: Dfa): number {
    const pcs = this.#next.slice(0, this.#nextLen).sort();
    const matched = this.#matched;
    const key = pcs.join(",") + (matched ? "!" : "");
    let k = dfa.index.get(key);
    if (k !== undefined) return k;
    if (dfa.states.length >= MAX_DFA_STATES) {
      dfa.states = [];
      dfa.index.clear();
      this.#startState(dfa); // index 0 stays the start
      k = dfa.index.get(key);
      if (k !== undefined) return k;
    }
    k = dfa.states.push({ pcs, matched, next: new Int32Array(128).fill(-1) }) - 1;
    dfa.index.set(key, k);
    return k;
  }

  #inClass(k: number, cp: number, s: string, i: number): boolean {
    const c = this.#classes[k];
    if (cp < 128) return c.ascii[cp] === 1;
    c.re.lastIndex = i;
    return c.re.test(s);
  }

  /** A new generation of marks: a state is added at most once per step. */
  #step(): void {
    this.#matched = false;
    if (++this.#gen === 0xffffffff) {
      this.#mark.fill(0);
      this.#gen = 1;
    }
  }

  /** Adds to `#next` the state `start` and every state reachable from it without reading a character. */
  #addTo(start: number): void {
    const list = this.#next;
    let len = this.#nextLen;
    const mark = this.#mark;
    const stack = this.#stack;
    const gen = this.#gen;
    const op = this.#op;
    let sp = 0;
    if (mark[start] !== gen) {
      mark[start] = gen;
      stack[sp++] = start;
    }
    while (sp > 0) {
      const pc = stack[--sp];
      const o = op[pc];
      if (o === SPLIT || o === JMP) {
        const a = this.#x[pc];
        if (mark[a] !== gen) {
          mark[a] = gen;
          stack[sp++] = a;
        }
        if (o === SPLIT) {
          const b = this.#y[pc];
          if (mark[b] !== gen) {
            mark[b] = gen;
            stack[sp++] = b;
          }
        }
      } else if (o === MATCH) {
        this.#matched = true;
      } else {
        list[len++] = pc;
      }
    }
    this.#nextLen = len;
  }
}

/**
 * Compiles an I-Regexp, or gives null when it is not one (or exceeds the limits above): then `match` and
 * `search` give false, as RFC 9535 says.
 */
export function compileIRegexp(pattern: string): IRegexp | null {
  if (pattern.length > MAX_PATTERN) return null;
  const parsed = parseIRegexp(pattern, MAX_REPEAT);
  if (parsed === null) return null;
  try {
    return new IRegexp(parsed);
  } catch {
    return null; // MAX_PROGRAM exceeded
  }
}

const CACHE_SIZE = 64;
const CACHE_PATTERN = 256;
const cache = new Map<string, IRegexp | null>();

/**
 * `compileIRegexp` for a pattern read from the document, per node: the last `CACHE_SIZE` patterns of up to
 * `CACHE_PATTERN` characters are kept, so a document's few patterns are compiled once, and a document cannot
 * make us keep much.
 */
export function cachedIRegexp(pattern: string): IRegexp | null {
  let re = cache.get(pattern);
  if (re !== undefined) return re;
  re = compileIRegexp(pattern);
  if (pattern.length <= CACHE_PATTERN) {
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(pattern, re);
  }
  return re;
}
