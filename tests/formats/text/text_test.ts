/**
 * Tests for the Prometheus text 0.0.4 / OpenMetrics 1.0.0 parser: a table per grammar rule and per error
 * (error class and line), the known-crasher corpus, golden fixtures cross-checked against the Python
 * `prometheus_client` parsers, and fast-check properties (robustness and a write/parse round trip).
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { ParseError } from "../../../src/errors.ts";
import type { MetricFamily, MetricType, Sample } from "../../../src/model.ts";
import { parsePrometheusText, type TextFormat } from "../../../src/formats/text/mod.ts";
import { writeOpenMetrics } from "../../../src/exposition/openmetrics.ts";
import { type ParsedFamily, parsedValue, pythonParseMany, toolTest } from "../../_lib/validators.ts";

const TEXT: TextFormat = "prometheus";
const OM: TextFormat = "openmetrics";
const FIXTURES = new URL("../../testdata/parse/", import.meta.url);

/** Builds a family; `help`/`unit` default to `""`. */
function fam(
  name: string,
  type: MetricType,
  samples: Sample[],
  meta: { help?: string; unit?: string } = {},
): MetricFamily {
  return { name, type, help: meta.help ?? "", unit: meta.unit ?? "", samples };
}

/** Builds a sample. */
function smp(name: string, labels: string[], value: number, timestampMs?: number): Sample {
  return timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs };
}

/** Asserts that parsing throws a ParseError on `line` whose message contains `fragment`. */
function assertParseError(text: string, format: TextFormat, line: number, fragment: string): void {
  assert.throws(
    () => parsePrometheusText(text, format),
    (e: unknown) => {
      assert.ok(e instanceof ParseError, `expected ParseError, got ${e}`);
      assert.equal(e.line, line, `line of ${JSON.stringify(e.message)}`);
      assert.ok(e.message.startsWith(`line ${line}: `), e.message);
      assert.ok(
        e.message.includes(fragment),
        `${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`,
      );
      return true;
    },
  );
}

// ------------------------------------------------------------------------------------ valid: text 0.0.4

