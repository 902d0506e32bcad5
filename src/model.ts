/**
 * The one internal model every stage shares: decoders produce {@linkcode MetricFamily} lists, the transform
 * rewrites them, and the exposition writers render them. Nothing here does I/O.
 *
 * Conventions that every stage relies on:
 * - `MetricFamily.name` is the family name as OpenMetrics spells it: for a counter it has no `_total`;
 *   its samples carry the full sample name (`foo_total`, `foo_created`, `foo_bucket`, ...).
 * - Labels are a flat array `[name0, value0, name1, value1, ...]`: cheap to build on the hot path and
 *   written in the order given. Names within one sample are unique.
 * - A text-format `untyped` family is `"unknown"` here (the OpenMetrics name); the text writer spells it
 *   `untyped`.
 *
 * @module
 */

/** Every metric type the model carries (OpenMetrics names). */
export const METRIC_TYPES = [
  "counter",
  "gauge",
  "histogram",
  "gaugehistogram",
  "summary",
  "info",
  "stateset",
  "unknown",
] as const;

/** A metric type, by its OpenMetrics name. */
export type MetricType = typeof METRIC_TYPES[number];

/** One sample: a full sample name, its labels, a value and an optional upstream timestamp. */
export interface Sample {
  /** Full sample name, e.g. `http_requests_total` or `latency_seconds_bucket`. */
  name: string;
  /** Flat label pairs `[name0, value0, name1, value1, ...]`, in output order, names unique. */
  labels: string[];
  /** The value; `NaN`, `Infinity` and `-Infinity` are allowed. */
  value: number;
  /** Milliseconds since the Unix epoch, only when the upstream sent a timestamp. */
  timestampMs?: number;
}

/** A metric family: metadata plus its samples, kept contiguous in every output. */
export interface MetricFamily {
  /** Family name (OpenMetrics spelling: a counter's family name has no `_total`). */
  name: string;
  /** The metric type. */
  type: MetricType;
  /** HELP text, unescaped; `""` means none was given. */
  help: string;
  /** UNIT, e.g. `seconds`; `""` means none. */
  unit: string;
  /** The samples, in output order. */
  samples: Sample[];
}

/**
 * Receives one sample of `family` as a decoder reads it: the streaming pipeline's one interface between a
 * format and the rules. `family` carries the metadata (name, type, HELP, UNIT) and is the same object for
 * every sample of one upstream family; its `samples` stay empty, since nothing keeps the document whole.
 */
export type SampleSink = (family: MetricFamily, sample: Sample) => void;

/**
 * A {@linkcode SampleSink} that also serves a series cache (src/formats/series_cache.ts): `sample` returns
 * what it made of the series (opaque to the decoder; `null` when the rules dropped it, `undefined` when it
 * cannot be cached), and `again` takes a cached series back with a new value, skipping its labels and the
 * rules.
 */
export interface SeriesSink {
  /** Takes one sample and returns its output for the cache. */
  sample(family: MetricFamily, sample: Sample): unknown;
  /**
   * A series the cache recognised: `out` is what `sample` returned for it, `value` the new value. Returns
   * false when it cannot take the series from the cache (the decoder then reads the line in full).
   */
  again(family: MetricFamily, out: unknown, value: number): boolean;
}

/** Legacy Prometheus metric name: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export const METRIC_NAME_REGEXP = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Legacy Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export const LABEL_NAME_REGEXP = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Makes any string a valid metric name: every character outside `[a-zA-Z0-9_]` becomes `_`, and a leading
 * digit gets a `_` prefix. Colons are replaced too, as exporters must not emit them (they are reserved for
 * recording rules). An empty string becomes `_`.
 *
 * @example Sanitizing an upstream key
 * ```ts
 * import { sanitizeMetricName } from "./model.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sanitizeMetricName("http.requests/sec"), "http_requests_sec");
 * assert.equal(sanitizeMetricName("5xx"), "_5xx");
 * ```
 */
export function sanitizeMetricName(name: string): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57 && i > 0);
    if (ok) out += name[i];
    else if (c >= 48 && c <= 57) out += "_" + name[i];
    else out += "_";
  }
  return out === "" ? "_" : out;
}

/** Returns the value of label `name` in a flat label array, or `undefined` when absent. */
export function getLabel(labels: readonly string[], name: string): string | undefined {
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === name) return labels[i + 1];
  }
  return undefined;
}

/**
 * Returns a new flat label array with `name` set to `value` (replacing an existing value in place, or
 * appending). An empty value removes the label, since an empty label equals an absent one in Prometheus.
 */
export function withLabel(labels: readonly string[], name: string, value: string): string[] {
  const out: string[] = [];
  let found = false;
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === name) {
      found = true;
      if (value !== "") out.push(name, value);
    } else {
      out.push(labels[i], labels[i + 1]);
    }
  }
  if (!found && value !== "") out.push(name, value);
  return out;
}

/** Returns a stable identity string for a series: its sample name and labels (sorted by label name). */
export function seriesKey(sample: Sample): string {
  const { labels } = sample;
  if (labels.length === 0) return sample.name;
  if (labels.length === 2) return `${sample.name}\u0000${labels[0]}\u0000${labels[1]}`;
  const pairs: string[] = [];
  for (let i = 0; i < labels.length; i += 2) pairs.push(`${labels[i]}\u0000${labels[i + 1]}`);
  pairs.sort();
  return `${sample.name}\u0000${pairs.join("\u0000")}`;
}

/**
 * Every name of the exporter's own metrics, in one table: a contract with dashboards. Each module that
 * writes one of them (self metrics, the last-success gauge, the memory budget, the reload metrics) takes its
 * name from here, so a name is spelled once and the answer builder knows them all.
 */
export const SELF_METRIC = {
  /** 1 if the last scrape of a target (or a probe) succeeded, per target. */
  up: "prom_exporter_up",
  /** Seconds the last scrape took, per target. */
  scrapeDuration: "prom_exporter_scrape_duration_seconds",
  /** Failed scrapes, by target and reason. */
  scrapeErrors: "prom_exporter_scrape_errors_total",
  /** Upstream values skipped because they were not numbers, by target. */
  valuesSkipped: "prom_exporter_values_skipped_total",
  /** Errors that escaped every handler. */
  unhandledErrors: "prom_exporter_unhandled_errors_total",
  /** Failed or refused probes, by module and reason. */
  probeErrors: "prom_exporter_probe_errors_total",
  /** Series dropped, replaced or summed by a merge, by target and kind. */
  seriesConflicts: "prom_exporter_series_conflicts_total",
  /** Version and runtime; always 1. */
  buildInfo: "prom_exporter_build_info",
  /** Unix time of a target's last successful scrape. */
  lastSuccess: "prom_exporter_last_success_timestamp_seconds",
  /** Bytes held by scrapes in flight (the memory budget). */
  inflightBytes: "prom_exporter_inflight_bytes",
  /** Whether the last config reload succeeded. */
  reloadSuccessful: "prom_exporter_config_last_reload_successful",
  /** Unix time of the last successful config reload. */
  reloadSuccessTimestamp: "prom_exporter_config_last_reload_success_timestamp_seconds",
} as const;
