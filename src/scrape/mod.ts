/**
 * The collector: one scrape of one target, from fetch to transformed families. Shared by the HTTP server,
 * the `once` and `explain` commands and the tests.
 *
 * @module
 */

import type { TargetConfig } from "../config/types.ts";
import { ParseError, UpstreamError } from "../errors.ts";
import {
  type BodyDecoder,
  bodyFormat,
  compileDecoder,
  decodeBody,
  decodeBytesSteps,
  type DecodedBody,
  decodeStream,
  decodeStreamPaced,
  type StreamedBody,
} from "../formats/mod.ts";
import type { ConcreteFormat } from "../formats/detect.ts";
import { binaryText, type MemoHit, ScrapeMemo } from "../memo/memo.ts";
import { runSteps } from "../pace.ts";
import { type RelayedAnswer, TextRelay } from "../relay/mod.ts";
import type { ExpositionFormat } from "../exposition/negotiate.ts";
import type { MetricFamily } from "../model.ts";
import { SeriesCache } from "../formats/series_cache.ts";
import { compileTransform, outputKeeper, type Transform, type TransformRun } from "../transform/mod.ts";
import {
  type ByteBudget,
  type FetchTimings,
  type HopGuard,
  PLAIN_CLIENT,
  type UpstreamBody,
  type UpstreamClient,
} from "../upstream/mod.ts";

/** A target with its rules compiled, ready to scrape many times. */
export interface CompiledTarget {
  /** The resolved config. */
  config: TargetConfig;
  /** The compiled format and JSON mapping. */
  decoder: BodyDecoder;
  /** The compiled rules and relabel configs. */
  transform: Transform;
  /** `target` and the static labels, flat, for the target's own series (`prom_exporter_up`...). */
  labels: readonly string[];
  /**
   * The HTTP client compiled from the target's `http` options (auth, TLS, proxy, redirects); without one,
   * {@linkcode PLAIN_CLIENT} (no credentials, no redirect followed).
   */
  client?: UpstreamClient;
  /** The scrape memo ({@linkcode withMemo}): static targets have one, `/probe` modules do not. */
  memo?: ScrapeMemo;
  /**
   * The series cache ({@linkcode withSeriesCache}): what the rules made of each series line of the last
   * scrape. Static targets have one, `/probe` modules do not.
   */
  seriesCache?: SeriesCache;
  /**
   * The relay ({@linkcode withRelay}): a Prometheus text body that misses the memo is written from its bytes,
   * in the answer's format. Static targets whose relabel configs only keep or drop have one.
   */
  relay?: TextRelay;
}

/** The result of one scrape. */
export type ScrapeResult =
  | {
    ok: true;
    /** The transformed families (on a memo hit, computed on first read). */
    families: MetricFamily[];
    skipped: number;
    durationSeconds: number;
    /** Set when the body matched the target's memo: the answer can be written from it. */
    memo?: MemoHit;
    /** Set when the relay wrote the answer from the body (in the format the scrape was asked for). */
    relayed?: RelayedAnswer;
    /** Series read from the body, when the pipeline ran (a memo hit has `memo.size`). */
    read?: number;
  }
  | { ok: false; error: UpstreamError; durationSeconds: number };

/**
 * Compiles a target once, at config load: every regex, JSONPath, template and relabel rule is built here, so
 * a scrape never meets a config problem.
 *
 * @throws {SyntaxError} For a pattern the config loader should have rejected (a target built by hand).
 */
export function compileTarget(config: TargetConfig): CompiledTarget {
  return {
    config,
    decoder: compileDecoder(config),
    transform: compileTransform(config),
    labels: ownLabels(config),
  };
}

/**
 * The labels of a target's own series (`prom_exporter_up`, the duration, the last success): `target` first,
 * so every target is told apart even without static labels, then the static labels (a static label named
 * `target` is kept as `exported_target`, as Prometheus does with `honor_labels: false`).
 */
function ownLabels(config: TargetConfig): string[] {
  const labels = ["target", config.name];
  for (const [name, value] of Object.entries(config.labels)) {
    labels.push(name === "target" ? "exported_target" : name, value);
  }
  return labels;
}

