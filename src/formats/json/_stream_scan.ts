/**
 * The resumable JSON scanner under `flattenJsonBytes`: it reads the body one decoded block at a
 * time and reports objects, member names and leaf values to a {@linkcode JsonSink}, never building a tree.
 * Arrays, objects inside arrays and objects the sink declines are only checked for syntax, with a stack of
 * one byte per open container, so nesting of any depth costs no recursion (like `JSON.parse`).
 *
 * @module
 */

import { coerceJsonValue } from "./_flat.ts";

/** What the scanner reports of the members of the objects it follows. */
export interface JsonSink {
  /** An object starts at the top level or as a member value; `false` skips its contents. */
  openObject(): boolean;
  /** The innermost followed object ends. */
  closeObject(): void;
  /** A member name of the innermost followed object. */
  key(key: string): void;
  /** A member value that is not an object: its sample value, or `undefined` when it has none. */
  leaf(value: number | undefined): void;
}

/** A syntax error at `index` in the string given to {@linkcode JsonScanner.feed}. */
export class JsonFault extends Error {
  /** Offset of the offending character in the block string. */
  readonly index: number;

  /** Creates a fault; `message` says what was expected and what was found. */
  constructor(message: string, index: number) {
    super(message);
    this.index = index;
  }
}

// Where the scanner is in the grammar, between two tokens.
const VALUE = 0;
const FIRST_KEY = 1; // after "{": a member name or "}"
const KEY = 2; // after "," in an object
const COLON = 3;
const AFTER = 4; // after a value inside a container: "," or the container's end
const FIRST_ITEM = 5; // after "[": a value or "]"
const END = 6;

const OBJECT = 1;
const ARRAY = 2;

/** Integers up to this many digits are exact doubles when summed digit by digit (< 2^53). */
const EXACT_DIGITS = 15;

/** Scans JSON text handed over in consecutive pieces; a token cut by a piece's end is read again whole. */
export class JsonScanner {
  /** True once the top-level value turned out not to be an object. */
  notObject = false;
  readonly #sink: JsonSink;
  #state = VALUE;
  /** Followed objects open (the sink's frames). */
  #depth = 0;
  /** Skipped containers open inside the innermost followed object, their kinds in `#kinds`. */
  #skip = 0;
  #kinds = new Uint8Array(64);
  /** Whether the last string scanned had an escape. */
  #escaped = false;
  /** Where the cut token began, when a reader returns -1. */
  #resumeAt = 0;

  /** Creates a scanner that reports to `sink`. */
  constructor(sink: JsonSink) {
    this.#sink = sink;
  }

  /**
   * Reads `s` as far as it holds whole tokens and returns how many characters it consumed; the caller puts
   * the rest in front of the next piece. With `last`, `s` must finish the document.
   *
   * @throws {JsonFault} On a syntax error.
   */
  feed(s: string, last: boolean): number {
    // One loop with the state in locals: this runs once per token of the body.
    const n = s.length;
    const sink = this.#sink;
    let state = this.#state;
    let depth = this.#depth;
    let skip = this.#skip;
    let i = 0;
    for (;;) {
      let c = 0;
      while (i < n && ((c = s.charCodeAt(i)) === 32 || c === 10 || c === 13 || c === 9)) i++;
      if (i === n) {
        if (last && state !== END) {
          const empty = state === VALUE && depth + skip === 0;
          const what = empty
            ? "the body holds no JSON value"
            : "the document ends early: an object or array is not closed";
          fail(what, s, i, false);
        }
        break;
      }
      if (state === AFTER || (state === FIRST_KEY && c === 125) || (state === FIRST_ITEM && c === 93)) {
        const kind = skip > 0 ? this.#kinds[skip - 1] : OBJECT;
        if (c === 44 && state === AFTER) state = kind === OBJECT ? KEY : VALUE;
        else if (c === (kind === OBJECT ? 125 : 93)) {
          if (skip > 0) skip--;
          else {
            depth--;
            sink.closeObject();
          }
          state = depth + skip === 0 ? END : AFTER;
        } else fail(kind === OBJECT ? 'expected "," or "}"' : 'expected "," or "]"', s, i);
        i++;
      } else if (state === KEY || state === FIRST_KEY) {
        if (c !== 34) fail(state === KEY ? "expected a member name" : 'expected a member name or "}"', s, i);
        const end = this.#string(s, i, n, last);
        if (end < 0) break;
        if (skip === 0) sink.key(this.#escaped ? unescapeJson(s, i + 1, end - 1) : s.slice(i + 1, end - 1));
        i = end;
        state = COLON;
      } else if (state === COLON) {
        if (c !== 58) fail('expected ":" after a member name', s, i);
        i++;
        state = VALUE;
      } else if (state === END) {
        fail("unexpected data after the top-level value", s, i);
      } else if (c === 123 || c === 91) {
        // An object member of a followed object, or the top-level object, is followed unless the sink says no.
        if (skip === 0 && c === 123 && sink.openObject()) depth++;
        else {
          if (skip === 0 && c === 91) {
            if (depth > 0) sink.leaf(undefined);
            else this.notObject = true;
          }
          this.#push(skip++, c === 123 ? OBJECT : ARRAY);
        }
        i++;
        state = c === 123 ? FIRST_KEY : FIRST_ITEM;
      } else {
        const end = this.#scalar(s, i, n, last, c, skip === 0 && depth > 0);
        if (end < 0) break;
        if (skip === 0 && depth === 0) this.notObject = true;
        i = end;
        state = depth + skip === 0 ? END : AFTER;
      }
    }
    this.#state = state;
    this.#depth = depth;
    this.#skip = skip;
    return i < n ? this.#resumeAt : n;
  }

  /**
   * Reads a string, number or literal starting with `c` at `i`, reporting its value to the sink when it is a
   * `member` of a followed object; returns the index after it, or -1 when it is cut.
   */
  #scalar(s: string, i: number, n: number, last: boolean, c: number, member: boolean): number {
    let end: number;
    let value: number | undefined;
    if (c === 34) {
      end = this.#string(s, i, n, last);
      if (end < 0 || !member) return end;
      value = coerceJsonValue(this.#escaped ? unescapeJson(s, i + 1, end - 1) : s.slice(i + 1, end - 1));
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      end = number(s, i, n, last);
      if (end < 0) return this.#cut(i);
      if (!member) return end;
      value = end - i <= EXACT_DIGITS ? smallInteger(s, i, end) : undefined;
      if (value === undefined) value = Number(s.slice(i, end));
    } else {
      const word = c === 116 ? "true" : c === 102 ? "false" : c === 110 ? "null" : "";
      if (word === "") fail("expected a value", s, i);
      end = i + word.length;
      if (end > n) {
        if (!last && word.startsWith(s.slice(i))) return this.#cut(i);
        fail(`expected "${word}"`, s, i);
      }
      if (!s.startsWith(word, i)) fail(`expected "${word}"`, s, i);
      if (!member) return end;
      value = c === 116 ? 1 : c === 102 ? 0 : undefined;
    }
    this.#sink.leaf(value);
    return end;
  }

  /** Records that the token at `i` is cut; returns -1. */
  #cut(i: number): number {
    this.#resumeAt = i;
    return -1;
  }

