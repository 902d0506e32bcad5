/**
 * Tests for the exposition writers (text 0.0.4 and OpenMetrics 1.0.0): exact golden files, one targeted
 * test per exactness rule, validation by promtool and both Python parsers, and fast-check round trips
 * through the Python parsers.
 *
 * Golden files live in tests/testdata/exposition/<case>.prom (text) and <case>.om (OpenMetrics). To
 * regenerate after an intended change run with UPDATE_GOLDEN=1 (the run then fails on purpose) and review
 * the diff.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { MetricFamily, Sample } from "../../src/model.ts";
import { writeText, writeTextBytes } from "../../src/exposition/text.ts";
import { writeOpenMetrics, writeOpenMetricsBytes } from "../../src/exposition/openmetrics.ts";
import {
  ByteWriter,
  canonicalFloatLabel,
  escapeHelpOpenMetrics,
  escapeHelpText,
  escapeLabelValue,
  formatCanonicalFloat,
  formatNumber,
} from "../../src/exposition/escape.ts";
import {
  assertWellFormed,
  type ParsedFamily,
  parsedValue,
  promtoolCheck,
  pythonParseMany,
  pythonParseOpenMetrics,
  pythonParseText,
  toolTest,
} from "../_lib/validators.ts";

const GOLDEN_DIR = new URL("../testdata/exposition/", import.meta.url);

function s(name: string, labels: string[], value: number, timestampMs?: number): Sample {
  return timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs };
}

function fam(
  name: string,
  type: MetricFamily["type"],
  help: string,
  samples: Sample[],
  unit = "",
): MetricFamily {
  return { name, type, help, unit, samples };
}

/** Golden cases: families, plus the promtool lint lines expected (none unless listed). */
const CASES: Record<string, { families: MetricFamily[]; lint?: string[] }> = {
  counter: {
    families: [
      fam("http_requests", "counter", "Requests handled.", [
        s("http_requests_total", ["code", "200", "method", "get"], 1027),
        s("http_requests_total", ["code", "500", "method", "get"], 3),
      ]),
      fam("jobs_processed", "counter", "Jobs processed.", [
        s("jobs_processed_total", [], 42),
        s("jobs_processed_created", [], 1700000000.25),
      ]),
    ],
  },
  gauge: {
    families: [
      fam("queue_depth", "gauge", "Items waiting.", [
        s("queue_depth", ["queue", "a"], 7.5),
        s("queue_depth", ["queue", "b"], 0),
        s("queue_depth", ["queue", "c"], -3),
      ]),
    ],
  },
  histogram: {
    families: [
      fam("request_duration_seconds", "histogram", "Request latency.", [
        s("request_duration_seconds_bucket", ["handler", "/api", "le", "0.005"], 2),
        s("request_duration_seconds_bucket", ["handler", "/api", "le", "0.1"], 5),
        s("request_duration_seconds_bucket", ["handler", "/api", "le", "1"], 9),
        s("request_duration_seconds_bucket", ["handler", "/api", "le", "1000000"], 10),
        s("request_duration_seconds_bucket", ["handler", "/api", "le", "+Inf"], 11),
        s("request_duration_seconds_sum", ["handler", "/api"], 12.5),
        s("request_duration_seconds_count", ["handler", "/api"], 11),
        s("request_duration_seconds_created", ["handler", "/api"], 1700000000),
      ], "seconds"),
    ],
  },
  gaugehistogram: {
    families: [
      fam("queue_wait_seconds", "gaugehistogram", "Current wait distribution.", [
        s("queue_wait_seconds_bucket", ["le", "1"], 3),
        s("queue_wait_seconds_bucket", ["le", "5.0"], 4),
        s("queue_wait_seconds_bucket", ["le", "+Inf"], 6),
        s("queue_wait_seconds_gcount", [], 6),
        s("queue_wait_seconds_gsum", [], 17.5),
      ], "seconds"),
    ],
  },
  summary: {
    families: [
      fam("rpc_duration_seconds", "summary", "RPC latency.", [
        s("rpc_duration_seconds", ["service", "auth", "quantile", "0"], 0.001),
        s("rpc_duration_seconds", ["service", "auth", "quantile", "0.5"], 0.02),
        s("rpc_duration_seconds", ["service", "auth", "quantile", "0.99"], 0.4),
        s("rpc_duration_seconds", ["service", "auth", "quantile", "1"], 1.2),
        s("rpc_duration_seconds_sum", ["service", "auth"], 35.25),
        s("rpc_duration_seconds_count", ["service", "auth"], 1000),
        s("rpc_duration_seconds_created", ["service", "auth"], 1700000000),
      ], "seconds"),
    ],
  },
  info: {
    families: [
      fam("build", "info", "Build information.", [
        s("build_info", ["version", "1.2.3", "revision", "abc123"], 1),
      ]),
    ],
  },
  stateset: {
    families: [
      fam("service_state", "stateset", "Service state.", [
        s("service_state", ["service_state", "starting"], 0),
        s("service_state", ["service_state", "running"], 1),
        s("service_state", ["service_state", "stopped"], 0),
      ]),
    ],
  },
  unknown: {
    families: [
      fam("legacy_value", "unknown", "An untyped upstream value.", [
        s("legacy_value", [], 12),
        s("legacy_value", ["shard", "2"], 13.5),
      ]),
    ],
  },
  hostile_labels: {
    families: [
      fam("file_access", "gauge", "Label values that need escaping.", [
        s("file_access", ["path", "C:\\DIR\\FILE.TXT"], 1),
        s("file_access", ["path", 'say "hi"'], 2),
        s("file_access", ["path", "line1\nline2"], 3),
        s("file_access", ["path", "literal \\n, not a newline"], 4),
        s("file_access", ["path", "trailing backslash\\"], 5),
        s("file_access", ["path", '\\"'], 6),
        s("file_access", ["path", "tab\tand cr\rstay raw"], 7),
        s("file_access", ["path", 'braces {a="b",c} # not a comment'], 8),
        s("file_access", ["path", "ünïcödé 日本語 😀"], 9),
        s("file_access", ["path", ""], 10),
      ]),
    ],
  },
  help_escaping: {
    families: [
      fam("help_quote", "gauge", 'a "q" \\ b\nc', [s("help_quote", [], 1)]),
      fam("help_literal", "gauge", 'literal \\n and \\\\ and \\" stay literal', [s("help_literal", [], 2)]),
    ],
  },
  special_values: {
    families: [
      fam("sensor_reading", "gauge", "Special and extreme float values.", [
        s("sensor_reading", ["case", "nan"], NaN),
        s("sensor_reading", ["case", "pos_inf"], Infinity),
        s("sensor_reading", ["case", "neg_inf"], -Infinity),
        s("sensor_reading", ["case", "neg_zero"], -0),
        s("sensor_reading", ["case", "big"], 1e21),
        s("sensor_reading", ["case", "max"], Number.MAX_VALUE),
        s("sensor_reading", ["case", "min_subnormal"], 5e-324),
        s("sensor_reading", ["case", "inexact"], 0.1 + 0.2),
        s("sensor_reading", ["case", "small_negative"], -1.5e-7),
        s("sensor_reading", ["case", "integer"], 123456789),
        s("sensor_reading", ["case", "beyond_safe_integer"], 2 ** 53 + 2),
      ]),
    ],
  },
  timestamps: {
    families: [
      fam("events_seen", "counter", "Events seen, with upstream timestamps.", [
        s("events_seen_total", ["source", "a"], 5, 1700000000123),
        s("events_seen_total", ["source", "b"], 6, 1700000000000),
      ]),
      fam("last_reading", "gauge", "A fractional millisecond timestamp.", [
        s("last_reading", [], 1.5, 1700000000123.75),
        s("last_reading", ["probe", "early"], 2, 1),
      ]),
    ],
  },
  units: {
    families: [
      fam("disk_usage_bytes", "gauge", "UNIT written: the name ends with _bytes.", [
        s("disk_usage_bytes", [], 1024),
      ], "bytes"),
      fam("io_read_bytes", "counter", "Counter with a unit.", [s("io_read_bytes_total", [], 4096)], "bytes"),
      fam("cpu_time", "gauge", "UNIT omitted: seconds is not a suffix of the name.", [
        s("cpu_time", [], 3),
      ], "seconds"),
      fam(
        "release",
        "info",
        "UNIT omitted: not allowed on info.",
        [s("release_info", ["tag", "v1"], 1)],
        "info",
      ),
    ],
  },
  no_help: {
    families: [fam("quiet_value", "gauge", "", [s("quiet_value", [], 1)])],
    lint: ["quiet_value no help text"],
  },
  empty: { families: [] },
};

