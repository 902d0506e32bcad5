/**
 * Where the peak RSS of a small upstream goes (issue 13's "passthrough + 64 MiB" at 10k series): the bench
 * upstream at `--series` text series (typical rules), 8 concurrent scrapers (wrk) for `--seconds`, one fresh
 * process per run, for three servers: the passthrough (bench/system/passthrough.ts), the exporter as shipped
 * (`--max-semi-space-size=2`), and the same exporter with a full GC forced every `--gc-ms` milliseconds. The
 * third is no proposal: it measures how much of the peak is memory already dead and waiting for V8's next
 * major GC (upstream bodies, answers and the native memory behind each request, which V8 frees only when it
 * collects their objects). The servers take turns, run after run. Prints idle RSS (after three scrapes,
 * before the load), peak RSS
 * (`VmHWM`), requests per second, and the exporter's own V8 heap at the end (`process_heap_bytes`), as
 * medians over `--runs` with their ranges.
 *
 * Run: `deno run -A bench/system/experiments/gc_floor.ts [--series 10000] [--seconds 10] [--runs 3]
 * [--gc-ms 100]`. Needs wrk. Bounded: every start waits at most 2 min, every load lasts `--seconds`.
 *
 * @module
 */

import { run } from "../../../main.ts";
import { err, out } from "../lib/io.ts";
import { haveWrk, medianRange, runWrk } from "../lib/load.ts";
import { benchUpstreamSpawn, type Server, spawnServer, statusMiB } from "../lib/proc.ts";

const ROOT = new URL("../../..", import.meta.url).pathname.replace(/\/$/, "");
const IDENTITY = { "accept-encoding": "identity" };

function option(name: string, fallback: number): number {
  const i = Deno.args.indexOf(`--${name}`);
  return i >= 0 ? Number(Deno.args[i + 1]) : fallback;
}

/** The child: the exporter in this process, with a full GC every `gcMs` (0: none), printing its port. */
async function child(upstream: string, gcMs: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gcMs > 0 && gc === undefined) throw new Error("--gc-ms needs --v8-flags=--expose-gc");
  const timer = gcMs > 0 ? setInterval(() => gc?.(), gcMs) : undefined;
  const stop = new AbortController();
  Deno.addSignalListener("SIGTERM", () => stop.abort());
  await run([
    "start",
    "--config.file",
    `${ROOT}/bench/system/configs/typical.yaml`,
    "-u",
    upstream,
    "--web.listen-address",
    "127.0.0.1:0",
    "--log.level",
    "error",
  ], {
    env: {},
    stdout: () => {},
    stderr: err,
    signal: stop.signal,
    cwd: ROOT,
    onListen: ({ port }) => out(JSON.stringify({ port }) + "\n"),
  });
  clearInterval(timer);
}

/** One measured run of one server. */
interface Measured {
  idle: number;
  peak: number;
  rps: number;
  heap: number;
}

async function measure(server: Server, seconds: number): Promise<Measured> {
  const url = server.origin + "/metrics";
  for (let i = 0; i < 3; i++) await (await fetch(url, { headers: IDENTITY })).arrayBuffer();
  const idle = statusMiB(server.pid, "VmRSS");
  const wrk = await runWrk(url, IDENTITY, { connections: 8, threads: 2, seconds });
  const peak = statusMiB(server.pid, "VmHWM");
  const text = await (await fetch(url, { headers: IDENTITY })).text();
  const heap = Number(/^process_heap_bytes (\S+)$/m.exec(text)?.[1] ?? NaN) / 2 ** 20;
  return { idle, peak, rps: wrk.rps, heap };
}

async function main(): Promise<void> {
  const series = option("series", 10_000);
  const seconds = option("seconds", 10);
  const runs = option("runs", 3);
  const gcMs = option("gc-ms", 100);
  if (!haveWrk()) throw new Error("gc_floor needs wrk (apt-get install wrk)");
  const upstream = await spawnServer(benchUpstreamSpawn(series));
  const url = upstream.origin + "/metrics";
  const self = new URL(import.meta.url).pathname;
  const servers: [string, () => Promise<Server>][] = [
    ["passthrough", () =>
      spawnServer({
        name: "passthrough",
        cmd: Deno.execPath(),
        args: ["run", "--allow-net=127.0.0.1", `${ROOT}/bench/system/passthrough.ts`, "--upstream", url],
        port: "stdout-json",
        readyPath: "/-/healthy",
        startTimeoutMs: 120_000,
      })],
    ...[0, gcMs].map((ms): [string, () => Promise<Server>] => [
      ms === 0 ? "exporter" : `exporter, full GC every ${ms} ms`,
      () =>
        spawnServer({
          name: "exporter",
          cmd: Deno.execPath(),
          args: [
            "run",
            "-A",
            "--v8-flags=--max-semi-space-size=2,--expose-gc",
            self,
            "--child",
            url,
            String(ms),
          ],
          port: "stdout-json",
          readyPath: "/-/healthy",
          startTimeoutMs: 120_000,
        }),
    ]),
  ];
  out(`${series} text series, typical rules, 8 scrapers (wrk) for ${seconds} s; medians of ${runs} runs\n\n`);
  out(
    "| server | idle RSS MiB | peak RSS MiB | req/s | V8 heap at the end MiB |\n| --- | ---: | ---: | ---: | ---: |\n",
  );
  const rowsOf = servers.map((): Measured[] => []);
  try {
    // In turns, so a busy minute on the shared machine falls on every server alike.
    for (let r = 0; r < runs; r++) {
      for (const [i, [, start]] of servers.entries()) {
        const server = await start();
        try {
          rowsOf[i].push(await measure(server, seconds));
        } finally {
          await server.stop();
        }
      }
    }
    for (const [i, [name]] of servers.entries()) {
      const rows = rowsOf[i];
      const heaps = rows.map((m) => m.heap).filter(Number.isFinite);
      out(
        `| ${name} | ${medianRange(rows.map((m) => m.idle))} | ${medianRange(rows.map((m) => m.peak))} | ` +
          `${medianRange(rows.map((m) => m.rps))} | ${heaps.length > 0 ? medianRange(heaps) : "-"} |\n`,
      );
    }
  } finally {
    await upstream.stop();
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--child");
  if (at >= 0) await child(Deno.args[at + 1], Number(Deno.args[at + 2]));
  else await main();
}
