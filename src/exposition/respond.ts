/**
 * Turns families into an HTTP response: the negotiated format, one buffered body with Content-Length, gzip
 * when the client allows it.
 *
 * @module
 */

import { gzipSync } from "node:zlib";
import type { MetricFamily } from "../model.ts";
import { acceptsGzip, negotiateFormat, OPENMETRICS_CONTENT_TYPE, TEXT_CONTENT_TYPE } from "./negotiate.ts";
import { ByteWriter, estimateSize } from "./escape.ts";
import { OPENMETRICS_EOF, writeOpenMetricsInto } from "./openmetrics.ts";
import { writeTextInto } from "./text.ts";

/** Bodies smaller than this are sent uncompressed: gzip would not pay for its header. */
const GZIP_MIN_BYTES = 1024;

/**
 * Whether a scrape gets OpenMetrics (else text 0.0.4). A `format=text|openmetrics` query parameter overrides
 * `Accept` (for debugging, and for a Prometheus job that must get one format: 2.x has no `scrape_protocols`).
 */
export function wantsOpenMetrics(req: Request): boolean {
  const forced = new URL(req.url).searchParams.get("format");
  return forced === "openmetrics" ||
    (forced !== "text" && negotiateFormat(req.headers.get("accept")) === "openmetrics");
}

/**
 * Renders families in the negotiated format; see {@linkcode expositionResponse}.
 *
 * @param scratch A writer to reuse (reset here; free again once this returns, as the Response copies its
 *   bytes), else a new one.
 */
export function exposition(req: Request, families: readonly MetricFamily[], scratch?: ByteWriter): Response {
  const om = wantsOpenMetrics(req);
  const size = estimateSize(families);
  const w = scratch ?? new ByteWriter(size);
  scratch?.reset(size);
  endDocument(w, families, om);
  return expositionResponse(req, om, w.bytes());
}

/** Appends families in OpenMetrics (`om`) or text 0.0.4, without OpenMetrics' closing `# EOF`. */
export function writeFamiliesInto(w: ByteWriter, families: readonly MetricFamily[], om: boolean): void {
  if (om) writeOpenMetricsInto(w, families);
  else writeTextInto(w, families);
}

/** Appends the last families of a document and, for OpenMetrics, the closing `# EOF`. */
export function endDocument(w: ByteWriter, families: readonly MetricFamily[], om: boolean): void {
  writeFamiliesInto(w, families, om);
  if (om) w.raw(OPENMETRICS_EOF);
}

/**
 * The response for a finished document in the format {@linkcode wantsOpenMetrics} chose: one buffered body
 * with Content-Length, gzip when asked.
 */
export function expositionResponse(req: Request, om: boolean, document: Uint8Array<ArrayBuffer>): Response {
  let body = document;
  const headers = new Headers({
    "content-type": om ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE,
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
