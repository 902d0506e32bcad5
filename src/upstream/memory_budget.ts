/**
 * The process-wide memory budget of scrapes in flight (`--scrape.max-inflight-bytes`): the bytes of upstream
 * bodies being read and decoded, and of answers built but not yet sent. A scrape that would pass the cap does
 * not grow: its body read is cancelled, or its answer is replaced, and it answers `prom_exporter_up 0` with
 * reason `memory`.
 *
 * One {@linkcode MemoryBudget} per process, made by `main.ts` and passed down. Each scrape takes from it
 * through a {@linkcode BudgetLease}, which remembers what it took and gives it all back once
 * ({@linkcode withLease} does that in a `finally`), so no error, abort or timeout path can leak a byte.
 * Answers hold their bytes until the response has been sent or the request has gone ({@linkcode holdUntil}).
 *
 * @module
 */

import { Gauge, type Registry } from "prom-client";
import { UpstreamError } from "../errors.ts";
import { SELF_METRIC } from "../model.ts";

/** Where body bytes are taken from as they arrive: a {@linkcode BudgetLease}, or a test's stand-in. */
export interface ByteBudget {
  /** The cap of the whole budget in bytes, for messages; 0 means no cap. */
  readonly limit: number;
  /**
   * Takes `n` more bytes.
   * @returns `false`, taking nothing, when they do not fit under the cap.
   */
  take(n: number): boolean;
}

/**
 * A count of bytes held, never above its cap (except with no cap) and never below zero.
 *
 * @example
 * ```ts
 * import { MemoryBudget } from "./memory_budget.ts";
 * import assert from "node:assert/strict";
 * const budget = new MemoryBudget(100);
 * assert.equal(budget.take(60), true);
 * assert.equal(budget.take(60), false); // would pass the cap: nothing taken
 * budget.release(60);
 * assert.equal(budget.used, 0);
 * ```
 */
export class MemoryBudget implements ByteBudget {
  /** The cap in bytes; 0 means no cap (bytes are still counted). */
  readonly limit: number;
  #used = 0;

  /**
   * Creates an empty budget.
   * @param limit The cap in bytes; 0 for no cap.
   * @throws {RangeError} For a limit that is not a whole number >= 0.
   */
  constructor(limit: number) {
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new RangeError(
        `Cannot create a memory budget: limit must be a whole number >= 0: current value is ${limit}`,
      );
    }
    this.limit = limit;
  }

  /** Bytes held now. */
  get used(): number {
    return this.#used;
  }

  /**
   * Takes `n` bytes if they fit under the cap.
   * @returns Whether they were taken (`false` leaves the budget as it was).
   * @throws {RangeError} For `n` that is not a whole number >= 0.
   */
  take(n: number): boolean {
    checkBytes(n, "take");
    if (this.limit > 0 && this.#used + n > this.limit) return false;
    this.#used += n;
    return true;
  }

  /**
   * Gives back `n` bytes taken before.
   * @throws {RangeError} For `n` that is not a whole number >= 0, or more than is held (a bookkeeping bug:
   *   the count is left as it was rather than going negative).
   */
  release(n: number): void {
    checkBytes(n, "release");
    if (n > this.#used) {
      throw new RangeError(`Cannot release ${n} bytes: only ${this.#used} are held`);
    }
    this.#used -= n;
  }

  /** A new, empty lease on this budget (one per scrape). */
  lease(): BudgetLease {
    return new BudgetLease(this);
  }
}

/**
 * One scrape's share of a {@linkcode MemoryBudget}: takes from it and remembers how much, so that
 * {@linkcode BudgetLease.release} gives back exactly that, once. A released lease takes nothing more.
 */
export class BudgetLease implements ByteBudget, Disposable {
  readonly #budget: MemoryBudget;
  #held = 0;
  #released = false;

  /** Creates an empty lease on `budget`; see {@linkcode MemoryBudget.lease}. */
  constructor(budget: MemoryBudget) {
    this.#budget = budget;
  }

