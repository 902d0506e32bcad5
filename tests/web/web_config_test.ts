import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../../src/errors.ts";
import { checkTlsServerConfig, type TlsServerConfig } from "../../src/web/tls.ts";
import { loadWebConfig, parseWebConfig } from "../../src/web/web_config.ts";

const DIR = new URL("../testdata/web/", import.meta.url).pathname;
const HASH_10 = "$2y$10$yowKwka.etHqXDBJ.C4GiO74xaeDIg.hdtjD49KXDZx.ysMq1Hyt2";
const HASH_4 = "$2b$04$cZLt/XAF48w1JnB6hjEcZO/LH/5G30J3kPdPz3IHDUy1D1GNKr.wu";
const HASH_4A = "$2a$04$cZLt/XAF48w1JnB6hjEcZO/LH/5G30J3kPdPz3IHDUy1D1GNKr.wu";

function parseFixture(name: string) {
  return parseWebConfig(Deno.readTextFileSync(join(DIR, name)), { file: name, baseDir: "/srv/web" });
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return e.problems;
  }
  assert.fail("expected a ConfigError");
}

Deno.test("parseWebConfig() reads every supported key", () => {
  const web = parseFixture("good_full.yml");
  assert.equal(web.file, "good_full.yml");
  const tls = web.tls!;
  assert.equal(tls.certFile, "/srv/web/certs/server.pem");
  assert.equal(tls.keyFile, "/etc/prom-exporter/server.key");
  assert.equal(tls.cert, undefined);
  assert.equal(tls.clientAuthType, "NoClientCert");
  assert.deepEqual([tls.minVersion, tls.maxVersion], ["TLS12", "TLS13"]);
  assert.equal(tls.cipherSuites.length, 6);
  assert.equal(tls.preferServerCipherSuites, true);
  assert.deepEqual(tls.curvePreferences, ["X25519", "CurveP256", "CurveP384", "CurveP521"]);
  assert.equal(tls.origin["cert_file"], "good_full.yml:3");
  assert.equal(tls.origin[""], "good_full.yml:2");
  assert.deepEqual(web.headers, {
    "Content-Security-Policy": "default-src 'none'",
    "X-Frame-Options": "deny",
    "X-Content-Type-Options": "nosniff",
    "X-XSS-Protection": "0",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
  });
  assert.deepEqual(
    web.basicAuthUsers,
    new Map([["prometheus", HASH_10], ["2024", HASH_4], ["grafana", HASH_4A], ["alertmanager", HASH_4A]]),
  );
  assert.deepEqual(web.rateLimit, { intervalMs: 100, burst: 20 });
});

Deno.test("parseWebConfig() gives the toolkit defaults for empty sections and blank values", () => {
  const web = parseFixture("good_defaults.yml");
  assert.equal(web.tls, undefined);
  assert.deepEqual(web.headers, {});
  assert.equal(web.basicAuthUsers.size, 0);
  assert.equal(web.rateLimit, undefined);
});

Deno.test("parseWebConfig() accepts an empty file and a comment-only file as plain HTTP without auth", () => {
  for (const text of ["", "# nothing yet\n", "---\n"]) {
    const web = parseWebConfig(text, { file: "w.yml", baseDir: "." });
    assert.deepEqual(
      [web.tls, web.headers, web.basicAuthUsers.size, web.rateLimit],
      [undefined, {}, 0, undefined],
      JSON.stringify(text),
    );
  }
});

Deno.test("parseWebConfig() accepts inline PEM, RequestClientCert with a CA, and min_version below TLS12", () => {
  const tls = parseFixture("good_request_client_cert.yml").tls!;
  assert.match(tls.cert!, /^-----BEGIN CERTIFICATE-----\n/);
  assert.equal(tls.key, "(inline key text; parseWebConfig does not decode it)\n");
  assert.equal(tls.clientAuthType, "RequestClientCert");
  assert.equal(tls.clientCaFile, "/srv/ca/clients.pem");
  assert.equal(tls.minVersion, "TLS10");
});

