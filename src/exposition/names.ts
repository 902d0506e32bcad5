/**
 * The names a family takes in a document: the sample-name suffixes of each type, for the document builder's
 * clash checks (./assemble.ts), the scrape memo's and the relay's.
 *
 * @module
 */

import type { MetricFamily, MetricType } from "../model.ts";

/** Sample-name suffixes each type writes after its family name (in either format). */
export const SUFFIXES: Record<MetricType, readonly string[]> = {
  counter: ["_total", "_created"],
  histogram: ["_bucket", "_count", "_sum", "_created"],
  summary: ["_count", "_sum", "_created"],
  gaugehistogram: ["_bucket", "_gcount", "_gsum"],
  info: ["_info"],
  gauge: [],
  stateset: [],
  unknown: [],
};

/**
 * The suffix of {@linkcode SUFFIXES} that `name` ends with, or `""`: a switch on the last character first,
 * since nearly every name ends with none.
 */
export function typeSuffixOf(name: string): string {
  const n = name.length;
  let candidates: readonly string[];
  switch (name.charCodeAt(n - 1)) {
    case 108: // l
      candidates = ["_total"];
      break;
    case 100: // d
      candidates = ["_created"];
      break;
    case 116: // t
      candidates = ["_bucket", "_gcount", "_count"];
      break;
    case 109: // m
      candidates = ["_gsum", "_sum"];
      break;
    case 111: // o
      candidates = ["_info"];
      break;
    default:
      return "";
  }
  for (const s of candidates) if (n > s.length && name.endsWith(s)) return s;
  return "";
}

/**
 * Every name a family takes in a document: its own and, for each suffix it writes, the name of that sample.
 * Two families that share one cannot both be written; the scrape memo compares these sets.
 */
export function namesTaken(family: MetricFamily): string[] {
  const names = [family.name];
  for (const s of SUFFIXES[family.type]) names.push(family.name + s);
  return names;
}

/** A gauge `x_created` beside a counter, histogram or summary `x`: client_python's text rendering. */
export function createdCompanion(stemType: MetricType, other: MetricFamily, suffix: string): boolean {
  return suffix === "_created" && (other.type === "gauge" || other.type === "unknown") &&
    (stemType === "counter" || stemType === "histogram" || stemType === "summary");
}
