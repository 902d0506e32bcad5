/**
 * prom-exporter's entry point and composition root: the only module that reads `Deno.args` and `Deno.env`,
 * handles signals and exits.
 *
 * @module
 */

import {
  type Command,
  DEMO,
  DEMO_ENV_VAR,
  ENV_VARS,
  type Flags,
  helpText,
  parseCommandLine,
  USAGE,
  UsageError,
} from "./src/cli/mod.ts";
import { indistinctTargets } from "./src/config/lint.ts";
import { ConfigError, ParseError, UpstreamError } from "./src/errors.ts";
import { explainBody } from "./src/explain.ts";
import { fetchForSuggest, suggestConfig } from "./src/suggest/mod.ts";
import { decodeBody, tracingDecoder } from "./src/formats/mod.ts";
import { documentText } from "./src/exposition/respond.ts";
import { SelfMetrics } from "./src/exposition/self_metrics.ts";
import { createLogger, type Logger } from "./src/log.ts";
import { MemoryBudget, registerBudgetMetric } from "./src/upstream/memory_budget.ts";
import { asUpstreamError, type CompiledTarget, fetchBody, scrapeTarget } from "./src/scrape/mod.ts";
import { createHandler } from "./src/server/mod.ts";
import { buildAnswer, targetPolicy, targetSource } from "./src/server/answer.ts";
import type { UpstreamBody } from "./src/upstream/mod.ts";
import { ConfigHolder } from "./src/server/reload.ts";
import { closeRuntime, loadRuntime, longestTimeoutMs, type Runtime } from "./src/server/runtime.ts";
import { SHUTDOWN_MARGIN_MS, shutdownGracefully } from "./src/server/shutdown.ts";
import { resolveFileUrl } from "./src/url.ts";
import { VERSION } from "./src/version.ts";
import { withWebSecurity } from "./src/web/guard.ts";

/** A runtime's static targets. */
type Targets = readonly CompiledTarget[];

/** Where `run` writes and what it may listen for; tests pass their own. */
export interface RunIO {
  /** Environment values by name. */
  env: Readonly<Record<string, string | undefined>>;
  /** Standard output. */
  stdout: (text: string) => void;
  /** Standard error (logs go here). */
  stderr: (text: string) => void;
  /** Stops a running server gracefully, like SIGTERM. */
  signal?: AbortSignal;
  /** Subscribes to reload requests (SIGHUP in the real process); returns an unsubscribe function. */
  onReloadSignal?: (reload: () => void) => () => void;
  /** Called once the server listens, with its real port. */
  onListen?: (addr: { hostname: string; port: number }) => void;
  /** The working directory, for relative file URLs. */
  cwd: string;
}

/**
 * Runs one command line and returns the exit code: 0 success, 1 a failed scrape or invalid config, 2 a bad
 * command line.
 */
