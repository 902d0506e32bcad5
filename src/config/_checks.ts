/**
 * Checks shared by the validation of targets, rules and JSON entries (validate.ts, _validate_json.ts): names,
 * patterns and JSONPaths, each reporting a {@linkcode Problem} at a key path.
 *
 * @module
 */

import { compileJsonPath } from "../jsonpath/mod.ts";
import { LABEL_NAME_REGEXP } from "../model.ts";
import { patternSource } from "../patterns/mod.ts";
import type { KeyPath, Problem } from "./positions.ts";

/** Names the exporter writes: legacy metric names without colons (reserved for recording rules). */
export const NAME_REGEXP = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A YAML mapping. */
export type Obj = Record<string, unknown>;

/** Whether `v` is a mapping (not null, not an array). */
export function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Why `name` is not a label name the config may set, or `null`. */
export function labelNameProblem(name: string): string | null {
  if (!LABEL_NAME_REGEXP.test(name)) return `invalid label name "${name}": must match [a-zA-Z_][a-zA-Z0-9_]*`;
  if (name.startsWith("__")) return `label name "${name}" is reserved: names starting with "__" are internal`;
  return null;
}

/** Checks every key of a label map is a valid label name. */
export function checkLabelNames(labels: Obj, at: KeyPath, problems: Problem[]): void {
  for (const name of Object.keys(labels)) {
    const problem = labelNameProblem(name);
    if (problem !== null) problems.push({ path: [...at, name], message: problem, atKey: true });
  }
}

/** Why `name` is not a metric name (or prefix) the exporter writes, or `null`. */
export function metricNameProblem(name: string, what = "metric name"): string | null {
  return NAME_REGEXP.test(name) ? null : `invalid ${what} "${name}": must match [a-zA-Z_][a-zA-Z0-9_]*`;
}

/** Strips "Invalid regular expression: /.../flags: " from a SyntaxError, keeping the reason. */
export function regexReason(e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const m = /^Invalid regular expression: \/.*\/[a-z]*: (.*)$/s.exec(message);
  return m ? m[1] : message;
}

/** Checks a list of name patterns (exact, glob or `/regex/`). */
export function checkPatterns(patterns: unknown, at: KeyPath, problems: Problem[]): void {
  if (!Array.isArray(patterns)) return;
  if (patterns.length === 0) problems.push({ path: at, message: "must not be empty" });
  patterns.forEach((p, k) => {
    if (typeof p !== "string") return;
    if (p === "") {
      problems.push({ path: [...at, k], message: "must not be empty" });
      return;
    }
    try {
      patternSource(p);
    } catch (e) {
      problems.push({ path: [...at, k], message: `invalid regular expression "${p}": ${regexReason(e)}` });
    }
  });
}

/**
 * Checks a JSONPath compiles; with `singular`, that it selects at most one node (`singular` says why it must).
 */
export function checkPath(text: unknown, at: KeyPath, problems: Problem[], singular: string | null): void {
  if (typeof text !== "string") return;
  try {
    const p = compileJsonPath(text);
    if (singular !== null && !p.singular) {
      problems.push({ path: at, message: `"${text}" may select several values: ${singular}` });
    }
  } catch (e) {
    problems.push({ path: at, message: `invalid JSONPath "${text}": ${(e as Error).message}` });
  }
}
