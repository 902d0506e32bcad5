/**
 * The memory budget of scrapes in flight (issue 13, item 3): the budget and its leases, body reads within
 * it, and the whole exporter (`run()` in process, real sockets) holding bodies and answers within
 * `--scrape.max-inflight-bytes`, refusing with reason `memory`, and back to zero after many succeeding,
 * failing, timed-out and abandoned scrapes.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { DEFAULT_INFLIGHT_BODIES, parseCommandLine, UsageError } from "../../src/cli/mod.ts";
import { httpOptionsSchema } from "../../src/config/http_options.ts";
import { UpstreamError } from "../../src/errors.ts";
import { type BudgetLease, holdUntil, MemoryBudget, withLease } from "../../src/upstream/memory_budget.ts";
import { createUpstreamClient, fetchUpstream } from "../../src/upstream/mod.ts";
import { serveUpstream } from "../_lib/helpers.ts";
import { startExporter } from "../_lib/run.ts";
import { assertWellFormed } from "../_lib/validators.ts";

// ---- MemoryBudget, BudgetLease ---------------------------------------------------------------------------

Deno.test("MemoryBudget.take() refuses past the cap and takes nothing then", () => {
  const b = new MemoryBudget(100);
  assert.equal(b.take(40), true);
  assert.equal(b.take(60), true);
  assert.equal(b.used, 100);
  assert.equal(b.take(1), false);
  assert.equal(b.used, 100);
  assert.equal(b.take(0), true);
  b.release(100);
  assert.equal(b.used, 0);
});

Deno.test("MemoryBudget with limit 0 counts without a cap", () => {
  const b = new MemoryBudget(0);
  assert.equal(b.take(2 ** 40), true);
  assert.equal(b.used, 2 ** 40);
  b.release(2 ** 40);
  assert.equal(b.used, 0);
});

Deno.test("MemoryBudget.release() never goes below zero and rejects bad sizes", () => {
  const b = new MemoryBudget(10);
  b.take(5);
  assert.throws(() => b.release(6), RangeError);
  assert.equal(b.used, 5);
  for (const bad of [-1, 1.5, NaN, Infinity]) {
    assert.throws(() => b.take(bad), RangeError);
    assert.throws(() => b.release(bad), RangeError);
  }
  assert.equal(b.used, 5);
  assert.throws(() => new MemoryBudget(-1), RangeError);
  assert.throws(() => new MemoryBudget(0.5), RangeError);
});

Deno.test("BudgetLease gives back exactly what it took, once, and takes nothing after", () => {
  const b = new MemoryBudget(100);
  const a = b.lease();
  const c = b.lease();
  assert.equal(a.take(30), true);
  assert.equal(a.take(30), true);
  assert.equal(c.take(50), false);
  assert.equal(c.take(40), true);
  assert.deepEqual([a.held, c.held, b.used, a.limit], [60, 40, 100, 100]);
  a.release();
  a.release();
  assert.deepEqual([a.held, b.used], [0, 40]);
  assert.equal(a.take(1), false);
  {
    using _ = c;
  }
  assert.equal(b.used, 0);
});

Deno.test("withLease() releases when the work resolves, rejects or has no budget", async () => {
  const b = new MemoryBudget(1000);
  assert.equal(await withLease(b, (l) => Promise.resolve(l?.take(600))), true);
  assert.equal(b.used, 0);
  await assert.rejects(withLease(b, async (l) => {
    l?.take(500);
    await Promise.resolve();
    throw new Error("boom");
  }));
  assert.equal(b.used, 0);
  assert.equal(await withLease(undefined, (l) => Promise.resolve(l)), undefined);
});

Deno.test("holdUntil() holds until the promise settles either way, and refuses past the cap", async () => {
  const b = new MemoryBudget(100);
  const sent = Promise.withResolvers<void>();
  const gone = Promise.withResolvers<void>();
  assert.equal(holdUntil(b, 60, sent.promise), true);
  assert.equal(holdUntil(b, 50, gone.promise), false);
  assert.equal(holdUntil(b, 40, gone.promise), true);
  assert.equal(b.used, 100);
  sent.resolve();
  gone.reject(new Error("client went away"));
  await Promise.allSettled([sent.promise, gone.promise]);
  await Promise.resolve();
  assert.equal(b.used, 0);
  // Nothing says when an answer without `settled` is sent: it must fit, and is not held.
  assert.equal(holdUntil(b, 100, undefined), true);
  assert.equal(holdUntil(b, 101, undefined), false);
  assert.equal(b.used, 0);
});

Deno.test("MemoryBudget: any mix of leases stays within the cap, and is back to 0 once all are released", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 1000 }),
      fc.array(fc.tuple(fc.nat(7), fc.nat(400), fc.boolean()), { maxLength: 200 }),
      (limit, steps) => {
        const b = new MemoryBudget(limit);
        const leases: BudgetLease[] = Array.from({ length: 8 }, () => b.lease());
        for (const [i, n, release] of steps) {
          if (release) leases[i].release();
          else leases[i].take(n);
          const held = leases.reduce((sum, l) => sum + l.held, 0);
          assert.equal(b.used, held);
          assert.ok(b.used >= 0 && b.used <= limit);
        }
        for (const l of leases) l.release();
        assert.equal(b.used, 0);
      },
    ),
    { numRuns: 300 },
  );
});

Deno.test("--scrape.max-inflight-bytes: twice the body cap by default, 0 for no cap, a whole number, start only", () => {
  const flags = (args: string[]) => {
    const inv = parseCommandLine(["start", "-u", "http://127.0.0.1:1/", ...args], {});
    assert.ok(inv.kind === "run");
    return inv.flags;
  };
  assert.equal(flags([]).maxInflightBytes, 32 * 1024 * 1024);
  assert.equal(
    flags(["--upstream.max-body-bytes", "100000000"]).maxInflightBytes,
    DEFAULT_INFLIGHT_BODIES * 100_000_000,
  );
  assert.equal(flags(["--scrape.max-inflight-bytes", "0"]).maxInflightBytes, 0);
  assert.equal(flags(["--scrape.max-inflight-bytes=1048576"]).maxInflightBytes, 1 << 20);
  for (const bad of ["-1", "1.5", "32MiB", ""]) {
    assert.throws(
      () => flags(["--scrape.max-inflight-bytes", bad]),
      (e) => e instanceof UsageError && /--scrape\.max-inflight-bytes/.test(e.message),
      bad,
    );
  }
  assert.throws(
    () => parseCommandLine(["once", "-u", "http://127.0.0.1:1/", "--scrape.max-inflight-bytes", "1"], {}),
    /does not apply to "once"/,
  );
});

// ---- body reads within the budget ------------------------------------------------------------------------

/** A body of `n` bytes sent in `chunk`-byte pieces without a Content-Length. */
function chunked(n: number, chunk = 16 * 1024): Response {
  let sent = 0;
  return new Response(
    new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= n) return c.close();
        const size = Math.min(chunk, n - sent);
        c.enqueue(new Uint8Array(size).fill(0x61));
        sent += size;
      },
    }),
  );
}

