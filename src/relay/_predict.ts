/**
 * Line prediction for a relay pass (./_lines.ts has the record it reads): a line whose series key is byte for
 * byte the key of the line predicted for it, in the same upstream family, is written from that line's
 * output prefix and its own value, checked as on any line. The line predicted is the one after the last, and
 * where a family starts, the line its family started at last time. Changed series come in runs (a new pod,
 * a new build), so after misses in a row fewer lines are tried: when most keys change, a pass reads as
 * without a prediction.
 *
 * @module
 */

import type { SeenSeries } from "./_hash.ts";
import type { Arena } from "./_arena.ts";
import type { FamilyReader } from "./_families.ts";
import { copyBytes4, GiveUp, sameBytes4, SPACE, valueEnd, viewOf, writeValue } from "./_lex.ts";
import {
  ARENA,
  HASHED,
  KEY_END,
  KEY_START,
  LineRecord,
  NO_OUTPUT,
  OUT_END,
  OUT_START,
  SUM1,
  SUM2,
} from "./_lines.ts";
import type { OutputFamilies, PassFamily } from "./_output.ts";
import type { Route } from "./_route.ts";
import { valueSpelling } from "./_sample.ts";

/** After misses in a row, up to 2^this - 1 lines are read without trying a prediction. */
const MAX_SKIP = 6;

/** The prediction state of one pass. */
export class LinePredictor {
  /** Lines written as predicted. */
  predicted = 0;
  readonly #b: Uint8Array;
  readonly #view: DataView;
  /** The last pass's lines, when they were written in this pass's format; else `null`. */
  readonly #base: LineRecord | null;
  /** Where this pass's lines are recorded, or `null`. */
  readonly #rec: LineRecord | null;
  readonly #passId: number;
  readonly #seen: SeenSeries;
  readonly #reader: FamilyReader;
  readonly #outputs: OutputFamilies;
  readonly #arenas: readonly Arena[];
  /** The line of the base predicted for the line being read. */
  #j = 0;
  #misses = 0;
  #skip = 0;
  /** The upstream family of the last sample line. */
  #family: Route | null = null;

  constructor(
    b: Uint8Array,
    base: LineRecord | null,
    rec: LineRecord | null,
    pass: {
      passId: number;
      seen: SeenSeries;
      reader: FamilyReader;
      outputs: OutputFamilies;
      arenas: readonly Arena[];
    },
  ) {
    this.#b = b;
    this.#view = viewOf(b);
    this.#base = base;
    this.#rec = rec;
    this.#passId = pass.passId;
    this.#seen = pass.seen;
    this.#reader = pass.reader;
    this.#outputs = pass.outputs;
    this.#arenas = pass.arenas;
  }

  /** The family of the line being read is `famRoute` (call for every sample line before it is read). */
  family(famRoute: Route): void {
    if (famRoute === this.#family) return;
    this.#family = famRoute;
    const base = this.#base;
    if (base !== null && famRoute.firstLinePass === base.passId) this.#j = famRoute.firstLine;
    if (this.#rec !== null) {
      famRoute.firstLine = this.#rec.count;
      famRoute.firstLinePass = this.#passId;
    }
  }

  /** A line was read without the prediction: the next line is predicted to be the one after. */
  read(): void {
    this.#j++;
  }

  /**
   * The sample line at `p`, of family `famRoute`, written as predicted: returns where the next line starts;
   * or -1, having changed nothing, when it is not the line predicted (or no prediction is tried for it).
   */
  line(p: number, famRoute: Route): number {
    this.family(famRoute);
    if (this.#base === null) return -1;
    if (this.#skip > 0) {
      this.#skip--;
      return -1;
    }
    const next = this.#predicted(p, famRoute, this.#base);
    if (next >= 0) this.#misses = 0;
    else this.#skip = (1 << Math.min(++this.#misses, MAX_SKIP)) - 1;
    return next;
  }

  #predicted(p: number, famRoute: Route, base: LineRecord): number {
    const j = this.#j;
    if (j >= base.count || base.families[j] !== famRoute) return -1;
    const b = this.#b;
    const d = base.data, e = LineRecord.entries(j);
    const ks = d[e + KEY_START], keyEnd = p + d[e + KEY_END] - ks;
    // The blank first: past the body it reads `undefined`, so the words compared are all inside it.
    if (b[keyEnd] !== SPACE || !sameBytes4(b, this.#view, p, base.body, base.bodyView, ks, keyEnd - p)) {
      return -1;
    }
    const os = d[e + OUT_START];
    let fam: PassFamily | null = null;
    if (famRoute.out !== null) {
      fam = famRoute.pass === this.#passId
        ? famRoute.family as PassFamily
        : this.#outputs.of(famRoute, this.#passId);
      // A family checked for duplicates since (it met another): the line's hashes are taken as on any line.
      if (fam.hashed && os !== NO_OUTPUT && d[e + HASHED] === 0) return -1;
    }
    const vs = keyEnd + 1;
    const ve = valueEnd(b, vs);
    this.predicted++;
    this.#j = j + 1;
    const route = base.routes[j];
    this.#reader.last = route;
    const formatted = valueSpelling(b, vs, ve, route.kind);
    const rec = this.#rec;
    const line = rec !== null ? rec.add(p, keyEnd, route, famRoute) : -1;
    if (fam === null || os === NO_OUTPUT) return ve + 1;
    if (fam.hashed) {
      const sum1 = d[e + SUM1], sum2 = d[e + SUM2];
      if (
        !this.#seen.add(
          (Math.imul(route.hash1 ^ sum1, 0x9e3779b1) + fam.id) | 0,
          (route.hash2 + sum2) ^ fam.id,
        )
      ) {
        throw new GiveUp("a duplicate series");
      }
      if (rec !== null) rec.hashedLine(line, sum1, sum2);
    }
    const oe = d[e + OUT_END];
    const arena = this.#arenas[fam.arena];
    const out = arena.line(fam, oe - os + (ve - vs) + formatted.length + 1);
    const start = arena.pos;
    const from = d[e + ARENA];
    const o = copyBytes4(out, arena.view, start, base.arenas[from], base.arenaViews[from], os, oe);
    if (rec !== null) rec.outputLine(line, fam.arena, start, o);
    arena.pos = writeValue(out, o, b, vs, ve, formatted);
    return ve + 1;
  }
}
