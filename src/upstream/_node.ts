/**
 * A second upstream transport on `node:http`/`node:https`, for what Deno's `fetch` cannot do (checked on Deno
 * 2.9.6, whose `CreateHttpClientOptions` has no such fields): connecting to a checked, pinned address while
 * keeping the URL's host for `Host`, SNI and certificate checks (probes, against DNS rebinding); verifying the
 * certificate against a configured `server_name`; and `insecure_skip_verify`. It answers a web `Response`,
 * so body reading and error handling are the same as for `fetch`.
 *
 * @module
 */

import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import type { PinnedAddress } from "../config/allow.ts";

/** One request over the node transport. */
export interface NodeRequest {
  /** The method. */
  method: string;
  /** The request headers (`Host` comes from the URL). */
  headers: Headers;
  /** The body, if any. */
  body?: string;
  /** Aborts the request and the body. */
  signal: AbortSignal;
  /** TLS options, for https URLs. */
  tls: NodeTls;
  /** Connect to this address instead of resolving the URL's host. */
  pin?: PinnedAddress;
}

/** TLS settings of the node transport (PEM strings). */
export interface NodeTls {
  /** The trusted CAs; when given they replace node's defaults, so pass the system roots too. */
  ca?: string[];
  /** Client certificate. */
  cert?: string;
  /** Client key. */
  key?: string;
  /** SNI and the name the certificate must match. */
  serverName?: string;
  /** `false` accepts any certificate. */
  rejectUnauthorized: boolean;
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);
const DECODERS: Record<string, CompressionFormat> = { gzip: "gzip", "x-gzip": "gzip", deflate: "deflate" };

/**
 * Sends one request and resolves once the response headers arrive; the body streams afterwards, with
 * gzip and deflate undone. Rejects with the transport's error (classify it with `classifyFetchError`).
 */
export function nodeFetch(url: URL, req: NodeRequest): Promise<Response> {
  const { signal } = req;
  if (signal.aborted) return Promise.reject(signal.reason);
  const secure = url.protocol === "https:";
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const headers: Record<string, string> = {};
  req.headers.forEach((v, k) => headers[k] = v);
  headers["accept-encoding"] ??= "gzip, deflate";
  const pin = req.pin;
  const lookup: LookupFunction | undefined = pin &&
    ((_name, options, callback) => {
      // node asks for either one address or, with `all`, a list; both answer the pinned address only.
      if ((options as { all?: boolean }).all) {
        (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [pin]);
      } else callback(null, pin.address, pin.family);
    });
  const options: https.RequestOptions = {
    method: req.method,
    host,
    port: url.port || (secure ? 443 : 80),
    path: url.pathname + url.search,
    headers,
    agent: false,
    lookup,
  };
  if (secure) {
    Object.assign(options, {
      ca: req.tls.ca,
      cert: req.tls.cert,
      key: req.tls.key,
      servername: req.tls.serverName,
      rejectUnauthorized: req.tls.rejectUnauthorized,
    });
  }
  return new Promise<Response>((resolve, reject) => {
    const request = (secure ? https : http).request(options, (res) => {
      signal.removeEventListener("abort", onAbort);
      signal.addEventListener("abort", () => res.destroy(signal.reason), { once: true });
      resolve(toResponse(res));
    });
    const onAbort = () => request.destroy(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    request.on("error", (e) => {
      signal.removeEventListener("abort", onAbort);
      reject(e);
    });
    request.end(req.body);
  });
}

function toResponse(res: http.IncomingMessage): Response {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  }
  if (NULL_BODY_STATUSES.has(status)) {
    res.resume();
    return new Response(null, { status, headers });
  }
  let settled = false;
  const raw = new ReadableStream<Uint8Array<ArrayBuffer>>({
    start(c) {
      res.on("data", (chunk: Uint8Array) => {
        if (settled) return;
        c.enqueue(new Uint8Array(chunk));
        if ((c.desiredSize ?? 1) <= 0) res.pause();
      });
      res.on("end", () => {
        if (settled) return;
        settled = true;
        c.close();
      });
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        c.error(e);
      };
      res.on("error", fail);
      res.on("close", () => fail(new Error("connection closed before the body ended")));
    },
    pull() {
      res.resume();
    },
    cancel() {
      settled = true;
      res.destroy();
    },
  });
  const format = DECODERS[(headers.get("content-encoding") ?? "").trim().toLowerCase()];
  if (format === undefined) return new Response(raw, { status, headers });
  headers.delete("content-encoding");
  headers.delete("content-length");
  return new Response(raw.pipeThrough<Uint8Array<ArrayBuffer>>(new DecompressionStream(format)), {
    status,
    headers,
  });
}
