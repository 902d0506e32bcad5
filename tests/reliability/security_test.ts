/**
 * Item 5 of issue 6 (RELIABILITY.md A1, A3, M1, M2): against `main.ts start` as a subprocess —
 * - basic auth: the CVE-2022-46146 cache-poisoning pattern (every split of user, hash and password, with and
 *   without separators, after a good login warmed the cache), unknown users with a cold and a warm cache,
 *   300 concurrent mixed logins, and the timing of an unknown user against a wrong password (recorded);
 * - `/probe` SSRF: loopback, link-local 169.254.169.254, decimal/hex/octal/short IPv4 forms, IPv4-mapped and
 *   NAT64 IPv6, `file://`, userinfo tricks and redirect hops, all refused with 400 (a redirect hop: up 0) and
 *   zero connections to a canary listener;
 * - secrets (upstream basic-auth password, bearer token, header value, URL userinfo) absent from every
 *   response body and every log line, while the upstream does receive them.
 *
 * @module
 */

import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { FaultServer } from "../_lib/fault_server.ts";
import { pool, quantile, record, round, spawnStart, tempFile, valueOf } from "../_lib/harness.ts";

// ------------------------------------------------------------------ basic auth (A1)

function basic(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return "Basic " + btoa(String.fromCharCode(...bytes));
}

async function webConfig(users: Record<string, string>) {
  const lines = [
    "basic_auth_users:",
    ...Object.entries(users).map(([u, h]) => `  ${JSON.stringify(u)}: "${h}"`),
  ];
  return await tempFile(lines.join("\n") + "\n");
}

async function authStatus(origin: string, authorization?: string): Promise<number> {
  const res = await fetch(`${origin}/-/healthy`, { headers: authorization ? { authorization } : {} });
  await res.arrayBuffer();
  return res.status;
}

Deno.test("security: basic auth resists the CVE-2022-46146 cache-poisoning pattern", async () => {
  // Cost 4 keeps ~200 compares fast; the check's logic does not depend on the cost.
  const password = "alicepassword";
  const hash = bcrypt.hashSync(password, 4);
  await using up = FaultServer.start();
  await using web = await webConfig({ alice: hash });
  await using main = await spawnStart(["-u", up.url("/ok"), "--web.config.file", web.path]);
  const res = await fetch(`${main.origin}/metrics`);
  await res.arrayBuffer();
  assert.equal(res.status, 401);
  assert.match(res.headers.get("www-authenticate") ?? "", /^Basic realm=/);
  assert.equal(
    await authStatus(main.origin, basic("alice", password)),
    200,
    "the good login (warms the cache)",
  );
  assert.equal(await authStatus(main.origin, basic("alice", password + "x")), 401);
  // Every way to cut "alice" + hash + password (plain, ':'-joined, hex) into a user and a password.
  const wholes = [
    `alice${hash}${password}`,
    `alice:${hash}:${password}`,
    `alice${hash}`,
    `${hash}${password}`,
  ];
  const attempts: [string, string][] = [];
  for (const s of wholes) {
    for (let k = 0; k <= s.length; k++) {
      const user = s.slice(0, k);
      if (!user.includes(":")) attempts.push([user, s.slice(k)]);
    }
  }
  attempts.push(["alice", hash], [hash, password], ["alice", ""], ["", ""], ["alice\u0000", password]);
  attempts.push([`alice${hash}`, "fakepassword"], ["fakeuser", "fakepassword"], ["ALICE", password]);
  const bypassed: string[] = [];
  await pool(attempts, 8, async ([user, pass]) => {
    if (user === "alice" && pass === password) return;
    if ((await authStatus(main.origin, basic(user, pass))) !== 401) bypassed.push(`${user} / ${pass}`);
  });
  // Cold and warm: the same unknown user twice.
  for (let i = 0; i < 2; i++) {
    assert.equal(await authStatus(main.origin, basic("fakeuser", "fakepassword")), 401);
  }
  // Malformed headers never authorize.
  for (
    const h of [
      "Basic",
      "Basic !!!",
      "Bearer x",
      `Basic ${btoa("alice")}`,
      `basic  ${btoa(`alice:${password}`)}x`,
    ]
  ) {
    assert.equal(await authStatus(main.origin, h), 401, h);
  }
  record("A1 CVE-2022-46146 pattern", { attempts: attempts.length, bypassed: bypassed.length });
  assert.deepEqual(bypassed, []);
});