/** Gives a compiled target a scrape memo (src/memo/memo.ts), for a server that scrapes it repeatedly. */
export function withMemo(target: CompiledTarget): CompiledTarget {
  // A JSON mapping (states, value maps) or a scale (of 0) can map different values to one result: then an
  // output value that stays the same across the memo's tagged runs is not proven to be a constant.
  const { config } = target;
  const constants = config.json === undefined && config.rules.every((r) => !("scale" in r) || r.scale !== 0);
  // The memo learns a text answer through the relay when the target has one (given after this, or not).
  const writer = function* (body: Uint8Array, format: ExpositionFormat) {
    return target.relay === undefined ? null : yield* target.relay.relayTaggedSteps(body, format);
  };
  target.memo = new ScrapeMemo((body, format) => pipelineSteps(target, body, format), constants, writer);
  return target;
}

/** Gives a compiled target a relay (src/relay), when its rules are ones the relay applies. */
export function withRelay(target: CompiledTarget): CompiledTarget {
  const ctx = target.transform.context;
  if (target.config.format !== "json" && TextRelay.handles(ctx)) target.relay = new TextRelay(ctx);
  return target;
}

/** Gives a compiled target a series cache (src/formats/series_cache.ts), for a server that scrapes it. */
export function withSeriesCache(target: CompiledTarget): CompiledTarget {
  target.seriesCache = new SeriesCache(outputKeeper());
  return target;
}

/**
 * The whole pipeline on a body's text: decode in `format` ({@linkcode detectFormat}'s choice) and apply the
 * target's rules.
 *
 * @throws {ParseError} For a text that is not a valid document of the format.
 */
export function runPipeline(target: CompiledTarget, text: string, format: ConcreteFormat): PipelineResult {
  return runSteps(pipelineSteps(target, UTF8_ENCODER.encode(text), format));
}

const UTF8_ENCODER = new TextEncoder();

/** What {@linkcode runPipeline} gives: the families after the rules, the skipped values and the format. */
export interface PipelineResult {
  families: MetricFamily[];
  skipped: number;
  format: ConcreteFormat;
}

/** {@linkcode runPipeline} on a body's bytes, as steps, for a paced caller (src/pace.ts): the memo learning a shape. */
export function* pipelineSteps(
  target: CompiledTarget,
  body: Uint8Array,
  format: ConcreteFormat,
): Generator<void, PipelineResult> {
  const { families, skipped } = yield* decodeBytesSteps(target.decoder, body, format, runStarter(target));
  return { families, skipped, format };
}

/** Starts a run of the target's rules, for a body once its format is known. */
function runStarter(target: CompiledTarget): (asSent: boolean) => TransformRun {
  return (asSent) => target.transform.begin({ asSent });
}

/**
 * Decodes a body and applies the target's rules in one streaming pass, paced so the server answers other
 * requests meanwhile ({@linkcode decodeStreamPaced}), or in one go (`paced: false`, for a result computed on
 * first read).
 */
function transformBody(target: CompiledTarget, body: UpstreamBody, paced: true): Promise<StreamedBody>;
function transformBody(target: CompiledTarget, body: UpstreamBody, paced: false): StreamedBody;
function transformBody(target: CompiledTarget, body: UpstreamBody, paced: boolean) {
  const decode = paced ? decodeStreamPaced : decodeStream;
  return decode(target.decoder, body, runStarter(target), target.seriesCache);
}

/** Options for {@linkcode scrapeTarget}. */
export interface ScrapeOptions {
  /** Aborts the scrape: the deadline, or the scraper going away. */
  signal: AbortSignal;
  /** A saved upstream body to use instead of fetching (`--input`). */
  body?: UpstreamBody;
  /** The URL to fetch instead of the target's own (`/probe`). */
  url?: string;
  /** Checks every hop before connecting (the `/probe` allow-list). */
  guard?: HopGuard;
  /** Takes the body's bytes as they arrive (the scrape's lease on the memory budget); absent: not counted. */
  budget?: ByteBudget;
  /** Records the scrape's steps (a debug scrape, which also skips the memo); absent: nothing is recorded. */
  trace?: ScrapeTrace;
  /**
   * The format the answer will be written in: the relay writes one format per scrape, this one.
   * @default {"text"}
   */
  format?: ExpositionFormat;
}

/**
 * What a debug scrape records, filled in as it goes: how far it got shows in what is set. The normal path
 * passes none, reads no extra clock and keeps nothing.
 */
export interface ScrapeTrace {
  /** The fetch's timings, status, content type and bytes; start it as `{ hops: 0 }`. */
  fetch: FetchTimings;
  /** The target scraped, for `explain` of its rules on {@linkcode ScrapeTrace.body}. */
  target?: CompiledTarget;
  /** The body as read. */
  body?: UpstreamBody;
  /** The format the body was decoded as. */
  format?: ConcreteFormat;
  /** Milliseconds decoding the body and applying the rules. */
  transformMs?: number;
}

