/**
 * The one pacer (src/pace.ts): jobs that are due share one turn of the event loop, a short job never waits
 * for one, and `runPaced` gives the steps' result. A clock that advances 25 ms per look makes every look due.
 */
import assert from "node:assert/strict";
import { runPaced, taskStarted, turnIfDue } from "../src/pace.ts";
import { withClock } from "./_lib/clock.ts";

/** Steps that yield `n` times, then return `result`. */
function* steps(n: number, result: string): Generator<void, string> {
  for (let i = 0; i < n; i++) yield;
  return result;
}

Deno.test("pace: three jobs that are due at once wait for one shared turn, not three", async () => {
  const { timers } = await withClock(25, async () => {
    taskStarted();
    const turns = [turnIfDue(), turnIfDue(), turnIfDue()];
    assert.ok(turns.every((t) => t !== undefined), "every job is due");
    assert.equal(turns[0], turns[1]);
    assert.equal(turns[1], turns[2]);
    await Promise.all(turns);
  });
  assert.equal(timers, 1);
});

Deno.test("pace: a job that is not due gets no turn and sets no timer", async () => {
  const { value, timers } = await withClock(0, () => {
    taskStarted();
    return Promise.resolve(turnIfDue());
  });
  assert.equal(value, undefined);
  assert.equal(timers, 0);
});

Deno.test("pace: runPaced gives the result, with a turn between steps when due and none after the last", async () => {
  const slow = await withClock(25, () => runPaced(steps(3, "done")));
  assert.equal(slow.value, "done");
  // Three yields: a turn after each, none once the steps have ended.
  assert.equal(slow.timers, 3);
  const fast = await withClock(0, () => runPaced(steps(3, "done")));
  assert.deepEqual([fast.value, fast.timers], ["done", 0]);
});
