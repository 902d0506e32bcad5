/**
 * The bench's upstream simulator: serves N series as Prometheus text (`/metrics`) and as a flat JSON object
 * shaped like the seed's input (`/stats.json`), on 127.0.0.1 only. Like a live system, every answer has new
 * values: each body is rendered in {@linkcode VERSIONS} versions at start (tick 0, 1, 2: counters and buckets
 * grow, gauges move) and the requests take them in turn, so serving is a write and the upstream's own cost
 * stays small next to the exporter's. Tick 0 is byte for byte the lab simulator's body.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/upstream.ts --series 100000 [--port 0]`; it prints one JSON line
 * `{"port":N,...}` on stdout once it listens, which is how `bench/run.ts` finds the port.
 *
 * `/metrics` shape (same as the lab's simulator, so figures compare): families of 10 samples; family `f` is a
 * histogram (`upstream_request_duration_seconds_<f>`: 8 buckets, `_sum`, `_count`, one label) when
 * `f % 10 == 2`, else a counter (`upstream_requests_<f>_total`, even `f`) or a gauge
 * (`upstream_queue_depth_<f>`, odd `f`) with 10 label combinations of two labels each. The last family takes
 * the remainder, so the body holds exactly N samples.
 *
 * `/stats.json` shape: `{"requests": 1000, "requests_status_2xx": 1003, ...}` with N numeric keys; after the
 * first 10 keys the names repeat with a round suffix (`requests_1`, ...).
 *
 * @module
 */

import { out } from "./lib/io.ts";

const LE = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "+Inf"];
const CODES = ["2xx", "3xx", "4xx", "5xx"];
const STAT_KEYS = [
  "requests",
  "requests_status_2xx",
  "requests_status_3xx",
  "requests_status_4xx",
  "requests_status_5xx",
  "uptime_sec",
  "bytes_in",
  "bytes_out",
  "connections_active",
  "errors",
];

/** Content-Type of `/metrics`. */
export const TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** How many versions of each body the simulator serves in turn. */
export const VERSIONS = 3;

/**
 * Renders `n` series as Prometheus text 0.0.4 (see the module doc for the shape).
 *
 * @param n The number of samples; 0 gives an empty body.
 * @param tick Which version: every value moves with it (counters, buckets and counts grow).
 */
export function renderMetricsText(n: number, tick = 0): string {
  const parts: string[] = [];
  let left = n;
  for (let f = 0; left > 0; f++) {
    const size = Math.min(10, left);
    left -= size;
    const id = String(f).padStart(5, "0");
    if (f % 10 === 2 && size === 10) {
      const name = `upstream_request_duration_seconds_${id}`;
      parts.push(`# HELP ${name} Simulated request latency histogram ${f}.\n# TYPE ${name} histogram\n`);
      let cumulative = 0;
      for (let b = 0; b < LE.length; b++) {
        cumulative += 10 * (b + 1) + f + tick;
        parts.push(`${name}_bucket{handler="/api/${f}",le="${LE[b]}"} ${cumulative}\n`);
      }
      parts.push(`${name}_sum{handler="/api/${f}"} ${(cumulative * 0.042).toFixed(3)}\n`);
      parts.push(`${name}_count{handler="/api/${f}"} ${cumulative}\n`);
    } else if (f % 2 === 0) {
      const name = `upstream_requests_${id}_total`;
      parts.push(`# HELP ${name} Simulated request counter ${f}.\n# TYPE ${name} counter\n`);
      for (let s = 0; s < size; s++) {
        parts.push(`${name}{instance="node-${s}",code="${CODES[s % 4]}"} ${1000 * f + 7 * s + 5 * tick}\n`);
      }
    } else {
      const name = `upstream_queue_depth_${id}`;
      parts.push(`# HELP ${name} Simulated gauge ${f}.\n# TYPE ${name} gauge\n`);
      for (let s = 0; s < size; s++) {
        parts.push(
          `${name}{instance="node-${s}",queue="q${s}"} ${((f * 31 + s * 17 + tick * 13) % 1000) / 10}\n`,
        );
      }
    }
  }
  return parts.join("");
}

/**
 * Renders `n` keys as the seed's flat JSON object (see the module doc for the shape).
 *
 * @param n The number of keys.
 * @param tick Which version: every value moves with it.
 */
export function renderStatsJson(n: number, tick = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const round = Math.floor(i / STAT_KEYS.length);
    const base = STAT_KEYS[i % STAT_KEYS.length];
    const key = round === 0 ? base : `${base}_${round}`;
    const value = base === "uptime_sec" ? 86400.5 + i + tick * 15 : 1000 + i * 3 + tick;
    parts.push(`${JSON.stringify(key)}:${value}`);
  }
  return `{${parts.join(",")}}`;
}

/** A running simulator. */
export interface BenchUpstream extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** Body sizes in bytes, by path. */
  sizes: Record<string, number>;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * Starts the simulator in this process (tests and the CLI below use it).
 *
 * @param series Samples in `/metrics`, keys in `/stats.json`.
 * @param port The port; 0 lets the OS choose.
 */
export function serveBenchUpstream(series: number, port = 0): BenchUpstream {
  if (!Number.isInteger(series) || series < 0) {
    throw new RangeError(`Series must be a whole number: got ${series}`);
  }
  const enc = new TextEncoder();
  const versions = (render: (n: number, tick: number) => string) =>
    Array.from({ length: VERSIONS }, (_, tick) => enc.encode(render(series, tick)));
  const bodies: Record<string, [string, Uint8Array<ArrayBuffer>[]]> = {
    "/metrics": [TEXT_CONTENT_TYPE, versions(renderMetricsText)],
    "/stats.json": ["application/json", versions(renderStatsJson)],
    "/": ["text/plain; charset=utf-8", [enc.encode("/metrics /stats.json\n")]],
  };
  const served = new Map<string, number>();
  const ac = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port, signal: ac.signal, onListen: () => {} }, (req) => {
    const entry = bodies[new URL(req.url).pathname];
    if (entry === undefined) return new Response("Not found\n", { status: 404 });
    const [type, all] = entry;
    const path = new URL(req.url).pathname;
    const n = served.get(path) ?? 0;
    served.set(path, n + 1);
    const body = all[n % all.length];
    return new Response(body, {
      headers: { "content-type": type, "content-length": String(body.byteLength) },
    });
  });
  const close = async () => {
    ac.abort();
    await server.finished;
  };
  const sizes: Record<string, number> = {};
  for (const [path, [, all]] of Object.entries(bodies)) sizes[path] = all[0].byteLength;
  return { origin: `http://127.0.0.1:${server.addr.port}`, sizes, close, [Symbol.asyncDispose]: close };
}

function flagValue(args: readonly string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

if (import.meta.main) {
  const series = Number(flagValue(Deno.args, "series", "1000"));
  const port = Number(flagValue(Deno.args, "port", "0"));
  const up = serveBenchUpstream(series, port);
  const stop = () => void up.close();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  out(JSON.stringify({ port: Number(new URL(up.origin).port), series, sizes: up.sizes }) + "\n");
}
