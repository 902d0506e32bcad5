import assert from "node:assert/strict";
import { httpOptionsSchema } from "../../src/config/http_options.ts";
import { modulesSchema } from "../../src/config/modules.ts";
import { UpstreamError } from "../../src/errors.ts";
import { parsePrometheusText } from "../../src/formats/text/mod.ts";
import { createLogger } from "../../src/log.ts";
import {
  type AllowList,
  checkTarget,
  compileAllowList,
  type PinnedAddress,
  type Resolver,
  systemResolver,
} from "../../src/config/allow.ts";
import { handleProbe, type ProbeDeps, type ProbeModule } from "../../src/server/probe.ts";
import type { ScrapeResult } from "../../src/scrape/mod.ts";
import { SingleFlight } from "../../src/scrape/singleflight.ts";
import { createUpstreamClient, type UpstreamClient } from "../../src/upstream/mod.ts";
import { serveUpstream } from "../_lib/helpers.ts";
import { canary, tempDir } from "../_lib/ops_helpers.ts";

// ---- allow.ts -------------------------------------------------------------------------------------------

/** A resolver for names this machine has no DNS for; every other name goes to the system resolver. */
function fakeDns(table: Record<string, string[]>): Resolver {
  return (host) => {
    const found = table[host];
    if (found === undefined) return systemResolver(host);
    return Promise.resolve(found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })));
  };
}

async function check(target: string, allow: AllowList | null, resolve: Resolver = systemResolver) {
  return await checkTarget(new URL(target), { allow, module: "m", resolve });
}

async function refused(target: string, allow: AllowList | null, resolve?: Resolver): Promise<string> {
  try {
    await check(target, allow, resolve);
  } catch (e) {
    assert.ok(e instanceof UpstreamError && e.reason === "forbidden", `expected forbidden, got ${e}`);
    return e.message;
  }
  return assert.fail(`"${target}" was allowed`);
}

Deno.test("compileAllowList() names the entry that is not a host, URL prefix or CIDR", () => {
  for (
    const [entry, why] of [
      ["10.0.0.0/33", /prefix length must be 0 to 32/],
      ["fd00::/129", /prefix length must be 0 to 128/],
      ["bogus/8", /"bogus" is not an IP address/],
      ["ftp://host/", /must be http or https/],
      ["http://u:p@host/", /must not hold credentials/],
      ["host/path", /is not an IP address/],
      ["host:99999", /not a host/],
    ] as const
  ) {
    assert.throws(
      () => compileAllowList([entry]),
      (e: unknown) => e instanceof RangeError && e.message.includes(`"${entry}"`) && why.test(e.message),
      entry,
    );
  }
});

Deno.test("checkTarget() matches host, host:port, wildcard, URL prefix and CIDR entries", async () => {
  const dns = fakeDns({
    "api.example.com": ["10.1.2.3"],
    "a.svc.test": ["10.9.9.9"],
    "db.test": ["192.168.1.5"],
  });
  const allow = compileAllowList([
    "api.example.com:8443",
    "*.svc.test",
    "http://static.test/metrics/",
    "192.168.0.0/16",
    "2001:db8::/32",
  ]);
  assert.deepEqual(await check("https://api.example.com:8443/x", allow, dns), {
    address: "10.1.2.3",
    family: 4,
  });
  assert.match(
    await refused("https://api.example.com/x", allow, dns),
    /not in allowed_targets of module "m"/,
  );
  assert.deepEqual(await check("http://a.svc.test/", allow, dns), { address: "10.9.9.9", family: 4 });
  assert.deepEqual(await check("http://db.test:5000/", allow, dns), { address: "192.168.1.5", family: 4 });
  assert.deepEqual(await check("http://[2001:db8::7]:9100/", allow, dns), {
    address: "2001:db8:0:0:0:0:0:7",
    family: 6,
  });
  const staticDns = fakeDns({ "static.test": ["10.0.0.1"] });
  await check("http://static.test/metrics/node", allow, staticDns);
  await refused("http://static.test/metricsx", allow, staticDns);
  await refused("http://static.test/metrics/../admin", allow, staticDns);
});