export async function run(args: readonly string[], io: RunIO): Promise<number> {
  let invocation;
  try {
    invocation = parseCommandLine(args, io.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(`prom-exporter: ${e.message}\n${hint(e.command)}\n`);
    return 2;
  }
  if (invocation.kind === "help") {
    io.stdout(helpText(invocation.command) + "\n");
    return 0;
  }
  if (invocation.kind === "version") {
    io.stdout(`prom-exporter ${VERSION} (deno ${Deno.version.deno})\n`);
    return 0;
  }
  const { command, flags } = invocation;
  const log = createLogger({
    level: flags.logLevel,
    format: flags.logFormat,
    write: (l) => io.stderr(l + "\n"),
  });
  if (flags.demo) {
    log.info("serving the demo upstream: deno task start was given no -u or --config.file", {
      url: DEMO.url,
      service: flags.service,
    });
  }
  const input = await readInput(flags, io.cwd);
  if (typeof input === "string") {
    io.stderr(`prom-exporter: ${input}\n`);
    return 1;
  }
  if (command === "suggest") return await suggest(flags, io, input);
  let runtime: Runtime;
  try {
    runtime = await loadRuntime(flags, io.cwd);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
      // A permission Deno was not given (e.g. --allow-env for the yaml library): one line, not a stack trace.
      io.stderr(`prom-exporter: Cannot load the configuration: ${e.message}\n`);
      return 1;
    }
    if (!(e instanceof ConfigError) && !(e instanceof SyntaxError) && !(e instanceof RangeError)) throw e;
    io.stderr(`prom-exporter: ${e.message}\n`);
    return 1;
  }
  const { targets } = runtime;
  if (command === "start") return await serve(runtime, flags, io, log);
  try {
    if (command === "check") {
      for (const w of indistinctTargets(targets.map((t) => t.config))) io.stderr(`warning: ${w}\n`);
      io.stdout(
        `Config "${flags.configFile}" is valid: ${targets.length} target(s), ${runtime.modules.size} module(s)\n`,
      );
      return input === undefined ? 0 : checkInput(targets, flags.input as string, input, io);
    }
    const commandRun = { targets, flags, body: input, io, log };
    return command === "explain" ? await explain(commandRun) : await once(commandRun);
  } finally {
    closeRuntime(runtime);
  }
}

function hint(command?: Command): string {
  return command ? `Usage: ${USAGE[command]}\nRun 'prom-exporter ${command} --help' for more.` : helpText();
}

/**
 * The saved upstream body of `--input`, if given, capped like a fetched one (`--upstream.max-body-bytes`); a
 * file that cannot be read is a one-line message naming it and why, not a stack trace.
 */
async function readInput(flags: Flags, cwd: string): Promise<UpstreamBody | undefined | string> {
  if (flags.input === undefined) return undefined;
  const path = flags.input.startsWith("/") ? flags.input : `${cwd}/${flags.input}`;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return `Cannot read "${flags.input}": not a file`;
    if (info.size > flags.maxBodyBytes) {
      return `Cannot read "${flags.input}": ${info.size} bytes, more than --upstream.max-body-bytes ${flags.maxBodyBytes}`;
    }
    return { bytes: await Deno.readFile(path), contentType: null };
  } catch (e) {
    if (!(e instanceof Error) || !(e.name in Deno.errors)) throw e;
    return `Cannot read "${flags.input}": ${e.message}`;
  }
}

/**
 * `check --input FILE`: decodes the saved body for every target, with a warning per JSON entry that read
 * nothing from it (exit 0), or the reason it cannot be decoded at all (exit 1).
 */
function checkInput(targets: Targets, input: string, body: UpstreamBody, io: RunIO): number {
  let failed = false;
  for (const t of targets) {
    const warnings: string[] = [];
    try {
      const { families } = decodeBody(tracingDecoder(t.decoder, warnings), body);
      for (const w of warnings) io.stderr(`warning: target "${t.config.name}": ${w}\n`);
      io.stdout(
        `Input "${input}" decoded for target "${t.config.name}": ${families.length} families, ${warnings.length} warnings\n`,
      );
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      failed = true;
      io.stderr(`prom-exporter: target "${t.config.name}": Cannot decode "${input}": ${e.message}\n`);
    }
  }
  return failed ? 1 : 0;
}

/** `suggest`: fetches the upstream (or reads `--input`) once and prints a commented first config. */
async function suggest(flags: Flags, io: RunIO, input: UpstreamBody | undefined): Promise<number> {
  const url = flags.url === undefined ? undefined : resolveFileUrl(flags.url, io.cwd);
  try {
    const body = input ?? await fetchForSuggest(url as string, flags.upstreamTimeoutMs, flags.maxBodyBytes);
    io.stdout(suggestConfig(body, { url: flags.url, service: flags.service, input: flags.input }));
    return 0;
  } catch (e) {
    if (!(e instanceof ParseError) && !(e instanceof UpstreamError)) throw e;
    io.stderr(`prom-exporter: Cannot suggest a config: ${e.message}\n`);
    return 1;
  }
}

