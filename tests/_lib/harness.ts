/**
 * Shared pieces of the reliability suite: the quick/full switch, an in-process exporter on a real socket, a
 * `main.ts` subprocess, an exposition reader, RSS sampling and figure recording.
 *
 * `RELIABILITY_FULL=1` switches every scenario from its quick size (part of `deno task test`) to its full
 * size (`deno task test:reliability`). `RELIABILITY_RESULTS=FILE` appends every recorded figure to FILE as
 * one JSON object per line; with `RELIABILITY_FULL=1` the figures are also printed to stderr.
 *
 * @module
 */

import type { TargetConfig } from "../../src/config/types.ts";
import { SelfMetrics } from "../../src/exposition/self_metrics.ts";
import { createLogger } from "../../src/log.ts";
import { compileTarget } from "../../src/scrape/mod.ts";
import { createHandler } from "../../src/server/mod.ts";
import { staticRuntime } from "../../src/server/runtime.ts";
import { testTarget } from "./helpers.ts";

/** True for the full run (`RELIABILITY_FULL=1`). */
export const FULL = Deno.env.get("RELIABILITY_FULL") === "1";

/** Picks the quick or the full size of a scenario. */
export function size<T>(quick: T, full: T): T {
  return FULL ? full : quick;
}

const RESULTS = Deno.env.get("RELIABILITY_RESULTS");

/** Records a measured figure of a scenario (see the module doc for where it goes). */
export function record(scenario: string, figures: Record<string, number | string | boolean>): void {
  const line = JSON.stringify({ scenario, full: FULL, ...figures });
  if (RESULTS !== undefined) Deno.writeTextFileSync(RESULTS, line + "\n", { append: true });
  if (FULL) Deno.stderr.writeSync(new TextEncoder().encode(`FIGURE ${line}\n`));
}

/** A target config with test defaults: auto format, no rules, a 10 s timeout and a 1 MiB body cap. */
export function targetConfig(name: string, url: string, extra: Partial<TargetConfig> = {}): TargetConfig {
  return testTarget({
    name,
    url,
    labels: { upstream: name },
    timeoutMs: 10_000,
    maxBodyBytes: 1024 * 1024,
    ...extra,
  });
}

/** An exporter served by `Deno.serve` in this process. */
export interface Exporter extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** Log lines, up to `maxLogs` (later ones are counted, and checked for forbidden text, but not kept). */
  logs: string[];
  /** Every log line written. */
  logCount: () => number;
  /** Log lines that contained one of the `forbidden` strings. */
  leaks: string[];
  /** Stops the server and waits for it. */
  close(): Promise<void>;
}

/** Options of {@linkcode startExporter}. */
export interface ExporterOptions {
  /** Subtracted from the scrape timeout header (ms). @default {500} */
  offsetMs?: number;
  /** In-flight cap; 0 = none. @default {0} */
  maxRequests?: number;
  /** Log lines kept. @default {2000} */
  maxLogs?: number;
  /** Strings that must never appear in a log line (secrets). */
  forbidden?: readonly string[];
}

/** Starts the exporter's handler on 127.0.0.1 port 0, as `main.ts` does, with logs captured. */
export function startExporter(targets: readonly TargetConfig[], options: ExporterOptions = {}): Exporter {
  const runtime = staticRuntime(targets.map(compileTarget));
  const logs: string[] = [];
  const leaks: string[] = [];
  const maxLogs = options.maxLogs ?? 2000;
  const forbidden = options.forbidden ?? [];
  let count = 0;
  const log = createLogger({
    level: "info",
    format: "logfmt",
    write: (line) => {
      count++;
      if (logs.length < maxLogs) logs.push(line);
      if (forbidden.some((f) => line.includes(f))) leaks.push(line);
    },
  });
  const handler = createHandler({
    runtime: () => runtime,
    self: new SelfMetrics({ version: "reliability", targets: targets.map((t) => t.name) }),
    log,
    version: "reliability",
    timeoutOffsetMs: options.offsetMs ?? 500,
    maxRequests: options.maxRequests ?? 0,
  });
  const ac = new AbortController();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    signal: ac.signal,
    onListen: () => {},
    onError: (e) => {
      log.error("request failed", { err: String(e) });
      return new Response("Internal server error\n", { status: 500 });
    },
  }, handler);
  const close = async () => {
    ac.abort();
    await server.finished;
  };
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    logs,
    leaks,
    logCount: () => count,
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** One answer of {@linkcode scrape}. */
export interface Scraped {
  /** HTTP status. */
  status: number;
  /** The body. */
  text: string;
  /** Wall time from sending to the last body byte, in ms. */
  ms: number;
  /** Response headers. */
  headers: Headers;
}