Deno.test("parseWebConfig() reads scalars as Go's yaml.v2 does: YAML 1.1 booleans, numbers kept as written", () => {
  const web = parseWebConfig(
    [
      "tls_server_config: {cert_file: c.pem, key_file: k.pem, prefer_server_cipher_suites: off}",
      "http_server_config: {http2: on, headers: {X-XSS-Protection: 1; mode=block}}",
      `basic_auth_users: {1234: "${HASH_4}", 0x1F: "${HASH_4}"}`,
      "rate_limit: {interval: 1.5s, burst: 0x10}",
    ].join("\n"),
    { file: "w.yml", baseDir: "rel/dir" },
  );
  assert.equal(web.tls?.preferServerCipherSuites, false);
  assert.equal(web.tls?.certFile, "rel/dir/c.pem");
  assert.deepEqual(web.headers, { "X-XSS-Protection": "1; mode=block" });
  assert.deepEqual([...web.basicAuthUsers.keys()], ["1234", "0x1F"]);
  assert.deepEqual(web.rateLimit, { intervalMs: 1500, burst: 16 });
});

Deno.test("parseWebConfig() turns rate limiting off for interval 0 or a missing interval", () => {
  for (
    const text of [
      "rate_limit: {interval: 0s, burst: 0}",
      "rate_limit: {burst: 5}",
      'rate_limit: {interval: "0"}',
    ]
  ) {
    assert.equal(parseWebConfig(text, { file: "w.yml", baseDir: "." }).rateLimit, undefined, text);
  }
});

