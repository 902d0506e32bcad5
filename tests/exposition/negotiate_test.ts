/**
 * Tests for content negotiation: the exact Accept headers Prometheus sends, precedence, q-values,
 * wildcards, escaping parameters and garbage; and Accept-Encoding for gzip.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  acceptsGzip,
  contentTypeFor,
  type ExpositionFormat,
  negotiateFormat,
  OPENMETRICS_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
} from "../../src/exposition/negotiate.ts";

/** Prometheus 2.42's Accept header, as observed on the wire (PROMETHEUS.md E.49). */
const PROMETHEUS_2_42 =
  "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75," +
  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/** Prometheus 3.x's Accept header, from scrape.go acceptHeader() (PROMETHEUS.md E.50). */
const PROMETHEUS_3 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6," +
  "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4," +
  "text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

const CASES: [string | null, ExpositionFormat][] = [
  [PROMETHEUS_2_42, "openmetrics"],
  [PROMETHEUS_3, "openmetrics"],
  ["text/plain", "text"],
  ["text/plain;version=0.0.4", "text"],
  ["application/openmetrics-text", "openmetrics"],
  ["application/openmetrics-text; version=1.0.0; charset=utf-8", "openmetrics"],
  ["*/*", "text"],
  ["text/*", "text"],
  [null, "text"],
  ["", "text"],
  ["   ", "text"],
  ["garbage", "text"],
  ["\u0000;;,,==q=", "text"],
  ["application/json", "text"],
  ["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text"],
  // Higher q wins regardless of order.
  ["text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0;q=0.9", "openmetrics"],
  ["application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.9", "text"],
  // q=0 means "not acceptable".
  ["application/openmetrics-text;q=0,text/plain;q=0.1", "text"],
  ["application/openmetrics-text;version=1.0.0;q=0", "text"],
  ["text/plain;q=0,application/openmetrics-text;q=0.2", "openmetrics"],
  // A more specific entry overrides a wildcard or a version-less one.
  [
    "application/openmetrics-text;q=1,application/openmetrics-text;version=1.0.0;q=0,text/plain;q=0.5",
    "text",
  ],
  // Unsupported versions do not match.
  ["application/openmetrics-text; version=2.0.0", "text"],
  ["text/plain;version=1.0.0", "text"],
  ["text/plain;version=1.0.0;escaping=allow-utf-8;q=0.9,application/openmetrics-text;q=0.5", "openmetrics"],
  // OpenMetrics 0.0.1 counts as OpenMetrics (client_golang does the same).
  ["application/openmetrics-text;version=0.0.1", "openmetrics"],
  // Escaping schemes that leave legacy names unchanged match; dots does not.
  ["application/openmetrics-text;version=1.0.0;escaping=underscores", "openmetrics"],
  ["application/openmetrics-text;version=1.0.0;escaping=values", "openmetrics"],
  ["application/openmetrics-text;version=1.0.0;escaping=dots", "text"],
  // Ties: the earlier entry wins, but OpenMetrics through the wildcard alone never beats text.
  ["application/openmetrics-text,text/plain", "openmetrics"],
  ["text/plain,application/openmetrics-text", "text"],
  ["*/*,text/plain", "text"],
  ["text/plain;q=0.5,*/*", "openmetrics"],
  // Case-insensitive type and parameter names, quoted values, odd spacing.
  ['Application/OpenMetrics-Text ; Version="1.0.0" ; Q=0.9 , text/plain;q=0.8', "openmetrics"],
  // A malformed q-value drops the entry.
  ["application/openmetrics-text;q=abc,text/plain;q=0.1", "text"],
  ["application/openmetrics-text;q=1.5", "text"],
];

for (const [accept, want] of CASES) {
  Deno.test(`negotiateFormat() picks ${want} for ${JSON.stringify(accept)}`, () => {
    assert.equal(negotiateFormat(accept), want);
  });
}

Deno.test("contentTypeFor() returns the exact Content-Type of each format", () => {
  assert.equal(contentTypeFor("text"), "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(contentTypeFor("openmetrics"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
  assert.equal(TEXT_CONTENT_TYPE, contentTypeFor("text"));
  assert.equal(OPENMETRICS_CONTENT_TYPE, contentTypeFor("openmetrics"));
});

const GZIP_CASES: [string | null, boolean][] = [
  ["gzip", true],
  ["gzip, deflate, br", true],
  ["GZIP", true],
  ["x-gzip", true],
  ["deflate, gzip;q=0.5", true],
  ["gzip;q=0", false],
  ["gzip;q=0.000", false],
  ["gzip;q=0.001", true],
  ["*", true],
  ["*;q=0", false],
  ["gzip;q=0, *", false],
  ["identity", false],
  ["br, deflate", false],
  ["", false],
  [null, false],
  ["gzip;q=nonsense", false],
];

for (const [header, want] of GZIP_CASES) {
  Deno.test(`acceptsGzip() is ${want} for ${JSON.stringify(header)}`, () => {
    assert.equal(acceptsGzip(header), want);
  });
}
