/**
 * The relay's line prediction (src/relay/_lines.ts): a body whose lines are mostly the last body's, with
 * values, keys, lines and families changed, is answered byte for byte as the pipeline answers it, in either
 * format, whatever the last pass wrote; and lines that did not change are the ones predicted.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { ExpositionFormat } from "../../src/exposition/negotiate.ts";
import { TextRelay } from "../../src/relay/mod.ts";
import { metricsBodies } from "../../bench/system/upstream.ts";
import { caseTarget } from "../../bench/system/lib/pipeline.ts";
import { pipelineAnswer, RULE_SETS, target } from "./_relay.ts";

const ENC = new TextEncoder();
const DEC = new TextDecoder();

/** One series of a generated family. */
interface Series {
  suffix: string;
  labels: [string, string][];
  value: string;
}

/** A generated family: its metadata and series. */
interface Family {
  name: string;
  type: string;
  series: Series[];
}

const VALUES = ["1", "0", "17", "1.5", "2.50", "1e3", "007", "NaN", "+Inf", "-1", "x", "1 1700000000000"];
const LABEL_VALUES = ["1", "2", "q", "0.5", "+Inf", "1.0", "5xx"];
/** The sample names' suffixes and the bound label of each type, as an upstream writes them. */
const SHAPES: Record<string, readonly (readonly [string, string | null])[]> = {
  counter: [["", null]],
  gauge: [["", null]],
  untyped: [["", null]],
  "": [["", null]],
  histogram: [["_bucket", "le"], ["_sum", null], ["_count", null]],
  summary: [["", "quantile"], ["_sum", null], ["_count", null]],
};
const seriesArb: fc.Arbitrary<Series> = fc.record({
  // An index into the type's shapes; now and then a name of another shape or family.
  suffix: fc.oneof(
    { weight: 20, arbitrary: fc.constantFrom("0", "1", "2") },
    fc.constantFrom("_total", "_x"),
  ),
  labels: fc.uniqueArray(
    fc.tuple(fc.constantFrom("x", "y", "code", "shard"), fc.constantFrom(...LABEL_VALUES)),
    { maxLength: 3, selector: ([k]) => k },
  ),
  // Mostly values the relay copies: the bad ones make a body go back, which the test also covers.
  value: fc.oneof({ weight: 10, arbitrary: fc.constantFrom("1", "2", "3.5") }, fc.constantFrom(...VALUES)),
});
const familyArb: fc.Arbitrary<Family> = fc.record({
  name: fc.constantFrom("a", "b", "c", "a_1", "b_2", "c_3", "d", "e"),
  type: fc.constantFrom("counter", "gauge", "histogram", "summary", "untyped", ""),
  series: fc.array(seriesArb, { minLength: 1, maxLength: 6 }),
});

/** A change from one body to the next; indices are taken modulo what is there. */
const changeArb = fc.record({
  kind: fc.constantFrom(
    "value",
    "value",
    "value",
    "label",
    "copy",
    "drop",
    "add",
    "swap",
    "family",
    "unfamily",
  ),
  family: fc.nat(),
  series: fc.nat(),
  other: fc.nat(),
  value: fc.constantFrom(...VALUES),
  labelValue: fc.constantFrom(...LABEL_VALUES),
  series2: seriesArb,
  family2: familyArb,
});

type Change = typeof changeArb extends fc.Arbitrary<infer T> ? T : never;

/** The parts of an answer as one text. */
function joined(parts: readonly Uint8Array[] | null): string {
  assert.ok(parts !== null);
  return parts.map((p) => DEC.decode(p)).join("");
}

function render(families: readonly Family[]): string {
  let text = "";
  const seen = new Set<string>();
  for (const f of families) {
    // A name once (a family twice is the pipeline's to resolve, tested elsewhere); a counter with `_total`.
    if (seen.has(f.name)) continue;
    seen.add(f.name);
    const declared = f.type === "counter" ? f.name + "_total" : f.name;
    if (f.type !== "") text += `# TYPE ${declared} ${f.type}\n`;
    const shapes = SHAPES[f.type];
    for (const s of f.series) {
      const shape = shapes[Number(s.suffix) % shapes.length];
      const suffix = shape === undefined ? s.suffix : shape[0];
      const labels = s.labels.map(([k, v]) => `${k}="${v}"`);
      if (shape?.[1]) labels.push(`${shape[1]}="${s.labels.length > 0 ? s.labels[0][1] : "+Inf"}"`);
      text += `${declared}${suffix}${labels.length === 0 ? "" : `{${labels.join(",")}}`} ${s.value}\n`;
    }
  }
  return text;
}

/** The families after a change (a copy: the last body's model is left as it was). */
function changed(families: readonly Family[], c: Change): Family[] {
  const next = families.map((f) => ({
    ...f,
    series: f.series.map((s) => ({ ...s, labels: [...s.labels] })),
  }));
  if (c.kind === "family") {
    next.splice(c.family % (next.length + 1), 0, c.family2);
    return next;
  }
  if (next.length === 0) return next;
  const fi = c.family % next.length;
  if (c.kind === "unfamily") {
    next.splice(fi, 1);
    return next;
  }
  const series = next[fi].series;
  if (c.kind === "add") {
    series.splice(c.series % (series.length + 1), 0, c.series2);
    return next;
  }
  if (series.length === 0) return next;
  const si = c.series % series.length;
  const s = series[si];
  if (c.kind === "value") s.value = c.value;
  else if (c.kind === "label" && s.labels.length > 0) {
    const k = c.other % s.labels.length;
    s.labels[k] = [s.labels[k][0], c.labelValue];
  } else if (c.kind === "copy") series.splice(c.other % (series.length + 1), 0, { ...s });
  else if (c.kind === "drop") series.splice(si, 1);
  else if (c.kind === "swap") {
    const oi = c.other % series.length;
    [series[si], series[oi]] = [series[oi], series[si]];
  }
  return next;
}

