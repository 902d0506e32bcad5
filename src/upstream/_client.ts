/**
 * The upstream client of one target or module: its {@linkcode HttpOptions} compiled once (certificates read,
 * `Deno.HttpClient` built), then one bounded fetch per scrape with the same contract as `fetchUpstream` in
 * `upstream.ts`: bytes and content type, or an `UpstreamError` with a bounded reason.
 *
 * Redirects are followed by hand so that every hop is checked: the policy (`same_origin` by default), at most
 * `max_redirects` hops, the caller's {@linkcode HopGuard} (a probe's allow-list), and credentials (auth,
 * configured headers, the body) are sent only to the configured origin and never again once a redirect has
 * left it.
 *
 * Transports: web `fetch` (with a `Deno.HttpClient` for CA, client certificate, proxy or unix socket), or
 * `node:https` when the fetch must be pinned to a checked address, or uses `server_name` or
 * `insecure_skip_verify`, which `Deno.createHttpClient` does not offer (see `upstream_node.ts`).
 *
 * @module
 */

import { rootCertificates } from "node:tls";
import type { HttpOptions, Secret } from "../config/http_options.ts";
import { ConfigError, UpstreamError } from "../errors.ts";
import type { ByteBudget } from "./memory_budget.ts";
import type { PinnedAddress } from "../config/allow.ts";
import { UPSTREAM_ACCEPT, type UpstreamBody } from "./mod.ts";
import { classifyFetchError, readCapped, tooLarge } from "./_body.ts";
import { nodeFetch, type NodeTls } from "./_node.ts";
import { redactUrl } from "../url.ts";

/**
 * Checks one hop before any connection is made and names the address to connect to.
 * @throws {UpstreamError} With reason `forbidden` to refuse the hop.
 */
export type HopGuard = (url: URL) => Promise<PinnedAddress | undefined>;

/** Options of {@linkcode UpstreamClient.fetch}; all but `guard` are `fetchUpstream`'s. */
export interface ClientFetchOptions {
  /** Aborts everything: connect, headers, body, every hop. */
  signal: AbortSignal;
  /** The cap on the decompressed body. */
  maxBodyBytes: number;
  /** Called for every hop, the first included; probes pass their allow-list check. */
  guard?: HopGuard;
  /** Takes the body's bytes as they arrive (the scrape's lease on the memory budget); absent: not counted. */
  budget?: ByteBudget;
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
  const resolve = (p: string) => p.startsWith("/") ? p : `${context.baseDir.replace(/\/$/, "")}/${p}`;
  const readPem = async (p: string | undefined, key: string) => {
    if (p === undefined) return undefined;
    try {
      return await Deno.readTextFile(resolve(p));
    } catch (e) {
      throw new ConfigError(`Cannot read ${key} "${p}": ${(e as Error).message}`, { cause: e });
    }
  };
  const ca = await readPem(options.tls.caFile, "tls_config.ca_file");
  const cert = await readPem(options.tls.certFile, "tls_config.cert_file");
  const key = await readPem(options.tls.keyFile, "tls_config.key_file");
  const nodeTls: NodeTls = {
    ca: ca === undefined ? undefined : [...rootCertificates, ca],
    cert,
    key,
    serverName: options.tls.serverName,
    rejectUnauthorized: !options.tls.insecureSkipVerify,
  };
  let client: Deno.HttpClient | undefined;
  try {
    client = makeHttpClient(options, ca, cert, key, resolve);
  } catch (e) {
    throw new ConfigError(`Cannot create the HTTP client: ${(e as Error).message}`, { cause: e });
  }
  const token = options.bearerTokenFile === undefined
    ? undefined
    : new FileSecret(resolve(options.bearerTokenFile));
  const password = options.basicAuth?.passwordFile === undefined
    ? undefined
    : new FileSecret(resolve(options.basicAuth.passwordFile));
  const alwaysNode = options.tls.serverName !== undefined || options.tls.insecureSkipVerify;
  const canPin = options.proxyUrl === undefined && options.unixSocket === undefined;