const TEXT_VALID: [string, string, MetricFamily[]][] = [
  ["empty input", "", []],
  ["blank lines and comments only", "\n\n# a comment\n  \n\t\n#no space comment\n", []],
  ["a lone #", "#", []],
  ["a comment starting with H", "# H\n", []],
  ["# UNIT is a comment in text", "# UNIT a_seconds seconds\n", []],
  ["# EOF is a comment in text", "# EOF\na 1\n", [fam("a", "unknown", [smp("a", [], 1)])]],
  [
    "HELP, TYPE and samples",
    '# HELP up Whether up.\n# TYPE up gauge\nup{job="a"} 1\nup{job="b"} 0\n',
    [fam("up", "gauge", [smp("up", ["job", "a"], 1), smp("up", ["job", "b"], 0)], { help: "Whether up." })],
  ],
  [
    "TYPE before HELP",
    "# TYPE up gauge\n# HELP up Up.\nup 1\n",
    [fam("up", "gauge", [smp("up", [], 1)], { help: "Up." })],
  ],
  [
    "counter declared with _total is family without _total",
    "# HELP http_requests_total Requests.\n# TYPE http_requests_total counter\nhttp_requests_total 7\n",
    [fam("http_requests", "counter", [smp("http_requests_total", [], 7)], { help: "Requests." })],
  ],
  [
    "counter without _total gets a _total sample",
    "# TYPE requests counter\nrequests 5\n",
    [fam("requests", "counter", [smp("requests_total", [], 5)])],
  ],
  [
    "counter declared bare takes _total and _created samples",
    "# TYPE requests counter\nrequests_total 5\nrequests_created 1.7e9\n",
    [fam("requests", "counter", [smp("requests_total", [], 5), smp("requests_created", [], 1.7e9)])],
  ],
  [
    "client_python text: an x_created gauge stays the gauge it was sent as (rules see it)",
    "# TYPE foo_total counter\nfoo_total 1\n# HELP foo_created Created.\n# TYPE foo_created gauge\nfoo_created 1.7e9\n",
    [
      fam("foo", "counter", [smp("foo_total", [], 1)]),
      fam("foo_created", "gauge", [smp("foo_created", [], 1.7e9)], { help: "Created." }),
    ],
  ],
  [
    "client_python text: x_created gauge before histogram x stays apart too",
    '# TYPE h_created gauge\nh_created 5\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 2\n',
    [
      fam("h_created", "gauge", [smp("h_created", [], 5)]),
      fam("h", "histogram", [smp("h_bucket", ["le", "+Inf"], 1), smp("h_count", [], 1), smp("h_sum", [], 2)]),
    ],
  ],
  [
    "an x_created gauge next to a gauge x stays apart",
    "# TYPE g gauge\ng 1\n# TYPE g_created gauge\ng_created 2\n",
    [fam("g", "gauge", [smp("g", [], 1)]), fam("g_created", "gauge", [smp("g_created", [], 2)])],
  ],
  [
    "an x_created sample before its gauge TYPE stays with the counter that claimed it",
    "# TYPE f counter\nf_created 1\n# TYPE f_created gauge\nf_created 2\n",
    [fam("f", "counter", [smp("f_created", [], 1), smp("f_created", [], 2)]), fam("f_created", "gauge", [])],
  ],
  [
    "histogram",
    '# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\nh_sum 0.7\nh_count 2\n',
    [fam("h", "histogram", [
      smp("h_bucket", ["le", "0.5"], 1),
      smp("h_bucket", ["le", "+Inf"], 2),
      smp("h_sum", [], 0.7),
      smp("h_count", [], 2),
    ])],
  ],
  [
    "summary",
    '# TYPE s summary\ns{quantile="0.5"} 3\ns_sum 10\ns_count 4\n',
    [fam("s", "summary", [smp("s", ["quantile", "0.5"], 3), smp("s_sum", [], 10), smp("s_count", [], 4)])],
  ],
  ["untyped is unknown", "# TYPE u untyped\nu 1\n", [fam("u", "unknown", [smp("u", [], 1)])]],
  [
    "samples without metadata form unknown families of their own names",
    "x_bucket 1\nx_sum 2\n",
    [fam("x_bucket", "unknown", [smp("x_bucket", [], 1)]), fam("x_sum", "unknown", [smp("x_sum", [], 2)])],
  ],
  [
    "HELP without TYPE gives an unknown family with help",
    "# HELP a Some help.\na 1\n",
    [fam("a", "unknown", [smp("a", [], 1)], { help: "Some help." })],
  ],
  ["metadata without samples keeps an empty family", "# TYPE a gauge\n", [fam("a", "gauge", [])]],
  ["HELP without text", "# HELP a\na 1\n", [fam("a", "unknown", [smp("a", [], 1)])]],
  [
    "label value escapes",
    'a{v="back\\\\slash \\"quoted\\" new\\nline"} 1\n',
    [fam("a", "unknown", [smp("a", ["v", 'back\\slash "quoted" new\nline'], 1)])],
  ],
  ["raw CR inside a label value", 'a{v="x\ry"} 1\n', [fam("a", "unknown", [smp("a", ["v", "x\ry"], 1)])]],
  [
    "UTF-8 label values",
    'a{v="héllo 世界 🚀"} 1\n',
    [fam("a", "unknown", [smp("a", ["v", "héllo 世界 🚀"], 1)])],
  ],
  [
    "HELP escapes in text: \\\\ and \\n, raw quote kept",
    '# HELP a Say "hi" \\\\ then\\nbye.\na 1\n',
    [fam("a", "unknown", [smp("a", [], 1)], { help: 'Say "hi" \\ then\nbye.' })],
  ],
  [
    "HELP keeps trailing blanks and drops leading ones",
    "# HELP a \t  text  \na 1\n",
    [fam("a", "unknown", [smp("a", [], 1)], { help: "text  " })],
  ],
  [
    "Go float forms",
    "a 1e3\na 1E3\na -1.5e-3\na .5\na 5.\na +7\na 007\na 0.1\na 123456789012345678\n",
    [fam(
      "a",
      "unknown",
      [1e3, 1e3, -1.5e-3, 0.5, 5, 7, 7, 0.1, 123456789012345678].map((v) => smp("a", [], v)),
    )],
  ],
  [
    "NaN and infinities in any case",
    "a NaN\na nan\na NAN\na +Inf\na -Inf\na Inf\na inf\na +inf\na -infinity\na Infinity\n",
    [fam(
      "a",
      "unknown",
      [NaN, NaN, NaN, Infinity, -Infinity, Infinity, Infinity, Infinity, -Infinity, Infinity]
        .map((v) => smp("a", [], v)),
    )],
  ],
  ["negative zero", "a -0\n", [fam("a", "unknown", [smp("a", [], -0)])]],
  [
    "text timestamps are int64 milliseconds",
    "a 1 1700000000123\na 2 -5\na 3 0\n",
    [fam("a", "unknown", [smp("a", [], 1, 1700000000123), smp("a", [], 2, -5), smp("a", [], 3, 0)])],
  ],
  [
    "blanks around every token",
    '  \t a { b = "c" , d="e" , } \t 1 \t 2 \t\n',
    [fam("a", "unknown", [smp("a", ["b", "c", "d", "e"], 1, 2)])],
  ],
  ["trailing comma", 'a{b="c",} 1\n', [fam("a", "unknown", [smp("a", ["b", "c"], 1)])]],
  ["empty braces", "a{} 1\n", [fam("a", "unknown", [smp("a", [], 1)])]],
  ["no blank between } and the value", 'a{b="c"}1\n', [fam("a", "unknown", [smp("a", ["b", "c"], 1)])]],
  ["no final line feed", "a 1", [fam("a", "unknown", [smp("a", [], 1)])]],
  [
    "names with colons and reserved-looking label names",
    'a:b:c{_x="1",__meta_y="2"} 1\n',
    [fam("a:b:c", "unknown", [smp("a:b:c", ["_x", "1", "__meta_y", "2"], 1)])],
  ],
  [
    "duplicate series are kept",
    'a{b="c"} 1\na{b="c"} 2\n',
    [fam("a", "unknown", [smp("a", ["b", "c"], 1), smp("a", ["b", "c"], 2)])],
  ],
  [
    "a split family is merged in first-seen order",
    "# TYPE a gauge\na 1\n# TYPE b gauge\nb 2\na 3\n",
    [fam("a", "gauge", [smp("a", [], 1), smp("a", [], 3)]), fam("b", "gauge", [smp("b", [], 2)])],
  ],
  [
    "client_golang's gauge x next to counter x_total: the counter becomes unknown x_total",
    "# TYPE m gauge\nm 1\n# TYPE m_total counter\nm_total 2\n",
    [fam("m", "gauge", [smp("m", [], 1)]), fam("m_total", "unknown", [smp("m_total", [], 2)])],
  ],
  [
    "counter x_total before gauge x",
    "# TYPE m_total counter\nm_total 2\n# TYPE m gauge\nm 1\nm_total 3\n",
    [
      fam("m_total", "unknown", [smp("m_total", [], 2), smp("m_total", [], 3)]),
      fam("m", "gauge", [smp("m", [], 1)]),
    ],
  ],
  [
    "metadata of several families before their samples",
    "# HELP a A.\n# HELP b B.\n# TYPE a gauge\n# TYPE b counter\na 1\nb_total 2\n",
    [
      fam("a", "gauge", [smp("a", [], 1)], { help: "A." }),
      fam("b", "counter", [smp("b_total", [], 2)], { help: "B." }),
    ],
  ],
];

