/**
 * Tests of the `include`/`exclude` name patterns (src/patterns/_match.ts): exact names, globs and anchored
 * `/regex/` patterns.
 *
 * @module
 */

import assert from "node:assert/strict";
import { compileNameMatcher, patternSource } from "../../src/patterns/mod.ts";

Deno.test("compileNameMatcher() matches exact names, globs and anchored regexes", () => {
  const m = compileNameMatcher(["exclude_me", "node_cpu_*", "a?c", "/go_.+_bytes/"]);
  for (const yes of ["exclude_me", "node_cpu_", "node_cpu_seconds_total", "abc", "go_heap_bytes"]) {
    assert.ok(m(yes), yes);
  }
  for (const no of ["exclude_me2", "xnode_cpu_a", "ac", "abbc", "go_heap_bytes_total", "xgo_a_bytes"]) {
    assert.ok(!m(no), no);
  }
});

Deno.test("compileNameMatcher() treats regex metacharacters in globs literally", () => {
  const m = compileNameMatcher(["a.b*"]);
  assert.ok(m("a.bc"));
  assert.ok(!m("axbc"));
});

Deno.test("compileNameMatcher() rejects an invalid regex with SyntaxError", () => {
  assert.throws(() => compileNameMatcher(["/(/"]), SyntaxError);
});

Deno.test("patternSource() gives null for an exact name and a regex source for a glob or a /regex/", () => {
  assert.equal(patternSource("up"), null);
  assert.equal(patternSource("a.b*"), "a\\.b.*");
  assert.equal(patternSource("/x|y/"), "(?:x|y)");
});
