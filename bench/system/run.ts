/**
 * `deno task bench`: the whole-process bench. For each size it starts the upstream simulator
 * (bench/system/upstream.ts), then, one at a time and each as a fresh process, the passthrough baseline
 * (bench/system/passthrough.ts) and the exporter (`deno run -A main.ts start ...`, with
 * bench/system/configs/typical.yaml for Prometheus text, the seed's flags for JSON), optionally the original
 * Python design (`--seed FILE`), and
 * measures each: the first scrape of the fresh process, sequential scrape latency (median, p99), throughput
 * with 8 concurrent scrapers (wrk, else a Deno loop), CPU per scrape from /proc/PID/stat and peak RSS (VmHWM)
 * with one and with 8 scrapers. Each format and size runs in scenarios of upstream churn (issue 13): the
 * share of series keys that change on every scrape (bench/system/upstream.ts, "Churn"): `steady` (0%), `churnC`,
 * `cold` (100%: a cold scrape every time); every scenario measures the passthrough on the same bodies. At
 * 100k series it also probes `/-/healthy` while scrapes run. Every figure is the median over `--runs` runs;
 * ratios are taken within a run. Prints a markdown report, with the targets of issues 7 and 13, and writes
 * it to bench/system/results/latest.md (or `--out`).
 *
 * Everything listens on 127.0.0.1; every load loop is bounded in count and time; a server whose RSS passes
 * `--rss-limit` has its load phase stopped; every child is stopped by its pid.
 *
 * ```sh
 * deno task bench                                   # sizes 10,1k,10k,100k,1M, 3 runs, churn at 100k and 1M
 * deno task bench --quick                           # 10,1k,10k, 1 run, short loops, churn at 10k
 * deno task bench --sizes 10k,100k --runs 5 --seed ../shared/lab/seed_exporter.py
 * deno task bench --sizes 100k --variant no-memo,worker  # also without the memo, and the worker experiment
 * deno task bench --sizes 100k --variant no-relay         # also without the relay (the pipeline answers)
 * deno task bench --sizes 100k --formats text --runs 1 --churn 0,10,100
 * deno task bench --sizes 100k --formats text --runs 1 --profile bench/system/results/prof
 * ```
 *
 * Options: `--sizes` (10, 1k, 1M, comma-separated), `--formats text,json`, `--runs`, `--requests`
 * (sequential scrapes), `--duration` (s of concurrent load), `--connections` (8), `--gzip`, `--seed FILE`
 * (the Python design, JSON only, up to `--seed-max-size`), `--no-wrk`, `--probe-sizes`, `--variant`,
 * `--profile DIR`, `--v8-flags FLAGS` (for the exporter), `--out FILE` (also writes FILE's `.json` twin),
 * `--churn LIST` and `--json-churn LIST` (the scenarios of text and JSON: percentages, each `C` (every size)
 * or `C@SIZE+SIZE` (those sizes only); default text `0,10@100k,100@100k+1M` (`--quick`: `0,10@10k,100@10k`),
 * JSON `0`), `--rss-limit MIB` (8192: stop a load phase once the server's RSS passes it), `--exporter-flags
 * "FLAGS"` (appended to `main.ts start`, e.g. to lift a cap that refuses 1M series).
 * `bench/system/run.ts --render FILE.json` re-renders a saved run's markdown without measuring.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { err, out } from "./lib/io.ts";
import {
  concurrentDeno,
  haveWrk,
  healthProbe,
  median,
  percentile,
  runWrk,
  sequential,
  timedGet,
} from "./lib/load.ts";
import {
  benchExporterFlags,
  benchUpstreamSpawn,
  cpuMs,
  freePort,
  type Server,
  spawnServer,
  statusMiB,
} from "./lib/proc.ts";
import {
  type Format,
  type ProbeRow,
  renderReport,
  type Report,
  type Row,
  scenarioName,
  type ServerKind,
  utcMinute,
} from "./lib/report.ts";
import { CHURN_GENERATIONS } from "./upstream.ts";

const ROOT = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
const DENO = Deno.execPath();

/** A churn scenario: the upstream's churn and the sizes it runs at. */
export interface ChurnPlan {
  /** % of series keys changed on every upstream request, 0-100. */
  churn: number;
  /** The sizes it runs at; absent = every size. */
  sizes?: number[];
}

