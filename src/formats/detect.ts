/**
 * Picks the decoder for an upstream body: the configured format, else a JSON or OpenMetrics Content-Type, else
 * the first non-blank character (`{` or `[` means JSON, anything else Prometheus text). Also tells an HTML page
 * (a login page, a wrong URL) from metrics, to name that cause when such a body fails to decode.
 *
 * @module
 */

import type { UpstreamFormat } from "../config/types.ts";

/** A concrete format (never `auto`). */
export type ConcreteFormat = Exclude<UpstreamFormat, "auto">;

/**
 * Decides how to decode a body.
 *
 * @example
 * ```ts
 * import { detectFormat } from "./detect.ts";
 * import assert from "node:assert/strict";
 * assert.equal(detectFormat("auto", "application/json; charset=utf-8", "{}"), "json");
 * assert.equal(detectFormat("auto", "application/openmetrics-text; version=1.0.0", ""), "openmetrics");
 * assert.equal(detectFormat("auto", null, "# HELP x y\n"), "prometheus");
 * ```
 */
export function detectFormat(
  configured: UpstreamFormat,
  contentType: string | null,
  text: string,
): ConcreteFormat {
  if (configured !== "auto") return configured;
  const ct = (contentType ?? "").toLowerCase();
  if (ct.includes("json")) return "json";
  if (ct.startsWith("application/openmetrics-text")) return "openmetrics";
  // Anything else (text/plain included: many servers label JSON so) is sniffed, since a Prometheus text page
  // can never start with "{" or "[".
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) continue;
    return c === 123 || c === 91 ? "json" : "prometheus";
  }
  return "prometheus";
}

/** An HTML document's opening, after optional whitespace and BOM: `<!DOCTYPE html` or `<html`. */
const HTML_START_REGEXP = /^[\s\uFEFF]*<(?:!DOCTYPE\s+html|html)[\s>]/i;

/** How much of a body {@linkcode looksLikeHtml} reads: the opening is near the start or absent. */
const HTML_SNIFF_CHARS = 1024;

/**
 * Whether a body is an HTML page rather than metrics: it opens with `<!DOCTYPE html` or `<html` (any case,
 * after optional whitespace and BOM), or the server said `text/html`. Only read after a decode failed, so a
 * server that labels valid metrics `text/html` (PHP's default) still works.
 *
 * @example
 * ```ts
 * import { looksLikeHtml } from "./detect.ts";
 * import assert from "node:assert/strict";
 * assert.ok(looksLikeHtml("\uFEFF\n<!doctype html><title>Sign in</title>", null));
 * assert.ok(looksLikeHtml("<p>", "text/html; charset=utf-8"));
 * assert.ok(!looksLikeHtml("# HELP x y\n", "text/plain"));
 * ```
 */
export function looksLikeHtml(text: string, contentType: string | null): boolean {
  if (contentType !== null && /^\s*text\/html\b/i.test(contentType)) return true;
  return HTML_START_REGEXP.test(text.length > HTML_SNIFF_CHARS ? text.slice(0, HTML_SNIFF_CHARS) : text);
}