const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";

function readGolden(file: string): string {
  return Deno.readTextFileSync(new URL(file, GOLDEN_DIR));
}

for (const [name, { families }] of Object.entries(CASES)) {
  Deno.test(`writeText() matches golden ${name}.prom`, () => {
    const out = writeText(families);
    if (UPDATE) {
      Deno.writeTextFileSync(new URL(`${name}.prom`, GOLDEN_DIR), out);
      throw new Error("Golden file rewritten (UPDATE_GOLDEN=1); review it and rerun without UPDATE_GOLDEN");
    }
    assert.equal(out, readGolden(`${name}.prom`));
    assertWellFormed(out, "text");
  });
  Deno.test(`writeOpenMetrics() matches golden ${name}.om`, () => {
    const out = writeOpenMetrics(families);
    if (UPDATE) {
      Deno.writeTextFileSync(new URL(`${name}.om`, GOLDEN_DIR), out);
      throw new Error("Golden file rewritten (UPDATE_GOLDEN=1); review it and rerun without UPDATE_GOLDEN");
    }
    assert.equal(out, readGolden(`${name}.om`));
    assertWellFormed(out, "openmetrics");
  });
}

// ---------------------------------------------------------------- golden files vs independent tools

toolTest("writeText() golden files pass promtool check metrics", ["promtool"], async () => {
  for (const [name, { lint = [] }] of Object.entries(CASES)) {
    const res = await promtoolCheck(readGolden(`${name}.prom`));
    if (lint.length === 0) {
      assert.equal(res.code, 0, `${name}.prom: ${res.output}`);
    } else {
      // Exit 3 is "lint problems only": the document parsed; the listed problems are expected.
      assert.equal(res.code, 3, `${name}.prom: ${res.output}`);
      assert.deepEqual(res.output.trim().split("\n").sort(), [...lint].sort(), `${name}.prom`);
    }
  }
});

