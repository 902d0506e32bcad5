/**
 * The only module that talks to the upstream: one bounded fetch per scrape, turned into bytes or an
 * {@linkcode UpstreamError} with a bounded reason.
 *
 * @module
 */

import { UpstreamError } from "../errors.ts";
import type { ByteBudget } from "./memory_budget.ts";
import { classifyFetchError, readCapped, tooLarge } from "./_body.ts";
import { redactUrl } from "../url.ts";

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
  /** Takes the body's bytes as they arrive (the scrape's lease on the memory budget); absent: not counted. */
  budget?: ByteBudget;
}

/** What the exporter sends as Accept: Prometheus text first, then OpenMetrics, then JSON. */
export const UPSTREAM_ACCEPT =
  "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.8,application/json;q=0.7,*/*;q=0.1";

/**
 * Fetches the upstream once. The signal bounds connect, headers and body together; the body is counted as
 * it arrives (after decompression) and the fetch is cancelled once it passes the cap, or once the memory
 * budget refuses its bytes.
 *
 * @param url An http, https or file URL.
 * @param options The signal, the size cap, extra headers and the memory budget.
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
  const bytes = await readCapped(res, maxBodyBytes, signal, shown, options.budget);
  return { bytes, contentType: res.headers.get("content-type") };
}
