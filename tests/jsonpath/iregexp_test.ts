/**
 * The I-Regexp matcher of `match()` and `search()` (src/jsonpath/_iregexp.ts): linear on the patterns that make
 * a backtracking engine explode (a hang would time the test out), in agreement with a JavaScript `RegExp`
 * translation on random small patterns, `^` and `$` as ordinary characters inside a pattern, and the limits on
 * what a pattern read from the document can make us build.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { compileJsonPath, selectNodes } from "../../src/jsonpath/mod.ts";
import { cachedIRegexp, compileIRegexp, MAX_PATTERN, MAX_REPEAT } from "../../src/jsonpath/_iregexp.ts";

/** The `s` of the items that the filter keeps, the pattern read from the document (`$.p`). */
function kept(filter: string, p: string, subjects: string[]): string[] {
  const doc = { p, items: subjects.map((s) => ({ s })) };
  return selectNodes(compileJsonPath(`$.items[?${filter}]`), doc, doc).nodes.map((n) =>
    (n.value as { s: string }).s
  );
}

Deno.test("catastrophic patterns read from the document finish on 10,000 characters", () => {
  const n = 10_000;
  const as = "a".repeat(n);
  for (const p of ["(a+)+", "(a|aa)+", "(a*)*b", "a*a*a*a*a*a*b", "(a|a)*", "((a*)*)*"]) {
    const endsB = p.endsWith("b");
    assert.deepEqual(kept("match(@.s, $.p)", p, [as + "!", as]), endsB ? [] : [as], p);
    assert.deepEqual(kept("search(@.s, $.p)", p, [as + "!"]), endsB ? [] : [as + "!"], p);
  }
  assert.deepEqual(kept("match(@.s, $.p)", "(a*)*b", [as + "b"]), [as + "b"]);
  // Literal patterns (from the config) run on the same engine.
  const doc = { items: [{ s: as + "!" }] };
  assert.deepEqual(selectNodes(compileJsonPath("$.items[?match(@.s, '(a+)+')]"), doc, doc).nodes, []);
});

Deno.test("^ and $ inside a pattern are ordinary characters", () => {
  assert.deepEqual(kept("search(@.s, 'a$b')", "", ["xa$by", "ab"]), ["xa$by"]);
  assert.deepEqual(kept("match(@.s, 'x[$^]y')", "", ["x$y", "x^y", "xy"]), ["x$y", "x^y"]);
  assert.deepEqual(kept("match(@.s, $.p)", "a^b$c", ["a^b$c", "abc"]), ["a^b$c"]);
  assert.deepEqual(kept("search(@.s, $.p)", "(^|$)", ["^", "$", "x"]), ["^", "$"]);
  assert.deepEqual(kept("search(@.s, $.p)", "\\^", ["a^b", "ab"]), ["a^b"]);
});

Deno.test("a leading ^ and a trailing $ anchor, as the compliance suite reads them", () => {
  assert.deepEqual(kept("search(@.s, '^ab')", "", ["abc", "xab"]), ["abc"]);
  assert.deepEqual(kept("search(@.s, 'b.$')", "", ["abc", "abcd"]), ["abc"]);
  assert.deepEqual(kept("search(@.s, '^a.c$')", "", ["abc", "abcabc"]), ["abc"]);
  assert.deepEqual(kept("match(@.s, '^ab.*')", "", ["abc", "xab"]), ["abc"]);
  assert.deepEqual(kept("search(@.s, '^$')", "", ["", "a"]), [""]);
  assert.deepEqual(kept("search(@.s, '^ab[$]')", "", ["ab$c", "ab"]), ["ab$c"]);
});

Deno.test("invalid I-Regexps never match", () => {
  for (
    const p of [
      "\\d",
      "(?:a)",
      "a**",
      "[]",
      "[^]",
      "[z-a]",
      "\\p{IsBasicLatin}",
      "a{2,1}",
      "}",
      "a)",
      "(a",
      "\\$",
    ]
  ) {
    assert.equal(compileIRegexp(p), null, p);
    assert.deepEqual(kept("search(@.s, $.p)", p, [p, "a", ""]), [], p);
  }
});

