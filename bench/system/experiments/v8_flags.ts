/**
 * Which V8 flags the exporter ships with (`deno task start`, `deno task compile`, the Dockerfile): for each
 * flag set, one exporter process per upstream size, the bench upstream (bench/system/upstream.ts, typical rules)
 * at 1k, 10k and 100k text series, 8 concurrent scrapers (wrk, or a Deno loop without it) for a fixed time
 * after a warm-up of 3 scrapes (the first runs the whole pipeline, the second builds the memo). Prints, per
 * size and flag set, medians over `--runs` fresh exporters: peak RSS (`VmHWM`, MiB, warm-up included, with
 * its range), median and p99 latency under load, requests per second, and the scrapes the memory budget refused (`reason="memory"`: a refused answer is quick, so a
 * row with refusals is not comparable).
 *
 * Then the case of issue 13: 40 concurrent `/probe` scrapes of a 16 MiB text body (distinct URLs, so no
 * sharing), 3 rounds: whether the process survived, its peak RSS, and how many probes answered `up 1`.
 *
 * Run: `deno run -A bench/system/experiments/v8_flags.ts [--sizes 1k,10k,100k] [--seconds 10] [--runs 3]
 * [--probe-rounds 3] [FLAGS ...]`, each FLAGS a comma-separated `--v8-flags` value (`default` for none); without FLAGS:
 * `default`, `--max-semi-space-size=1`, `--max-semi-space-size=2`, `--max-old-space-size=256` and the two
 * semi-space sizes with it. Bounded: every process start waits at most 2 min, every load run lasts
 * `--seconds`, every probe round at most 60 s; sizes x flag sets x runs exporters in all.
 *
 * @module
 */

import { out } from "../lib/io.ts";
import { concurrentDeno, haveWrk, percentile, runWrk } from "../lib/load.ts";
import { benchUpstreamSpawn, freePort, type Server, spawnServer, statusMiB } from "../lib/proc.ts";
import { renderMetricsText } from "../upstream.ts";

const ROOT = new URL("../../..", import.meta.url).pathname.replace(/\/$/, "");
const IDENTITY = { "accept-encoding": "identity" };
const CONNECTIONS = 8;
const PROBES = 40;
const MIB = 1024 * 1024;
const DEFAULT_SETS = [
  "default",
  "--max-semi-space-size=1",
  "--max-semi-space-size=2",
  "--max-old-space-size=256",
  "--max-semi-space-size=1,--max-old-space-size=256",
  "--max-semi-space-size=2,--max-old-space-size=256",
];

// Our options take a value; every other argument is a flag set (they start with "--" too).
const OPTIONS: Record<string, string> = {
  "--sizes": "1k,10k,100k",
  "--seconds": "10",
  "--runs": "3",
  "--probe-rounds": "3",
};
const given: string[] = [];
for (let i = 0; i < Deno.args.length; i++) {
  const a = Deno.args[i];
  if (a in OPTIONS) OPTIONS[a] = Deno.args[++i] ?? "";
  else given.push(a);
}
const sizes = OPTIONS["--sizes"].split(",").filter(Boolean).map((s) => Number(s.replace(/k$/, "000")));
const seconds = Number(OPTIONS["--seconds"]);
const runs = Number(OPTIONS["--runs"]);
const probeRounds = Number(OPTIONS["--probe-rounds"]);
const sets = given.length > 0 ? given : DEFAULT_SETS;
const wrk = haveWrk();

/** Starts `main.ts start ARGS` with a flag set on a free port; waits until it answers. */
function startExporter(set: string, args: string[]): Promise<Server> {
  const port = freePort();
  const v8 = set === "default" ? [] : [`--v8-flags=${set}`];
  return spawnServer({
    name: "exporter",
    cmd: Deno.execPath(),
    args: ["run", "-A", ...v8, `${ROOT}/main.ts`, "start", ...args]
      .concat(["--web.listen-address", `127.0.0.1:${port}`, "--log.level", "error"]),
    port,
    readyPath: "/-/healthy",
    startTimeoutMs: 120_000,
  });
}

