/**
 * The sample lines of a relay pass, in order, kept for the next pass to predict line by line: series come in
 * the same order scrape after scrape, so the line at a place in this body is most likely the series at the
 * same place in the last one. A line whose series key (its name and labels, the bytes before the value) is
 * byte for byte the predicted line's, in the same upstream family, becomes the same output line but for its
 * value: the pass copies the output prefix the last pass wrote, and skips reading labels, the rules' checks,
 * the keep/drop rule and the label hashes (see ./_pass.ts). Every check that depends on the value is made
 * again. No object per line: typed arrays, and two arrays of references to the routes.
 *
 * @module
 */

import type { ExpositionFormat } from "../exposition/negotiate.ts";
import type { Route, SampleRoute } from "./_route.ts";
import { viewOf } from "./_lex.ts";

/** {@linkcode LineRecord.outStart} of a line that wrote nothing (its family dropped, or a keep/drop rule). */
export const NO_OUTPUT = -1;

/** The sample lines of one pass: where each series key and output prefix is. */
export class LineRecord {
  /** The pass that recorded it (routes carry the line their family starts at, stamped with the pass). */
  passId = 0;
  /** The format the output prefixes are written in. */
  format: ExpositionFormat = "text";
  /** The body read; never written after its pass. */
  body: Uint8Array = new Uint8Array(0);
  /** A view of `body`, to compare four bytes at a time. */
  bodyView: DataView = new DataView(new ArrayBuffer(0));
  /** The pass's arenas (./_arena.ts), which hold the output prefixes, and views of them. */
  arenas: readonly Uint8Array[] = [];
  arenaViews: readonly DataView[] = [];
  /** Lines recorded. */
  count = 0;
  /** Per line: where its series key starts in `body`, and ends (at the blank before the value). */
  keyStart: Int32Array;
  keyEnd: Int32Array;
  /**
   * Per line: its output prefix (up to and with the blank before the value) in `arenas[arena]`, or
   * `NO_OUTPUT`.
   */
  outStart: Int32Array;
  outEnd: Int32Array;
  arena: Uint8Array;
  /** Per line: the label part of its two series hashes, and 1 when they were taken (the family is checked). */
  sum1: Int32Array;
  sum2: Int32Array;
  hashed: Uint8Array;
  /** Per line: the route of its sample name, and of its upstream family. */
  routes: SampleRoute[] = [];
  families: Route[] = [];

  constructor(capacity = 1024) {
    this.keyStart = new Int32Array(capacity);
    this.keyEnd = new Int32Array(capacity);
    this.outStart = new Int32Array(capacity);
    this.outEnd = new Int32Array(capacity);
    this.sum1 = new Int32Array(capacity);
    this.sum2 = new Int32Array(capacity);
    this.hashed = new Uint8Array(capacity);
    this.arena = new Uint8Array(capacity);
  }

  /** Starts recording pass `passId` over `body` (the arrays are kept, and overwritten). */
  reset(passId: number, format: ExpositionFormat, body: Uint8Array): void {
    this.passId = passId;
    this.format = format;
    this.body = body;
    this.bodyView = viewOf(body);
    this.arenas = [];
    this.arenaViews = [];
    this.count = 0;
  }

  /** Records the next line; returns its index. */
  add(keyStart: number, keyEnd: number, route: SampleRoute, family: Route): number {
    const k = this.count;
    if (k === this.keyStart.length) this.#grow();
    this.keyStart[k] = keyStart;
    this.keyEnd[k] = keyEnd;
    this.outStart[k] = NO_OUTPUT;
    this.hashed[k] = 0;
    this.routes[k] = route;
    this.families[k] = family;
    this.count = k + 1;
    return k;
  }

  /** Records line `k`'s series hashes (label part). */
  hashedLine(k: number, sum1: number, sum2: number): void {
    this.sum1[k] = sum1;
    this.sum2[k] = sum2;
    this.hashed[k] = 1;
  }

  /** Records where line `k`'s output prefix is: in which arena, from where to where. */
  outputLine(k: number, arena: number, start: number, end: number): void {
    this.arena[k] = arena;
    this.outStart[k] = start;
    this.outEnd[k] = end;
  }

  #grow(): void {
    const size = this.keyStart.length * 2;
    const grown = <T extends Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const next = make(size);
      next.set(a);
      return next;
    };
    const int32 = (n: number) => new Int32Array(n);
    this.keyStart = grown(this.keyStart, int32);
    this.keyEnd = grown(this.keyEnd, int32);
    this.outStart = grown(this.outStart, int32);
    this.outEnd = grown(this.outEnd, int32);
    this.sum1 = grown(this.sum1, int32);
    this.sum2 = grown(this.sum2, int32);
    this.hashed = grown(this.hashed, (n) => new Uint8Array(n));
    this.arena = grown(this.arena, (n) => new Uint8Array(n));
  }

  /** Arrays far larger than the last pass needed are made smaller (the upstream lost series). */
  shrinkTo(lines: number): void {
    if (this.keyStart.length <= 1024 || lines * 8 >= this.keyStart.length) return;
    let size = 1024;
    while (size < lines * 2) size *= 2;
    this.keyStart = new Int32Array(size);
    this.keyEnd = new Int32Array(size);
    this.outStart = new Int32Array(size);
    this.outEnd = new Int32Array(size);
    this.sum1 = new Int32Array(size);
    this.sum2 = new Int32Array(size);
    this.hashed = new Uint8Array(size);
    this.arena = new Uint8Array(size);
    this.routes = [];
    this.families = [];
  }
}
