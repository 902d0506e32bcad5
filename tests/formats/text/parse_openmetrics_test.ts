/**
 * Valid OpenMetrics 1.0.0: a table per grammar rule, each input with the families it must give.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { MetricFamily } from "../../../src/model.ts";
import { parsePrometheusText } from "../../../src/formats/text/mod.ts";
import { fam, OM, smp } from "./_helpers.ts";

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