/** Scrapes `url` like Prometheus, optionally with `X-Prometheus-Scrape-Timeout-Seconds`. */
export async function scrape(url: string, timeoutSeconds?: number, init: RequestInit = {}): Promise<Scraped> {
  const headers = new Headers(init.headers);
  if (timeoutSeconds !== undefined) {
    headers.set("x-prometheus-scrape-timeout-seconds", String(timeoutSeconds));
  }
  const started = performance.now();
  const res = await fetch(url, { ...init, headers });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started, headers: res.headers };
}

/** One sample line of an exposition. */
export interface SampleLine {
  /** Sample name. */
  name: string;
  /** Labels by name. */
  labels: Record<string, string>;
  /** The value. */
  value: number;
}

/** Reads the sample lines of a text or OpenMetrics exposition written by our writers. */
export function samples(text: string): SampleLine[] {
  const out: SampleLine[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    let i = 0;
    while (i < line.length && line[i] !== "{" && line[i] !== " ") i++;
    const name = line.slice(0, i);
    const labels: Record<string, string> = {};
    if (line[i] === "{") {
      i++;
      while (line[i] !== "}") {
        const eq = line.indexOf("=", i);
        const key = line.slice(i, eq);
        let j = eq + 2;
        let value = "";
        for (; line[j] !== '"'; j++) {
          if (line[j] === "\\") {
            j++;
            value += line[j] === "n" ? "\n" : line[j];
          } else {
            value += line[j];
          }
        }
        labels[key] = value;
        i = j + 1;
        if (line[i] === ",") i++;
      }
      i++;
    }
    const rest = line.slice(i + 1).split(" ")[0];
    const value = rest === "+Inf" ? Infinity : rest === "-Inf" ? -Infinity : Number(rest);
    out.push({ name, labels, value });
  }
  return out;
}

/** The value of the first sample named `name` whose labels include `match`, or undefined. */
export function valueOf(text: string, name: string, match: Record<string, string> = {}): number | undefined {
  return samples(text).find((s) =>
    s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v)
  )
    ?.value;
}

/** The resident set size of this process in bytes, after a full GC when `--v8-flags=--expose-gc` is on. */
export function rssAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) {
    gc();
    gc();
  }
  return Deno.memoryUsage().rss;
}

/** Memory after a forced GC: RSS, V8 heap in use, V8 heap committed, and the rest of RSS (native). */
export interface MemorySnapshot {
  /** Resident set size. */
  rss: number;
  /** V8 heap in use after GC (live JS objects). */
  heapUsed: number;
  /** V8 heap committed (V8 keeps it after GC, and it is part of RSS). */
  heapTotal: number;
  /** RSS minus the committed V8 heap: Rust/C memory (sockets, TLS, buffers) and allocator caches. */
  native: number;
}

/** Takes a {@linkcode MemorySnapshot} after a full GC (when `--expose-gc` is on). */
export function memorySnapshot(): MemorySnapshot {
  const rss = rssAfterGc();
  const m = Deno.memoryUsage();
  return { rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, native: rss - m.heapTotal };
}

/**
 * Compares two snapshots against {@linkcode memoryAllowance}: live JS objects (heapUsed) and native memory
 * (RSS minus the committed V8 heap) must each stay within it. Raw RSS is not compared: V8 grows its committed
 * heap in one step under allocation pressure (measured: 37 to 63 MiB) and keeps it, which is sizing, not a leak.
 * Returns the violations, empty when flat.
 */
export function memoryGrowth(before: MemorySnapshot, after: MemorySnapshot): string[] {
  const out: string[] = [];
  const mib = (n: number) => `${round(n / 2 ** 20)} MiB`;
  if (after.heapUsed - before.heapUsed > memoryAllowance(before.heapUsed)) {
    out.push(`heapUsed grew ${mib(after.heapUsed - before.heapUsed)} (from ${mib(before.heapUsed)})`);
  }
  if (after.native - before.native > memoryAllowance(before.native)) {
    out.push(`native memory grew ${mib(after.native - before.native)} (from ${mib(before.native)})`);
  }
  return out;
}

