/**
 * The `--web.config.file` of the exporter-toolkit (Prometheus exporters' shared web config): parsed and
 * validated from its YAML text, strictly, so existing files keep working and mistakes stop the start.
 *
 * Unknown keys are errors, as with the toolkit's `yaml.UnmarshalStrict`, and YAML 1.1 scalars (`yes`,
 * `on`, …) are read as Go's `yaml.v2` reads them. Every problem is reported, each as
 * `FILE:LINE: key.path: what is wrong`, in one {@linkcode ConfigError}. Settings `Deno.serve` cannot
 * honour are refused rather than ignored (see `tls.ts`). Unlike the toolkit, which re-reads the file on
 * every request and TLS handshake, the exporter reads it at startup and on reload.
 *
 * @module
 */

import { dirname, isAbsolute, join } from "node:path";
import { isAlias, isScalar, LineCounter, parseDocument } from "yaml";
import { readConfigFile } from "../config/read_file.ts";
import { ConfigError } from "../errors.ts";
import { checkBcryptHash } from "./basic_auth.ts";
import { parseGoDuration } from "../duration.ts";
import type { RateLimit } from "./rate_limit.ts";
import { checkHeader } from "./security_headers.ts";
import { type Entry, isSet, Reader } from "./yaml_reader.ts";
import {
  checkTlsServerConfig,
  CLIENT_AUTH_TYPES,
  type ClientAuthType,
  GO_CIPHER_SUITES,
  GO_CURVES,
  loadTlsOptions,
  type ServeTlsOptions,
  TLS_VERSIONS,
  type TlsServerConfig,
  type TlsVersion,
} from "./tls.ts";

/** A parsed, valid web config. */
export interface WebConfig {
  /** The file it came from, as given; used in messages. */
  readonly file: string;
  /** TLS settings; undefined means plain HTTP. */
  readonly tls?: TlsServerConfig;
  /** Response headers to set, from `http_server_config.headers`; blank ones are left out. */
  readonly headers: Readonly<Record<string, string>>;
  /** User → bcrypt hash; empty means no authentication. */
  readonly basicAuthUsers: ReadonlyMap<string, string>;
  /** Undefined when `rate_limit` is absent or its interval is 0. */
  readonly rateLimit?: RateLimit;
}

/** A web config read from disk, with its certificate and key loaded. */
export interface LoadedWebConfig extends WebConfig {
  /** Spread into `Deno.serve`'s options when TLS is on; undefined for plain HTTP. */
  readonly tlsOptions?: ServeTlsOptions;
}

/** Options of {@linkcode parseWebConfig}. */
export interface ParseWebConfigOptions {
  /** Name of the file, for messages. */
  readonly file: string;
  /** Directory that relative certificate paths resolve against (the file's directory). */
  readonly baseDir: string;
}

const TOP_KEYS = ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"] as const;
const TLS_KEYS = [
  "cert_file",
  "key_file",
  "cert",
  "key",
  "client_auth_type",
  "client_ca_file",
  "client_ca",
  "client_allowed_sans",
  "min_version",
  "max_version",
  "cipher_suites",
  "prefer_server_cipher_suites",
  "curve_preferences",
] as const;
const HTTP_KEYS = ["http2", "headers"] as const;
const RATE_KEYS = ["interval", "burst"] as const;
/** Keys whose presence turns TLS on, as the toolkit's `TLSConfig.IsEnabled`. */
const TLS_ON_KEYS = [
  "cert_file",
  "key_file",
  "cert",
  "key",
  "client_ca_file",
  "client_ca",
  "client_auth_type",
];
/** The rest of a key's line up to its colon: the yaml package points at a duplicate key's first character. */
const DUPLICATE_KEY_REGEXP = /^[^:\n]*/;

/**
 * Parses and validates a web config file's text. Reads no files: certificate paths are only resolved.
 *
 * @example
 * ```ts
 * import { parseWebConfig } from "./web_config.ts";
 * const web = parseWebConfig("rate_limit: {interval: 1s, burst: 5}\n", { file: "web.yml", baseDir: "." });
 * console.assert(web.rateLimit?.burst === 5);
 * ```
 * @param text The YAML text.
 * @param options The file name for messages and the directory relative paths resolve against.
 * @returns The config.
 * @throws {ConfigError} Listing every problem as `FILE:LINE: key.path: what is wrong`.
 */