toolTest("writeText() and writeOpenMetrics() golden files pass the Python text and strict OM parsers", [
  "python",
], async () => {
  const names = Object.keys(CASES);
  const docs = names.flatMap((n) => [
    { format: "text" as const, text: readGolden(`${n}.prom`) },
    { format: "openmetrics" as const, text: readGolden(`${n}.om`) },
  ]);
  const results = await pythonParseMany(docs);
  results.forEach((r, i) => {
    assert.ok(r.ok, `${names[i >> 1]}.${i % 2 ? "om" : "prom"}: ${r.ok ? "" : r.error}`);
  });
});

toolTest("writeText() and writeOpenMetrics() round-trip hostile label values and HELP through Python", [
  "python",
], async () => {
  for (const c of ["hostile_labels", "help_escaping"]) {
    const families = CASES[c].families;
    const fromText = await pythonParseText(writeText(families));
    const fromOm = await pythonParseOpenMetrics(writeOpenMetrics(families));
    for (const parsed of [fromText, fromOm]) {
      assert.deepEqual(parsed.map((f) => f.help), families.map((f) => f.help), c);
      assert.deepEqual(
        parsed.flatMap((f) => f.samples.map((x) => x.labels)),
        families.flatMap((f) => f.samples.map((x) => labelRecord(x.labels))),
        c,
      );
    }
  }
});

toolTest(
  "writeText() and writeOpenMetrics() special values parse back to the same floats",
  ["python"],
  async () => {
    const families = CASES.special_values.families;
    const want = families[0].samples.map((x) => x.value);
    for (
      const parsed of [
        await pythonParseText(writeText(families)),
        await pythonParseOpenMetrics(writeOpenMetrics(families)),
      ]
    ) {
      const got = parsed[0].samples.map((x) => parsedValue(x.value));
      // -0 is written "0" on purpose (as client_golang does), so compare with -0 == 0.
      assert.deepEqual(got.map((v) => (v === 0 ? 0 : v)), want.map((v) => (v === 0 ? 0 : v)));
    }
  },
);

// ---------------------------------------------------------------- escaping and numbers

Deno.test("escapeLabelValue() escapes exactly backslash, double quote and LF", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  // Each character alone, so the scan that decides whether to escape at all is covered too.
  assert.equal(escapeLabelValue('say "hi"'), 'say \\"hi\\"');
  assert.equal(escapeLabelValue("a\\b"), "a\\\\b");
  assert.equal(escapeLabelValue("a\nb"), "a\\nb");
  assert.equal(escapeLabelValue("\t\r\u0000é😀{},="), "\t\r\u0000é😀{},=");
  assert.equal(escapeLabelValue("\\n"), "\\\\n");
  assert.equal(escapeLabelValue(""), "");
  const plain = "no escaping needed";
  assert.equal(escapeLabelValue(plain), plain);
});

Deno.test("escapeHelpText() escapes backslash and LF but leaves a double quote raw", () => {
  assert.equal(escapeHelpText('a "q" \\ b\nc'), 'a "q" \\\\ b\\nc');
});

Deno.test("escapeHelpOpenMetrics() escapes backslash, LF and double quote", () => {
  assert.equal(escapeHelpOpenMetrics('a "q" \\ b\nc'), 'a \\"q\\" \\\\ b\\nc');
});

Deno.test("formatNumber() spells specials NaN, +Inf, -Inf and integers without .0", () => {
  const cases: [number, string][] = [
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [-0, "0"],
    [0, "0"],
    [1, "1"],
    [-7, "-7"],
    [1.5, "1.5"],
    [1e21, "1e+21"],
    [5e-324, "5e-324"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e-7, "1e-7"],
  ];
  for (const [v, want] of cases) assert.equal(formatNumber(v), want, String(v));
});

