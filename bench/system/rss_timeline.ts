/**
 * Where the exporter's peak RSS comes from: one exporter process per V8 flag set, against the bench upstream
 * (100k text series by default, typical rules), scraped one request at a time; prints peak RSS (`VmHWM`)
 * after the first scrape (the whole pipeline), after the second (the memo builds its answer: two more pipeline
 * runs) and after `--scrapes` in all (memo hits), plus the V8 heap the exporter reports itself.
 *
 * Run: `deno run -A bench/system/rss_timeline.ts [--series 100000] [--scrapes 36] [FLAGS ...]`, where each FLAGS is
 * a comma-separated `--v8-flags` value (`default` for none), e.g.
 * `deno run -A bench/system/rss_timeline.ts default --max-semi-space-size=2 --memory-saver-mode`.
 *
 * @module
 */

import { out } from "./lib/io.ts";
import { benchUpstreamSpawn, freePort, type Server, spawnServer, statusMiB } from "./lib/proc.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const DENO = Deno.execPath();

function option(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

const series = option("series", 100_000);
const scrapes = option("scrapes", 36);
const flagSets = Deno.args.filter((a, i) =>
  !a.startsWith("--series") && !a.startsWith("--scrapes") &&
  !/^--(series|scrapes)$/.test(Deno.args[i - 1] ?? "")
);

async function scrape(origin: string): Promise<string> {
  // Without the header, Deno's fetch asks for gzip, and the bench measures without it.
  const res = await fetch(origin + "/metrics", {
    headers: { "accept-encoding": "identity" },
    signal: AbortSignal.timeout(60_000),
  });
  return await res.text();
}

const upstream = await spawnServer(benchUpstreamSpawn(series));
out(`| V8 flags | start | after scrape 1 | after scrape 2 | after ${scrapes} | V8 heap at the end |\n`);
out(`| --- | ---: | ---: | ---: | ---: | ---: |\n`);
try {
  for (const set of flagSets.length === 0 ? ["default"] : flagSets) {
    const port = freePort();
    const v8 = set === "default" ? [] : [`--v8-flags=${set}`];
    let exporter: Server | undefined;
    try {
      exporter = await spawnServer({
        name: "exporter",
        cmd: DENO,
        args: [
          "run",
          "-A",
          ...v8,
          `${ROOT}/main.ts`,
          "start",
          "--config.file",
          `${ROOT}/bench/system/configs/typical.yaml`,
        ]
          .concat(["-u", `${upstream.origin}/metrics`, "--web.listen-address", `127.0.0.1:${port}`])
          .concat(["--upstream.max-body-bytes", String(1 << 30), "--log.level", "error"]),
        port,
        readyPath: "/-/healthy",
      });
      const peaks = [statusMiB(exporter.pid, "VmHWM")];
      let last = "";
      for (let i = 1; i <= scrapes; i++) {
        last = await scrape(exporter.origin);
        if (i <= 2) peaks.push(statusMiB(exporter.pid, "VmHWM"));
      }
      peaks.push(statusMiB(exporter.pid, "VmHWM"));
      const heap = Number(/^process_heap_bytes (\S+)$/m.exec(last)?.[1] ?? NaN) / 1048576;
      out(`| ${set} | ${peaks.map((p) => p.toFixed(1)).join(" | ")} | ${heap.toFixed(1)} |\n`);
    } finally {
      await exporter?.stop();
    }
  }
} finally {
  await upstream.stop();
}
