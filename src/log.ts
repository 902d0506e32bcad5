/**
 * Structured logs in logfmt or JSON, one line per event, with the promslog keys `time`, `level`, `msg`.
 * The sink is passed in (main.ts writes to stderr), so nothing here does I/O on its own. The levels and
 * formats are defined here, at the base, so the command line (which validates `--log.*`) imports them from
 * the logger and never the other way round.
 *
 * @module
 */

/** Log levels, most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** A log level. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Log line formats. */
export const LOG_FORMATS = ["logfmt", "json"] as const;

/** A log format. */
export type LogFormat = typeof LOG_FORMATS[number];

/** Extra fields of a log line. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** A logger: one method per level. */
export interface Logger {
  /** Logs at debug level. */
  debug(msg: string, fields?: LogFields): void;
  /** Logs at info level. */
  info(msg: string, fields?: LogFields): void;
  /** Logs at warn level. */
  warn(msg: string, fields?: LogFields): void;
  /** Logs at error level. */
  error(msg: string, fields?: LogFields): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const LOGFMT_PLAIN_REGEXP = /^[^\s"=\\]+$/;

/** Options for {@linkcode createLogger}. */
export interface LoggerOptions {
  /** The lowest level written. */
  level: LogLevel;
  /** logfmt or json. */
  format: LogFormat;
  /** Receives each line, without its newline. */
  write: (line: string) => void;
  /** The clock, for tests. @default {() => new Date()} */
  now?: () => Date;
}

/**
 * Creates a logger.
 *
 * @example
 * ```ts
 * import { createLogger } from "./log.ts";
 * import assert from "node:assert/strict";
 * const lines: string[] = [];
 * const log = createLogger({ level: "info", format: "logfmt", write: (l) => lines.push(l), now: () => new Date(0) });
 * log.debug("hidden");
 * log.warn("scrape failed", { target: "foo", reason: "timeout" });
 * assert.deepEqual(lines, ['time=1970-01-01T00:00:00.000Z level=warn msg="scrape failed" target=foo reason=timeout']);
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  const min = RANK[options.level];
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < min) return;
    const record: LogFields = { time: now().toISOString(), level, msg, ...fields };
    options.write(options.format === "json" ? JSON.stringify(record) : toLogfmt(record));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}

function toLogfmt(record: LogFields): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined) continue;
    const s = String(v);
    parts.push(`${k}=${LOGFMT_PLAIN_REGEXP.test(s) ? s : JSON.stringify(s)}`);
  }
  return parts.join(" ");
}