for (const [name, text, expected] of TEXT_VALID) {
  Deno.test(`parsePrometheusText() text: ${name}`, () => {
    assert.deepStrictEqual(parsePrometheusText(text, TEXT), expected);
  });
}

// ------------------------------------------------------------------------------------ valid: OpenMetrics

const OM_VALID: [string, string, MetricFamily[]][] = [
  ["only # EOF", "# EOF\n", []],
  ["# EOF without final line feed", "a 1\n# EOF", [fam("a", "unknown", [smp("a", [], 1)])]],
  [
    "counter with _created, exemplar dropped, seconds timestamps",
    "# TYPE c counter\n# HELP c Count.\n" +
    'c_total{a="b"} 3 1700000000.5 # {trace_id="x"} 1 1700000000.25\n' +
    'c_created{a="b"} 1699999000 1700000000.5\n# EOF\n',
    [fam("c", "counter", [
      smp("c_total", ["a", "b"], 3, 1700000000500),
      smp("c_created", ["a", "b"], 1699999000, 1700000000500),
    ], { help: "Count." })],
  ],
  [
    "timestamps are rounded to whole milliseconds",
    "a 1 1700000000.123\na 2 1.001\na 3 -1.5\na 4 1e3\n# EOF\n",
    [fam("a", "unknown", [
      smp("a", [], 1, 1700000000123),
      smp("a", [], 2, 1001),
      smp("a", [], 3, -1500),
      smp("a", [], 4, 1000000),
    ])],
  ],
  [
    "histogram with UNIT and a bucket exemplar with empty labels",
    "# TYPE h_seconds histogram\n# UNIT h_seconds seconds\n" +
    'h_seconds_bucket{le="1.0"} 1 # {} 0.5\nh_seconds_bucket{le="+Inf"} 2\nh_seconds_count 2\n' +
    "h_seconds_sum 1.5\nh_seconds_created 1e9\n# EOF\n",
    [fam("h_seconds", "histogram", [
      smp("h_seconds_bucket", ["le", "1.0"], 1),
      smp("h_seconds_bucket", ["le", "+Inf"], 2),
      smp("h_seconds_count", [], 2),
      smp("h_seconds_sum", [], 1.5),
      smp("h_seconds_created", [], 1e9),
    ], { unit: "seconds" })],
  ],
  [
    "gaugehistogram",
    '# TYPE g gaugehistogram\ng_bucket{le="+Inf"} 3\ng_gcount 3\ng_gsum 7\n# EOF\n',
    [fam("g", "gaugehistogram", [
      smp("g_bucket", ["le", "+Inf"], 3),
      smp("g_gcount", [], 3),
      smp("g_gsum", [], 7),
    ])],
  ],
  [
    "summary",
    '# TYPE s summary\ns{quantile="0.9"} 1\ns_sum 2\ns_count 3\ns_created 4\n# EOF\n',
    [fam("s", "summary", [
      smp("s", ["quantile", "0.9"], 1),
      smp("s_sum", [], 2),
      smp("s_count", [], 3),
      smp("s_created", [], 4),
    ])],
  ],
  [
    "info",
    '# TYPE build info\nbuild_info{version="1"} 1\n# EOF\n',
    [fam("build", "info", [smp("build_info", ["version", "1"], 1)])],
  ],
  [
    "stateset",
    '# TYPE st stateset\nst{st="a"} 1\nst{st="b"} 0\n# EOF\n',
    [fam("st", "stateset", [smp("st", ["st", "a"], 1), smp("st", ["st", "b"], 0)])],
  ],
  ["unknown", "# TYPE u unknown\nu 1\n# EOF\n", [fam("u", "unknown", [smp("u", [], 1)])]],
  [
    'HELP escapes include \\" in OpenMetrics; a raw quote is kept',
    '# HELP a x\\"y\\\\z\\nw "raw"\n# EOF\n',
    [fam("a", "unknown", [], { help: 'x"y\\z\nw "raw"' })],
  ],
  ["HELP with one space and no text", "# HELP a \n# EOF\n", [fam("a", "unknown", [])]],
  ["empty UNIT", "# UNIT a \n# EOF\n", [fam("a", "unknown", [])]],
  ["empty braces", "a{} 1\n# EOF\n", [fam("a", "unknown", [smp("a", [], 1)])]],
  [
    "counter declared as foo_total keeps that family name (spec, Python agree)",
    "# TYPE foo_total counter\nfoo_total_total 1\n# EOF\n",
    [fam("foo_total", "counter", [smp("foo_total_total", [], 1)])],
  ],
  [
    "sample without metadata",
    "a_total 3\n# EOF\n",
    [fam("a_total", "unknown", [smp("a_total", [], 3)])],
  ],
];

