/**
 * A relay pass run in steps (./_pass.ts does the reading): what it needs from its relay, what it gives, and
 * the generator that runs it a few thousand lines at a time so the event loop gets turns (src/pace.ts).
 *
 * @module
 */

import type { ExpositionFormat } from "../exposition/negotiate.ts";
import type { MetricType } from "../model.ts";
import type { FamilyRecord } from "./_families.ts";
import type { SeriesFilter } from "./_filter.ts";
import type { SeenSeries } from "./_hash.ts";
import { GiveUp } from "./_lex.ts";
import type { LineRecord } from "./_lines.ts";
import type { PassFamily } from "./_output.ts";
import { Pass } from "./_pass.ts";
import type { Route } from "./_route.ts";

/** What a pass needs from its relay: routes kept across scrapes, and the last pass's families. */
export interface PassHost {
  /** The target's keep/drop relabel rules, if it has any. */
  readonly filter: SeriesFilter | null;
  /** The route of an upstream family (cached); `null`: the relay does not handle it. */
  route(declared: string, type: MetricType, help: string, split: boolean): Route | null;
  /** The upstream families of the last pass that succeeded, in order. */
  readonly predicted: readonly FamilyRecord[];
  /** The sample lines of the last pass that succeeded and recorded them, if any. */
  readonly lines: LineRecord | null;
}

/** What a finished pass gives. */
export interface PassResult {
  /** The output families, in the order the pipeline writes them, each with at least one line. */
  families: PassFamily[];
  /** The main and side arenas (./_arena.ts) written into (the pool's, or new ones when those were small). */
  arenas: readonly [Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>];
  /** Sample lines read. */
  read: number;
  /** Of them, lines written as predicted from the last pass's. */
  predicted: number;
  /** The upstream families met, for the next pass to predict. */
  records: FamilyRecord[];
  /** The sample lines, for the next pass to predict, when the pass was given a record to fill. */
  lines: LineRecord | null;
}

/** What a pass is given. */
export interface PassInput {
  host: PassHost;
  /** The body: a text exposition, ASCII except in comments; never written after the pass. */
  body: Uint8Array;
  /** The duplicate table (cleared by the pass). */
  seen: SeenSeries;
  /** A number no other pass of the relay has. */
  passId: number;
  /** The format to write. */
  format: ExpositionFormat;
  /** Filled with the pass's sample lines, for the next pass to predict; `null`: not recorded. */
  record: LineRecord | null;
  /**
   * The main and side arenas to write into (the relay's pool, ./mod.ts), used when large enough; `null`:
   * new ones. Nothing may read them while the pass runs but the pass.
   */
  buffers: readonly [Uint8Array<ArrayBuffer> | null, Uint8Array<ArrayBuffer> | null] | null;
}

/** Lines between two steps of a paced pass. */
const STEP_LINES = 4096;

/**
 * One pass over a body, in steps of a few thousand lines with a
 * yield between two; returns the output, or why the body needs the pipeline. The work is a class's method,
 * not the generator's body: V8 runs a loop inside a generator several times slower (measured 5x).
 */
export function* relayPass(input: PassInput): Generator<void, PassResult | string> {
  try {
    const pass = new Pass(input);
    while (!pass.step(STEP_LINES)) yield;
    return pass.result();
  } catch (e) {
    if (e instanceof GiveUp) return e.why;
    throw e;
  }
}
