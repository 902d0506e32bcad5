/**
 * The status of the running exporter, as data: each target (name, URL without its secrets, static labels,
 * its last scrape from ./target_status.ts), the config file and its last reload, and each `/probe` module.
 * A URL, and every URL in an error message, goes through src/url.ts `displayUrl`: no `user:password@`, and
 * no value of a query key that looks secret (`token`, `key`, `password`...).
 * One {@linkcode statusData} feeds both the HTML page at `/` (./status_html.ts) and its JSON twin at
 * {@linkcode STATUS_API_PATH}, so the two cannot tell different stories. Times are ISO 8601 UTC strings.
 *
 * @module
 */

import { describeHttpOptions } from "../config/http_options.ts";
import { displayText, displayUrl } from "../url.ts";
import type { CompiledTarget } from "../scrape/mod.ts";
import type { ConfigHolder } from "./reload.ts";
import type { Runtime } from "./runtime.ts";
import type { ScrapeErrorView, TargetStatus } from "./target_status.ts";

/** The path of the JSON status (docs/OPERATIONS.md, "Status page"). */
export const STATUS_API_PATH = "/api/v1/status";

/** A target's state in one word: its last scrape succeeded, failed, or there was none yet. */
export type TargetHealth = "up" | "down" | "never scraped";

/** One static target on the status page. */
export interface TargetView {
  /** The target's name. */
  name: string;
  /** The upstream URL, credentials (`user:password@`, secret-looking query values) redacted. */
  url: string;
  /** The static labels, by name. */
  labels: Record<string, string>;
  /** A one-line description of the HTTP options, without secrets; `null` for the defaults. */
  http: string | null;
  /** `up`, `down` or `never scraped`. */
  health: TargetHealth;
  /** When the last scrape ended; `null` before the first. */
  lastScrape: string | null;
  /** How long the last scrape took, in seconds; `null` before the first. */
  durationSeconds: number | null;
  /** Samples the last good scrape decoded from the upstream; `null` when unknown or down. */
  seriesRead: number | null;
  /** Samples of the target in the last good answer; `null` when unknown or down. */
  seriesWritten: number | null;
  /** The last scrape's error; `null` when it succeeded or there was none. */
  lastError: ScrapeErrorView | null;
  /** When the last good scrape ended; `null` when there was none since the target was loaded. */
  lastSuccess: string | null;
  /** This target's answer alone, and the same with its debug trace. */
  links: { metrics: string; debug: string };
}

/** One `/probe` module on the status page. */
export interface ModuleView {
  /** The module's name, the `module` query parameter. */
  name: string;
  /** A one-line description of the HTTP options, without secrets; `null` for the defaults. */
  http: string | null;
}

/** The config file and its last reload. */
export interface ConfigView {
  /** `--config.file`; `null` when the exporter runs from flags alone. */
  file: string | null;
  /** When a config was last loaded successfully (the first load included); `null` before. */
  lastReload: string | null;
  /** Whether the last load or reload attempt succeeded (a failed one keeps the previous config serving). */
  lastReloadSuccessful: boolean;
  /** When the last load or reload was attempted; `null` before any. */
  lastAttempt: string | null;
  /** Why the last attempt failed; `null` when it succeeded. */
  lastError: string | null;
}

/** Everything the status page shows. */
export interface StatusData {
  /** The exporter's version. */
  version: string;
  /** When this status was taken. */
  generatedAt: string;
  /** The metrics path. */
  telemetryPath: string;
  /** The config file and its last reload. */
  config: ConfigView;
  /** The static targets, in config order. */
  targets: TargetView[];
  /** The `/probe` modules, in config order. */
  modules: ModuleView[];
}

/** What {@linkcode statusData} reads. */
export interface StatusSources {
  /** The current runtime. */
  runtime: Runtime;
  /** Each target's last scrape. */
  status: TargetStatus;
  /** The config holder, for the last reload; absent: the config was loaded once, at start. */
  holder?: ConfigHolder<unknown>;
  /** `--config.file`, if any. */
  configFile?: string;
  /** The exporter's version. */
  version: string;
  /** The metrics path. */
  telemetryPath: string;
  /** Now, in ms since the epoch. */
  nowMs: number;
}

/** Takes the status of the exporter as plain, JSON-ready data. */
export function statusData(s: StatusSources): StatusData {
  return {
    version: s.version,
    generatedAt: iso(s.nowMs),
    telemetryPath: s.telemetryPath,
    config: configView(s.holder, s.configFile),
    targets: s.runtime.targets.map((t) => targetView(t, s.status, s.telemetryPath)),
    modules: s.runtime.moduleTargets.map((t) => ({ name: t.config.name, http: httpText(t) })),
  };
}

/** The JSON answer of {@linkcode STATUS_API_PATH}. */
export function statusJson(data: StatusData): Response {
  return new Response(JSON.stringify(data, null, 2) + "\n", {
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

function targetView(t: CompiledTarget, status: TargetStatus, telemetryPath: string): TargetView {
  const { name } = t.config;
  const state = status.get(name);
  const metrics = `${telemetryPath}?target=${encodeURIComponent(name)}`;
  return {
    name,
    url: displayUrl(t.config.url),
    labels: { ...t.config.labels },
    http: httpText(t),
    health: state === undefined ? "never scraped" : state.up ? "up" : "down",
    lastScrape: state === undefined ? null : iso(state.lastScrapeMs),
    durationSeconds: state?.durationSeconds ?? null,
    seriesRead: state?.seriesRead ?? null,
    seriesWritten: state?.seriesWritten ?? null,
    lastError: state?.lastError == null
      ? null
      : { ...state.lastError, message: displayText(state.lastError.message) },
    lastSuccess: state?.lastSuccessMs == null ? null : iso(state.lastSuccessMs),
    links: { metrics, debug: `${metrics}&debug=true` },
  };
}

function httpText(t: CompiledTarget): string | null {
  return t.config.http ? describeHttpOptions(t.config.http) : null;
}

/**
 * The config file and its last reload, read from the holder's reload metrics: the page then shows exactly
 * what `prom_exporter_config_last_reload_successful` and its timestamp say.
 */
function configView(holder: ConfigHolder<unknown> | undefined, file: string | undefined): ConfigView {
  const none = { lastReload: null, lastReloadSuccessful: true, lastAttempt: null, lastError: null };
  if (holder === undefined) return { file: file ?? null, ...none };
  const attempt = holder.lastAttempt;
  const success = holder.lastSuccessMs;
  return {
    file: file ?? null,
    lastReload: success === undefined ? null : iso(success),
    lastReloadSuccessful: attempt?.error === undefined,
    lastAttempt: attempt === undefined ? null : iso(attempt.atMs),
    lastError: attempt?.error ?? null,
  };
}

/** A time as ISO 8601 UTC text. */
function iso(ms: number): string {
  return new Date(ms).toISOString();
}
