/**
 * The command line's vocabulary: commands, flags (as `node:util` `parseArgs` takes them), which command takes
 * which flag, their environment variables, and the typed {@linkcode Flags} a parse yields. Tables only, so
 * help, parsing and the README checks all read one list.
 *
 * @module
 */

import type { LogFormat, LogLevel } from "../log.ts";

/** The subcommands. */
export const COMMANDS = ["start", "once", "check", "explain", "suggest"] as const;

/** One of {@linkcode COMMANDS}. */
export type Command = typeof COMMANDS[number];

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
  /** `--input`: a saved upstream body for `once`, `explain` and `suggest`. */
  input?: string;
  /** `--probe.allow-any-target`: modules without `allowed_targets` may probe any non-link-local target. */
  probeAllowAnyTarget: boolean;
  /** `--scrape.no-memo`: no scrape memo, every scrape decodes its body (the memo's kill switch). */
  noMemo: boolean;
  /** `--scrape.no-relay`: no relay, every text body goes through the pipeline (the relay's kill switch). */
  noRelay: boolean;
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
  "scrape.no-relay": { type: "boolean" },
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
    "scrape.no-relay",
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
    "scrape.no-relay",
    "web.disable-exporter-metrics",
  ],
  // check also loads --web.config.file when given, so a web config is validated before it is deployed.
  check: ["config.file", "web.config.file", "input", ...LOG_FLAGS],
  explain: ["config.file", "input", "metric", ...LOG_FLAGS],
  suggest: ["service", "url", "input"],
};

/**
 * The largest body cap (`--upstream.max-body-bytes`, `max_body_bytes`): 1 GiB. A body is decoded as UTF-8 text in
 * blocks, and V8's strings and buffers stop well before larger sizes, so a larger cap could only fail later.
 */
export const MAX_BODY_BYTES = 1024 * 1024 * 1024;

/**
 * The default of `--scrape.max-inflight-bytes`, in bodies of `--upstream.max-body-bytes`: room for two of the
 * largest bodies at once (32 MiB with the 16 MiB default), so that the decoding they do fits a 256 MiB V8 heap
 * (docs/DESIGN.md, "Memory bounded by design"), and raising the body cap raises this one with it.
 */
export const DEFAULT_INFLIGHT_BODIES = 2;

/** The default listen port. */
export const DEFAULT_PORT = 9999;

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
