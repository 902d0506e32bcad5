/**
 * Rejected inputs: a table per error (error class, line and message) and the known-crasher corpus.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ParseError } from "../../../src/errors.ts";
import type { MetricFamily } from "../../../src/model.ts";
import { parsePrometheusText, type TextFormat } from "../../../src/formats/text/mod.ts";
import { assertParseError, fam, OM, smp, TEXT } from "./_helpers.ts";

// ----------------------------------------------------------------------------------------------- errors

const ERRORS: [string, string, TextFormat, number, string][] = [
  // names and labels
  ["bad metric name", "1abc 1\n", TEXT, 1, "Expected a metric name"],
  ["bad label name", 'a 1\na{1b="c"} 1\n', TEXT, 2, "Expected a label name"],
  ["duplicate label name", 'a{x="1",x="2"} 1\n', TEXT, 1, 'Duplicate label name "x"'],
  ["duplicate label name in OpenMetrics", 'a{x="1",x="2"} 1\n# EOF\n', OM, 1, 'Duplicate label name "x"'],
  ["reserved __name__ label", 'a{__name__="b"} 1\n', TEXT, 1, "reserved"],
  ["unterminated label value", 'a{x="1} 1\n', TEXT, 1, "not terminated"],
  ["raw newline in a label value", 'a{x="1\n"} 1\n', TEXT, 1, "not terminated"],
  ["unterminated at end of input", 'a{x="1', TEXT, 1, "not terminated"],
  ["bad escape \\t in a label value", 'a{x="\\t"} 1\n', TEXT, 1, "Invalid escape"],
  ["bad escape \\x in a label value", 'a{x="\\x41"} 1\n', OM, 1, "Invalid escape"],
  ["unquoted label value", "a{x=1} 1\n", TEXT, 1, "to open the value"],
  ["single-quoted label value", "a{x='1'} 1\n", TEXT, 1, "to open the value"],
  ["missing = in labels", 'a{x"1"} 1\n', TEXT, 1, 'Expected "="'],
  ["missing comma between labels", 'a{x="1" y="2"} 1\n', TEXT, 1, 'Expected "," or "}"'],
  ["unclosed braces", 'a{x="1"\n', TEXT, 1, 'Expected "," or "}"'],
  // values and timestamps
  ["missing value", "a\n", TEXT, 1, "Expected whitespace"],
  ["missing value after blank", "a \n", TEXT, 1, "Expected a value"],
  ["value true", "a true\n", TEXT, 1, 'Invalid value "true"'],
  ["hex value", "a 0x1\n", TEXT, 1, 'Invalid value "0x1"'],
  ["hex float value", "a 0x1p-3\n", TEXT, 1, "Invalid value"],
  ["binary value", "a 0B1\n", TEXT, 1, "Invalid value"],
  ["octal value", "a 0o1\n", TEXT, 1, "Invalid value"],
  ["underscore in value", "a 1_000\n", TEXT, 1, "Invalid value"],
  ["signed nan", "a +nan\n", TEXT, 1, "Invalid value"],
  ["infin is not inf", "a infin\n", TEXT, 1, "Invalid value"],
  ["overflowing literal (Go ErrRange)", "a 1e400\n", TEXT, 1, "Invalid value"],
  ["lone dot", "a .\n", TEXT, 1, "Invalid value"],
  ["exponent without digits", "a 1e\n", TEXT, 1, "Invalid value"],
  ["float timestamp in text", "a 1 1.5\n", TEXT, 1, 'Invalid timestamp "1.5"'],
  ["timestamp past int64", "a 1 9223372036854775808\n", TEXT, 1, "Invalid timestamp"],
  ["trailing tokens", "a 1 2 3\n", TEXT, 1, "Expected end of line"],
  ["exemplar in text", 'a_total 1 # {a="b"} 1\n', TEXT, 1, "Invalid timestamp"],
  ["NaN timestamp in OpenMetrics", "a 1 NaN\n# EOF\n", OM, 1, "Invalid timestamp"],
  ["Inf timestamp in OpenMetrics", "a 1 +Inf\n# EOF\n", OM, 1, "Invalid timestamp"],
  // metadata
  ["TYPE after samples", "a 1\n# TYPE a gauge\n", TEXT, 2, "after its samples"],
  ["HELP after samples", "# TYPE a gauge\na 1\n# HELP a x\n", TEXT, 3, "after its samples"],
  ["TYPE after a suffix sample", "h_sum 1\n# TYPE h histogram\n", TEXT, 2, "after its sample"],
  ["second HELP", "# HELP a x\n# HELP a y\n", TEXT, 2, 'Second HELP for "a"'],
  ["second TYPE", "# TYPE a gauge\n# TYPE a gauge\n", TEXT, 2, 'Second TYPE for "a"'],
  ["second UNIT", "# UNIT a_s s\n# UNIT a_s s\n# EOF\n", OM, 2, 'Second UNIT for "a_s"'],
  ["unknown TYPE", "# TYPE a gauges\n", TEXT, 1, 'Unknown metric type "gauges"'],
  ["OpenMetrics-only TYPE in text", "# TYPE a info\n", TEXT, 1, 'Unknown metric type "info"'],
  [
    "trailing blank after TYPE (Go parsers agree)",
    "# TYPE a gauge \n",
    TEXT,
    1,
    'Unknown metric type "gauge "',
  ],
  ["untyped in OpenMetrics", "# TYPE a untyped\n# EOF\n", OM, 1, 'Unknown metric type "untyped"'],
  ["TYPE without type", "# TYPE a\n", TEXT, 1, 'Unknown metric type ""'],
  ["HELP without name", "# HELP\n", TEXT, 1, "Expected a metric name after HELP"],
  ["TYPE with a bad name", "# TYPE 1a gauge\n", TEXT, 1, "Expected a metric name after TYPE"],
  ["bad escape in text HELP", "# HELP a x\\ty\n", TEXT, 1, "Invalid escape"],
  ["escaped quote in text HELP", '# HELP a x\\"y\n', TEXT, 1, "Invalid escape"],
  ["backslash at the end of HELP", "# HELP a x\\\n", TEXT, 1, "Invalid escape"],
  ["bad escape in OpenMetrics HELP", "# HELP a x\\ty\n# EOF\n", OM, 1, "Invalid escape"],
  ["sample name clashes with a histogram", "# TYPE h histogram\nh 1\n", TEXT, 2, "does not belong"],
  ["le that is not a number", '# TYPE h histogram\nh_bucket{le="x"} 1\n', TEXT, 2, 'Label "le"'],
  ["quantile that is not a number", '# TYPE s summary\ns{quantile="p50"} 1\n', TEXT, 2, 'Label "quantile"'],
  ["negative bucket", '# TYPE h histogram\nh_bucket{le="1"} -1\n', TEXT, 2, "negative or NaN"],
  ["negative count", "# TYPE s summary\ns_count -1\n", TEXT, 2, "negative or NaN"],
  // OpenMetrics value rules hold for text too, so what is accepted can be written as OpenMetrics
  // (round-trip defects F1-F3 found by tests/reliability/fuzz_test.ts)
  ["F1 negative text counter", "# TYPE a counter\na -1\n", TEXT, 2, "negative or NaN"],
  ["F1 NaN text counter", "# TYPE a_total counter\na_total NaN\n", TEXT, 2, "negative or NaN"],
  ["F2 text bucket without le", "# TYPE h histogram\nh_bucket 1\n", TEXT, 2, 'lacks the label "le"'],
  [
    "F2 text summary sample without quantile",
    "# TYPE s summary\ns 0\n",
    TEXT,
    2,
    'lacks the label "quantile"',
  ],
  ["F3 NaN text count", "# TYPE h histogram\nh_count NaN\n", TEXT, 2, "negative or NaN"],
  ["quantile above 1", '# TYPE s summary\ns{quantile="2"} 1\n', TEXT, 2, "not a valid quantile"],
  ["le NaN", '# TYPE h histogram\nh_bucket{le="NaN"} 1\n', TEXT, 2, "not a valid le"],
  // F4: a family named like another family's samples cannot be rendered in both formats
  [
    "F4 HELP named like a counter's samples",
    "# TYPE foo counter\n# HELP foo_total x\n# EOF\n",
    OM,
    2,
    "clashes",
  ],
  ["F4 in text", "# TYPE foo counter\n# TYPE foo_total gauge\n", TEXT, 2, "clashes"],
  ["a histogram's _sum declared as a gauge", "# TYPE h histogram\n# TYPE h_sum gauge\n", TEXT, 2, "clashes"],
  ["a _created gauge in OpenMetrics", "# TYPE c counter\n# TYPE c_created gauge\n# EOF\n", OM, 2, "clashes"],
  [
    "a _created gauge before its counter in OpenMetrics",
    "# TYPE c_created gauge\n# TYPE c counter\n# EOF\n",
    OM,
    2,
    "clashes",
  ],
  // characters
  ["CRLF line endings", "a 1\nb 2\r\n", TEXT, 2, "Carriage return"],
  ["CRLF after HELP", "# HELP a x\r\n", TEXT, 1, "Carriage return"],
  ["CRLF after TYPE", "# TYPE a gauge\r\n", TEXT, 1, "Carriage return"],
  ["CRLF after a comment", "# hello\r\n", TEXT, 1, "Carriage return"],
  ["CRLF after labels", 'a{b="c"}\r\n', TEXT, 1, "Carriage return"],
  ["CRLF in OpenMetrics", "a 1\r\n# EOF\n", OM, 1, "Carriage return"],
  ["NUL byte outside quotes", "a 1\nb 2\nc\u0000 3\n", TEXT, 3, "NUL"],
  ["NUL byte inside quotes", 'a{b="\u0000"} 1\n', TEXT, 1, "NUL"],
  ["NUL byte in OpenMetrics", "a 1\n\u0000\n# EOF\n", OM, 2, "NUL"],
  // OpenMetrics framing
  ["missing # EOF", "a 1\n", OM, 2, 'Missing "# EOF"'],
  ["empty OpenMetrics input", "", OM, 1, 'Missing "# EOF"'],
  ["line after # EOF", "# EOF\na 1\n", OM, 2, 'Content after "# EOF"'],
  ["blank line after # EOF", "a 1\n# EOF\n\n", OM, 3, 'Content after "# EOF"'],
  ["second # EOF", "# EOF\n# EOF\n", OM, 2, 'Content after "# EOF"'],
  ["blank line", "a 1\n\nb 1\n# EOF\n", OM, 2, "Blank lines"],
  ["comment line", "# hello\n# EOF\n", OM, 1, 'Only "# HELP"'],
  ["lone #", "#\n# EOF\n", OM, 1, 'Only "# HELP"'],
  ["# EOF with trailing text", "# EOFX\n", OM, 1, 'Only "# HELP"'],
  ["leading whitespace", " a 1\n# EOF\n", OM, 1, "Expected a metric name"],
  ["two spaces before the value", "a  1\n# EOF\n", OM, 1, "Expected a value"],
  ["tab before the value", "a\t1\n# EOF\n", OM, 1, 'Expected " " before the value'],
  ["trailing comma", 'a{b="c",} 1\n# EOF\n', OM, 1, "Trailing comma"],
  ["blank inside braces", 'a{ b="c"} 1\n# EOF\n', OM, 1, "Expected a label name"],
  ["HELP without a space after the name", "# HELP a\n# EOF\n", OM, 1, 'Expected " " after the metric name'],
  ["interleaved families", "a 1\nb 1\na 2\n# EOF\n", OM, 3, "interleaved"],
  [
    "metadata for a closed family",
    "# TYPE a gauge\n# TYPE b gauge\n# HELP a x\n# EOF\n",
    OM,
    3,
    "interleaved",
  ],
  ["TYPE after samples in OpenMetrics", "a 1\n# TYPE a gauge\n# EOF\n", OM, 2, "after its samples"],
  ["bare counter sample in OpenMetrics", "# TYPE c counter\nc 1\n# EOF\n", OM, 2, "does not belong"],
  ["exemplar on a gauge", '# TYPE g gauge\ng 1 # {a="b"} 1\n# EOF\n', OM, 2, "may not have an exemplar"],
  ["exemplar without braces", "# TYPE c counter\nc_total 1 # 1\n# EOF\n", OM, 2, 'Expected "# {"'],
  [
    "exemplar labels over 128 code points",
    `# TYPE c counter\nc_total 1 # {a="${"x".repeat(128)}"} 1\n# EOF\n`,
    OM,
    2,
    "longer than 128",
  ],
  ["negative counter", "# TYPE c counter\nc_total -1\n# EOF\n", OM, 2, "negative or NaN"],
  ["NaN counter", "# TYPE c counter\nc_total NaN\n# EOF\n", OM, 2, "negative or NaN"],
  ["NaN bucket", '# TYPE h histogram\nh_bucket{le="+Inf"} NaN\n# EOF\n', OM, 2, "negative or NaN"],
  [
    "le that is not a number in OpenMetrics",
    '# TYPE h histogram\nh_bucket{le="x"} 1\n# EOF\n',
    OM,
    2,
    'Label "le"',
  ],
  ["bucket without le", "# TYPE h histogram\nh_bucket 1\n# EOF\n", OM, 2, 'lacks the label "le"'],
  ["summary without quantile", "# TYPE s summary\ns 1\n# EOF\n", OM, 2, 'lacks the label "quantile"'],
  ["info value not 1", "# TYPE i info\ni_info 2\n# EOF\n", OM, 2, "value 1"],
  ["stateset without its label", '# TYPE s stateset\ns{x="a"} 1\n# EOF\n', OM, 2, 'lacks the label "s"'],
  ["stateset value not 0 or 1", '# TYPE s stateset\ns{s="a"} 2\n# EOF\n', OM, 2, "0 or 1"],
  ["unit not a suffix", "# TYPE a gauge\n# UNIT a seconds\n# EOF\n", OM, 2, "not a suffix"],
  ["unit on an info family", "# TYPE a_x info\n# UNIT a_x x\n# EOF\n", OM, 2, "may not have a unit"],
  ["invalid unit", "# UNIT a_x x-y\n# EOF\n", OM, 1, "Invalid unit"],
];

for (const [name, text, format, line, fragment] of ERRORS) {
  Deno.test(`parsePrometheusText() rejects ${format === OM ? "OpenMetrics" : "text"}: ${name}`, () => {
    assertParseError(text, format, line, fragment);
  });
}

Deno.test("parsePrometheusText() throws TypeError for an unknown format", () => {
  assert.throws(() => parsePrometheusText("a 1\n", "json" as TextFormat), TypeError);
});

Deno.test("parsePrometheusText() names the line of an error deep in a large input", () => {
  const lines = Array.from({ length: 5000 }, (_, i) => `a{i="${i}"} ${i}`);
  lines[4321] = 'a{i="4321" 1';
  assertParseError(lines.join("\n") + "\n", TEXT, 4322, 'Expected "," or "}"');
});

// ---------------------------------------------------------------------------------------- crasher corpus

/** Inputs that crashed Prometheus parsers at some point (RELIABILITY.md P2) and close relatives. */
const CRASHERS: [string, "error" | MetricFamily[], "error" | MetricFamily[]][] = [
  // [input, text outcome, OpenMetrics outcome]
  ["#", [], "error"],
  ["# H", [], "error"],
  ["# HELP", "error", "error"],
  ["# TYPE", "error", "error"],
  ["{A}0", "error", "error"],
  ["{} 3.14", "error", "error"],
  ['o{="foo"} 0', "error", "error"],
  ["", [], "error"],
  ["\n", [], "error"],
  ["{", "error", "error"],
  ['a{b="\u0000', "error", "error"],
  ["\u0000", "error", "error"],
  ["a\u00001", "error", "error"],
  ['a{b="c",} 1', [fam("a", "unknown", [smp("a", ["b", "c"], 1)])], "error"],
  ["a{} 1", [fam("a", "unknown", [smp("a", [], 1)])], "error"],
  ["a{", "error", "error"],
  ["a{b", "error", "error"],
  ["a{b=", "error", "error"],
  ['a{b="c"', "error", "error"],
  ['a{b="c"}', "error", "error"],
  ['a{b="c"} ', "error", "error"],
  ['"', "error", "error"],
  ["}", "error", "error"],
  ["=", "error", "error"],
  ["\\", "error", "error"],
  ["a 1 #", "error", "error"],
  ["a 1 # {", "error", "error"],
  ["# TYPE a histogram\na_bucket{le=", "error", "error"],
  ["\u2028", "error", "error"],
  ["a\u2028 1", "error", "error"],
  ["# EOF", [], []],
];

for (const [input, textOutcome, omOutcome] of CRASHERS) {
  for (const [format, outcome] of [[TEXT, textOutcome], [OM, omOutcome]] as const) {
    Deno.test(`parsePrometheusText() crasher ${JSON.stringify(input)} in ${format}`, () => {
      if (outcome === "error") {
        assert.throws(() => parsePrometheusText(input, format), ParseError);
      } else {
        assert.deepStrictEqual(parsePrometheusText(input, format), outcome);
      }
    });
  }
}