Deno.test("loadWebConfig() resolves relative paths against the file's directory and names a missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "web.yml"), "basic_auth_users:\n  a: " + HASH_4 + "\n");
    const web = await loadWebConfig(join(dir, "web.yml"));
    assert.equal(web.basicAuthUsers.get("a"), HASH_4);
    assert.equal(web.tlsOptions, undefined);
    await assert.rejects(
      () => loadWebConfig(join(dir, "missing.yml")),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.deepEqual(e.problems, [`${join(dir, "missing.yml")}: cannot read web config: no such file`]);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** One bad fixture per validation rule, with the exact message(s) it must produce. */
const INVALID: ReadonlyArray<[rule: string, file: string, problems: string[]]> = [
  ["a YAML syntax error", "invalid_yaml_syntax.yml", [
    "invalid_yaml_syntax.yml:3: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
  ]],
  ["a duplicate key", "invalid_duplicate_key.yml", [
    'invalid_duplicate_key.yml:3: YAML: duplicate key "interval"',
  ]],
  ["a top level that is not a mapping", "invalid_top_level_not_mapping.yml", [
    "invalid_top_level_not_mapping.yml:1: (top level): must be a mapping, not a list",
  ]],
  ["an unknown top-level key", "invalid_unknown_top_key.yml", [
    'invalid_unknown_top_key.yml:2: basic_auth_user: unknown key (did you mean "basic_auth_users"?)',
  ]],
  ["an unknown tls_server_config key", "invalid_unknown_tls_key.yml", [
    'invalid_unknown_tls_key.yml:4: tls_server_config.certfile: unknown key (did you mean "cert_file"?)',
  ]],
  ["an unknown http_server_config key", "invalid_unknown_http_key.yml", [
    'invalid_unknown_http_key.yml:2: http_server_config.http3: unknown key (did you mean "http2"?)',
  ]],
  ["an unknown rate_limit key", "invalid_unknown_rate_limit_key.yml", [
    'invalid_unknown_rate_limit_key.yml:4: rate_limit.period: unknown key; expected one of "interval", "burst"',
  ]],
  ["a section that is not a mapping", "invalid_section_not_mapping.yml", [
    "invalid_section_not_mapping.yml:1: basic_auth_users: must be a mapping, not a list",
  ]],
  ["a key that is not a string", "invalid_key_not_string.yml", [
    "invalid_key_not_string.yml:2: basic_auth_users: keys must be plain strings",
  ]],
  ["a list where a string belongs", "invalid_string_type.yml", [
    "invalid_string_type.yml:2: tls_server_config.cert_file: must be a string, not a list",
  ]],
  ["a non-boolean where a boolean belongs", "invalid_bool_type.yml", [
    "invalid_bool_type.yml:4: tls_server_config.prefer_server_cipher_suites: must be true or false",
  ]],
  ["a string where a list belongs", "invalid_list_type.yml", [
    "invalid_list_type.yml:4: tls_server_config.cipher_suites: must be a list of strings, not a string",
  ]],
  ["a certificate without a key", "invalid_cert_without_key.yml", [
    'invalid_cert_without_key.yml:1: tls_server_config: missing one of "key_file" or "key"',
  ]],
  ["a key without a certificate", "invalid_key_without_cert.yml", [
    'invalid_key_without_cert.yml:1: tls_server_config: missing one of "cert_file" or "cert"',
  ]],
  ["both cert and cert_file", "invalid_cert_and_cert_file.yml", [
    'invalid_cert_and_cert_file.yml:4: tls_server_config.cert: set only one of "cert_file" and "cert"',
  ]],
  ["both key and key_file", "invalid_key_and_key_file.yml", [
    'invalid_key_and_key_file.yml:4: tls_server_config.key: set only one of "key_file" and "key"',
  ]],
  ["both client_ca and client_ca_file", "invalid_client_ca_and_client_ca_file.yml", [
    'invalid_client_ca_and_client_ca_file.yml:6: tls_server_config.client_ca: set only one of "client_ca_file" ' +
    'and "client_ca"',
  ]],
  ["an unknown client_auth_type", "invalid_unknown_client_auth_type.yml", [
    "invalid_unknown_client_auth_type.yml:4: tls_server_config.client_auth_type: unknown client auth type " +
    '"VerifyClientCert"; expected one of "NoClientCert", "RequestClientCert", "RequireAnyClientCert", ' +
    '"VerifyClientCertIfGiven", "RequireAndVerifyClientCert", "RequireClientCert"',
  ]],
  ["a client_auth_type Deno cannot honour", "invalid_client_auth_unsupported.yml", [
    'invalid_client_auth_unsupported.yml:4: tls_server_config.client_auth_type: "RequireAndVerifyClientCert" ' +
    "cannot be honoured: Deno.serve cannot request or verify client certificates; terminate mutual TLS in a " +
    "reverse proxy",
  ]],
  ["a client CA without a client-auth policy", "invalid_client_ca_without_policy.yml", [
    "invalid_client_ca_without_policy.yml:4: tls_server_config.client_ca_file: set without a client_auth_type " +
    'that uses it (client_auth_type is "NoClientCert")',
  ]],
  ["client_allowed_sans", "invalid_client_allowed_sans.yml", [
    "invalid_client_allowed_sans.yml:5: tls_server_config.client_allowed_sans: cannot be honoured: Deno.serve " +
    "cannot see client certificates to match SANs against",
  ]],
  ["an unknown TLS version", "invalid_unknown_tls_version.yml", [
    'invalid_unknown_tls_version.yml:4: tls_server_config.min_version: unknown TLS version "TLS1.2"; expected ' +
    'one of "TLS10", "TLS11", "TLS12", "TLS13"',
  ]],
  ["min_version above max_version", "invalid_min_above_max.yml", [
    'invalid_min_above_max.yml:4: tls_server_config.min_version: "TLS13" is above max_version "TLS12"',
  ]],
  ["min_version TLS13, which Deno cannot enforce", "invalid_min_version_tls13.yml", [
    'invalid_min_version_tls13.yml:4: tls_server_config.min_version: "TLS13" cannot be honoured: Deno.serve ' +
    "always accepts TLS 1.2 as well",
  ]],
  ["max_version below TLS13, which Deno cannot enforce", "invalid_max_version_tls12.yml", [
    'invalid_max_version_tls12.yml:4: tls_server_config.max_version: "TLS12" cannot be honoured: Deno.serve ' +
    "always offers TLS 1.3",
  ]],
  ["an unknown cipher suite", "invalid_unknown_cipher_suite.yml", [
    "invalid_unknown_cipher_suite.yml:6: tls_server_config.cipher_suites[1]: unknown cipher suite " +
    '"ECDHE-RSA-AES128-GCM-SHA256"; expected a name from Go\'s tls.CipherSuites() such as ' +
    '"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"',
  ]],
  ["an unknown curve", "invalid_unknown_curve.yml", [
    'invalid_unknown_curve.yml:4: tls_server_config.curve_preferences[3]: unknown curve "P-521"; expected one ' +
    'of "CurveP256", "CurveP384", "CurveP521", "X25519"',
  ]],
  ["curve_preferences that leave out a group Deno accepts", "invalid_curves_not_covered.yml", [
    "invalid_curves_not_covered.yml:4: tls_server_config.curve_preferences: cannot be honoured: Deno.serve also " +
    'accepts "X25519"; add it or remove curve_preferences',
  ]],
  ["TLS settings without a certificate", "invalid_tls_settings_without_cert.yml", [
    "invalid_tls_settings_without_cert.yml:1: tls_server_config: TLS settings are given but TLS is off; set " +
    '"cert_file" and "key_file" (or "cert" and "key"), or remove "min_version"',
  ]],
  ["http2: false", "invalid_http2_false.yml", [
    "invalid_http2_false.yml:2: http_server_config.http2: false cannot be honoured: Deno.serve always offers " +
    'HTTP/2 (by ALPN "h2" over TLS, and to plain-HTTP clients that start with HTTP/2)',
  ]],
  ["a header outside the allowed five", "invalid_header_not_allowed.yml", [
    "invalid_header_not_allowed.yml:3: http_server_config.headers.Access-Control-Allow-Origin: header cannot " +
    'be configured; allowed headers are "Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", ' +
    '"X-XSS-Protection", "Strict-Transport-Security"',
  ]],
  ["a bad X-Frame-Options value", "invalid_header_frame_options.yml", [
    'invalid_header_frame_options.yml:3: http_server_config.headers.X-Frame-Options: must be "deny" or ' +
    '"sameorigin", not "allow-from https://example.org"',
  ]],
  ["a bad X-Content-Type-Options value", "invalid_header_content_type_options.yml", [
    "invalid_header_content_type_options.yml:3: http_server_config.headers.X-Content-Type-Options: must be " +
    '"nosniff", not "sniff"',
  ]],
  ["a header value that is not a valid HTTP header value", "invalid_header_value.yml", [
    "invalid_header_value.yml:3: http_server_config.headers.Content-Security-Policy: " +
    "\"default-src 'self'\\r\\nSet-Cookie: a=b\" is not a valid header value",
  ]],
  ["a user name with a colon", "invalid_user_name_colon.yml", [
    'invalid_user_name_colon.yml:2: basic_auth_users."alice:admin": user name must not contain ":" (Basic ' +
    "auth splits user and password at the first one)",
  ]],
  ["an empty hash", "invalid_hash_empty.yml", [
    "invalid_hash_empty.yml:2: basic_auth_users.alice: must be a bcrypt hash, not empty",
  ]],
  ["a hash that is not bcrypt", "invalid_hash_not_bcrypt.yml", [
    'invalid_hash_not_bcrypt.yml:2: basic_auth_users.alice: is not a bcrypt hash: it must start with "$2a$", ' +
    `"$2b$" or "$2y$" (make one with: htpasswd -nBC 10 "" | tr -d ':\\n')`,
  ]],
  ["a bcrypt cost out of range", "invalid_hash_cost.yml", [
    "invalid_hash_cost.yml:2: basic_auth_users.alice: has bcrypt cost 3; it must be between 4 and 31",
  ]],
  ["a malformed bcrypt hash", "invalid_hash_malformed.yml", [
    'invalid_hash_malformed.yml:2: basic_auth_users.alice: is a malformed bcrypt hash: expected "$2y$", a ' +
    'two-digit cost, "$" and 53 characters of [./A-Za-z0-9] (60 in all)',
  ]],
  ["an interval that is not a Go duration", "invalid_interval_syntax.yml", [
    'invalid_interval_syntax.yml:2: rate_limit.interval: invalid duration "1 second"; expected a Go duration ' +
    'such as "1s"',
  ]],
  ["a negative interval", "invalid_interval_negative.yml", [
    'invalid_interval_negative.yml:2: rate_limit.interval: must not be negative, not "-1s"',
  ]],
  ["an interval without a unit", "invalid_interval_bare_number.yml", [
    'invalid_interval_bare_number.yml:2: rate_limit.interval: must be a duration such as "1s", not a bare number',
  ]],
  ["a negative burst", "invalid_burst_negative.yml", [
    "invalid_burst_negative.yml:3: rate_limit.burst: must not be negative, not -5",
  ]],
  ["a burst that is not an integer", "invalid_burst_not_integer.yml", [
    "invalid_burst_not_integer.yml:3: rate_limit.burst: must be an integer",
  ]],
  ["burst 0 with an interval", "invalid_burst_zero.yml", [
    "invalid_burst_zero.yml:3: rate_limit.burst: must be at least 1 when interval is set (0 would refuse every " +
    "request)",
  ]],
  ["several problems at once, each reported, in line order", "invalid_many_problems.yml", [
    'invalid_many_problems.yml:1: tls_server_config: missing one of "key_file" or "key"',
    "invalid_many_problems.yml:4: http_server_config.http2: false cannot be honoured: Deno.serve always offers " +
    'HTTP/2 (by ALPN "h2" over TLS, and to plain-HTTP clients that start with HTTP/2)',
    'invalid_many_problems.yml:6: basic_auth_users.alice: is not a bcrypt hash: it must start with "$2a$", ' +
    `"$2b$" or "$2y$" (make one with: htpasswd -nBC 10 "" | tr -d ':\\n')`,
    'invalid_many_problems.yml:8: rate_limit.interval: invalid duration "soon"; expected a Go duration such as "1s"',
  ]],
];

for (const [rule, file, expected] of INVALID) {
  Deno.test(`parseWebConfig() rejects ${rule}`, () => {
    assert.deepEqual(problemsOf(() => parseFixture(file)), expected);
  });
}

Deno.test("parseWebConfig() has a test for every invalid fixture", () => {
  const fixtures = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => n.startsWith("invalid_"))
    .sort();
  assert.deepEqual(fixtures, INVALID.map(([, file]) => file).sort());
});

Deno.test("parseWebConfig() never echoes a password hash or an inline key in its messages", () => {
  const secretHash = "$1$secretsalt$HASHVALUEthatmustnotleak";
  const problems = problemsOf(() =>
    parseWebConfig(
      `basic_auth_users:\n  alice: "${secretHash}"\ntls_server_config:\n  key: "PRIVATE-KEY-BYTES"\n  cert: x\n  cert_file: y\n`,
      { file: "w.yml", baseDir: "." },
    )
  );
  assert.equal(problems.length, 2);
  for (const p of problems) {
    assert.ok(!p.includes("secretsalt") && !p.includes("PRIVATE-KEY-BYTES"), p);
  }
});

Deno.test("checkTlsServerConfig() refuses every client_auth_type that needs client certificates", () => {
  const base: TlsServerConfig = {
    certFile: "c.pem",
    keyFile: "k.pem",
    clientAuthType: "NoClientCert",
    clientAllowedSans: [],
    minVersion: "TLS12",
    maxVersion: "TLS13",
    cipherSuites: [],
    preferServerCipherSuites: true,
    curvePreferences: [],
    origin: {},
  };
  assert.deepEqual(checkTlsServerConfig(base), []);
  assert.deepEqual(checkTlsServerConfig({ ...base, clientAuthType: "RequestClientCert" }), []);
  for (
    const type of [
      "RequireAnyClientCert",
      "RequireClientCert",
      "VerifyClientCertIfGiven",
      "RequireAndVerifyClientCert",
    ] as const
  ) {
    const problems = checkTlsServerConfig({ ...base, clientAuthType: type, clientCaFile: "ca.pem" });
    assert.deepEqual(problems.map(([key]) => key), ["client_auth_type"], type);
    assert.match(problems[0][1], new RegExp(`^"${type}" cannot be honoured: `));
  }
  assert.deepEqual(
    checkTlsServerConfig({
      ...base,
      minVersion: "TLS10",
      maxVersion: "TLS13",
      curvePreferences: ["X25519", "CurveP384", "CurveP256"],
    }),
    [],
  );
});
