/**
 * From raw flag values to typed {@linkcode Flags}: environment fallbacks, the demo, defaults, and the checks of
 * each value (URLs, ports, counts, durations), each failing with a {@linkcode UsageError} naming the flag.
 *
 * @module
 */

import type { parseArgs } from "node:util";
import { MAX_DURATION_MS, parseDurationMs } from "../duration.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../log.ts";
import { redactUrl, resolveFileUrl } from "../url.ts";
import {
  type Command,
  COMMAND_FLAGS,
  DEFAULT_INFLIGHT_BODIES,
  DEFAULT_PORT,
  DEMO,
  DEMO_ENV_VAR,
  ENV_VARS,
  type Flags,
  MAX_BODY_BYTES,
  type OPTIONS,
  UsageError,
} from "./_flags.ts";

/** The values `parseArgs` returns for {@linkcode OPTIONS}. */
export type RawValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];

const MIB = 1024 * 1024;

/**
 * Turns the raw `parseArgs` values and the environment into validated {@linkcode Flags}.
 *
 * @throws {UsageError} For a flag the command does not take, a missing upstream, or a value out of range.
 */
export function toFlags(
  command: Command,
  v: RawValues,
  env: Readonly<Record<string, string | undefined>>,
): Flags {
  const fail = (message: string): never => {
    throw new UsageError(message, command);
  };
  const takes = new Set<string>(COMMAND_FLAGS[command]);
  for (const [name, value] of Object.entries(v)) {
    if (value !== undefined && name !== "help" && name !== "version" && !takes.has(name)) {
      fail(`Flag "--${name}" does not apply to "${command}"`);
    }
  }
  // The environment stands in for a flag only where the command takes that flag.
  const pick = (name: keyof typeof ENV_VARS, flag: string | undefined): string | undefined =>
    flag ?? (takes.has(name) ? nonEmpty(env[ENV_VARS[name]]) : undefined);

  let service = pick("service", v.service);
  let url = pick("url", v.url);
  let exclude = v.exclude ??
    (takes.has("exclude")
      ? nonEmpty(env[ENV_VARS.exclude])?.split(",").map((s) => s.trim()).filter(Boolean)
      : undefined) ??
    [];
  const configFile = pick("config.file", v["config.file"]);
  const demo = command === "start" && env[DEMO_ENV_VAR] === "1" && url === undefined &&
    configFile === undefined;
  if (demo) {
    url = DEMO.url;
    service ??= DEMO.service;
    if (exclude.length === 0) exclude = [...DEMO.exclude];
  }

  if (url !== undefined) checkUrl(url, fail);
  if (command === "start" || command === "once") {
    if (url === undefined && configFile === undefined) {
      fail(`Flag "--url" is required (or give "--config.file")`);
    }
  }
  if (command === "suggest" && url === undefined && v.input === undefined) {
    fail(`Flag "--url" is required for "suggest" (or give "--input")`);
  }
  if ((command === "check" || command === "explain") && configFile === undefined) {
    fail(`Flag "--config.file" is required for "${command}"`);
  }
  if (service !== undefined && service === "") fail(`Flag "--service" must not be empty`);

  const listen = parseListenAddress(
    pick("web.listen-address", v["web.listen-address"]) ?? `:${demo ? DEMO.port : DEFAULT_PORT}`,
    fail,
  );
  const portText = pick("port", v.port);
  if (portText !== undefined) listen.port = parsePort(portText, "--port", fail);

  const telemetryPath = v["web.telemetry-path"] ?? "/metrics";
  if (!telemetryPath.startsWith("/") || telemetryPath.startsWith("/-/") || telemetryPath === "/") {
    fail(
      `Flag "--web.telemetry-path" must start with "/" and not be "/" or under "/-/": current value is "${telemetryPath}"`,
    );
  }

  const logLevel = pick("log.level", v["log.level"]) ?? "info";
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    fail(`Flag "--log.level" must be one of ${LOG_LEVELS.join(", ")}: current value is "${logLevel}"`);
  }
  const logFormat = v["log.format"] ?? "logfmt";
  if (!(LOG_FORMATS as readonly string[]).includes(logFormat)) {
    fail(`Flag "--log.format" must be one of ${LOG_FORMATS.join(", ")}: current value is "${logFormat}"`);
  }

  const maxBodyBytes = parseCount(
    v["upstream.max-body-bytes"] ?? String(16 * MIB),
    "--upstream.max-body-bytes",
    fail,
    1,
    MAX_BODY_BYTES,
  );
  return {
    service,
    url,
    exclude,
    configFile,
    listenHost: listen.host,
    listenPort: listen.port,
    telemetryPath,
    webConfigFile: v["web.config.file"],
    maxRequests: parseCount(v["web.max-requests"] ?? "40", "--web.max-requests", fail),
    upstreamTimeoutMs: parsePositiveDuration(v["upstream.timeout"] ?? "10s", "--upstream.timeout", fail),
    maxBodyBytes,
    timeoutOffsetMs: parseDuration(v["scrape.timeout-offset"] ?? "0.5s", "--scrape.timeout-offset", fail),
    maxInflightBytes: v["scrape.max-inflight-bytes"] === undefined
      ? DEFAULT_INFLIGHT_BODIES * maxBodyBytes
      : parseCount(v["scrape.max-inflight-bytes"], "--scrape.max-inflight-bytes", fail),
    logLevel: logLevel as LogLevel,
    logFormat: logFormat as LogFormat,
    input: v.input,
    probeAllowAnyTarget: v["probe.allow-any-target"] ?? false,
    noMemo: v["scrape.no-memo"] ?? false,
    noRelay: v["scrape.no-relay"] ?? false,
    disableExporterMetrics: v["web.disable-exporter-metrics"] ?? false,
    metrics: v.metric ?? [],
    demo,
  };
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === "" ? undefined : s;
}

