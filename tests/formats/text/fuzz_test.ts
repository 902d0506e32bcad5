/**
 * Robustness properties (fast-check): arbitrary and mutated inputs only ever throw ParseError, within a time limit.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { ParseError } from "../../../src/errors.ts";
import { parsePrometheusText, type TextFormat } from "../../../src/formats/text/mod.ts";
import { FIXTURES, OM, TEXT } from "./_helpers.ts";

// ------------------------------------------------------------------------------------------- properties

/** Milliseconds one parse of at most 10 KiB may take (RELIABILITY.md P1); larger inputs get more. */
const SMALL_INPUT_MS = 50;
const LARGE_INPUT_MS = 250;

/** Times one parse, asserting it returns or throws ParseError (anything else fails the property). */
function timedParse(text: string, format: TextFormat): number {
  const started = performance.now();
  try {
    parsePrometheusText(text, format);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
  }
  return performance.now() - started;
}

/**
 * Asserts that a parse returns or throws ParseError within the time limit. An over-limit parse is timed once
 * more before failing: slowness in the parser repeats, a GC pause or a busy machine does not.
 */
function parseSafely(text: string, format: TextFormat): void {
  const limit = text.length <= 10 * 1024 ? SMALL_INPUT_MS : LARGE_INPUT_MS;
  const elapsed = timedParse(text, format);
  if (elapsed < limit) return;
  const again = timedParse(text, format);
  assert.ok(
    again < limit,
    `parse took ${elapsed.toFixed(1)} then ${again.toFixed(1)} ms for ${text.length} chars`,
  );
}

const formatArb = fc.constantFrom(TEXT, OM);

Deno.test("parsePrometheusText() throws only ParseError on arbitrary strings, fast", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: "binary", maxLength: 300 })),
      formatArb,
      parseSafely,
    ),
    { numRuns: 3000 },
  );
});

/** Characters that matter to the grammar, for mutations. */
const HOSTILE = [
  "{",
  "}",
  '"',
  "\\",
  "\n",
  "#",
  " ",
  "\t",
  "\r",
  "\u0000",
  "=",
  ",",
  "_",
  "e",
  "x",
  "+",
  "-",
];

/** A valid seed exposition per format, small enough to mutate many times. */
const SEEDS: Record<TextFormat, string> = {
  prometheus:
    '# HELP a_total A "counter" \\\\ x\\ny.\n# TYPE a_total counter\na_total{b="c\\"\\\\\\n",d="e"} 1 17\n' +
    '# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\nh_sum NaN\nh_count 2\n\n' +
    '# TYPE s summary\ns{quantile="0.9"} -Inf\ns_sum 1e3\ns_count 4\nu{x="y",} .5\n',
  openmetrics:
    '# TYPE a counter\n# HELP a A \\"c\\".\na_total{b="c\\"\\\\\\n"} 1 1.5 # {t="1"} 1 2\na_created 3\n' +
    '# TYPE h_x histogram\n# UNIT h_x x\nh_x_bucket{le="+Inf"} 2\nh_x_count 2\nh_x_sum 3\n# TYPE i info\ni_info{v="1"} 1\n' +
    '# TYPE st stateset\nst{st="a"} 1\n# TYPE g gaugehistogram\ng_bucket{le="+Inf"} 1\ng_gcount 1\ng_gsum 0\n# EOF\n',
};

/** A random edit of a string: insert, delete, replace, duplicate a chunk, or truncate. */
const editArb = fc.record({
  kind: fc.constantFrom("insert", "delete", "replace", "duplicate", "truncate"),
  at: fc.nat(),
  length: fc.integer({ min: 1, max: 40 }),
  char: fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: "binary", minLength: 1, maxLength: 2 })),
});

function applyEdit(text: string, edit: { kind: string; at: number; length: number; char: string }): string {
  const at = text.length === 0 ? 0 : edit.at % (text.length + 1);
  switch (edit.kind) {
    case "insert":
      return text.slice(0, at) + edit.char + text.slice(at);
    case "delete":
      return text.slice(0, at) + text.slice(at + edit.length);
    case "replace":
      return text.slice(0, at) + edit.char + text.slice(at + edit.char.length);
    case "duplicate":
      return text.slice(0, at + edit.length) + text.slice(at, at + edit.length) +
        text.slice(at + edit.length);
    default:
      return text.slice(0, at);
  }
}

Deno.test("parsePrometheusText() throws only ParseError on mutated valid expositions, fast", async () => {
  const golden = await Deno.readTextFile(new URL("node_exporter.prom", FIXTURES));
  for (const format of [TEXT, OM]) assert.ok(parsePrometheusText(SEEDS[format], format).length > 0);
  fc.assert(
    fc.property(formatArb, fc.array(editArb, { minLength: 1, maxLength: 8 }), (format, edits) => {
      parseSafely(edits.reduce(applyEdit, SEEDS[format]), format);
    }),
    { numRuns: 4000 },
  );
  fc.assert(
    fc.property(fc.array(editArb, { minLength: 1, maxLength: 4 }), (edits) => {
      parseSafely(edits.reduce(applyEdit, golden), TEXT);
    }),
    { numRuns: 300 },
  );
});
