/**
 * Content negotiation for `/metrics`: which exposition format to write (from `Accept`) and whether to gzip
 * (from `Accept-Encoding`). Pure functions of the header values.
 *
 * Format rules (RFC 9110 §12.5.1 precedence, restricted to what we can write):
 * - We write two representations: OpenMetrics 1.0.0 and text 0.0.4. An `application/openmetrics-text`
 *   entry matches OpenMetrics when its `version` is `1.0.0`, absent or `0.0.1`. Accepting `0.0.1` follows
 *   client_golang's `NegotiateIncludingOpenMetrics`; Prometheus parses both versions with one parser and
 *   always lists 1.0.0 first anyway. A `text/plain` entry matches text when `version` is `0.0.4` or absent
 *   (so Prometheus 3's `text/plain;version=1.0.0` does not). `text/*` matches text; the any-type wildcard
 *   matches both, but wins a q tie only for text.
 * - Each format takes the q of its most specific matching entry (exact version, then the 0.0.1 alias, then
 *   no version, then `text/*`, then the full wildcard); the higher q wins, a tie goes to the earlier entry.
 *   q=0 means "not acceptable". Nothing acceptable, or an empty or unparsable header, gives text: like
 *   every Prometheus client library we never answer 406.
 * - `escaping=allow-utf-8`, `underscores` or `values` still match, because we only ever emit legacy names,
 *   which every one of those schemes leaves unchanged. `escaping=dots` does not match (it would rewrite
 *   `_` to `__`), so such an entry falls back to text 0.0.4, which carries no escaping parameter.
 *
 * @module
 */

/** Content-Type of a text 0.0.4 response. */
export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Content-Type of an OpenMetrics 1.0.0 response. */
export const OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** The two exposition formats we write. */
export type ExpositionFormat = "text" | "openmetrics";

/** Returns the Content-Type header value for a format. */
export function contentTypeFor(format: ExpositionFormat): string {
  return format === "openmetrics" ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
}

/** A q-value as RFC 9110 allows it: 0 to 1 with at most three decimals. */
const QVALUE_REGEXP = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;

/** One parsed Accept entry (lower-cased type and parameter names). */
interface MediaRange {
  type: string;
  subtype: string;
  params: Map<string, string>;
  q: number;
}

/** Specificity of `range` for OpenMetrics 1.0.0: higher is more specific, -1 is no match. */
function openMetricsLevel(range: MediaRange): number {
  if (range.type === "*" && range.subtype === "*") return 0;
  if (range.type !== "application" || range.subtype !== "openmetrics-text") return -1;
  if (range.params.get("escaping") === "dots") return -1;
  const version = range.params.get("version");
  if (version === "1.0.0") return 4;
  if (version === "0.0.1") return 3;
  return version === undefined ? 2 : -1;
}

/** Specificity of `range` for text 0.0.4: higher is more specific, -1 is no match. */
function textLevel(range: MediaRange): number {
  if (range.type === "*" && range.subtype === "*") return 0;
  if (range.type !== "text") return -1;
  if (range.subtype === "*") return 1;
  if (range.subtype !== "plain") return -1;
  if (range.params.get("escaping") === "dots") return -1;
  const version = range.params.get("version");
  if (version === "0.0.4") return 4;
  return version === undefined ? 2 : -1;
}

/**
 * Picks the exposition format from an `Accept` header as Prometheus 2.x and 3.x send it (see the module doc
 * for the exact rules). Null, empty or unparsable headers give `"text"`.
 *
 * @example Prometheus 2.42's header
 * ```ts
 * import { negotiateFormat } from "./negotiate.ts";
 * import assert from "node:assert/strict";
 * const accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;" +
 *   "q=0.75,text/plain;version=0.0.4;q=0.5,*\/*;q=0.1";
 * assert.equal(negotiateFormat(accept), "openmetrics");
 * assert.equal(negotiateFormat(null), "text");
 * ```
 *
 * @param accept The `Accept` header value, or null when absent.
 * @returns The format to write.
 */
