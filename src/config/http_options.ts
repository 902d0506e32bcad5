/**
 * The upstream HTTP options block (`http:` under a target or a module): a zod sub-schema with snake_case keys,
 * validated into the camelCase {@linkcode HttpOptions} that src/upstream/_transport.ts compiles. Secrets (passwords,
 * tokens, header values, proxy credentials) are held in {@linkcode Secret}, which never prints its value.
 *
 * Relative file paths are kept as written; `compileHttpOptions` resolves them against the config file's
 * directory, so this module stays free of I/O.
 *
 * @module
 */

import { z } from "zod";
import { MAX_BODY_BYTES } from "../cli/mod.ts";
import { MAX_DURATION_MS, parseDurationMs } from "../duration.ts";

const SECRET_TEXT = "<secret>";

/**
 * A secret string: `String(s)`, `` `${s}` ``, `JSON.stringify(s)` and `Deno.inspect(s)` all print `<secret>`;
 * only {@linkcode Secret.reveal} returns the value, so a secret cannot leak into logs or pages by accident.
 *
 * @example
 * ```ts
 * import { Secret } from "./http_options.ts";
 * import assert from "node:assert/strict";
 * const s = new Secret("hunter2");
 * assert.equal(`${s}`, "<secret>");
 * assert.equal(JSON.stringify({ s }), '{"s":"<secret>"}');
 * assert.equal(s.reveal(), "hunter2");
 * ```
 */
export class Secret {
  readonly #value: string;

  /** Wraps a secret value. */
  constructor(value: string) {
    this.#value = value;
  }

  /** The secret value; call it only where the value is sent. */
  reveal(): string {
    return this.#value;
  }

  /** Always `<secret>`. */
  toString(): string {
    return SECRET_TEXT;
  }

  /** Always `<secret>`. */
  toJSON(): string {
    return SECRET_TEXT;
  }

  /** Always `<secret>` (template literals and `+`). */
  [Symbol.toPrimitive](): string {
    return SECRET_TEXT;
  }

  /** Always `<secret>` (`Deno.inspect`, `console.log`). */
  [Symbol.for("Deno.customInspect")](): string {
    return SECRET_TEXT;
  }

  /** Always `<secret>` (`node:util` `inspect`). */
  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return SECRET_TEXT;
  }
}

/** Redirect policies: `same_origin` (default) follows only redirects to the configured origin. */
export const REDIRECT_POLICIES = ["none", "same_origin", "any"] as const;

/** One of {@linkcode REDIRECT_POLICIES}. */
export type RedirectPolicy = typeof REDIRECT_POLICIES[number];

/** The most redirect hops ever followed. */
export const MAX_REDIRECTS = 10;

/** Upstream HTTP options, validated. Durations in ms, sizes in bytes; paths as written in the config. */
export interface HttpOptions {
  /** Extra request headers; values are secrets since they often carry API keys. */
  headers: Record<string, Secret>;
  /** Basic auth; the password is inline or read from a file on every request that finds the file changed. */
  basicAuth?: { username: string; password?: Secret; passwordFile?: string };
  /** An inline bearer token. */
  bearerToken?: Secret;
  /** A file holding the bearer token, re-read when its modification time or size changes. */
  bearerTokenFile?: string;
  /** TLS towards the upstream. */
  tls: {
    /** PEM CA bundle trusted in addition to the system roots. */
    caFile?: string;
    /** PEM client certificate (mutual TLS); requires `keyFile`. */
    certFile?: string;
    /** PEM client key; requires `certFile`. */
    keyFile?: string;
    /** The name to send as SNI and verify the certificate against, instead of the URL's host. */
    serverName?: string;
    /** Accept any server certificate. Unsafe; for lab setups only. */
    insecureSkipVerify: boolean;
  };
  /** An http, https or socks5 proxy URL; it may hold credentials, hence a secret. */
  proxyUrl?: Secret;
  /** Send every request over this unix domain socket (Docker, NGINX Unit) instead of TCP. */
  unixSocket?: string;
  /** The request method. */
  method: "GET" | "POST";
  /** The request body (POST only). */
  body?: string;
  /** Statuses whose body is decoded; default any 2xx. Spring Boot health answers 503 with a useful body. */
  validStatusCodes?: number[];
  /** Cap on one fetch, in ms; the target's own timeout applies when absent. */
  timeoutMs?: number;
  /** Cap on the decompressed body, in bytes. */
  maxBodyBytes?: number;
  /** Which redirects are followed. */
  redirectPolicy: RedirectPolicy;
  /** At most this many hops (0 to {@linkcode MAX_REDIRECTS}). */
  maxRedirects: number;
}

