/**
 * `prom-exporter suggest`: from one upstream body to a commented first config that applies the naming
 * conventions (docs/CONFIG.md, "suggest: a first config"). A JSON body gets `json:` entries and fold rules
 * (_json.ts), a Prometheus text page rules only (_text.ts); the conventions themselves live in _names.ts and
 * the YAML writing in _yaml.ts. Pure but for {@linkcode fetchForSuggest}, which fetches the body once.
 *
 * @module
 */

import { ParseError } from "../errors.ts";
import { detectFormat } from "../formats/detect.ts";
import { parsePrometheusText } from "../formats/text/mod.ts";
import { redactUrl } from "../url.ts";
import { fetchUpstream, type UpstreamBody } from "../upstream/mod.ts";
import { suggestJson } from "./_json.ts";
import { nameParts } from "./_names.ts";
import { suggestText } from "./_text.ts";
import { renderConfig } from "./_yaml.ts";

export { findFolds, nameParts, normalize, singular } from "./_names.ts";

/** The URL written when the body came from `--input` without `-u`. */
export const PLACEHOLDER_URL = "http://127.0.0.1:8080/metrics";

/** What the suggestion is for. */
export interface SuggestOptions {
  /** `-u`: the upstream URL, written into the config; absent with `--input` alone. */
  url?: string;
  /** `-s`: the target's name and `service` label. */
  service?: string;
  /** `--input`: where the body was read from, for the header comment. */
  input?: string;
}

/**
 * The suggested config for one upstream body, as YAML text. Deterministic: the same body and options give the
 * same bytes.
 *
 * @throws {ParseError} When the body is neither JSON nor a Prometheus text page.
 * @example
 * ```ts
 * import { suggestConfig } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const body = { bytes: new TextEncoder().encode('{"uptime_sec": 5}'), contentType: null };
 * assert.match(suggestConfig(body, { url: "http://127.0.0.1:8080/stats.json" }), /name: uptime_seconds/);
 * ```
 */
export function suggestConfig(body: UpstreamBody, options: SuggestOptions): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(body.bytes);
  } catch {
    throw new ParseError("the body is not UTF-8 text");
  }
  const format = detectFormat("auto", body.contentType, text);
  const url = options.url ?? PLACEHOLDER_URL;
  const source = options.url !== undefined ? redactUrl(options.url) : `"${options.input}"`;
  const header = [
    `Suggested by prom-exporter suggest from ${source} (${format === "json" ? "JSON" : "Prometheus text"}).`,
    "Each entry says why; review, then: prom-exporter check --config.file THIS_FILE",
  ];
  let json: ReturnType<typeof suggestJson> = { json: [], rules: [] };
  let rules;
  if (format === "json") {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new ParseError(`the body is not JSON: ${(e as Error).message}`);
    }
    json = suggestJson(doc, baseName(url));
    rules = json.rules;
    if (json.json.length === 0) header.push("Nothing to map: without json: every number is flattened.");
  } else {
    rules = suggestText(parsePrometheusText(text, format === "openmetrics" ? "openmetrics" : "prometheus"));
  }
  return renderConfig({
    header,
    name: options.service ?? hostName(url),
    url,
    urlComment: options.url === undefined ? "replace with the upstream's URL" : undefined,
    labels: options.service === undefined ? {} : { service: options.service },
    json: json.json,
    rules,
  });
}

/** The URL path's last segment without its extension (`/api/queues` → `queues`); `items` when none. */
function baseName(url: string): string {
  let path = "";
  try {
    path = new URL(url).pathname;
  } catch {
    // A relative file URL: its text is the path.
    path = url;
  }
  const last = path.split("/").filter((s) => s !== "").at(-1)?.replace(/\.[^.]*$/, "") ?? "";
  return nameParts(last).length > 0 ? last : "items";
}

/** The default target name: the URL's host (`file` for a file URL). */
function hostName(url: string): string {
  try {
    return new URL(url).hostname || "file";
  } catch {
    return "file";
  }
}

/**
 * Fetches the upstream body once for `suggest`, with a plain client.
 *
 * @throws {UpstreamError} When the fetch fails.
 */
export async function fetchForSuggest(
  url: string,
  timeoutMs: number,
  maxBodyBytes: number,
): Promise<UpstreamBody> {
  return await fetchUpstream(url, { signal: AbortSignal.timeout(timeoutMs), maxBodyBytes });
}