  async function credentials(headers: Headers): Promise<void> {
    for (const [name, value] of Object.entries(options.headers)) headers.set(name, value.reveal());
    if (options.bearerToken) headers.set("authorization", `Bearer ${options.bearerToken.reveal()}`);
    if (token) headers.set("authorization", `Bearer ${await token.read()}`);
    if (options.basicAuth) {
      const pass = password ? await password.read() : options.basicAuth.password?.reveal() ?? "";
      headers.set("authorization", `Basic ${base64(`${options.basicAuth.username}:${pass}`)}`);
    }
  }

  async function send(url: URL, hop: Hop, signal: AbortSignal): Promise<Response> {
    const headers = new Headers({ accept: UPSTREAM_ACCEPT });
    if (hop.credentialed) await credentials(headers);
    if (hop.body !== undefined && !headers.has("content-type")) {
      headers.set("content-type", "text/plain;charset=UTF-8");
    }
    if (alwaysNode || (hop.pin !== undefined && canPin)) {
      return await nodeFetch(url, {
        method: hop.method,
        headers,
        body: hop.body,
        signal,
        tls: nodeTls,
        pin: hop.pin,
      });
    }
    return await fetch(url, {
      method: hop.method,
      headers,
      body: hop.body,
      signal,
      redirect: "manual",
      client,
    });
  }

  async function fetchOnce(target: string, fo: ClientFetchOptions): Promise<UpstreamBody> {
    const { signal, maxBodyBytes } = fo;
    let url = new URL(target);
    if (url.protocol === "file:" && fo.guard === undefined) return await fetchFile(url, fo);
    const origin = url.origin;
    const hop: Hop = { method: options.method, body: options.body, credentialed: true, pin: undefined };
    for (let hops = 0;; hops++) {
      const shown = redactUrl(url.href);
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new UpstreamError("redirect", `Cannot fetch "${shown}": only http and https are followed`);
      }
      hop.pin = fo.guard ? await raceSignal(fo.guard(url), signal, shown) : undefined;
      let res: Response;
      try {
        res = await send(url, hop, signal);
      } catch (e) {
        throw classifyFetchError(e, signal, shown);
      }
      const valid = options.validStatusCodes?.includes(res.status) ?? (res.status >= 200 && res.status < 300);
      if (!valid && isRedirect(res.status) && options.redirectPolicy !== "none") {
        await res.body?.cancel();
        if (hops >= options.maxRedirects) {
          throw new UpstreamError(
            "redirect",
            `Cannot fetch "${shown}": more than ${options.maxRedirects} redirects`,
          );
        }
        url = nextHop(url, res, hop, origin, options.redirectPolicy);
        continue;
      }
      if (!valid) {
        await res.body?.cancel();
        const what = isRedirect(res.status)
          ? `redirect with status ${res.status} not followed`
          : `status ${res.status}`;
        throw new UpstreamError(
          isRedirect(res.status) ? "redirect" : "status",
          `Cannot fetch "${shown}": ${what}`,
        );
      }
      const declared = Number(res.headers.get("content-length") ?? NaN);
      if (!res.headers.has("content-encoding") && declared > maxBodyBytes) {
        await res.body?.cancel();
        throw tooLarge(shown, maxBodyBytes);
      }
      const bytes = await readCapped(res, maxBodyBytes, signal, shown, fo.budget);
      return { bytes, contentType: res.headers.get("content-type") };
    }
  }

  const close = () => client?.close();
  return { options, fetch: fetchOnce, close, [Symbol.dispose]: close };
}

interface Hop {
  method: string;
  body: string | undefined;
  /** False once a redirect has left the configured origin; stays false. */
  credentialed: boolean;
  pin: PinnedAddress | undefined;
}

