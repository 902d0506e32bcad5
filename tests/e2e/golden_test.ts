/**
 * Golden triplets: a config, upstream fixtures served by a real HTTP server on 127.0.0.1, and the exact
 * expected exposition. Each directory under tests/testdata/golden/ and examples/cookbook/ is one case:
 * - `config.yaml`: its URLs use `http://127.0.0.1:8080/<file>`, rewritten here to the test server;
 * - every other file except `expected.*` and `README.md` is served at `/<file>` (`.json` as JSON, `.prom` as
 *   text 0.0.4, `.om` as OpenMetrics, `.txt` as text/plain);
 * - `expected.prom`: the targets' families written as text 0.0.4 (no self metrics);
 * - `expected.om` (optional): the same as OpenMetrics;
 * - `expected.error` (instead of `expected.prom`): `reason: message` of the first failed scrape.
 * `UPDATE_GOLDEN=1 deno test -A tests/e2e/golden_test.ts` rewrites the expected files (review the diff!).
 */

import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/mod.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { DocumentBuilder } from "../../src/exposition/assemble.ts";
import { writeOpenMetrics } from "../../src/exposition/openmetrics.ts";
import { writeText } from "../../src/exposition/text.ts";
import type { MetricFamily } from "../../src/model.ts";
import { compileTarget, scrapeTarget, withSeriesCache } from "../../src/scrape/mod.ts";
import { type Route, serveUpstream } from "../_lib/helpers.ts";
import { assertWellFormed, promtoolCheck, pythonParseOpenMetrics, toolTest } from "../_lib/validators.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const UPDATE = Deno.env.get("UPDATE_GOLDEN") === "1";
const FAKE_ORIGIN = "http://127.0.0.1:8080";

const CONTENT_TYPES: Record<string, string> = {
  json: "application/json",
  prom: "text/plain; version=0.0.4; charset=utf-8",
  om: "application/openmetrics-text; version=1.0.0; charset=utf-8",
  txt: "text/plain; charset=utf-8",
};

function flagsFor(args: string[] = []) {
  const inv = parseCommandLine(["check", "--config.file", "config.yaml", ...args], {});
  if (inv.kind !== "run") throw new Error("unreachable");
  return inv.flags;
}

/** Case directories, relative to the repository root. */
function caseDirs(): string[] {
  const dirs: string[] = [];
  for (const parent of ["tests/testdata/golden", "examples/cookbook"]) {
    for (const e of Deno.readDirSync(ROOT + parent)) if (e.isDirectory) dirs.push(`${parent}/${e.name}`);
  }
  return dirs.sort();
}

function routesFor(dir: string): Record<string, Route> {
  const routes: Record<string, Route> = {};
  for (const e of Deno.readDirSync(ROOT + dir)) {
    if (!e.isFile || e.name === "config.yaml" || e.name.startsWith("expected.") || e.name === "README.md") {
      continue;
    }
    const ext = e.name.slice(e.name.lastIndexOf(".") + 1);
    const body = Deno.readFileSync(`${ROOT}${dir}/${e.name}`);
    routes[`/${e.name}`] = new Response(body, {
      headers: { "content-type": CONTENT_TYPES[ext] ?? "text/plain" },
    });
  }
  return routes;
}

/**
 * Runs one case: the targets' families, merged into one document by the server's own DocumentBuilder, or the
 * first failure as `reason: message` (a target refused by its `on_duplicate: error` fails with `duplicate`).
 * With `cached`, each target has a series cache (as a server's targets do) and is scraped three times: every
 * scrape must give the same families as the first, so cache hits are held to the same goldens.
 */