/** What `once` and `explain` work on: the loaded targets, the flags, the `--input` body, the output, the log. */
interface CommandRun {
  targets: Targets;
  flags: Flags;
  body: UpstreamBody | undefined;
  io: RunIO;
  log: Logger;
}

async function explain({ targets, flags, body, io, log }: CommandRun): Promise<number> {
  let failed = false;
  for (const t of targets) {
    try {
      const fetched = await fetchBody(t, { signal: AbortSignal.timeout(t.config.timeoutMs), body });
      io.stdout(explainBody(t, fetched, { metrics: flags.metrics }).text);
    } catch (e) {
      const err = asUpstreamError(e);
      failed = true;
      log.error("scrape failed", { target: t.config.name, reason: err.reason, err: err.message });
    }
  }
  return failed ? 1 : 0;
}

/** `once`: scrapes every target and writes the answer `/metrics` would give, as text, built the same way. */
async function once({ targets, flags, body, io, log }: CommandRun): Promise<number> {
  const self = new SelfMetrics({
    version: VERSION,
    targets: targets.map((t) => t.config.name),
    exporterMetrics: !flags.disableExporterMetrics,
  });
  const results = await Promise.all(
    targets.map((t) => scrapeTarget(t, { signal: AbortSignal.timeout(t.config.timeoutMs), body })),
  );
  let failed = false;
  const policy = targetPolicy({
    self,
    log,
    logged: new Set(),
    onFailure: (s, r) => {
      failed = true;
      log.error("scrape failed", { target: s.name, reason: r.error.reason, err: r.error.message });
    },
  });
  const job = { sources: targets.map(targetSource), results, policy, format: "text" } as const;
  const { answer } = await buildAnswer(job, documentText);
  io.stdout(answer);
  return failed ? 1 : 0;
}