/** The bench's options, after parsing. */
export interface BenchOptions {
  /** Upstream sizes. */
  sizes: number[];
  /** Formats. */
  formats: Format[];
  /** Repetitions of every measurement. */
  runs: number;
  /** Sequential scrapes per measurement (bounded by `seqMaxMs` too). */
  requests: number;
  /** Time bound of the sequential phase, ms. */
  seqMaxMs: number;
  /** Keep scraping sequentially at least this long, in ms, so the CPU per scrape is measurable. */
  seqMinMs: number;
  /** Length of the concurrent phase, s. */
  duration: number;
  /** Concurrent scrapers, at every size. */
  connections: number;
  /** Text scenarios (upstream churn). */
  churn: ChurnPlan[];
  /** JSON scenarios (upstream churn). */
  jsonChurn: ChurnPlan[];
  /** A load phase stops once the server's RSS passes this, MiB (the machine is shared). */
  rssLimitMiB: number;
  /** Send `Accept-Encoding: gzip`. */
  gzip: boolean;
  /** The Python seed exporter to compare on JSON, or undefined. */
  seed?: string;
  /** Largest size the Python seed is run at. */
  seedMaxSize: number;
  /** Use wrk when present. */
  wrk: boolean;
  /** Sizes at which to probe `/-/healthy`. */
  probeSizes: number[];
  /**
   * Also measure: `no-memo` (the exporter with `--scrape.no-memo`), `no-relay` (with `--scrape.no-relay`),
   * `worker` (bench/system/experiments/worker_server.ts).
   */
  variants: ServerKind[];
  /** Write a V8 CPU profile of every exporter process into this directory (`--cpu-prof`). */
  profileDir?: string;
  /** Extra `--v8-flags=` for the exporter process. */
  v8Flags?: string;
  /** Extra flags for `main.ts start` (exporter kinds only), e.g. a cap the bench must lift at 1M. */
  exporterFlags: string[];
  /** Where the markdown goes. */
  out: string;
}

