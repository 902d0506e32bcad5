/**
 * The scrape memo: the rule work done once per upstream shape instead of once per scrape.
 *
 * A target's {@linkcode ScrapeMemo} remembers the skeleton of the last body the real pipeline took
 * (./skeleton.ts). When the next body has the same skeleton, {@linkcode ScrapeMemo.lookup} parses only its values and returns a
 * {@linkcode MemoHit}; the server then writes the answer from constants and values (./output.ts), built on
 * the first hit of each format. Anything else (a new series, another label, a timestamp, a value the parser
 * would refuse, a rule that changes values, an answer with timestamps) goes to the real pipeline, which also
 * reports any error.
 *
 * An upstream whose shape keeps changing, or whose answer is not a plain copy of its values, backs the memo
 * off exponentially (up to 64 scrapes, 1024 for an answer that cannot be memoized), so it never costs more
 * than a small share of the scrapes it cannot help. See docs/PERFORMANCE.md for the measurements.
 *
 * @module
 */

import type { ByteWriter } from "../exposition/escape.ts";
import type { ConcreteFormat } from "../formats/detect.ts";
import type { ExpositionFormat } from "../exposition/negotiate.ts";
import { type OutputMemo, outputSize, renderEnd, renderOutput, renderSome } from "./output.ts";
import { runPaced, runSteps, STEP_VALUES, taskStarted, turnIfDue } from "../pace.ts";
import {
  binaryText,
  type BodyValues,
  endRead,
  findSkeletonSteps,
  readSome,
  readValues,
  startRead,
} from "./skeleton.ts";
import { FORMAT_INDEX, type MemoPipeline, type MemoWriter, Shape } from "./_shape.ts";

export { binaryText };
export type { MemoPipeline, MemoWriter };

/** Cooldown caps, as powers of two scrapes: a changed shape, and an answer that cannot be memoized. */
const MAX_CHANGED_BACKOFF = 6;
const MAX_REFUSED_BACKOFF = 10;

/** A paced write in progress, and the promise that writes waiting for it wait on (made by the first). */
interface Writing {
  waited: PromiseWithResolvers<void> | undefined;
}

/** A scrape whose body matched the memo's skeleton: its values, and how to write its answer. */
export class MemoHit {
  readonly #shape: Shape;
  /** The answer per format, kept once a second scrape shares this result (single-flight): it only copies. */
  readonly #written: (Uint8Array | undefined)[] = [undefined, undefined];
  /** How many times each format's answer was written. */
  readonly #renders = [0, 0];
  /** Per format, a paced write in progress: writes that come meanwhile wait for it, then copy its answer. */
  readonly #writing: (Writing | undefined)[] = [undefined, undefined];

  /**
   * @param values The body's values, in skeleton order.
   * @param body The body's bytes, which canonical values are copied from.
   */
  constructor(shape: Shape, readonly values: BodyValues, readonly body: Uint8Array) {
    this.#shape = shape;
  }

  /** How many values the body has. */
  get size(): number {
    return this.values.numbers.length;
  }

  /** Values the pipeline skipped (JSON leaves that are not numbers): a property of the skeleton. */
  get skipped(): number {
    return this.#shape.skipped;
  }

  /** The format's memo (built on first use), or `null` when the answer is not a plain copy of the values. */
  output(format: ExpositionFormat): OutputMemo | null {
    return this.#shape.output(format);
  }

  /**
   * Builds the format's memo, if it is not yet, in steps that give the event loop turns (src/pace.ts): the
   * first hit of a shape runs the pipeline twice, which at 100k series takes long enough to stall other
   * requests. {@linkcode MemoHit.output} then finds it built.
   */
  prepare(format: ExpositionFormat): Promise<void> {
    return this.#shape.prepare(format);
  }

