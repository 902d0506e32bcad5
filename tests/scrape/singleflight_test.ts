import assert from "node:assert/strict";
import { httpOptionsSchema } from "../../src/config/http_options.ts";
import { UpstreamError } from "../../src/errors.ts";
import { writeText } from "../../src/exposition/text.ts";
import { parsePrometheusText } from "../../src/formats/text/mod.ts";
import type { ScrapeResult } from "../../src/scrape/mod.ts";
import {
  LAST_SUCCESS_METRIC,
  lastSuccessFamily,
  sharedScrape,
  SingleFlight,
} from "../../src/scrape/singleflight.ts";
import { createUpstreamClient, type UpstreamClient } from "../../src/upstream/mod.ts";
import { serveUpstream } from "../_lib/helpers.ts";

/** An upstream whose answer changes on every request, after a delay, so shared answers are visible. */
function countingUpstream(delayMs: number) {
  let hits = 0;
  const up = serveUpstream({
    "/metrics": async () => {
      const n = ++hits;
      await new Promise((r) => setTimeout(r, delayMs));
      return new Response(`# TYPE hits gauge\nhits ${n}\n`);
    },
  });
  return { up, hits: () => hits };
}

function scraper(client: UpstreamClient, url: string) {
  return async (signal: AbortSignal): Promise<ScrapeResult> => {
    const started = performance.now();
    try {
      const body = await client.fetch(url, { signal, maxBodyBytes: 1 << 20 });
      const families = parsePrometheusText(new TextDecoder().decode(body.bytes), "prometheus");
      return { ok: true, families, skipped: 0, durationSeconds: (performance.now() - started) / 1000 };
    } catch (e) {
      return { ok: false, error: e as UpstreamError, durationSeconds: (performance.now() - started) / 1000 };
    }
  };
}

Deno.test("sharedScrape() gives 10 concurrent scrapes one upstream fetch and the same snapshot", async () => {
  const { up, hits } = countingUpstream(100);
  await using _ = up;
  using client = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
  const flight = new SingleFlight<ScrapeResult>();
  const work = scraper(client, `${up.origin}/metrics`);
  const results = await Promise.all(
    Array.from({ length: 10 }, () => sharedScrape(flight, "t", work, { signal: AbortSignal.timeout(5_000) })),
  );
  assert.equal(hits(), 1);
  assert.equal(up.requests.length, 1);
  for (const r of results) assert.equal(r, results[0], "the very same result object");
  const texts = results.map((r) => r.ok ? writeText(r.families) : "failed");
  assert.deepEqual(new Set(texts), new Set(["# TYPE hits gauge\nhits 1\n"]));
  // Once the flight has landed, the next scrape fetches again (no cache without min_interval).
  await sharedScrape(flight, "t", work, { signal: AbortSignal.timeout(5_000) });
  assert.equal(hits(), 2);
});

Deno.test("sharedScrape() lets a caller leave at its deadline without aborting the others' fetch", async () => {
  const { up, hits } = countingUpstream(300);
  await using _ = up;
  using client = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
  const flight = new SingleFlight<ScrapeResult>();
  const work = scraper(client, `${up.origin}/metrics`);
  const [short, long] = await Promise.all([
    sharedScrape(flight, "t", work, { signal: AbortSignal.timeout(50) }),
    sharedScrape(flight, "t", work, { signal: AbortSignal.timeout(5_000) }),
  ]);
  assert.equal(short.ok, false);
  assert.equal(!short.ok && short.error.reason, "timeout");
  assert.ok(short.durationSeconds < 0.25, `left at its deadline, took ${short.durationSeconds}s`);
  // The long caller's success proves the shared fetch went on after the short one left.
  assert.equal(long.ok, true);
  assert.equal(hits(), 1);
});

Deno.test("SingleFlight.run() aborts the shared fetch once every caller has left", async () => {
  const flight = new SingleFlight<string>();
  let sharedSignal: AbortSignal | undefined;
  const work = (signal: AbortSignal) => {
    sharedSignal = signal;
    return new Promise<string>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
  };
  const a = new AbortController();
  const b = new AbortController();
  const runs = [flight.run("k", work, { signal: a.signal }), flight.run("k", work, { signal: b.signal })];
  a.abort(new Error("a left"));
  await assert.rejects(runs[0], /a left/);
  assert.equal(sharedSignal?.aborted, false, "b still waits");
  b.abort(new Error("b left"));
  await assert.rejects(runs[1], /b left/);
  assert.equal(sharedSignal?.aborted, true);
});

Deno.test("SingleFlight.run() serves the last good result within min_interval, never a failure", async () => {
  let now = 1_000_000;
  const flight = new SingleFlight<{ ok: boolean; n: number }>({ now: () => now });
  let calls = 0;
  let fail = false;
  const work = () => Promise.resolve({ ok: !fail, n: ++calls });
  const opts = {
    signal: new AbortController().signal,
    minIntervalMs: 10_000,
    isGood: (v: { ok: boolean }) => v.ok,
  };
  const first = await flight.run("k", work, opts);
  assert.deepEqual(first, { value: { ok: true, n: 1 }, fromCache: false, atMs: 1_000_000 });
  now += 9_999;
  assert.deepEqual(await flight.run("k", work, opts), {
    value: { ok: true, n: 1 },
    fromCache: true,
    atMs: 1_000_000,
  });
  now += 1;
  fail = true;
  assert.deepEqual((await flight.run("k", work, opts)).value, { ok: false, n: 2 });
  assert.deepEqual((await flight.run("k", work, opts)).value, { ok: false, n: 3 }, "a failure is not cached");
  assert.equal(flight.lastSuccessMs("k"), 1_000_000);
  assert.equal(calls, 3);
});

Deno.test("lastSuccessFamily() has one series per target that succeeded", () => {
  const f = lastSuccessFamily([{ labels: ["service", "a"], atMs: 1_700_000_000_500 }, {
    labels: ["service", "b"],
    atMs: undefined,
  }]);
  assert.equal(
    writeText([f]),
    `# HELP ${LAST_SUCCESS_METRIC} Unix time of the last successful scrape of the upstream; with min_interval an answer can be this old.\n` +
      `# TYPE ${LAST_SUCCESS_METRIC} gauge\n${LAST_SUCCESS_METRIC}{service="a"} 1700000000.5\n`,
  );
});

Deno.test("sharedScrape() maps an error thrown by the work to an internal failure", async () => {
  const flight = new SingleFlight<ScrapeResult>();
  const r = await sharedScrape(flight, "k", () => Promise.reject(new Error("boom")), {
    signal: AbortSignal.timeout(1_000),
  });
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.error instanceof UpstreamError && r.error.reason === "internal");
});