for (const [name, text, expected] of OM_VALID) {
  Deno.test(`parsePrometheusText() OpenMetrics: ${name}`, () => {
    assert.deepStrictEqual(parsePrometheusText(text, OM), expected);
  });
}

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

// ------------------------------------------------------------------------------------- golden fixtures

/** JSON with NaN and infinities spelled as strings, since JSON has no such numbers. */
function toGoldenJson(families: MetricFamily[]): string {
  return JSON.stringify(
    families,
    (_k, v) =>
      typeof v === "number" && !Number.isFinite(v) ? (Number.isNaN(v) ? "NaN" : v > 0 ? "+Inf" : "-Inf") : v,
    1,
  ) + "\n";
}

function fromGoldenJson(json: string): MetricFamily[] {
  return JSON.parse(json, (k, v) => (k === "value" && typeof v === "string") ? parsedValue(v) : v);
}

const GOLDEN: [string, TextFormat][] = [["node_exporter.prom", TEXT], ["openmetrics.txt", OM]];

for (const [file, format] of GOLDEN) {
  Deno.test(`parsePrometheusText() golden fixture ${file}`, async () => {
    const text = await Deno.readTextFile(new URL(file, FIXTURES));
    const goldenUrl = new URL(file.replace(/\.\w+$/, ".json"), FIXTURES);
    const families = parsePrometheusText(text, format);
    if (Deno.env.get("UPDATE_GOLDEN") === "1") await Deno.writeTextFile(goldenUrl, toGoldenJson(families));
    assert.deepStrictEqual(families, fromGoldenJson(await Deno.readTextFile(goldenUrl)));
  });
}

