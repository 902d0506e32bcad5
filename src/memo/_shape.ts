/**
 * One upstream shape the scrape memo learnt (./memo.ts): its skeleton, and each format's answer built from
 * two tagged runs of the real pipeline (./output.ts), at once or in paced steps (src/pace.ts).
 *
 * @module
 */

import { ByteWriter, estimateSize } from "../exposition/escape.ts";
import { writeFamiliesSteps } from "../exposition/respond.ts";
import { namesTaken } from "../exposition/names.ts";
import type { ConcreteFormat } from "../formats/detect.ts";
import type { ExpositionFormat } from "../exposition/negotiate.ts";
import type { MetricFamily } from "../model.ts";
import { buildOutputSteps, type OutputMemo, type TaggedAnswer } from "./output.ts";
import { runPaced, runSteps, STEP_VALUES } from "../pace.ts";
import { fillSkeletonSteps, type Skeleton } from "./skeleton.ts";

/**
 * The real pipeline of a target as steps (src/pace.ts): decode a body of a known format, then apply the rules.
 */
export type MemoPipeline = (
  body: Uint8Array,
  format: ConcreteFormat,
) => Generator<void, { families: MetricFamily[]; skipped: number }>;

/**
 * A target's answer in a format written straight from a Prometheus text body (the relay, src/relay), as
 * steps, or `null` when it cannot be: then the pipeline writes it. Far lighter than the pipeline, so learning
 * a shape stays cheap.
 */
export type MemoWriter = (
  body: Uint8Array,
  format: ExpositionFormat,
) => Generator<void, { bytes: Uint8Array; names: ReadonlySet<string> } | null>;

/** Where each format's answer is kept in the two-slot arrays below. */
export const FORMAT_INDEX: Readonly<Record<ExpositionFormat, 0 | 1>> = { text: 0, openmetrics: 1 };

/** One skeleton and what was learnt from it. */
export class Shape {
  /** Set when an answer cannot be memoized: the owner drops the shape at its next lookup. */
  refused = false;
  /** Set once an answer was memoized: hits of this shape save work, so the backoff starts over. */
  proven = false;
  readonly #outputs: (OutputMemo | null | undefined)[] = [undefined, undefined];
  /** Per format, a paced build in progress: a hit that wants the same memo meanwhile waits for it. */
  readonly #building: (Promise<void> | undefined)[] = [undefined, undefined];

  constructor(
    readonly skeleton: Skeleton,
    readonly skipped: number,
    readonly pipeline: MemoPipeline,
    readonly constants: boolean,
    readonly writer: MemoWriter | undefined,
  ) {}

  /** The memo of one format, built on first use (at once); `null` if it cannot be. */
  output(format: ExpositionFormat): OutputMemo | null {
    const index = FORMAT_INDEX[format];
    if (this.#outputs[index] === undefined) this.#keep(index, runSteps(this.#build(format)));
    return this.#outputs[index]!;
  }

  /** Builds the memo of one format, if it is not yet, in steps that give the event loop turns (src/pace.ts). */
  prepare(format: ExpositionFormat): Promise<void> {
    const index = FORMAT_INDEX[format];
    if (this.#outputs[index] !== undefined) return Promise.resolve();
    return this.#building[index] ??= runPaced(this.#build(format)).then(
      (out) => {
        // An unpaced output() may have built it meanwhile: the first result stays.
        if (this.#outputs[index] === undefined) this.#keep(index, out);
      },
    ).finally(() => this.#building[index] = undefined);
  }

  #keep(index: 0 | 1, out: OutputMemo | null): void {
    this.#outputs[index] = out;
    if (out === null) this.refused = true;
    else this.proven = true;
  }

  *#build(format: ExpositionFormat): Generator<void, OutputMemo | null> {
    const n = this.skeleton.pieces.length - 1;
    try {
      const whole = yield* this.#tagged(format, (i) => i);
      const half = whole && (yield* this.#tagged(format, (i) => i + 0.5));
      return half ? yield* buildOutputSteps(whole, half, n, this.constants) : null;
    } catch {
      return null; // the tags broke a check of the real pipeline (an info or stateset value): not memoizable
    }
  }

  /** The real pipeline's answer to the skeleton filled with `tag`; `null` if it is not like the real one. */
  *#tagged(format: ExpositionFormat, tag: (i: number) => number): Generator<void, TaggedAnswer | null> {
    const body = yield* fillSkeletonSteps(this.skeleton, tag);
    if (this.skeleton.format === "prometheus" && this.skipped === 0 && this.writer !== undefined) {
      const written = yield* this.writer(body, format);
      if (written) return { bytes: written.bytes, names: new Set(written.names) };
    }
    const { families, skipped } = yield* this.pipeline(body, this.skeleton.format);
    // Every name a family takes (counter `x` also takes `x_total`), so disjointOutputs sees any clash.
    const names = new Set<string>();
    const familyNames = new Set<string>();
    for (let i = 0; i < families.length; i++) {
      if (i % STEP_VALUES === STEP_VALUES - 1) yield;
      const f = families[i];
      familyNames.add(f.name);
      for (const n of namesTaken(f)) names.add(n);
      // A timestamp (a JSON mapping's `timestamp`) is written after the value, where the output side looks
      // for values only: such an answer is left to the pipeline.
      for (const s of f.samples) if (s.timestampMs !== undefined) return null;
    }
    if (skipped !== this.skipped || familyNames.size !== families.length) return null;
    yield;
    const w = new ByteWriter(estimateSize(families));
    yield* writeFamiliesSteps(w, families, format);
    return { bytes: w.bytes(), names };
  }
}
