/**
 * The golden cases both writers are tested on (tests/testdata/exposition/<case>.prom for text,
 * <case>.om for OpenMetrics), and the helpers to compare with them. To regenerate the golden files after an
 * intended change run the writer tests with UPDATE_GOLDEN=1 (the run then fails on purpose) and review the
 * diff.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { MetricFamily, Sample } from "../../src/model.ts";
import { assertWellFormed } from "../_lib/validators.ts";

export const GOLDEN_DIR = new URL("../testdata/exposition/", import.meta.url);

/** A sample, with a timestamp only when one is given. */
export function s(name: string, labels: string[], value: number, timestampMs?: number): Sample {
  return timestampMs === undefined ? { name, labels, value } : { name, labels, value, timestampMs };
}

/** A family; `unit` defaults to none. */
export function fam(
  name: string,
  type: MetricFamily["type"],
  help: string,
  samples: Sample[],
  unit = "",
): MetricFamily {
  return { name, type, help, unit, samples };
}

/** Golden cases: families, plus the promtool lint lines expected (none unless listed). */
export const CASES: Record<string, { families: MetricFamily[]; lint?: string[] }> = {
  counter: {
    families: [
      fam("http_requests", "counter", "Requests handled.", [
        s("http_requests_total", ["code", "200", "method", "get"], 1027),
        s("http_requests_total", ["code", "500", "method", "get"], 3),
      ]),
      fam("jobs_processed", "counter", "Jobs processed.", [
        s("jobs_processed_total", [], 42),
        s("jobs_processed_created", [], 1700000000.25),
      ]),
    ],
  },
  gauge: {
    families: [
      fam("queue_depth", "gauge", "Items waiting.", [
        s("queue_depth", ["queue", "a"], 7.5),
        s("queue_depth", ["queue", "b"], 0),
        s("queue_depth", ["queue", "c"], -3),
      ]),
    ],
  },
  histogram: {
    families: [
      fam("request_duration_seconds", "histogram", "Request latency.", [
        s("request_duration_seconds_bucket", ["handler", "/api", "le", "0.005"], 2),
        s("request_duration_seconds_bucket", ["handler", "/api", "le", "0.1"], 5),
        s("request_duration_seconds_bucket", ["handler", "/api", "le", "1"], 9),
        s("request_duration_seconds_bucket", ["handler", "/api", "le", "1000000"], 10),
        s("request_duration_seconds_bucket", ["handler", "/api", "le", "+Inf"], 11),
        s("request_duration_seconds_sum", ["handler", "/api"], 12.5),
        s("request_duration_seconds_count", ["handler", "/api"], 11),
        s("request_duration_seconds_created", ["handler", "/api"], 1700000000),
      ], "seconds"),
    ],
  },
  gaugehistogram: {
    families: [
      fam("queue_wait_seconds", "gaugehistogram", "Current wait distribution.", [
        s("queue_wait_seconds_bucket", ["le", "1"], 3),
        s("queue_wait_seconds_bucket", ["le", "5.0"], 4),
        s("queue_wait_seconds_bucket", ["le", "+Inf"], 6),
        s("queue_wait_seconds_gcount", [], 6),
        s("queue_wait_seconds_gsum", [], 17.5),
      ], "seconds"),
    ],
  },
  summary: {
    families: [
      fam("rpc_duration_seconds", "summary", "RPC latency.", [
        s("rpc_duration_seconds", ["service", "auth", "quantile", "0"], 0.001),
        s("rpc_duration_seconds", ["service", "auth", "quantile", "0.5"], 0.02),
        s("rpc_duration_seconds", ["service", "auth", "quantile", "0.99"], 0.4),
        s("rpc_duration_seconds", ["service", "auth", "quantile", "1"], 1.2),
        s("rpc_duration_seconds_sum", ["service", "auth"], 35.25),
        s("rpc_duration_seconds_count", ["service", "auth"], 1000),
        s("rpc_duration_seconds_created", ["service", "auth"], 1700000000),
      ], "seconds"),
    ],
  },
  info: {
    families: [
      fam("build", "info", "Build information.", [
        s("build_info", ["version", "1.2.3", "revision", "abc123"], 1),
      ]),
    ],
  },
  stateset: {
    families: [
      fam("service_state", "stateset", "Service state.", [
        s("service_state", ["service_state", "starting"], 0),
        s("service_state", ["service_state", "running"], 1),
        s("service_state", ["service_state", "stopped"], 0),
      ]),
    ],
  },
  unknown: {
    families: [
      fam("legacy_value", "unknown", "An untyped upstream value.", [
        s("legacy_value", [], 12),
        s("legacy_value", ["shard", "2"], 13.5),
      ]),
    ],
  },
  hostile_labels: {
    families: [
      fam("file_access", "gauge", "Label values that need escaping.", [
        s("file_access", ["path", "C:\\DIR\\FILE.TXT"], 1),
        s("file_access", ["path", 'say "hi"'], 2),
        s("file_access", ["path", "line1\nline2"], 3),
        s("file_access", ["path", "literal \\n, not a newline"], 4),
        s("file_access", ["path", "trailing backslash\\"], 5),
        s("file_access", ["path", '\\"'], 6),
        s("file_access", ["path", "tab\tand cr\rstay raw"], 7),
        s("file_access", ["path", 'braces {a="b",c} # not a comment'], 8),
        s("file_access", ["path", "ünïcödé 日本語 😀"], 9),
        s("file_access", ["path", ""], 10),
      ]),
    ],
  },
  help_escaping: {
    families: [
      fam("help_quote", "gauge", 'a "q" \\ b\nc', [s("help_quote", [], 1)]),
      fam("help_literal", "gauge", 'literal \\n and \\\\ and \\" stay literal', [s("help_literal", [], 2)]),
    ],
  },
  special_values: {
    families: [
      fam("sensor_reading", "gauge", "Special and extreme float values.", [
        s("sensor_reading", ["case", "nan"], NaN),
        s("sensor_reading", ["case", "pos_inf"], Infinity),
        s("sensor_reading", ["case", "neg_inf"], -Infinity),
        s("sensor_reading", ["case", "neg_zero"], -0),
        s("sensor_reading", ["case", "big"], 1e21),
        s("sensor_reading", ["case", "max"], Number.MAX_VALUE),
        s("sensor_reading", ["case", "min_subnormal"], 5e-324),
        s("sensor_reading", ["case", "inexact"], 0.1 + 0.2),
        s("sensor_reading", ["case", "small_negative"], -1.5e-7),
        s("sensor_reading", ["case", "integer"], 123456789),
        s("sensor_reading", ["case", "beyond_safe_integer"], 2 ** 53 + 2),
      ]),
    ],
  },
  timestamps: {
    families: [
      fam("events_seen", "counter", "Events seen, with upstream timestamps.", [
        s("events_seen_total", ["source", "a"], 5, 1700000000123),
        s("events_seen_total", ["source", "b"], 6, 1700000000000),
      ]),
      fam("last_reading", "gauge", "A fractional millisecond timestamp.", [
        s("last_reading", [], 1.5, 1700000000123.75),
        s("last_reading", ["probe", "early"], 2, 1),
      ]),
    ],
  },
  units: {
    families: [
      fam("disk_usage_bytes", "gauge", "UNIT written: the name ends with _bytes.", [
        s("disk_usage_bytes", [], 1024),
      ], "bytes"),
      fam("io_read_bytes", "counter", "Counter with a unit.", [s("io_read_bytes_total", [], 4096)], "bytes"),
      fam("cpu_time", "gauge", "UNIT omitted: seconds is not a suffix of the name.", [
        s("cpu_time", [], 3),
      ], "seconds"),
      fam(
        "release",
        "info",
        "UNIT omitted: not allowed on info.",
        [s("release_info", ["tag", "v1"], 1)],
        "info",
      ),
    ],
  },
  no_help: {
    families: [fam("quiet_value", "gauge", "", [s("quiet_value", [], 1)])],
    lint: ["quiet_value no help text"],
  },
  empty: { families: [] },
};

/** Set `UPDATE_GOLDEN=1` to rewrite the golden files instead of comparing with them. */
export const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";

/** The text of a golden file in tests/testdata/exposition/. */
export function readGolden(file: string): string {
  return Deno.readTextFileSync(new URL(file, GOLDEN_DIR));
}

/**
 * Compares a writer's output with golden file `file` and checks its structure; with `UPDATE_GOLDEN=1` it
 * rewrites the file instead and fails on purpose.
 */
export function checkGolden(file: string, out: string, format: "text" | "openmetrics"): void {
  if (UPDATE) {
    Deno.writeTextFileSync(new URL(file, GOLDEN_DIR), out);
    throw new Error("Golden file rewritten (UPDATE_GOLDEN=1); review it and rerun without UPDATE_GOLDEN");
  }
  assert.equal(out, readGolden(file));
  assertWellFormed(out, format);
}

/** Flat label pairs as a record, the form the Python parsers report. */
export function labelRecord(labels: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < labels.length; i += 2) out[labels[i]] = labels[i + 1];
  return out;
}