Deno.test("parsePrometheusText() golden node_exporter page has the expected shape", async () => {
  const families = parsePrometheusText(
    await Deno.readTextFile(new URL("node_exporter.prom", FIXTURES)),
    TEXT,
  );
  const byName = new Map(families.map((f) => [f.name, f]));
  assert.equal(byName.get("go_gc_duration_seconds")?.type, "summary");
  assert.equal(byName.get("node_cpu_seconds")?.type, "counter");
  assert.equal(byName.get("node_textfile_backup_duration_seconds")?.type, "histogram");
  assert.deepStrictEqual(byName.get("node_textfile_legacy_requests")?.samples, [
    smp("node_textfile_legacy_requests_total", ["path", "/"], 42),
  ]);
  assert.equal(byName.get("node_textfile_untyped_without_metadata")?.type, "unknown");
  assert.ok(families.length > 150);
});

/** Compares our families with a Python parse: names, types, help, unit, sample names, labels, values. */
function assertSameAsPython(ours: MetricFamily[], theirs: ParsedFamily[], timestampScale: number): void {
  // Our one deliberate difference: a text counter `x_total` beside a family `x` stays an unknown `x_total`
  // (Python keeps two families named `x`, which have no valid OpenMetrics rendering).
  ours = ours.map((f, i) =>
    f.type === "unknown" && theirs[i]?.type === "counter" && f.name === theirs[i].name + "_total"
      ? { ...f, name: theirs[i].name, type: "counter" }
      : f
  );
  assert.deepStrictEqual(ours.map((f) => f.name), theirs.map((f) => f.name));
  for (let i = 0; i < ours.length; i++) {
    const [a, b] = [ours[i], theirs[i]];
    assert.equal(a.type, b.type, a.name);
    assert.equal(a.help, b.help, a.name);
    assert.equal(a.unit, b.unit, a.name);
    assert.equal(a.samples.length, b.samples.length, a.name);
    for (let j = 0; j < a.samples.length; j++) {
      const [x, y] = [a.samples[j], b.samples[j]];
      assert.equal(x.name, y.name);
      const pairs = [];
      for (let k = 0; k < x.labels.length; k += 2) pairs.push([x.labels[k], x.labels[k + 1]]);
      assert.deepStrictEqual(Object.fromEntries(pairs), y.labels, x.name);
      assert.ok(
        Object.is(x.value, parsedValue(y.value)) || x.value === parsedValue(y.value),
        `${x.name} value`,
      );
      if (y.timestamp === null) {
        assert.equal(x.timestampMs, undefined, x.name);
      } else {
        // The text parser divides milliseconds by 1000; OpenMetrics gives seconds.
        assert.equal(x.timestampMs, Math.round(Number(y.timestamp) * timestampScale), x.name);
      }
    }
  }
}

