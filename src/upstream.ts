/**
 * The only module that talks to the upstream: one bounded fetch per scrape, turned into bytes or an
 * {@linkcode UpstreamError} with a bounded reason.
 *
 * @module
 */

import { type ScrapeErrorReason, UpstreamError } from "./errors.ts";
import { redactUrl } from "./url.ts";

/** The upstream's answer, fully read. */
export interface UpstreamBody {
  /** The body after any Content-Encoding was undone. */
  bytes: Uint8Array;
  /** The Content-Type header, or `null` (file URLs and servers that send none). */
  contentType: string | null;
}

/** Options for {@linkcode fetchUpstream}. */
export interface FetchOptions {
  /** Aborts the fetch, including the body; at the deadline and when the scraper goes away. */
  signal: AbortSignal;
  /** The cap on the decompressed body. */
  maxBodyBytes: number;
  /** Extra request headers. */
  headers?: HeadersInit;
}

/** What the exporter sends as Accept: Prometheus text first, then OpenMetrics, then JSON. */
export const UPSTREAM_ACCEPT =
  "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.8,application/json;q=0.7,*/*;q=0.1";

/**
 * Fetches the upstream once. The signal bounds connect, headers and body together; the body is counted as
 * it arrives (after decompression) and the fetch is cancelled once it passes the cap.
 *
 * @param url An http, https or file URL.
 * @param options The signal, the size cap and extra headers.
 * @returns The body bytes and the content type.
 * @throws {UpstreamError} For every failure, with a reason and a message that names the URL without userinfo.
 */
export async function fetchUpstream(url: string, options: FetchOptions): Promise<UpstreamBody> {
  const { signal, maxBodyBytes } = options;
  const shown = redactUrl(url);
  let res: Response;
  try {
    const headers = new Headers(options.headers);
    if (!headers.has("accept")) headers.set("accept", UPSTREAM_ACCEPT);
    res = await fetch(url, { signal, headers, redirect: "manual" });
  } catch (e) {
    throw classifyFetchError(e, signal, shown);
  }
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw new UpstreamError(
      "redirect",
      `Cannot fetch "${shown}": redirect with status ${res.status} not followed`,
    );
  }
  if (res.status < 200 || res.status >= 300) {
    await res.body?.cancel();
    throw new UpstreamError("status", `Cannot fetch "${shown}": status ${res.status}`);
  }
  const declared = Number(res.headers.get("content-length") ?? NaN);
  const encoded = res.headers.has("content-encoding");
  if (!encoded && declared > maxBodyBytes) {
    await res.body?.cancel();
    throw tooLarge(shown, maxBodyBytes);
  }
  const bytes = await readCapped(res, maxBodyBytes, signal, shown);
  return { bytes, contentType: res.headers.get("content-type") };
}

async function readCapped(
  res: Response,
  max: number,
  signal: AbortSignal,
  shown: string,
): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > max) {
        await reader.cancel();
        throw tooLarge(shown, max);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof UpstreamError) throw e;
    throw classifyFetchError(e, signal, shown);
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

function tooLarge(shown: string, max: number): UpstreamError {
  return new UpstreamError("too_large", `Cannot fetch "${shown}": body is larger than ${max} bytes`);
}

/** Maps whatever fetch threw to an UpstreamError with a bounded reason. */
function classifyFetchError(e: unknown, signal: AbortSignal, shown: string): UpstreamError {
  if (signal.aborted) {
    const why = signal.reason instanceof DOMException && signal.reason.name === "TimeoutError"
      ? "timeout"
      : signal.reason instanceof UpstreamError
      ? signal.reason.reason
      : "timeout";
    const detail = why === "timeout"
      ? "deadline exceeded"
      : String((signal.reason as Error)?.message ?? "aborted");
    return new UpstreamError(why, `Cannot fetch "${shown}": ${detail}`, { cause: e });
  }
  const text = e instanceof Error
    ? `${e.message} ${String((e.cause as Error | undefined)?.message ?? "")}`
    : String(e);
  const reason: ScrapeErrorReason = /refused/i.test(text)
    ? "refused"
    : /certificate|tls|ssl|handshake/i.test(text)
    ? "tls"
    : "network";
  // The message of a network error can echo the URL with its userinfo; keep only its first line, redacted.
  const first = text.split("\n")[0].replaceAll(/[a-z]+:\/\/[^\s"']+/gi, (u) => redactUrl(u)).trim();
  return new UpstreamError(reason, `Cannot fetch "${shown}": ${first}`, { cause: e });
}
