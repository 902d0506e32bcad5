/**
 * TLS for the exporter's own endpoint: `tls_server_config` of the exporter-toolkit web config, checked
 * against what `Deno.serve` can honour and turned into its `cert`/`key` options.
 *
 * `Deno.serve` (Deno 2.9.6) takes only a PEM `cert` and `key`. It always speaks TLS 1.2 and 1.3, always
 * offers ALPN `h2` and `http/1.1`, uses a fixed set of cipher suites and key-exchange groups, and cannot
 * request or verify client certificates. A setting is therefore accepted only when what Deno does is at
 * least as strict as what the file asks for; anything else is refused at load time, naming the key,
 * because silently serving a weaker endpoint than configured is worse than not starting. The facts in
 * {@linkcode DENO_TLS} were measured with `openssl s_client`, and `tests/web/tls_test.ts` measures them
 * again so a Deno upgrade that changes them fails a test.
 *
 * @module
 */

import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { ConfigError } from "../errors.ts";

/** The `min_version`/`max_version` values the toolkit accepts, lowest first. */
export const TLS_VERSIONS = ["TLS10", "TLS11", "TLS12", "TLS13"] as const;

/** One of {@linkcode TLS_VERSIONS}. */
export type TlsVersion = typeof TLS_VERSIONS[number];

/** The `client_auth_type` values the toolkit accepts (it also takes `RequireClientCert` as an old alias). */
export const CLIENT_AUTH_TYPES = [
  "NoClientCert",
  "RequestClientCert",
  "RequireAnyClientCert",
  "VerifyClientCertIfGiven",
  "RequireAndVerifyClientCert",
  "RequireClientCert",
] as const;

/** One of {@linkcode CLIENT_AUTH_TYPES}. */
export type ClientAuthType = typeof CLIENT_AUTH_TYPES[number];

/**
 * The cipher suite names the toolkit accepts: those of Go's `tls.CipherSuites()` (the list without known
 * weaknesses). TLS 1.3 names are accepted and, as in Go, have no effect.
 */
export const GO_CIPHER_SUITES: readonly string[] = [
  "TLS_RSA_WITH_AES_128_CBC_SHA",
  "TLS_RSA_WITH_AES_256_CBC_SHA",
  "TLS_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_RSA_WITH_AES_256_GCM_SHA384",
  "TLS_AES_128_GCM_SHA256",
  "TLS_AES_256_GCM_SHA384",
  "TLS_CHACHA20_POLY1305_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
  "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
  "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
  "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
  "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
  "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
  "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
  "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
];

/** The `curve_preferences` names the toolkit accepts. */
export const GO_CURVES: readonly string[] = ["CurveP256", "CurveP384", "CurveP521", "X25519"];