async function runCase(
  dir: string,
  cached = false,
): Promise<{ families: MetricFamily[] } | { error: string }> {
  await using upstream = serveUpstream(routesFor(dir));
  const text = Deno.readTextFileSync(`${ROOT}${dir}/config.yaml`).replaceAll(FAKE_ORIGIN, upstream.origin);
  const config = parseConfigText(text, `${dir}/config.yaml`, flagsFor(), ROOT);
  const doc = new DocumentBuilder();
  for (const t of config.targets) {
    const target = cached ? withSeriesCache(compileTarget(t)) : compileTarget(t);
    let r = await scrapeTarget(target, { signal: AbortSignal.timeout(5000) });
    for (let again = 0; cached && r.ok && again < 2; again++) {
      const next = await scrapeTarget(target, { signal: AbortSignal.timeout(5000) });
      assert.ok(next.ok, `${dir}: scrape ${again + 2} with the series cache failed`);
      assert.deepStrictEqual(next.families, r.families, `${dir}: scrape ${again + 2} with the series cache`);
      r = next;
    }
    if (!r.ok) return { error: `${r.error.reason}: ${r.error.message}` };
    const refused = doc.add({ source: t.name, families: r.families, onDuplicate: t.onDuplicate });
    if (refused !== null) return { error: `duplicate: ${refused}` };
  }
  return { families: doc.families() };
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

function check(path: string, got: string): void {
  if (UPDATE) Deno.writeTextFileSync(path, got);
  assert.equal(got, Deno.readTextFileSync(path), `golden ${path}`);
}

for (const dir of caseDirs()) {
  Deno.test(`golden ${dir}`, async () => {
    const base = `${ROOT}${dir}/`;
    const result = await runCase(dir);
    if (exists(base + "expected.error")) {
      assert.ok("error" in result, `${dir}: the scrape should fail`);
      check(base + "expected.error", result.error + "\n");
      return;
    }
    if ("error" in result) {
      if (!UPDATE) assert.fail(`${dir}: the scrape failed: ${result.error}`);
      Deno.writeTextFileSync(base + "expected.error", result.error + "\n");
      return;
    }
    check(base + "expected.prom", writeText(result.families));
    if (exists(base + "expected.om")) check(base + "expected.om", writeOpenMetrics(result.families));
  });

  Deno.test(`golden ${dir} with the series cache, three scrapes`, async () => {
    const base = `${ROOT}${dir}/`;
    const result = await runCase(dir, true);
    if ("error" in result) {
      assert.equal(result.error + "\n", Deno.readTextFileSync(base + "expected.error"));
      return;
    }
    assert.equal(writeText(result.families), Deno.readTextFileSync(base + "expected.prom"));
    if (exists(base + "expected.om")) {
      assert.equal(writeOpenMetrics(result.families), Deno.readTextFileSync(base + "expected.om"));
    }
  });

  if (!exists(`${ROOT}${dir}/expected.error`)) {
    toolTest(`golden ${dir}: expected.prom passes promtool check metrics`, ["promtool"], async () => {
      const text = Deno.readTextFileSync(`${ROOT}${dir}/expected.prom`);
      assertWellFormed(text, "text");
      const r = await promtoolCheck(text);
      assert.ok(r.ok, `promtool exit ${r.code}: ${r.output}`);
    });
  }
  if (exists(`${ROOT}${dir}/expected.om`)) {
    toolTest(`golden ${dir}: expected.om passes the strict OpenMetrics parser`, ["python"], async () => {
      const text = Deno.readTextFileSync(`${ROOT}${dir}/expected.om`);
      assertWellFormed(text, "openmetrics");
      await pythonParseOpenMetrics(text);
    });
  }
}

Deno.test("examples/seed.yaml works as written against a real upstream", async () => {
  const seed = JSON.parse(Deno.readTextFileSync(ROOT + "examples/seed.json"));
  const doc = { ...seed, request_p99: 0.25, request_p95: 0.125 };
  await using upstream = serveUpstream({ "/stats.json": Response.json(doc) });
  const text = Deno.readTextFileSync(ROOT + "examples/seed.yaml").replaceAll(FAKE_ORIGIN, upstream.origin);
  const config = parseConfigText(text, "examples/seed.yaml", flagsFor(), ROOT);
  assert.equal(config.targets.length, 1);
  const r = await scrapeTarget(compileTarget(config.targets[0]), { signal: AbortSignal.timeout(5000) });
  assert.ok(r.ok);
  const got = writeText(r.families);
  const path = ROOT + "tests/testdata/golden_seed/expected.prom";
  check(path, got);
  assert.match(got, /^requests_by_status_total\{code="2xx",service="foo"\} 90$/m);
  assert.match(got, /^request_latency_seconds\{latency="p99",service="foo"\} 0\.25$/m);
  assert.doesNotMatch(got, /exclude_me/);
});

Deno.test("examples/seed.yaml is the issue's example as written", () => {
  const issueExample = `targets:
  - name: foo
    url: http://127.0.0.1:8080/stats.json
    labels: { service: foo }
    rules:
      - exclude: [exclude_me]
      - match: 'requests_status_(?<code>[0-9]xx)'
        name: requests_by_status
        type: counter
        help: Requests answered, by status class.
      - match: 'request_(?<latency>p[0-9]+)'
        name: request_latency_seconds
      - rename: { uptime_sec: uptime_seconds }
`;
  assert.equal(Deno.readTextFileSync(ROOT + "examples/seed.yaml"), issueExample);
});
