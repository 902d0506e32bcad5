/**
 * The error classes callers catch. Bad arguments use the built-ins (`TypeError`, `RangeError`); these
 * classes exist only for conditions that another stage turns into an answer.
 *
 * @module
 */

/**
 * Why an upstream scrape failed; the value of the `reason` label of `prom_exporter_scrape_errors_total`.
 * A fixed set, so the error counter's cardinality is bounded. `memory`: the scrapes in flight already hold
 * `--scrape.max-inflight-bytes`, so this one's body or answer was refused (src/upstream/memory_budget.ts).
 */
export const SCRAPE_ERROR_REASONS = [
  "refused",
  "timeout",
  "status",
  "too_large",
  "memory",
  "parse",
  "network",
  "duplicate",
  "tls",
  "redirect",
  "forbidden",
  "internal",
] as const;

/** One of {@linkcode SCRAPE_ERROR_REASONS}. */
export type ScrapeErrorReason = typeof SCRAPE_ERROR_REASONS[number];

/** The upstream could not be fetched or decoded; the scrape answers `prom_exporter_up 0`. */
export class UpstreamError extends Error {
  /** The bounded reason, used as a label value. */
  readonly reason: ScrapeErrorReason;

  /** Creates an upstream error with a bounded reason and a message safe to log (no secrets). */
  constructor(reason: ScrapeErrorReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UpstreamError";
    this.reason = reason;
  }
}

/** Upstream bytes that are not a valid document of their format; `line` is 1-based when known. */
export class ParseError extends Error {
  /** 1-based line of the problem, or 0 when not line-oriented. */
  readonly line: number;

  /** Creates a parse error; the message gets a `line N: ` prefix when `line` > 0. */
  constructor(message: string, line = 0, options?: ErrorOptions) {
    super(line > 0 ? `line ${line}: ${message}` : message, options);
    this.name = "ParseError";
    this.line = line;
  }
}

/** A configuration (flags or file) that cannot be used; `problems` lists every problem found. */
export class ConfigError extends Error {
  /** Every problem, each one line such as `config.yaml:14: targets[0].url: invalid URL`. */
  readonly problems: readonly string[];

  /** Creates a config error from one or more problem lines. */
  constructor(problems: string | readonly string[], options?: ErrorOptions) {
    const list = typeof problems === "string" ? [problems] : problems;
    super(list.join("\n"), options);
    this.name = "ConfigError";
    this.problems = list;
  }
}
