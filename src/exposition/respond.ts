/**
 * Turns families into an HTTP response: the negotiated format, one buffered body with Content-Length (sent
 * from shared parts without a copy), gzip when the client allows it (each shared part compressed once,
 * ./gzip.ts).
 *
 * @module
 */

import type { MetricFamily } from "../model.ts";
import { acceptsGzip, contentTypeFor, type ExpositionFormat, negotiateFormat } from "./negotiate.ts";
import { ByteWriter, estimateSize } from "./escape.ts";
import { OPENMETRICS_EOF, writeOpenMetricsSteps } from "./openmetrics.ts";
import { writeTextSteps } from "./text.ts";
import { runPaced, runSteps } from "../pace.ts";
import { gzipParts } from "./gzip.ts";

/** Bodies smaller than this are sent uncompressed: gzip would not pay for its header. */
const GZIP_MIN_BYTES = 1024;

/**
 * The format a scrape gets: OpenMetrics or text 0.0.4. A `format=text|openmetrics` query parameter overrides
 * `Accept` (for debugging, and for a Prometheus job that must get one format: 2.x has no `scrape_protocols`).
 */
export function requestedFormat(req: Request): ExpositionFormat {
  const forced = new URL(req.url).searchParams.get("format");
  if (forced === "openmetrics" || forced === "text") return forced;
  return negotiateFormat(req.headers.get("accept"));
}

/**
 * Renders families in the negotiated format; see {@linkcode expositionResponse}.
 *
 * @param scratch A writer to reuse (reset here; free again once this returns, as the Response copies its
 *   bytes), else a new one.
 */
export function exposition(req: Request, families: readonly MetricFamily[], scratch?: ByteWriter): Response {
  const format = requestedFormat(req);
  return expositionResponse(req, format, writeDocument(families, format, scratch));
}

/**
 * One whole document of `families` in `format` (with OpenMetrics' `# EOF`). With `scratch`, the bytes are a
 * view into it, valid until its next reset.
 */
export function writeDocument(
  families: readonly MetricFamily[],
  format: ExpositionFormat,
  scratch?: ByteWriter,
): Uint8Array<ArrayBuffer> {
  const size = estimateSize(families);
  const w = scratch ?? new ByteWriter(size);
  scratch?.reset(size);
  endDocument(w, families, format);
  return w.bytes();
}

/**
 * {@linkcode writeDocument} in steps that give the event loop turns (src/pace.ts), into a buffer of its own:
 * while it waits for a turn, another answer may write into a shared scratch buffer.
 */
export async function writeDocumentPaced(
  families: readonly MetricFamily[],
  format: ExpositionFormat,
): Promise<Uint8Array<ArrayBuffer>> {
  const w = new ByteWriter(estimateSize(families));
  await runPaced(documentSteps(w, families, format));
  return w.bytes();
}

function* documentSteps(w: ByteWriter, families: readonly MetricFamily[], format: ExpositionFormat) {
  yield* writeFamiliesSteps(w, families, format);
  if (format === "openmetrics") w.raw(OPENMETRICS_EOF);
}

/** Appends families in `format`, without OpenMetrics' closing `# EOF`. */
export function writeFamiliesInto(
  w: ByteWriter,
  families: readonly MetricFamily[],
  format: ExpositionFormat,
): void {
  runSteps(writeFamiliesSteps(w, families, format));
}

/** {@linkcode writeFamiliesInto} as steps, for a paced caller (src/pace.ts). */
export function writeFamiliesSteps(
  w: ByteWriter,
  families: readonly MetricFamily[],
  format: ExpositionFormat,
): Generator<void, void> {
  return format === "openmetrics" ? writeOpenMetricsSteps(w, families) : writeTextSteps(w, families);
}

/** Appends the last families of a document and, for OpenMetrics, the closing `# EOF`. */
export function endDocument(
  w: ByteWriter,
  families: readonly MetricFamily[],
  format: ExpositionFormat,
): void {
  writeFamiliesInto(w, families, format);
  if (format === "openmetrics") w.raw(OPENMETRICS_EOF);
}

/**
 * A document in parts that are never written again (answers written once per scrape and shared by every
 * request that takes them, src/server/answer.ts): a response sends them as they are. A `Response` given a
 * `Uint8Array` copies it (Fetch's "extract a body"); given a stream of these parts it copies nothing, so
 * eight scrapers of one 100k-series answer hold one copy of it, not sixteen (docs/PERFORMANCE.md).
 */
export class SharedDocument {
  /** Bytes in all. */
  readonly byteLength: number;

  constructor(readonly parts: readonly Uint8Array<ArrayBuffer>[]) {
    this.byteLength = parts.reduce((n, p) => n + p.byteLength, 0);
  }

  /** The parts in one buffer. */
  bytes(): Uint8Array<ArrayBuffer> {
    if (this.parts.length === 1) return this.parts[0];
    const all = new Uint8Array(this.byteLength);
    let at = 0;
    for (const p of this.parts) {
      all.set(p, at);
      at += p.byteLength;
    }
    return all;
  }

  /** The body of a response: the parts, one chunk each, read as the connection takes them. */
  stream(): ReadableStream<Uint8Array<ArrayBuffer>> {
    let next = 0;
    const parts = this.parts;
    return new ReadableStream({
      pull(c) {
        if (next < parts.length) c.enqueue(parts[next++]);
        else c.close();
      },
    }, { highWaterMark: 0 });
  }
}

/**
 * A finished document: bytes the response copies (a view into a writer that is reused is fine), or a
 * {@linkcode SharedDocument}.
 */
export type Document = Uint8Array<ArrayBuffer> | SharedDocument;

/** A document's text (the `once` command, the debug page). */
export function documentText(document: Document): string {
  return new TextDecoder().decode(document instanceof SharedDocument ? document.bytes() : document);
}

/** Shared documents smaller than this are copied into one body: a stream costs more than the copy. */
const STREAM_MIN_BYTES = 1 << 16;

/**
 * The response for a finished document in the format {@linkcode requestedFormat} chose: one buffered body
 * with Content-Length (a shared document's parts, sent without a copy), gzip when asked.
 */
export function expositionResponse(req: Request, format: ExpositionFormat, document: Document): Response {
  const headers = new Headers({
    "content-type": contentTypeFor(format),
    "vary": "Accept, Accept-Encoding",
  });
  const length = document.byteLength;
  let sent = document;
  if (length >= GZIP_MIN_BYTES && acceptsGzip(req.headers.get("accept-encoding"))) {
    // The shared parts' deflates are shared too: a scrape's answer is compressed once, not once per request.
    sent = new SharedDocument(gzipParts(document instanceof SharedDocument ? document.parts : [document]));
    headers.set("content-encoding", "gzip");
  }
  headers.set("content-length", String(sent.byteLength));
  if (!(sent instanceof SharedDocument)) return new Response(sent, { status: 200, headers });
  const body = sent.byteLength >= STREAM_MIN_BYTES ? sent.stream() : sent.bytes();
  return new Response(body, { status: 200, headers });
}
