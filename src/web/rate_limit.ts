/**
 * `rate_limit` of the web config: one token bucket for the whole endpoint, as the exporter-toolkit has
 * (`golang.org/x/time/rate`): it starts full with `burst` tokens, gains one token per `interval`, and a
 * request that finds no token gets 429.
 *
 * @module
 */

/** A rate limit as the web config gives it. */
export interface RateLimit {
  /** Milliseconds between two tokens; > 0. */
  readonly intervalMs: number;
  /** Bucket size, >= 1: how many requests may arrive at once. */
  readonly burst: number;
}

/** Options of {@linkcode createRateLimiter}. */
export interface RateLimiterOptions {
  /** Monotonic clock in milliseconds; tests pass a fake one. Default `performance.now`. */
  readonly now?: () => number;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  "μs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_PART_REGEXP = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a Go duration (`time.ParseDuration`): `"1s"`, `"1m30s"`, `"250ms"`, `"1.5h"`, `"-2s"` or `"0"`.
 *
 * @param text The duration text.
 * @returns Milliseconds (may be fractional or negative).
 * @throws {SyntaxError} When the text is not a Go duration.
 */
export function parseGoDuration(text: string): number {
  let i = 0;
  let sign = 1;
  if (text[0] === "-" || text[0] === "+") {
    sign = text[0] === "-" ? -1 : 1;
    i = 1;
  }
  if (text.slice(i) === "0") return 0;
  if (i === text.length) throw new SyntaxError(`Invalid duration ${JSON.stringify(text)}`);
  let total = 0;
  while (i < text.length) {
    DURATION_PART_REGEXP.lastIndex = i;
    const m = DURATION_PART_REGEXP.exec(text);
    if (m === null) throw new SyntaxError(`Invalid duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * UNIT_MS[m[2]];
    i = DURATION_PART_REGEXP.lastIndex;
  }
  return sign * total;
}

/**
 * Creates the endpoint's limiter.
 *
 * @param limit Interval and burst, already validated.
 * @param options A clock for tests.
 * @returns A check to run before anything else: `null` lets the request through, otherwise it is the 429
 *   response to send (with `Retry-After` in whole seconds).
 */
export function createRateLimiter(limit: RateLimit, options: RateLimiterOptions = {}): () => Response | null {
  if (!(limit.intervalMs > 0) || !Number.isFinite(limit.intervalMs)) {
    throw new RangeError(
      `Cannot create rate limiter: intervalMs must be > 0: current value is ${limit.intervalMs}`,
    );
  }
  if (!Number.isInteger(limit.burst) || limit.burst < 1) {
    throw new RangeError(`Cannot create rate limiter: burst must be >= 1: current value is ${limit.burst}`);
  }
  const now = options.now ?? (() => performance.now());
  let tokens = limit.burst;
  let last = now();
  return () => {
    const t = now();
    tokens = Math.min(limit.burst, tokens + Math.max(0, t - last) / limit.intervalMs);
    last = t;
    if (tokens >= 1) {
      tokens -= 1;
      return null;
    }
    const waitSeconds = Math.max(1, Math.ceil(((1 - tokens) * limit.intervalMs) / 1000));
    return new Response("Too Many Requests\n", {
      status: 429,
      headers: { "content-type": "text/plain; charset=utf-8", "retry-after": String(waitSeconds) },
    });
  };
}
