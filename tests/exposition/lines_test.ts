/**
 * Tests for src/exposition/_lines.ts, the lines both writers spell alike: the HELP line, the sample line in
 * each format, and the whole-document buffer.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ByteWriter } from "../../src/exposition/escape.ts";
import { renderDocument, writeHelp, writeSample } from "../../src/exposition/_lines.ts";

function line(fn: (w: ByteWriter) => void): string {
  const w = new ByteWriter(1);
  fn(w);
  return w.text();
}

Deno.test("writeHelp() escapes a double quote in OpenMetrics only and writes nothing for empty help", () => {
  assert.equal(line((w) => writeHelp(w, "a", 'say "hi"\\\n', "text")), '# HELP a say "hi"\\\\\\n\n');
  assert.equal(line((w) => writeHelp(w, "a", 'say "hi"', "openmetrics")), '# HELP a say \\"hi\\"\n');
  assert.equal(line((w) => writeHelp(w, "a", "", "openmetrics")), "");
});

Deno.test("writeSample() writes timestamps in milliseconds for text and seconds for OpenMetrics", () => {
  const s = { name: "x", labels: ["a", 'q"'], value: 1.5, timestampMs: 1700000000123 };
  assert.equal(line((w) => writeSample(w, s, "text")), 'x{a="q\\""} 1.5 1700000000123\n');
  assert.equal(line((w) => writeSample(w, s, "openmetrics")), 'x{a="q\\""} 1.5 1700000000.123\n');
  assert.equal(line((w) => writeSample(w, { name: "y", labels: [], value: NaN }, "text")), "y NaN\n");
});

Deno.test("writeSample() canonicalises only the special label, and only with a cache", () => {
  const s = { name: "h_bucket", labels: ["le", "1", "x", "1"], value: 2 };
  const canon = new Map<string, string>();
  assert.equal(line((w) => writeSample(w, s, "openmetrics", "le", canon)), 'h_bucket{le="1.0",x="1"} 2\n');
  assert.deepEqual([...canon], [["1", "1.0"]]);
  canon.set("1", "cached");
  assert.equal(line((w) => writeSample(w, s, "openmetrics", "le", canon)), 'h_bucket{le="cached",x="1"} 2\n');
  assert.equal(line((w) => writeSample(w, s, "text", "le")), 'h_bucket{le="1",x="1"} 2\n');
  const odd = { name: "h_bucket", labels: ["le", 'a"b'], value: 0 };
  assert.equal(line((w) => writeSample(w, odd, "openmetrics", "le", new Map())), 'h_bucket{le="a\\"b"} 0\n');
});

Deno.test("renderDocument() writes the families, then the closing line when one is given", () => {
  const fams = [{ name: "a", type: "gauge" as const, help: "", unit: "", samples: [] }];
  const names = (w: ByteWriter, f: readonly { name: string }[]) => f.forEach((x) => w.raw(x.name + "\n"));
  assert.equal(renderDocument(fams, names).text(), "a\n");
  assert.equal(renderDocument(fams, names, "# EOF\n").text(), "a\n# EOF\n");
  assert.equal(renderDocument([], names).text(), "");
});