Deno.test("security: 300 concurrent mixed logins all get the right code", async () => {
  const hashes = { alice: bcrypt.hashSync("a-pass", 4), bob: bcrypt.hashSync("b-pass", 4) };
  await using up = FaultServer.start();
  await using web = await webConfig(hashes);
  await using main = await spawnStart(["-u", up.url("/ok"), "--web.config.file", web.path]);
  const cases: [string | undefined, number][] = [
    [basic("alice", "a-pass"), 200],
    [basic("bob", "b-pass"), 200],
    [basic("alice", "b-pass"), 401],
    [basic("bob", "a-pass"), 401],
    [basic("carol", "c-pass"), 401],
    [undefined, 401],
  ];
  const wrong: string[] = [];
  await pool(Array.from({ length: 300 }, (_, i) => cases[i % cases.length]), 300, async ([auth, want]) => {
    const got = await authStatus(main.origin, auth);
    if (got !== want) wrong.push(`${auth}: ${got}, want ${want}`);
  });
  assert.deepEqual(wrong, []);
});

Deno.test("security: an unknown user costs about as much as a wrong password (timing recorded)", async () => {
  const hash = bcrypt.hashSync("right", 10);
  await using up = FaultServer.start();
  await using web = await webConfig({ alice: hash });
  await using main = await spawnStart(["-u", up.url("/ok"), "--web.config.file", web.path]);
  const time = async (user: string, i: number) => {
    const t0 = performance.now();
    assert.equal(await authStatus(main.origin, basic(user, `wrong-${i}-${crypto.randomUUID()}`)), 401);
    return performance.now() - t0;
  };
  await time("alice", -1); // first use
  const known: number[] = [];
  const unknown: number[] = [];
  for (let i = 0; i < 8; i++) {
    known.push(await time("alice", i));
    unknown.push(await time(`nobody${i}`, i));
  }
  const k = quantile(known, 0.5);
  const u = quantile(unknown, 0.5);
  record("A1 unknown-user timing (cost 10)", {
    known_wrong_password_median_ms: round(k),
    unknown_user_median_ms: round(u),
    ratio: round(u / k, 2),
  });
  // Generous: an unknown user skipping bcrypt would answer ~1000x faster than a wrong password.
  assert.ok(u >= k * 0.25, `unknown user ${round(u)} ms vs wrong password ${round(k)} ms`);
});

// ------------------------------------------------------------------ /probe SSRF (M1, M2)

Deno.test("security: /probe SSRF attempts are refused with 400 and never reach the canary", async () => {
  await using up = FaultServer.start();
  await using canary = FaultServer.start();
  const C = canary.port;
  await using config = await tempFile(
    [
      "modules:",
      "  strict:",
      "    allowed_targets: ['10.0.0.0/8']",
      "  lab:",
      "    http: { redirect_policy: any }",
      `    allowed_targets: ['127.0.0.1:${up.port}']`,
      "  open:",
      "    http: {}",
      "",
    ].join("\n"),
  );
  await using main = await spawnStart(["--config.file", config.path]);
  const probe = async (module: string, target: string) => {
    const res = await fetch(`${main.origin}/probe?module=${module}&target=${encodeURIComponent(target)}`);
    return { status: res.status, text: await res.text() };
  };
  const direct = [
    `http://127.0.0.1:${C}/`,
    `http://localhost:${C}/`,
    `http://127.1:${C}/`,
    `http://2130706433:${C}/`,
    `http://0x7f000001:${C}/`,
    `http://0x7f.0.0.1:${C}/`,
    `http://0177.0.0.1:${C}/`,
    `http://017700000001:${C}/`,
    `http://[::ffff:127.0.0.1]:${C}/`,
    `http://[::ffff:7f00:1]:${C}/`,
    `http://[::1]:${C}/`,
    `http://0.0.0.0:${C}/`,
    `http://0:${C}/`,
    `http://[::]:${C}/`,
    `http://169.254.169.254/latest/meta-data/`,
    `http://2852039166/`,
    `http://0xa9fea9fe/`,
    `http://0251.0376.0251.0376/`,
    `http://[::ffff:169.254.169.254]/`,
    `http://[::ffff:a9fe:a9fe]/`,
    `http://[64:ff9b::a9fe:a9fe]/`,
    `http://[fd00:ec2::254]/`,
    `http://[fe80::1]/`,
    `file:///etc/passwd`,
    `file://127.0.0.1:${C}/etc/passwd`,
    `gopher://127.0.0.1:${C}/`,
    `ftp://127.0.0.1:${C}/`,
    `http://127.0.0.1:${up.port}@127.0.0.1:${C}/`,
    `http://user:pass@127.0.0.1:${up.port}/ok`,
    `127.0.0.1:${C}`,
    `//127.0.0.1:${C}/`,
    `http://127.0.0.1:${C}\\@127.0.0.1:${up.port}/`,
    `http://127.0.0.1:${up.port}.127.0.0.1:${C}/`,
  ];
  const wrong: string[] = [];
  for (const module of ["strict", "lab", "open", "nosuchmodule"]) {
    for (const target of direct) {
      const r = await probe(module, target);
      if (r.status !== 400) wrong.push(`${module} ${target}: ${r.status} ${r.text.slice(0, 120)}`);
    }
  }
  // Redirect hops from an allowed upstream: the probe is answered (200, up 0), the hop is never connected.
  const hops = [
    `http://127.0.0.1:${C}/`,
    `http://localhost:${C}/`,
    `http://[::ffff:127.0.0.1]:${C}/`,
    `http://169.254.169.254/latest/meta-data/`,
    `file:///etc/passwd`,
  ];
  for (const to of hops) {
    for (const status of [301, 302, 307, 308]) {
      const r = await probe("lab", up.url(`/redirect?status=${status}&to=${encodeURIComponent(to)}`));
      const upValue = valueOf(r.text, "prom_exporter_up");
      if (!(r.status === 400 || (r.status === 200 && upValue === 0))) {
        wrong.push(`lab redirect ${status} to ${to}: ${r.status} up=${upValue}`);
      }
    }
  }
  // The allowed target itself works, so the refusals above are not a broken probe.
  const good = await probe("lab", up.url("/ok"));
  assert.equal(good.status, 200);
  assert.equal(valueOf(good.text, "prom_exporter_up"), 1, good.text);
  record("M1 /probe SSRF", {
    direct_attempts: direct.length * 4,
    redirect_attempts: hops.length * 4,
    wrong: wrong.length,
    canary_connections: canary.connections,
  });
  assert.deepEqual(wrong, []);
  assert.equal(canary.connections, 0, "the canary was connected to");
});

