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
import { type ConcreteFormat, detectFormat } from "./detect.ts";
import { flattenJson, parseJson } from "./json_flat.ts";
import { compileJsonMapping, type JsonMapping } from "./json_map.ts";
import { parsePrometheusText } from "./prometheus_text.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

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
 * Decodes an upstream body into model families.
 *
 * @throws {ParseError} For bytes that are not valid UTF-8 or not a valid document of the format.
 */
export function decodeBody(decoder: BodyDecoder, body: UpstreamBody): DecodedBody {
  const text = bodyText(body);
  return decodeText(decoder, text, detectFormat(decoder.format, body.contentType, text));
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