toolTest(
  "parsePrometheusText() agrees with Python prometheus_client on the golden fixtures",
  ["python"],
  async () => {
    const docs = await Promise.all(GOLDEN.map(async ([file, format]) => ({
      format: format === OM ? "openmetrics" as const : "text" as const,
      text: await Deno.readTextFile(new URL(file, FIXTURES)),
    })));
    const results = await pythonParseMany(docs);
    for (let i = 0; i < docs.length; i++) {
      const result = results[i];
      assert.ok(result.ok, `Python rejected ${GOLDEN[i][0]}: ${!result.ok && result.error}`);
      assertSameAsPython(parsePrometheusText(docs[i].text, GOLDEN[i][1]), result.families, 1000);
    }
  },
);

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

// ---------------------------------------------------------------------------- round trip (tiny writer)

/** A family plus how the writer spells a text counter's metadata (`x` or `x_total`). */
interface Written {
  family: MetricFamily;
  totalInMetadata: boolean;
}

function writeNumber(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  if (Object.is(v, -0)) return "-0";
  return String(v);
}

function escapeLabelValue(v: string): string {
  return v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

/**
 * A minimal exposition writer for the round trip (the real one lives in src/exposition/). `spaced` (text only)
 * puts blanks around every token and a trailing comma in labels, which the parser's fast path leaves to its
 * full scanner: both must give the same families.
 */
function writeExposition(families: Written[], format: TextFormat, spaced = false): string {
  let out = "";
  for (const { family, totalInMetadata } of families) {
    const metaName = format === TEXT && family.type === "counter" && totalInMetadata
      ? family.name + "_total"
      : family.name;
    const type = format === TEXT && family.type === "unknown" ? "untyped" : family.type;
    out += `# TYPE ${metaName} ${type}\n`;
    if (family.unit !== "") out += `# UNIT ${metaName} ${family.unit}\n`;
    if (family.help !== "") {
      let help = family.help.replaceAll("\\", "\\\\").replaceAll("\n", "\\n");
      if (format === OM) help = help.replaceAll('"', '\\"');
      out += `# HELP ${metaName} ${help}\n`;
    }
    for (const s of family.samples) {
      out += spaced ? ` \t${s.name} ` : s.name;
      if (s.labels.length > 0) {
        const pairs = [];
        for (let i = 0; i < s.labels.length; i += 2) {
          const [name, value] = [s.labels[i], escapeLabelValue(s.labels[i + 1])];
          pairs.push(spaced ? ` ${name} =\t"${value}" ` : `${name}="${value}"`);
        }
        out += spaced ? `{${pairs.join(",")}, }` : `{${pairs.join(",")}}`;
      }
      out += spaced ? ` \t${writeNumber(s.value)} ` : ` ${writeNumber(s.value)}`;
      if (s.timestampMs !== undefined) {
        out += format === TEXT ? ` ${s.timestampMs}` : ` ${s.timestampMs / 1000}`;
      }
      out += spaced ? " \t\n" : "\n";
    }
  }
  return format === OM ? out + "# EOF\n" : out;
}

const labelValueArb = fc.oneof(
  fc.constantFrom("", "\\", '"', "\n", "\\n", '\\"', "a\\", "\r", "x\r\ny", "{}", ",", "=", "# {", "é世🚀"),
  fc.string({ unit: "binary", maxLength: 12 }).map((s) => s.replaceAll("\u0000", "")),
);
const labelNameArb = fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,5}$/)
  .filter((n) => n !== "__name__" && n !== "le" && n !== "quantile");
const labelsArb = fc.uniqueArray(fc.tuple(labelNameArb, labelValueArb), {
  maxLength: 3,
  selector: ([n]) => n,
})
  .map((pairs) => pairs.flat());