Deno.test("formatCanonicalFloat() matches Go's OpenMetrics float form", () => {
  const cases: [number, string][] = [
    [1, "1.0"],
    [0, "0.0"],
    [-0, "0.0"],
    [-1, "-1.0"],
    [0.005, "0.005"],
    [100, "100.0"],
    [123456, "123456.0"],
    [1e6, "1e+06"],
    [1234567, "1.234567e+06"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [2.5e-10, "2.5e-10"],
    [1e100, "1e+100"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [NaN, "NaN"],
  ];
  for (const [v, want] of cases) assert.equal(formatCanonicalFloat(v), want, String(v));
});

Deno.test("canonicalFloatLabel() canonicalises numbers and leaves anything else unchanged", () => {
  const cases: [string, string][] = [
    ["1", "1.0"],
    ["1.0", "1.0"],
    ["0.25", "0.25"],
    [".5", "0.5"],
    ["1e3", "1000.0"],
    ["+Inf", "+Inf"],
    ["inf", "+Inf"],
    ["-Infinity", "-Inf"],
    ["nan", "NaN"],
    ["0x10", "0x10"],
    ["", ""],
    ["abc", "abc"],
    [" 1", " 1"],
    ["1e999", "1e999"],
  ];
  for (const [raw, want] of cases) assert.equal(canonicalFloatLabel(raw), want, raw);
});

Deno.test("ByteWriter grows from a tiny buffer and writes non-ASCII and escapes exactly", () => {
  const w = new ByteWriter(1);
  const parts = ["plain", "é", "日本語😀", 'mixed "é" \\ \n end', "", "x".repeat(5000)];
  let want = "";
  for (const p of parts) {
    w.raw(p);
    w.byte(0x7c); // |
    w.escaped(p, true);
    w.byte(0x7c);
    w.escaped(p, false);
    w.byte(0x0a);
    want += p + "|" + escapeLabelValue(p) + "|" + escapeHelpText(p) + "\n";
  }
  assert.equal(w.text(), want);
  assert.deepEqual(w.bytes(), new TextEncoder().encode(want));
});

Deno.test("ByteWriter.number() writes exactly what formatNumber() returns", () => {
  const values = [
    0,
    -0,
    1,
    9,
    10,
    99,
    100,
    12345,
    999999999999999,
    1e15,
    1e21,
    -1,
    -10,
    0.5,
    NaN,
    Infinity,
    -Infinity,
  ];
  for (let i = 0; i < 1000; i++) values.push(Math.floor(10 ** (i % 16) * ((i * 0.618034) % 1)));
  for (const v of values) {
    const w = new ByteWriter(1);
    w.number(v);
    assert.equal(w.text(), formatNumber(v), String(v));
  }
});

Deno.test("writeTextBytes() and writeOpenMetricsBytes() are the UTF-8 of the string forms", () => {
  const all = Object.values(CASES).flatMap((c) => c.families);
  const enc = new TextEncoder();
  assert.deepEqual(writeTextBytes(all), enc.encode(writeText(all)));
  assert.deepEqual(writeOpenMetricsBytes(all), enc.encode(writeOpenMetrics(all)));
});

// ---------------------------------------------------------------- text rules

Deno.test("writeText() names counter metadata foo_total and drops foo_created", () => {
  const out = writeText(CASES.counter.families);
  assert.match(out, /^# HELP jobs_processed_total Jobs processed\.\n# TYPE jobs_processed_total counter\n/m);
  assert.doesNotMatch(out, /_created/);
  assert.doesNotMatch(out, /# TYPE jobs_processed counter/);
});

Deno.test("writeText() drops _created of histograms and summaries", () => {
  assert.doesNotMatch(writeText(CASES.histogram.families), /_created/);
  assert.doesNotMatch(writeText(CASES.summary.families), /_created/);
});

Deno.test("writeText() writes unknown as untyped, info as foo_info gauge, stateset as gauge", () => {
  assert.match(writeText(CASES.unknown.families), /^# TYPE legacy_value untyped$/m);
  assert.match(
    writeText(CASES.info.families),
    /^# HELP build_info Build information\.\n# TYPE build_info gauge\n/,
  );
  assert.match(writeText(CASES.stateset.families), /^# TYPE service_state gauge$/m);
});

Deno.test("writeText() writes a gauge histogram as a histogram plus _gcount and _gsum gauges", () => {
  assert.equal(
    writeText(CASES.gaugehistogram.families),
    "# HELP queue_wait_seconds Current wait distribution.\n# TYPE queue_wait_seconds histogram\n" +
      'queue_wait_seconds_bucket{le="1"} 3\nqueue_wait_seconds_bucket{le="5.0"} 4\n' +
      'queue_wait_seconds_bucket{le="+Inf"} 6\n' +
      "# HELP queue_wait_seconds_gcount Current wait distribution.\n# TYPE queue_wait_seconds_gcount gauge\n" +
      "queue_wait_seconds_gcount 6\n" +
      "# HELP queue_wait_seconds_gsum Current wait distribution.\n# TYPE queue_wait_seconds_gsum gauge\n" +
      "queue_wait_seconds_gsum 17.5\n",
  );
});

Deno.test("writeText() omits HELP when help is empty and writes HELP before TYPE", () => {
  assert.equal(writeText(CASES.no_help.families), "# TYPE quiet_value gauge\nquiet_value 1\n");
  assert.match(
    writeText(CASES.gauge.families),
    /^# HELP queue_depth Items waiting\.\n# TYPE queue_depth gauge\n/,
  );
});

Deno.test("writeText() keeps le and quantile values as the model has them", () => {
  const out = writeText(CASES.histogram.families);
  assert.match(out, /le="1"\}/);
  assert.match(out, /le="1000000"\}/);
  assert.match(writeText(CASES.summary.families), /quantile="0"\}/);
});

Deno.test("writeText() writes timestamps as integer milliseconds, truncating fractions", () => {
  const out = writeText(CASES.timestamps.families);
  assert.match(out, /^events_seen_total\{source="a"\} 5 1700000000123$/m);
  assert.match(out, /^last_reading 1\.5 1700000000123$/m);
});

Deno.test("writeText() omits a non-finite timestamp instead of writing an invalid one", () => {
  const out = writeText([fam("x", "gauge", "h", [s("x", [], 1, NaN), s("x", ["a", "b"], 2, Infinity)])]);
  assert.equal(out, '# HELP x h\n# TYPE x gauge\nx 1\nx{a="b"} 2\n');
});

Deno.test("writeText() writes a family without samples as metadata only, and nothing for no families", () => {
  assert.equal(writeText([fam("idle", "gauge", "Idle.", [])]), "# HELP idle Idle.\n# TYPE idle gauge\n");
  assert.equal(writeText([]), "");
});

// ---------------------------------------------------------------- OpenMetrics rules

Deno.test("writeOpenMetrics() writes an empty family list as exactly # EOF", () => {
  assert.equal(writeOpenMetrics([]), "# EOF\n");
});

Deno.test("writeOpenMetrics() writes TYPE, UNIT, HELP in that order under the family name", () => {
  const out = writeOpenMetrics(CASES.histogram.families);
  assert.ok(
    out.startsWith(
      "# TYPE request_duration_seconds histogram\n# UNIT request_duration_seconds seconds\n" +
        "# HELP request_duration_seconds Request latency.\n",
    ),
    out,
  );
});

Deno.test("writeOpenMetrics() writes UNIT only for a matching name suffix and never on info", () => {
  const out = writeOpenMetrics(CASES.units.families);
  assert.match(out, /^# UNIT disk_usage_bytes bytes$/m);
  assert.match(out, /^# UNIT io_read_bytes bytes$/m);
  assert.doesNotMatch(out, /# UNIT cpu_time/);
  assert.doesNotMatch(out, /# UNIT release/);
});

Deno.test("writeOpenMetrics() writes counters as family foo with foo_total and foo_created samples", () => {
  const out = writeOpenMetrics(CASES.counter.families);
  assert.match(out, /^# TYPE jobs_processed counter\n# HELP jobs_processed Jobs processed\.\n/m);
  assert.match(out, /^jobs_processed_total 42\njobs_processed_created 1700000000\.25\n/m);
  assert.doesNotMatch(out, /http_requests_created/);
});

Deno.test("writeOpenMetrics() spells unknown as unknown and keeps info and stateset types", () => {
  assert.match(writeOpenMetrics(CASES.unknown.families), /^# TYPE legacy_value unknown$/m);
  assert.match(writeOpenMetrics(CASES.info.families), /^# TYPE build info\n(?:.*\n)?build_info\{/m);
  assert.match(writeOpenMetrics(CASES.stateset.families), /^# TYPE service_state stateset$/m);
});

Deno.test("writeOpenMetrics() canonicalises le and quantile but no other label", () => {
  const hist = writeOpenMetrics(CASES.histogram.families);
  assert.match(hist, /le="1\.0"\} 9$/m);
  assert.match(hist, /le="1e\+06"\} 10$/m);
  assert.match(hist, /le="0\.005"\} 2$/m);
  assert.match(writeOpenMetrics(CASES.summary.families), /quantile="0\.0"\} 0\.001$/m);
  const gauge = writeOpenMetrics([fam("g", "gauge", "h", [s("g", ["le", "1"], 1)])]);
  assert.match(gauge, /g\{le="1"\} 1/);
  const odd = writeOpenMetrics([fam("h", "histogram", "h", [s("h_bucket", ["le", 'x"y'], 1)])]);
  assert.match(odd, /h_bucket\{le="x\\"y"\} 1/);
});

Deno.test("writeOpenMetrics() writes timestamps in seconds", () => {
  const out = writeOpenMetrics(CASES.timestamps.families);
  assert.match(out, /^events_seen_total\{source="a"\} 5 1700000000\.123$/m);
  assert.match(out, /^events_seen_total\{source="b"\} 6 1700000000$/m);
  assert.match(out, /^last_reading\{probe="early"\} 2 0\.001$/m);
});

Deno.test("writeOpenMetrics() ends with # EOF and has no blank line", () => {
  const all = Object.values(CASES).flatMap((c) => c.families);
  const out = writeOpenMetrics(all);
  assert.ok(out.endsWith("\n# EOF\n"));
  assert.ok(!out.includes("\n\n"));
  assertWellFormed(out, "openmetrics");
  assertWellFormed(writeText(all), "text");
});

// ---------------------------------------------------------------- structural checker self-test

Deno.test("assertWellFormed() rejects split families, repeated metadata, duplicates and bad endings", () => {
  const bad: [string, "text" | "openmetrics", RegExp][] = [
    ['# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="1"} 2\n', "text", /split/],
    ["# HELP a x\n# HELP a y\n# TYPE a gauge\na 1\n", "text", /second HELP/],
    ["# TYPE a gauge\na 1\n# HELP a late\n", "text", /after its samples/],
    ['# TYPE a gauge\na{x="1"} 1\na{x="1"} 2\n', "text", /duplicate series/],
    ['# TYPE a gauge\na 1\na{x=""} 2\n', "text", /duplicate series/],
    ["# TYPE a gauge\na 1", "text", /end with LF/],
    ["# TYPE a gauge\na 1\n", "openmetrics", /EOF/],
    ["# TYPE a gauge\n\na 1\n# EOF\n", "openmetrics", /blank line/],
    ["# TYPE a gauge\n# comment\na 1\n# EOF\n", "openmetrics", /comment line/],
  ];
  for (const [doc, format, re] of bad) assert.throws(() => assertWellFormed(doc, format), re, doc);
  assertWellFormed('# HELP a x\n# TYPE a histogram\na_bucket{le="+Inf"} 1\na_sum 1\na_count 1\n', "text");
  assertWellFormed("# TYPE a counter\na_total 1\na_created 1\n# EOF\n", "openmetrics");
});

// ---------------------------------------------------------------- property tests

function labelRecord(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < labels.length; i += 2) out[labels[i]] = labels[i + 1];
  return out;
}

/** Name tokens that trip none of promlint's name rules (units, type names, abbreviations, _total, …). */
const WORDS = [
  "alpha",
  "queue",
  "disk",
  "node",
  "cache",
  "http",
  "worker",
  "pool",
  "read",
  "write",
  "depth",
  "jobs",
];
const UNITS = ["seconds", "bytes", "ratio"];
/** Hostile characters, weighted in so that escaping is exercised in most runs. */
const HOSTILE = fc.constantFrom(
  "\\",
  '"',
  "\n",
  "\r",
  "\t",
  "{",
  "}",
  ",",
  "=",
  " ",
  "#",
  "é",
  "😀",
  "\u0000",
  "n",
);
const labelValue = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: HOSTILE, maxLength: 8 }),
  fc.string({
    unit: fc.oneof(HOSTILE, fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
    maxLength: 10,
  }),
);
const labelName = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/).filter((n) => n !== "le" && n !== "quantile");
/** A non-empty HELP whose ends are not whitespace (the Python text parser strips line ends). */
const helpText = fc.string({
  unit: fc.oneof(HOSTILE, fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
  maxLength: 16,
})
  .map((h) => `h${h}h`);
const anyDouble = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 1e21, 5e-324, 0.1, 1),
);
const nonNegative = fc.oneof(fc.double({ min: 0, noNaN: true }), fc.constantFrom(0, 1e21, 5e-324, Infinity));
const count = fc.integer({ min: 0, max: 2 ** 40 });
/** Timestamp in ms: whole, or with a fraction; reasonable epoch range. */
const timestampMs = fc.oneof(
  fc.integer({ min: 0, max: 4_102_444_800_000 }),
  fc.integer({ min: 0, max: 4_102_444_800_000 }).map((n) => n + 0.5),
);

/** Distinct base label sets for `n` series: random names and values plus a unique `series` label. */
function labelSets(n: number) {
  return fc.array(fc.uniqueArray(labelName.filter((x) => x !== "series"), { maxLength: 3 }), {
    minLength: n,
    maxLength: n,
  }).chain((nameSets) =>
    fc.tuple(
      ...nameSets.map((names) => fc.array(labelValue, { minLength: names.length, maxLength: names.length })),
    )
      .map((valueSets) =>
        nameSets.map((names, k) => {
          const out: string[] = [];
          names.forEach((nm, j) => out.push(nm, valueSets[k][j]));
          out.push("series", String(k));
          return out;
        })
      )
  );
}

type FamilySpec = { type: MetricFamily["type"]; words: string[]; unit: string; unitMatches: boolean };

const familySpec: fc.Arbitrary<FamilySpec> = fc.record({
  type: fc.constantFrom(
    ...([
      "counter",
      "gauge",
      "histogram",
      "gaugehistogram",
      "summary",
      "info",
      "stateset",
      "unknown",
    ] as const),
  ),
  words: fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 2 }),
  unit: fc.constantFrom("", ...UNITS),
  unitMatches: fc.boolean(),
});

/** Builds one valid family (OpenMetrics semantics, so the strict parser must accept it) named `base`. */
function familyArb(spec: FamilySpec, base: string): fc.Arbitrary<MetricFamily> {
  const name = spec.unit !== "" && spec.unitMatches ? `${base}_${spec.unit}` : base;
  const unit = spec.type === "info" || spec.type === "stateset" ? "" : spec.unit;
  const head = { name, type: spec.type, unit };
  const withTs = fc.option(timestampMs, { nil: undefined, freq: 2 });
  return fc.record({ help: helpText, n: fc.integer({ min: 0, max: 3 }), ts: withTs }).chain(
    ({ help, n, ts }) => {
      const mk = (sampleName: string, labels: string[], value: number): Sample =>
        s(sampleName, labels, value, ts);
      switch (spec.type) {
        case "gauge":
        case "unknown":
          return fc.tuple(labelSets(n), fc.array(anyDouble, { minLength: n, maxLength: n })).map((
            [sets, vals],
          ) => ({
            ...head,
            help,
            samples: sets.map((l, k) => mk(name, l, vals[k])),
          }));
        case "counter":
          return fc.tuple(
            labelSets(n),
            fc.array(fc.tuple(nonNegative, fc.option(fc.nat(), { nil: undefined })), {
              minLength: n,
              maxLength: n,
            }),
          ).map(([sets, vals]) => ({
            ...head,
            help,
            samples: sets.flatMap((l, k) => {
              const [v, created] = vals[k];
              const out = [mk(`${name}_total`, l, v)];
              if (created !== undefined) out.push(mk(`${name}_created`, l, created));
              return out;
            }),
          }));
        case "histogram":
        case "gaugehistogram": {
          const bounds = fc.uniqueArray(
            fc.oneof(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 100 })),
            {
              maxLength: 4,
              comparator: (a, b) => a === b,
            },
          ).map((b) => b.map((x) => (x === 0 ? 0 : x)).sort((a, b) => a - b));
          const spelling = fc.constantFrom<"js" | "canonical">("js", "canonical");
          return fc.tuple(
            labelSets(n),
            bounds,
            spelling,
            fc.array(fc.array(fc.nat(1000), { minLength: 5, maxLength: 5 }), {
              minLength: n,
              maxLength: n,
            }),
            fc.array(nonNegative.filter(Number.isFinite), { minLength: n, maxLength: n }),
          ).map(
            ([sets, les, sp, incs, sums]) => ({
              ...head,
              help,
              samples: sets.flatMap((l, k) => {
                const out: Sample[] = [];
                let cum = 0;
                les.forEach((le, j) => {
                  cum += incs[k][j];
                  out.push(
                    mk(
                      `${name}_bucket`,
                      [...l, "le", sp === "js" ? String(le) : formatCanonicalFloat(le)],
                      cum,
                    ),
                  );
                });
                cum += incs[k][4];
                out.push(mk(`${name}_bucket`, [...l, "le", "+Inf"], cum));
                if (spec.type === "histogram") {
                  out.push(mk(`${name}_sum`, l, sums[k]), mk(`${name}_count`, l, cum));
                } else {
                  out.push(mk(`${name}_gcount`, l, cum), mk(`${name}_gsum`, l, sums[k]));
                }
                return out;
              }),
            }),
          );
        }
        case "summary": {
          const qs = fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), {
            maxLength: 3,
            comparator: (a, b) => a === b,
          })
            .map((q) => q.map((x) => (x === 0 ? 0 : x)).sort((a, b) => a - b));
          return fc.tuple(
            labelSets(n),
            qs,
            fc.array(
              fc.tuple(
                fc.array(nonNegative, { minLength: 3, maxLength: 3 }),
                count,
                nonNegative.filter(Number.isFinite),
              ),
              {
                minLength: n,
                maxLength: n,
              },
            ),
          ).map(([sets, quantiles, vals]) => ({
            ...head,
            help,
            samples: sets.flatMap((l, k) => {
              const [qv, c, sum] = vals[k];
              const out = quantiles.map((q, j) => mk(name, [...l, "quantile", String(q)], qv[j]));
              out.push(mk(`${name}_sum`, l, sum), mk(`${name}_count`, l, c));
              return out;
            }),
          }));
        }
        case "info":
          return labelSets(n).map((sets) => ({
            ...head,
            help,
            samples: sets.map((l) => mk(`${name}_info`, l, 1)),
          }));
        case "stateset":
          return fc.tuple(
            fc.uniqueArray(labelValue, { maxLength: 3 }),
            fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
          ).map(([states, on]) => ({
            ...head,
            help,
            samples: states.map((st, j) => mk(name, [name, st], on[j] ? 1 : 0)),
          }));
      }
    },
  );
}