  /** Appends the upstream part of the answer; call only after {@linkcode MemoHit.output} gave a memo. */
  writeInto(w: ByteWriter, format: ExpositionFormat): void {
    const index = FORMAT_INDEX[format];
    if (this.#copied(w, index)) return;
    const out = this.#memo(format);
    const start = w.length;
    renderOutput(out, this.values, this.body, w);
    this.#rendered(w, start, index, false);
  }

  /**
   * {@linkcode MemoHit.writeInto} in steps, giving the event loop a turn whenever it runs long (./pace.ts): no
   * one else may write into `w` until it settles. A write of this format that starts meanwhile waits for this
   * one and copies its answer.
   */
  async writeIntoPaced(w: ByteWriter, format: ExpositionFormat): Promise<void> {
    const index = FORMAT_INDEX[format];
    const other = this.#writing[index];
    if (other !== undefined) await (other.waited ??= Promise.withResolvers<void>()).promise;
    if (this.#copied(w, index)) return;
    const out = this.#memo(format);
    const start = w.length;
    const writing: Writing = { waited: undefined };
    this.#writing[index] = writing;
    try {
      for (let k = 0, n = out.slots.length; k < n;) {
        const last = Math.min(n, k + STEP_VALUES);
        renderSome(out, this.values, this.body, w, k, last);
        k = last;
        // A turn after the last step too when due: what follows (the rest of the answer) is long work.
        const turn = turnIfDue();
        if (turn !== undefined) await turn;
      }
      renderEnd(out, w);
      this.#rendered(w, start, index, writing.waited !== undefined);
    } finally {
      this.#writing[index] = undefined;
      writing.waited?.resolve();
    }
  }

  /** Copies the kept answer of a format, if there is one. */
  #copied(w: ByteWriter, index: 0 | 1): boolean {
    const written = this.#written[index];
    if (written === undefined) return false;
    w.copy(written, 0, written.length);
    return true;
  }

  #memo(format: ExpositionFormat): OutputMemo {
    const out = this.#shape.output(format);
    if (out === null) throw new TypeError("MemoHit.writeInto: this answer cannot be memoized");
    return out;
  }

  /** Counts a write from `start` on, and keeps a copy once a second scrape shares this result. */
  #rendered(w: ByteWriter, start: number, index: 0 | 1, shared: boolean): void {
    // The first answer goes straight into the caller's buffer, which the server reuses for its next answer
    // (src/server/answer.ts), so nothing is kept. A second one means scrapes share this result: keep a copy for them.
    if (++this.#renders[index] >= 2 || shared) this.#written[index] = w.bytes().slice(start);
  }

  /** Bytes {@linkcode MemoHit.writeInto} will add, to size a buffer. */
  sizeHint(format: ExpositionFormat): number {
    const out = this.#shape.output(format);
    return out === null ? 0 : outputSize(out);
  }
}

/** One target's memo; see the module doc. Not shared between config loads: the rules are part of it. */
export class ScrapeMemo {
  /** Counts, for tests and benchmarks: lookups answered, and skeletons learnt. */
  readonly stats = { hits: 0, learnt: 0 };
  #shape: Shape | null = null;
  #misses = 0;
  #cooldown = 0;
  readonly #pipeline: MemoPipeline;
  readonly #constants: boolean;
  readonly #writer: MemoWriter | undefined;

  /**
   * @param pipeline The target's real pipeline, used to learn each shape.
   * @param constants Whether the pipeline has no value-dependent step (see {@linkcode buildOutput}), so an
   *   output value equal in both tagged answers belongs to the skeleton. @default {true}
   * @param writer Writes an answer (either format) without the pipeline, when it can (the relay).
   *   @default {none}
   */
  constructor(pipeline: MemoPipeline, constants = true, writer?: MemoWriter) {
    this.#pipeline = pipeline;
    this.#constants = constants;
    this.#writer = writer;
  }

  /**
   * The values of a body with the remembered skeleton, or `null`: then run the pipeline, and
   * {@linkcode ScrapeMemo.learn}.
   *
   * @param bytes The body.
   * @param binary The same body as {@linkcode binaryText}.
   */
  lookup(bytes: Uint8Array, binary: string, contentType: string | null): MemoHit | null {
    const shape = this.#usable();
    if (shape === null) return null;
    return this.#hit(shape, readValues(shape.skeleton, contentType, binary), bytes);
  }

