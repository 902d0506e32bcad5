/**
 * Reading an upstream response under a byte cap, and turning whatever a transport throws (web `fetch` or
 * `node:http`) into an {@linkcode UpstreamError} with a bounded reason and a message without secrets.
 *
 * Shared by `upstream_client.ts` and its node transport; `upstream.ts` keeps private copies of the same two
 * steps for the `fetch`-only path and can import these instead.
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
 * Reads a response body, counting bytes as they arrive (after any decompression the transport did) and
 * cancelling once the count passes `max`. With a `budget`, the buffer's bytes are taken from it before they
 * are allocated (all of a declared Content-Length at once, else each growth); when the budget refuses, the
 * read is cancelled. Bytes taken stay taken: the budget's owner (a scrape's lease) gives them back once the
 * body is no longer needed, on success and failure alike.
 *
 * @param res The response.
 * @param max The cap in bytes.
 * @param signal The fetch's signal, to classify an abort.
 * @param shown The URL without userinfo, for messages.
 * @param budget The memory budget of scrapes in flight; absent: not counted.
 * @throws {UpstreamError} `too_large` past the cap; `memory` when the budget refuses; otherwise what
 *   {@linkcode classifyFetchError} says.
 */
export async function readCapped(
  res: Response,
  max: number,
  signal: AbortSignal,
  shown: string,
  budget?: ByteBudget,
): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array(0);
  const reader = res.body.getReader();
  // One buffer, sized by Content-Length when the body is not compressed (fetch decompresses, so the header
  // would be the compressed size), grown by doubling otherwise: no array of chunks to join at the end.
  const declared = res.headers.has("content-encoding")
    ? NaN
    : Number(res.headers.get("content-length") ?? NaN);
  const initial = Number.isSafeInteger(declared) && declared <= max ? declared : 64 * 1024;
  let out: Uint8Array;
  let total = 0;
  try {
    if (budget !== undefined && !budget.take(initial)) {
      await reader.cancel();
      throw overBudget(shown, budget);
    }
    out = new Uint8Array(initial);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (total + value.byteLength > max) {
        await reader.cancel();
        throw tooLarge(shown, max);
      }
      if (total + value.byteLength > out.length) {
        const size = Math.min(max, Math.max(out.length * 2, total + value.byteLength));
        if (budget !== undefined && !budget.take(size - out.length)) {
          await reader.cancel();
          throw overBudget(shown, budget);
        }
        const grown = new Uint8Array(size);
        grown.set(out.subarray(0, total));
        out = grown;
      }
      out.set(value, total);
      total += value.byteLength;
    }
  } catch (e) {
    if (e instanceof UpstreamError) throw e;
    throw classifyFetchError(e, signal, shown);
  } finally {
    reader.releaseLock();
  }
  return out.subarray(0, total);
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
  if (signal.aborted) {
    const r = signal.reason;
    const why: ScrapeErrorReason = r instanceof UpstreamError ? r.reason : "timeout";
    const detail = why === "timeout" ? "deadline exceeded" : (r as Error).message;
    return new UpstreamError(why, `Cannot fetch "${shown}": ${detail}`, { cause: e });
  }
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
