/**
 * Both writers against independent tools: the golden files and generated documents (fast-check) through
 * the Python text and strict OpenMetrics parsers and promtool, compared with what the model says; and a
 * self-test of the structural checker the other writer tests use.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { MetricFamily, Sample } from "../../src/model.ts";
import { canonicalFloatLabel } from "../../src/exposition/escape.ts";
import { writeOpenMetrics } from "../../src/exposition/openmetrics.ts";
import { writeText } from "../../src/exposition/text.ts";
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
import { CASES, labelRecord, readGolden } from "./_cases.ts";
import { documentArb, prefixed } from "./_documents.ts";

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
