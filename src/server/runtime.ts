/**
 * What one loaded configuration becomes: compiled targets (and `/probe` modules), a single-flight group of
 * its own, and the web config. `main.ts` holds the current one in a {@linkcode ConfigHolder} and swaps it on
 * reload; nothing here listens or reads signals.
 *
 * @module
 */

import type { Flags } from "../cli/mod.ts";
import { configFromFlags } from "../config/from_flags.ts";
import { loadConfigFile } from "../config/load.ts";
import type { ExporterConfig } from "../config/types.ts";
import type { ProbeModule } from "./probe.ts";
import { defaultHttpOptions } from "../config/http_options.ts";
import { compileAllowList } from "../config/allow.ts";
import {
  type CompiledTarget,
  compileTarget,
  type ScrapeResult,
  scrapeTarget,
  withMemo,
  withRelay,
  withSeriesCache,
} from "../scrape/mod.ts";
import { createUpstreamClient } from "../upstream/mod.ts";
import { SingleFlight } from "../scrape/singleflight.ts";
import { resolveFileUrl } from "../url.ts";
import { type LoadedWebConfig, loadWebConfig } from "../web/web_config.ts";

/** One loaded configuration, ready to serve. */
export interface Runtime {
  /** Static targets, served on the telemetry path. */
  readonly targets: readonly CompiledTarget[];
  /** `/probe` modules by name. */
  readonly modules: ReadonlyMap<string, ProbeModule>;
  /** The modules' compiled targets (for the landing page and to close their clients). */
  readonly moduleTargets: readonly CompiledTarget[];
  /** Shares concurrent scrapes of one target; one per loaded config, so a reload never serves old rules. */
  readonly flight: SingleFlight<ScrapeResult>;
  /** `--web.config.file`, when given. */
  readonly web?: LoadedWebConfig;
}

/**
 * A runtime of static targets only: no `/probe` modules, no web config, a single-flight group of its own.
 * For tests and benchmarks that serve compiled targets without a config file.
 *
 * @example
 * ```ts ignore
 * const runtime = staticRuntime([target]);
 * const handler = createHandler({ runtime: () => runtime, self, log, version: "0.1.0" });
 * ```
 */
export function staticRuntime(targets: readonly CompiledTarget[]): Runtime {
  return { targets, modules: new Map(), moduleTargets: [], flight: new SingleFlight<ScrapeResult>() };
}

/**
 * Reads the configuration the flags name: a config file (the seed flags merged as docs/CONFIG.md says) or
 * the seed flags alone.
 *
 * @throws {ConfigError} For every problem of the file, each with its line.
 */
export function loadExporterConfig(flags: Flags, cwd: string): Promise<ExporterConfig> {
  if (flags.configFile !== undefined) return loadConfigFile(flags.configFile, flags, cwd);
  return Promise.resolve(configFromFlags(flags, resolveFileUrl(flags.url as string, cwd), cwd));
}

/**
 * Loads and compiles everything a server needs; throws on any problem so a reload can keep the old one.
 *
 * @throws {ConfigError} For a bad config or web config file.
 */
export async function loadRuntime(flags: Flags, cwd: string): Promise<Runtime> {
  const config = await loadExporterConfig(flags, cwd);
  const web = flags.webConfigFile === undefined ? undefined : await loadWebConfig(flags.webConfigFile);
  const context = { baseDir: config.baseDir };
  const targets: CompiledTarget[] = [];
  const modules = new Map<string, ProbeModule>();
  const moduleTargets: CompiledTarget[] = [];
  const runtime: Runtime = { targets, modules, moduleTargets, flight: new SingleFlight<ScrapeResult>(), web };
  try {
    await compileAll(config, context, flags, { targets, modules, moduleTargets });
  } catch (e) {
    // A client that cannot be built (a missing CA file) fails the load: close the ones built before it, or
    // every failed reload would leak them.
    closeRuntime(runtime);
    throw e;
  }
  return runtime;
}

/** Compiles the config's targets and modules into `runtime`'s lists, client by client. */
async function compileAll(
  config: ExporterConfig,
  context: { baseDir: string },
  flags: Flags,
  { targets, modules, moduleTargets }: {
    targets: CompiledTarget[];
    modules: Map<string, ProbeModule>;
    moduleTargets: CompiledTarget[];
  },
): Promise<void> {
  for (const t of config.targets) {
    // Static targets are scraped over and over: the series cache keeps what the rules made of each series,
    // and the memo does their rule work once per upstream shape.
    const compiled = withSeriesCache(compileTarget(t));
    if (!flags.noMemo) withMemo(compiled);
    // A text body that misses the memo is written from its bytes (src/relay), when the rules allow.
    if (!flags.noRelay) withRelay(compiled);
    if (!t.url.startsWith("file:")) {
      compiled.client = await createUpstreamClient(t.http ?? defaultHttpOptions(), context);
    }
    targets.push(compiled);
  }
  for (const m of config.modules) {
    // Every module gets a client, default options included: it pins each hop to the address the allow-list
    // check resolved, so a DNS answer that changes between check and connect cannot reach another host.
    const http = m.target.http ?? defaultHttpOptions();
    const target: CompiledTarget = {
      ...compileTarget(m.target),
      client: await createUpstreamClient(http, context),
    };
    moduleTargets.push(target);
    modules.set(m.name, {
      allow: m.allowedTargets === undefined ? null : compileAllowList(m.allowedTargets),
      unixSocket: http.unixSocket !== undefined,
      timeoutMs: m.target.timeoutMs,
      minIntervalMs: m.target.minIntervalMs,
      scrape: (url, options) => scrapeTarget(target, { ...options, url }),
    });
  }
}

/** Releases a runtime's HTTP clients (after the scrapes that still use them have ended). */
export function closeRuntime(runtime: Runtime): void {
  for (const t of runtime.targets) t.client?.close();
  for (const t of runtime.moduleTargets) t.client?.close();
}

/** The longest scrape deadline of a runtime, in ms: how long a graceful shutdown waits for scrapes. */
export function longestTimeoutMs(runtime: Runtime): number {
  let max = 0;
  for (const t of runtime.targets) max = Math.max(max, t.config.timeoutMs);
  for (const m of runtime.modules.values()) max = Math.max(max, m.timeoutMs);
  return max;
}