Deno.test("checkTarget() sees through decimal, hex, octal and IPv4-mapped spellings of an address", async () => {
  const loopback = compileAllowList(["127.0.0.0/8"]);
  const other = compileAllowList(["10.0.0.0/8"]);
  for (
    const t of [
      "http://2130706433/",
      "http://0x7f.1/",
      "http://017700000001/",
      "http://127.1/",
      "http://[::ffff:127.0.0.1]/",
    ]
  ) {
    assert.deepEqual(await check(t, loopback), { address: "127.0.0.1", family: 4 }, t);
    await refused(t, other);
  }
});

Deno.test("checkTarget() refuses link-local and metadata addresses unless a CIDR names them", async () => {
  for (
    const t of [
      "http://169.254.169.254/latest/meta-data/",
      "http://2852039166/",
      "http://[::ffff:169.254.169.254]/",
      "http://[64:ff9b::a9fe:a9fe]/",
      "http://[fe80::1]/",
      "http://0.0.0.0:9100/",
      "http://[fd00:ec2::254]/",
    ]
  ) {
    assert.match(await refused(t, null), /link-local, metadata or unspecified/, t);
  }
  await refused("http://169.254.169.254/", compileAllowList(["169.254.169.254"]));
  await check("http://169.254.169.254/", compileAllowList(["169.254.169.254/32"]));
  await check("http://[fe80::1]/", compileAllowList(["fe80::/10"]));
});

Deno.test("checkTarget() checks the resolved addresses and pins an allowed one", async () => {
  const dns = fakeDns({ "rebind.test": ["169.254.169.254"], "multi.test": ["169.254.169.254", "10.0.0.7"] });
  await refused("http://rebind.test/", compileAllowList(["rebind.test"]), dns);
  assert.deepEqual(await check("http://multi.test/", null, dns), { address: "10.0.0.7", family: 4 });
  assert.deepEqual(await check("http://localhost:9100/", compileAllowList(["127.0.0.0/8"])), {
    address: "127.0.0.1",
    family: 4,
  });
  await assert.rejects(
    () => check("http://nonexistent.invalid/", null),
    (e: unknown) => e instanceof UpstreamError && e.reason === "network",
  );
});

Deno.test("checkTarget() refuses other schemes and credentials in the target", async () => {
  assert.match(await refused("file:///etc/passwd", null), /only http and https/);
  assert.match(await refused("http://u:p@127.0.0.1/", null), /credentials in the target URL/);
});

Deno.test("checkTarget() matches a unix-socket module on the URL only", async () => {
  const allow = compileAllowList(["docker"]);
  assert.equal(
    await checkTarget(new URL("http://docker/metrics"), { allow, module: "m", resolve: null }),
    undefined,
  );
  await assert.rejects(() => checkTarget(new URL("http://other/"), { allow, module: "m", resolve: null }));
});

// ---- handler.ts -----------------------------------------------------------------------------------------

const LOG = createLogger({ level: "error", format: "logfmt", write: () => {} });

function moduleOf(client: UpstreamClient, allow: string[] | null): ProbeModule {
  return {
    allow: allow === null ? null : compileAllowList(allow),
    unixSocket: client.options.unixSocket !== undefined,
    timeoutMs: 5_000,
    async scrape(target, { signal, guard }): Promise<ScrapeResult> {
      const started = performance.now();
      const took = () => (performance.now() - started) / 1000;
      try {
        const body = await client.fetch(target, { signal, maxBodyBytes: 1 << 20, guard });
        const families = parsePrometheusText(new TextDecoder().decode(body.bytes), "prometheus");
        return { ok: true, families, skipped: 0, durationSeconds: took() };
      } catch (e) {
        return { ok: false, error: e as UpstreamError, durationSeconds: took() };
      }
    },
  };
}

function deps(modules: Record<string, ProbeModule>, extra: Partial<ProbeDeps> = {}): ProbeDeps {
  return {
    modules: () => new Map(Object.entries(modules)),
    allowAnyTarget: false,
    timeoutOffsetMs: 500,
    log: LOG,
    ...extra,
  };
}