/** The sum of `prom_exporter_scrape_errors_total` or `prom_exporter_probe_errors_total` for reason memory. */
async function memoryRefusals(origin: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`, {
    headers: IDENTITY,
    signal: AbortSignal.timeout(60_000),
  })).text();
  let n = 0;
  for (
    const m of text.matchAll(
      /^prom_exporter_(?:scrape|probe)_errors_total\{[^}]*reason="memory"[^}]*\} (\S+)$/gm,
    )
  ) {
    n += Number(m[1]);
  }
  return n;
}

/** One run of one cell: a fresh exporter, warm-up, load. */
interface LoadRun {
  peak: number;
  p50: number;
  p99: number;
  rps: number;
  errors: number;
  refused: number;
}

async function loadRun(set: string, upstream: string): Promise<LoadRun> {
  const exporter = await startExporter(set, [
    "--config.file",
    `${ROOT}/bench/system/configs/typical.yaml`,
    "-u",
    upstream,
    "--upstream.max-body-bytes",
    String(1 << 30),
  ]);
  try {
    const url = `${exporter.origin}/metrics`;
    for (let i = 0; i < 3; i++) {
      await (await fetch(url, { headers: IDENTITY, signal: AbortSignal.timeout(60_000) })).arrayBuffer();
    }
    let p50: number, p99: number, rps: number, errors: number;
    if (wrk) {
      const r = await runWrk(url, IDENTITY, { connections: CONNECTIONS, threads: 2, seconds });
      [p50, p99, rps, errors] = [r.p50, r.p99, r.rps, r.errors];
    } else {
      const r = await concurrentDeno(url, IDENTITY, CONNECTIONS, { count: 100_000, maxMs: seconds * 1000 });
      [p50, p99, rps, errors] = [percentile(r.latencies, 50), percentile(r.latencies, 99), r.rps, r.errors];
    }
    const peak = statusMiB(exporter.pid, "VmHWM");
    const refused = exporter.exited() ? NaN : await memoryRefusals(exporter.origin);
    return { peak, p50, p99, rps, errors, refused };
  } finally {
    await exporter.stop();
  }
}

/** `runs` runs of one cell: medians, with the range of the peak RSS. */
async function loadRow(series: number, set: string, upstream: string): Promise<string> {
  const all: LoadRun[] = [];
  for (let i = 0; i < runs; i++) all.push(await loadRun(set, upstream));
  const med = (f: (r: LoadRun) => number) => percentile(all.map(f), 50);
  const sum = (f: (r: LoadRun) => number) => all.reduce((n, r) => n + f(r), 0);
  const peaks = all.map((r) => r.peak);
  return `| ${series / 1000}k | ${set} | ${med((r) => r.peak).toFixed(0)} (${
    Math.min(...peaks).toFixed(0)
  }-` +
    `${Math.max(...peaks).toFixed(0)}) | ${med((r) => r.p50).toFixed(1)} | ${
      med((r) => r.p99).toFixed(1)
    } | ` +
    `${med((r) => r.rps).toFixed(1)} | ${sum((r) => r.errors)} | ${sum((r) => r.refused)} |\n`;
}

/** A valid Prometheus text body of exactly 16 MiB: bench series, then a comment line to fill. */
function body16MiB(): Uint8Array<ArrayBuffer> {
  let n = 230_000;
  let text = renderMetricsText(n);
  while (text.length > 16 * MIB) text = renderMetricsText(n -= 1000);
  const pad = 16 * MIB - text.length;
  return new TextEncoder().encode(pad >= 2 ? `${text}#${" ".repeat(pad - 2)}\n` : text + " ".repeat(pad));
}

async function probeRow(set: string, origin: string, dir: string): Promise<string> {
  const port = new URL(origin).port;
  const config = `${dir}/probe.yaml`;
  await Deno.writeTextFile(config, `modules:\n  big:\n    allowed_targets: ["127.0.0.1:${port}"]\n`);
  const exporter = await startExporter(set, ["--config.file", config]);
  let up = 0;
  let answers = 0;
  try {
    for (let round = 0; round < probeRounds && !exporter.exited(); round++) {
      const results = await Promise.all(Array.from({ length: PROBES }, async (_, i) => {
        const target = encodeURIComponent(`${origin}/metrics?round=${round}&i=${i}`);
        try {
          const res = await fetch(`${exporter.origin}/probe?module=big&target=${target}`, {
            headers: IDENTITY,
            signal: AbortSignal.timeout(60_000),
          });
          const text = await res.text();
          return res.status === 200 ? (/^prom_exporter_up 1$/m.test(text) ? 1 : 0) : -1;
        } catch {
          return -1;
        }
      }));
      answers += results.filter((r) => r >= 0).length;
      up += results.filter((r) => r === 1).length;
    }
    const peak = statusMiB(exporter.pid, "VmHWM");
    const alive = !exporter.exited();
    return `| ${set} | ${alive ? "yes" : "**no**"} | ${alive ? peak.toFixed(0) : "-"} | ` +
      `${answers} / ${PROBES * probeRounds} | ${up} |\n`;
  } finally {
    await exporter.stop();
  }
}

out(
  `V8 flags, ${CONNECTIONS} scrapers for ${seconds} s (${wrk ? "wrk" : "Deno loop"}), typical rules, ` +
    `medians of ${runs} runs (errors and refusals: totals)\n\n`,
);
out("| series | V8 flags | peak RSS MiB (range) | p50 ms | p99 ms | req/s | errors | memory refusals |\n");
out("| -----: | -------- | -------------------: | -----: | -----: | ----: | -----: | --------------: |\n");
for (const series of sizes) {
  const upstream = await spawnServer(benchUpstreamSpawn(series));
  try {
    for (const set of sets) out(await loadRow(series, set, `${upstream.origin}/metrics`));
  } finally {
    await upstream.stop();
  }
}

if (probeRounds > 0) {
  const body = body16MiB();
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    () => new Response(body, { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } }),
  );
  const dir = await Deno.makeTempDir({ prefix: "prom-exporter-v8-flags-" });
  out(`\n${PROBES} concurrent /probe scrapes of a 16 MiB text body, ${probeRounds} rounds\n\n`);
  out(
    "| V8 flags | alive | peak RSS MiB | answers | up 1 |\n| -------- | ----- | -----------: | ------: | ---: |\n",
  );
  try {
    for (const set of sets) out(await probeRow(set, `http://127.0.0.1:${server.addr.port}`, dir));
  } finally {
    ac.abort();
    await server.finished;
    await Deno.remove(dir, { recursive: true });
  }
}
