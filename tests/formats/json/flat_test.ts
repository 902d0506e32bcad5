import assert from "node:assert/strict";
import { ParseError } from "../../../src/errors.ts";
import { coerceJsonValue, flattenJson } from "../../../src/formats/json/mod.ts";

const COERCE: [unknown, number | undefined][] = [
  [42, 42],
  [-1.5, -1.5],
  [0, 0],
  [true, 1],
  [false, 0],
  ["12", 12],
  [" 12.5 ", 12.5],
  ["1e3", 1000],
  ["-.5", -0.5],
  ["+7", 7],
  ["NaN", NaN],
  ["+Inf", Infinity],
  ["-Inf", -Infinity],
  ["", undefined],
  ["green", undefined],
  ["0x10", undefined],
  ["12abc", undefined],
  [null, undefined],
  [[1, 2], undefined],
  [{}, undefined],
];

for (const [input, expected] of COERCE) {
  Deno.test(`coerceJsonValue() maps ${JSON.stringify(input)} to ${expected}`, () => {
    const got = coerceJsonValue(input);
    if (expected !== undefined && Number.isNaN(expected)) assert.ok(Number.isNaN(got));
    else assert.equal(got, expected);
  });
}

Deno.test("flattenJson() gives one sample per numeric leaf, nested keys joined with _", () => {
  const { families, skipped } = flattenJson(JSON.stringify({
    requests: 100,
    cache: { hits: 5, ratio: "0.5", nested: { deep: true } },
    "http.requests/sec": 3,
    "5xx": 1,
    name: "web-1",
    nothing: null,
    list: [1, 2],
  }));
  const got = families.map((f) => [f.name, f.samples[0].name, f.samples[0].value, f.type]);
  assert.deepEqual(got, [
    ["requests", "requests", 100, "unknown"],
    ["cache_hits", "cache_hits", 5, "unknown"],
    ["cache_ratio", "cache_ratio", 0.5, "unknown"],
    ["cache_nested_deep", "cache_nested_deep", 1, "unknown"],
    ["http_requests_sec", "http_requests_sec", 3, "unknown"],
    ["_5xx", "_5xx", 1, "unknown"],
  ]);
  assert.equal(skipped, 3);
  assert.equal(families[1].help, 'Value of "cache_hits" in the upstream JSON');
});

for (const bad of ["", "{", "[1,2]", "42", "null", '"x"', '{"a":1}garbage']) {
  Deno.test(`flattenJson() rejects ${JSON.stringify(bad)} with ParseError`, () => {
    assert.throws(() => flattenJson(bad), ParseError);
  });
}