/** What `Deno.serve` does over TLS in Deno 2.9.6, measured with `openssl s_client` (see the module doc). */
export const DENO_TLS = {
  /** Protocol versions it accepts; it has no setting to narrow them. */
  versions: ["TLS12", "TLS13"] as readonly TlsVersion[],
  /** TLS 1.2 suites it negotiates, in Go names, by the kind of server key. */
  tls12CipherSuites: {
    ecdsa: [
      "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ],
    rsa: [
      "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
      "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ],
  } as Readonly<Record<"ecdsa" | "rsa", readonly string[]>>,
  /** Key-exchange groups it accepts, in Go names. */
  curves: ["X25519", "CurveP256", "CurveP384"] as readonly string[],
  /** ALPN protocols it always offers (`Deno.serve` refuses an `alpnProtocols` option). */
  alpn: ["h2", "http/1.1"] as readonly string[],
} as const;

/** A parsed `tls_server_config`; relative paths are already resolved against the config file's directory. */
export interface TlsServerConfig {
  /** Path of the PEM certificate (chain); exclusive with {@linkcode TlsServerConfig.cert}. */
  readonly certFile?: string;
  /** Inline PEM certificate (chain). */
  readonly cert?: string;
  /** Path of the PEM private key; exclusive with {@linkcode TlsServerConfig.key}. */
  readonly keyFile?: string;
  /** Inline PEM private key (a secret: never logged). */
  readonly key?: string;
  /** Client certificate policy; only `NoClientCert` and `RequestClientCert` pass validation. */
  readonly clientAuthType: ClientAuthType;
  /** Path of the client CA bundle. */
  readonly clientCaFile?: string;
  /** Inline client CA bundle. */
  readonly clientCa?: string;
  /** Allowed client certificate SANs; must be empty to pass validation. */
  readonly clientAllowedSans: readonly string[];
  /** Lowest TLS version (default `TLS12`). */
  readonly minVersion: TlsVersion;
  /** Highest TLS version (default `TLS13`). */
  readonly maxVersion: TlsVersion;
  /** Allowed TLS 1.2 cipher suites in Go names; empty means the defaults. */
  readonly cipherSuites: readonly string[];
  /** Accepted for compatibility; Go has ignored it since 1.17 and so do we. */
  readonly preferServerCipherSuites: boolean;
  /** Allowed key-exchange groups in Go names; empty means the defaults. */
  readonly curvePreferences: readonly string[];
  /**
   * Where each key was set, as `FILE:LINE`, keyed by its YAML name (`""` is the `tls_server_config` key
   * itself); used to place the messages of {@linkcode loadTlsOptions}.
   */
  readonly origin: Readonly<Record<string, string>>;
}

/** The TLS part of `Deno.serve`'s options: PEM strings, ready to spread into the options object. */
export interface ServeTlsOptions {
  /** Certificate chain in PEM. */
  readonly cert: string;
  /** Private key in PEM (a secret: never logged). */
  readonly key: string;
}

/**
 * Checks the cross-field rules of a parsed `tls_server_config` and whether `Deno.serve` can honour it.
 *
 * @param tls The parsed section, with enumerated values already known to be valid names.
 * @returns One `[key, message]` pair per problem; `key` is the YAML key inside `tls_server_config`, or `""`
 *   for the section itself.
 */
export function checkTlsServerConfig(tls: TlsServerConfig): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const both = (a: string, b: string, av: unknown, bv: unknown) => {
    if (av !== undefined && bv !== undefined) problems.push([b, `set only one of "${a}" and "${b}"`]);
  };
  both("cert_file", "cert", tls.certFile, tls.cert);
  both("key_file", "key", tls.keyFile, tls.key);
  both("client_ca_file", "client_ca", tls.clientCaFile, tls.clientCa);
  if (tls.certFile === undefined && tls.cert === undefined) {
    problems.push(["", `missing one of "cert_file" or "cert"`]);
  }
  if (tls.keyFile === undefined && tls.key === undefined) {
    problems.push(["", `missing one of "key_file" or "key"`]);
  }
  const auth = tls.clientAuthType;
  if (auth !== "NoClientCert" && auth !== "RequestClientCert") {
    problems.push([
      "client_auth_type",
      `"${auth}" cannot be honoured: Deno.serve cannot request or verify client certificates; ` +
      "terminate mutual TLS in a reverse proxy",
    ]);
  }
  const caKey = tls.clientCaFile !== undefined ? "client_ca_file" : "client_ca";
  if ((tls.clientCaFile !== undefined || tls.clientCa !== undefined) && auth === "NoClientCert") {
    problems.push([
      caKey,
      `set without a client_auth_type that uses it (client_auth_type is "NoClientCert")`,
    ]);
  }
  if (tls.clientAllowedSans.length > 0) {
    problems.push([
      "client_allowed_sans",
      "cannot be honoured: Deno.serve cannot see client certificates to match SANs against",
    ]);
  }
  const min = TLS_VERSIONS.indexOf(tls.minVersion);
  const max = TLS_VERSIONS.indexOf(tls.maxVersion);
  if (min > max) {
    problems.push(["min_version", `"${tls.minVersion}" is above max_version "${tls.maxVersion}"`]);
  } else {
    if (min > TLS_VERSIONS.indexOf("TLS12")) {
      problems.push([
        "min_version",
        `"${tls.minVersion}" cannot be honoured: Deno.serve always accepts TLS 1.2 as well`,
      ]);
    }
    if (max < TLS_VERSIONS.indexOf("TLS13")) {
      problems.push([
        "max_version",
        `"${tls.maxVersion}" cannot be honoured: Deno.serve always offers TLS 1.3`,
      ]);
    }
  }
  if (tls.curvePreferences.length > 0) {
    const missing = DENO_TLS.curves.filter((c) => !tls.curvePreferences.includes(c));
    if (missing.length > 0) {
      problems.push([
        "curve_preferences",
        `cannot be honoured: Deno.serve also accepts ${quoteList(missing)}; add ${
          itOrThem(missing)
        } or remove ` +
        "curve_preferences",
      ]);
    }
  }
  return problems;
}

/**
 * Reads and checks the certificate and key of a validated `tls_server_config` (and the client CA when one
 * is set), returning the options `Deno.serve` takes. Call it at startup and at each reload: this is how
 * certificates rotate. The key is checked against the certificate, and `cipher_suites` against the
 * suites Deno offers for that kind of key.
 *
 * @param tls A section that passed {@linkcode checkTlsServerConfig}.
 * @returns The PEM certificate chain and key.
 * @throws {ConfigError} Listing every problem as `FILE:LINE: tls_server_config.KEY: what is wrong`.
 */
export async function loadTlsOptions(tls: TlsServerConfig): Promise<ServeTlsOptions> {
  const problems: string[] = [];
  const report = (key: string, message: string) => {
    const where = tls.origin[key] ?? tls.origin[""] ?? "web config";
    problems.push(`${where}: tls_server_config${key === "" ? "" : "." + key}: ${message}`);
  };
  const certPem = await readPem(tls.certFile, tls.cert, "cert_file", report);
  const keyPem = await readPem(tls.keyFile, tls.key, "key_file", report);
  const certKey = tls.certFile !== undefined ? "cert_file" : "cert";
  const keyKey = tls.keyFile !== undefined ? "key_file" : "key";

  let certificate: X509Certificate | undefined;
  if (certPem !== undefined) {
    certificate = parseCertificate(certPem);
    if (certificate === undefined) report(certKey, "does not hold a PEM certificate");
  }
  let privateKey: KeyObject | undefined;
  if (keyPem !== undefined) {
    try {
      privateKey = createPrivateKey(keyPem);
    } catch {
      // The library's message can quote key bytes; say only what kind of input is expected.
      report(keyKey, "does not hold an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)");
    }
  }
  if (certificate !== undefined && privateKey !== undefined) {
    if (!certificate.checkPrivateKey(privateKey)) {
      report(keyKey, `does not match the certificate in "${certKey}"`);
    } else if (tls.cipherSuites.length > 0) {
      const family = privateKey.asymmetricKeyType === "rsa" || privateKey.asymmetricKeyType === "rsa-pss"
        ? "rsa"
        : "ecdsa";
      const missing = DENO_TLS.tls12CipherSuites[family].filter((s) => !tls.cipherSuites.includes(s));
      if (missing.length > 0) {
        report(
          "cipher_suites",
          `cannot be honoured: with this ${family === "rsa" ? "RSA" : "EC"} key Deno.serve also offers ` +
            `${quoteList(missing)} for TLS 1.2; add ${itOrThem(missing)} or remove cipher_suites`,
        );
      }
    }
  }
  if (tls.clientCaFile !== undefined || tls.clientCa !== undefined) {
    const caKey = tls.clientCaFile !== undefined ? "client_ca_file" : "client_ca";
    const caPem = await readPem(tls.clientCaFile, tls.clientCa, "client_ca_file", report);
    if (caPem !== undefined && parseCertificate(caPem) === undefined) {
      report(caKey, "does not hold a PEM certificate");
    }
  }
  if (problems.length > 0 || certPem === undefined || keyPem === undefined) throw new ConfigError(problems);
  return { cert: certPem, key: keyPem };
}

/** Reads a file-or-inline PEM value; reports and returns undefined when the file cannot be read. */
async function readPem(
  file: string | undefined,
  inline: string | undefined,
  fileKey: string,
  report: (key: string, message: string) => void,
): Promise<string | undefined> {
  if (file === undefined) return inline;
  try {
    return await Deno.readTextFile(file);
  } catch (e) {
    report(fileKey, `cannot read "${file}": ${describeFsError(e)}`);
    return undefined;
  }
}

/** Parses the first certificate of a PEM bundle, or returns undefined. */
function parseCertificate(pem: string): X509Certificate | undefined {
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** A short, stable reason for a failed read (Deno's messages repeat the path and the syscall). */
function describeFsError(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory";
  return e instanceof Error ? e.message : String(e);
}

/** `"a", "b" and "c"`. */
function quoteList(items: readonly string[]): string {
  const quoted = items.map((s) => `"${s}"`);
  return quoted.length < 2 ? quoted.join("") : `${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)}`;
}

function itOrThem(items: readonly string[]): string {
  return items.length === 1 ? "it" : "them";
}
