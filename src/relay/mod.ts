/**
 * The relay: a Prometheus text body turned into the answer (text 0.0.4 or OpenMetrics) straight from its
 * bytes, with no object per series. Lines are read from the bytes; each sample's output line (the rules' name, the upstream labels
 * copied as they are, the rules' and the target's labels, the value) goes into one arena; the answer is each
 * output family's header and its runs of lines, copied once into the response. Each upstream family's route
 * (the rules' decision as bytes) is kept across scrapes, and the families and lines of the last scrape
 * predict the next one's (./_families.ts, ./_lines.ts). It is how a static target's scrape of a text body that misses the memo is
 * answered.
 *
 * It handles the common case exactly as the pipeline (decode → transform → write) does, and gives the body
 * back to the pipeline for everything else, which then decides: OpenMetrics input, a timestamp, an escape or a
 * non-ASCII byte in a label value, a split family, a duplicate series, a rule that changes a type or a value,
 * an upstream label of a name the rules or the target set, a relabel config that rewrites. tests/relay/
 * checks the answers are byte for byte the pipeline's. A body given back costs one more pass: after each,
 * the relay is skipped for a number of scrapes that doubles (up to 64), like the memo.
 *
 * @module
 */

import type { ExpositionFormat } from "../exposition/negotiate.ts";
import type { ByteWriter } from "../exposition/escape.ts";
import { runPaced, runSteps } from "../pace.ts";
import type { Context } from "../transform/mod.ts";
import { SeriesFilter } from "./_filter.ts";
import { SeenSeries } from "./_hash.ts";
import type { FamilyRecord } from "./_families.ts";
import { LineRecord } from "./_lines.ts";
import type { PassFamily } from "./_output.ts";
import { type PassHost, type PassInput, relayPass } from "./_steps.ts";
import { Routes } from "./_route.ts";
import { viewOf } from "./_lex.ts";

const EMPTY = new Uint8Array(0);

/** Routes kept across scrapes; past this many, the cache starts over (an upstream with ever-new names). */
const CACHE_LIMIT = 100_000;
/** Cooldown cap, as a power of two scrapes, after bodies the relay gave back. */
const MAX_BACKOFF = 6;

/**
 * A scrape's answer written by the relay: the source's part of a document, copied out of the pass's arenas
 * (./_arena.ts) in a few spans, since the relay writes its next passes into the same arenas; the names its
 * families take (so the answer builder can check no other source shares one), and its counts.
 */
export class RelayedAnswer {
  /** The answer's bytes, never written again. */
  readonly #bytes: Uint8Array<ArrayBuffer>;
  readonly names: ReadonlySet<string>;
  #onDiscard: (() => void) | null;

