/**
 * Command-line parsing: pure functions from argument and environment lists to typed {@linkcode Flags}.
 * Nothing here reads `Deno.args` or `Deno.env`; `main.ts` passes them in.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { redactUrl, resolveFileUrl } from "../url.ts";

/** The subcommands. */
export const COMMANDS = ["start", "once", "check", "explain"] as const;

/** One of {@linkcode COMMANDS}. */
export type Command = typeof COMMANDS[number];

/** Log levels, most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Log line formats. */
export const LOG_FORMATS = ["logfmt", "json"] as const;

/** A log format. */
export type LogFormat = typeof LOG_FORMATS[number];

/** Parsed, validated flags. Durations are in milliseconds, sizes in bytes. */
export interface Flags {
  /** `-s/--service`: the seed's service label value. */
  service?: string;
  /** `-u/--url`: the upstream URL (http, https or file). */
  url?: string;
  /** `-e/--exclude`: upstream names to drop (repeatable). */
  exclude: string[];
  /** `--config.file`: a YAML or JSON config file. */
  configFile?: string;
  /** `--web.listen-address`: host and port, e.g. `:9999` or `127.0.0.1:0`. */
  listenHost: string;
  /** The port part of the listen address (`-p` overrides it). */
  listenPort: number;
  /** `--web.telemetry-path`. */
  telemetryPath: string;
  /** `--web.config.file`: TLS and basic auth for the exporter's own endpoint. */
  webConfigFile?: string;
  /** `--web.max-requests`: in-flight scrape cap; 0 means no cap. */
  maxRequests: number;
  /** `--upstream.timeout`: the cap on one upstream fetch, in ms. */
  upstreamTimeoutMs: number;
  /** `--upstream.max-body-bytes`: the cap on the decompressed upstream body. */
  maxBodyBytes: number;
  /** `--scrape.timeout-offset`: subtracted from Prometheus's scrape timeout header, in ms. */
  timeoutOffsetMs: number;
  /** `--scrape.max-inflight-bytes`: cap on the bytes of bodies and answers held by scrapes in flight; 0: none. */
  maxInflightBytes: number;
  /** `--log.level`. */
  logLevel: LogLevel;
  /** `--log.format`. */
  logFormat: LogFormat;
  /** `--input`: a saved upstream body for `once` and `explain`. */
  input?: string;
  /** `--probe.allow-any-target`: modules without `allowed_targets` may probe any non-link-local target. */
  probeAllowAnyTarget: boolean;
  /** `--scrape.no-memo`: no scrape memo, every scrape decodes its body (the memo's kill switch). */
  noMemo: boolean;
  /** `--web.disable-exporter-metrics`: leave out the process metrics and build info (node_exporter's flag). */
  disableExporterMetrics: boolean;
  /** `--metric`: `explain` only the upstream metrics matching these globs; empty means all. */
  metrics: string[];
  /** `start` serves {@linkcode DEMO}: `deno task start` was given no upstream. */
  demo: boolean;
}

/** What the command line asks for. */
export type Invocation =
  | { kind: "help"; command?: Command }
  | { kind: "version" }
  | { kind: "run"; command: Command; flags: Flags };

/** A command line that cannot be used; `main.ts` prints it with the usage hint and exits 2. */
export class UsageError extends Error {
  /** The subcommand the error belongs to, for the usage hint. */
  readonly command?: Command;

