/**
 * Tests of src/goregexp: each Go regexp construct means what it means in Go (checked through a relabel
 * `replace` rule, as Prometheus uses it), the emitted flags, and Go's syntax errors with Go's wording
 * (against promtool, which Prometheus's Go regexp package backs).
 *
 * @module
 */

import assert from "node:assert/strict";
import { compileGoRegexp } from "../../src/goregexp/mod.ts";
import { validateRelabelConfigs } from "../../src/relabel/mod.ts";
import { toolTest } from "../_lib/validators.ts";
import { check, promtoolCheckConfig } from "../_lib/relabel.ts";
import { REGEX_ERRORS, REGEX_ROWS, regexCase } from "../_lib/goregexp_rows.ts";

for (const row of REGEX_ROWS) {
  Deno.test(`compileGoRegexp() ${row.note}: ${JSON.stringify(row.re)} on ${JSON.stringify(row.input)}`, () => {
    const c = regexCase(row);
    check(c);
  });
}

Deno.test("compileGoRegexp() emits the i flag only when the whole expression is folded", () => {
  assert.equal(compileGoRegexp("^(?:(?i)foo)$").regexp.flags, "iv");
  assert.equal(compileGoRegexp("^(?:a(?i)b)$").regexp.flags, "v");
  assert.equal(compileGoRegexp("^(?:a(?i)b)$").regexp.source, "^(?:a(?i:b))$");
});

Deno.test("compileGoRegexp() keeps \\b ASCII under (?i)", () => {
  const { regexp } = compileGoRegexp("(?i)s\\b");
  assert.equal(regexp.test("s"), true);
  assert.equal(regexp.test("ſ"), false); // ſ folds to s, but it is not an ASCII word character for \b
  assert.equal(new RegExp("s\\b", "iv").test("ſ"), true); // what plain JavaScript would do
  assert.equal(compileGoRegexp("(?i)s").regexp.test("ſ"), true);
});

for (const [re, message] of REGEX_ERRORS) {
  Deno.test(`validateRelabelConfigs() reports Go's regexp error for ${JSON.stringify(re)}`, () => {
    assert.deepEqual(validateRelabelConfigs([{ source_labels: ["a"], regex: re, action: "keep" }]), [
      { path: "[0].regex", message: `invalid regular expression ${JSON.stringify(re)}: ${message}` },
    ]);
  });
}

toolTest("compileGoRegexp() errors match Go's regexp errors (via promtool)", ["promtool"], async () => {
  const results = await Promise.all(
    REGEX_ERRORS.map(([re]) => promtoolCheckConfig([{ source_labels: ["a"], regex: re, action: "keep" }])),
  );
  REGEX_ERRORS.forEach(([re, message, oldGo], i) => {
    if (oldGo === false) return;
    // Ours: `code: "expr"` (JSON quoting); Go: `error parsing regexp: code: \`expr\``.
    const cut = message.indexOf(': "');
    const goText = `error parsing regexp: ${message.slice(0, cut)}: \`${
      JSON.parse(message.slice(cut + 2))
    }\``;
    assert.ok(
      results[i].output.includes(goText),
      `${re}: want ${goText}, promtool said:\n${results[i].output}`,
    );
  });
});