  /** Records the kind of the skipped container at `at`. */
  #push(at: number, kind: number): void {
    if (at === this.#kinds.length) {
      const grown = new Uint8Array(at * 2);
      grown.set(this.#kinds);
      this.#kinds = grown;
    }
    this.#kinds[at] = kind;
  }

  /** Checks the string whose quote is at `i`; returns the index after its closing quote, or -1 if cut. */
  #string(s: string, i: number, n: number, last: boolean): number {
    const start = i;
    let escaped = false;
    for (i++; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 92) continue; // lower case letters and most of Unicode: nothing to check
      if (c === 34) {
        this.#escaped = escaped;
        return i + 1;
      }
      if (c === 92) {
        escaped = true;
        const e = i + 1 < n ? s.charCodeAt(i + 1) : -1;
        if (e === 117) {
          for (let k = i + 2; k < i + 6; k++) {
            if (k >= n) return last ? fail("unterminated string", s, start, false) : this.#cut(start);
            if (!isHex(s.charCodeAt(k))) fail("invalid \\u escape", s, i);
          }
          i += 5;
        } else if (
          e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116
        ) {
          i++;
        } else if (e !== -1) {
          fail("invalid escape", s, i);
        } else break;
      } else if (c < 32) {
        fail("control character in a string (must be escaped)", s, i);
      }
    }
    return last ? fail("unterminated string", s, start, false) : this.#cut(start);
  }
}

/** Checks a number at `i`; returns the index after it, or -1 when it may go on in the next piece. */
function number(s: string, i: number, n: number, last: boolean): number {
  if (s.charCodeAt(i) === 45) i++;
  const c = i < n ? s.charCodeAt(i) : -1;
  if (c === 48) i++;
  else if (c >= 49 && c <= 57) i = digits(s, i + 1, n);
  else if (c !== -1) fail("expected a digit", s, i);
  else return last ? fail("expected a digit", s, i) : -1;
  if (i < n && s.charCodeAt(i) === 46) {
    const d = digits(s, i + 1, n);
    if (d === i + 1) return d >= n && !last ? -1 : fail("expected a digit after the decimal point", s, d);
    i = d;
  }
  if (i < n && (s.charCodeAt(i) | 32) === 101) {
    i++;
    if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i++;
    const d = digits(s, i, n);
    if (d === i) return d >= n && !last ? -1 : fail("expected a digit in the exponent", s, d);
    i = d;
  }
  return i >= n && !last ? -1 : i;
}

function digits(s: string, i: number, n: number): number {
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) break;
    i++;
  }
  return i;
}

/** The value of a short plain integer (`-?[0-9]+`), exact; `undefined` for any other number text. */
function smallInteger(s: string, i: number, end: number): number | undefined {
  const negative = s.charCodeAt(i) === 45;
  let v = 0;
  for (let k = negative ? i + 1 : i; k < end; k++) {
    const d = s.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return undefined;
    v = v * 10 + d;
  }
  return negative ? -v : v;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}

/** The value of the checked string body `s[a, b)`, escapes resolved as `JSON.parse` does. */
function unescapeJson(s: string, a: number, b: number): string {
  let out = "";
  let from = a;
  for (let i = s.indexOf("\\", a); i !== -1 && i < b; i = s.indexOf("\\", from)) {
    out += s.slice(from, i);
    const e = s.charCodeAt(i + 1);
    if (e === 117) {
      out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
      from = i + 6;
    } else {
      const short = "bfnrt".indexOf(s[i + 1]); // the others stand for themselves: \" \\ \/
      out += short === -1 ? s[i + 1] : "\b\f\n\r\t"[short];
      from = i + 2;
    }
  }
  return out + s.slice(from, b);
}

/** Throws a fault at `i`; with `found`, the message names the character there. */
function fail(message: string, s: string, i: number, found = true): never {
  if (!found) throw new JsonFault(message, i);
  const what = i < s.length ? JSON.stringify(String.fromCodePoint(s.codePointAt(i)!)) : "the end of input";
  throw new JsonFault(`${message}, found ${what}`, i);
}
