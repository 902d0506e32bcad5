/**
 * Tests of the `match` rule regex and templates (src/patterns/_template.ts): `$N`, `${N}`, `${name}` and
 * `$$`, and the compile-time errors for references the regex cannot satisfy.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  compileMatchRegex,
  compileMatchTemplate,
  expandMatchTemplate,
  isLiteralTemplate,
  regexGroups,
  sampleTemplate,
} from "../../src/patterns/mod.ts";

Deno.test("compileMatchTemplate() expands $N, ${N}, ${name} and $$", () => {
  const re = /^(?<kind>[a-z]+)_([0-9]+)$/u;
  const t = compileMatchTemplate("${kind}-$2-${2}x-$$1", regexGroups(re));
  assert.equal(expandMatchTemplate(t, re.exec("abc_42")!), "abc-42-42x-$1");
});

Deno.test("compileMatchTemplate() rejects references to missing groups and stray $", () => {
  const g = { count: 1, names: [] };
  assert.throws(() => compileMatchTemplate("$2", g), SyntaxError);
  assert.throws(() => compileMatchTemplate("${x}", g), SyntaxError);
  assert.throws(() => compileMatchTemplate("a$b", g), SyntaxError);
  assert.throws(() => compileMatchTemplate("${1", g), SyntaxError);
});

Deno.test("compileMatchRegex() anchors at both ends and regexGroups() counts numbered and named groups", () => {
  const re = compileMatchRegex("(?<kind>a)|(b)");
  assert.ok(re.test("a") && re.test("b"));
  assert.ok(!re.test("ab") && !re.test("xa"));
  assert.deepEqual(regexGroups(re), { count: 2, names: ["kind"] });
  assert.throws(() => compileMatchRegex("("), SyntaxError);
});

Deno.test("sampleTemplate() and isLiteralTemplate() see the literal parts", () => {
  const g = { count: 1, names: [] };
  assert.equal(sampleTemplate(compileMatchTemplate("a_$1_b", g), "x"), "a_x_b");
  assert.ok(isLiteralTemplate(compileMatchTemplate("a$$b", g)));
  assert.ok(!isLiteralTemplate(compileMatchTemplate("a$1", g)));
});