/** A document: up to 6 families with unique, clash-free names (`<words>_f<i>[_<unit>]`). */
const documentArb: fc.Arbitrary<MetricFamily[]> = fc.array(familySpec, { maxLength: 6 }).chain((specs) =>
  specs.length === 0
    ? fc.constant([])
    : fc.tuple(...specs.map((sp, i) => familyArb(sp, `${sp.words.join("_")}_f${i}`)))
);

/** Renames every family of doc `k` with a `d<k>_` prefix, so many docs can share one promtool run. */
function prefixed(doc: MetricFamily[], k: number): MetricFamily[] {
  const p = `d${k}_`;
  return doc.map((f) => ({
    ...f,
    name: p + f.name,
    samples: f.samples.map((x) => ({
      ...x,
      name: p + x.name,
      labels: f.type === "stateset" ? x.labels.map((v, i) => (i === 0 ? p + v : v)) : x.labels,
    })),
  }));
}

/** A family as a Python parser should report it, values as numbers. */
interface Expected {
  name: string;
  type: string;
  help: string;
  unit: string;
  samples: { name: string; labels: Record<string, string>; value: number; timestampMs?: number }[];
}

function expectedFamily(name: string, type: string, f: MetricFamily, samples: Sample[], unit = ""): Expected {
  return {
    name,
    type,
    help: f.help,
    unit,
    samples: samples.map((x) => ({
      name: x.name,
      labels: labelRecord(x.labels),
      value: x.value,
      timestampMs: x.timestampMs,
    })),
  };
}

