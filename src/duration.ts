/**
 * Durations, in one place for every layer: one parser of Go's `time.ParseDuration` grammar, which the
 * exporter-toolkit web config uses as it is (`1m30s`, `250us`, `-2s`) and the exporter's own flags and config
 * keys use without a sign and with a bare number meaning seconds (the seed's flags took `5`).
 *
 * @module
 */

/**
 * The longest duration the exporter takes, in ms: 2^31 - 1 (about 24.8 days), the longest delay a timer takes;
 * a longer `AbortSignal.timeout` fires at once, so a longer timeout would fail every scrape.
 */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** Milliseconds per unit. */
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

const BARE_SECONDS_REGEXP = /^[0-9]+(?:\.[0-9]+)?$/;
const GO_PART_REGEXP = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a duration of the exporter's flags and config keys into milliseconds: a Go duration that is not
 * negative (`10s`, `500ms`, `1.5s`, `1m30s`), or a bare number of seconds (`2`), as the seed's flags took.
 * Returns `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { parseDurationMs } from "./duration.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseDurationMs("1.5s"), 1500);
 * assert.equal(parseDurationMs("2"), 2000);
 * assert.equal(parseDurationMs("1m30s"), 90_000);
 * assert.equal(parseDurationMs("-1s"), undefined);
 * ```
 */
export function parseDurationMs(text: string): number | undefined {
  const t = text.trim();
  if (BARE_SECONDS_REGEXP.test(t)) return Number(t) * 1000;
  if (t.startsWith("-") || t.startsWith("+")) return undefined;
  try {
    return parseGoDuration(t);
  } catch (e) {
    if (e instanceof SyntaxError) return undefined;
    throw e;
  }
}

/**
 * Parses a Go duration (`time.ParseDuration`): `"1s"`, `"1m30s"`, `"250ms"`, `"1.5h"`, `"-2s"` or `"0"`.
 *
 * @param text The duration text.
 * @returns Milliseconds (may be fractional or negative).
 * @throws {SyntaxError} When the text is not a Go duration.
 *
 * @example
 * ```ts
 * import { parseGoDuration } from "./duration.ts";
 * import assert from "node:assert/strict";
 * assert.equal(parseGoDuration("1m30s"), 90_000);
 * assert.equal(parseGoDuration("-250us"), -0.25);
 * assert.throws(() => parseGoDuration("10"), SyntaxError);
 * ```
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
    GO_PART_REGEXP.lastIndex = i;
    const m = GO_PART_REGEXP.exec(text);
    if (m === null) throw new SyntaxError(`Invalid duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * UNIT_MS[m[2]];
    i = GO_PART_REGEXP.lastIndex;
  }
  return sign * total;
}