async function refusal(p: Promise<unknown>): Promise<UpstreamError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof UpstreamError, `expected UpstreamError, got ${e}`);
    return e;
  }
  return assert.fail("the fetch succeeded");
}

Deno.test("fetchUpstream() refuses a declared body the budget has no room for, before reading it", async () => {
  await using up = serveUpstream({ "/big": new Response(new Uint8Array(300_000)) });
  const budget = new MemoryBudget(256 * 1024);
  using lease = budget.lease();
  const e = await refusal(fetchUpstream(`${up.origin}/big`, {
    signal: AbortSignal.timeout(5_000),
    maxBodyBytes: 1 << 20,
    budget: lease,
  }));
  assert.equal(e.reason, "memory");
  assert.equal(
    e.message,
    `Cannot fetch "${up.origin}/big": the scrapes in flight hold the memory budget (--scrape.max-inflight-bytes 262144)`,
  );
  assert.equal(budget.used, 0);
});

Deno.test("fetchUpstream() cancels a chunked body once the budget refuses its growth", async () => {
  await using up = serveUpstream({ "/stream": () => chunked(1 << 20) });
  const budget = new MemoryBudget(200 * 1024);
  const lease = budget.lease();
  const e = await refusal(fetchUpstream(`${up.origin}/stream`, {
    signal: AbortSignal.timeout(5_000),
    maxBodyBytes: 4 << 20,
    budget: lease,
  }));
  assert.equal(e.reason, "memory");
  // The buffer grew by doubling from 64 KiB: 128 KiB were taken, 256 KiB refused.
  assert.equal(lease.held, 128 * 1024);
  lease.release();
  assert.equal(budget.used, 0);
});

