/**
 * Load for the bench, every loop bounded in count and in time: sequential scrapes (latency, like one
 * Prometheus), concurrent scrapes with wrk (or a Deno loop when wrk is missing) for throughput, and a
 * `/-/healthy` probe while scrapes run. Only 127.0.0.1 URLs are used by the caller.
 *
 * @module
 */

/** Bounds for one loop. */
export interface Bounds {
  /** At most this many requests. */
  count: number;
  /** And at most this long, in ms. */
  maxMs: number;
  /**
   * Sequential only: past `count`, keep going until this long has passed (at most `100 × count` requests), so
   * the CPU time of short scrapes spans enough 10 ms clock ticks to be measured. @default {0}
   */
  minMs?: number;
  /** Stops the loop early (no new request starts, the ones in flight are aborted). */
  signal?: AbortSignal;
}

/** What a run of requests gave. */
export interface LoadResult {
  /** Latencies of the successful requests, in ms, in completion order. */
  latencies: number[];
  /** Requests that failed (network error, timeout, non-200). */
  errors: number;
  /** Requests per second over the run (completed requests / elapsed). */
  rps: number;
  /** Successful requests. */
  requests: number;
}

/** Median of a list (`NaN` when empty). */
export function median(xs: readonly number[]): number {
  return percentile(xs, 50);
}

/**
 * The median of a few runs with their range, for experiments' tables: `12.3 (11.0-14.1)`, whole numbers from
 * 100 on; the median alone for one run.
 */
export function medianRange(xs: readonly number[]): string {
  const fmt = (x: number) => x >= 100 ? x.toFixed(0) : x.toFixed(1);
  if (xs.length < 2) return fmt(median(xs));
  return `${fmt(median(xs))} (${fmt(Math.min(...xs))}-${fmt(Math.max(...xs))})`;
}

/** Nearest-rank percentile of a list (`NaN` when empty). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  if (p === 50 && sorted.length % 2 === 0) {
    return (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
  }
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** One GET, body fully read; returns the latency in ms and the body size, or throws (also when `signal` aborts). */
export async function timedGet(
  url: string,
  headers: HeadersInit,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<[number, number]> {
  const t0 = performance.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  const res = await fetch(url, { headers, signal: signal ? AbortSignal.any([timeout, signal]) : timeout });
  const body = await res.arrayBuffer();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`status ${res.status}`);
  return [ms, body.byteLength];
}

/**
 * Sequential requests, one after another (the latency of a single scraper). `b.maxMs` bounds when a new
 * request may start; each request has its own 60 s timeout, so the time bound never cuts a slow scrape short
 * and counts it as an error.
 */
export async function sequential(url: string, headers: HeadersInit, b: Bounds): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const t0 = performance.now();
  const until = t0 + b.maxMs;
  const minUntil = t0 + (b.minMs ?? 0);
  const more = (i: number) => i < b.count || (i < 100 * b.count && performance.now() < minUntil);
  for (let i = 0; more(i) && performance.now() < until && !b.signal?.aborted; i++) {
    try {
      latencies.push((await timedGet(url, headers, 60_000, b.signal))[0]);
    } catch {
      errors++;
    }
  }
  const s = (performance.now() - t0) / 1000;
  return { latencies, errors, rps: latencies.length / s, requests: latencies.length };
}

