/**
 * The naming conventions `suggest` applies, as pure functions of a name's parts: snake_case, base units with a
 * scale factor (`_ms` to `_seconds` × 0.001, `_percent` to `_ratio` × 0.01, `_kb` to `_bytes` × 1024...),
 * `_total` for counts, and the folding of sibling names that differ in one part into one family with that part
 * as a label. Kept apart from the JSON and text walkers so each convention is tested on its own.
 *
 * @module
 */

import { sanitizeName } from "../config/json_names.ts";

/** A metric type `suggest` writes. */
export type SuggestType = "counter" | "gauge" | "untyped";

/** A name after the conventions: its parts (no `_total`), type, scale and the reasons for each change. */
export interface Normalized {
  /** The final name's parts, joined with `_`; a counter's `_total` is left out (the exporter appends it). */
  parts: string[];
  /** `counter` for a count, else `untyped` (the caller may say `gauge`). */
  type: SuggestType;
  /** The factor to the base unit; 1 when none. */
  scale: number;
  /** One short phrase per convention applied, for the comment. */
  why: string[];
}

/** Unit words (a name's last parts) to their base unit and factor. */
const UNITS: Record<string, readonly [string, number]> = {
  ms: ["seconds", 0.001],
  msec: ["seconds", 0.001],
  millis: ["seconds", 0.001],
  milliseconds: ["seconds", 0.001],
  us: ["seconds", 0.000001],
  usec: ["seconds", 0.000001],
  micros: ["seconds", 0.000001],
  microseconds: ["seconds", 0.000001],
  ns: ["seconds", 1e-9],
  nanos: ["seconds", 1e-9],
  nanoseconds: ["seconds", 1e-9],
  sec: ["seconds", 1],
  secs: ["seconds", 1],
  second: ["seconds", 1],
  mins: ["seconds", 60],
  minutes: ["seconds", 60],
  hours: ["seconds", 3600],
  percent: ["ratio", 0.01],
  pct: ["ratio", 0.01],
  kb: ["bytes", 1024],
  kib: ["bytes", 1024],
  mb: ["bytes", 1048576],
  mib: ["bytes", 1048576],
  gb: ["bytes", 1073741824],
  gib: ["bytes", 1073741824],
  byte: ["bytes", 1],
};

/** Last parts that say "a count of events": the family becomes a counter. */
const COUNT_WORDS = new Set([
  "requests",
  "errors",
  "failures",
  "fails",
  "hits",
  "misses",
  "retries",
  "restarts",
  "timeouts",
  "rejected",
  "accepted",
  "handled",
  "processed",
  "completed",
  "calls",
]);

/** Parts after a count word that only classify it (`requests_status_2xx`): still a count. */
const CLASS_PART = /^(status|code|codes|[1-5]xx|[0-9]+)$/;

/** Parts that end a name as its unit or kind; a sibling group never varies in one of these. */
export function isUnitOrCount(part: string): boolean {
  return part in UNITS || part === "seconds" || part === "bytes" || part === "ratio" || part === "total" ||
    part === "count";
}

/** A raw key or name to snake_case parts (`responseTimeMs` → `response`, `time`, `ms`); `[]` when nothing is left. */
export function nameParts(raw: string): string[] {
  const s = sanitizeName(raw, { snake: true, prefix: "" }).replace(/^_/, "");
  return s === "" ? [] : s.split("_");
}

