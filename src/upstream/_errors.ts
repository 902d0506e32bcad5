/**
 * Every error the upstream module raises is named here: an abort ({@linkcode abortError}), a status, a body
 * past the cap or the memory budget, and whatever a transport (web `fetch` or `node:http`) threw, each with a
 * bounded reason and a message that names the URL without userinfo or other secrets.
 *
 * @module
 */

import { type ScrapeErrorReason, UpstreamError } from "../errors.ts";
import type { ByteBudget } from "./memory_budget.ts";
import { redactUrl } from "../url.ts";

const URL_IN_TEXT_REGEXP = /[a-z][a-z0-9+.-]*:\/\/[^\s"']+/gi;
const TLS_CODE_REGEXP = /^(ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/;
/**
 * A TLS client's first read was not a TLS record: rustls (Deno's fetch and its node:https) says
 * "InvalidContentType", OpenSSL "wrong version number". The usual cause is a plain HTTP server.
 */
const NOT_TLS_REGEXP = /InvalidContentType|wrong version number|WRONG_VERSION_NUMBER/i;
/** hyper (Deno's fetch) on an answer that does not start with `HTTP/1.x`: a TLS alert, for one. */
const NOT_HTTP_REGEXP = /invalid HTTP version parsed/i;

/**
 * The one conversion of an abort into an error: work that `signal` cut short (the deadline, or the scraper
 * going away) is a `timeout`; a signal aborted with an {@linkcode UpstreamError} keeps that error's reason.
 *
 * @param signal The aborted signal.
 * @param what The message's start, naming what was cut short: `Cannot fetch "<url>"`.
 * @param cause The error the abort surfaced as, if any.
 *
 * @example
 * ```ts
 * import { abortError } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const e = abortError(AbortSignal.abort(), "Cannot check the target");
 * assert.equal(e.reason, "timeout");
 * assert.equal(e.message, "Cannot check the target: deadline exceeded");
 * ```
 */
export function abortError(signal: AbortSignal, what: string, cause?: unknown): UpstreamError {
  const r = signal.reason;
  const why: ScrapeErrorReason = r instanceof UpstreamError ? r.reason : "timeout";
  const detail = why === "timeout" ? "deadline exceeded" : (r as Error).message;
  return new UpstreamError(why, `${what}: ${detail}`, cause === undefined ? undefined : { cause });
}

/**
 * Settles like `p`, or rejects with {@linkcode abortError} once `signal` aborts: for work that cannot itself
 * be cancelled, such as a DNS lookup.
 *
 * @param p The work.
 * @param signal Ends the wait.
 * @param what The message's start for the abort error.
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal, what, signal.reason));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal, what, signal.reason));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** Whether `status` is one a redirect policy may follow (301, 302, 303, 307, 308). */
export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** The error for a status whose body is not read: `redirect` for a redirect status not followed, else `status`. */
export function statusError(shown: string, status: number): UpstreamError {
  return isRedirect(status)
    ? new UpstreamError("redirect", `Cannot fetch "${shown}": redirect with status ${status} not followed`)
    : new UpstreamError("status", `Cannot fetch "${shown}": status ${status}`);
}

/** The error for a body the memory budget of scrapes in flight refused. */
export function overBudget(shown: string, budget: ByteBudget): UpstreamError {
  return new UpstreamError(
    "memory",
    `Cannot fetch "${shown}": the scrapes in flight hold the memory budget (--scrape.max-inflight-bytes ${budget.limit})`,
  );
}

/** The error for a body past the cap. */
export function tooLarge(shown: string, max: number): UpstreamError {
  return new UpstreamError("too_large", `Cannot fetch "${shown}": body is larger than ${max} bytes`);
}

/**
 * Maps what a transport threw to an {@linkcode UpstreamError}: an aborted signal gives `timeout` (or the
 * reason of an `UpstreamError` the signal was aborted with); refused connections, TLS failures and other
 * network errors are told apart by the message and, for `node:http`, the error code. Only the first line of
 * the original message is kept, with every URL in it redacted. A scheme that does not match the server (an
 * `https://` URL on a plain HTTP port, or `http://` on a TLS port) gets a message saying which to use.
 */
export function classifyFetchError(e: unknown, signal: AbortSignal, shown: string): UpstreamError {
  if (e instanceof UpstreamError) return e;
  if (signal.aborted) return abortError(signal, `Cannot fetch "${shown}"`, e);
  const code = typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "";
  const text = e instanceof Error
    ? `${e.message} ${String((e.cause as Error | undefined)?.message ?? "")}`
    : String(e);
  const wrongScheme = schemeMismatch(e, code, text, shown);
  if (wrongScheme !== null) {
    return new UpstreamError(wrongScheme.reason, `Cannot fetch "${shown}": ${wrongScheme.message}`, {
      cause: e,
    });
  }
  const reason: ScrapeErrorReason = code === "ECONNREFUSED" || /refused/i.test(text)
    ? "refused"
    : TLS_CODE_REGEXP.test(code) || /certificate|tls|ssl|handshake/i.test(text)
    ? "tls"
    : code === "ETIMEDOUT"
    ? "timeout"
    : "network";
  const first = text.split("\n")[0].replaceAll(URL_IN_TEXT_REGEXP, (u) => redactUrl(u)).trim();
  return new UpstreamError(reason, `Cannot fetch "${shown}": ${first}`, { cause: e });
}

/**
 * A scheme that does not match the server, or `null`. An https URL whose handshake read something other
 * than TLS met a plain server. For an http URL, node:http keeps the bytes it could not parse: a TLS record
 * (content type 21 alert or 22 handshake, version 3.x) proves a TLS server; fetch keeps only hyper's
 * message, so that case is a hint rather than a verdict.
 */
function schemeMismatch(
  e: unknown,
  code: string,
  text: string,
  shown: string,
): { reason: ScrapeErrorReason; message: string } | null {
  let url: URL;
  try {
    url = new URL(shown);
  } catch {
    return null;
  }
  const at = `${url.hostname}:${url.port || (url.protocol === "https:" ? "443" : "80")}`;
  if (url.protocol === "https:") {
    if (!NOT_TLS_REGEXP.test(code) && !NOT_TLS_REGEXP.test(text)) return null;
    return {
      reason: "tls",
      message: `TLS handshake failed: the server at ${at} answered plain HTTP; use http://`,
    };
  }
  if (url.protocol !== "http:") return null;
  const raw = (e as { rawPacket?: unknown } | null)?.rawPacket;
  if (raw instanceof Uint8Array && raw.length >= 2 && (raw[0] === 21 || raw[0] === 22) && raw[1] === 3) {
    return { reason: "tls", message: `the server at ${at} speaks TLS; use https://` };
  }
  if (NOT_HTTP_REGEXP.test(text)) {
    return {
      reason: "network",
      message: `the server at ${at} did not answer HTTP (if it speaks TLS, use https://)`,
    };
  }
  return null;
}