Deno.test("fetchUpstream() and UpstreamClient.fetch() take a body's buffer from the lease", async () => {
  const text = "a 1\n".repeat(50_000);
  await using up = serveUpstream({ "/fixed": new Response(text), "/stream": () => chunked(200_000) });
  const budget = new MemoryBudget(1 << 20);
  using client = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
  for (
    const [fetcher, path, held] of [
      ["fetch", "/fixed", text.length],
      ["client", "/fixed", text.length],
      ["fetch", "/stream", 256 * 1024],
      ["client", "/stream", 256 * 1024],
    ] as const
  ) {
    await withLease(budget, async (lease) => {
      const options = { signal: AbortSignal.timeout(5_000), maxBodyBytes: 1 << 20, budget: lease };
      const url = `${up.origin}${path}`;
      const got = fetcher === "fetch" ? await fetchUpstream(url, options) : await client.fetch(url, options);
      assert.ok(got.bytes.byteLength > 0, `${fetcher} ${path}`);
      assert.equal(lease?.held, held, `${fetcher} ${path}`);
    });
    assert.equal(budget.used, 0);
  }
});

Deno.test("UpstreamClient.fetch() takes a file:// body from the lease too", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/big.prom`, "a 1\n".repeat(100_000));
    using client = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: dir });
    const budget = new MemoryBudget(100_000);
    using lease = budget.lease();
    const e = await refusal(client.fetch(`file://${dir}/big.prom`, {
      signal: AbortSignal.timeout(5_000),
      maxBodyBytes: 1 << 20,
      budget: lease,
    }));
    assert.equal(e.reason, "memory");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---- the whole exporter ----------------------------------------------------------------------------------

const KIB = 1024;
/** Answers uncompressed, so their size is known: a gzipped answer holds only its compressed bytes. */
const IDENTITY = { headers: { "accept-encoding": "identity" } };

/** A valid text exposition of about `bytes` bytes. */
function exposition(bytes: number, name = "filler"): string {
  const lines = [`# TYPE ${name} gauge`];
  for (let i = 0, n = lines[0].length; n < bytes; i++) {
    const line = `${name}{i="${i}"} ${i}`;
    lines.push(line);
    n += line.length + 1;
  }
  return lines.join("\n") + "\n";
}

/** The value of the first sample line starting with `prefix` (name and labels), or undefined. */
function value(text: string, prefix: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(prefix + " "));
  return line === undefined ? undefined : Number(line.slice(prefix.length + 1));
}

/** Polls `/metrics` until `prom_exporter_inflight_bytes` is 0 (bounded), and returns the last answer. */
async function settled(base: string): Promise<string> {
  let text = "";
  for (let i = 0; i < 100; i++) {
    text = await (await fetch(`${base}/metrics`)).text();
    if (value(text, "prom_exporter_inflight_bytes") === 0) return text;
    await new Promise((r) => setTimeout(r, 50));
  }
  return assert.fail(`prom_exporter_inflight_bytes did not return to 0:\n${text}`);
}