/** What the Python text parser should report for a family written by writeText (the 0.0.4 mapping). */
function expectedText(f: MetricFamily): Expected[] {
  const noCreated = f.samples.filter((x) => x.name !== `${f.name}_created`);
  switch (f.type) {
    case "counter":
    case "histogram":
    case "summary":
      return [expectedFamily(f.name, f.type, f, noCreated)];
    case "gauge":
      return [expectedFamily(f.name, "gauge", f, f.samples)];
    case "info":
      return [expectedFamily(`${f.name}_info`, "gauge", f, f.samples)];
    case "stateset":
      return [expectedFamily(f.name, "gauge", f, f.samples)];
    case "unknown":
      return [expectedFamily(f.name, "unknown", f, f.samples)]; // python maps untyped to unknown
    case "gaugehistogram": {
      const out = [
        expectedFamily(f.name, "histogram", f, f.samples.filter((x) => x.name.endsWith("_bucket"))),
      ];
      for (const sfx of ["_gcount", "_gsum"]) {
        const part = f.samples.filter((x) => x.name === f.name + sfx);
        if (part.length > 0) out.push(expectedFamily(f.name + sfx, "gauge", f, part));
      }
      return out;
    }
  }
}

/** What the strict Python OpenMetrics parser should report for a family written by writeOpenMetrics. */
function expectedOpenMetrics(f: MetricFamily): Expected {
  // le/quantile come back canonicalised on the types that own them; UNIT only when it is the name's suffix.
  const special = f.type === "summary"
    ? "quantile"
    : f.type === "histogram" || f.type === "gaugehistogram"
    ? "le"
    : "";
  const samples = f.samples.map((x) => ({
    ...x,
    labels: x.labels.map((v, i) => (i % 2 === 1 && x.labels[i - 1] === special ? canonicalFloatLabel(v) : v)),
  }));
  const unit = f.unit !== "" && f.name.endsWith(`_${f.unit}`) ? f.unit : "";
  return expectedFamily(f.name, f.type, f, samples, unit);
}