function checkUrl(url: string, fail: (m: string) => never): void {
  let parsed: URL;
  try {
    parsed = new URL(resolveFileUrl(url, "/"));
  } catch {
    return fail(`Flag "--url" is not a valid URL: current value is "${redactUrl(url)}"`);
  }
  if (!["http:", "https:", "file:"].includes(parsed.protocol)) {
    fail(`Flag "--url" must use http://, https:// or file://: current value is "${redactUrl(url)}"`);
  }
}

function parseListenAddress(addr: string, fail: (m: string) => never): { host: string; port: number } {
  const colon = addr.lastIndexOf(":");
  if (colon < 0) return fail(`Flag "--web.listen-address" must be [host]:port: current value is "${addr}"`);
  let host = addr.slice(0, colon);
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  return {
    host: host === "" ? "0.0.0.0" : host,
    port: parsePort(addr.slice(colon + 1), "--web.listen-address", fail),
  };
}

function parsePort(text: string, flag: string, fail: (m: string) => never): number {
  const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 65535)) {
    fail(`Flag "${flag}" needs a port from 0 to 65535: current value is "${text}"`);
  }
  return n;
}

function parseCount(
  text: string,
  flag: string,
  fail: (m: string) => never,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && Number.isSafeInteger(n))) {
    fail(`Flag "${flag}" needs a whole number >= ${min}: current value is "${text}"`);
  }
  if (n > max) fail(`Flag "${flag}" must be at most ${max}: current value is "${text}"`);
  return n;
}

function parseDuration(text: string, flag: string, fail: (m: string) => never): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    fail(`Flag "${flag}" needs a duration such as 10s or 500ms: current value is "${text}"`);
  }
  if ((ms as number) > MAX_DURATION_MS) {
    fail(`Flag "${flag}" must be at most 24d: current value is "${text}"`);
  }
  return ms as number;
}

function parsePositiveDuration(text: string, flag: string, fail: (m: string) => never): number {
  const ms = parseDuration(text, flag, fail);
  if (!(ms > 0)) fail(`Flag "${flag}" must be > 0: current value is "${text}"`);
  return ms;
}