Deno.test("security: with --probe.allow-any-target, metadata and this-host addresses are still refused", async () => {
  await using canary = FaultServer.start();
  const C = canary.port;
  await using config = await tempFile("modules:\n  any:\n    http: {}\n");
  await using main = await spawnStart(["--config.file", config.path, "--probe.allow-any-target"]);
  const wrong: string[] = [];
  for (
    const target of [
      `http://0.0.0.0:${C}/`,
      `http://0:${C}/`,
      `http://0x0:${C}/`,
      `http://[::]:${C}/`,
      `http://[::ffff:0.0.0.0]:${C}/`,
      `http://169.254.169.254/`,
      `http://2852039166/`,
      `http://[::ffff:169.254.169.254]/`,
      `http://[64:ff9b::a9fe:a9fe]/`,
      `http://[fd00:ec2::254]/`,
      `file:///etc/passwd`,
    ]
  ) {
    const res = await fetch(`${main.origin}/probe?module=any&target=${encodeURIComponent(target)}`);
    const text = await res.text();
    if (res.status !== 400) wrong.push(`${target}: ${res.status} ${text.slice(0, 100)}`);
  }
  assert.deepEqual(wrong, []);
  assert.equal(canary.connections, 0);
});

// ------------------------------------------------------------------ secrets (A3)

