/**
 * What the status page knows of each static target: the outcome of its last scrape (when, how long, up or
 * down, how many series read and written, the error) and its last success. Every `/metrics` answer records
 * its targets here through the answer policy (src/server/answer.ts `targetPolicy`), so the page shows what
 * Prometheus last saw, not a scrape of its own.
 *
 * Bounded: one entry per target of the loaded config ({@linkcode TargetStatus.retain} drops the rest after a
 * reload) and at most `maxTargets` entries in any case. The counts are taken without per-sample work: a memo
 * hit knows its values and its answer's values; otherwise the answer's families are summed by length.
 *
 * @module
 */

import type { ExpositionFormat } from "../exposition/negotiate.ts";
import type { ScrapeResult } from "../scrape/mod.ts";

/** The error of a failed scrape, as the status page shows it. */
export interface ScrapeErrorView {
  /** The bounded reason (`timeout`, `http_status`, `parse`...), as in `prom_exporter_scrape_errors_total`. */
  reason: string;
  /** The error message (URLs in it are already redacted by the upstream client). */
  message: string;
}

/** One target's last scrape and last success. */
export interface TargetState {
  /** When the last scrape was recorded, in ms since the epoch. */
  lastScrapeMs: number;
  /** How long the last scrape took, in seconds. */
  durationSeconds: number;
  /** Whether the last scrape succeeded. */
  up: boolean;
  /** Samples decoded from the upstream by the last good scrape; `null` when not counted (see the module doc). */
  seriesRead: number | null;
  /** Samples of this target in the last good answer; `null` when not counted. */
  seriesWritten: number | null;
  /** The last scrape's error; `null` when it succeeded. */
  lastError: ScrapeErrorView | null;
  /** When the last good scrape was recorded, in ms since the epoch; `null` before the first. */
  lastSuccessMs: number | null;
}

/** Options of {@linkcode TargetStatus}. */
export interface TargetStatusOptions {
  /** Wall clock in ms, for tests. @default {Date.now} */
  now?: () => number;
  /** Entries kept at most, whatever names are recorded. @default {10000} */
  maxTargets?: number;
}

/** Each target's {@linkcode TargetState}, by target name; see the module doc. */
export class TargetStatus {
  readonly #states = new Map<string, TargetState>();
  readonly #now: () => number;
  readonly #max: number;

  /** Creates an empty record: every target is "never scraped". */
  constructor(options: TargetStatusOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#max = options.maxTargets ?? 10_000;
  }

  /** The target's state, or `undefined` when it was never scraped (since it was loaded). */
  get(name: string): Readonly<TargetState> | undefined {
    return this.#states.get(name);
  }

  /** How many targets have a state. */
  get size(): number {
    return this.#states.size;
  }

  /**
   * Records a good scrape of `name`, as written in `format`.
   *
   * @param result The result after the merge (src/server/answer.ts `buildAnswer` reports it).
   * @param format The answer's format: a memo hit's answer is counted from that format's memo.
   */
  succeeded(name: string, result: Extract<ScrapeResult, { ok: true }>, format: ExpositionFormat): void {
    const now = this.#now();
    this.#set(name, {
      lastScrapeMs: now,
      durationSeconds: result.durationSeconds,
      up: true,
      seriesRead: seriesRead(result),
      seriesWritten: seriesWritten(result, format),
      lastError: null,
      lastSuccessMs: now,
    });
  }

  /** Records a failed scrape of `name` (also one the merge or the memory budget refused). */
  failed(name: string, result: Extract<ScrapeResult, { ok: false }>): void {
    const previous = this.#states.get(name);
    this.#set(name, {
      lastScrapeMs: this.#now(),
      durationSeconds: result.durationSeconds,
      up: false,
      seriesRead: null,
      seriesWritten: null,
      lastError: { reason: result.error.reason, message: result.error.message },
      lastSuccessMs: previous?.lastSuccessMs ?? null,
    });
  }

  /** Keeps only the states of `names` (the targets of a newly loaded config). */
  retain(names: Iterable<string>): void {
    const keep = new Set(names);
    for (const name of [...this.#states.keys()]) if (!keep.has(name)) this.#states.delete(name);
  }

  #set(name: string, state: TargetState): void {
    this.#states.delete(name);
    this.#states.set(name, state);
    // The oldest entry goes first: a map in insertion order, refreshed on every record.
    if (this.#states.size > this.#max) this.#states.delete(this.#states.keys().next().value as string);
  }
}

/**
 * Samples the scrape decoded from the upstream: a memo hit's values; else what the scrape reports, if it
 * reports it (an optional `read` count); else `null`.
 */
function seriesRead(result: Extract<ScrapeResult, { ok: true }>): number | null {
  if (result.memo !== undefined) return result.memo.size;
  return result.read ?? null;
}

/**
 * Samples of the target in the answer: a memo hit's output values in `format`, or the families summed by
 * length. A memo hit without an output for the format has had its families computed by the answer builder
 * already (it merges them), so reading them costs nothing more.
 */
function seriesWritten(result: Extract<ScrapeResult, { ok: true }>, format: ExpositionFormat): number {
  const out = result.memo?.output(format);
  if (out) return out.slots.length;
  if (result.relayed?.output(format)) return result.relayed.written;
  let n = 0;
  for (const f of result.families) n += f.samples.length;
  return n;
}
