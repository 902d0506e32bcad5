/**
 * Pacing of long memo hits. Reading a 100k-series body's values and writing its answer take tens of
 * milliseconds each on a slow machine, so both run in steps of {@linkcode STEP_VALUES} values and give the
 * event loop a turn whenever the work since its last turn has run for {@linkcode PAUSE_AFTER_MS}, as the paced
 * decode does (src/formats/mod.ts), but twice as often: a `/-/healthy` that arrives meanwhile is answered
 * after one to three such steps, not after the whole hit. A short hit looks at the clock once per step and
 * never yields.
 *
 * The clock is the process's: JavaScript runs one task at a time, so "since the event loop's last turn" is one
 * instant however many scrapes are in flight. It starts when a scrape's body has arrived
 * ({@linkcode taskStarted}) and after each turn given here; a turn the loop took elsewhere only makes the next
 * pause come early.
 *
 * @module
 */

/**
 * How long a memo hit runs before it gives the event loop a turn. Half the decode's 20 ms: one turn does not
 * always let a waiting request in (a request can take two or three), and at 20 ms `/-/healthy` p99 stayed
 * over 50 ms during 100k scrapes; each turn costs a 100k hit one to two ms (docs/PERFORMANCE.md, decision 9).
 */
export const PAUSE_AFTER_MS = 10;

/** Values read or written between two looks at the clock: well under a millisecond of work. */
export const STEP_VALUES = 4096;

/** When the event loop last had a turn, as far as the memo knows. */
let since = performance.now();

/**
 * Starts the clock: call as a task begins (the event loop has just had a turn, e.g. a fetch resolved).
 *
 * @param at When it began (`performance.now()`). @default {now}
 */
export function taskStarted(at: number = performance.now()): void {
  since = at;
}

/**
 * A turn of the event loop (a timer: only a timer lets a waiting request in,
 * bench/micro/experiments/yield_cost.ts) when the work since the last turn has run for
 * {@linkcode PAUSE_AFTER_MS}; else `undefined`, so a short hit does not even wait for a microtask.
 */
export function turnIfDue(): Promise<void> | undefined {
  if (performance.now() - since < PAUSE_AFTER_MS) return undefined;
  return new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => taskStarted());
}