Deno.test("security: upstream secrets reach the upstream but no response body and no log line", async () => {
  await using up = FaultServer.start();
  const secrets = {
    password: `pw-${crypto.randomUUID()}`,
    token: `tok-${crypto.randomUUID()}`,
    header: `hdr-${crypto.randomUUID()}`,
    userinfo: `ui-${crypto.randomUUID()}`,
  };
  const forbidden = [
    ...Object.values(secrets),
    btoa(`scraper:${secrets.password}`),
    btoa(`u:${secrets.userinfo}`),
  ];
  await using config = await tempFile(
    [
      "targets:",
      "  - name: basic",
      `    url: ${up.url("/ok")}`,
      `    http: { basic_auth: { username: scraper, password: "${secrets.password}" } }`,
      "  - name: bearer_failing",
      `    url: ${up.url("/status/500")}`,
      `    http: { bearer_token: "${secrets.token}", headers: { X-Api-Key: "${secrets.header}" } }`,
      "  - name: userinfo_failing",
      `    url: http://u:${secrets.userinfo}@127.0.0.1:${up.port}/garbage`,
      "  - name: timeout",
      `    url: ${up.url("/silent")}`,
      "    timeout: 200ms",
      `    http: { basic_auth: { username: scraper, password: "${secrets.password}" } }`,
      "modules:",
      "  withcreds:",
      `    http: { bearer_token: "${secrets.token}" }`,
      `    allowed_targets: ['127.0.0.1:${up.port}']`,
      "",
    ].join("\n"),
  );
  await using main = await spawnStart(["--config.file", config.path, "--log.level", "debug"]);
  const bodies: string[] = [];
  const get = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${main.origin}${path}`, init);
    bodies.push(`${res.status} ${[...res.headers].join(" ")}\n${await res.text()}`);
  };
  await get("/metrics");
  await get("/metrics?format=openmetrics");
  await get("/metrics", { headers: { accept: "application/openmetrics-text; version=1.0.0" } });
  await get("/");
  await get("/-/healthy");
  await get("/-/ready");
  await get("/nope");
  await get("/-/reload", { method: "POST" });
  await get(`/probe?module=withcreds&target=${encodeURIComponent(up.url("/status/503"))}`);
  await get(`/probe?module=withcreds&target=${encodeURIComponent(up.url("/garbage"))}`);
  await get(`/probe?module=withcreds&target=${encodeURIComponent(`http://127.0.0.1:1/`)}`);
  await get(
    `/probe?module=withcreds&target=${
      encodeURIComponent(`http://x:${secrets.userinfo}@127.0.0.1:${up.port}/`)
    }`,
  );
  await get("/metrics", { headers: { "x-prometheus-scrape-timeout-seconds": "nope" } });
  // The credentials were really sent to the upstream (so their absence below means something).
  const seen = up.requests.map((r) => JSON.stringify(r.headers)).join("\n");
  assert.ok(seen.includes(secrets.token) && seen.includes(secrets.header), "bearer token and header sent");
  assert.ok(seen.includes(btoa(`scraper:${secrets.password}`)), "basic auth sent");
  const check = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", "check", "--config.file", config.path],
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const checkOut = new TextDecoder().decode(check.stdout) + new TextDecoder().decode(check.stderr);
  main.kill("SIGTERM");
  await main.status;
  const outputs = [...bodies, ...main.stderr, main.stdout(), checkOut];
  const leaks = outputs.filter((o) => forbidden.some((f) => o.includes(f)));
  record("A3 secrets", { outputs_checked: outputs.length, leaks: leaks.length });
  assert.deepEqual(leaks, []);
});

Deno.test("security: upstream credentials never follow a redirect to another origin", async () => {
  await using up = FaultServer.start();
  await using canary = FaultServer.start();
  const secret = `pw-${crypto.randomUUID()}`;
  const hop = encodeURIComponent(canary.url("/ok"));
  const creds =
    `basic_auth: { username: scraper, password: "${secret}" }, headers: { X-Api-Key: "${secret}" }`;
  await using config = await tempFile(
    [
      "targets:",
      "  - name: same_origin_default",
      `    url: "${up.url(`/redirect?to=${hop}`)}"`,
      "    labels: { upstream: same_origin_default }",
      `    http: { ${creds} }`,
      "  - name: policy_any",
      `    url: "${up.url(`/redirect?status=307&to=${hop}`)}"`,
      "    labels: { upstream: policy_any }",
      `    http: { ${creds}, redirect_policy: any }`,
      "",
    ].join("\n"),
  );
  await using main = await spawnStart(["--config.file", config.path]);
  const text = await (await fetch(`${main.origin}/metrics`)).text();
  // Default policy: the cross-origin hop is not followed at all.
  assert.equal(valueOf(text, "prom_exporter_up", { upstream: "same_origin_default" }), 0, text);
  // Policy any: followed, but without credentials, configured headers or body.
  assert.equal(valueOf(text, "prom_exporter_up", { upstream: "policy_any" }), 1, text);
  assert.equal(canary.requestCount, 1, "only the policy-any hop reaches the other origin");
  const sent = up.requests.map((r) => r.headers);
  assert.ok(sent.every((h) => h.authorization !== undefined && h["x-api-key"] === secret), "origin got them");
  const leaked = canary.requests.filter((r) =>
    r.headers.authorization !== undefined || "x-api-key" in r.headers
  );
  assert.deepEqual(leaked, []);
  record("U7/M2 redirect credentials", {
    canary_requests: canary.requestCount,
    canary_with_credentials: leaked.length,
  });
});
