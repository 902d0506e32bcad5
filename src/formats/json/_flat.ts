/**
 * The seed's JSON mapping: an object of numbers becomes one sample per leaf. Nested objects flatten to
 * `_`-joined key paths, `true`/`false` become 1/0 and numeric strings become numbers; anything else (null,
 * other strings, arrays) is skipped and counted. The `flatten` entries of a JSON mapping reuse
 * {@linkcode flattenInto} with a prefix, labels and skipped keys.
 *
 * @module
 */

import { ParseError } from "../../errors.ts";
import { type MetricFamily, sanitizeMetricName } from "../../model.ts";

/** The families found, and how many leaves could not be used. */
export interface FlatJsonResult {
  /** One `unknown` family per numeric leaf, in document order. */
  families: MetricFamily[];
  /** Leaves skipped: null, non-numeric strings, arrays. */
  skipped: number;
}

const NUMERIC_STRING_REGEXP = /^\s*[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\s*$/;

/**
 * Coerces one JSON value to a sample value: numbers as they are, booleans 1/0, numeric strings (decimal,
 * with optional exponent, and `NaN`/`+Inf`/`-Inf`) parsed; `undefined` for anything else.
 *
 * @example
 * ```ts
 * import { coerceJsonValue } from "./_flat.ts";
 * import assert from "node:assert/strict";
 * assert.equal(coerceJsonValue(true), 1);
 * assert.equal(coerceJsonValue(" 12.5 "), 12.5);
 * assert.equal(coerceJsonValue("green"), undefined);
 * ```
 */
export function coerceJsonValue(v: unknown): number | undefined {
  switch (typeof v) {
    case "number":
      return v;
    case "boolean":
      return v ? 1 : 0;
    case "string": {
      if (NUMERIC_STRING_REGEXP.test(v)) return Number(v);
      const t = v.trim();
      if (t === "NaN") return NaN;
      if (t === "+Inf" || t === "Inf") return Infinity;
      if (t === "-Inf") return -Infinity;
      return undefined;
    }
    default:
      return undefined;
  }
}

/**
 * Parses JSON text and flattens it the seed's way.
 *
 * @param text The upstream body.
 * @returns The families and the count of skipped leaves.
 * @throws {ParseError} When the text is not JSON, or its top level is not an object.
 */
export function flattenJson(text: string): FlatJsonResult {
  const doc = parseJson(text);
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new ParseError("the JSON document must be an object at the top level");
  }
  const sink: FlattenSink = { families: new Map(), skipped: 0 };
  flattenInto(doc, { prefix: "", labels: [], skip: null }, sink);
  return { families: [...sink.families.values()], skipped: sink.skipped };
}

/**
 * Parses an upstream JSON body.
 *
 * @throws {ParseError} When the text is not JSON.
 */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ParseError(`invalid JSON: ${(e as Error).message}`, 0, { cause: e });
  }
}

/** Where {@linkcode flattenInto} puts families (by name, so repeated names gather samples) and counts skips. */
export interface FlattenSink {
  /** Families by name, in the order first seen. */
  families: Map<string, MetricFamily>;
  /** Leaves skipped: null, non-numeric strings, arrays. */
  skipped: number;
}

/** How {@linkcode flattenInto} names and labels what it finds. */
export interface FlattenOptions {
  /** Name prefix (already `_`-terminated when not empty). */
  prefix: string;
  /** Labels for every sample, flat pairs. */
  labels: readonly string[];
  /** Member names to skip at any depth, or `null`. */
  skip: ((key: string) => boolean) | null;
}

/**
 * Flattens a JSON value the seed's way into `sink`: objects recurse with `_`-joined key paths, numbers,
 * booleans and numeric strings become samples, everything else is counted as skipped.
 */
export function flattenInto(value: unknown, options: FlattenOptions, sink: FlattenSink): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    walk(value as Record<string, unknown>, "", options, sink);
  } else {
    leaf(value, options.prefix.endsWith("_") ? options.prefix.slice(0, -1) : options.prefix, options, sink);
  }
}

/** Deeper objects are refused: no real stats document nests this far, and recursion must stay bounded. */
export const MAX_JSON_DEPTH = 100;

function walk(
  obj: Record<string, unknown>,
  path: string,
  options: FlattenOptions,
  sink: FlattenSink,
  depth = 1,
): void {
  if (depth > MAX_JSON_DEPTH) {
    throw new ParseError(`the JSON document nests objects deeper than ${MAX_JSON_DEPTH} levels`);
  }
  for (const key of Object.keys(obj)) {
    if (options.skip !== null && options.skip(key)) continue;
    const v = obj[key];
    const sub = path === "" ? key : `${path}_${key}`;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      walk(v as Record<string, unknown>, sub, options, sink, depth + 1);
    } else {
      leaf(v, sub, options, sink);
    }
  }
}

function leaf(v: unknown, path: string, options: FlattenOptions, sink: FlattenSink): void {
  const value = coerceJsonValue(v);
  if (value === undefined || path === "") {
    sink.skipped++;
    return;
  }
  const name = sanitizeMetricName(options.prefix + path);
  let family = sink.families.get(name);
  if (family === undefined) {
    family = {
      name,
      type: "unknown",
      help: `Value of "${path}" in the upstream JSON`,
      unit: "",
      samples: [],
    };
    sink.families.set(name, family);
  }
  family.samples.push({ name, labels: options.labels as string[], value });
}