  constructor(
    /** The format written. */
    readonly format: ExpositionFormat,
    families: readonly PassFamily[],
    arenas: readonly Uint8Array<ArrayBuffer>[],
    names: ReadonlySet<string>,
    /** Sample lines read from the body. */
    readonly read: number,
    /** Sample lines written. */
    readonly written: number,
    /** Tells the relay its answer went unused. */
    onDiscard: () => void = () => {},
  ) {
    this.#onDiscard = onDiscard;
    this.names = names;
    // Neighbouring runs of one arena are one span: a page without rules is one, the bench's typical rules two.
    const spans: number[] = [];
    let size = 0;
    for (const f of families) {
      for (let r = 0; r < f.runs.length; r += 2) {
        const from = f.runs[r], to = f.runs[r + 1];
        size += to - from;
        const last = spans.length - 3;
        if (last >= 0 && spans[last] === f.arena && spans[last + 2] === from) spans[last + 2] = to;
        else spans.push(f.arena, from, to);
      }
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (let k = 0; k < spans.length; k += 3) {
      bytes.set(arenas[spans[k]].subarray(spans[k + 1], spans[k + 2]), at);
      at += spans[k + 2] - spans[k + 1];
    }
    this.#bytes = bytes;
  }

  /**
   * Says the answer went unused: the document was built from families instead (another source without a
   * written answer, a family name shared with another source or with the exporter's own, the other
   * format). The relay then backs off, as after a body it gave back: a relay whose answers go unused only
   * adds a pass to the pipeline's.
   */
  discarded(): void {
    this.#onDiscard?.();
    this.#onDiscard = null;
  }

  /** The answer in `format`, if the relay wrote it in that format (it writes one per scrape). */
  output(format: ExpositionFormat): { names: ReadonlySet<string> } | null {
    return format === this.format ? this : null;
  }

  /** Bytes {@linkcode RelayedAnswer.writeInto} adds. */
  sizeHint(format: ExpositionFormat): number {
    return format === this.format ? this.#bytes.length : 0;
  }

  /** The answer as one part that is never written again (in its own format only; else `null`). */
  parts(format: ExpositionFormat): Uint8Array<ArrayBuffer>[] | null {
    return format === this.format ? [this.#bytes] : null;
  }

  /** Appends the answer (in its own format only: check {@linkcode RelayedAnswer.output} first). */
  writeInto(w: ByteWriter, format: ExpositionFormat): void {
    if (format !== this.format) throw new TypeError(`RelayedAnswer.writeInto: this answer is ${this.format}`);
    w.copy(this.#bytes, 0, this.#bytes.length);
  }

  /** {@linkcode RelayedAnswer.writeInto}: copies, so nothing to pace. */
  writeIntoPaced(w: ByteWriter, format: ExpositionFormat): Promise<void> {
    this.writeInto(w, format);
    return Promise.resolve();
  }

  /** The answer's bytes alone (tests, `explain`, the memo's tagged answers); not to be written. */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.#bytes;
  }
}

/** A pass's main and side arenas. */
type Arenas = readonly [Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>];

/** One target's relay. Not shared between config loads: the rules are part of it. */
export class TextRelay {
  /**
   * Counts, for tests and benchmarks: bodies relayed, given back, and relayed but not used by the answer;
   * why the last went back; and how many lines the last pass that succeeded wrote as predicted.
   */
  readonly stats = { relayed: 0, givenBack: 0, discarded: 0, why: "", predicted: 0 };
  readonly #host: PassHost & { predicted: readonly FamilyRecord[]; lines: LineRecord | null };
  /** The line record the next pass fills (the one before the last, reused). */
  #spare: LineRecord | null = null;
  /**
   * Arenas kept across passes, in two generations: a pass writes into the one the last pass's lines (which
   * it reads) are not in, so a buffer is written again only two passes on, its answer long copied out.
   */
  #pool: [Arenas | null, Arenas | null] = [null, null];
  /** The generation the last pass's lines are in; -1: none. */
  #lineGeneration = -1;
  /** The duplicate table of the one pass at a time. */
  readonly #seen = new SeenSeries();
  /** A paced pass is running. */
  #running = false;
  #passes = 0;
  #misses = 0;
  #cooldown = 0;
  /** The names of the last answer, with the output families they came from, to reuse when those repeat. */
  #lastNames: { outs: PassFamily["out"][]; names: ReadonlySet<string> } | null = null;

  /** @param ctx The target's compiled transform context. */
  constructor(ctx: Context) {
    const routes = new Routes(ctx, CACHE_LIMIT);
    const filters = ctx.relabel?.filters;
    this.#host = {
      filter: filters ? new SeriesFilter(filters) : null,
      predicted: [],
      lines: null,
      route: (declared, type, help, split) => routes.get(declared, type, help, split),
    };
  }

  /** Whether a target's rules are ones the relay can apply: its relabel configs, if any, only keep or drop. */
  static handles(ctx: Context): boolean {
    return ctx.relabel === null || (ctx.relabel.filters ?? null) !== null;
  }

  /** Whether the relay tries the next body (false while it cools down after bodies it gave back). */
  ready(): boolean {
    if (this.#cooldown === 0) return true;
    this.#cooldown--;
    return false;
  }

  /**
   * Relays a Prometheus text 0.0.4 body into an answer in `format`, in steps that give the event loop turns
   * (src/pace.ts); `null` when the pipeline must take it. The body must not be written afterwards: its lines
   * predict the next body's, compared with it.
   */
  async relay(body: Uint8Array, format: ExpositionFormat): Promise<RelayedAnswer | null> {
    // One pass at a time: a pass predicts from the last one's families and stamps routes as its own. A
    // scrape that comes meanwhile (single flight ends a flight whose callers all gave up) takes the pipeline.
    if (this.#running) return null;
    this.#running = true;
    try {
      const pass = this.#input(body, format, true);
      const record = pass.record!;
      const result = await runPaced(relayPass(pass));
      if (typeof result === "string") {
        this.stats.givenBack++;
        this.stats.why = result;
        this.#forget(record);
        this.#backOff();
        return null;
      }
      this.stats.relayed++;
      this.stats.predicted = result.predicted;
      this.#misses = 0;
      this.#learn(result.records, record, pass.generation, result.arenas);
      let written = 0;
      for (const f of result.families) written += f.lines;
      const names = this.#names(result.families);
      const discard = () => {
        this.stats.discarded++;
        this.#backOff();
      };
      return new RelayedAnswer(format, result.families, result.arenas, names, result.read, written, discard);
    } finally {
      this.#running = false;
    }
  }

  /**
   * Relays a body as steps, without counting it or touching the backoff (the memo's tagged answers,
   * src/memo/memo.ts): the answer's bytes and names, or `null` when the pipeline must take it. A paced pass
   * that comes meanwhile gives its body to the pipeline, as with any pass already running.
   */
  *relayTaggedSteps(
    body: Uint8Array,
    format: ExpositionFormat,
  ): Generator<void, { bytes: Uint8Array; names: ReadonlySet<string> } | null> {
    // Its lines are not the upstream's: they are not kept to predict the next body's.
    const answer = yield* this.#relaySteps(body, format, false);
    return answer === null ? null : { bytes: answer.bytes(), names: answer.names };
  }

  /**
   * {@linkcode TextRelay.relay} at once, without pacing and without counting it or touching the backoff
   * (benchmarks, tests); `null` when the pipeline must take the body, or a paced pass is running.
   */
  relayNow(body: Uint8Array, format: ExpositionFormat): RelayedAnswer | null {
    return runSteps(this.#relaySteps(body, format, true));
  }

  *#relaySteps(
    body: Uint8Array,
    format: ExpositionFormat,
    keepLines: boolean,
  ): Generator<void, RelayedAnswer | null> {
    if (this.#running) return null;
    this.#running = true;
    try {
      const pass = this.#input(body, format, keepLines);
      const { record } = pass;
      const result = yield* relayPass(pass);
      if (typeof result === "string") {
        if (record !== null) this.#forget(record);
        return null;
      }
      this.stats.predicted = result.predicted;
      if (record !== null) this.#learn(result.records, record, pass.generation, result.arenas);
      else this.#host.predicted = result.records;
      const names = this.#names(result.families);
      return new RelayedAnswer(format, result.families, result.arenas, names, result.read, 0);
    } finally {
      this.#running = false;
    }
  }

  /**
   * The input of the next pass: with `keepLines`, a line record to fill and the pool's generation the last
   * pass's lines are not in; else no record and new arenas (the pool's are for the passes that predict).
   */
  #input(body: Uint8Array, format: ExpositionFormat, keepLines: boolean): PassInput & { generation: number } {
    const record = keepLines ? this.#takeRecord() : null;
    const generation = this.#lineGeneration === 0 ? 1 : 0;
    const buffers = record === null ? null : this.#pool[generation];
    return {
      host: this.#host,
      body,
      seen: this.#seen,
      passId: ++this.#passes,
      format,
      record,
      buffers,
      generation,
    };
  }

  /** A line record for a pass to fill: the spare, made no larger than the last pass needed. */
  #takeRecord(): LineRecord {
    const record = this.#spare ?? new LineRecord();
    this.#spare = null;
    record.shrinkTo(this.#host.lines?.count ?? 0);
    return record;
  }

  /**
   * Lets go of the last pass's lines (its body and arenas, about 2.5x the body): a scrape the memo
   * answered, so the relay may not run again for long. Its next pass reads without line prediction.
   */
  release(): void {
    this.#host.lines?.reset(0, "text", EMPTY);
    this.#host.lines = null;
    this.#spare = null;
    this.#pool = [null, null];
    this.#lineGeneration = -1;
  }

  /** A pass succeeded: its families and lines predict the next pass's; the last record is the spare. */
  #learn(families: readonly FamilyRecord[], record: LineRecord, generation: number, arenas: Arenas): void {
    this.#pool[generation] = arenas;
    this.#lineGeneration = generation;
    // A body read into a larger buffer (compressed, or no Content-Length) is kept without the rest of it.
    if (record.body.buffer.byteLength > record.body.byteLength * 1.25) {
      const body = record.body.slice();
      record.body = body;
      record.bodyView = viewOf(body);
    }
    this.#host.predicted = families;
    this.#spare = this.#host.lines;
    this.#spare?.reset(0, "text", EMPTY);
    this.#host.lines = record;
  }

  /** A pass gave its body back: nothing is predicted from the last one (its records are not this body's). */
  #forget(record: LineRecord): void {
    this.#host.predicted = [];
    record.reset(0, "text", EMPTY);
    this.#spare = record;
    this.#host.lines?.reset(0, "text", EMPTY);
    this.#host.lines = null;
    this.#lineGeneration = -1;
  }

  /** Skips the next 2^k - 1 scrapes, k counting the misses in a row (up to {@linkcode MAX_BACKOFF}). */
  #backOff(): void {
    this.#misses = Math.min(this.#misses + 1, MAX_BACKOFF);
    this.#cooldown = (1 << this.#misses) - 1;
  }

  /** Every name the families take; the last answer's set when its families were the same. */
  #names(families: readonly PassFamily[]): ReadonlySet<string> {
    const last = this.#lastNames;
    if (
      last !== null && last.outs.length === families.length &&
      families.every((f, i) => f.out === last.outs[i])
    ) {
      return last.names;
    }
    const names = new Set<string>();
    for (const f of families) for (const name of f.out.names) names.add(name);
    this.#lastNames = { outs: families.map((f) => f.out), names };
    return names;
  }
}
