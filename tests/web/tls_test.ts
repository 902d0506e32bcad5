import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { join } from "node:path";
import { ConfigError } from "../../src/errors.ts";
import { DENO_TLS, type ServeTlsOptions } from "../../src/web/tls.ts";
import { loadWebConfig, parseWebConfig } from "../../src/web/web_config.ts";

const FIXTURES = new URL("../testdata/web/", import.meta.url).pathname;
const REQUIRE_E2E = Deno.env.get("REQUIRE_E2E") === "1";
const HAVE_OPENSSL = await hasTool("openssl");
const HAVE_CURL = await hasTool("curl");

async function hasTool(name: string): Promise<boolean> {
  try {
    const { code } = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
      .output();
    return code === 0;
  } catch {
    return false;
  }
}

/** A test that needs external tools: fails when REQUIRE_E2E=1 and one is missing, else is reported as ignored. */
function testWith(tools: Array<[string, boolean]>, name: string, fn: () => Promise<void>) {
  const missing = tools.filter(([, have]) => !have).map(([tool]) => tool);
  if (missing.length > 0 && REQUIRE_E2E) {
    Deno.test(name, () => assert.fail(`missing required tools: ${missing.join(", ")}`));
  } else {
    Deno.test({ name, ignore: missing.length > 0, fn });
  }
}

async function run(cmd: string, args: string[], options: { cwd?: string; input?: string } = {}) {
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    stdin: options.input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(20_000),
  }).spawn();
  if (options.input !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.input));
    await writer.close();
  }
  const out = await child.output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

/**
 * Makes, in a new temp dir: a CA (`ca.pem`) and two server certificates it signed for 127.0.0.1 and
 * localhost, one with an EC P-256 key (`server.pem`/`server.key`) and one with an RSA key (`rsa.pem`/`rsa.key`).
 */
async function makeCerts(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "web_tls_test_" });
  const r = await run("openssl", [
    ...[
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "ca.key",
    ],
    ...["-out", "ca.pem", "-days", "2", "-subj", "/CN=prom-exporter test CA"],
  ], { cwd: dir });
  assert.equal(r.code, 0, r.text);
  await issueServerCert(dir, "server", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
  await issueServerCert(dir, "rsa", ["rsa:2048"]);
  return dir;
}