  /** Creates a usage error; the message names the flag and what was wrong. */
  constructor(message: string, command?: Command) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

/** Environment variables read for flags, by flag name; repeatable flags take comma-separated values. */
export const ENV_VARS = {
  service: "PROM_EXPORTER_SERVICE",
  url: "PROM_EXPORTER_URL",
  port: "PROM_EXPORTER_PORT",
  exclude: "PROM_EXPORTER_EXCLUDE",
  "config.file": "PROM_EXPORTER_CONFIG_FILE",
  "web.listen-address": "PROM_EXPORTER_WEB_LISTEN_ADDRESS",
  "log.level": "PROM_EXPORTER_LOG_LEVEL",
} as const;

/**
 * Every flag, as `node:util` `parseArgs` takes them. {@linkcode COMMAND_FLAGS} says which command takes which;
 * the README's flag table is checked against this list.
 */
export const OPTIONS = {
  service: { type: "string", short: "s" },
  url: { type: "string", short: "u" },
  port: { type: "string", short: "p" },
  exclude: { type: "string", short: "e", multiple: true },
  "config.file": { type: "string" },
  "web.listen-address": { type: "string" },
  "web.telemetry-path": { type: "string" },
  "web.config.file": { type: "string" },
  "web.max-requests": { type: "string" },
  "upstream.timeout": { type: "string" },
  "upstream.max-body-bytes": { type: "string" },
  "scrape.timeout-offset": { type: "string" },
  "scrape.max-inflight-bytes": { type: "string" },
  "log.level": { type: "string" },
  "log.format": { type: "string" },
  input: { type: "string" },
  "probe.allow-any-target": { type: "boolean" },
  "scrape.no-memo": { type: "boolean" },
  "web.disable-exporter-metrics": { type: "boolean" },
  metric: { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** A flag's long name without the dashes; `--help` and `--version` go with every command and are not one. */
export type FlagName = Exclude<keyof typeof OPTIONS, "help" | "version">;

const LOG_FLAGS = ["log.level", "log.format"] as const satisfies readonly FlagName[];

/**
 * The flags each command takes. A flag of another command is an error naming it (it would do nothing), and
 * its environment variable is not read.
 */
export const COMMAND_FLAGS: Record<Command, readonly FlagName[]> = {
  start: [
    "service",
    "url",
    "port",
    "exclude",
    "config.file",
    "web.listen-address",
    "web.telemetry-path",
    "web.config.file",
    "web.max-requests",
    "upstream.timeout",
    "upstream.max-body-bytes",
    "scrape.timeout-offset",
    "scrape.max-inflight-bytes",
    ...LOG_FLAGS,
    "probe.allow-any-target",
    "scrape.no-memo",
    "web.disable-exporter-metrics",
  ],
  once: [
    "service",
    "url",
    "exclude",
    "config.file",
    "upstream.timeout",
    "upstream.max-body-bytes",
    ...LOG_FLAGS,
    "input",
    "web.disable-exporter-metrics",
  ],
  // check also loads --web.config.file when given, so a web config is validated before it is deployed.
  check: ["config.file", "web.config.file", "input", ...LOG_FLAGS],
  explain: ["config.file", "input", "metric", ...LOG_FLAGS],
};

/**
 * The default of `--scrape.max-inflight-bytes`, in bodies of `--upstream.max-body-bytes`: room for two of the
 * largest bodies at once (32 MiB with the 16 MiB default), so that the decoding they do fits a 256 MiB V8 heap
 * (docs/DESIGN.md, "Memory bounded by design"), and raising the body cap raises this one with it.
 */
export const DEFAULT_INFLIGHT_BODIES = 2;

/** `[synopsis, meaning]` of each flag for `--help`; `input` means something else for `check`. */
const FLAG_HELP: Record<FlagName, readonly [string, string]> = {
  service: ["-s, --service NAME", "value of the service label on every sample ($PROM_EXPORTER_SERVICE)"],
  url: ["-u, --url URL", "upstream URL: http://, https:// or file:// ($PROM_EXPORTER_URL)"],
  port: ["-p, --port PORT", "listen port, sets the port of --web.listen-address ($PROM_EXPORTER_PORT)"],
  exclude: [
    "-e, --exclude NAME",
    "drop this upstream name; repeatable ($PROM_EXPORTER_EXCLUDE, comma-separated)",
  ],
  "config.file": [
    "--config.file FILE",
    "YAML or JSON config with targets and rules ($PROM_EXPORTER_CONFIG_FILE)",
  ],
  "web.listen-address": ["--web.listen-address ADDR", "[host]:port to listen on (default :9999)"],
  "web.telemetry-path": ["--web.telemetry-path PATH", "path of the metrics endpoint (default /metrics)"],
  "web.config.file": ["--web.config.file FILE", "TLS and basic auth, exporter-toolkit format"],
  "web.max-requests": [
    "--web.max-requests N",
    "in-flight scrapes before answering 503; 0 = no cap (default 40)",
  ],
  "upstream.timeout": ["--upstream.timeout DUR", "cap on one upstream fetch, e.g. 10s (default 10s)"],
  "upstream.max-body-bytes": [
    "--upstream.max-body-bytes N",
    "cap on the decompressed upstream body (default 16777216)",
  ],
  "scrape.timeout-offset": [
    "--scrape.timeout-offset DUR",
    "subtracted from X-Prometheus-Scrape-Timeout-Seconds (default 0.5s)",
  ],
  "scrape.max-inflight-bytes": [
    "--scrape.max-inflight-bytes N",
    "bytes of upstream bodies and answers all scrapes in flight may hold; 0 = no cap (default: twice --upstream.max-body-bytes)",
  ],
  "log.level": ["--log.level LEVEL", "debug, info, warn or error (default info)"],
  "log.format": ["--log.format FORMAT", "logfmt or json (default logfmt)"],
  input: ["--input FILE", "read this saved upstream body instead of fetching"],
  "probe.allow-any-target": [
    "--probe.allow-any-target",
    "/probe modules without allowed_targets may probe any target (never link-local or metadata addresses)",
  ],
  "scrape.no-memo": [
    "--scrape.no-memo",
    "no scrape memo: decode every body (the series cache still skips known lines)",
  ],
  "web.disable-exporter-metrics": [
    "--web.disable-exporter-metrics",
    "leave out the exporter's process_* metrics and prom_exporter_build_info",
  ],
  metric: ["--metric NAME", "explain only the upstream metrics matching this glob; repeatable"],
};

/** What a flag means where it differs for `check`, which reads and validates instead of scraping. */
const CHECK_HELP: Partial<Record<FlagName, string>> = {
  "web.config.file": "also validate this web config (TLS and basic auth, exporter-toolkit format)",
  input: "also match the JSON entries against this saved upstream body (warns when one selects nothing)",
};

const DEFAULT_PORT = 9999;
const MIB = 1024 * 1024;

/**
 * The demo that `deno task start` serves when it is given no upstream (README's first command): the seed's
 * JSON file, the seed's flags, the default port. A flag or environment variable wins over each part.
 */
export const DEMO = {
  service: "foo",
  url: "file://examples/seed.json",
  exclude: ["exclude_me"],
  port: DEFAULT_PORT,
} as const;

/**
 * Set to `1` by `deno task start` only: `start` then serves {@linkcode DEMO} when neither the command line
 * nor the environment names an upstream (`-u`, `--config.file`, `$PROM_EXPORTER_URL`,
 * `$PROM_EXPORTER_CONFIG_FILE`), and does exactly what it is told otherwise.
 */
export const DEMO_ENV_VAR = "PROM_EXPORTER_DEMO";

/** One line of usage per subcommand, for `--help` and the hint after an error. */
export const USAGE: Record<Command, string> = {
  start: "prom-exporter start (-u URL [-s SERVICE] [-e NAME]... | --config.file FILE) [-p PORT] [flags]",
  once: "prom-exporter once (-u URL [-s SERVICE] [-e NAME]... | --config.file FILE) [--input FILE] [flags]",
  check: "prom-exporter check --config.file FILE [--input FILE] [--web.config.file FILE] [flags]",
  explain: "prom-exporter explain --config.file FILE [--input FILE] [--metric NAME]... [flags]",
};

/** The full help text for a subcommand (or the overview when none is given). */
export function helpText(command?: Command): string {
  if (command === undefined) {
    return [
      "prom-exporter: serves any HTTP JSON or Prometheus endpoint as clean, relabelled Prometheus metrics",
      "",
      "Commands:",
      "  start    serve /metrics, fetching the upstream on every scrape",
      "  once     scrape once, print the exposition, exit 0 (1 when the upstream failed)",
      "  check    validate a config file (exit 0 valid, 1 invalid)",
      "  explain  show what the rules did to each upstream metric",
      "",
      "Run 'prom-exporter COMMAND --help' for the flags of a command; 'prom-exporter --version' for the version.",
    ].join("\n");
  }
  const rows: [string, string][] = COMMAND_FLAGS[command].map((f) => {
    const [synopsis, meaning] = FLAG_HELP[f];
    return [synopsis, (command === "check" ? CHECK_HELP[f] : undefined) ?? meaning];
  });
  rows.push(["-h, --help", "this help"], ["--version", "print the version"]);
  // Long-only flags line up under the long names of "-s, --service".
  const cells = rows.map((
    [synopsis, meaning],
  ) => [synopsis.startsWith("--") ? `    ${synopsis}` : synopsis, meaning]);
  const width = Math.max(...cells.map(([synopsis]) => synopsis.length));
  return [
    `Usage: ${USAGE[command]}`,
    "",
    "Flags:",
    ...cells.map(([synopsis, meaning]) => `  ${synopsis.padEnd(width)}  ${meaning}`),
  ].join("\n");
}

/**
 * Parses a command line (without the program name) and the named environment variables.
 *
 * @param args The arguments, e.g. `["start", "-s", "foo", "-u", "http://127.0.0.1:8080/stats.json"]`.
 * @param env Environment values by variable name (only {@linkcode ENV_VARS} are read); flags win over them.
 * @returns What to do.
 * @throws {UsageError} For an unknown command or flag, a missing value or a value out of range.
 *
 * @example The seed's command line
 * ```ts
 * import { parseCommandLine } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const inv = parseCommandLine(["start", "-s", "foo", "-u", "http://127.0.0.1:8080/", "-p", "9100"], {});
 * assert.equal(inv.kind === "run" && inv.flags.listenPort, 9100);
 * ```
 */
export function parseCommandLine(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Invocation {
  const [first, ...more] = args;
  if (first === undefined) throw new UsageError(`Missing command: expected one of ${COMMANDS.join(", ")}`);
  if (first === "--help" || first === "-h" || first === "help") return { kind: "help" };
  if (first === "--version" || first === "version") return { kind: "version" };
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(`Unknown command "${first}": expected one of ${COMMANDS.join(", ")}`);
  }
  const command = first as Command;
  // `deno task start -- ARGS` passes the "--" on; nothing here takes positional arguments, so it can go.
  const rest = more[0] === "--" ? more.slice(1) : more;
  let values: ReturnType<typeof parseRaw>;
  try {
    values = parseRaw(rest);
  } catch (e) {
    throw new UsageError(describeParseArgsError(e, command), command);
  }
  if (values.help) return { kind: "help", command };
  if (values.version) return { kind: "version" };
  return { kind: "run", command, flags: toFlags(command, values, env) };
}

function parseRaw(args: readonly string[]) {
  return parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values;
}

function describeParseArgsError(e: unknown, command: Command): string {
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string }).code;
  const flag = /'(-[^']*)'/.exec(message)?.[1] ?? /"(-[^"]*)"/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const guess = flag?.startsWith("--") ? guessFlag(flag.slice(2), command) : undefined;
    return `Unknown flag "${flag ?? message}"${guess === undefined ? "" : `; did you mean "--${guess}"?`}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") return `Flag "${longName(flag)}" needs a value`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `Unexpected argument: ${message}`;
  return message;
}

/** The command's flag an unknown long flag most likely meant: a typo, or the last part of a dotted name. */
function guessFlag(name: string, command: Command): string | undefined {
  const candidates = [...COMMAND_FLAGS[command], "help", "version"];
  return closestName(name, candidates) ?? candidates.find((c) => c.endsWith(`.${name}`));
}

/**
 * The candidate closest to `word` when it is a likely typo of it (case-insensitive; a swap of two neighbours
 * counts as one edit), else `undefined`: for "did you mean" in flag and config errors.
 *
 * @example
 * ```ts
 * import { closestName } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(closestName("lables", ["name", "labels"]), "labels");
 * assert.equal(closestName("colour", ["name", "labels"]), undefined);
 * ```
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 4)) ? best : undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent swaps), for short names. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/** `-p`, `-p, --port <value>` and `--port` all become `--port`. */
function longName(flag: string | undefined): string {
  if (flag === undefined) return "?";
  const long = /--[\w.-]+/.exec(flag)?.[0];
  if (long) return long;
  const short = flag.replace(/^-/, "");
  const entry = Object.entries(OPTIONS).find(([, o]) => "short" in o && o.short === short);
  return entry ? `--${entry[0]}` : flag;
}

function toFlags(
  command: Command,
  v: ReturnType<typeof parseRaw>,
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

function parseCount(text: string, flag: string, fail: (m: string) => never, min = 0): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min && Number.isSafeInteger(n))) {
    fail(`Flag "${flag}" needs a whole number >= ${min}: current value is "${text}"`);
  }
  return n;
}

const DURATION_REGEXP = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/;
const DURATION_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `10s`, `500ms`, `1.5s`, `2m` (a bare number is seconds) into milliseconds.
 * Returns `undefined` for anything else.
 */
export function parseDurationMs(text: string): number | undefined {
  const m = DURATION_REGEXP.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * DURATION_UNIT_MS[m[2] ?? "s"];
}

function parseDuration(text: string, flag: string, fail: (m: string) => never): number {
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    fail(`Flag "${flag}" needs a duration such as 10s or 500ms: current value is "${text}"`);
  }
  return ms as number;
}

function parsePositiveDuration(text: string, flag: string, fail: (m: string) => never): number {
  const ms = parseDuration(text, flag, fail);
  if (!(ms > 0)) fail(`Flag "${flag}" must be > 0: current value is "${text}"`);
  return ms;
}