async function probe(d: ProbeDeps, query: string): Promise<{ status: number; text: string }> {
  const res = await handleProbe(new Request(`http://exporter/probe?${query}`), d);
  return { status: res.status, text: await res.text() };
}

const q = (target: string, module = "m") => `target=${encodeURIComponent(target)}&module=${module}`;

Deno.test("handleProbe() answers 400 for a missing target, an unknown module or a module without a list", async () => {
  using c = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
  const d = deps({ m: moduleOf(c, ["127.0.0.1"]), open: moduleOf(c, null) });
  assert.deepEqual(await probe(d, "module=m"), { status: 400, text: 'Missing parameter "target"\n' });
  assert.deepEqual(await probe(d, q("http://127.0.0.1/", "nope")), {
    status: 400,
    text: 'Unknown module "nope"\n',
  });
  const open = await probe(d, q("http://127.0.0.1/", "open"));
  assert.equal(open.status, 400);
  assert.match(open.text, /no allowed_targets; list them, or start with --probe\.allow-any-target/);
});

Deno.test("handleProbe() answers only the target's families with up and duration", async () => {
  await using up = serveUpstream({ "/metrics": new Response("# TYPE jobs gauge\njobs 3\n") });
  using c = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
  const d = deps({ m: moduleOf(c, [new URL(up.origin).host]) });
  const { status, text } = await probe(d, q(`${up.origin}/metrics`));
  assert.equal(status, 200);
  assert.match(text, /^jobs 3$/m);
  assert.match(text, /^prom_exporter_up 1$/m);
  assert.match(text, /^prom_exporter_scrape_duration_seconds [0-9.e-]+$/m);
  assert.doesNotMatch(text, /process_|prom_exporter_build_info|prom_exporter_scrape_errors_total/);
});

Deno.test("handleProbe() refuses a target outside the list before any connection", async () => {
  await using target = canary();
  using c = await createUpstreamClient(httpOptionsSchema.parse({ bearer_token: "TOKEN" }), { baseDir: "/" });
  const d = deps({ m: moduleOf(c, ["10.0.0.0/8"]) }, { allowAnyTarget: true });
  const { status, text } = await probe(d, q(`${target.origin}/metrics`));
  assert.equal(status, 400);
  assert.equal(text, `Target "${target.origin}/metrics" is refused: not in allowed_targets of module "m"\n`);
  // The link-local rule holds even for a module allowed to probe anything.
  const open = deps({ m: moduleOf(c, null) }, { allowAnyTarget: true });
  assert.equal((await probe(open, q("http://169.254.169.254/latest/meta-data/"))).status, 400);
  assert.equal(target.connections(), 0);
});

Deno.test("handleProbe() checks every redirect hop and sends credentials only to allowed targets", async () => {
  await using target = canary();
  await using allowedOther = serveUpstream({ "/": new Response("other 1\n") });
  await using up = serveUpstream({
    "/to-canary": () => new Response(null, { status: 302, headers: { location: `${target.origin}/` } }),
    "/to-other": () => new Response(null, { status: 302, headers: { location: `${allowedOther.origin}/` } }),
  });
  const http = httpOptionsSchema.parse({ bearer_token: "TOKEN", redirect_policy: "any" });
  using c = await createUpstreamClient(http, { baseDir: "/" });
  const d = deps({ m: moduleOf(c, [new URL(up.origin).host, new URL(allowedOther.origin).host]) });
  const hop = await probe(d, q(`${up.origin}/to-canary`));
  assert.equal(hop.status, 200);
  assert.match(hop.text, /^prom_exporter_up 0$/m);
  assert.equal(target.connections(), 0);
  const other = await probe(d, q(`${up.origin}/to-other`));
  assert.match(other.text, /^other 1$/m);
  assert.equal(up.requests[1].headers.get("authorization"), "Bearer TOKEN");
  assert.equal(allowedOther.requests[0].headers.get("authorization"), null);
});

