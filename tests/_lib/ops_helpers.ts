/**
 * Test helpers for the operations tests: a private PKI made with openssl, a canary listener that counts the
 * connections it accepts, and a temp directory that removes itself.
 *
 * @module
 */

/** Whether a command runs; tests that need it are ignored (or fail under REQUIRE_E2E=1) without it. */
export function hasTool(name: string, args: string[] = ["version"]): boolean {
  try {
    return new Deno.Command(name, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** True when the test must run: the tool exists, or REQUIRE_E2E=1 makes a missing tool a failure. */
export function needTool(name: string, args?: string[]): boolean {
  return hasTool(name, args) || Deno.env.get("REQUIRE_E2E") === "1";
}

/** A temp directory removed by `await using`. */
export interface TempDir extends AsyncDisposable {
  /** The directory. */
  path: string;
}

/** Makes a temp directory. */
export async function tempDir(): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix: "prom-exporter-ops-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** A private CA with a server leaf (localhost, upstream.test, 127.0.0.1) and a client leaf, as files and PEM. */
export interface Pki {
  /** The CA certificate file. */
  caFile: string;
  /** The server certificate and key (PEM text). */
  serverCert: string;
  serverKey: string;
  /** The client certificate and key files. */
  clientCertFile: string;
  clientKeyFile: string;
  /** A self-signed certificate and key that no CA vouches for. */
  selfCert: string;
  selfKey: string;
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
}

/** Makes a PKI in `dir` with openssl (P-256 keys, 2-day validity). */
export async function makePki(dir: string): Promise<Pki> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  await openssl(
    dir,
    "req",
    "-x509",
    ...ec,
    "-subj",
    "/CN=test-ca",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "2",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  );
  await Deno.writeTextFile(
    `${dir}/server.ext`,
    "subjectAltName=DNS:localhost,DNS:upstream.test,IP:127.0.0.1\n",
  );
  await Deno.writeTextFile(`${dir}/client.ext`, "extendedKeyUsage=clientAuth\n");
  for (const who of ["server", "client"]) {
    await openssl(dir, "req", ...ec, "-subj", `/CN=${who}`, "-keyout", `${who}.key`, "-out", `${who}.csr`);
    await openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${who}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      `${who}.pem`,
      "-extfile",
      `${who}.ext`,
    );
  }
  await openssl(
    dir,
    "req",
    "-x509",
    ...ec,
    "-subj",
    "/CN=localhost",
    "-keyout",
    "self.key",
    "-out",
    "self.pem",
    "-days",
    "2",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
  );
  const read = (f: string) => Deno.readTextFile(`${dir}/${f}`);
  return {
    caFile: `${dir}/ca.pem`,
    serverCert: await read("server.pem"),
    serverKey: await read("server.key"),
    clientCertFile: `${dir}/client.pem`,
    clientKeyFile: `${dir}/client.key`,
    selfCert: await read("self.pem"),
    selfKey: await read("self.key"),
  };
}

/** A TCP listener on 127.0.0.1 that accepts and counts connections, then closes them. */
export interface Canary extends AsyncDisposable {
  /** Its port. */
  port: number;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** Connections accepted so far. */
  connections(): number;
}

/** Starts a canary listener. */
export function canary(): Canary {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let count = 0;
  const loop = (async () => {
    for await (const conn of listener) {
      count++;
      conn.close();
    }
  })().catch(() => {});
  const port = (listener.addr as Deno.NetAddr).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    connections: () => count,
    [Symbol.asyncDispose]: async () => {
      listener.close();
      await loop;
    },
  };
}