/** Parses `10`, `1k`, `100k`, `1M`. */
export function parseSize(s: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmM]?)$/.exec(s.trim());
  if (m === null) throw new RangeError(`Size must look like 10, 1k or 1M: got "${s}"`);
  const n = Number(m[1]) * (m[2] === "" ? 1 : m[2].toLowerCase() === "k" ? 1e3 : 1e6);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Size must be a whole number >= 1: got "${s}"`);
  return n;
}

/**
 * Parses a scenario list: `0,10@100k,100@100k+1M` = steady at every size, 10% churn at 100k, 100% at 100k and
 * 1M.
 */
export function parseChurn(s: string, flag = "churn"): ChurnPlan[] {
  const plans: ChurnPlan[] = [];
  for (const item of s.split(",")) {
    const m = /^(\d{1,3})(?:@([\w.+]+))?$/.exec(item.trim());
    const churn = Number(m?.[1]);
    if (m === null || churn > 100) {
      throw new RangeError(
        `Flag "--${flag}" takes percentages 0-100, each optionally @SIZE+SIZE: got "${item}"`,
      );
    }
    if (plans.some((p) => p.churn === churn)) {
      throw new RangeError(`Flag "--${flag}" names ${churn} twice`);
    }
    plans.push(m[2] === undefined ? { churn } : { churn, sizes: m[2].split("+").map(parseSize) });
  }
  return plans;
}

/** The churn scenarios that run at `size`, in the order given. */
export function churnAt(plans: readonly ChurnPlan[], size: number): number[] {
  return plans.filter((p) => p.sizes === undefined || p.sizes.includes(size)).map((p) => p.churn);
}

/** Parses the command line (`--help` prints the options). */
export function parseOptions(args: string[]): BenchOptions {
  const { values: v } = parseArgs({
    args,
    strict: true,
    options: {
      sizes: { type: "string" },
      formats: { type: "string" },
      runs: { type: "string" },
      requests: { type: "string" },
      duration: { type: "string" },
      connections: { type: "string" },
      quick: { type: "boolean" },
      gzip: { type: "boolean" },
      seed: { type: "string" },
      "seed-max-size": { type: "string" },
      "no-wrk": { type: "boolean" },
      "probe-sizes": { type: "string" },
      "v8-flags": { type: "string" },
      "exporter-flags": { type: "string" },
      variant: { type: "string" },
      profile: { type: "string" },
      churn: { type: "string" },
      "json-churn": { type: "string" },
      "rss-limit": { type: "string" },
      out: { type: "string" },
    },
  });
  const quick = v.quick === true;
  const sizes = (v.sizes ?? (quick ? "10,1k,10k" : "10,1k,10k,100k,1M")).split(",").map(parseSize);
  const formats = (v.formats ?? "text,json").split(",").map((f) => {
    if (f !== "text" && f !== "json") throw new RangeError(`Format must be text or json: got "${f}"`);
    return f as Format;
  });
  const int = (s: string | undefined, d: number, name: string) => {
    const n = s === undefined ? d : Number(s);
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`Flag "--${name}" needs a whole number >= 1: got "${s}"`);
    }
    return n;
  };
  const probeDefault = sizes.includes(100_000) ? [100_000] : [Math.max(...sizes)];
  return {
    sizes,
    formats,
    runs: int(v.runs, quick ? 1 : 3, "runs"),
    requests: int(v.requests, quick ? 10 : 30, "requests"),
    seqMaxMs: quick ? 5_000 : 20_000,
    seqMinMs: quick ? 0 : 3_000,
    duration: int(v.duration, quick ? 2 : 5, "duration"),
    connections: int(v.connections, 8, "connections"),
    churn: parseChurn(v.churn ?? (quick ? "0,10@10k,100@10k" : "0,10@100k,100@100k+1M"), "churn"),
    jsonChurn: parseChurn(v["json-churn"] ?? "0", "json-churn"),
    rssLimitMiB: int(v["rss-limit"], 8192, "rss-limit"),
    gzip: v.gzip === true,
    seed: v.seed,
    seedMaxSize: int(v["seed-max-size"], 100_000, "seed-max-size"),
    wrk: v["no-wrk"] !== true && haveWrk(),
    probeSizes: v["probe-sizes"] === undefined ? probeDefault : v["probe-sizes"].split(",").map(parseSize),
    v8Flags: v["v8-flags"],
    exporterFlags: (v["exporter-flags"] ?? "").split(/\s+/).filter((f) => f !== ""),
    variants: variants(v.variant),
    profileDir: v.profile === undefined ? undefined : resolve(v.profile),
    out: resolve(v.out ?? `${ROOT}/bench/system/results/latest.md`),
  };
}

function variants(v: string | undefined): ServerKind[] {
  if (v === undefined) return [];
  return v.split(",").map((x) => {
    if (x === "no-memo") return "exporter-no-memo";
    if (x === "no-relay") return "exporter-no-relay";
    if (x === "worker") return "worker-experiment";
    throw new RangeError(`Flag "--variant" takes no-memo, no-relay and worker: got "${x}"`);
  });
}

const log = (msg: string) => err(`[bench] ${msg}`);

/** Every child still running, so an interrupt can stop them. */
const running = new Set<Server>();

async function start(o: Parameters<typeof spawnServer>[0]): Promise<Server> {
  const s = await spawnServer(o);
  running.add(s);
  return s;
}

async function stop(s: Server): Promise<void> {
  await s.stop();
  running.delete(s);
}

/** The scenarios of one format at one size. */
function scenarios(o: BenchOptions, format: Format, size: number): number[] {
  return churnAt(format === "text" ? o.churn : o.jsonChurn, size);
}

function startUpstream(size: number, o: BenchOptions): Promise<Server> {
  // Generations cost start time and memory (12 bodies at 1M instead of 3): only where churn runs.
  const gens = (f: Format) =>
    o.formats.includes(f) && scenarios(o, f, size).some((c) => c > 0) ? CHURN_GENERATIONS : 1;
  return start(benchUpstreamSpawn(size, { text: gens("text"), json: gens("json") }));
}

function startServer(
  kind: ServerKind,
  format: Format,
  upstream: string,
  o: BenchOptions,
  churn = 0,
): Promise<Server> {
  // Steady keeps the URL without a query, as before churn existed.
  const url = upstream + (format === "text" ? "/metrics" : "/stats.json") +
    (churn > 0 ? `?churn=${churn}` : "");
  if (kind === "passthrough") {
    return start({
      name: kind,
      cmd: DENO,
      args: ["run", "--allow-net=127.0.0.1", `${ROOT}/bench/system/passthrough.ts`, "--upstream", url],
      port: "stdout-json",
    });
  }
  const port = freePort();
  if (kind === "python-seed") {
    return start({
      name: kind,
      cmd: "/usr/bin/python3",
      args: [o.seed as string, "start", "-s", "bench", "-u", url, "-p", String(port)],
      port,
    });
  }
  const entry = kind === "worker-experiment"
    ? [`${ROOT}/bench/system/experiments/worker_server.ts`]
    : kind === "exporter-no-memo"
    ? [`${ROOT}/main.ts`, "start", "--scrape.no-memo"]
    : kind === "exporter-no-relay"
    ? [`${ROOT}/main.ts`, "start", "--scrape.no-relay"]
    : [`${ROOT}/main.ts`, "start"];
  const args = ["run", "-A", ...(o.v8Flags ? [`--v8-flags=${o.v8Flags}`] : [])];
  // The profile is written when the process exits on SIGTERM; it slows the process down, so the figures of a
  // profiled run are not the bench's figures.
  if (o.profileDir !== undefined) args.push("--cpu-prof", `--cpu-prof-dir=${o.profileDir}`);
  args.push(...entry);
  args.push(...benchExporterFlags(ROOT, format, url, port), ...o.exporterFlags);
  return start({ name: kind, cmd: DENO, args, cwd: ROOT, port, readyPath: "/-/healthy" });
}

/**
 * Aborts `ac` once the process's RSS passes `limitMiB` (checked every 100 ms), so no load phase can take the
 * shared machine's memory; returns the function that stops watching.
 */
function watchRss(pid: number, limitMiB: number, ac: AbortController): () => void {
  const timer = setInterval(() => {
    if (statusMiB(pid, "VmRSS") > limitMiB) {
      log(`  RSS passed ${limitMiB} MiB: stopping the load`);
      ac.abort();
    }
  }, 100);
  return () => clearInterval(timer);
}

/** Measures one running server: first scrape, sequential phase, concurrent phase, CPU and peak RSS. */
async function measure(
  s: Server,
  base: Pick<Row, "size" | "format" | "server" | "run" | "churn">,
  o: BenchOptions,
): Promise<Row> {
  const url = s.origin + "/metrics";
  // Explicit both ways: Deno's fetch sends `Accept-Encoding: gzip, br` when none is given, which made the
  // exporter compress every answer of a "gzip: off" run before 2026-11-25 (docs/PERFORMANCE.md, "Bugs").
  const headers: Record<string, string> = { "accept-encoding": o.gzip ? "gzip" : "identity" };
  const empty = failedRow(base, "");
  // First scrape of the fresh process (timed: nothing is warm, no memo, no cache): checks the answer, counts
  // samples, warms up (JIT, connection pools).
  let body: string;
  let firstMs: number;
  try {
    const t0 = performance.now();
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
    body = await res.text();
    firstMs = performance.now() - t0;
    if (res.status !== 200) return { ...empty, skipped: `first scrape: status ${res.status}` };
  } catch (e) {
    return { ...empty, skipped: `first scrape: ${(e as Error).message}` };
  }
  // The exporter answers 200 when its scrape fails: a scrape without the upstream's series is no figure. The
  // reasons are in its error counters (its log line is a warning, below the bench's `--log.level error`).
  if (/^prom_exporter_up(\{[^}]*\})? 0$/m.test(body)) {
    const reasons = [
      ...body.matchAll(/^prom_exporter_scrape_errors_total\{[^}]*reason="(\w+)"[^}]*\} [1-9]/gm),
    ]
      .map((m) => m[1]);
    return {
      ...empty,
      skipped: `first scrape: prom_exporter_up 0 (reason ${reasons.join(", ") || "unknown"})`,
    };
  }
  const samples = o.gzip || !body.startsWith("#") ? NaN : countSamples(body);
  for (let i = 0; i < 2; i++) await timedGet(url, headers, 60_000).catch(() => {});

  const ac = new AbortController();
  const unwatch = watchRss(s.pid, o.rssLimitMiB, ac);
  try {
    const s0 = cpuMs(s.pid);
    const seq = await sequential(url, headers, {
      count: o.requests,
      maxMs: o.seqMaxMs,
      minMs: o.seqMinMs,
      signal: ac.signal,
    });
    const seqCpuMs = seq.requests > 0 ? (cpuMs(s.pid) - s0) / seq.requests : NaN;
    const rssSeqMiB = statusMiB(s.pid, "VmHWM");
    // Every size gets the same scrapers (issue 13 asks for peak RSS with 8 at 1M too): the phase is bounded by
    // time (long enough for each scraper to finish a few scrapes at this latency, at most 60 s; wrk gives up
    // on a scrape after 30 s) and by the RSS watch.
    const connections = o.connections;
    const seconds = Math.min(
      60,
      Math.max(o.duration, Math.ceil((3 * connections * median(seq.latencies)) / 1000)),
    );
    const c0 = cpuMs(s.pid);
    let conc: { rps: number; requests: number; errors: number; p50: number; p99: number };
    if (ac.signal.aborted) {
      conc = { rps: NaN, requests: 0, errors: 0, p50: NaN, p99: NaN };
    } else if (o.wrk) {
      conc = await runWrk(url, headers, {
        connections,
        threads: Math.min(2, connections),
        seconds,
        signal: ac.signal,
      }).catch(() => ({ rps: NaN, requests: 0, errors: 0, p50: NaN, p99: NaN }));
    } else {
      const r = await concurrentDeno(url, headers, connections, {
        count: 100_000,
        maxMs: seconds * 1000,
        signal: ac.signal,
      });
      conc = { ...r, p50: median(r.latencies), p99: percentile(r.latencies, 99) };
    }
    const c1 = cpuMs(s.pid);
    return {
      ...base,
      ...(ac.signal.aborted ? { note: `load stopped: RSS over ${o.rssLimitMiB} MiB` } : {}),
      firstMs,
      bodyBytes: new TextEncoder().encode(body).byteLength,
      samples,
      median: median(seq.latencies),
      p99: percentile(seq.latencies, 99),
      requests: seq.requests,
      connections,
      rps: conc.rps,
      loadP50: conc.p50,
      loadP99: conc.p99,
      errors: seq.errors + conc.errors,
      cpuMs: conc.requests > 0 ? (c1 - c0) / conc.requests : NaN,
      seqCpuMs,
      rssSeqMiB,
      rssMiB: statusMiB(s.pid, "VmHWM"),
    };
  } finally {
    unwatch();
  }
}

function failedRow(base: Pick<Row, "size" | "format" | "server" | "run" | "churn">, why: string): Row {
  return {
    ...base,
    skipped: why,
    bodyBytes: NaN,
    samples: NaN,
    median: NaN,
    p99: NaN,
    requests: 0,
    rps: NaN,
    loadP50: NaN,
    loadP99: NaN,
    errors: 0,
    cpuMs: NaN,
    seqCpuMs: NaN,
    connections: 0,
    rssSeqMiB: NaN,
    rssMiB: NaN,
  };
}

function countSamples(text: string): number {
  let n = 0;
  let at = 0;
  while (at < text.length) {
    let end = text.indexOf("\n", at);
    if (end < 0) end = text.length;
    if (end > at && text.charCodeAt(at) !== 35) n++;
    at = end + 1;
  }
  return n;
}

function machine(): string[] {
  const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "unknown CPU";
  const memKiB = Number(/^MemTotal:\s+(\d+)/m.exec(Deno.readTextFileSync("/proc/meminfo"))?.[1] ?? NaN);
  const load = Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  let wrk = "wrk not found";
  try {
    const out = new Deno.Command("wrk", { args: ["--version"], stdout: "piped", stderr: "piped" })
      .outputSync();
    wrk = new TextDecoder().decode(out.stdout).split("\n")[0].split(" ").slice(0, 2).join(" ");
  } catch {
    // Not installed: the Deno load loop is used.
  }
  return [
    `${navigator.hardwareConcurrency} cores (${model}), ${
      (memKiB / 1048576).toFixed(1)
    } GiB RAM, ${Deno.build.os} ${Deno.osRelease()}`,
    `deno ${Deno.version.deno} (V8 ${Deno.version.v8}), ${wrk}`,
    `load average at start: ${load} (other work on the machine inflates absolute figures; ratios are within a run)`,
  ];
}

/** Starts a fresh server and probes `/-/healthy` while scrapes run; `null` when it does not start. */
async function probeHealth(
  kind: ServerKind,
  upstream: string,
  o: BenchOptions,
): Promise<Omit<ProbeRow, "server" | "size" | "run"> | null> {
  let s: Server;
  try {
    s = await startServer(kind, "text", upstream, o);
  } catch (e) {
    log(`  ${(e as Error).message}`);
    return null;
  }
  try {
    const scrapeUrl = s.origin + "/metrics";
    // Two scrapes first: JIT warm-up, and the memo learns the shape on the first and builds on the second.
    for (let i = 0; i < 2; i++) await timedGet(scrapeUrl, {}, 60_000).catch(() => {});
    const p = await healthProbe(scrapeUrl, s.origin + "/-/healthy", 3, {
      count: 2_000,
      maxMs: Math.max(3_000, o.duration * 1000),
    }, o.wrk);
    const max = p.latencies.length > 0 ? Math.max(...p.latencies) : NaN;
    log(`  ${p.latencies.length} probes, max ${max.toFixed(2)} ms`);
    return {
      count: p.latencies.length,
      median: median(p.latencies),
      p99: percentile(p.latencies, 99),
      max,
      scrapes: p.scrapes,
      scrapeMedian: p.scrapeMedian,
    };
  } finally {
    await stop(s);
  }
}

/** Runs the whole bench and returns the report. */
export async function runBench(o: BenchOptions, command: string): Promise<Report> {
  const date = utcMinute();
  const rows: Row[] = [];
  const probes: ProbeRow[] = [];
  const settings = [
    `sizes ${o.sizes.join(", ")}; formats ${
      o.formats.join(", ")
    }; ${o.runs} run(s), figures are the median of runs`,
    `sequential phase: ${o.requests} scrapes (at most ${o.seqMaxMs / 1000} s), and more until ${
      o.seqMinMs / 1000
    } s have passed (CPU is counted in 10 ms ticks), after 3 warm-up scrapes; median and p99; CPU ms/scrape, 1 scraper = the server's utime+stime delta over this phase / scrapes`,
    `concurrent phase: ${
      o.wrk ? "wrk -t2 --latency" : "a Deno loop"
    }, ${o.connections} scrapers at every size for ${o.duration} s, ` +
    `longer (at most 60 s) when each scraper would finish fewer than 3 scrapes; ` +
    `CPU ms/answer = the server's utime+stime delta over this phase / completed requests (overlapping scrapes share one ` +
    `upstream fetch and pipeline run); a phase stops early if the server's RSS passes ${o.rssLimitMiB} MiB`,
    `peak RSS = VmHWM of the server process (a fresh process per size, run, format and scenario), ` +
    `after the sequential phase (1 scraper) and after the concurrent phase; first scrape = the harness's first ` +
    `request to the fresh process, timed`,
    `scenarios (upstream churn: % of series keys that change on every upstream request, bench/system/upstream.ts): ` +
    `text ${plansText(o.churn, o.sizes)}; json ${plansText(o.jsonChurn, o.sizes)}`,
    `gzip: ${o.gzip ? "Accept-Encoding: gzip sent" : "off"}; exporter V8 flags: ${o.v8Flags ?? "none"}; ` +
    `extra exporter flags: ${o.exporterFlags.length > 0 ? `\`${o.exporterFlags.join(" ")}\`` : "none"}` +
    (o.profileDir
      ? `; CPU profiles in ${o.profileDir} (profiling slows the exporter: figures not comparable)`
      : ""),
    `text: exporter with bench/system/configs/typical.yaml; json: exporter with \`-s bench -u URL\` (the seed's flags)` +
    (o.seed ? `; python-seed = ${o.seed} with /usr/bin/python3 (JSON, sizes <= ${o.seedMaxSize})` : ""),
  ];
  for (const size of o.sizes) {
    log(`size ${size}: starting the upstream`);
    const up = await startUpstream(size, o);
    try {
      for (let run = 1; run <= o.runs; run++) {
        for (const format of o.formats) {
          for (const churn of scenarios(o, format, size)) {
            const kinds: ServerKind[] = ["passthrough", "exporter"];
            kinds.push(...o.variants);
            // The Python design is the issue 7 comparison, on the steady body only.
            if (format === "json" && o.seed !== undefined && size <= o.seedMaxSize && churn === 0) {
              kinds.push("python-seed");
            }
            for (const kind of kinds) {
              const base = { size, format, server: kind, run, churn };
              log(`size ${size} run ${run} ${format} ${scenarioName(churn)}: ${kind}`);
              let s: Server;
              try {
                s = await startServer(kind, format, up.origin, o, churn);
              } catch (e) {
                log(`  ${(e as Error).message}`);
                rows.push(failedRow(base, "failed to start"));
                continue;
              }
              try {
                const row = await measure(s, base, o);
                rows.push(row);
                log(
                  `  first ${(row.firstMs ?? NaN).toFixed(2)} ms, median ${row.median.toFixed(2)} ms, p99 ${
                    row.p99.toFixed(2)
                  } ms, ${row.rps.toFixed(1)} req/s, ` +
                    `CPU ${row.seqCpuMs.toFixed(2)} ms/scrape, ${row.cpuMs.toFixed(2)} ms/answer, RSS ${
                      row.rssSeqMiB.toFixed(1)
                    } / ${row.rssMiB.toFixed(1)} MiB${row.skipped ? `, skipped: ${row.skipped}` : ""}${
                      row.errors > 0 ? `, ${row.errors} errors` : ""
                    }${row.note ? `, ${row.note}` : ""}`,
                );
                if (row.skipped) log(s.stderrTail());
              } finally {
                await stop(s);
              }
            }
          }
        }
        if (o.probeSizes.includes(size) && o.formats.includes("text")) {
          // The passthrough is the control: its figure is the floor this machine and harness give.
          const probed: ServerKind[] = ["passthrough", "exporter", ...o.variants];
          for (const kind of probed) {
            log(`size ${size} run ${run}: /-/healthy probe, ${kind}`);
            const p = await probeHealth(kind, up.origin, o);
            if (p !== null) probes.push({ ...p, server: kind, size, run });
          }
        }
      }
    } finally {
      await stop(up);
    }
  }
  return { command, date, machine: machine(), settings, rows, probes };
}

