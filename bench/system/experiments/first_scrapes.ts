/**
 * How long `/-/healthy` waits while a fresh exporter takes its first scrapes of a large upstream (issue 7's
 * "`/-/healthy` under 50 ms during a 100k scrape", for the scrapes the bench's probe leaves out): the first
 * (the pipeline, and the memo reading the shape) and the second (the memo building its answers from two
 * tagged runs), then a third (a memo hit). For text (`bench/system/configs/typical.yaml`) and JSON (the
 * seed's flags) at `--series` keys, one fresh process per run, the three scrapes one after another, each
 * with `/-/healthy` asked every 3 ms while it runs. With `--before DIR`, the exporter of another checkout
 * (a `git worktree` of the commit to compare) takes turns with this one, run by run.
 *
 * Prints, per tree, format and scrape: the scrape's time and the longest `/-/healthy` answer during it
 * (medians over `--runs`, with their ranges).
 *
 * Run: `deno run -A bench/system/experiments/first_scrapes.ts [--series 100000] [--runs 3] [--before DIR]`.
 * Bounded: every start waits at most 2 min, every scrape at most 60 s, at most 20,000 probes per scrape.
 *
 * @module
 */

import { out } from "../lib/io.ts";
import { medianRange, timedGet } from "../lib/load.ts";
import { benchExporterFlags, benchUpstreamSpawn, freePort, type Server, spawnServer } from "../lib/proc.ts";

const ROOT = new URL("../../..", import.meta.url).pathname.replace(/\/$/, "");
const IDENTITY = { "accept-encoding": "identity" };
const SCRAPES = 3;

function option(name: string): string | undefined {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

type Format = "text" | "json";

/** A fresh exporter of the checkout at `tree` on the bench upstream, as the bench starts it. */
function startExporter(tree: string, format: Format, upstream: string): Promise<Server> {
  const port = freePort();
  const url = format === "text" ? `${upstream}/metrics` : `${upstream}/stats.json`;
  return spawnServer({
    name: "exporter",
    cmd: Deno.execPath(),
    args: [
      "run",
      "-A",
      "--v8-flags=--max-semi-space-size=2",
      `${tree}/main.ts`,
      "start",
      ...benchExporterFlags(tree, format, url, port),
    ],
    cwd: tree,
    port,
    readyPath: "/-/healthy",
    startTimeoutMs: 120_000,
  });
}

/** A scrape's time and the longest `/-/healthy` answer during it. */
interface Probed {
  scrapeMs: number;
  maxMs: number;
}

/** One scrape, with `/-/healthy` asked every 3 ms while it runs: its time and the longest probe. */
async function scrapeProbed(origin: string): Promise<Probed> {
  let running = true;
  const scrape = timedGet(`${origin}/metrics`, IDENTITY, 60_000).finally(() => running = false);
  let maxMs = 0;
  for (let i = 0; i < 20_000 && running; i++) {
    maxMs = Math.max(maxMs, (await timedGet(`${origin}/-/healthy`, {}, 60_000))[0]);
    await new Promise((r) => setTimeout(r, 3));
  }
  return { scrapeMs: (await scrape)[0], maxMs };
}

async function main(): Promise<void> {
  const series = Number(option("series") ?? 100_000);
  const runs = Number(option("runs") ?? 3);
  const before = option("before");
  const trees: [string, string][] = [
    ["this tree", ROOT],
    ...before ? [["before", before] as [string, string]] : [],
  ];
  const upstream = await spawnServer(benchUpstreamSpawn(series));
  // results[tree][format][scrape] = runs
  const results = trees.map(() => ({ text: [] as Probed[][], json: [] as Probed[][] }));
  try {
    for (let r = 0; r < runs; r++) {
      for (const format of ["text", "json"] as const) {
        // In turns, so a busy minute on the shared machine falls on every tree alike.
        for (const [t, [, tree]] of trees.entries()) {
          const server = await startExporter(tree, format, upstream.origin);
          try {
            for (let k = 0; k < SCRAPES; k++) {
              (results[t][format][k] ??= []).push(await scrapeProbed(server.origin));
            }
          } finally {
            await server.stop();
          }
        }
      }
    }
  } finally {
    await upstream.stop();
  }
  out(`${series} series or keys, fresh process per run, medians of ${runs} runs (ranges)\n\n`);
  out(
    "| tree | format | scrape | scrape ms | longest `/-/healthy` ms |\n| --- | --- | ---: | ---: | ---: |\n",
  );
  for (const [t, [name]] of trees.entries()) {
    for (const format of ["text", "json"] as const) {
      for (let k = 0; k < SCRAPES; k++) {
        const rows = results[t][format][k];
        out(
          `| ${name} | ${format} | ${k + 1} | ${medianRange(rows.map((x) => x.scrapeMs))} | ` +
            `${medianRange(rows.map((x) => x.maxMs))} |\n`,
        );
      }
    }
  }
}

if (import.meta.main) await main();