/** Lets the deadline end a guard that waits on DNS, which cannot itself be cancelled. */
function raceSignal<T>(p: Promise<T>, signal: AbortSignal, shown: string): Promise<T> {
  if (signal.aborted) return Promise.reject(classifyFetchError(signal.reason, signal, shown));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(classifyFetchError(signal.reason, signal, shown));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/** Works out the next hop of a redirect, updating `hop`'s method, body and credentials (fetch's rules). */
function nextHop(url: URL, res: Response, hop: Hop, origin: string, policy: "same_origin" | "any"): URL {
  const shown = redactUrl(url.href);
  const location = res.headers.get("location");
  let next: URL;
  try {
    next = new URL(location ?? "", url);
  } catch {
    throw new UpstreamError("redirect", `Cannot fetch "${shown}": redirect without a valid Location`);
  }
  if (location === null) {
    throw new UpstreamError("redirect", `Cannot fetch "${shown}": redirect without a Location`);
  }
  if (next.username || next.password) {
    throw new UpstreamError("redirect", `Cannot fetch "${shown}": redirect to a URL with credentials`);
  }
  const crossOrigin = next.origin !== origin;
  if (crossOrigin && policy === "same_origin") {
    throw new UpstreamError("redirect", `Cannot fetch "${shown}": redirect to another origin not followed`);
  }
  if (res.status === 303 || ((res.status === 301 || res.status === 302) && hop.method === "POST")) {
    hop.method = "GET";
    hop.body = undefined;
  }
  if (crossOrigin) {
    if (hop.body !== undefined) {
      throw new UpstreamError(
        "redirect",
        `Cannot fetch "${shown}": redirect would resend the body to another origin`,
      );
    }
    hop.credentialed = false;
  }
  return next;
}

async function fetchFile(url: URL, fo: ClientFetchOptions): Promise<UpstreamBody> {
  const shown = url.href;
  let res: Response;
  try {
    res = await fetch(url, { signal: fo.signal });
  } catch (e) {
    throw classifyFetchError(e, fo.signal, shown);
  }
  return { bytes: await readCapped(res, fo.maxBodyBytes, fo.signal, shown, fo.budget), contentType: null };
}

function makeHttpClient(
  o: HttpOptions,
  ca: string | undefined,
  cert: string | undefined,
  key: string | undefined,
  resolve: (p: string) => string,
): Deno.HttpClient | undefined {
  const base: Deno.CreateHttpClientOptions = { caCerts: ca === undefined ? [] : [ca] };
  if (o.unixSocket !== undefined) base.proxy = { transport: "unix", path: resolve(o.unixSocket) };
  if (o.proxyUrl !== undefined) base.proxy = proxyOf(o.proxyUrl);
  if (ca === undefined && cert === undefined && base.proxy === undefined) return undefined;
  return cert !== undefined && key !== undefined
    ? Deno.createHttpClient({ ...base, cert, key })
    : Deno.createHttpClient(base);
}

function proxyOf(secret: Secret): Deno.Proxy {
  const u = new URL(secret.reveal());
  const basicAuth = u.username
    ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }
    : undefined;
  u.username = "";
  u.password = "";
  const transport = u.protocol === "https:" ? "https" : u.protocol.startsWith("socks5") ? "socks5" : "http";
  return { transport, url: u.href.replace(/\/$/, ""), basicAuth };
}

function base64(text: string): string {
  let binary = "";
  for (const b of new TextEncoder().encode(text)) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** A secret read from a file, re-read when the file's modification time or size changes. */
class FileSecret {
  readonly #path: string;
  #stamp = "";
  #value = "";

  constructor(path: string) {
    this.#path = path;
  }

  async read(): Promise<string> {
    try {
      const st = await Deno.stat(this.#path);
      const stamp = `${st.mtime?.getTime()}:${st.size}:${st.ino}`;
      if (stamp !== this.#stamp) {
        this.#value = (await Deno.readTextFile(this.#path)).trim();
        this.#stamp = stamp;
      }
      return this.#value;
    } catch (e) {
      throw new UpstreamError(
        "internal",
        `Cannot read credentials file "${this.#path}": ${(e as Error).message}`,
        {
          cause: e,
        },
      );
    }
  }
}