  /**
   * {@linkcode ScrapeMemo.lookup} in steps, giving the event loop a turn whenever the read runs long
   * (./pace.ts).
   *
   * @param arrivedMs When the body arrived (`performance.now()`): the work since counts towards the first
   *   pause (reading it as {@linkcode binaryText} takes a few ms at 100k series). @default {now}
   */
  async lookupPaced(
    bytes: Uint8Array,
    binary: string,
    contentType: string | null,
    arrivedMs?: number,
  ): Promise<MemoHit | null> {
    taskStarted(arrivedMs);
    const shape = this.#usable();
    if (shape === null) return null;
    const { skeleton } = shape;
    const read = startRead(skeleton, contentType);
    let ok = read !== null;
    for (const n = skeleton.pieces.length - 1; ok && read!.next < n;) {
      ok = readSome(skeleton, binary, read!, STEP_VALUES);
      // A turn after each step that is due, the last one too: what follows a hit (the answer) is long work.
      const turn = ok ? turnIfDue() : undefined;
      if (turn !== undefined) await turn;
    }
    return this.#hit(shape, ok && endRead(skeleton, binary, read!) ? read!.values : null, bytes);
  }

  /** The shape to look a body up in, or `null` (none, or one that was refused: then it is dropped). */
  #usable(): Shape | null {
    const shape = this.#shape;
    if (shape?.refused) {
      this.#forget(MAX_REFUSED_BACKOFF);
      return null;
    }
    return shape;
  }

  /** The hit of a body whose values were read, or `null` when it did not match (the shape is dropped). */
  #hit(shape: Shape, values: BodyValues | null, bytes: Uint8Array): MemoHit | null {
    if (values === null) {
      // A paced read gave turns: another scrape may have dropped or replaced the shape meanwhile.
      if (this.#shape === shape) this.#forget(MAX_CHANGED_BACKOFF);
      return null;
    }
    // A paced read that ends after the shape was replaced still answers, but must not reset the backoff.
    if (this.#shape === shape) {
      if (shape.proven) this.#misses = 0;
      this.stats.hits++;
    }
    return new MemoHit(shape, values, bytes);
  }

  /**
   * Whether the next body is worth reading as {@linkcode binaryText}: the memo has a shape to look it up in,
   * or will learn one from it. While it cools down after misses it needs neither (`learn` only counts).
   */
  get wantsBody(): boolean {
    return this.#shape !== null || this.#cooldown === 0;
  }

  /** Remembers the skeleton of a body ({@linkcode binaryText}) the pipeline has just taken in `format`. */
  learn(binary: string, contentType: string | null, format: ConcreteFormat, skipped: number): void {
    runSteps(this.#learn(binary, contentType, format, skipped));
  }

  /**
   * {@linkcode ScrapeMemo.learn} in steps that give the event loop turns (src/pace.ts): reading a 100k-series
   * body's skeleton takes long enough to stall other requests.
   */
  learnPaced(
    binary: string,
    contentType: string | null,
    format: ConcreteFormat,
    skipped: number,
  ): Promise<void> {
    return runPaced(this.#learn(binary, contentType, format, skipped));
  }

  *#learn(
    binary: string,
    contentType: string | null,
    format: ConcreteFormat,
    skipped: number,
  ): Generator<void> {
    if (this.#shape !== null) return;
    if (this.#cooldown > 0) {
      this.#cooldown--;
      return;
    }
    // Not read (see wantsBody: the memo was cooling down when the body came), or empty: nothing to learn.
    if (binary === "") return;
    const skeleton = yield* findSkeletonSteps(format, contentType, binary);
    // Another scrape may have learnt a shape while this one read: the first stays.
    if (this.#shape !== null) return;
    if (skeleton === null) this.#forget(MAX_CHANGED_BACKOFF);
    else {
      this.#shape = new Shape(skeleton, skipped, this.#pipeline, this.#constants, this.#writer);
      this.stats.learnt++;
    }
  }

  #forget(maxBackoff: number): void {
    this.#shape = null;
    this.#misses = Math.min(this.#misses + 1, maxBackoff);
    this.#cooldown = (1 << this.#misses) - 1;
  }
}