/** A valid label or metric name from parts: `_` before a leading digit. */
export function joinName(parts: readonly string[]): string {
  const s = parts.join("_");
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/**
 * Applies the unit and count conventions to a name's parts.
 *
 * @example
 * ```ts
 * import { normalize } from "./_names.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(normalize(["latency", "ms"]).parts, ["latency", "seconds"]);
 * assert.equal(normalize(["requests"]).type, "counter");
 * ```
 */
export function normalize(input: readonly string[]): Normalized {
  let parts = [...input];
  let type: SuggestType = "untyped";
  let scale = 1;
  const why: string[] = [];
  const last = () => parts[parts.length - 1];
  if (parts.length > 1 && (last() === "total" || last() === "count")) {
    why.push(`"_${last()}" is a count: a counter, written with "_total"`);
    parts = parts.slice(0, -1);
    type = "counter";
  }
  // Elasticsearch's "..._percent_as_number".
  if (parts.length > 3 && parts.slice(-3).join("_") === "percent_as_number") parts = parts.slice(0, -2);
  const unit = UNITS[last()];
  if (parts.length > 1 && unit !== undefined) {
    const [base, factor] = unit;
    why.push(
      factor === 1
        ? `"_${last()}" is in ${base}: the base unit's name`
        : `"_${last()}" to the base unit: ${base}, scale ${factor}`,
    );
    parts = [...parts.slice(0, -1), base];
    scale = factor;
  }
  const word = parts.findLastIndex((p) => COUNT_WORDS.has(p));
  if (type === "untyped" && word >= 0 && parts.slice(word + 1).every((p) => CLASS_PART.test(p))) {
    why.push(`"${parts[word]}" counts events: a counter, written with "_total"`);
    type = "counter";
  }
  return { parts, type, scale, why };
}

/** A simple English singular, for element names (`queues` → `queue`); other words are kept. */
export function singular(word: string): string {
  if (/ies$/.test(word) && word.length > 4) return word.slice(0, -3) + "y";
  if (/[^s]s$/.test(word) && word.length > 3) return word.slice(0, -1);
  return word;
}

/** One name that takes part in a fold. */
export interface FoldMember<T> {
  /** The member's final parts. */
  parts: string[];
  /** What the caller keeps with it. */
  item: T;
}

/** Siblings folded into one family. */
export interface Fold<T> {
  /** The family's parts. */
  family: string[];
  /** The label that holds the varying part. */
  label: string;
  /** Where the varying part sits in the members' parts. */
  at: number;
  /** The members, in input order. */
  members: FoldMember<T>[];
}

/** Words before a varying part that name what it is: that word becomes the label (`jobs_state_x` → `state`). */
const LABEL_WORDS = new Set(["status", "state", "type", "kind", "method", "mode", "level", "phase", "class"]);

/** The label name for the values of a varying part, and whether the word before it is used up by it. */
export function foldLabel(values: readonly string[], before: string | undefined): [string, boolean] {
  if (values.every((v) => /^[1-5](xx|[0-9][0-9])$/.test(v))) return ["code", false];
  if (values.every((v) => /^p[0-9]+$/.test(v))) return ["latency", false];
  if (before !== undefined && LABEL_WORDS.has(before)) return [before, true];
  return ["kind", false];
}

/**
 * Groups names that differ in exactly one part into families, that part becoming a label: `requests_status_2xx`,
 * `_4xx`, `_5xx` give `requests_status{code=...}`. A name joins at most one fold (the largest first). No fold
 * whose family name is `taken` (another name's), whose members vary in a unit or count word, or, when the
 * first part varies, with fewer than 3 members.
 *
 * @example
 * ```ts
 * import { findFolds } from "./_names.ts";
 * import assert from "node:assert/strict";
 * const folds = findFolds([["request", "p95"], ["request", "p99"]].map((parts) => ({ parts, item: 0 })), new Set());
 * assert.deepEqual([folds[0].family, folds[0].label], [["request"], "latency"]);
 * ```
 */
export function findFolds<T>(members: readonly FoldMember<T>[], taken: ReadonlySet<string>): Fold<T>[] {
  const buckets = new Map<string, { at: number; members: FoldMember<T>[] }>();
  for (const m of members) {
    for (let at = 0; at < m.parts.length; at++) {
      const key = `${m.parts.length}|${at}|${m.parts.map((p, i) => i === at ? "*" : p).join("_")}`;
      const bucket = buckets.get(key) ?? { at, members: [] };
      bucket.members.push(m);
      buckets.set(key, bucket);
    }
  }
  const candidates = [...buckets.values()].filter((b) => b.members.length >= 2)
    .sort((a, b) => b.members.length - a.members.length || a.at - b.at);
  const used = new Set<FoldMember<T>>();
  const folds: Fold<T>[] = [];
  const names = new Set(taken);
  for (const { at, members: all } of candidates) {
    const ms = all.filter((m) => !used.has(m));
    if (ms.length < 2) continue;
    const values = ms.map((m) => m.parts[at]);
    if (values.some(isUnitOrCount)) continue;
    const rest = ms[0].parts.filter((_, i) => i !== at);
    if (at === 0 && ms.length < 3) continue;
    const [label, usesBefore] = foldLabel(values, at > 0 ? ms[0].parts[at - 1] : undefined);
    let family = usesBefore ? ms[0].parts.filter((_, i) => i !== at && i !== at - 1) : rest;
    if (family.length === 0 || names.has(joinName(family))) family = rest;
    if (family.length === 0 || names.has(joinName(family))) continue;
    for (const m of ms) used.add(m);
    names.add(joinName(family));
    folds.push({ family, label, at, members: ms });
  }
  return folds;
}