Deno.test("start: bodies and answers stay within --scrape.max-inflight-bytes, and the budget returns to 0", async () => {
  const small = exposition(2 * KIB, "small");
  const half = exposition(100 * KIB, "half");
  await using up = serveUpstream({
    "/small": new Response(small),
    "/half": new Response(half),
    "/big": new Response(exposition(300 * KIB, "big")),
    "/stream": () => chunked(1 << 20),
    "/slow": async () => {
      await new Promise((r) => setTimeout(r, 300));
      return new Response(small);
    },
    "/500": new Response("no\n", { status: 500 }),
    // A small JSON body whose answer is many times larger (HELP and TYPE per key).
    "/wide.json": () =>
      Response.json(Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`key_${i}`, i]))),
  });
  const dir = await Deno.makeTempDir();
  const config = `${dir}/config.yaml`;
  await Deno.writeTextFile(
    config,
    `targets:
  - { name: small, url: "${up.origin}/small", labels: { t: small } }
  - { name: big, url: "${up.origin}/big", labels: { t: big } }
  - { name: stream, url: "${up.origin}/stream", labels: { t: stream }, max_body_bytes: 4194304 }
  - { name: slow, url: "${up.origin}/slow", labels: { t: slow }, timeout: 100ms }
  - { name: status, url: "${up.origin}/500", labels: { t: status } }
modules:
  m:
    allowed_targets: ["${new URL(up.origin).host}"]
`,
  );
  const ex = await startExporter([
    "--config.file",
    config,
    "--scrape.max-inflight-bytes",
    String(256 * KIB),
    "--web.max-requests",
    "0",
    "--log.level",
    "error",
  ]);
  try {
    const probe = (path: string) =>
      `${ex.base}/probe?module=m&target=${encodeURIComponent(up.origin + path)}`;

    // One of each, alone: what each says.
    const metrics = await (await fetch(`${ex.base}/metrics`, IDENTITY)).text();
    assertWellFormed(metrics, "text");
    for (const [t, up] of [["small", 1], ["big", 0], ["stream", 0], ["slow", 0], ["status", 0]] as const) {
      assert.equal(value(metrics, `prom_exporter_up{target="${t}",t="${t}"}`), up, t);
    }
    for (const t of ["big", "stream"]) {
      assert.equal(value(metrics, `prom_exporter_scrape_errors_total{target="${t}",reason="memory"}`), 1, t);
    }
    const halfAnswer = await (await fetch(probe("/half"), IDENTITY)).text();
    assert.match(halfAnswer, /^prom_exporter_up 1$/m);
    for (const path of ["/big", "/stream", "/wide.json"]) {
      const text = await (await fetch(probe(path), IDENTITY)).text();
      assertWellFormed(text, "text");
      assert.match(text, /^prom_exporter_up 0$/m, path);
      assert.doesNotMatch(text, /^(big|filler|key_0)\b/m, path);
    }
    const counted = await settled(ex.base);
    assert.equal(value(counted, 'prom_exporter_probe_errors_total{module="m",reason="memory"}'), 3);

    // Many at once, mixed: successes, refusals, timeouts, errors, HEAD, and clients that leave mid-answer.
    const kinds = ["metrics", "half", "small", "big", "stream", "wide", "500", "head", "abandon"] as const;
    const requests = Array.from({ length: 180 }, (_, i) => kinds[i % kinds.length]);
    const statuses = await Promise.all(requests.map(async (kind) => {
      const url = kind === "metrics" || kind === "head"
        ? `${ex.base}/metrics`
        : probe(kind === "abandon" ? "/half" : kind === "wide" ? "/wide.json" : `/${kind}`);
      if (kind === "abandon") {
        const ac = new AbortController();
        try {
          const res = await fetch(url, { ...IDENTITY, signal: ac.signal });
          ac.abort();
          await res.body?.cancel().catch(() => {});
        } catch {
          // Aborted before the answer: also fine.
        }
        return 200;
      }
      const res = await fetch(url, { ...IDENTITY, method: kind === "head" ? "HEAD" : "GET" });
      const text = await res.text();
      if (kind !== "head") assertWellFormed(text, "text");
      return res.status;
    }));
    assert.deepEqual(new Set(statuses), new Set([200]));
    const after = await settled(ex.base);
    assert.ok(
      (value(after, 'prom_exporter_probe_errors_total{module="m",reason="memory"}') ?? 0) > 3,
      "some probes were refused under load",
    );
    assert.equal(value(after, 'prom_exporter_scrape_errors_total{target="small",reason="internal"}'), 0);
  } finally {
    assert.equal(await ex.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("start: a /metrics answer the budget refuses becomes up 0 with reason memory for every target", async () => {
  await using up = serveUpstream({
    "/wide.json": () =>
      Response.json(Object.fromEntries(Array.from({ length: 4000 }, (_, i) => [`key_${i}`, i]))),
  });
  const ex = await startExporter([
    "-u",
    `${up.origin}/wide.json`,
    "-s",
    "wide",
    "--scrape.max-inflight-bytes",
    String(200 * KIB),
  ]);
  try {
    const res = await fetch(`${ex.base}/metrics`, IDENTITY);
    const text = await res.text();
    assert.equal(res.status, 200);
    assertWellFormed(text, "text");
    assert.ok(text.length < 16 * KIB, `a small answer: ${text.length} bytes`);
    assert.equal(value(text, 'prom_exporter_up{target="wide",service="wide"}'), 0);
    assert.equal(value(text, 'prom_exporter_scrape_errors_total{target="wide",reason="memory"}'), 1);
    assert.doesNotMatch(text, /^key_0\b/m);
    assert.match(
      ex.err.join(""),
      /reason=memory err="Cannot answer: the scrapes in flight hold the memory budget/,
    );
    await settled(ex.base);
  } finally {
    assert.equal(await ex.stop(), 0);
  }
});

Deno.test("deno task start, deno task compile and the Dockerfile run V8 with the same measured flags", async () => {
  const root = new URL("../../", import.meta.url);
  const tasks = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))).tasks;
  const docker = await Deno.readTextFile(new URL("Dockerfile", root));
  const flags = (text: string) => [...text.matchAll(/--v8-flags=(\S+)/g)].map((m) => m[1]);
  assert.deepEqual(flags(tasks.start), ["--max-semi-space-size=2"]);
  assert.deepEqual(flags(tasks.compile), flags(tasks.start));
  assert.deepEqual(flags(docker), flags(tasks.start));
});
