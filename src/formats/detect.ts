/**
 * Picks the decoder for an upstream body: the configured format, else a JSON or OpenMetrics Content-Type, else
 * the first non-blank character (`{` or `[` means JSON, anything else Prometheus text).
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