Deno.test("limits: pattern length, counted repetition, program size, the cache", () => {
  assert.notEqual(compileIRegexp("a".repeat(MAX_PATTERN)), null);
  assert.equal(compileIRegexp("a".repeat(MAX_PATTERN + 1)), null);
  assert.deepEqual(kept("search(@.s, $.p)", "a".repeat(MAX_PATTERN + 1), ["a".repeat(2000)]), []);
  assert.equal(compileIRegexp(`a{${MAX_REPEAT}}`)!.test("a".repeat(MAX_REPEAT), true), true);
  for (
    const p of [
      `a{${MAX_REPEAT + 1}}`,
      `a{0,${MAX_REPEAT + 1}}`,
      `a{${MAX_REPEAT + 1},}`,
      "a{99999999999999}",
    ]
  ) {
    assert.equal(compileIRegexp(p), null, p);
  }
  assert.equal(compileIRegexp("((a{1000}){1000}){1000}"), null); // a billion states: refused
  assert.equal(compileIRegexp("(".repeat(500) + ")".repeat(500))!.test("", true), true);
  // Many distinct patterns from documents: each still right, and the cache stays bounded.
  for (let i = 0; i < 500; i++) assert.equal(cachedIRegexp(`x${i}|y`)!.test(`x${i}`, true), true);
});

Deno.test("classes, escapes and code points", () => {
  const m = (p: string, s: string) => compileIRegexp(p)!.test(s, true);
  assert.ok(m("[a-c-]+", "ab-c"));
  assert.ok(m("[-a]", "-"));
  assert.ok(m("\\p{Lu}\\P{Lu}", "Жж"));
  assert.ok(m("[\\p{Nd}x]{3}", "1x٣"));
  assert.ok(!m("[^\\p{L}]", "é"));
  assert.ok(m("\\n\\t\\r\\.\\\\\\[\\]\\{\\}\\(\\)\\|\\*\\+\\?\\-\\^", "\n\t\r.\\[]{}()|*+?-^"));
  assert.ok(m("a.b", "a😀b"));
  assert.ok(!m(".", "\n") && !m(".", "\r") && m(".", "\u2028"));
  assert.ok(m("[😀-😂]", "😁"));
  assert.ok(m("a{2}b{1,}c{0,1}d{2,3}", "aabbbcddd"));
  assert.ok(!m("a{2}", "aaa"));
  assert.ok(m("(|a)b", "b") && m("", ""));
});

/** A random small I-Regexp over {a, b}, and its JavaScript translation (only `.` differs). */
const pattern: fc.Arbitrary<[string, string]> = fc.letrec<{ re: [string, string] }>((tie) => ({
  re: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom<[string, string]>(
      ["a", "a"],
      ["b", "b"],
      [".", "[^\\n\\r]"],
      ["[ab]", "[ab]"],
      ["[^a]", "[^a]"],
      ["[a-b]", "[a-b]"],
      ["\\n", "\\n"],
    ),
    fc.tuple(tie("re"), tie("re")).map(([x, y]): [string, string] => [x[0] + y[0], x[1] + y[1]]),
    fc.tuple(tie("re"), tie("re")).map((
      [x, y],
    ): [string, string] => [`(${x[0]}|${y[0]})`, `(?:${x[1]}|${y[1]})`]),
    fc.tuple(tie("re"), fc.constantFrom("*", "+", "?", "{2}", "{1,}", "{0,2}", "{1,3}")).map((
      [x, q],
    ): [string, string] => [`(${x[0]})${q}`, `(?:${x[1]})${q}`]),
  ),
})).re;

Deno.test("agrees with a JavaScript RegExp on random patterns and subjects (property)", () => {
  fc.assert(
    fc.property(
      pattern,
      fc.array(fc.string({ unit: fc.constantFrom("a", "b", "c", "\n", "é", "😀"), maxLength: 8 })),
      (
        [p, js],
        subjects,
      ) => {
        const ours = compileIRegexp(p);
        assert.notEqual(ours, null, p);
        const whole = new RegExp(`^(?:${js})$`, "u");
        const part = new RegExp(js, "u");
        for (const s of subjects) {
          assert.equal(ours!.test(s, true), whole.test(s), `match ${p} ${JSON.stringify(s)}`);
          assert.equal(ours!.test(s, false), part.test(s), `search ${p} ${JSON.stringify(s)}`);
        }
      },
    ),
    { numRuns: 500 },
  );
});

Deno.test("a pattern with more state sets than the DFA keeps still agrees with a JavaScript RegExp", () => {
  // [ab]*a[ab]{7}: 256 state sets, beyond the lazy DFA's bound, so the matcher falls back to the NFA.
  const ours = compileIRegexp("[ab]*a[ab]{7}")!;
  const whole = /^(?:[ab]*a[ab]{7})$/u;
  const part = /[ab]*a[ab]{7}/u;
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom("a", "b", "c"), maxLength: 40 }), (s) => {
      assert.equal(ours.test(s, true), whole.test(s), s);
      assert.equal(ours.test(s, false), part.test(s), s);
    }),
    { numRuns: 300 },
  );
});
