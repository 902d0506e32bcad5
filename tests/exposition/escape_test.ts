/**
 * Tests for src/exposition/escape.ts: label and HELP escaping, number and timestamp spelling, canonical
 * floats for `le`/`quantile`, and the UTF-8 {@linkcode ByteWriter} both writers append to.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ByteWriter,
  canonicalFloatLabel,
  escapeHelpOpenMetrics,
  escapeHelpText,
  escapeLabelValue,
  formatCanonicalFloat,
  formatNumber,
} from "../../src/exposition/escape.ts";

Deno.test("escapeLabelValue() escapes exactly backslash, double quote and LF", () => {
  assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
  // Each character alone, so the scan that decides whether to escape at all is covered too.
  assert.equal(escapeLabelValue('say "hi"'), 'say \\"hi\\"');
  assert.equal(escapeLabelValue("a\\b"), "a\\\\b");
  assert.equal(escapeLabelValue("a\nb"), "a\\nb");
  assert.equal(escapeLabelValue("\t\r\u0000é😀{},="), "\t\r\u0000é😀{},=");
  assert.equal(escapeLabelValue("\\n"), "\\\\n");
  assert.equal(escapeLabelValue(""), "");
  const plain = "no escaping needed";
  assert.equal(escapeLabelValue(plain), plain);
});

Deno.test("escapeHelpText() escapes backslash and LF but leaves a double quote raw", () => {
  assert.equal(escapeHelpText('a "q" \\ b\nc'), 'a "q" \\\\ b\\nc');
});

Deno.test("escapeHelpOpenMetrics() escapes backslash, LF and double quote", () => {
  assert.equal(escapeHelpOpenMetrics('a "q" \\ b\nc'), 'a \\"q\\" \\\\ b\\nc');
});

Deno.test("formatNumber() spells specials NaN, +Inf, -Inf and integers without .0", () => {
  const cases: [number, string][] = [
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [-0, "0"],
    [0, "0"],
    [1, "1"],
    [-7, "-7"],
    [1.5, "1.5"],
    [1e21, "1e+21"],
    [5e-324, "5e-324"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e-7, "1e-7"],
  ];
  for (const [v, want] of cases) assert.equal(formatNumber(v), want, String(v));
});

Deno.test("formatCanonicalFloat() matches Go's OpenMetrics float form", () => {
  const cases: [number, string][] = [
    [1, "1.0"],
    [0, "0.0"],
    [-0, "0.0"],
    [-1, "-1.0"],
    [0.005, "0.005"],
    [100, "100.0"],
    [123456, "123456.0"],
    [1e6, "1e+06"],
    [1234567, "1.234567e+06"],
    [0.0001, "0.0001"],
    [0.00001, "1e-05"],
    [2.5e-10, "2.5e-10"],
    [1e100, "1e+100"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [NaN, "NaN"],
  ];
  for (const [v, want] of cases) assert.equal(formatCanonicalFloat(v), want, String(v));
});

Deno.test("canonicalFloatLabel() canonicalises numbers and leaves anything else unchanged", () => {
  const cases: [string, string][] = [
    ["1", "1.0"],
    ["1.0", "1.0"],
    ["0.25", "0.25"],
    [".5", "0.5"],
    ["1e3", "1000.0"],
    ["+Inf", "+Inf"],
    ["inf", "+Inf"],
    ["-Infinity", "-Inf"],
    ["nan", "NaN"],
    ["0x10", "0x10"],
    ["", ""],
    ["abc", "abc"],
    [" 1", " 1"],
    ["1e999", "1e999"],
  ];
  for (const [raw, want] of cases) assert.equal(canonicalFloatLabel(raw), want, raw);
});

Deno.test("ByteWriter grows from a tiny buffer and writes non-ASCII and escapes exactly", () => {
  const w = new ByteWriter(1);
  const parts = ["plain", "é", "日本語😀", 'mixed "é" \\ \n end', "", "x".repeat(5000)];
  let want = "";
  for (const p of parts) {
    w.raw(p);
    w.byte(0x7c); // |
    w.escaped(p, true);
    w.byte(0x7c);
    w.escaped(p, false);
    w.byte(0x0a);
    want += p + "|" + escapeLabelValue(p) + "|" + escapeHelpText(p) + "\n";
  }
  assert.equal(w.text(), want);
  assert.deepEqual(w.bytes(), new TextEncoder().encode(want));
});

Deno.test("ByteWriter.number() writes exactly what formatNumber() returns", () => {
  const values = [
    0,
    -0,
    1,
    9,
    10,
    99,
    100,
    12345,
    999999999999999,
    1e15,
    1e21,
    -1,
    -10,
    0.5,
    NaN,
    Infinity,
    -Infinity,
  ];
  for (let i = 0; i < 1000; i++) values.push(Math.floor(10 ** (i % 16) * ((i * 0.618034) % 1)));
  for (const v of values) {
    const w = new ByteWriter(1);
    w.number(v);
    assert.equal(w.text(), formatNumber(v), String(v));
  }
});

Deno.test("ByteWriter.reset() starts over, keeping a buffer that fits and dropping one far too large", () => {
  const w = new ByteWriter(1024);
  w.raw("first document");
  const kept = w.bytes().buffer;
  w.reset(512);
  w.raw("second");
  assert.equal(w.text(), "second");
  assert.equal(w.bytes().buffer, kept, "a buffer between 1x and 4x the size asked for is reused");
  w.reset(4096);
  assert.equal(w.length, 0);
  assert.notEqual(w.bytes().buffer, kept, "a buffer smaller than asked for is replaced");
  const big = w.bytes().buffer;
  w.reset(4);
  w.raw("x");
  assert.equal(w.text(), "x");
  assert.equal(w.bytes().buffer, big, "4096 bytes is within 4x of 4 bytes plus 64 KiB");
  w.reset(10 << 20);
  w.reset(16);
  assert.ok(w.bytes().buffer.byteLength < 1 << 20, "a 10 MiB buffer is dropped for a 16-byte document");
});
