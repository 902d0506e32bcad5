/**
 * The scrape deadline: Prometheus's `X-Prometheus-Scrape-Timeout-Seconds` minus an offset, capped by the
 * target's own timeout, never <= 0.
 *
 * @module
 */

/** The header Prometheus sends with every scrape. */
export const SCRAPE_TIMEOUT_HEADER = "x-prometheus-scrape-timeout-seconds";

/** The smallest budget we ever use, so an offset larger than the header still leaves a usable fetch. */
export const MIN_BUDGET_MS = 100;

/**
 * Computes the time budget of one scrape in milliseconds.
 *
 * @param header The header value, or `null` when absent.
 * @param offsetMs Subtracted from the header so the answer arrives before Prometheus gives up.
 * @param capMs The target's timeout; also the budget without a header.
 * @returns The budget, or a RangeError for a header that is not a positive number.
 *
 * @example
 * ```ts
 * import { scrapeBudgetMs } from "./deadline.ts";
 * import assert from "node:assert/strict";
 * assert.equal(scrapeBudgetMs("1.5", 500, 10_000), 1000);
 * assert.equal(scrapeBudgetMs(null, 500, 10_000), 10_000);
 * assert.equal(scrapeBudgetMs("60", 500, 10_000), 10_000);
 * ```
 */
export function scrapeBudgetMs(header: string | null, offsetMs: number, capMs: number): number | RangeError {
  if (header === null) return capMs;
  const seconds = Number(header.trim());
  if (header.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
    return new RangeError(
      `Cannot use header "X-Prometheus-Scrape-Timeout-Seconds": "${header}" is not a positive number`,
    );
  }
  const headerMs = seconds * 1000;
  // An offset that eats the whole timeout would leave nothing; keep at least half of it, and a floor.
  const budget = Math.max(headerMs - offsetMs, Math.min(headerMs / 2, MIN_BUDGET_MS), 1);
  return Math.min(budget, capMs);
}
