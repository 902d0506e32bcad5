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
