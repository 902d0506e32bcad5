/**
 * Single-flight scrapes: concurrent scrapes of one key (a target, or a probe's module and URL) share one
 * upstream fetch, and every caller gets the same complete result object, never a half-built one. The shared
 * fetch runs while at least one caller still waits: a caller whose deadline passes or whose scraper
 * disconnects leaves alone, and the fetch is aborted only when the last caller has left.
 *
 * An opt-in `minIntervalMs` (per key; off by default, as the Prometheus guidance asks) serves the last good
 * result for at most that long without fetching; {@linkcode lastSuccessFamily} makes the age visible as
 * `prom_exporter_last_success_timestamp_seconds`.
 *
 * Make one instance per loaded config, so a reload never serves a result computed under the old rules.
 *
 * @module
 */

import { UpstreamError } from "../errors.ts";
import { type MetricFamily, type Sample, SELF_METRIC } from "../model.ts";
import type { ScrapeResult } from "./mod.ts";
import { redactUrl } from "../url.ts";
import { abortError } from "../upstream/mod.ts";

/** What one caller gets. */
export interface FlightResult<T> {
  /** The result; the same object for every caller of one flight: treat it as immutable. */
  value: T;
  /** True when served from the `minIntervalMs` cache without fetching. */
  fromCache: boolean;
  /** Milliseconds since the epoch when the result was produced. */
  atMs: number;
}

/** Options of {@linkcode SingleFlight.run}. */
export interface RunOptions<T> {
  /** The caller's signal (its deadline and its scraper's connection). */
  signal: AbortSignal;
  /** Serve the last good result younger than this without fetching; 0 or absent: never. */
  minIntervalMs?: number;
  /** Which results count as good (cached, and stamped as the last success). @default {() => true} */
  isGood?: (value: T) => boolean;
}

/** Options of the {@linkcode SingleFlight} constructor. */
export interface SingleFlightOptions {
  /** Wall clock in ms, for tests. @default {Date.now} */
  now?: () => number;
  /** Keys remembered for the cache and the last-success time; the oldest are forgotten first. @default {10000} */
  maxKeys?: number;
}

interface Flight<T> {
  promise: Promise<{ value: T; atMs: number }>;
  controller: AbortController;
  waiters: number;
}

/** Shares in-flight work per key; see the module doc. */
export class SingleFlight<T> {
  readonly #flights = new Map<string, Flight<T>>();
  /** The last good result per key: its time always, the value only for a key served with `minIntervalMs`. */
  readonly #good = new Map<string, { value: T | undefined; atMs: number }>();
  readonly #now: () => number;
  readonly #maxKeys: number;

  /** Creates an empty instance. */
  constructor(options: SingleFlightOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxKeys = options.maxKeys ?? 10_000;
  }

  /**
   * Runs `work` for `key`, or joins the run already in flight, or serves the cached good result.
   *
   * @param key What identifies the work (a target name; a probe's module and URL).
   * @param work The fetch; its signal aborts when every caller has left.
   * @param options The caller's signal and the cache policy.
   * @returns The shared result.
   * @throws The caller's `signal.reason` when the caller's signal aborts first; whatever `work` throws.
   */
  run(
    key: string,
    work: (signal: AbortSignal) => Promise<T>,
    options: RunOptions<T>,
  ): Promise<FlightResult<T>> {
    const { signal } = options;
    if (signal.aborted) return Promise.reject(signal.reason);
    const minInterval = options.minIntervalMs ?? 0;
    const good = this.#good.get(key);
    if (minInterval > 0 && good?.value !== undefined && this.#now() - good.atMs < minInterval) {
      return Promise.resolve({ value: good.value, fromCache: true, atMs: good.atMs });
    }
    let flight = this.#flights.get(key);
    if (flight === undefined) {
      // A result is kept only to be served again: without min_interval that is never, and a /probe result
      // (a whole scrape's families) kept for each of 10,000 targets would hold the heap for nothing.
      flight = this.#start(key, work, { isGood: options.isGood ?? (() => true), keep: minInterval > 0 });
    }
    flight.waiters++;
    const joined = flight;
    return new Promise<FlightResult<T>>((resolve, reject) => {
      const leave = () => {
        joined.waiters--;
        if (joined.waiters === 0) {
          if (this.#flights.get(key) === joined) this.#flights.delete(key);
          joined.controller.abort(signal.reason);
        }
        reject(signal.reason);
      };
      signal.addEventListener("abort", leave, { once: true });
      joined.promise.then(
        ({ value, atMs }) => resolve({ value, fromCache: false, atMs }),
        reject,
      ).finally(() => signal.removeEventListener("abort", leave));
    });
  }

  /** Milliseconds since the epoch of the last good result for `key`, if any. */
  lastSuccessMs(key: string): number | undefined {
    return this.#good.get(key)?.atMs;
  }

  #start(
    key: string,
    work: (signal: AbortSignal) => Promise<T>,
    policy: { isGood: (value: T) => boolean; keep: boolean },
  ): Flight<T> {
    const flight = { controller: new AbortController(), waiters: 0 } as Flight<T>;
    this.#flights.set(key, flight);
    flight.promise = this.#fly(key, flight, work, policy);
    // A flight every caller left still settles; nobody reads it, so its rejection is not unhandled.
    flight.promise.catch(() => {});
    return flight;
  }