/** Memory figures for {@linkcode record}, in MiB. */
export function memoryFigures(prefix: string, m: MemorySnapshot): Record<string, number> {
  return {
    [`${prefix}_rss_mib`]: round(m.rss / 2 ** 20),
    [`${prefix}_heap_used_mib`]: round(m.heapUsed / 2 ** 20),
    [`${prefix}_heap_total_mib`]: round(m.heapTotal / 2 ** 20),
    [`${prefix}_native_mib`]: round(m.native / 2 ** 20),
  };
}

/** Whether a full GC can be forced (`--v8-flags=--expose-gc`). */
export const CAN_GC = typeof (globalThis as { gc?: unknown }).gc === "function";

/** The RSS of another process (from /proc), in bytes; undefined when it is gone. */
export function rssOf(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined;
  }
}

/** The number of open file descriptors of a process (from /proc), or undefined. */
export function fdsOf(pid: number): number | undefined {
  try {
    let n = 0;
    for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) n++;
    return n;
  } catch {
    return undefined;
  }
}

/** The memory pass criterion: growth of at most the larger of 10 MiB and 5 % of the baseline. */
export function memoryAllowance(baseline: number): number {
  return Math.max(10 * 1024 * 1024, baseline * 0.05);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `fn` over `items` with at most `limit` running at once; results keep their order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The value at quantile `q` (0..1) of `values` (sorted copy, nearest rank). */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Rounds to `digits` decimals, for figures. */
export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** The repository root (for `main.ts` and `deno.json`). */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** A `main.ts` process started by {@linkcode spawnMain}. */
export interface MainProcess extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` it listens on. */
  origin: string;
  /** Its pid. */
  pid: number;
  /** Every stderr line so far (its logs). */
  stderr: string[];
  /** Everything written to stdout so far. */
  stdout: () => string;
  /** Resolves with the exit code and signal once it exits. */
  status: Promise<Deno.CommandStatus>;
  /** Sends a signal. */
  kill(signal?: Deno.Signal): void;
  /** Kills it if it still runs, and waits for its pipes. */
  close(): Promise<void>;
}

/** Options of {@linkcode spawnMain}. */
export interface SpawnOptions {
  /** Modules run before main.ts (`deno run --preload`). */
  preload?: readonly string[];
  /** Extra environment. */
  env?: Record<string, string>;
  /** Milliseconds to wait for the "listening" log line. @default {20000} */
  startTimeoutMs?: number;
  /** A command that runs deno, e.g. `["prlimit", "--nofile=256:256", "--"]`. */
  wrap?: readonly string[];
  /** Flags of `deno run` itself, e.g. `["--v8-flags=--max-old-space-size=256"]`. */
  runFlags?: readonly string[];
}

/**
 * Runs `deno run -A main.ts ARGS` (add `--web.listen-address 127.0.0.1:0` to ARGS) and waits until it logs
 * that it listens; the address comes from that log line.
 */
/** `main.ts start ARGS` on 127.0.0.1 with an OS-chosen port (see {@linkcode spawnMain}). */
export function spawnStart(args: readonly string[], options: SpawnOptions = {}): Promise<MainProcess> {
  return spawnMain(["start", ...args, "--web.listen-address", "127.0.0.1:0"], options);
}

export async function spawnMain(args: readonly string[], options: SpawnOptions = {}): Promise<MainProcess> {
  const preload = (options.preload ?? []).flatMap((p) => ["--preload", p]);
  const argv = [
    Deno.execPath(),
    "run",
    "-A",
    ...options.runFlags ?? [],
    ...preload,
    `${REPO_ROOT}main.ts`,
    ...args,
  ];
  const [cmd, ...rest] = [...(options.wrap ?? []), ...argv];
  const child = new Deno.Command(cmd, {
    args: rest,
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...options.env },
  }).spawn();
  const stderr: string[] = [];
  let out = "";
  let listening: (origin: string) => void = () => {};
  const origin = new Promise<string>((resolve) => listening = resolve);
  const pump = async (stream: ReadableStream<Uint8Array>, onText: (t: string) => void) => {
    const dec = new TextDecoder();
    for await (const chunk of stream) onText(dec.decode(chunk, { stream: true }));
  };
  let partial = "";
  const errPump = pump(child.stderr, (t) => {
    partial += t;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      stderr.push(line);
      const m = /msg=listening .*address=([^\s]+)/.exec(line);
      if (m) listening(`http://${m[1]}`);
    }
  });
  const outPump = pump(child.stdout, (t) => out += t);
  const status = child.status;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const started = await Promise.race([
    origin,
    status.then((s) => new Error(`main.ts exited with ${s.code} before listening:\n${stderr.join("\n")}`)),
    new Promise<Error>((resolve) => {
      timer = setTimeout(
        () => resolve(new Error(`main.ts did not listen in time:\n${stderr.join("\n")}`)),
        options.startTimeoutMs ?? 20_000,
      );
    }),
  ]);
  clearTimeout(timer);
  const close = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await status;
    await Promise.allSettled([errPump, outPump]);
  };
  if (started instanceof Error) {
    await close();
    throw started;
  }
  return {
    origin: started,
    pid: child.pid,
    stderr,
    stdout: () => out,
    status,
    kill: (signal: Deno.Signal = "SIGTERM") => child.kill(signal),
    close,
    [Symbol.asyncDispose]: close,
  };
}

