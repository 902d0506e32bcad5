/**
 * The shapes the upstream module's files share: what a fetch is given and what it answers. Kept apart so
 * the private files and the public `mod.ts` import them without a cycle.
 *
 * @module
 */

import type { PinnedAddress } from "../config/allow.ts";
import type { HttpOptions } from "../config/http_options.ts";
import type { ByteBudget } from "./memory_budget.ts";

/** What the exporter sends as Accept: Prometheus text first, then OpenMetrics, then JSON. */
export const UPSTREAM_ACCEPT =
  "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.8,application/json;q=0.7,*/*;q=0.1";

/** The upstream's answer, fully read. */
export interface UpstreamBody {
  /** The body after any Content-Encoding was undone. */
  bytes: Uint8Array;
  /** The Content-Type header, or `null` (file URLs and servers that send none). */
  contentType: string | null;
}

/**
 * Checks one hop before any connection is made and names the address to connect to.
 * @throws {UpstreamError} With reason `forbidden` to refuse the hop.
 */
export type HopGuard = (url: URL) => Promise<PinnedAddress | undefined>;

/** What bounds one fetch: its signal, its size cap and the memory budget. */
export interface ReadLimits {
  /** Aborts everything: connect, headers, body, every hop; at the deadline and when the scraper goes away. */
  signal: AbortSignal;
  /** The cap on the decompressed body. */
  maxBodyBytes: number;
  /** Takes the body's bytes as they arrive (the scrape's lease on the memory budget); absent: not counted. */
  budget?: ByteBudget;
}

/**
 * What one fetch took, filled in as it goes when a debug scrape asks for it (`ClientFetchOptions.timings`);
 * absent on the normal path, which then reads no clock. Deno's `fetch` tells nothing of its connection, so
 * connect, TLS, the request and the wait for the headers are one span.
 */
export interface FetchTimings {
  /** Hops sent: 1, plus one per redirect followed. */
  hops: number;
  /** Milliseconds from the start of the fetch to the last hop's response headers (allow-list checks included). */
  headersMs?: number;
  /** Milliseconds reading the last hop's body. */
  bodyMs?: number;
  /** The last hop's HTTP status. */
  status?: number;
  /** The last hop's Content-Type header. */
  contentType?: string | null;
  /** The body's bytes after any Content-Encoding was undone. */
  bytes?: number;
}

/** Options of {@linkcode UpstreamClient.fetch}. */
export interface ClientFetchOptions extends ReadLimits {
  /** Called for every hop, the first included; probes pass their allow-list check. */
  guard?: HopGuard;
  /** Filled with the fetch's timings (a debug scrape); absent: no clock is read. */
  timings?: FetchTimings;
}

/** Options of `fetchUpstream`, the plain client. */
export interface FetchOptions extends ReadLimits {
  /** Extra request headers. */
  headers?: HeadersInit;
}

/** A compiled client; close it when its config is replaced (after in-flight scrapes end). */
export interface UpstreamClient extends Disposable {
  /** The options it was compiled from. */
  readonly options: HttpOptions;
  /** Fetches `url` once, following redirects as the options allow. */
  fetch(url: string, options: ClientFetchOptions): Promise<UpstreamBody>;
  /** Releases the `Deno.HttpClient`, if any. */
  close(): void;
}

/** Where the options' relative paths are resolved from. */
export interface ClientContext {
  /** The config file's directory. */
  baseDir: string;
}
