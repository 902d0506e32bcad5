/**
 * The decode stage: upstream bytes to model families, the one entry the scrape calls. It picks the body's
 * format (detect.ts), then hands the body to that format's folder: text/ (Prometheus text 0.0.4 and
 * OpenMetrics, parsed block by block straight into the transform's run, with the series cache) or json/
 * (the seed's flattening, or the target's `json:` mapping). The decoder is compiled once per target at config
 * load ({@linkcode compileDecoder}), so a scrape only runs it.
 *
 * @module
 */

import type { TargetConfig, UpstreamFormat } from "../config/types.ts";
import { ParseError } from "../errors.ts";
import type { MetricFamily, SeriesSink } from "../model.ts";
import type { UpstreamBody } from "../upstream/mod.ts";
import { type ConcreteFormat, detectFormat, looksLikeHtml } from "./detect.ts";
import {
  compileJsonMapping,
  flattenJson,
  flattenJsonSteps,
  type JsonMapping,
  parseJson,
} from "./json/mod.ts";
import { parsePrometheusText, type TextFormat, TextParser } from "./text/mod.ts";
import type { SeriesCache } from "./series_cache.ts";
import { runPaced, runSteps, STEP_VALUES } from "../pace.ts";
import { textBlocks } from "./_blocks.ts";

export { BLOCK_BYTES, textBlocks } from "./_blocks.ts";

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
 * import { compileDecoder, decodeBody, tracingDecoder } from "./mod.ts";
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
  try {
    const text = bodyText(body);
    return decodeText(decoder, text, detectFormat(decoder.format, body.contentType, text));
  } catch (e) {
    throw htmlOr(e, body);
  }
}

/**
 * A decode error for an HTML page names that cause; anything else is returned as it is. Checked only once
 * decoding failed: a success costs nothing, and metrics labelled text/html still work. The page's opening is
 * read leniently, since a login page need not be UTF-8.
 */
function htmlOr(e: unknown, body: UpstreamBody): unknown {
  if (!(e instanceof ParseError)) return e;
  if (!looksLikeHtml(LENIENT.decode(body.bytes.subarray(0, HTML_SNIFF_BYTES)), body.contentType)) return e;
  return new ParseError(HTML_BODY_MESSAGE, 0, { cause: e });
}

/** How much of a failed body the HTML check reads: an HTML page says so in its opening. */
const HTML_SNIFF_BYTES = 1024;

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

/** One scrape's consumer of samples: the transform's streaming run. */
export interface SampleRun extends SeriesSink {
  /** Samples taken so far: the series read from the upstream. */
  readonly read: number;
  /** The output, once every sample was taken, as steps for a paced caller (src/pace.ts). */
  finishSteps(): Generator<void, MetricFamily[]>;
}

/** What {@linkcode decodeStream} returns: the run's output, and what the body was. */
export interface StreamedBody {
  /** The run's output families. */
  families: MetricFamily[];
  /** JSON leaves or series skipped for a null, missing or non-numeric value; 0 for text formats. */
  skipped: number;
  /** The format the body was decoded as. */
  format: ConcreteFormat;
  /** Samples read from the body (by the run that gave the families). */
  read: number;
}

/**
 * Decodes an upstream body straight into a run, one pass: a text body block by block
 * ({@linkcode textBlocks}), each sample handed to the run as it is read, so neither the body's whole text nor
 * a model of the document exists. `begin` starts the run once the format is known (`asSent` is true for a
 * text exposition, see {@linkcode DecodedBody.asSent}). A malformed body throws, and the caller drops the
 * run: nothing is half-ingested.
 *
 * @throws {ParseError} As {@linkcode decodeBody} does.
 */
export function decodeStream(
  decoder: BodyDecoder,
  body: UpstreamBody,
  begin: (asSent: boolean) => SampleRun,
  cache?: SeriesCache,
): StreamedBody {
  return runSteps(decodeSteps(decoder, body, begin, cache));
}

/**
 * {@linkcode decodeStream} that gives the event loop a turn between two blocks whenever one is due (src/pace.ts),
 * so `/-/healthy` and other scrapes are answered while a large body is decoded.
 *
 * @throws {ParseError} As {@linkcode decodeBody} does.
 */
export function decodeStreamPaced(
  decoder: BodyDecoder,
  body: UpstreamBody,
  begin: (asSent: boolean) => SampleRun,
  cache?: SeriesCache,
): Promise<StreamedBody> {
  return runPaced(decodeSteps(decoder, body, begin, cache));
}

