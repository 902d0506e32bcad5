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

/** Entries per line in {@linkcode LineRecord.data}. */
const STRIDE = 8;
/** Where its series key starts in the body, and ends (at the blank before the value). */
export const KEY_START = 0;
export const KEY_END = 1;
/** Its output prefix (up to and with the blank before the value) in `arenas[ARENA]`, or `NO_OUTPUT`. */
export const OUT_START = 2;
export const OUT_END = 3;
export const ARENA = 4;
/** The label part of its two series hashes, and 1 when they were taken (its family is checked). */
export const SUM1 = 5;
export const SUM2 = 6;
export const HASHED = 7;

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
  /** Bytes each arena took, to size the next pass's. */
  used: readonly number[] = [0, 0];
  /** Lines recorded. */
  count = 0;
  /** Per line, {@linkcode STRIDE} entries: `KEY_START`, `KEY_END`, `OUT_START` and so on. */
  data: Int32Array;
  /** Per line: the route of its sample name, and of its upstream family. */
  routes: SampleRoute[] = [];
  families: Route[] = [];

  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity * STRIDE);
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

  /** Records the next line; returns where its entries start in `data`. */
  add(keyStart: number, keyEnd: number, route: SampleRoute, family: Route): number {
    const n = this.count;
    let d = this.data;
    if ((n + 1) * STRIDE > d.length) {
      d = new Int32Array(d.length * 2);
      d.set(this.data);
      this.data = d;
    }
    const k = n * STRIDE;
    d[k + KEY_START] = keyStart;
    d[k + KEY_END] = keyEnd;
    d[k + OUT_START] = NO_OUTPUT;
    d[k + HASHED] = 0;
    this.routes[n] = route;
    this.families[n] = family;
    this.count = n + 1;
    return k;
  }

  /** Records the series hashes (label part) of the line whose entries start at `k`. */
  hashedLine(k: number, sum1: number, sum2: number): void {
    const d = this.data;
    d[k + SUM1] = sum1;
    d[k + SUM2] = sum2;
    d[k + HASHED] = 1;
  }

  /** Records where the output prefix of the line whose entries start at `k` is. */
  outputLine(k: number, arena: number, start: number, end: number): void {
    const d = this.data;
    d[k + ARENA] = arena;
    d[k + OUT_START] = start;
    d[k + OUT_END] = end;
  }

  /** Arrays far larger than the last pass needed are made smaller (the upstream lost series). */
  shrinkTo(lines: number): void {
    if (this.data.length <= 1024 * STRIDE || lines * 8 * STRIDE >= this.data.length) return;
    let size = 1024;
    while (size < lines * 2) size *= 2;
    this.data = new Int32Array(size * STRIDE);
    this.routes = [];
    this.families = [];
  }

  /** Where the entries of line `j` start in `data`. */
  static entries(j: number): number {
    return j * STRIDE;
  }
}