/** Writes a temporary file that is removed when disposed. */
export async function tempFile(text: string, suffix = ".yml"): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempFile({ prefix: "prom-exporter-reliability-", suffix });
  await Deno.writeTextFile(path, text);
  return {
    path,
    [Symbol.asyncDispose]: async () => {
      await Deno.remove(path).catch(() => {});
    },
  };
}

/** What a raw HTTP/1.1 exchange gave. */
export interface RawAnswer {
  /** The status code, or null when no status line came. */
  status: number | null;
  /** The response head (status line and headers). */
  head: string;
  /** The server closed the connection without a complete head. */
  closed: boolean;
  /** Nothing conclusive arrived within the timeout. */
  timedOut: boolean;
  /** The connection could not be made. */
  refused: boolean;
  /** Wall time in ms. */
  ms: number;
}

/**
 * Sends raw bytes to `origin` over a new TCP connection and reads until the response head is complete, the
 * server closes, or `timeoutMs` passes.
 */
export async function rawRequest(
  origin: string,
  request: string | Uint8Array,
  timeoutMs = 5_000,
): Promise<RawAnswer> {
  const { hostname, port } = new URL(origin);
  const started = performance.now();
  const done = (a: Omit<RawAnswer, "ms">): RawAnswer => ({ ...a, ms: performance.now() - started });
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname, port: Number(port) });
  } catch {
    return done({ status: null, head: "", closed: false, timedOut: false, refused: true });
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) =>
    timer = setTimeout(() => resolve("timeout"), timeoutMs)
  );
  let text = "";
  let closed = false;
  let timedOut = false;
  try {
    const bytes = typeof request === "string" ? new TextEncoder().encode(request) : request;
    const write = (async () => {
      for (let at = 0; at < bytes.byteLength;) at += await conn.write(bytes.subarray(at));
    })().catch(() => "write failed" as const);
    // A server may answer (431, 400) before it has read everything; reading starts at once.
    const buf = new Uint8Array(16 * 1024);
    const dec = new TextDecoder();
    while (!text.includes("\r\n\r\n")) {
      const n = await Promise.race([conn.read(buf).catch(() => null), timeout]);
      if (n === "timeout") {
        timedOut = true;
        break;
      }
      if (n === null) {
        closed = true;
        break;
      }
      text += dec.decode(buf.subarray(0, n), { stream: true });
    }
    conn.close();
    await write;
  } catch {
    closed = true;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed above.
    }
  }
  const head = text.split("\r\n\r\n")[0];
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head);
  return done({
    status: m ? Number(m[1]) : null,
    head,
    closed: closed && !m,
    timedOut: timedOut && !m,
    refused: false,
  });
}

/** A small seeded PRNG (mulberry32), so random request mixes are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The identities (name and labels, without values) of the series in an exposition, sorted. */
export function seriesSet(text: string): string[] {
  return samples(text).map((s) => `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`).sort();
}
