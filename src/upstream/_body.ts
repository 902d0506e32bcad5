/**
 * The one check of an upstream response and the one read of its body: which statuses are read, the size cap
 * (a declared Content-Length before reading, then the bytes as they arrive after decompression) and the
 * memory budget. Every transport's response (web `fetch`, `node:http`, `file:` URLs) goes through
 * {@linkcode readResponse}.
 *
 * @module
 */

import { UpstreamError } from "../errors.ts";
import type { ByteBudget } from "./memory_budget.ts";
import type { ReadLimits, UpstreamBody } from "./_types.ts";
import { classifyFetchError, overBudget, statusError, tooLarge } from "./_errors.ts";

/**
 * Whether a response's body is read: a status listed in `validStatusCodes`, or any 2xx when there is no list.
 *
 * @param status The response's status.
 * @param validStatusCodes The `valid_status_codes` option, if set.
 */
export function isValidStatus(status: number, validStatusCodes: readonly number[] | undefined): boolean {
  return validStatusCodes?.includes(status) ?? (status >= 200 && status < 300);
}

/**
 * Reads a response that is not followed further: refuses a status that is not valid ({@linkcode statusError}),
 * and a declared uncompressed body past the cap before reading it; then reads the body under the cap and
 * the budget.
 *
 * @param res The response.
 * @param shown The URL without userinfo, for messages.
 * @param limits The signal, the cap and the budget.
 * @param validStatusCodes The statuses whose body is read; absent: any 2xx.
 * @returns The body bytes and the content type.
 * @throws {UpstreamError} `status` or `redirect` for the status, `too_large`, `memory`, or what
 *   `classifyFetchError` says of a failed read.
 */
export async function readResponse(
  res: Response,
  shown: string,
  limits: ReadLimits,
  validStatusCodes?: readonly number[],
): Promise<UpstreamBody> {
  const { signal, maxBodyBytes } = limits;
  if (!isValidStatus(res.status, validStatusCodes)) {
    await res.body?.cancel();
    throw statusError(shown, res.status);
  }
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (!res.headers.has("content-encoding") && declared > maxBodyBytes) {
    await res.body?.cancel();
    throw tooLarge(shown, maxBodyBytes);
  }
  const bytes = await readCapped(res, maxBodyBytes, signal, shown, limits.budget);
  return { bytes, contentType: res.headers.get("content-type") };
}

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
async function readCapped(
  res: Response,
  max: number,
  signal: AbortSignal,
  shown: string,
  budget?: ByteBudget,
): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array(0);
  // One buffer, sized by Content-Length when the body is not compressed (fetch decompresses, so the header
  // would be the compressed size), grown by doubling otherwise: no array of chunks to join at the end.
  const declared = res.headers.has("content-encoding")
    ? NaN
    : Number(res.headers.get("content-length") ?? NaN);
  const initial = Number.isSafeInteger(declared) && declared <= max ? declared : Math.min(max, 64 * 1024);
  const body = res.body;
  // fetch's body is a byte stream: read into our buffer, so no chunk is allocated to be copied and then
  // wait for V8's next major GC (docs/PERFORMANCE.md, "Memory"). Other transports' streams are read by chunk.
  let byob: ReadableStreamBYOBReader | null = null;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream.
  }
  const reader = byob ?? body.getReader();
  let out = new Uint8Array(0);
  let total = 0;
  /** Makes room for `n` more bytes past `total`, under the cap and the budget. */
  const reserve = async (n: number) => {
    if (total + n > max) {
      await reader.cancel();
      throw tooLarge(shown, max);
    }
    if (total + n <= out.length) return;
    const size = Math.min(max, Math.max(out.length * 2, total + n, initial));
    if (budget !== undefined && !budget.take(size - out.length)) {
      await reader.cancel();
      throw overBudget(shown, budget);
    }
    const grown = new Uint8Array(size);
    grown.set(out.subarray(0, total));
    out = grown;
  };
  try {
    await reserve(initial);
    for (;;) {
      if (byob !== null && total < out.length) {
        const { done, value } = await byob.read(out.subarray(total));
        // The read moved our buffer into `value`'s (an empty view of it at the end).
        if (value !== undefined) out = new Uint8Array(value.buffer);
        if (done) break;
        total += value!.byteLength;
        continue;
      }
      // A full buffer (or a stream read by chunk): what comes next, if anything, is copied in. Past a declared
      // length nothing should come (the read only sees the end), so the probe is small.
      const { done, value } = byob !== null
        ? await byob.read(new Uint8Array(initial === declared ? 1024 : 64 * 1024))
        : await (reader as ReadableStreamDefaultReader<Uint8Array>).read();
      if (done) break;
      await reserve(value.byteLength);
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