  async #fly(
    key: string,
    flight: Flight<T>,
    work: (signal: AbortSignal) => Promise<T>,
    policy: { isGood: (value: T) => boolean; keep: boolean },
  ): Promise<{ value: T; atMs: number }> {
    try {
      const value = await work(flight.controller.signal);
      const atMs = this.#now();
      if (policy.isGood(value)) this.#remember(key, policy.keep ? value : undefined, atMs);
      return { value, atMs };
    } finally {
      if (this.#flights.get(key) === flight) this.#flights.delete(key);
    }
  }

  #remember(key: string, value: T | undefined, atMs: number): void {
    this.#good.delete(key);
    this.#good.set(key, { value, atMs });
    if (this.#good.size > this.#maxKeys) this.#good.delete(this.#good.keys().next().value as string);
  }
}

/** The name of the last-success gauge. */
export const LAST_SUCCESS_METRIC = SELF_METRIC.lastSuccess;

/**
 * Builds `prom_exporter_last_success_timestamp_seconds`, one series per target that has succeeded at least
 * once, fresh for each answer.
 *
 * @param entries Each target's static labels (flat) and its last success in ms since the epoch.
 */
export function lastSuccessFamily(
  entries: readonly { labels: readonly string[]; atMs: number | undefined }[],
): MetricFamily {
  const samples: Sample[] = [];
  for (const e of entries) {
    if (e.atMs !== undefined) {
      samples.push({ name: LAST_SUCCESS_METRIC, labels: [...e.labels], value: e.atMs / 1000 });
    }
  }
  return {
    name: LAST_SUCCESS_METRIC,
    type: "gauge",
    help:
      "Unix time of the last successful scrape of the upstream; with min_interval an answer can be this old.",
    unit: "seconds",
    samples,
  };
}

/**
 * Runs one target's scrape through a {@linkcode SingleFlight}. Never throws: a caller that leaves before the
 * shared fetch ends (its deadline, or its scraper went away) gets its own `timeout` failure.
 *
 * @param flight The current config's instance.
 * @param key The target's key.
 * @param work The scrape; it gets the shared signal.
 * @param options The caller's signal and the target's `min_interval`.
 */
export async function sharedScrape(
  flight: SingleFlight<ScrapeResult>,
  key: string,
  work: (signal: AbortSignal) => Promise<ScrapeResult>,
  options: { signal: AbortSignal; minIntervalMs?: number },
): Promise<ScrapeResult> {
  const started = performance.now();
  try {
    const got = await flight.run(key, work, { ...options, isGood: (r) => r.ok });
    return got.value;
  } catch (e) {
    const what = `Cannot scrape "${redactUrl(key)}"`;
    const error = options.signal.aborted
      ? abortError(options.signal, what, e)
      : new UpstreamError("internal", `${what}: ${(e as Error)?.message}`, { cause: e });
    return { ok: false, error, durationSeconds: (performance.now() - started) / 1000 };
  }
}
