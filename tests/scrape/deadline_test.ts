import assert from "node:assert/strict";
import { MIN_BUDGET_MS, scrapeBudgetMs } from "../../src/scrape/deadline.ts";

const CASES: [string | null, number, number, number][] = [
  [null, 500, 10_000, 10_000],
  ["10", 500, 10_000, 9_500],
  ["1.5", 500, 10_000, 1_000],
  ["60", 500, 10_000, 10_000],
  ["0.5", 500, 10_000, MIN_BUDGET_MS],
  ["0.4", 500, 10_000, MIN_BUDGET_MS],
  ["0.1", 500, 10_000, 50],
  ["5", 0, 2_000, 2_000],
];

for (const [header, offset, cap, expected] of CASES) {
  Deno.test(`scrapeBudgetMs(${header}, ${offset}, ${cap}) is ${expected}`, () => {
    const got = scrapeBudgetMs(header, offset, cap);
    assert.equal(got, expected);
    assert.ok(typeof got === "number" && got > 0);
  });
}

for (const bad of ["", "abc", "-1", "0", "NaN", "Infinity"]) {
  Deno.test(`scrapeBudgetMs() rejects header ${JSON.stringify(bad)}`, () => {
    const got = scrapeBudgetMs(bad, 500, 10_000);
    assert.ok(got instanceof RangeError);
    assert.match(got.message, /X-Prometheus-Scrape-Timeout-Seconds/);
  });
}
