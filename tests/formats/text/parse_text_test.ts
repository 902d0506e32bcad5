/**
 * Valid Prometheus text 0.0.4: a table per grammar rule, each input with the families it must give.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { MetricFamily } from "../../../src/model.ts";
import { parsePrometheusText } from "../../../src/formats/text/mod.ts";
import { fam, smp, TEXT } from "./_helpers.ts";

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
