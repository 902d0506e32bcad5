/**
 * A reloadable config: {@linkcode ConfigHolder.reload} loads a new config through an injected loader; a bad
 * one is rejected and the old keeps serving. `prom_exporter_config_last_reload_successful` and
 * `prom_exporter_config_last_reload_success_timestamp_seconds` tell the story, as Prometheus's own
 * `prometheus_config_last_reload_*` do. Also the HTTP handlers of `/-/reload` and `/-/ready`, with
 * Prometheus's semantics: reload on POST or PUT, 405 on GET, 500 with the error on failure; ready (200) once
 * a config is loaded, 503 before.
 *
 * @module
 */

import type { Logger } from "../log.ts";
import { type MetricFamily, SELF_METRIC } from "../model.ts";

/** Names of the reload metrics, from the one table of our own metric names ({@linkcode SELF_METRIC}). */
export const RELOAD_METRIC = {
  successful: SELF_METRIC.reloadSuccessful,
  successTimestamp: SELF_METRIC.reloadSuccessTimestamp,
} as const;

/** The result of one reload. */
export type ReloadOutcome = { ok: true } | { ok: false; error: Error };

/** Options of {@linkcode ConfigHolder}. */
export interface ConfigHolderOptions<C> {
  /** Loads and validates the config (reads the file, compiles rules and clients); throws when it is bad. */
  load: () => Promise<C>;
  /**
   * Called once a new config has replaced the old one, e.g. to close the old config's HTTP clients after
   * the longest scrape deadline (scrapes in flight still use them).
   */
  onSwap?: (next: C, previous: C | undefined) => void;
  /** Logs each reload's outcome (not the first load: `main.ts` reports that itself). */
  log?: Logger;
  /** Wall clock in ms, for tests. @default {Date.now} */
  now?: () => number;
}

/** One load or reload attempt, as the status page shows it. */
export interface ReloadAttempt {
  /** When it ended, in ms since the epoch. */
  atMs: number;
  /** Why it failed; absent when it succeeded. */
  error?: string;
}

/** Holds the current config and reloads it; see the module doc. */
export class ConfigHolder<C> {
  readonly #options: ConfigHolderOptions<C>;
  #current: C | undefined;
  #lastOk = false;
  #lastSuccessMs: number | undefined;
  #lastAttempt: ReloadAttempt | undefined;
  #loads = 0;
  #queue: Promise<unknown> = Promise.resolve();

  /** Creates an empty holder; call {@linkcode ConfigHolder.reload} once to load the first config. */
  constructor(options: ConfigHolderOptions<C>) {
    this.#options = options;
  }

  /** The config in use, or `undefined` before the first successful load. */
  get current(): C | undefined {
    return this.#current;
  }

  /** The last load or reload attempt: when, and the error of a failed one; `undefined` before any. */
  get lastAttempt(): ReloadAttempt | undefined {
    return this.#lastAttempt;
  }

  /** When a config was last installed (the first load included); `undefined` before. */
  get lastSuccessMs(): number | undefined {
    return this.#lastSuccessMs;
  }

  /** Whether a config is loaded. */
  get ready(): boolean {
    return this.#current !== undefined;
  }

  /**
   * Installs a config loaded elsewhere (the first one, which `main.ts` loads itself to report its errors on
   * the command line) as if a reload had produced it.
   */
  adopt(config: C): void {
    this.#loads++;
    this.#install(config);
  }

  /**
   * Loads the config again. Reloads run one at a time, in order: one asked for during another starts after
   * it, so a file saved mid-reload is read. Never throws: a failure leaves the old config in place.
   */
  reload(): Promise<ReloadOutcome> {
    const next = this.#queue.then(() => this.#reloadNow());
    this.#queue = next.catch(() => {});
    return next;
  }

  async #reloadNow(): Promise<ReloadOutcome> {
    const { log } = this.#options;
    const first = this.#loads++ === 0;
    let config: C;
    try {
      config = await this.#options.load();
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.#lastOk = false;
      this.#lastAttempt = { atMs: (this.#options.now ?? Date.now)(), error: error.message };
      if (!first) log?.error("config reload failed", { err: error.message, kept: "previous config" });
      return { ok: false, error };
    }
    this.#install(config);
    if (!first) log?.info("config reloaded");
    return { ok: true };
  }

  #install(config: C): void {
    const previous = this.#current;
    this.#current = config;
    this.#lastOk = true;
    this.#lastSuccessMs = (this.#options.now ?? Date.now)();
    this.#lastAttempt = { atMs: this.#lastSuccessMs };
    try {
      this.#options.onSwap?.(config, previous);
    } catch (e) {
      // The new config serves already; a failing clean-up of the old one must not undo that.
      this.#options.log?.error("config swap clean-up failed", {
        err: e instanceof Error ? e.message : String(e),
      });
    }
  }

  /** The two reload metrics as model families, built per answer. */
  families(): MetricFamily[] {
    const out: MetricFamily[] = [{
      name: RELOAD_METRIC.successful,
      type: "gauge",
      help: "Whether the last configuration reload attempt was successful.",
      unit: "",
      samples: [{ name: RELOAD_METRIC.successful, labels: [], value: this.#lastOk ? 1 : 0 }],
    }];
    out.push({
      name: RELOAD_METRIC.successTimestamp,
      type: "gauge",
      help: "Timestamp of the last successful configuration reload.",
      unit: "seconds",
      samples: this.#lastSuccessMs === undefined ? [] : [{
        name: RELOAD_METRIC.successTimestamp,
        labels: [],
        value: Math.floor(this.#lastSuccessMs / 1000),
      }],
    });
    return out;
  }
}

const TEXT_PLAIN = { "content-type": "text/plain; charset=utf-8" };

/**
 * The `/-/reload` handler: POST or PUT reloads and answers 200, or 500 with the error (as Prometheus does);
 * any other method gets 405.
 */
export function reloadHandler<C>(holder: ConfigHolder<C>): (req: Request) => Promise<Response> {
  return async (req) => {
    if (req.method !== "POST" && req.method !== "PUT") {
      return new Response("Only POST or PUT requests allowed\n", {
        status: 405,
        headers: { ...TEXT_PLAIN, allow: "POST, PUT" },
      });
    }
    const outcome = await holder.reload();
    if (outcome.ok) return new Response("Reloaded\n", { status: 200, headers: TEXT_PLAIN });
    return new Response(`failed to reload config: ${outcome.error.message}\n`, {
      status: 500,
      headers: TEXT_PLAIN,
    });
  };
}

/** The `/-/ready` handler: 200 once a config is loaded, 503 before; GET and HEAD only. */
export function readyHandler<C>(holder: ConfigHolder<C>): (req: Request) => Response {
  return (req) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Method not allowed\n", {
        status: 405,
        headers: { ...TEXT_PLAIN, allow: "GET, HEAD" },
      });
    }
    return holder.ready
      ? new Response("Ready\n", { status: 200, headers: TEXT_PLAIN })
      : new Response("Service Unavailable\n", { status: 503, headers: TEXT_PLAIN });
  };
}