export function parseWebConfig(text: string, options: ParseWebConfigOptions): WebConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    version: "1.1",
    merge: false,
    uniqueKeys: true,
    prettyErrors: false,
  });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => {
      const what = e.code === "DUPLICATE_KEY"
        ? `duplicate key ${JSON.stringify(DUPLICATE_KEY_REGEXP.exec(text.slice(e.pos[0]))![0].trim())}`
        : e.message.split("\n")[0];
      return `${options.file}:${lines.linePos(e.pos[0]).line}: YAML: ${what}`;
    }));
  }
  const r = new Reader(options.file, lines, (node) => (isAlias(node) ? node.resolve(doc) : node));
  const top = r.mapping(doc.contents, "(top level)", TOP_KEYS, 1);
  const config: WebConfig = {
    file: options.file,
    tls: top.has("tls_server_config") ? readTls(r, top.get("tls_server_config")!, options) : undefined,
    headers: top.has("http_server_config") ? readHttp(r, top.get("http_server_config")!) : {},
    basicAuthUsers: top.has("basic_auth_users") ? readUsers(r, top.get("basic_auth_users")!) : new Map(),
    rateLimit: top.has("rate_limit") ? readRateLimit(r, top.get("rate_limit")!) : undefined,
  };
  if (r.problems.length > 0) {
    r.problems.sort((a, b) => a.line - b.line);
    throw new ConfigError(r.problems.map((p) => p.text));
  }
  return config;
}

/**
 * Reads, parses and validates a web config file, then loads and checks its certificate and key. Call it at
 * startup and on each reload; a changed certificate needs a new `Deno.serve` listener.
 *
 * @param path The `--web.config.file` value; relative certificate paths resolve against its directory.
 * @returns The config, with `tlsOptions` for `Deno.serve` when TLS is on.
 * @throws {ConfigError} When the file cannot be read, or listing every problem found.
 */
export async function loadWebConfig(path: string): Promise<LoadedWebConfig> {
  const text = await readConfigFile(path, "web config");
  const config = parseWebConfig(text, { file: path, baseDir: dirname(path) });
  if (config.tls === undefined) return config;
  return { ...config, tlsOptions: await loadTlsOptions(config.tls) };
}

function readTls(r: Reader, section: Entry, options: ParseWebConfigOptions): TlsServerConfig | undefined {
  const sectionLine = r.line(section.keyNode);
  const m = r.mapping(section.value, section.path, TLS_KEYS, sectionLine);
  const path = (entry: Entry | undefined) => {
    const p = r.nonEmpty(entry);
    return p === undefined || isAbsolute(p) ? p : join(options.baseDir, p);
  };
  const problemsBefore = r.problems.length;
  const clientAuthType = r.oneOf<ClientAuthType>(
    m.get("client_auth_type"),
    CLIENT_AUTH_TYPES,
    "client auth type",
    "NoClientCert",
  );
  const authTypeValid = r.problems.length === problemsBefore;
  const tls: TlsServerConfig = {
    certFile: path(m.get("cert_file")),
    cert: r.nonEmpty(m.get("cert")),
    keyFile: path(m.get("key_file")),
    key: r.nonEmpty(m.get("key")),
    clientAuthType,
    clientCaFile: path(m.get("client_ca_file")),
    clientCa: r.nonEmpty(m.get("client_ca")),
    clientAllowedSans: r.strings(m.get("client_allowed_sans")),
    minVersion: r.oneOf<TlsVersion>(m.get("min_version"), TLS_VERSIONS, "TLS version", "TLS12"),
    maxVersion: r.oneOf<TlsVersion>(m.get("max_version"), TLS_VERSIONS, "TLS version", "TLS13"),
    cipherSuites: r.strings(
      m.get("cipher_suites"),
      (s) =>
        GO_CIPHER_SUITES.includes(s)
          ? undefined
          : `unknown cipher suite ${JSON.stringify(s)}; expected a name ` +
            `from Go's tls.CipherSuites() such as "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"`,
    ),
    preferServerCipherSuites: r.boolean(m.get("prefer_server_cipher_suites"), true),
    curvePreferences: r.strings(
      m.get("curve_preferences"),
      (s) =>
        GO_CURVES.includes(s)
          ? undefined
          : `unknown curve ${JSON.stringify(s)}; expected one of ${
            GO_CURVES.map((c) => `"${c}"`).join(", ")
          }`,
    ),
    origin: Object.fromEntries([
      ["", `${options.file}:${sectionLine}`],
      ...[...m].map(([k, e]) => [k, `${options.file}:${r.line(e.keyNode)}`]),
    ]),
  };
  const on = TLS_ON_KEYS.some((k) => isSet(r.deref(m.get(k)?.value)));
  if (!on) {
    const set = [...m.keys()].filter((k) => isSet(r.deref(m.get(k)!.value)));
    if (set.length > 0) {
      r.add(
        sectionLine,
        section.path,
        `TLS settings are given but TLS is off; set "cert_file" and "key_file" (or "cert" and "key"), or remove ` +
          `${set.map((k) => `"${k}"`).join(", ")}`,
      );
    }
    return undefined;
  }
  // A key that is present but of the wrong type was reported already; do not also call it missing.
  const present = (k: string) => isSet(r.deref(m.get(k)?.value));
  for (const [key, message] of checkTlsServerConfig(tls)) {
    if (!authTypeValid && (key === "client_ca_file" || key === "client_ca")) continue;
    if (key === "" && message.includes('"cert_file"') && (present("cert_file") || present("cert"))) continue;
    if (key === "" && message.includes('"key_file"') && (present("key_file") || present("key"))) continue;
    const entry = m.get(key);
    r.add(
      entry === undefined ? sectionLine : r.line(entry.keyNode),
      key === "" ? section.path : entry!.path,
      message,
    );
  }
  return tls;
}