/** Compares Python's parse of our output with what the model says (values as floats, labels exactly). */
function compareParsed(parsed: ParsedFamily[], want: Expected[], format: "text" | "openmetrics"): void {
  assert.deepEqual(parsed.map((f) => f.name), want.map((f) => f.name), "family names");
  parsed.forEach((pf, i) => {
    const wf = want[i];
    assert.equal(pf.type, wf.type, `type of ${wf.name}`);
    assert.equal(pf.help, wf.help, `help of ${wf.name}`);
    assert.equal(pf.unit, wf.unit, `unit of ${wf.name}`);
    assert.equal(pf.samples.length, wf.samples.length, `sample count of ${wf.name}`);
    pf.samples.forEach((ps, j) => {
      const ws = wf.samples[j];
      assert.equal(ps.name, ws.name);
      assert.deepEqual(ps.labels, ws.labels, `labels of ${ws.name}`);
      const got = parsedValue(ps.value);
      // -0 is written "0" on purpose (client_golang does the same), hence 0 == -0 here.
      assert.ok(
        Object.is(got, ws.value) || (got === 0 && ws.value === 0),
        `value of ${ws.name}: ${ps.value}`,
      );
      if (ws.timestampMs === undefined) {
        assert.equal(ps.timestamp, null, `timestamp of ${ws.name}`);
      } else {
        // Text: integer ms, which Python divides by 1000; OpenMetrics: seconds. Compare in ms.
        const gotMs = Number(ps.timestamp) * 1000;
        const wantMs = format === "text" ? Math.trunc(ws.timestampMs) : ws.timestampMs;
        assert.ok(
          Math.abs(gotMs - wantMs) < 0.01,
          `timestamp of ${ws.name}: ${ps.timestamp} vs ${wantMs} ms`,
        );
      }
    });
  });
}

