/**
 * The scrape memo with the JSON keys of issue 15: a number the memo treats as a value may end up in a name,
 * a label, a group or a timestamp only if the memo then gives the pipeline's answer. Each feature's target
 * is scraped three times with changed numbers; every answer written from the memo must equal the answer the
 * pipeline gives without it (what `--scrape.no-memo` serves).
 */
import assert from "node:assert/strict";
import { parseConfigText } from "../../src/config/load.ts";
import { ByteWriter } from "../../src/exposition/escape.ts";
import { writeOpenMetricsInto } from "../../src/exposition/openmetrics.ts";
import { writeTextInto } from "../../src/exposition/text.ts";
import { binaryText } from "../../src/memo/memo.ts";
import { compileTarget, runPipeline, withMemo } from "../../src/scrape/mod.ts";
import type { MetricFamily } from "../../src/model.ts";

import { configFileFlags } from "../_lib/helpers.ts";

const FLAGS = configFileFlags("memo.yaml");

const CT = "application/json";

function write(families: MetricFamily[], format: "text" | "openmetrics"): string {
  const w = new ByteWriter();
  (format === "openmetrics" ? writeOpenMetricsInto : writeTextInto)(w, families);
  return w.text();
}

/**
 * Scrapes `bodies` in turn as scrape.ts does (memo lookup, else pipeline and learn) and checks each answer
 * the memo writes; returns how many answers were written from the memo.
 */
function scrape(json: string, bodies: string[]): number {
  const yaml = `targets:\n  - name: t\n    url: http://127.0.0.1:1/x.json\n    json:\n${json}`;
  const target = withMemo(compileTarget(parseConfigText(yaml, "memo.yaml", FLAGS, Deno.cwd()).targets[0]));
  const memo = target.memo!;
  let written = 0;
  for (const [i, body] of bodies.entries()) {
    const want = runPipeline(target, body, "json");
    const bytes = new TextEncoder().encode(body);
    const hit = memo.lookup(bytes, binaryText(bytes), CT);
    if (hit === null) {
      memo.learn(binaryText(bytes), CT, "json", want.skipped);
      continue;
    }
    assert.equal(hit.skipped, want.skipped, `scrape ${i + 1}: skipped`);
    for (const format of ["text", "openmetrics"] as const) {
      if (hit.output(format) === null) continue;
      const w = new ByteWriter();
      hit.writeInto(w, format);
      assert.equal(w.text(), write(want.families, format), `scrape ${i + 1}, ${format}`);
      written++;
    }
  }
  return written;
}

/** Three bodies from a template whose `#` are replaced by numbers that change between scrapes. */
function bodies(template: string): string[] {
  const sets = [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12], [300, 2, 1700000000, 0.5, 42, 9]];
  return sets.map((nums) => {
    let k = 0;
    return template.replace(/#/g, () => String(nums[k++ % nums.length]));
  });
}

Deno.test("memo with name_from: numbers only in values are memoized, and equal the pipeline", () => {
  const written = scrape(
    `      - path: $.s[*]
        metrics: [{ name_from: "@.Name", name_case: snake, value: "@.v" }]
`,
    bodies(`{"s": [{"Name": "BytesIn", "v": #}, {"Name": "x", "v": #}, {"Name": #, "v": #}]}`),
  );
  assert.ok(written > 0, "a memoizable answer was never written from the memo");
});

Deno.test("memo with labels_from: string labels are memoized; a number in a label is never written from it", () => {
  const config = `      - path: $.items[*]
        labels_from: "@.Labels"
        metrics: [{ name: v, value: "@.v" }]
`;
  const served = scrape(
    config,
    bodies(`{"items": [{"v": #, "Labels": {"id": "a1"}}, {"v": #, "Labels": {}}]}`),
  );
  assert.ok(served > 0, "string labels: the memo should answer");
  const numeric = `{"items": [{"v": #, "Labels": {"id": #, "name": "a"}}, {"v": #, "Labels": {"id": #}}]}`;
  assert.equal(scrape(config, bodies(numeric)), 0, "a number in a label makes the shape unmemoizable");
});

Deno.test("memo with a filter label and a stateset label: never written from the memo when numbers decide", () => {
  const written = scrape(
    `      - path: $.items[*]
        labels: { id: "@.f[?@.k=='id'].v" }
        metrics: [{ name: st, value: "@.s", states: ["1", "2", "7"], state_label: code }]
`,
    bodies(`{"items": [{"s": #, "f": [{"k": "id", "v": #}]}, {"s": #, "f": []}]}`),
  );
  assert.equal(written, 0, "numbers in a label and in the state make the shape unmemoizable");
  const served = scrape(
    `      - path: $.items[*]
        labels: { id: "@.f[?@.k=='id'].v" }
        metrics: [{ name: v, value: "@.n" }]
`,
    bodies(`{"items": [{"n": #, "f": [{"k": "id", "v": "x"}]}, {"n": #, "f": []}]}`),
  );
  assert.ok(served > 0, "a string from a filter label: the memo should answer");
});

Deno.test("memo with recurse: numbers in values under @keypath labels", () => {
  const written = scrape(
    `      - path: $.c.*
        recurse: c
        labels: { component: "@keypath" }
        metrics: [{ name: up, value: "@.v" }]
`,
    bodies(`{"c": {"a": {"v": #, "c": {"b": {"v": #}, "c": {"v": #}}}, "d": {"v": #}}}`),
  );
  assert.ok(written > 0, "a memoizable answer was never written from the memo");
});

Deno.test("memo with group_by: counts are not copies, so never written from the memo", () => {
  const written = scrape(
    `      - { name: tasks, count: "$.t[*]", group_by: "@.code" }
      - { name: tasks_s, count: "$.t[*]", group_by: "@.s" }
`,
    bodies(`{"t": [{"code": #, "s": "a"}, {"code": #, "s": "b"}, {"code": #, "s": "a"}, {"code": 200}]}`),
  );
  assert.equal(written, 0);
});

Deno.test("memo with scale: scaled values are not copies, so never written from the memo; scale 1 is", () => {
  const scaled = scrape(`      - { name: ms, value: "$.a", scale: 0.001 }\n`, bodies(`{"a": #}`));
  assert.equal(scaled, 0, "a scaled value is not a copy of the input");
  const one = scrape(`      - { name: b, value: "$.b", scale: 1 }\n`, bodies(`{"b": #}`));
  assert.ok(one > 0, "scale 1 copies the value: the memo should answer");
});

Deno.test("memo with timestamp: an answer with timestamps is never written from the memo", () => {
  for (const unit of ["milliseconds", "seconds"]) {
    const written = scrape(
      `      - { name: i, type: info, timestamp: "$.t", timestamp_unit: ${unit} }
      - { name: c, count: "$.l[*]", timestamp: "$.t", timestamp_unit: ${unit} }
      - { name: v, value: "$.v", timestamp: "$.t", timestamp_unit: ${unit} }
`,
      bodies(`{"t": #, "l": [1, 2], "v": #}`),
    );
    assert.equal(written, 0);
  }
});