  /** The cap of the whole budget. */
  get limit(): number {
    return this.#budget.limit;
  }

  /** Bytes this lease holds. */
  get held(): number {
    return this.#held;
  }

  /**
   * Takes `n` more bytes from the budget.
   * @returns `false`, taking nothing, when they do not fit, or when the lease was released.
   */
  take(n: number): boolean {
    if (this.#released || !this.#budget.take(n)) return false;
    this.#held += n;
    return true;
  }

  /** Gives back everything this lease holds; later calls do nothing. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    const n = this.#held;
    this.#held = 0;
    this.#budget.release(n);
  }

  /** Same as {@linkcode BudgetLease.release}, for `using`. */
  [Symbol.dispose](): void {
    this.release();
  }
}

/**
 * Runs `fn` with a new lease on `budget` and releases the lease when `fn` settles, whatever the outcome.
 * Without a budget, `fn` gets `undefined` (nothing is counted).
 *
 * @example
 * ```ts
 * import { MemoryBudget, withLease } from "./memory_budget.ts";
 * import assert from "node:assert/strict";
 * const budget = new MemoryBudget(1024);
 * await withLease(budget, (lease) => Promise.resolve(lease?.take(512)));
 * assert.equal(budget.used, 0);
 * ```
 */
export async function withLease<T>(
  budget: MemoryBudget | undefined,
  fn: (lease: BudgetLease | undefined) => Promise<T>,
): Promise<T> {
  if (budget === undefined) return await fn(undefined);
  using lease = budget.lease();
  return await fn(lease);
}

/**
 * Takes `n` bytes (an answer's) and holds them until `settled` settles, resolved or rejected (Deno.serve's
 * `info.completed`: the response was sent, or the client went away). Without `settled` the bytes must fit,
 * but are given back at once, since nothing says when they are sent.
 *
 * @returns `false`, holding nothing, when the bytes do not fit under the cap.
 */
export function holdUntil(budget: MemoryBudget, n: number, settled: Promise<unknown> | undefined): boolean {
  if (!budget.take(n)) return false;
  if (settled === undefined) {
    budget.release(n);
    return true;
  }
  const release = () => budget.release(n);
  settled.then(release, release);
  return true;
}

/**
 * Holds one request's answer of `bytes` bytes until it has been sent ({@linkcode holdUntil} with the
 * request's `info.completed`); `false` when it does not fit, and the scrape then answers `prom_exporter_up 0`.
 */
export type AnswerHold = (bytes: number) => boolean;

/** An {@linkcode AnswerHold} for a handler without a budget: every answer fits. */
export const NO_HOLD: AnswerHold = () => true;

/** The bytes of a buffered answer to hold: its Content-Length (every scrape answer has one), else 0. */
export function answerBytes(res: Response): number {
  const n = Number(res.headers.get("content-length"));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** The failure of a scrape whose answer of `bytes` bytes the budget refused. */
export function answerOverBudget(bytes: number, limit: number): UpstreamError {
  return new UpstreamError(
    "memory",
    `Cannot answer: the scrapes in flight hold the memory budget, no room for ${bytes} more bytes (--scrape.max-inflight-bytes ${limit})`,
  );
}

/** The name of the gauge {@linkcode registerBudgetMetric} registers. */
export const INFLIGHT_BYTES_METRIC = SELF_METRIC.inflightBytes;

/** Registers `prom_exporter_inflight_bytes` in `registry`, read from `budget` at every collection. */
export function registerBudgetMetric(registry: Registry, budget: MemoryBudget): void {
  new Gauge({
    name: INFLIGHT_BYTES_METRIC,
    help:
      "Bytes of upstream bodies and answers held by scrapes in flight (capped by --scrape.max-inflight-bytes).",
    registers: [registry],
    collect() {
      this.set(budget.used);
    },
  });
}

function checkBytes(n: number, what: string): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`Cannot ${what} ${n} bytes: must be a whole number >= 0`);
  }
}
