/**
 * Write/parse round trips with a tiny writer (fast-check), blank-padded text, and pathological sizes.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { MetricFamily, MetricType, Sample } from "../../../src/model.ts";
import { parsePrometheusText, type TextFormat } from "../../../src/formats/text/mod.ts";
import { assertParseError, fam, OM, smp, TEXT } from "./_helpers.ts";

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
