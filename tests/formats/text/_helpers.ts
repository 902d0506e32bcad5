/**
 * Shared helpers of the text / OpenMetrics parser tests: the two formats, the fixture folder, builders for
 * expected families and samples, and the parse-error assertion (error class, line and message fragment).
 *
 * @module
 */

import assert from "node:assert/strict";
import { ParseError } from "../../../src/errors.ts";
import type { MetricFamily, MetricType, Sample } from "../../../src/model.ts";
import { parsePrometheusText, type TextFormat } from "../../../src/formats/text/mod.ts";

/** Text 0.0.4. */
export const TEXT: TextFormat = "prometheus";
/** OpenMetrics 1.0.0. */
export const OM: TextFormat = "openmetrics";
/** The parse fixtures (golden pages and their expected JSON). */
export const FIXTURES = new URL("../../testdata/parse/", import.meta.url);

/** Builds a family; `help`/`unit` default to `""`. */
export function fam(
  name: string,
  type: MetricType,
  samples: Sample[],
  meta: { help?: string; unit?: string } = {},
): MetricFamily {
  return { name, type, help: meta.help ?? "", unit: meta.unit ?? "", samples };
}

/** Builds a sample. */
export function smp(name: string, labels: string[], value: number, timestampMs?: number): Sample {
  return timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs };
}

/** Asserts that parsing throws a ParseError on `line` whose message contains `fragment`. */
export function assertParseError(text: string, format: TextFormat, line: number, fragment: string): void {
  assert.throws(
    () => parsePrometheusText(text, format),
    (e: unknown) => {
      assert.ok(e instanceof ParseError, `expected ParseError, got ${e}`);
      assert.equal(e.line, line, `line of ${JSON.stringify(e.message)}`);
      assert.ok(e.message.startsWith(`line ${line}: `), e.message);
      assert.ok(
        e.message.includes(fragment),
        `${JSON.stringify(e.message)} lacks ${JSON.stringify(fragment)}`,
      );
      return true;
    },
  );
}
