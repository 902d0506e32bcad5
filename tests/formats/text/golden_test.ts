/**
 * Golden fixtures (a node_exporter page, an OpenMetrics page), cross-checked against the Python `prometheus_client` parsers.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { MetricFamily } from "../../../src/model.ts";
import { parsePrometheusText, type TextFormat } from "../../../src/formats/text/mod.ts";
import { type ParsedFamily, parsedValue, pythonParseMany, toolTest } from "../../_lib/validators.ts";
import { FIXTURES, OM, smp, TEXT } from "./_helpers.ts";

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