Deno.test("relay lines: bodies changed a little at a time agree with the pipeline, in either format", async () => {
  const targets = RULE_SETS.map(target);
  let predicted = 0;
  let relayed = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(familyArb, { minLength: 1, maxLength: 5 }),
      fc.array(fc.tuple(fc.array(changeArb, { maxLength: 3 }), fc.boolean()), { minLength: 2, maxLength: 8 }),
      async (start, steps) => {
        for (const t of targets) {
          const relay = new TextRelay(t.transform.context);
          let families = start;
          for (const [changes, om] of steps) {
            for (const c of changes) families = changed(families, c);
            const text = render(families);
            const format: ExpositionFormat = om ? "openmetrics" : "text";
            const answer = await relay.relay(ENC.encode(text), format);
            if (answer === null) continue;
            relayed++;
            predicted += relay.stats.predicted;
            assert.equal(DEC.decode(answer.bytes()), pipelineAnswer(t, text, format), `${format}:\n${text}`);
            assert.equal(
              joined(answer.parts(format)),
              DEC.decode(answer.bytes()),
              "the parts are not the bytes",
            );
          }
        }
      },
    ),
    { numRuns: 300 },
  );
  // The property holds of predicted lines, not only of bodies read afresh.
  assert.ok(relayed > 1000, `only ${relayed} bodies relayed`);
  assert.ok(predicted > 1500, `only ${predicted} lines predicted`);
});

Deno.test("relay lines: the bench body, its values moving and its keys churning, is predicted", async () => {
  const t = caseTarget("text");
  const n = 5000;
  // Request 0 reads afresh; from then on every line the last body also had is predicted, but where a family
  // starts after lines that changed (the line it started at last time is its first guess).
  for (const [churn, share] of [[0, 0.95], [10, 0.8], [100, 0]] as const) {
    const relay = new TextRelay(t.transform.context);
    const bodies = metricsBodies(n, churn, 6);
    for (const [k, body] of bodies.entries()) {
      const format = k % 3 === 2 ? "openmetrics" : "text";
      const answer = await relay.relay(body, format);
      assert.ok(answer !== null, `given back: ${relay.stats.why}`);
      assert.equal(DEC.decode(answer.bytes()), pipelineAnswer(t, DEC.decode(body), format));
      // Sent as it lies in the arenas: the merged family's lines, and all the others'.
      const parts = answer.parts(format);
      assert.ok(parts !== null && parts.length <= 2, `${parts?.length} parts`);
      assert.equal(joined(parts), DEC.decode(answer.bytes()));
      // After a change of format nothing is predicted: the prefixes are the other format's.
      const expected = k === 0 || format !== (k % 3 === 0 ? "openmetrics" : "text") ? 0 : share;
      assert.ok(
        relay.stats.predicted >= expected * answer.read,
        `churn ${churn}, request ${k}: ${relay.stats.predicted} of ${answer.read} lines predicted`,
      );
    }
  }
});

Deno.test("relay lines: released (the memo answered), the next pass reads without a prediction", async () => {
  const t = caseTarget("text");
  const relay = new TextRelay(t.transform.context);
  const bodies = metricsBodies(1000, 0, 3);
  for (const [k, body] of bodies.entries()) {
    if (k === 2) relay.release();
    const answer = await relay.relay(body, "text");
    assert.ok(answer !== null, `given back: ${relay.stats.why}`);
    assert.equal(DEC.decode(answer.bytes()), pipelineAnswer(t, DEC.decode(body), "text"));
    assert.equal(
      relay.stats.predicted > 0,
      k === 1,
      `request ${k}: ${relay.stats.predicted} lines predicted`,
    );
  }
});

Deno.test("relay lines: an answer stays as it was while later passes write into the arenas again", async () => {
  for (const c of ["text", "text-norules"] as const) {
    const t = caseTarget(c);
    const relay = new TextRelay(t.transform.context);
    const bodies = [
      ...metricsBodies(2000, 10, 4),
      ...metricsBodies(3000, 100, 3),
      ...metricsBodies(2000, 0, 3),
    ];
    const kept: [Uint8Array, Uint8Array][] = [];
    for (const [k, body] of bodies.entries()) {
      const answer = k % 2 === 0 ? await relay.relay(body, "text") : relay.relayNow(body, "text");
      assert.ok(answer !== null, `given back: ${relay.stats.why}`);
      kept.push([body, answer.parts("text")![0]]);
    }
    // Every pass after the first two wrote into arenas an earlier answer came from.
    for (const [k, [body, part]] of kept.entries()) {
      assert.equal(DEC.decode(part), pipelineAnswer(t, DEC.decode(body), "text"), `${c}, answer ${k}`);
    }
  }
});