Deno.test("handleProbe() answers up 0 without fetching when the host does not resolve", async () => {
  using c = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
  const lines: string[] = [];
  const log = createLogger({ level: "warn", format: "logfmt", write: (l) => lines.push(l) });
  const d = deps({ m: moduleOf(c, ["*.invalid"]) }, { log });
  const { status, text } = await probe(d, q("http://nonexistent.invalid:9100/metrics"));
  assert.equal(status, 200);
  assert.match(text, /^prom_exporter_up 0$/m);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /msg="probe failed" module=m target=http:\/\/nonexistent\.invalid:9100\/metrics reason=network/,
  );
});

Deno.test("handleProbe() shares one upstream fetch between concurrent probes of one target", async () => {
  let hits = 0;
  await using up = serveUpstream({
    "/metrics": async () => {
      hits++;
      await new Promise((r) => setTimeout(r, 100));
      return new Response(`hits ${hits}\n`);
    },
  });
  using c = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
  const flight = new SingleFlight<ScrapeResult>();
  const d = deps({ m: moduleOf(c, ["127.0.0.1"]) }, { flight: () => flight });
  const answers = await Promise.all(Array.from({ length: 10 }, () => probe(d, q(`${up.origin}/metrics`))));
  assert.equal(hits, 1);
  for (const a of answers) assert.match(a.text, /^hits 1$/m);
});

Deno.test("modulesSchema requires allowed_targets on a module with credentials", () => {
  const bad = modulesSchema.safeParse({ m: { http: { bearer_token: "x" } } });
  assert.equal(bad.success, false);
  assert.match(bad.error?.issues[0].message ?? "", /needs allowed_targets/);
  assert.deepEqual(bad.error?.issues[0].path, ["m", "allowed_targets"]);
  const badEntry = modulesSchema.safeParse({ m: { allowed_targets: ["10.0.0.0/40"] } });
  assert.match(badEntry.error?.issues[0].message ?? "", /"10\.0\.0\.0\/40": prefix length/);
  const good = modulesSchema.parse({ m: { http: { bearer_token: "x" }, allowed_targets: ["10.0.0.0/8"] } });
  assert.equal(good.m.http.redirectPolicy, "same_origin");
  assert.equal(JSON.stringify(good).includes('"x"'), false);
});

Deno.test("handleProbe() probes over a unix socket module matched by name", async () => {
  await using dir = await tempDir();
  const ac = new AbortController();
  const server = Deno.serve({ path: `${dir.path}/s.sock`, signal: ac.signal, onListen: () => {} }, () => {
    return new Response("containers 4\n");
  });
  try {
    using c = await createUpstreamClient(httpOptionsSchema.parse({ unix_socket: `${dir.path}/s.sock` }), {
      baseDir: "/",
    });
    const d = deps({ m: moduleOf(c, ["docker"]) });
    assert.match((await probe(d, q("http://docker/metrics"))).text, /^containers 4$/m);
    assert.equal((await probe(d, q("http://elsewhere/metrics"))).status, 400);
  } finally {
    ac.abort();
    await server.finished;
  }
});

Deno.test("handleProbe() pins the fetch to the checked address", async () => {
  await using up = serveUpstream({
    "/m": (req) => new Response(`seen{host="${req.headers.get("host")}"} 1\n`),
  });
  const port = new URL(up.origin).port;
  using c = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
  const pinned: PinnedAddress[] = [];
  const dns: Resolver = (host) => {
    const a: PinnedAddress[] = host === "svc.test" ? [{ address: "127.0.0.1", family: 4 }] : [];
    pinned.push(...a);
    return Promise.resolve(a);
  };
  const d = deps({ m: moduleOf(c, ["svc.test"]) }, { resolve: dns });
  const { text } = await probe(d, q(`http://svc.test:${port}/m`));
  assert.match(text, new RegExp(`^seen\\{host="svc\\.test:${port}"\\} 1$`, "m"));
  assert.equal(pinned.length, 1, "resolved once: the first hop reuses the check");
});