const BATCH = 50;
const RUNS = 4; // 4 runs x 50 documents = 200 generated documents per property

toolTest(
  "writeText() and writeOpenMetrics() round-trip generated families through the Python parsers",
  ["python"],
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(documentArb, { minLength: BATCH, maxLength: BATCH }), async (docs) => {
        const texts = docs.map(writeText);
        const oms = docs.map(writeOpenMetrics);
        texts.forEach((t) => assertWellFormed(t, "text"));
        oms.forEach((t) => assertWellFormed(t, "openmetrics"));
        const results = await pythonParseMany([
          ...texts.map((text) => ({ format: "text" as const, text })),
          ...oms.map((text) => ({ format: "openmetrics" as const, text })),
        ]);
        docs.forEach((doc, k) => {
          for (
            const [r, format, text] of [[results[k], "text", texts[k]], [
              results[BATCH + k],
              "openmetrics",
              oms[k],
            ]] as const
          ) {
            if (!r.ok) throw new Error(`Python ${format} parser rejected:\n${text}\n${r.error}`);
            compareParsed(
              r.families,
              format === "text" ? doc.flatMap(expectedText) : doc.map(expectedOpenMetrics),
              format,
            );
          }
        });
      }),
      { numRuns: RUNS },
    );
  },
);

toolTest(
  "writeText() output of generated families passes promtool without lint problems",
  ["promtool"],
  async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(documentArb, { minLength: BATCH, maxLength: BATCH }), async (docs) => {
        const text = docs.map((d, k) => writeText(prefixed(d, k))).join("");
        assertWellFormed(text, "text");
        const res = await promtoolCheck(text);
        assert.equal(res.code, 0, res.output);
      }),
      { numRuns: RUNS },
    );
  },
);

Deno.test("ByteWriter.reset() starts over, keeping a buffer that fits and dropping one far too large", () => {
  const w = new ByteWriter(1024);
  w.raw("first document");
  const kept = w.bytes().buffer;
  w.reset(512);
  w.raw("second");
  assert.equal(w.text(), "second");
  assert.equal(w.bytes().buffer, kept, "a buffer between 1x and 4x the size asked for is reused");
  w.reset(4096);
  assert.equal(w.length, 0);
  assert.notEqual(w.bytes().buffer, kept, "a buffer smaller than asked for is replaced");
  const big = w.bytes().buffer;
  w.reset(4);
  w.raw("x");
  assert.equal(w.text(), "x");
  assert.equal(w.bytes().buffer, big, "4096 bytes is within 4x of 4 bytes plus 64 KiB");
  w.reset(10 << 20);
  w.reset(16);
  assert.ok(w.bytes().buffer.byteLength < 1 << 20, "a 10 MiB buffer is dropped for a 16-byte document");
});