const anyValueArb = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1, 1e21, 1e-7, 0.1, -2.5, 123456789012345680000),
  fc.integer(),
);
const countValueArb = fc.oneof(fc.double({ min: 0, noNaN: true }), fc.nat(), fc.constant(Infinity));
const timestampArb = fc.option(fc.integer({ min: 0, max: 4_000_000_000_000 }), { nil: undefined, freq: 3 });
const helpArb = fc.oneof(
  fc.constantFrom("", "a \\ b", 'say "hi"', "line\nbreak", "\\n literal", "tab\there"),
  fc.string({ unit: "binary", maxLength: 20 }).map((s) => s.replaceAll("\u0000", "").replaceAll("\r", "")),
);
const leArb = fc.constantFrom("0.005", "1", "1.0", "+Inf", "1e3", "-5", "-Inf");

/** Samples of one family of `type` named `name` (the model name). */
function samplesArb(name: string, type: MetricType, format: TextFormat): fc.Arbitrary<Sample[]> {
  const om = format === OM;
  const sample = (
    sampleName: string,
    labelsArbitrary: fc.Arbitrary<string[]>,
    valueArb: fc.Arbitrary<number>,
  ) =>
    fc.record({ labels: labelsArbitrary, value: valueArb, ts: timestampArb })
      .map(({ labels, value, ts }) => smp(sampleName, labels, value, ts));
  const withLabel = (label: string, values: fc.Arbitrary<string>) =>
    fc.tuple(labelsArb, values).map(([labels, v]) => [...labels, label, v]);
  switch (type) {
    case "counter":
      return fc.array(
        fc.oneof(
          sample(`${name}_total`, labelsArb, countValueArb),
          sample(`${name}_created`, labelsArb, countValueArb),
        ),
        { maxLength: 4 },
      );
    case "histogram":
    case "gaugehistogram": {
      const g = type === "gaugehistogram" ? "g" : "";
      return fc.array(
        fc.oneof(
          sample(`${name}_bucket`, withLabel("le", leArb), countValueArb),
          sample(`${name}_${g}sum`, labelsArb, om ? countValueArb : anyValueArb),
          sample(`${name}_${g}count`, labelsArb, countValueArb),
        ),
        { maxLength: 5 },
      );
    }
    case "summary":
      return fc.array(
        fc.oneof(
          sample(name, withLabel("quantile", fc.constantFrom("0", "0.5", "0.99", "1")), countValueArb),
          sample(`${name}_sum`, labelsArb, anyValueArb),
          sample(`${name}_count`, labelsArb, countValueArb),
        ),
        { maxLength: 5 },
      );
    case "info":
      return fc.array(sample(`${name}_info`, labelsArb, fc.constant(1)), { maxLength: 3 });
    case "stateset":
      return fc.array(sample(name, withLabel(name, labelValueArb), fc.constantFrom(0, 1)), { maxLength: 3 });
    default:
      return fc.array(sample(name, labelsArb, anyValueArb), { maxLength: 4 });
  }
}

const TEXT_TYPES: MetricType[] = ["counter", "gauge", "histogram", "summary", "unknown"];
const OM_TYPES: MetricType[] = [...TEXT_TYPES, "gaugehistogram", "info", "stateset"];

/**
 * Families with names that cannot claim each other's samples: each ends in `_<index>x`, and no suffix a
 * type claims ends in `x`.
 */
function familiesArb(format: TextFormat): fc.Arbitrary<Written[]> {
  const one = (index: number) =>
    fc.record({
      base: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,6}$/),
      type: fc.constantFrom(...(format === OM ? OM_TYPES : TEXT_TYPES)),
      help: helpArb.map((h) => format === TEXT ? h.replace(/^[ \t]+/, "") : h),
      withUnit: fc.boolean(),
      totalInMetadata: fc.boolean(),
    }).chain(({ base, type, help, withUnit, totalInMetadata }) => {
      // A stateset's label is named after the family, and label names have no colon.
      const name = `${type === "stateset" ? base.replaceAll(":", "_") : base}_${index}x`;
      const unit = format === OM && withUnit && type !== "info" && type !== "stateset" ? `${index}x` : "";
      return samplesArb(name, type, format).map((samples): Written => ({
        family: fam(name, type, samples, { help, unit }),
        totalInMetadata,
      }));
    });
  return fc.integer({ min: 0, max: 6 }).chain((count) =>
    fc.tuple(...Array.from({ length: count }, (_, i) => one(i)))
  );
}

