/**
 * A fake clock for the pacer's tests (src/pace.ts): `performance.now()` advances a fixed step per look, so
 * whether a paced job pauses does not depend on the machine's speed, and the timers set meanwhile are counted.
 *
 * @module
 */

/** Where the fake clock stopped: it never runs back, since the pacer keeps the time of its last turn. */
let stoppedAt = 0;

/**
 * Runs `fn` with a clock that advances `stepMs` per look (from the real time, or from where the last fake
 * clock stopped if that is later), counting the timers set meanwhile.
 */
export async function withClock<T>(
  stepMs: number,
  fn: () => Promise<T>,
): Promise<{ value: T; timers: number }> {
  let now = Math.max(performance.now(), stoppedAt);
  let timers = 0;
  const realNow = performance.now.bind(performance);
  const realTimeout = globalThis.setTimeout;
  Object.defineProperty(performance, "now", { value: () => now += stepMs, configurable: true });
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    timers++;
    return realTimeout(...args);
  }) as typeof setTimeout;
  try {
    return { value: await fn(), timers };
  } finally {
    stoppedAt = now;
    globalThis.setTimeout = realTimeout;
    Object.defineProperty(performance, "now", { value: realNow, configurable: true });
  }
}
