/**
 * How a hop's request is sent: the client's credentials (configured headers, bearer token, basic auth, token
 * and password files re-read when they change) and the transport, web `fetch` (with a `Deno.HttpClient`
 * for CA, client certificate, proxy or unix socket) or `node:https` (`_node.ts`) when the fetch must be
 * pinned to a checked address, or uses `server_name` or `insecure_skip_verify`, which
 * `Deno.createHttpClient` does not offer.
 *
 * @module
 */

import { rootCertificates } from "node:tls";
import type { HttpOptions, Secret } from "../config/http_options.ts";
import { ConfigError, UpstreamError } from "../errors.ts";
import type { ClientContext } from "./_types.ts";
import { UPSTREAM_ACCEPT } from "./_types.ts";
import { nodeFetch, type NodeTls } from "./_node.ts";
import type { Hop } from "./_redirect.ts";

/** Sends one hop's request; resolves once the response headers arrive. */
export interface Transport {
  /** Sends `hop` to `url`, with the credentials when `hop.credentialed`; rejects with the transport's error. */
  send(url: URL, hop: Hop, signal: AbortSignal): Promise<Response>;
  /** Releases the `Deno.HttpClient`, if any. */
  close(): void;
}

/**
 * Compiles HTTP options into a transport: reads the CA, certificate and key files now, so a missing file is a
 * config error at load (and a reload picks up rotated certificates); token and password files are read at
 * send time, again whenever they change.
 *
 * @throws {ConfigError} For an unreadable file or options Deno cannot use.
 */
export async function createTransport(options: HttpOptions, context: ClientContext): Promise<Transport> {
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
  return compileTransport(options, { ca, cert, key }, resolve);
}

/**
 * The transport of options whose PEM files have been read: for {@linkcode createTransport}, and as it is
 * for options without files (the plain client).
 *
 * @param options The HTTP options.
 * @param pems The CA, certificate and key as PEM text.
 * @param resolve Resolves the options' relative paths.
 * @throws {ConfigError} For options Deno cannot use.
 */
export function compileTransport(
  options: HttpOptions,
  pems: { ca?: string; cert?: string; key?: string },
  resolve: (path: string) => string = (p) => p,
): Transport {
  const { ca, cert, key } = pems;
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

  return { send, close: () => client?.close() };
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