/** `connections` scrapers in a loop, in this process (the fallback when wrk is missing). */
export async function concurrentDeno(
  url: string,
  headers: HeadersInit,
  connections: number,
  b: Bounds,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  let started = 0;
  const t0 = performance.now();
  const until = t0 + b.maxMs;
  const worker = async () => {
    while (started < b.count && performance.now() < until && !b.signal?.aborted) {
      started++;
      try {
        const timeoutMs = Math.max(1, until - performance.now() + 30_000);
        latencies.push((await timedGet(url, headers, timeoutMs, b.signal))[0]);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const s = (performance.now() - t0) / 1000;
  return { latencies, errors, rps: latencies.length / s, requests: latencies.length };
}

/** Whether wrk is on PATH. */
export function haveWrk(): boolean {
  try {
    return new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync() !==
      null;
  } catch {
    return false;
  }
}

/** wrk's summary: throughput and its latency percentiles under load. */
export interface WrkResult {
  /** Requests/sec as wrk reports it. */
  rps: number;
  /** Requests completed. */
  requests: number;
  /** Socket errors plus non-2xx answers. */
  errors: number;
  /** Median latency under load, ms. */
  p50: number;
  /** 99th percentile latency under load, ms. */
  p99: number;
}

/**
 * Runs `wrk -t<threads> -c<connections> -d<seconds>s --latency` (bounded by its duration; a hard kill after
 * the duration plus 60 s bounds it even if wrk hangs; `o.signal` stops it early, and then its figures are
 * `NaN`).
 */
export async function runWrk(
  url: string,
  headers: Record<string, string>,
  o: { connections: number; threads: number; seconds: number; signal?: AbortSignal },
): Promise<WrkResult> {
  const args = [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, "--timeout", "30s", "--latency"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
  args.push(url);
  const out = await new Deno.Command("wrk", {
    args,
    stdout: "piped",
    stderr: "piped",
    signal: o.signal
      ? AbortSignal.any([AbortSignal.timeout((o.seconds + 60) * 1000), o.signal])
      : AbortSignal.timeout((o.seconds + 60) * 1000),
  }).output();
  return parseWrk(new TextDecoder().decode(out.stdout));
}

/** Parses wrk's text report. */
export function parseWrk(text: string): WrkResult {
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  let errors = 0;
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  if (sock !== null) errors += Number(sock[1]) + Number(sock[2]) + Number(sock[3]) + Number(sock[4]);
  errors += Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    requests: num(/(\d+) requests in /),
    errors,
    p50: wrkMs(/^\s+50%\s+([\d.]+\w+)/m.exec(text)?.[1]),
    p99: wrkMs(/^\s+99%\s+([\d.]+\w+)/m.exec(text)?.[1]),
  };
}

function wrkMs(v: string | undefined): number {
  const m = v === undefined ? null : /^([\d.]+)(us|ms|s|m)$/.exec(v);
  if (m === null) return NaN;
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as "us" | "ms" | "s" | "m"];
  return Number(m[1]) * scale;
}

/** What the health probe saw. */
export interface ProbeResult {
  /** Latencies (ms) of `/-/healthy` requests sent while a scrape was in flight. */
  latencies: number[];
  /** Scrapes completed meanwhile, and their median latency (ms). */
  scrapes: number;
  /** Median scrape latency during the probe, ms. */
  scrapeMedian: number;
  /** Probes that failed. */
  errors: number;
}

/**
 * Keeps one scrape in flight back to back and sends `/-/healthy` every `intervalMs` meanwhile. With wrk, the
 * scrapes come from a separate `wrk -t1 -c1` process, so this process's event loop only times the probes
 * (reading a 7 MB scrape here would delay them and inflate the figure); every probe is then sent while a
 * scrape is in flight, bar the instants between two scrapes. Without wrk, the scrapes run here too and only
 * probes sent while one is in flight count. Bounded by `b` (probes and time).
 */
export async function healthProbe(
  scrapeUrl: string,
  healthUrl: string,
  intervalMs: number,
  b: Bounds,
  useWrk: boolean,
): Promise<ProbeResult> {
  const until = performance.now() + b.maxMs;
  let inFlight = useWrk;
  let done = false;
  const scrapeTimes: number[] = [];
  let scrapes = 0;
  let scrapeMedian = NaN;
  const scraper = useWrk
    ? (async () => {
      const seconds = Math.ceil(b.maxMs / 1000) + 1;
      const r = await runWrk(scrapeUrl, {}, { connections: 1, threads: 1, seconds });
      scrapes = r.requests;
      scrapeMedian = r.p50;
    })()
    : (async () => {
      for (let i = 0; i < b.count && !done && performance.now() < until; i++) {
        inFlight = true;
        try {
          scrapeTimes.push((await timedGet(scrapeUrl, { "accept-encoding": "identity" }, 60_000))[0]);
        } catch {
          // Counted by the main measurement; the probe only needs load.
        } finally {
          inFlight = false;
        }
      }
      scrapes = scrapeTimes.length;
      scrapeMedian = median(scrapeTimes);
    })();
  // Let the first scrape start.
  await new Promise((r) => setTimeout(r, 300));
  const latencies: number[] = [];
  let errors = 0;
  for (let i = 0; i < b.count && performance.now() < until; i++) {
    await new Promise((r) => setTimeout(r, intervalMs));
    if (!inFlight) continue;
    try {
      latencies.push((await timedGet(healthUrl, {}, 10_000))[0]);
    } catch {
      errors++;
    }
  }
  done = true;
  await scraper;
  return { latencies, scrapes, scrapeMedian, errors };
}