Deno.test("parsePrometheusText() gives the same families for canonical and blank-padded text", () => {
  fc.assert(
    fc.property(familiesArb(TEXT), (written) => {
      const canonical = parsePrometheusText(writeExposition(written, TEXT), TEXT);
      const spaced = writeExposition(written, TEXT, true);
      assert.deepStrictEqual(parsePrometheusText(spaced, TEXT), canonical, spaced);
    }),
    { numRuns: 800 },
  );
});

Deno.test("parsePrometheusText() handles pathological sizes quickly", () => {
  const timed = (text: string): MetricFamily[] => {
    const started = performance.now();
    const families = parsePrometheusText(text, TEXT);
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
    return families;
  };
  const many = Array.from({ length: 10_000 }, (_, i) => `l${i}="v${i}"`);
  assert.equal(timed(`a{${many.join(",")}} 1\n`)[0].samples[0].labels.length, 20_000);
  assertParseError(`a{${many.join(",")},l9999="x"} 1\n`, TEXT, 1, 'Duplicate label name "l9999"');
  const big = "x".repeat(1 << 20);
  assert.equal(timed(`a{l="${big}"} 1\n`)[0].samples[0].labels[1], big);
  assert.equal(timed(`a{l="${"\\\\".repeat(1 << 19)}"} 1\n`)[0].samples[0].labels[1], "\\".repeat(1 << 19));
  assert.equal(timed(`# HELP a ${big}\n`)[0].help, big);
  assert.equal(
    timed(Array.from({ length: 200_000 }, (_, i) => `a{i="${i % 7}"} ${i}`).join("\n"))[0].samples.length,
    200_000,
  );
});

for (const format of [TEXT, OM]) {
  Deno.test(`parsePrometheusText() round-trips written ${format === OM ? "OpenMetrics" : "text"} families`, () => {
    fc.assert(
      fc.property(familiesArb(format), (written) => {
        const text = writeExposition(written, format);
        assert.deepStrictEqual(parsePrometheusText(text, format), written.map((w) => w.family), text);
      }),
      { numRuns: 1500 },
    );
  });
}

const CLASH_PAGE = [
  "# HELP go_memstats_alloc_bytes Number of bytes allocated and still in use.",
  "# TYPE go_memstats_alloc_bytes gauge",
  "go_memstats_alloc_bytes 1.2e+06",
  "# HELP go_memstats_alloc_bytes_total Total number of bytes allocated, even if freed.",
  "# TYPE go_memstats_alloc_bytes_total counter",
  "go_memstats_alloc_bytes_total 3.4e+07",
  "",
].join("\n");

Deno.test("parsePrometheusText() keeps a counter x_total beside a family x as unknown x_total", () => {
  const families = parsePrometheusText(CLASH_PAGE, "prometheus");
  assert.deepEqual(families.map((f) => [f.name, f.type, f.samples.map((s) => s.name)]), [
    ["go_memstats_alloc_bytes", "gauge", ["go_memstats_alloc_bytes"]],
    ["go_memstats_alloc_bytes_total", "unknown", ["go_memstats_alloc_bytes_total"]],
  ]);
  const om = writeOpenMetrics(families);
  assert.deepEqual(parsePrometheusText(om, "openmetrics").map((f) => f.name), families.map((f) => f.name));
});

toolTest(
  "a client_golang page with x and x_total families renders as OpenMetrics the strict parser accepts",
  [
    "python",
  ],
  async () => {
    const [result] = await pythonParseMany([{
      text: writeOpenMetrics(parsePrometheusText(CLASH_PAGE, "prometheus")),
      format: "openmetrics",
    }]);
    assert.ok(result.ok, result.ok ? "" : result.error);
  },
);
