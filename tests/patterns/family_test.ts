/**
 * Tests of the rule-space names (src/patterns/_family.ts): the name a rule sees for a family, and back.
 *
 * @module
 */

import assert from "node:assert/strict";
import { familyNameOf, ruleName } from "../../src/patterns/mod.ts";

Deno.test("ruleName() appends _total to counters and _info to infos, and familyNameOf() strips them", () => {
  const rows: [string, "counter" | "info" | "gauge", string][] = [
    ["http_requests", "counter", "http_requests_total"],
    ["build", "info", "build_info"],
    ["up", "gauge", "up"],
  ];
  for (const [family, type, rule] of rows) {
    assert.equal(ruleName(family, type), rule);
    assert.equal(familyNameOf(rule, type), family);
  }
});

Deno.test("familyNameOf() keeps a name that is only the suffix or lacks it", () => {
  assert.equal(familyNameOf("_total", "counter"), "_total");
  assert.equal(familyNameOf("_info", "info"), "_info");
  assert.equal(familyNameOf("requests", "counter"), "requests");
  assert.equal(familyNameOf("x_total", "gauge"), "x_total");
});