async function serve(initial: Runtime, flags: Flags, io: RunIO, log: Logger): Promise<number> {
  const self = new SelfMetrics({
    version: VERSION,
    targets: initial.targets.map((t) => t.config.name),
    exporterMetrics: !flags.disableExporterMetrics,
  });
  // One memory budget for the process: every scrape's body and answer is held within it.
  const budget = new MemoryBudget(flags.maxInflightBytes);
  registerBudgetMetric(self.registry, budget);
  let guarded: (req: Request, info: Deno.ServeHandlerInfo) => Promise<Response>;
  const holder = new ConfigHolder<Runtime>({
    load: () => loadRuntime(flags, io.cwd),
    onSwap: (next, previous) => {
      self.addTargets(next.targets.map((t) => t.config.name));
      self.addModules(next.modules.keys());
      guarded = next.web === undefined ? handler : withWebSecurity<Deno.ServeHandlerInfo>(next.web, handler);
      // Scrapes still in flight use the old clients: close them once the longest deadline has passed.
      if (previous !== undefined) {
        const timer = setTimeout(
          () => closeRuntime(previous),
          longestTimeoutMs(previous) + SHUTDOWN_MARGIN_MS,
        );
        Deno.unrefTimer(timer);
      }
    },
    log,
  });
  const current = () => holder.current as Runtime;
  const handler = createHandler({
    runtime: current,
    holder: holder as ConfigHolder<unknown>,
    allowAnyTarget: flags.probeAllowAnyTarget,
    self,
    log,
    version: VERSION,
    configFile: flags.configFile,
    telemetryPath: flags.telemetryPath,
    timeoutOffsetMs: flags.timeoutOffsetMs,
    maxRequests: flags.maxRequests,
    budget,
  });
  holder.adopt(initial);
  // A promise rejection nobody handled must not end the process: log it, count it, keep serving.
  const onUnhandled = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    self.countUnhandled();
    log.error("unhandled promise rejection", { err: String(e.reason) });
  };
  globalThis.addEventListener("unhandledrejection", onUnhandled);
  const unsubscribe = io.onReloadSignal?.(() => void holder.reload());
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: flags.listenHost,
      port: flags.listenPort,
      // TLS settings are read once: a changed certificate or key takes a restart (docs/WEB_CONFIG.md).
      ...initial.web?.tlsOptions,
      onListen: ({ hostname, port }) => {
        log.info("listening", {
          address: `${hostname}:${port}`,
          telemetry_path: flags.telemetryPath,
          version: VERSION,
        });
        io.onListen?.({ hostname, port });
      },
      onError: (e) => {
        log.error("request failed", { err: String(e) });
        return new Response("Internal server error\n", { status: 500 });
      },
    }, (req, info) => guarded(req, info));
  } catch (e) {
    unsubscribe?.();
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
    io.stderr(
      `prom-exporter: Cannot listen on "${flags.listenHost}:${flags.listenPort}": ${(e as Error).message}\n`,
    );
    return 1;
  }
  // Deno.serve's listener can stop on its own: when accept() fails with EMFILE (more connections than the
  // file-descriptor limit), `server.finished` rejects and the port stays closed for good. Exit 1 then, so a
  // supervisor restarts the process, rather than stay alive refusing every connection (docs/RELIABILITY.md).
  const died = server.finished.then(
    () => undefined,
    (e: unknown) => e ?? new Error("the HTTP server stopped"),
  );
  const end = (code: number) => {
    closeRuntime(current());
    unsubscribe?.();
    globalThis.removeEventListener("unhandledrejection", onUnhandled);
    return code;
  };
  if (io.signal) {
    const stopped = new Promise<"stop">((resolve) => {
      if (io.signal?.aborted) resolve("stop");
      io.signal?.addEventListener("abort", () => resolve("stop"), { once: true });
    });
    const first = await Promise.race([stopped, died.then((e) => e ?? new Error("the HTTP server stopped"))]);
    if (first !== "stop") {
      log.error("server stopped unexpectedly", { err: String(first) });
      return end(1);
    }
    // Stop accepting; scrapes in flight finish within their deadline, plus a margin.
    const outcome = await shutdownGracefully(server, longestTimeoutMs(current()) + SHUTDOWN_MARGIN_MS);
    log.info("stopped", { shutdown: outcome });
  }
  const err = await died;
  if (err !== undefined && !io.signal?.aborted) {
    log.error("server stopped unexpectedly", { err: String(err) });
    return end(1);
  }
  return end(0);
}

/**
 * Reads only the environment variables the CLI documents, so `--allow-env` can name them. A variable Deno
 * may not read is skipped without asking: `Deno.env.get` would prompt on a terminal (and throw `NotCapable`
 * without one), and a missing environment default is no reason to stop.
 */
function readEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of [...Object.values(ENV_VARS), DEMO_ENV_VAR]) {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") continue;
    try {
      env[name] = Deno.env.get(name);
    } catch {
      // Granted a moment ago; nothing to add if that changed.
    }
  }
  return env;
}

/** Writes all bytes; a single writeSync may write only part of a large exposition. */
function writeAll(file: { writeSync(p: Uint8Array): number }, bytes: Uint8Array): void {
  for (let at = 0; at < bytes.byteLength;) at += file.writeSync(bytes.subarray(at));
}

if (import.meta.main) {
  const stop = new AbortController();
  for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, () => stop.abort());
  const enc = new TextEncoder();
  const code = await run(Deno.args, {
    env: readEnv(),
    onReloadSignal: (reload) => {
      Deno.addSignalListener("SIGHUP", reload);
      return () => Deno.removeSignalListener("SIGHUP", reload);
    },
    stdout: (t) => writeAll(Deno.stdout, enc.encode(t)),
    stderr: (t) => writeAll(Deno.stderr, enc.encode(t)),
    signal: stop.signal,
    cwd: Deno.cwd(),
  });
  Deno.exit(code);
}
