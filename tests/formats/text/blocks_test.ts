/**
 * {@linkcode TextParser} fed in blocks: the same families as one whole parse, errors naming the line counted
 * over all blocks, the sink receiving each sample with its family, and `# EOF` ending the input for good.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ParseError } from "../../../src/errors.ts";
import type { MetricFamily } from "../../../src/model.ts";
import { parsePrometheusText, type TextFormat, TextParser } from "../../../src/formats/text/mod.ts";
import { OM, TEXT } from "./_helpers.ts";

/** Pages with metadata, labels, escapes and timestamps, one per format. */
const PAGES: [TextFormat, string][] = [
  [
    TEXT,
    '# HELP a_total A \\\\ b.\n# TYPE a_total counter\na_total{x="1"} 1\na_total{x="2\\n"} 2 17\n\n' +
    '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3\nh_count 2\nu 5\n',
  ],
  [
    OM,
    '# TYPE a counter\n# HELP a A.\na_total{x="1"} 1 1.5 # {t="1"} 1\n# TYPE i info\ni_info{v="1"} 1\n# EOF\n',
  ],
];

/** Parses `text` one line per block. */
function parseByLine(text: string, format: TextFormat, sink: TextParser | null = null): MetricFamily[] {
  const parser = sink ?? new TextParser(format, null);
  for (const line of text.match(/[^\n]*\n|[^\n]+$/g) ?? []) parser.push(line);
  return parser.finish();
}

for (const [format, page] of PAGES) {
  Deno.test(`TextParser fed line by line gives the whole parse's families (${format})`, () => {
    assert.deepStrictEqual(parseByLine(page, format), parsePrometheusText(page, format));
  });

  Deno.test(`TextParser with a sink passes every sample once with its family (${format})`, () => {
    const seen: string[] = [];
    const parser = new TextParser(format, (family, sample) => seen.push(`${family.name} ${sample.name}`));
    const families = parseByLine(page, format, parser);
    assert.ok(families.every((f) => f.samples.length === 0));
    const expected = parsePrometheusText(page, format).flatMap((f) =>
      f.samples.map((s) => `${f.name} ${s.name}`)
    );
    assert.deepStrictEqual(seen, expected);
  });
}

Deno.test("TextParser names the line over all blocks, for NUL and for syntax errors", () => {
  for (const [block, line] of [["a 1\x00\n", 3], ["a{ 1\n", 3]] as const) {
    const parser = new TextParser(TEXT, null);
    parser.push("a 1\n# c\n");
    assert.throws(() => parser.push(block), (e: unknown) => e instanceof ParseError && e.line === line);
  }
});

Deno.test("TextParser refuses anything after an OpenMetrics # EOF, and its absence", () => {
  const parser = new TextParser(OM, null);
  parser.push("a 1\n# EOF\n");
  assert.throws(() => parser.push("b 1\n"), (e: unknown) => e instanceof ParseError && e.line === 3);
  const open = new TextParser(OM, null);
  open.push("a 1\n");
  assert.throws(() => open.finish(), /Missing "# EOF"/);
});