const HEADER_NAME_REGEXP = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE_REGEXP = /^[^\r\n\0]*$/;
/** Headers that the options set themselves or that the transport owns. */
const RESERVED_HEADERS = new Set(["host", "content-length", "transfer-encoding", "connection"]);

const secret = z.string().transform((s) => new Secret(s));
const path = z.string().min(1, "must not be empty");
/** A duration such as `10s`, `500ms` or `1.5m` (a bare number is seconds), validated into milliseconds > 0. */
export const durationSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === "number" ? v * 1000 : parseDurationMs(v);
  if (ms === undefined || !(ms > 0)) {
    ctx.addIssue({
      code: "custom",
      message: `must be a duration > 0 such as 10s or 500ms: current value is "${v}"`,
    });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: "custom", message: `must be at most 24d: current value is "${v}"` });
    return z.NEVER;
  }
  return ms;
});

const headersSchema = z.record(
  z.string().regex(HEADER_NAME_REGEXP, "must be a valid HTTP header name").refine(
    (n) => !RESERVED_HEADERS.has(n.toLowerCase()),
    "is set by the exporter and cannot be configured",
  ),
  z.string().regex(HEADER_VALUE_REGEXP, "must not contain line breaks").transform((s) => new Secret(s)),
);

const basicAuthSchema = z.strictObject({
  username: z.string().min(1, "must not be empty"),
  password: secret.optional(),
  password_file: path.optional(),
}).refine((b) => !(b.password && b.password_file), "set at most one of password and password_file");

const tlsSchema = z.strictObject({
  ca_file: path.optional().describe("PEM CA bundle trusted in addition to the system roots"),
  cert_file: path.optional().describe("PEM client certificate (mutual TLS)"),
  key_file: path.optional().describe("PEM client key"),
  server_name: z.string().min(1).optional().describe("SNI and the name the certificate must match"),
  insecure_skip_verify: z.boolean().default(false).describe("Accept any certificate (unsafe)"),
}).refine((t) => !t.cert_file === !t.key_file, "cert_file and key_file go together");