function readHttp(r: Reader, section: Entry): Record<string, string> {
  const m = r.mapping(section.value, section.path, HTTP_KEYS, r.line(section.keyNode));
  const http2 = m.get("http2");
  if (!r.boolean(http2, true)) {
    r.add(
      r.line(http2!.keyNode),
      http2!.path,
      'false cannot be honoured: Deno.serve always offers HTTP/2 (by ALPN "h2" over TLS, and to plain-HTTP ' +
        "clients that start with HTTP/2)",
    );
  }
  const headers: Record<string, string> = {};
  const h = m.get("headers");
  if (h === undefined) return headers;
  for (const [name, entry] of r.mapping(h.value, h.path, undefined, r.line(h.keyNode))) {
    const value = r.string(entry) ?? "";
    const problem = checkHeader(name, value);
    if (problem !== undefined) r.add(r.line(entry.keyNode), entry.path, problem);
    else if (value !== "") headers[name] = value;
  }
  return headers;
}

function readUsers(r: Reader, section: Entry): Map<string, string> {
  const users = new Map<string, string>();
  for (const [user, entry] of r.mapping(section.value, section.path, undefined, r.line(section.keyNode))) {
    const line = r.line(entry.keyNode);
    const hash = r.string(entry);
    if (user.includes(":")) {
      r.add(
        line,
        entry.path,
        `user name must not contain ":" (Basic auth splits user and password at the first one)`,
      );
    } else if (hash === undefined || hash === "") {
      r.add(line, entry.path, "must be a bcrypt hash, not empty");
    } else {
      const problem = checkBcryptHash(hash);
      if (problem !== undefined) r.add(line, entry.path, problem);
      else users.set(user, hash);
    }
  }
  return users;
}

function readRateLimit(r: Reader, section: Entry): RateLimit | undefined {
  const sectionLine = r.line(section.keyNode);
  const m = r.mapping(section.value, section.path, RATE_KEYS, sectionLine);
  const intervalEntry = m.get("interval");
  let intervalMs = 0;
  if (intervalEntry !== undefined) {
    const line = r.line(intervalEntry.keyNode);
    const node = r.deref(intervalEntry.value);
    if (isScalar(node) && typeof node.value === "number") {
      if (node.value !== 0) {
        r.add(line, intervalEntry.path, `must be a duration such as "1s", not a bare number`);
      }
    } else {
      const text = r.nonEmpty(intervalEntry);
      if (text !== undefined) {
        try {
          intervalMs = parseGoDuration(text);
          if (intervalMs < 0) {
            r.add(line, intervalEntry.path, `must not be negative, not ${JSON.stringify(text)}`);
          }
        } catch {
          r.add(
            line,
            intervalEntry.path,
            `invalid duration ${JSON.stringify(text)}; expected a Go duration such as "1s"`,
          );
        }
      }
    }
  }
  const burstEntry = m.get("burst");
  const problemsBefore = r.problems.length;
  const burst = r.integer(burstEntry);
  if (r.problems.length > problemsBefore) return undefined;
  if (burst !== undefined && burst < 0) {
    r.add(r.line(burstEntry!.keyNode), burstEntry!.path, `must not be negative, not ${burst}`);
    return undefined;
  }
  if (!(intervalMs > 0)) return undefined;
  if (burst === undefined || burst < 1) {
    r.add(
      burstEntry === undefined ? sectionLine : r.line(burstEntry.keyNode),
      burstEntry === undefined ? `${section.path}.burst` : burstEntry.path,
      "must be at least 1 when interval is set (0 would refuse every request)",
    );
    return undefined;
  }
  return { intervalMs, burst };
}