/** The scenarios as the settings line says them: `steady (every size), cold (100k, 1M)`. */
function plansText(plans: readonly ChurnPlan[], sizes: readonly number[]): string {
  const at = (p: ChurnPlan) => p.sizes === undefined ? sizes : p.sizes.filter((n) => sizes.includes(n));
  const named = plans.filter((p) => at(p).length > 0).map((p) =>
    `${scenarioName(p.churn)}${p.churn > 0 && p.churn < 100 ? ` (${p.churn}%)` : ""} at ${
      p.sizes === undefined ? "every size" : at(p).join(", ")
    }`
  );
  return named.length > 0 ? named.join("; ") : "none";
}

/** Formats written results as the repo's `deno fmt --check` expects (results live in the repo). */
async function denoFmt(...files: string[]): Promise<void> {
  await new Deno.Command(DENO, { args: ["fmt", "--quiet", ...files], stdout: "null", stderr: "null" })
    .output();
}

if (import.meta.main && Deno.args[0] === "--render") {
  // Re-renders a saved run (the `.json` twin of a report) without measuring: `bench/system/run.ts --render FILE.json`.
  const report = JSON.parse(await Deno.readTextFile(Deno.args[1])) as Report;
  const md = renderReport(report);
  const file = Deno.args[1].replace(/\.json$/, "") + ".md";
  await Deno.writeTextFile(file, md);
  await denoFmt(file);
  out(md);
} else if (import.meta.main) {
  const o = parseOptions(Deno.args);
  const interrupt = () => {
    for (const s of running) void s.stop(1000);
    setTimeout(() => Deno.exit(130), 1500);
  };
  Deno.addSignalListener("SIGINT", interrupt);
  Deno.addSignalListener("SIGTERM", interrupt);
  const command = ["deno task bench", ...Deno.args].join(" ");
  const report = await runBench(o, command);
  const md = renderReport(report);
  await Deno.mkdir(dirname(o.out), { recursive: true });
  await Deno.writeTextFile(o.out, md);
  // The raw rows too, to re-render or compare runs without measuring again.
  const json = o.out.replace(/\.md$/, "") + ".json";
  await Deno.writeTextFile(json, JSON.stringify(report, null, 1) + "\n");
  await denoFmt(o.out, json);
  out(md);
  log(`written to ${o.out}`);
  Deno.removeSignalListener("SIGINT", interrupt);
  Deno.removeSignalListener("SIGTERM", interrupt);
}