const proxyUrlSchema = z.string().refine((s) => {
  try {
    return ["http:", "https:", "socks5:", "socks5h:"].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, "must be an http://, https:// or socks5:// URL").transform((s) => new Secret(s));

/**
 * The zod schema of an `http:` block. Unknown keys are errors; cross-field rules (conflicting auth, a body
 * with GET, proxy with a unix socket) are checked here so a bad file fails at load, never at scrape time.
 */
export const httpOptionsSchema = z.strictObject({
  headers: headersSchema.optional().describe("Extra request headers; values are treated as secrets"),
  basic_auth: basicAuthSchema.optional().describe("HTTP basic auth; the password inline or in a file"),
  bearer_token: secret.optional().describe("An inline bearer token"),
  bearer_token_file: path.optional().describe("A file holding the bearer token, re-read when it changes"),
  tls_config: tlsSchema.optional().describe("TLS towards the upstream"),
  proxy_url: proxyUrlSchema.optional().describe("An http://, https:// or socks5:// proxy"),
  unix_socket: path.optional().describe("Send requests over this unix socket instead of TCP"),
  method: z.enum(["GET", "POST"]).default("GET").describe("The request method"),
  body: z.string().optional().describe("The request body (POST only)"),
  valid_status_codes: z.array(z.int().min(100).max(599)).min(1).optional().describe(
    "Statuses whose body is decoded; default any 2xx",
  ),
  timeout: durationSchema.optional().describe("Cap on one fetch, e.g. `10s`"),
  max_body_bytes: z.int().min(1).max(MAX_BODY_BYTES).optional().describe("Cap on the decompressed body"),
  redirect_policy: z.enum(REDIRECT_POLICIES).default("same_origin").describe(
    "`same_origin` (default), `none`, or `any` (credentials never leave the configured origin)",
  ),
  max_redirects: z.int().min(0).max(MAX_REDIRECTS).default(MAX_REDIRECTS).describe(
    "At most this many hops (0-10)",
  ),
}).superRefine((o, ctx) => {
  const fail = (message: string, path: string[] = []) => ctx.addIssue({ code: "custom", message, path });
  const auths = [
    o.basic_auth && "basic_auth",
    o.bearer_token && "bearer_token",
    o.bearer_token_file && "bearer_token_file",
  ]
    .filter(Boolean);
  if (auths.length > 1) {
    fail(`set at most one of basic_auth, bearer_token and bearer_token_file: got ${auths.join(", ")}`);
  }
  const headerNames = Object.keys(o.headers ?? {}).map((h) => h.toLowerCase());
  if (auths.length > 0 && headerNames.includes("authorization")) {
    fail(`an Authorization header conflicts with ${auths[0]}`, ["headers"]);
  }
  if (o.body !== undefined && o.method === "GET") fail("a body needs method: POST", ["body"]);
  if (o.proxy_url && o.unix_socket) fail("set at most one of proxy_url and unix_socket");
  const tls = o.tls_config;
  if (o.proxy_url && (tls?.server_name || tls?.insecure_skip_verify)) {
    fail("tls_config.server_name and insecure_skip_verify cannot be used with proxy_url", ["tls_config"]);
  }
  if (o.unix_socket && (tls?.server_name || tls?.insecure_skip_verify)) {
    fail("tls_config.server_name and insecure_skip_verify cannot be used with unix_socket", ["tls_config"]);
  }
}).transform((o): HttpOptions => ({
  headers: o.headers ?? {},
  basicAuth: o.basic_auth && {
    username: o.basic_auth.username,
    password: o.basic_auth.password,
    passwordFile: o.basic_auth.password_file,
  },
  bearerToken: o.bearer_token,
  bearerTokenFile: o.bearer_token_file,
  tls: {
    caFile: o.tls_config?.ca_file,
    certFile: o.tls_config?.cert_file,
    keyFile: o.tls_config?.key_file,
    serverName: o.tls_config?.server_name,
    insecureSkipVerify: o.tls_config?.insecure_skip_verify ?? false,
  },
  proxyUrl: o.proxy_url,
  unixSocket: o.unix_socket,
  method: o.method,
  body: o.body,
  validStatusCodes: o.valid_status_codes,
  timeoutMs: o.timeout,
  maxBodyBytes: o.max_body_bytes,
  redirectPolicy: o.redirect_policy,
  maxRedirects: o.max_redirects,
}));

/** The options of an absent `http:` block. */
export function defaultHttpOptions(): HttpOptions {
  return httpOptionsSchema.parse({});
}

/** Whether the options carry credentials (auth, a client certificate or any configured header). */
export function hasCredentials(o: HttpOptions): boolean {
  return o.basicAuth !== undefined || o.bearerToken !== undefined || o.bearerTokenFile !== undefined ||
    o.tls.certFile !== undefined || Object.keys(o.headers).length > 0;
}

/**
 * A one-line description without secrets, for the landing page and logs: the auth kind, header names,
 * TLS files, the proxy without credentials, and the transport.
 */
export function describeHttpOptions(o: HttpOptions): string {
  const parts: string[] = [`${o.method}`];
  if (o.basicAuth) parts.push(`basic_auth user "${o.basicAuth.username}"`);
  if (o.bearerToken || o.bearerTokenFile) parts.push("bearer token");
  const names = Object.keys(o.headers);
  if (names.length > 0) parts.push(`headers ${names.join(", ")}`);
  if (o.tls.caFile) parts.push(`ca_file "${o.tls.caFile}"`);
  if (o.tls.certFile) parts.push("client certificate");
  if (o.tls.serverName) parts.push(`server_name "${o.tls.serverName}"`);
  if (o.tls.insecureSkipVerify) parts.push("insecure_skip_verify");
  if (o.proxyUrl) {
    const u = new URL(o.proxyUrl.reveal());
    parts.push(`proxy ${u.protocol}//${u.host}`);
  }
  if (o.unixSocket) parts.push(`unix socket "${o.unixSocket}"`);
  parts.push(`redirects ${o.redirectPolicy}`);
  return parts.join("; ");
}
