/**
 * Decoding: upstream bytes to model families, with the target's format and JSON mapping. The decoder is
 * compiled once per target at config load ({@linkcode compileDecoder}).
 *
 * @module
 */

import type { TargetConfig, UpstreamFormat } from "../config/types.ts";
import { ParseError } from "../errors.ts";
import type { MetricFamily } from "../model.ts";
import type { UpstreamBody } from "../upstream.ts";
import { type ConcreteFormat, detectFormat, looksLikeHtml } from "./detect.ts";
import { flattenJson, parseJson } from "./json_flat.ts";
import { compileJsonMapping, type JsonMapping } from "./json_map.ts";
import { parsePrometheusText } from "./prometheus_text.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
/** For the HTML check of a body that is not UTF-8 (a Latin-1 login page). */
const LENIENT = new TextDecoder("utf-8");

/** The error for an HTML page: the usual cause is a wrong URL or a login page in front of the upstream. */
export const HTML_BODY_MESSAGE =
  "the upstream answered an HTML page, not metrics (wrong URL or a login page?)";

/** A target's compiled decoding: its format and, for JSON, its mapping (`null`: the seed's flattening). */
export interface BodyDecoder {
  /** The configured format. */
  format: UpstreamFormat;
  /** The compiled JSON mapping, or `null` to flatten the whole document. */
  json: JsonMapping | null;
}

/** Decoded families, and how many JSON values were skipped. */
export interface DecodedBody {
  /** The families, in upstream order. */
  families: MetricFamily[];
  /** JSON leaves or series skipped for a null, missing or non-numeric value; 0 for text formats. */
  skipped: number;
  /** True for a text exposition (families as the upstream sent them), false for a JSON mapping. */
  asSent: boolean;
  /** The format the body was decoded as. */
  format: ConcreteFormat;
}

/**
 * Compiles a target's decoding.
 *
 * @throws {SyntaxError} For an invalid JSONPath or regex in the mapping (the config loader reports these first).
 */
export function compileDecoder(config: Pick<TargetConfig, "format" | "json">): BodyDecoder {
  return { format: config.format, json: config.json === undefined ? null : compileJsonMapping(config.json) };
}

/**
 * A decoder that decodes as `decoder` does and also appends to `warnings` each JSON entry that read nothing
 * from the body ({@linkcode JsonMapping.mapTraced}), for `explain` and `check --input`. The scrape keeps the
 * plain decoder.
 *
 * @example
 * ```ts
 * import { compileDecoder, decodeBody, tracingDecoder } from "./decode.ts";
 * import assert from "node:assert/strict";
 * const decoder = compileDecoder({
 *   format: "json",
 *   json: [{ kind: "metric", path: "$.foo[*]", labels: {}, skipKeys: [], name: "x", type: "gauge", value: "@" }],
 * });
 * const warnings: string[] = [];
 * decodeBody(tracingDecoder(decoder, warnings), { bytes: new TextEncoder().encode("{}"), contentType: null });
 * assert.deepEqual(warnings, ['json[0] path "$.foo[*]" selected nothing']);
 * ```
 */
export function tracingDecoder(decoder: BodyDecoder, warnings: string[]): BodyDecoder {
  const json = decoder.json;
  if (json === null) return decoder;
  return {
    format: decoder.format,
    json: {
      map(doc) {
        const { families, skipped, unselected } = json.mapTraced(doc);
        warnings.push(...unselected);
        return { families, skipped };
      },
      mapTraced: (doc) => json.mapTraced(doc),
    },
  };
}

/**
 * Decodes an upstream body into model families.
 *
 * @throws {ParseError} For bytes that are not valid UTF-8 or not a valid document of the format; for an HTML
 *   page, one that says so ({@linkcode HTML_BODY_MESSAGE}).
 */
export function decodeBody(decoder: BodyDecoder, body: UpstreamBody): DecodedBody {
  let text: string;
  try {
    text = bodyText(body);
  } catch (e) {
    throw htmlOr(e, LENIENT.decode(body.bytes.subarray(0, 1024)), body.contentType);
  }
  try {
    return decodeText(decoder, text, detectFormat(decoder.format, body.contentType, text));
  } catch (e) {
    // Checked only once decoding failed: a success costs nothing, and metrics labelled text/html still work.
    throw htmlOr(e, text, body.contentType);
  }
}

/** A parse error for an HTML page names that cause; anything else is returned as it is. */
function htmlOr(e: unknown, text: string, contentType: string | null): unknown {
  if (!(e instanceof ParseError) || !looksLikeHtml(text, contentType)) return e;
  return new ParseError(HTML_BODY_MESSAGE, 0, { cause: e });
}

/**
 * A body's text (a leading BOM dropped).
 *
 * @throws {ParseError} For bytes that are not valid UTF-8.
 */
export function bodyText(body: UpstreamBody): string {
  try {
    return UTF8.decode(body.bytes);
  } catch (e) {
    throw new ParseError("the upstream body is not valid UTF-8", 0, { cause: e });
  }
}

/**
 * Decodes a body's text in a format {@linkcode detectFormat} chose.
 *
 * @throws {ParseError} For a text that is not a valid document of the format.
 */
export function decodeText(decoder: BodyDecoder, text: string, format: ConcreteFormat): DecodedBody {
  if (format === "json") {
    const { families, skipped } = decoder.json === null
      ? flattenJson(text)
      : decoder.json.map(parseJson(text));
    return { families, skipped, asSent: false, format };
  }
  return { families: parsePrometheusText(text, format), skipped: 0, asSent: true, format };
}
