/**
 * How far `prom-exporter suggest` is from the hand-written configs: for each cookbook recipe (and the seed's
 * JSON with examples/seed.yaml), the series `once` gives with the suggested config against the recipe's
 * expected.prom. An expected series is "same" when the suggestion gives it by name and labels, "renamed" when
 * it gives the same value with the expected label values among its own (names may differ), else "missing"; "extra" counts the
 * suggestion's other series. The `service` label is left out (the recipes name their own).
 *
 * Run: deno run -A bench/micro/experiments/suggest_vs_cookbook.ts
 *
 * @module
 */

import { runMain, SEED_DOC, suggestAndRun, suggestFixtures } from "../../../tests/suggest/_fixtures.ts";
import { serveUpstream } from "../../../tests/_lib/helpers.ts";

const ROOT = new URL("../../../", import.meta.url).pathname;

/** `once` with examples/seed.yaml against the seed's JSON: what the seed's hand-written config gives. */
async function seedOnce(): Promise<string> {
  await using upstream = serveUpstream({ "/stats.json": Response.json(SEED_DOC) });
  const dir = await Deno.makeTempDir({ prefix: "suggest-vs-seed-" });
  try {
    const yaml = (await Deno.readTextFile(`${ROOT}examples/seed.yaml`))
      .replace("http://127.0.0.1:8080", upstream.origin);
    await Deno.writeTextFile(`${dir}/seed.yaml`, yaml);
    return (await runMain(["once", "--config.file", `${dir}/seed.yaml`, "--web.disable-exporter-metrics"]))
      .stdout;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** One series: its name, its label pairs without `service`, its value. */
interface Series {
  name: string;
  labels: string[][];
  value: string;
}

function parseSeries(text: string): Series[] {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#") && !l.startsWith("prom_exporter_"))
    .map((l) => {
      const m = /^([^{ ]+)(?:\{(.*)\})? (\S+)$/.exec(l)!;
      const labels = [...(m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
        .map((p) => [p[1], p[2]]).filter(([k]) => k !== "service");
      return { name: m[1], labels, value: m[3] };
    });
}

const key = (s: Series) => `${s.name}{${s.labels.map(([k, v]) => `${k}=${v}`).sort().join(",")}}`;

const rows: string[][] = [];
const groups = new Map<string, { expected: string; got: string[] }>();
for (const f of suggestFixtures()) {
  const recipe = f.name.split("/")[0];
  const r = await suggestAndRun(f);
  const g = groups.get(recipe) ?? { expected: f.expected ?? await seedOnce(), got: [] };
  g.got.push(r.once.stdout);
  groups.set(recipe, g);
}
for (const [recipe, g] of groups) {
  const expected = parseSeries(g.expected);
  const got = g.got.flatMap(parseSeries);
  const exact = new Set(got.map(key));
  const left = [...got];
  let same = 0, renamed = 0, missing = 0;
  for (const s of expected) {
    if (exact.has(key(s))) {
      same++;
      continue;
    }
    // The same value, and every label value of the expected series among the suggestion's (names may differ).
    const i = left.findIndex((g) =>
      g.value === s.value && s.labels.every(([, v]) => g.labels.some(([, w]) => w === v))
    );
    if (i >= 0) {
      renamed++;
      left.splice(i, 1);
    } else missing++;
  }
  const extra = got.length - same - renamed;
  rows.push([recipe, String(expected.length), String(same), String(renamed), String(missing), String(extra)]);
}
const head = ["fixture", "expected", "same", "renamed", "missing", "extra"];
const out = [head, head.map(() => "---"), ...rows].map((r) => `| ${r.join(" | ")} |`).join("\n");
// deno-lint-ignore no-console
console.log(out);
