/**
 * Names read from a JSON document (`name_from`, `labels_from`, the default `group_label`), sanitised into
 * valid metric and label names by the steps docs/CONFIG.md numbers: (a) with `name_case: snake`, camelCase
 * to snake_case; (b) every character outside the name alphabet to `_`; (c) runs of `_` to one, leading and
 * trailing `_` removed; (d) `_` before a leading digit; (e) the prefix. Here (config layer) because the
 * config resolves the default `group_label` with them; the JSON mapping caches their results per entry.
 *
 * @module
 */

const LOWER_OR_DIGIT_THEN_UPPER = /([a-z0-9])([A-Z])/g;
const UPPER_RUN_THEN_WORD = /([A-Z]+)([A-Z][a-z])/g;
/** Outside the alphabet of names the exporter writes: colons are left to recording rules, as everywhere here. */
const NOT_NAME_CHAR = /[^a-zA-Z0-9_]+/g;
const UNDERSCORES = /_{2,}/g;
const EDGE_UNDERSCORES = /^_+|_+$/g;

/** How a raw string becomes a name. */
export interface SanitizeOptions {
  /** Step (a): camelCase to snake_case, then lowercase. */
  snake: boolean;
  /** Step (e): prepended; when not empty, step (d) is left out (the prefix already starts the name). */
  prefix: string;
}

/**
 * Sanitises one raw string; `""` when nothing of it is left (the caller skips the series or label).
 *
 * @example
 * ```ts
 * import { sanitizeName } from "./json_names.ts";
 * import assert from "node:assert/strict";
 * assert.equal(sanitizeName("HTTPServerErrors", { snake: true, prefix: "" }), "http_server_errors");
 * assert.equal(sanitizeName("req.count-2xx", { snake: false, prefix: "app_" }), "app_req_count_2xx");
 * assert.equal(sanitizeName("5xx", { snake: false, prefix: "" }), "_5xx");
 * assert.equal(sanitizeName("__", { snake: false, prefix: "" }), "");
 * ```
 */
export function sanitizeName(raw: string, o: SanitizeOptions): string {
  let s = raw;
  if (o.snake) {
    s = s.replace(LOWER_OR_DIGIT_THEN_UPPER, "$1_$2").replace(UPPER_RUN_THEN_WORD, "$1_$2").toLowerCase();
  }
  s = s.replace(NOT_NAME_CHAR, "_").replace(UNDERSCORES, "_").replace(
    EDGE_UNDERSCORES,
    "",
  );
  if (s === "") return "";
  if (o.prefix !== "") return o.prefix + s;
  const c = s.charCodeAt(0);
  return c >= 48 && c <= 57 ? "_" + s : s;
}

const LAST_NAME = /(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")\s*\])\s*$/;

/**
 * The default `group_label` of a `group_by` path: its last member name, sanitised by steps (a) to (d) as a
 * label name (`@.Status` → `status`, `@.meta['HTTPCode']` → `http_code`); `""` when the path does not end in
 * a member name (then the config must name the label).
 */
export function lastMemberLabel(path: string): string {
  const m = LAST_NAME.exec(path);
  if (m === null) return "";
  return sanitizeName(m[1] ?? m[2] ?? m[3] ?? "", { snake: true, prefix: "" });
}
