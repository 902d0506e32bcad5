/**
 * Generated documents for the writers' property tests: families of every type with unique, clash-free names,
 * hostile label values and HELP, special values and timestamps, shaped so that promtool's lint and the strict
 * Python OpenMetrics parser have nothing to object to in a correct writer's output.
 *
 * @module
 */

import fc from "fast-check";
import { formatCanonicalFloat } from "../../src/exposition/escape.ts";
import { METRIC_TYPES, type MetricFamily, type Sample } from "../../src/model.ts";
import { s } from "./_cases.ts";

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
  type: fc.constantFrom(...METRIC_TYPES),
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
export const documentArb: fc.Arbitrary<MetricFamily[]> = fc.array(familySpec, { maxLength: 6 }).chain((
  specs,
) =>
  specs.length === 0
    ? fc.constant([])
    : fc.tuple(...specs.map((sp, i) => familyArb(sp, `${sp.words.join("_")}_f${i}`)))
);

/** Renames every family of doc `k` with a `d<k>_` prefix, so many docs can share one promtool run. */
export function prefixed(doc: MetricFamily[], k: number): MetricFamily[] {
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