export function negotiateFormat(accept: string | null): ExpositionFormat {
  if (accept === null) return "text";
  const ranges = parseAccept(accept);
  let omLevel = -1, omQ = 0, omAt = -1;
  let textLevelBest = -1, textQ = 0, textAt = -1;
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i];
    const o = openMetricsLevel(r);
    // The most specific match decides; among equally specific ones the highest q (first on a tie).
    if (o > omLevel || (o === omLevel && o >= 0 && r.q > omQ)) {
      omLevel = o;
      omQ = r.q;
      omAt = i;
    }
    const t = textLevel(r);
    if (t > textLevelBest || (t === textLevelBest && t >= 0 && r.q > textQ)) {
      textLevelBest = t;
      textQ = r.q;
      textAt = i;
    }
  }
  if (omLevel < 0 || omQ === 0) return "text";
  if (textLevelBest < 0 || textQ === 0 || omQ > textQ) return "openmetrics";
  if (textQ > omQ) return "text";
  // Equal q: the earlier entry wins, but OpenMetrics reached only through the wildcard never beats text.
  return omLevel > 0 && omAt < textAt ? "openmetrics" : "text";
}

/** Splits a header on `separator` (`,` between list elements, `;` between parameters) outside quoted strings. */
function splitOutsideQuotes(header: string, separator: "," | ";"): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (c === '"') quoted = !quoted;
    else if (c === "\\" && quoted) i++;
    else if (c === separator && !quoted) {
      out.push(header.slice(start, i));
      start = i + 1;
    }
  }
  out.push(header.slice(start));
  return out;
}

/** Splits a header on commas outside quoted strings. */
function splitList(header: string): string[] {
  return splitOutsideQuotes(header, ",");
}

/** Splits one list element on `;` outside quoted strings. */
function splitParams(element: string): string[] {
  return splitOutsideQuotes(element, ";");
}

/** Removes surrounding quotes and backslash escapes from a parameter value. */
function unquote(value: string): string {
  if (value.length < 2 || value[0] !== '"' || value[value.length - 1] !== '"') return value;
  return value.slice(1, -1).replace(/\\(.)/g, "$1");
}

/** Parses the entries of an `Accept` header, skipping malformed ones (bad media range or q-value). */
function parseAccept(header: string): MediaRange[] {
  const out: MediaRange[] = [];
  for (const element of splitList(header)) {
    const parts = splitParams(element);
    const mediaRange = parts[0].trim().toLowerCase();
    const slash = mediaRange.indexOf("/");
    if (slash <= 0 || slash === mediaRange.length - 1) continue;
    const type = mediaRange.slice(0, slash);
    const subtype = mediaRange.slice(slash + 1);
    if (type === "*" && subtype !== "*") continue;
    const params = new Map<string, string>();
    let q = 1;
    let ok = true;
    for (let p = 1; p < parts.length; p++) {
      const param = parts[p];
      const eq = param.indexOf("=");
      if (eq < 0) {
        if (param.trim() === "") continue;
        ok = false;
        break;
      }
      const key = param.slice(0, eq).trim().toLowerCase();
      const value = unquote(param.slice(eq + 1).trim());
      if (key === "q") {
        if (!QVALUE_REGEXP.test(value)) {
          ok = false;
          break;
        }
        q = +value;
      } else if (!params.has(key)) {
        params.set(key, value);
      }
    }
    if (ok) out.push({ type, subtype, params, q });
  }
  return out;
}

/**
 * Whether gzip is acceptable per `Accept-Encoding`: an explicit `gzip` (or `x-gzip`) entry decides by its
 * q; otherwise a `*` entry with q>0 allows it. Null or empty means no.
 *
 * @example
 * ```ts
 * import { acceptsGzip } from "./negotiate.ts";
 * import assert from "node:assert/strict";
 * assert.equal(acceptsGzip("gzip"), true);
 * assert.equal(acceptsGzip("gzip;q=0, *"), false);
 * ```
 *
 * @param acceptEncoding The `Accept-Encoding` header value, or null when absent.
 * @returns True when the response may be gzip-compressed.
 */
export function acceptsGzip(acceptEncoding: string | null): boolean {
  if (acceptEncoding === null) return false;
  let gzipQ = -1;
  let starQ = -1;
  for (const element of splitList(acceptEncoding)) {
    const parts = splitParams(element);
    const coding = parts[0].trim().toLowerCase();
    let q = 1;
    for (let p = 1; p < parts.length; p++) {
      const eq = parts[p].indexOf("=");
      if (eq < 0 || parts[p].slice(0, eq).trim().toLowerCase() !== "q") continue;
      const value = parts[p].slice(eq + 1).trim();
      q = QVALUE_REGEXP.test(value) ? +value : -1;
    }
    if (q < 0) continue; // malformed q: ignore the entry
    if ((coding === "gzip" || coding === "x-gzip") && gzipQ < 0) gzipQ = q;
    else if (coding === "*" && starQ < 0) starQ = q;
  }
  if (gzipQ >= 0) return gzipQ > 0;
  return starQ > 0;
}