/**
 * Scrapes one target: fetch (or use the given body), decode, transform. Never throws for upstream
 * problems: they come back as `{ ok: false }` with a bounded reason.
 */
export async function scrapeTarget(target: CompiledTarget, options: ScrapeOptions): Promise<ScrapeResult> {
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  const { trace } = options;
  if (trace !== undefined) trace.target = target;
  try {
    const body = await fetchBody(target, options);
    if (trace !== undefined) trace.body = body;
    const memo = options.body === undefined && trace === undefined ? target.memo : undefined;
    const arrived = performance.now();
    // A 100k-series body is a 7 MB string: not made while the memo cools down after misses.
    const binary = memo?.wantsBody ? binaryText(body.bytes) : "";
    // Paced: a large body's values are read in steps that let a waiting request (a health check) in.
    const hit = await memo?.lookupPaced(body.bytes, binary, body.contentType, arrived);
    if (hit) {
      // The relay's record of its last pass is only worth its memory while the memo misses.
      target.relay?.release();
      let families: MetricFamily[] | undefined;
      return {
        ok: true,
        // Only when the answer cannot be written from the memo (a family name met another target's).
        get families() {
          return families ??= transformBody(target, body, false).families;
        },
        skipped: hit.skipped,
        durationSeconds: seconds(),
        memo: hit,
      };
    }
    // A debug scrape records the pipeline's steps: it never takes the relay.
    const relay = trace === undefined ? target.relay : undefined;
    if (relay !== undefined && relay.ready()) {
      const relayed = bodyFormat(target.decoder, body) === "prometheus"
        ? await relay.relay(body.bytes, options.format ?? "text")
        : null;
      if (relayed !== null) {
        await memo?.learnPaced(binary, body.contentType, "prometheus", 0);
        let families: MetricFamily[] | undefined;
        return {
          ok: true,
          // Only when the answer is wanted in the other format, or a family name met another target's.
          get families() {
            return families ??= transformBody(target, body, false).families;
          },
          skipped: 0,
          read: relayed.read,
          durationSeconds: seconds(),
          relayed,
        };
      }
    }
    const decoding = trace === undefined ? 0 : performance.now();
    const { families, skipped, format, read } = await transformBody(target, body, true);
    if (trace !== undefined) {
      trace.format = format;
      trace.transformMs = performance.now() - decoding;
    }
    await memo?.learnPaced(binary, body.contentType, format, skipped);
    return { ok: true, families, skipped, read, durationSeconds: seconds() };
  } catch (e) {
    return { ok: false, error: asUpstreamError(e), durationSeconds: seconds() };
  }
}

/**
 * Fetches (or takes the given body) and decodes, without the rules: the upstream's own families, for
 * `explain` and tests.
 *
 * @throws {UpstreamError} When the fetch fails.
 * @throws {ParseError} When the body cannot be decoded.
 */
export async function decodeTarget(target: CompiledTarget, options: ScrapeOptions): Promise<DecodedBody> {
  return decodeBody(target.decoder, await fetchBody(target, options));
}

/** The given body, or the fetched one: with the target's client, or the plain one when it has none. */
export async function fetchBody(target: CompiledTarget, options: ScrapeOptions): Promise<UpstreamBody> {
  if (options.body !== undefined) return options.body;
  const url = options.url ?? target.config.url;
  const { signal, guard, budget } = options;
  const timings = options.trace?.fetch;
  const fetchOptions = { signal, maxBodyBytes: target.config.maxBodyBytes, guard, budget, timings };
  return await (target.client ?? PLAIN_CLIENT).fetch(url, fetchOptions);
}

/** Turns anything a scrape threw into an {@linkcode UpstreamError} with a bounded reason. */
export function asUpstreamError(e: unknown): UpstreamError {
  if (e instanceof UpstreamError) return e;
  if (e instanceof ParseError) {
    return new UpstreamError("parse", `Cannot decode the upstream: ${e.message}`, { cause: e });
  }
  if (e instanceof RangeError && /string length/i.test(e.message)) {
    return new UpstreamError("too_large", "Cannot decode the upstream: body too large", { cause: e });
  }
  return new UpstreamError("internal", `Cannot scrape: ${e instanceof Error ? e.message : String(e)}`, {
    cause: e,
  });
}