/** {@linkcode decodeStream}'s work, as steps: one `yield` after each block. */
function* decodeSteps(
  decoder: BodyDecoder,
  body: UpstreamBody,
  begin: (asSent: boolean) => SampleRun,
  cache?: SeriesCache,
): Generator<void, StreamedBody> {
  const bytes = body.bytes;
  const format = detectFormat(decoder.format, body.contentType, sniffText(bytes));
  // The run that gives the families is the last one begun (a restarted text pass begins a second).
  let run: SampleRun | undefined;
  const started = (asSent: boolean) => run = begin(asSent);
  try {
    if (format === "json") {
      const { families, skipped } = yield* jsonSteps(decoder, bytes, () => bodyText(body), started);
      return { families, skipped, format, read: run?.read ?? 0 };
    }
    const families = yield* textSteps(format, textBlocks(bytes), () => bodyText(body), started, cache);
    return { families, skipped: 0, format, read: run?.read ?? 0 };
  } catch (e) {
    throw htmlOr(e, body);
  }
}

/**
 * One streaming pass over a text exposition's blocks of whole lines into a run, with the series cache when
 * given (committed on success, aborted on failure). `wholeText` gives the whole text for the rare pass that
 * must decode it as a document instead (see `StreamRestart`). One `yield` after each block.
 *
 * @throws {ParseError} For a text that is not a valid document of the format.
 */
function* textSteps(
  format: TextFormat,
  blocks: Iterable<string>,
  wholeText: () => string,
  begin: (asSent: boolean) => SampleRun,
  cache?: SeriesCache,
): Generator<void, MetricFamily[]> {
  const run = begin(true);
  if (cache !== undefined && !cache.begin()) cache = undefined;
  const parser = cache === undefined
    ? new TextParser(format, (family, sample) => run.sample(family, sample))
    : new TextParser(format, null, { sink: run, cache });
  let families: MetricFamily[];
  try {
    for (const block of blocks) {
      parser.push(block);
      yield;
    }
    parser.finish();
    families = yield* run.finishSteps();
  } catch (e) {
    cache?.abort();
    if (e instanceof ParseError) throw e;
    // A family renamed after its samples went out (StreamRestart, rare), or a rule error such as a duplicate
    // that the rename may have caused: the whole text again, as a document, which decides.
    return yield* feedSteps(parsePrometheusText(wholeText(), format), begin(true));
  }
  cache?.commit();
  return families;
}

/**
 * A JSON body decoded and fed to a run, as steps. The seed's flattening reads the bytes block by block, with
 * no document tree (json/_stream.ts); a mapping's JSONPath needs the tree, built at once.
 */
function* jsonSteps(
  decoder: BodyDecoder,
  bytes: Uint8Array,
  text: () => string,
  begin: (asSent: boolean) => SampleRun,
): Generator<void, { families: MetricFamily[]; skipped: number }> {
  const decoded = decoder.json === null
    ? yield* flattenJsonSteps(bytes)
    : decodeText(decoder, text(), "json");
  yield;
  return { families: yield* feedSteps(decoded.families, begin(false)), skipped: decoded.skipped };
}

/**
 * A body of a known format decoded and fed to a run, as steps: the memo's tagged runs (src/scrape/mod.ts),
 * which a paced caller runs with turns for the event loop.
 *
 * @throws {ParseError} For a body that is not a valid document of the format.
 */
export function* decodeBytesSteps(
  decoder: BodyDecoder,
  bytes: Uint8Array,
  format: ConcreteFormat,
  begin: (asSent: boolean) => SampleRun,
): Generator<void, { families: MetricFamily[]; skipped: number }> {
  const text = () => bodyText({ bytes, contentType: null });
  if (format === "json") return yield* jsonSteps(decoder, bytes, text, begin);
  return { families: yield* textSteps(format, textBlocks(bytes), text, begin), skipped: 0 };
}

/** Feeds decoded families to a run, as steps: one `yield` after about {@linkcode STEP_VALUES} samples. */
function* feedSteps(families: readonly MetricFamily[], run: SampleRun): Generator<void, MetricFamily[]> {
  let fed = 0;
  for (const family of families) {
    for (const sample of family.samples) run.sample(family, sample);
    fed += family.samples.length + 1;
    if (fed >= STEP_VALUES) {
      fed = 0;
      yield;
    }
  }
  return yield* run.finishSteps();
}

/** The format a body will be decoded as: the configured one, or what its content type and opening say. */
export function bodyFormat(decoder: BodyDecoder, body: UpstreamBody): ConcreteFormat {
  return detectFormat(decoder.format, body.contentType, sniffText(body.bytes));
}

/** The first characters of a body, enough for {@linkcode detectFormat} to sniff. */
function sniffText(bytes: Uint8Array): string {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === 10 || bytes[i] === 13)) i++;
  return i < bytes.length ? String.fromCharCode(bytes[i]) : "";
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
