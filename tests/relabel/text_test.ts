/**
 * Tests of src/relabel/_text.ts, the string helpers that must behave exactly like Go: `regexp.Expand`
 * templates, the templated target-label check, per-rune case mapping, and `hashmod` (against Python's md5).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  compileExpandTemplate,
  expandTemplate,
  goToLower,
  goToUpper,
  hashMod,
  isValidTargetTemplate,
} from "../../src/relabel/_text.ts";
import { PYTHON, toolTest } from "../_lib/validators.ts";

Deno.test("compileExpandTemplate() follows Go's Expand rules", () => {
  const names = ["", "", "name", "1x"]; // $1 unnamed, $2 named "name", $3 named "1x"
  const m = ["WHOLE", "one", "two", "three"];
  const rows: [string, string][] = [
    ["$1", "one"],
    ["${1}", "one"],
    ["$1x", "three"], // group named 1x
    ["${1}x", "onex"],
    ["$name", "two"],
    ["${name}", "two"],
    ["$name_", ""], // name "name_" does not exist
    ["$0", "WHOLE"],
    ["$01", ""], // leading zero: a name, not a number
    ["$9", ""],
    ["$$", "$"],
    ["$$1", "$1"],
    ["$", "$"],
    ["a$", "a$"],
    ["${", "${"],
    ["${1", "${1"],
    ["${}", "${}"],
    ["$-", "$-"],
    ["${1}${2}", "onetwo"],
    ["x$1y", "x"], // name "1y"
    ["$1é", ""], // Unicode letters extend the name
    ["$100000000", ""], // too big to be a number: looked up as a name
  ];
  for (const [template, want] of rows) {
    assert.equal(expandTemplate(compileExpandTemplate(template, names), m), want, template);
  }
  assert.deepEqual(compileExpandTemplate("a$$b", names), { constant: "a$b", parts: ["a$b"] });
});

Deno.test("isValidTargetTemplate() accepts exactly Prometheus's relabelTarget language", () => {
  for (const ok of ["a", "_", "a1", "$1", "${1}", "x_${1}_y", "$1x", "a$b$c", "__name__", "$name"]) {
    assert.equal(isValidTargetTemplate(ok), true, ok);
  }
  for (const bad of ["", "1a", "a-b", "$", "a$", "${", "${1", "${}", "$-", "a.b", "$$", " a"]) {
    assert.equal(isValidTargetTemplate(bad), false, bad);
  }
});

Deno.test("goToUpper() and goToLower() map per rune like Go", () => {
  assert.equal(goToUpper("abc"), "ABC");
  assert.equal(goToUpper("ß"), "ß");
  assert.equal(goToUpper("ŉ"), "ŉ");
  assert.equal(goToUpper("ﬀ"), "ﬀ");
  assert.equal(goToUpper("ᾀ"), "ᾈ");
  assert.equal(goToUpper("ᾈ"), "ᾈ");
  assert.equal(goToUpper("ᾳῃῳ"), "ᾼῌῼ");
  assert.equal(goToUpper("ſ"), "S");
  assert.equal(goToLower("İ"), "i");
  assert.equal(goToLower("ΑΣ"), "ασ");
  assert.equal(goToLower("ǅ"), "ǆ");
  assert.equal(goToLower("\u212a"), "k");
});

toolTest("hashMod() agrees with md5 computed by Python", ["python"], async () => {
  const inputs = ["", "a", "node-1:9100", "ü€😀", "10.0.0.1:9100;web"];
  const moduli = [1n, 3n, 8n, 1000n, 9007199254740991n];
  const script = [
    "import hashlib, json, sys",
    "inputs, moduli = json.loads(sys.argv[1]), [int(m) for m in json.loads(sys.argv[2])]",
    "print(json.dumps([[str(int.from_bytes(hashlib.md5(s.encode()).digest()[8:], 'big') % m)",
    "  for m in moduli] for s in inputs]))",
  ].join("\n");
  const args = ["-c", script, JSON.stringify(inputs), JSON.stringify(moduli.map(String))];
  const { code, stdout } = await new Deno.Command(PYTHON, { args, stdout: "piped", stderr: "inherit" })
    .output();
  assert.equal(code, 0);
  const python: string[][] = JSON.parse(new TextDecoder().decode(stdout));
  assert.deepEqual(inputs.map((s) => moduli.map((m) => hashMod(s, m))), python);
});
