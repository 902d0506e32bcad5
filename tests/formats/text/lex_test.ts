/**
 * The character-level helpers under the parser (`_lex.ts`): Go `strconv.ParseFloat` decimal syntax, int64
 * timestamps, and the fast paths' plain value reader, which must agree with `parseGoFloat`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseGoFloat, parseInt64, plainValue } from "../../../src/formats/text/_lex.ts";

/** Parses a whole string. */
const float = (s: string) => parseGoFloat(s, 0, s.length);

Deno.test("parseGoFloat() takes Go's decimal syntax and special values in any case", () => {
  assert.equal(float("1.5e3"), 1500);
  assert.equal(float("-0.25"), -0.25);
  assert.equal(float("+Inf"), Infinity);
  assert.equal(float("-infinity"), -Infinity);
  assert.ok(Number.isNaN(float("nAn")));
  for (const bad of ["", "1e", "0x1p3", "1_000", " 1", "--1", "1e400"]) {
    assert.equal(float(bad), undefined, bad);
  }
});

Deno.test("parseInt64() takes int64 milliseconds only", () => {
  const int = (s: string) => parseInt64(s, 0, s.length);
  assert.equal(int("1700000000000"), 1700000000000);
  assert.equal(int("-5"), -5);
  assert.equal(int("9223372036854775807"), 9223372036854775807);
  for (const bad of ["", "-", "+5", "1.0", "9223372036854775808", "12345678901234567890"]) {
    assert.equal(int(bad), undefined, bad);
  }
});

Deno.test("plainValue() agrees with parseGoFloat() on a range", () => {
  const line = 'a{b="c"} ';
  for (
    const v of ["0", "7", "123456789012345", "1234567890123456", "1.5", "-3", "NaN", "+Inf", "1e3", "x", ""]
  ) {
    const s = line + v;
    const expected = parseGoFloat(s, line.length, s.length);
    const got = plainValue(s, line.length, s.length);
    assert.ok(Object.is(got, expected), `${v}: ${got} vs ${expected}`);
  }
});
