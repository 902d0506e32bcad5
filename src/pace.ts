/**
 * The one pacer of long scrape work: the paced decode (src/formats/mod.ts) and long memo hits (src/memo) run
 * in steps and give the event loop a turn whenever the work since its last turn has run for
 * {@linkcode PAUSE_AFTER_MS}, so a `/-/healthy` that arrives meanwhile is answered after a step or two, not
 * after a whole 100k-series scrape. A job looks at the clock after each step, the last one too (what follows a
step is often more long work: measured, a turn after the last step kept `/-/healthy` p99 at 44 ms where
leaving it out gave 49-65 ms); a short job yields only when the clock was already due as it began.
 *
 * The clock is the process's: JavaScript runs one task at a time, so "since the event loop's last turn" is one
 * instant however many scrapes are in flight. Every job that is due waits for the same pending turn, so
 * several large targets in one `/metrics` (read concurrently) give the loop one turn together instead of each
 * running its own slice back to back.
 *
 * @module
 */

/**
 * How long scrape work runs before it gives the event loop a turn. At 20 ms `/-/healthy` p99 stayed over
 * 50 ms during 100k scrapes (one turn does not always let a waiting request in); each turn costs a 100k
 * scrape one to two ms (docs/PERFORMANCE.md, decision 9).
 */
export const PAUSE_AFTER_MS = 10;

/** Values read or written between two looks at the clock: well under a millisecond of work. */
export const STEP_VALUES = 4096;

/** When the event loop last had a turn, as far as the pacer knows. */
let since = performance.now();

/** The turn jobs that are due wait for; one for all of them. */
let pending: Promise<void> | undefined;

/**
 * Starts the clock: call as a task begins (the event loop has just had a turn, e.g. a fetch resolved).
 *
 * @param at When it began (`performance.now()`). @default {now}
 */
export function taskStarted(at: number = performance.now()): void {
  // While a turn is pending, the loop has not had it yet: the clock starts again when it has.
  if (pending === undefined) since = at;
}

/**
 * A turn of the event loop (a timer: only a timer lets a waiting request in,
 * bench/micro/experiments/yield_cost.ts) when the work since the last turn has run for
 * {@linkcode PAUSE_AFTER_MS}; else `undefined`, so a short hit does not even wait for a microtask.
 */
export function turnIfDue(): Promise<void> | undefined {
  if (pending === undefined && performance.now() - since < PAUSE_AFTER_MS) return undefined;
  return pending ??= new Promise<void>((resolve) => setTimeout(resolve, 0)).then(() => {
    pending = undefined;
    since = performance.now();
  });
}

/**
 * Runs `steps` to the end, giving the event loop a turn between two steps when one is due
 * ({@linkcode turnIfDue}); the clock starts as it begins.
 */
export async function runPaced<T>(steps: Generator<void, T>): Promise<T> {
  taskStarted();
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    const turn = turnIfDue();
    if (turn !== undefined) await turn;
  }
}

/** Runs steps to the end without pausing: the unpaced twin of {@linkcode runPaced}. */
export function runSteps<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}
