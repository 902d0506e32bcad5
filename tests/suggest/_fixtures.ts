/**
 * The fixtures `suggest` is tried on (each cookbook recipe's upstream body and the seed's JSON) and one run of
 * the whole path through main.ts's `run`: `suggest` against a real upstream on 127.0.0.1, the suggestion
 * written to a file, `check --config.file` on it, then `once` with it. Shared by tests/suggest/ and
 * bench/micro/experiments/suggest_vs_cookbook.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { run } from "../../main.ts";
import { SEED_JSON, serveUpstream } from "../_lib/helpers.ts";
import { promtoolCheck } from "../_lib/validators.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** One upstream body to suggest a config for. */
export interface SuggestFixture {
  /** The cookbook recipe, or `seed`. */
  name: string;
  /** The URL path the upstream serves it on (its last segment names arrays at the top). */
  path: string;
  /** The body. */
  body: string;
  /** Its content type. */
  contentType: string;
  /** The cookbook's exposition for it, or `undefined` for the seed (compared with seed.yaml's `once`). */
  expected?: string;
}

/** The seed's JSON with the latencies of the example. */
export const SEED_DOC = { ...SEED_JSON, request_p99: 0.25, request_p95: 0.125 };

/** Every cookbook recipe's upstream body (the first of two-services' two), and the seed's JSON. */
export function suggestFixtures(): SuggestFixture[] {
  const out: SuggestFixture[] = [];
  const dirs = [...Deno.readDirSync(`${ROOT}examples/cookbook`)].filter((e) => e.isDirectory).map((e) =>
    e.name
  )
    .sort();
  for (const dir of dirs) {
    const files = [...Deno.readDirSync(`${ROOT}examples/cookbook/${dir}`)].map((e) => e.name)
      .filter((f) => f !== "config.yaml" && !f.startsWith("expected")).sort();
    for (const file of files) {
      out.push({
        name: files.length > 1 ? `${dir}/${file}` : dir,
        path: `/${file}`,
        body: Deno.readTextFileSync(`${ROOT}examples/cookbook/${dir}/${file}`),
        contentType: file.endsWith(".json") ? "application/json" : "text/plain; version=0.0.4",
        expected: Deno.readTextFileSync(`${ROOT}examples/cookbook/${dir}/expected.prom`),
      });
    }
  }
  out.push({
    name: "seed",
    path: "/stats.json",
    body: JSON.stringify(SEED_DOC),
    contentType: "application/json",
  });
  return out;
}

/** Runs main.ts's `run` with these arguments; exit code, stdout and stderr. */
export async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "", stderr = "";
  const code = await run(args, {
    env: {},
    stdout: (t) => stdout += t,
    stderr: (t) => stderr += t,
    cwd: Deno.cwd(),
  });
  return { code, stdout, stderr };
}

/** What one fixture gave: the suggestion, and what `check` and `once` said about it. */
export interface SuggestRun {
  /** The suggested YAML. */
  yaml: string;
  /** `check --config.file` on it. */
  check: { code: number; stdout: string; stderr: string };
  /** `once --config.file` with it, without the exporter's own metrics. */
  once: { code: number; stdout: string; stderr: string };
}

/** suggest → check → once for one fixture, against a real upstream on 127.0.0.1. */
export async function suggestAndRun(f: SuggestFixture, service = "svc"): Promise<SuggestRun> {
  await using upstream = serveUpstream({
    [f.path]: new Response(f.body, { headers: { "content-type": f.contentType } }),
  });
  const suggested = await runMain(["suggest", "-u", `${upstream.origin}${f.path}`, "-s", service]);
  if (suggested.code !== 0) throw new Error(`suggest failed for ${f.name}: ${suggested.stderr}`);
  const dir = await Deno.makeTempDir({ prefix: "prom-exporter-suggest-" });
  try {
    const file = `${dir}/config.yaml`;
    await Deno.writeTextFile(file, suggested.stdout);
    const check = await runMain(["check", "--config.file", file]);
    const once = await runMain(["once", "--config.file", file, "--web.disable-exporter-metrics"]);
    return { yaml: suggested.stdout, check, once };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The upstream series of an exposition (`name{labels}`), without the exporter's own `prom_exporter_*`. */
export function seriesOf(text: string): string[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("prom_exporter_"))
    .map((l) => l.slice(0, l.lastIndexOf(" ")));
}

/**
 * Asserts that a run went through cleanly: `check` and `once` exit 0, `once` logs no warning (a `series
 * conflict` exits 0 but drops a family), and promtool accepts the exposition. Returns its upstream series.
 */
export async function assertCleanRun(r: SuggestRun): Promise<string[]> {
  assert.equal(r.check.code, 0, `${r.yaml}\n${r.check.stderr}`);
  assert.equal(r.once.code, 0, `${r.yaml}\n${r.once.stderr}`);
  assert.doesNotMatch(r.once.stderr, /level=warn|series conflict/, `${r.yaml}\n${r.once.stderr}`);
  const series = seriesOf(r.once.stdout);
  assert.ok(series.length > 0, r.yaml);
  const p = await promtoolCheck(r.once.stdout);
  assert.ok(p.ok, `${r.yaml}\n${p.output}`);
  return series;
}
