/**
 * The upstream client: {@linkcode createUpstreamClient} compiles a target's or module's `HttpOptions` once,
 * then each fetch walks the redirect hops by hand so that every hop is checked: the policy (`same_origin` by
 * default), at most `max_redirects` hops, the caller's {@linkcode HopGuard} (a probe's allow-list), and
 * credentials (auth, configured headers, the body) sent only to the configured origin and never again once a
 * redirect has left it. {@linkcode plainClient} is the same client with no options (no credentials, no
 * redirect followed), and {@linkcode fetchUpstream} fetches with it. Statuses and sizes are checked by
 * `_body.ts`, the request sent by `_transport.ts`, errors named by `_errors.ts`.
 *
 * @module
 */

import { type HttpOptions, Secret } from "../config/http_options.ts";
import { UpstreamError } from "../errors.ts";
import { redactUrl } from "../url.ts";
import { isValidStatus, readResponse } from "./_body.ts";
import { classifyFetchError, isRedirect, untilAborted } from "./_errors.ts";
import { type Hop, nextHop } from "./_redirect.ts";
import { compileTransport, createTransport, type Transport } from "./_transport.ts";
import type {
  ClientContext,
  ClientFetchOptions,
  FetchOptions,
  FetchTimings,
  HopGuard,
  UpstreamBody,
  UpstreamClient,
} from "./_types.ts";

export type { ClientContext, ClientFetchOptions, HopGuard, UpstreamClient };

/**
 * Compiles HTTP options into a client: reads the CA, certificate and key files now, so a missing file is a
 * config error at load (and a reload picks up rotated certificates); token and password files are read at
 * scrape time, again whenever they change.
 *
 * @throws {ConfigError} For an unreadable file or options Deno cannot use.
 */
export async function createUpstreamClient(
  options: HttpOptions,
  context: ClientContext,
): Promise<UpstreamClient> {
  return clientOf(options, await createTransport(options, context));
}

/**
 * The plain client, for a target without `http` options of its own: no credentials, no redirect followed,
 * `headers` sent as they are. It holds no `Deno.HttpClient`: closing it is not needed.
 *
 * @param headers Extra request headers.
 */
export function plainClient(headers?: HeadersInit): UpstreamClient {
  const own: Record<string, Secret> = {};
  new Headers(headers).forEach((value, name) => own[name] = new Secret(value));
  const options: HttpOptions = {
    headers: own,
    tls: { insecureSkipVerify: false },
    method: "GET",
    redirectPolicy: "none",
    maxRedirects: 0,
  };
  return clientOf(options, compileTransport(options, {}));
}

/** The plain client without extra headers, shared by every target that has no client of its own. */
export const PLAIN_CLIENT: UpstreamClient = plainClient();

/**
 * Fetches the upstream once with the {@linkcode plainClient}. The signal bounds connect, headers and body
 * together; the body is counted as it arrives (after decompression) and the fetch is cancelled once it
 * passes the cap, or once the memory budget refuses its bytes.
 *
 * @param url An http, https or file URL.
 * @param options The signal, the size cap, extra headers and the memory budget.
 * @returns The body bytes and the content type.
 * @throws {UpstreamError} For every failure, with a reason and a message that names the URL without userinfo.
 */
export async function fetchUpstream(url: string, options: FetchOptions): Promise<UpstreamBody> {
  const client = options.headers === undefined ? PLAIN_CLIENT : plainClient(options.headers);
  return await client.fetch(url, options);
}

/** A client over `transport`: each fetch walks the hops with {@linkcode fetchHops}. */
function clientOf(options: HttpOptions, transport: Transport): UpstreamClient {
  const fetch = (url: string, fo: ClientFetchOptions) => fetchHops(options, transport, url, fo);
  const close = () => transport.close();
  return { options, fetch, close, [Symbol.dispose]: close };
}

/** One fetch: each hop checked, sent, then followed or read. */
async function fetchHops(
  options: HttpOptions,
  transport: Transport,
  target: string,
  fo: ClientFetchOptions,
): Promise<UpstreamBody> {
  const { signal, timings } = fo;
  const started = timings === undefined ? 0 : performance.now();
  let url = new URL(target);
  if (url.protocol === "file:" && fo.guard === undefined) return await fetchFile(url, fo);
  const origin = url.origin;
  const hop: Hop = { method: options.method, body: options.body, credentialed: true, pin: undefined };
  for (let hops = 0;; hops++) {
    const shown = redactUrl(url.href);
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new UpstreamError("redirect", `Cannot fetch "${shown}": only http and https are followed`);
    }
    // The guard may wait on DNS, which cannot be cancelled: the deadline ends the wait.
    hop.pin = fo.guard ? await untilAborted(fo.guard(url), signal, `Cannot fetch "${shown}"`) : undefined;
    let res: Response;
    try {
      res = await transport.send(url, hop, signal);
    } catch (e) {
      throw classifyFetchError(e, signal, shown);
    }
    if (timings !== undefined) headersArrived(timings, res, started);
    const follow = !isValidStatus(res.status, options.validStatusCodes) && isRedirect(res.status) &&
      options.redirectPolicy !== "none";
    if (!follow) {
      const valid = options.validStatusCodes;
      if (timings === undefined) return await readResponse(res, shown, fo, valid);
      return await timedRead(timings, () => readResponse(res, shown, fo, valid));
    }
    await res.body?.cancel();
    if (hops >= options.maxRedirects) {
      throw new UpstreamError(
        "redirect",
        `Cannot fetch "${shown}": more than ${options.maxRedirects} redirects`,
      );
    }
    url = nextHop(url, res, hop, origin, options.redirectPolicy as "same_origin" | "any");
  }
}

/** A `file:` URL: read under the same cap and budget; files have no content type. */
async function fetchFile(url: URL, fo: ClientFetchOptions): Promise<UpstreamBody> {
  const shown = redactUrl(url.href);
  const started = fo.timings === undefined ? 0 : performance.now();
  let res: Response;
  try {
    res = await fetch(url, { signal: fo.signal });
  } catch (e) {
    throw classifyFetchError(e, fo.signal, shown);
  }
  if (fo.timings !== undefined) headersArrived(fo.timings, res, started);
  const body = fo.timings === undefined
    ? await readResponse(res, shown, fo)
    : await timedRead(fo.timings, () => readResponse(res, shown, fo));
  return { ...body, contentType: null };
}

/** Notes a hop's response in the timings: one more hop, the time to its headers, its status and type. */
function headersArrived(timings: FetchTimings, res: Response, started: number): void {
  timings.hops++;
  timings.headersMs = performance.now() - started;
  timings.status = res.status;
  timings.contentType = res.headers.get("content-type");
}

/** Reads the last hop's body with `readBody`, timing it and counting its bytes. */
async function timedRead(
  timings: FetchTimings,
  readBody: () => Promise<UpstreamBody>,
): Promise<UpstreamBody> {
  const started = performance.now();
  try {
    const body = await readBody();
    timings.bytes = body.bytes.byteLength;
    return body;
  } finally {
    timings.bodyMs = performance.now() - started;
  }
}