/** Issues `<name>.pem`/`<name>.key`: a fresh key (`openssl req -newkey` arguments) certified by the CA in `dir`. */
async function issueServerCert(dir: string, name: string, newkey: string[]) {
  await Deno.writeTextFile(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  for (
    const args of [
      [
        "req",
        "-newkey",
        ...newkey,
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.csr`,
        "-subj",
        "/CN=localhost",
      ],
      ["x509", "-req", "-in", `${name}.csr`, "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial"]
        .concat(["-out", `${name}.pem`, "-days", "2", "-extfile", "san.ext"]),
    ]
  ) {
    const r = await run("openssl", args, { cwd: dir });
    assert.equal(r.code, 0, r.text);
  }
}

/** Copies a fixture next to the generated certificates and loads it from there. */
async function loadFixture(dir: string, fixture: string) {
  const path = join(dir, fixture);
  await Deno.copyFile(join(FIXTURES, fixture), path);
  return await loadWebConfig(path);
}

/** Serves "ok" over TLS on 127.0.0.1 with an ephemeral port; dispose to stop. */
function serveTls(tls: ServeTlsOptions) {
  const controller = new AbortController();
  const server = Deno.serve(
    { ...tls, hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    () => new Response("ok\n"),
  );
  return {
    port: server.addr.port,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await server.finished;
    },
  };
}

/** What `openssl s_client` negotiates: `"TLSv1.2 ECDHE-…"`, or `null` when the handshake fails. */
async function handshake(port: number, args: string[]): Promise<{ result: string | null; text: string }> {
  const r = await run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, ...args], { input: "" });
  const m = /^New, (\S+), Cipher is (\S+)$/m.exec(r.text);
  return { result: m === null || m[1] === "(NONE)" ? null : `${m[1]} ${m[2]}`, text: r.text };
}

/** Go names of the suites Deno negotiates, as OpenSSL spells them. */
const OPENSSL_SUITE: Readonly<Record<string, string>> = {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: "ECDHE-ECDSA-AES128-GCM-SHA256",
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: "ECDHE-ECDSA-AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: "ECDHE-RSA-AES128-GCM-SHA256",
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: "ECDHE-RSA-AES256-GCM-SHA384",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-RSA-CHACHA20-POLY1305",
};
const OPENSSL_GROUP: Readonly<Record<string, string>> = {
  X25519: "X25519",
  CurveP256: "P-256",
  CurveP384: "P-384",
  CurveP521: "P-521",
};

testWith(
  [["openssl", HAVE_OPENSSL]],
  "loadWebConfig() gives Deno.serve options that serve HTTPS",
  async () => {
    const dir = await makeCerts();
    try {
      const web = await loadFixture(dir, "load_good.yml");
      assert.equal(web.tlsOptions?.cert, await Deno.readTextFile(join(dir, "server.pem")));
      assert.equal(web.tlsOptions?.key, await Deno.readTextFile(join(dir, "server.key")));
      await using server = serveTls(web.tlsOptions!);
      using client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(join(dir, "ca.pem"))] });
      for (const host of ["127.0.0.1", "localhost"]) {
        const res = await fetch(`https://${host}:${server.port}/metrics`, { client });
        assert.equal(res.status, 200);
        assert.equal(await res.text(), "ok\n");
      }
      // Plain HTTP to the TLS port gets no answer.
      await assert.rejects(() => fetch(`http://127.0.0.1:${server.port}/metrics`));
      // Without the CA the certificate is not trusted.
      await assert.rejects(() => fetch(`https://127.0.0.1:${server.port}/metrics`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testWith([["openssl", HAVE_OPENSSL]], "loadWebConfig() loads inline cert and key", async () => {
  const dir = await makeCerts();
  try {
    const cert = await Deno.readTextFile(join(dir, "rsa.pem"));
    const key = await Deno.readTextFile(join(dir, "rsa.key"));
    const indent = (pem: string) => pem.trimEnd().split("\n").map((l) => "    " + l).join("\n");
    const path = join(dir, "inline.yml");
    await Deno.writeTextFile(
      path,
      `tls_server_config:\n  cert: |\n${indent(cert)}\n  key: |\n${indent(key)}\n`,
    );
    const web = await loadWebConfig(path);
    assert.deepEqual(web.tlsOptions, { cert, key });
    await using server = serveTls(web.tlsOptions!);
    using client = Deno.createHttpClient({ caCerts: [await Deno.readTextFile(join(dir, "ca.pem"))] });
    const res = await fetch(`https://127.0.0.1:${server.port}/`, { client });
    assert.equal(await res.text(), "ok\n");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

testWith(
  [["openssl", HAVE_OPENSSL]],
  "loadWebConfig() accepts RSA suites for an RSA key and RequestClientCert with a readable CA",
  async () => {
    const dir = await makeCerts();
    try {
      assert.equal((await loadFixture(dir, "load_rsa_suites.yml")).tls?.cipherSuites.length, 3);
      assert.equal(
        (await loadFixture(dir, "load_request_client_cert.yml")).tls?.clientAuthType,
        "RequestClientCert",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

/** One bad fixture per load-time rule; `DIR` stands for the temp dir holding the fixture and certificates. */
const LOAD_INVALID: ReadonlyArray<[rule: string, file: string, problems: string[]]> = [
  ["a certificate file that does not exist", "load_invalid_missing_cert_file.yml", [
    'DIR/load_invalid_missing_cert_file.yml:2: tls_server_config.cert_file: cannot read "DIR/nowhere.pem": no such file',
  ]],
  ["a certificate file without a certificate", "load_invalid_cert_not_a_cert.yml", [
    "DIR/load_invalid_cert_not_a_cert.yml:2: tls_server_config.cert_file: does not hold a PEM certificate",
  ]],
  ["a key file without a key", "load_invalid_key_not_a_key.yml", [
    "DIR/load_invalid_key_not_a_key.yml:3: tls_server_config.key_file: does not hold an unencrypted PEM private " +
    "key (PKCS#8, PKCS#1 or SEC1)",
  ]],
  ["a key that does not match the certificate", "load_invalid_key_mismatch.yml", [
    'DIR/load_invalid_key_mismatch.yml:3: tls_server_config.key_file: does not match the certificate in "cert_file"',
  ]],
  [
    "cipher_suites that leave out a suite Deno offers for the key",
    "load_invalid_cipher_suites_not_covered.yml",
    [
      "DIR/load_invalid_cipher_suites_not_covered.yml:5: tls_server_config.cipher_suites: cannot be honoured: with " +
      'this EC key Deno.serve also offers "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" and ' +
      '"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" for TLS 1.2; add them or remove cipher_suites',
    ],
  ],
  ["a client CA file without a certificate", "load_invalid_client_ca_no_certs.yml", [
    "DIR/load_invalid_client_ca_no_certs.yml:5: tls_server_config.client_ca_file: does not hold a PEM certificate",
  ]],
  ["an inline key that is not a key, without echoing it", "load_invalid_inline_key_garbage.yml", [
    "DIR/load_invalid_inline_key_garbage.yml:3: tls_server_config.key: does not hold an unencrypted PEM private " +
    "key (PKCS#8, PKCS#1 or SEC1)",
  ]],
];

for (const [rule, file, expected] of LOAD_INVALID) {
  testWith([["openssl", HAVE_OPENSSL]], `loadWebConfig() rejects ${rule}`, async () => {
    const dir = await makeCerts();
    try {
      await assert.rejects(() => loadFixture(dir, file), (e: unknown) => {
        assert.ok(e instanceof ConfigError, String(e));
        assert.deepEqual(e.problems.map((p) => p.replaceAll(dir, "DIR")), expected);
        return true;
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("loadWebConfig() has a test for every load-time invalid fixture", () => {
  const fixtures = [...Deno.readDirSync(FIXTURES)].map((e) => e.name).filter((n) =>
    n.startsWith("load_invalid_")
  );
  assert.deepEqual(fixtures.sort(), LOAD_INVALID.map(([, file]) => file).sort());
});

testWith(
  [["openssl", HAVE_OPENSSL]],
  "loadWebConfig() picks up a rotated certificate on reload",
  async () => {
    const dir = await makeCerts();
    try {
      const fingerprint = async (port: number) => {
        const r = await run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`], { input: "" });
        const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.text)?.[0];
        assert.ok(pem !== undefined, r.text);
        return new X509Certificate(pem).fingerprint256;
      };
      const first = await loadFixture(dir, "load_good.yml");
      const firstPrint = new X509Certificate(first.tlsOptions!.cert).fingerprint256;
      {
        await using server = serveTls(first.tlsOptions!);
        assert.equal(await fingerprint(server.port), firstPrint);
      }
      await issueServerCert(dir, "server", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]); // rotate: new key and certificate at the same paths
      const second = await loadWebConfig(join(dir, "load_good.yml"));
      const secondPrint = new X509Certificate(second.tlsOptions!.cert).fingerprint256;
      assert.notEqual(secondPrint, firstPrint);
      await using server = serveTls(second.tlsOptions!);
      assert.equal(await fingerprint(server.port), secondPrint);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

// The rules in tls.ts rest on these facts about Deno.serve; if a Deno upgrade changes one, this fails.

testWith([["openssl", HAVE_OPENSSL]], "DENO_TLS: Deno.serve accepts exactly TLS 1.2 and 1.3", async () => {
  const dir = await makeCerts();
  try {
    const web = await loadFixture(dir, "load_good.yml");
    await using server = serveTls(web.tlsOptions!);
    const accepted: string[] = [];
    for (
      const [flag, name] of [["-tls1", "TLS10"], ["-tls1_1", "TLS11"], ["-tls1_2", "TLS12"], [
        "-tls1_3",
        "TLS13",
      ]]
    ) {
      const { result } = await handshake(server.port, [flag, "-cipher", "DEFAULT@SECLEVEL=0"]);
      if (result !== null) accepted.push(name);
    }
    assert.deepEqual(accepted, [...DENO_TLS.versions]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

testWith(
  [["openssl", HAVE_OPENSSL]],
  "DENO_TLS: Deno.serve negotiates exactly the listed TLS 1.2 suites",
  async () => {
    const dir = await makeCerts();
    try {
      const all = await run("openssl", ["ciphers", "-s", "-tls1_2", "ALL:@SECLEVEL=0"]);
      const candidates = all.text.trim().split(":").filter((c) => !c.startsWith("TLS_"));
      assert.ok(candidates.length > 20, all.text);
      for (const [fixture, family] of [["load_good.yml", "ecdsa"], ["load_rsa_suites.yml", "rsa"]] as const) {
        const web = await loadFixture(dir, fixture);
        await using server = serveTls(web.tlsOptions!);
        const negotiated: string[] = [];
        for (const cipher of candidates) {
          const { result } = await handshake(server.port, ["-tls1_2", "-cipher", `${cipher}@SECLEVEL=0`]);
          if (result !== null) negotiated.push(cipher);
        }
        assert.deepEqual(
          negotiated.sort(),
          DENO_TLS.tls12CipherSuites[family].map((s) => OPENSSL_SUITE[s]).sort(),
        );
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testWith(
  [["openssl", HAVE_OPENSSL]],
  "DENO_TLS: Deno.serve accepts exactly the listed key-exchange groups",
  async () => {
    const dir = await makeCerts();
    try {
      const web = await loadFixture(dir, "load_good.yml");
      await using server = serveTls(web.tlsOptions!);
      const accepted: string[] = [];
      for (const [goName, group] of Object.entries(OPENSSL_GROUP)) {
        const { result } = await handshake(server.port, ["-tls1_3", "-groups", group]);
        if (result !== null) accepted.push(goName);
      }
      for (const other of ["X448", "ffdhe2048"]) {
        assert.equal((await handshake(server.port, ["-tls1_3", "-groups", other])).result, null, other);
      }
      assert.deepEqual(accepted.sort(), [...DENO_TLS.curves].sort());
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testWith(
  [["openssl", HAVE_OPENSSL]],
  "DENO_TLS: Deno.serve offers ALPN h2 and http/1.1 and never asks for a client certificate",
  async () => {
    const dir = await makeCerts();
    try {
      const web = await loadFixture(dir, "load_good.yml");
      await using server = serveTls(web.tlsOptions!);
      for (const protocol of DENO_TLS.alpn) {
        const { text } = await handshake(server.port, ["-alpn", protocol]);
        assert.match(text, new RegExp(`^ALPN protocol: ${protocol.replace("/", "\\/")}$`, "m"));
      }
      const { text } = await handshake(server.port, ["-tls1_2"]);
      assert.match(text, /^No client certificate CA names sent$/m);
      assert.doesNotMatch(text, /Acceptable client certificate CA names/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testWith(
  [["curl", HAVE_CURL]],
  "DENO_TLS: plain-HTTP Deno.serve answers HTTP/2 with prior knowledge",
  async () => {
    // Why http2: false is refused even without TLS: Deno.serve speaks h2c to a client that starts with it.
    const controller = new AbortController();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
      () => new Response("ok\n"),
    );
    try {
      const r = await run("curl", [
        "-s",
        "--http2-prior-knowledge",
        "-o",
        "/dev/null",
        "-w",
        "%{http_version} %{http_code}",
        `http://127.0.0.1:${server.addr.port}/`,
      ]);
      assert.equal(r.text, "2 200");
    } finally {
      controller.abort();
      await server.finished;
    }
  },
);

Deno.test("parseWebConfig() refuses a config whose TLS Deno cannot honour before reading any file", () => {
  // No certificate files exist here: validation of the settings comes first and reads nothing.
  assert.throws(
    () =>
      parseWebConfig("tls_server_config: {cert_file: a.pem, key_file: b.key, max_version: TLS12}", {
        file: "w.yml",
        baseDir: "/nonexistent",
      }),
    ConfigError,
  );
});
