/**
 * Turns families into an HTTP response: the negotiated format, one buffered body with Content-Length, gzip
 * when the client allows it.
 *
 * @module
 */

import { gzipSync } from "node:zlib";
import type { MetricFamily } from "../model.ts";
import { acceptsGzip, contentTypeFor, type ExpositionFormat, negotiateFormat } from "./negotiate.ts";
import { ByteWriter, estimateSize } from "./escape.ts";
import { OPENMETRICS_EOF, writeOpenMetricsInto } from "./openmetrics.ts";
import { writeTextInto } from "./text.ts";

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

/** Appends families in `format`, without OpenMetrics' closing `# EOF`. */
export function writeFamiliesInto(
  w: ByteWriter,
  families: readonly MetricFamily[],
  format: ExpositionFormat,
): void {
  if (format === "openmetrics") writeOpenMetricsInto(w, families);
  else writeTextInto(w, families);
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
 * The response for a finished document in the format {@linkcode requestedFormat} chose: one buffered body
 * with Content-Length, gzip when asked.
 */
export function expositionResponse(
  req: Request,
  format: ExpositionFormat,
  document: Uint8Array<ArrayBuffer>,
): Response {
  let body = document;
  const headers = new Headers({
    "content-type": contentTypeFor(format),
    "vary": "Accept, Accept-Encoding",
  });
  if (body.byteLength >= GZIP_MIN_BYTES && acceptsGzip(req.headers.get("accept-encoding"))) {
    // Level 1: most of gzip's gain on metric text at a fraction of the CPU (docs/PERFORMANCE.md).
    body = new Uint8Array(gzipSync(body, { level: 1 }));
    headers.set("content-encoding", "gzip");
  }
  headers.set("content-length", String(body.byteLength));
  return new Response(body, { status: 200, headers });
}
