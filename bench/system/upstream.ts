/**
 * The bench's upstream simulator: serves N series as Prometheus text (`/metrics`) and as a flat JSON object
 * shaped like the seed's input (`/stats.json`), on 127.0.0.1 only. Like a live system, every answer has new
 * values: each body is rendered in {@linkcode VERSIONS} versions at start (tick 0, 1, 2: counters and buckets
 * grow, gauges move) and the requests take them in turn, so serving is a write and the upstream's own cost
 * stays small next to the exporter's. Tick 0 is byte for byte the lab simulator's body.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/system/upstream.ts --series 100000 [--port 0] [--generations 4]
 * [--json-generations 4]`; it prints one JSON line `{"port":N,...}` on stdout once it listens, which is how
 * `bench/system/run.ts` finds the port.
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
 * **Churn** (`/metrics?churn=C`, `/stats.json?churn=C`, C a whole percentage 0-100): C% of the series keys
 * change on every request relative to the previous request of the same URL, like targets that restart and
 * come back with new label values. A changed key carries a generation: `instance="node-3-g2"` and
 * `handler="/api/2-g2"` in text (a histogram changes as a whole, so its buckets stay one histogram), the key
 * `requests_3_g2` in JSON; generation 0 writes no suffix, so `?churn=0` serves exactly the bodies without the
 * parameter. How: the body is cut into units (a counter or gauge sample line, a whole histogram family, a JSON
 * key), the units into at most {@linkcode CHURN_GROUPS} groups of consecutive units, and each group gets one of
 * 100 slots, scattered (group `g` has slot `37 g mod 100`) so the changed series are spread over the body,
 * not one block. At request `k`, slot `s` is at generation `floor((k C + 99 - s) / 100)`: from one request to
 * the next exactly C of the 100 slots move on, and with 100% every key changes every time (a cold scrape).
 * Generations are taken modulo the `generations` pre-rendered at start (default 1: no churn; bench/system/run.ts
 * asks for {@linkcode CHURN_GENERATIONS}), so a key comes back only after that many changes of its slot; the
 * answer is those slices of the pre-rendered bodies copied into fresh 1 MiB chunks (steady bodies too, so
 * every scenario costs the upstream the same; nothing is rendered per request) with its `Content-Length`.
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
 * Generations of the series keys bench/system/run.ts has pre-rendered when it asks for churn: a key comes back after
 * this many changes of its slot, so an exporter that remembered fewer than this many earlier scrapes (the
 * series cache keeps one) never sees a changed key it knows.
 */
export const CHURN_GENERATIONS = 4;

/**
 * At most this many churn groups per body: each change of generation along the body is one slice of the
 * answer, so this bounds the slices per request (about 2 × C% of it) whatever the size, while the changed
 * series stay spread over the body.
 */
export const CHURN_GROUPS = 1000;

/** Slot stride between neighbouring groups: coprime with 100, so 100 neighbouring groups take every slot. */
const SLOT_STRIDE = 37;

/**
 * Every answer is copied, slice by slice, into fresh chunks of this size, then streamed: the same work for
 * every scenario. Measured at 100k series (7.7 MB) on the bench machine: Deno serves a Uint8Array body at half
 * the speed of the same bytes streamed (about 10 against 5 ms), and a stream pays about 10 µs per chunk, so
 * the 200 to 1,000 slices of a churned body as they are would cost up to 7 ms more than a steady body; a copy
 * of the body costs about 1.5 ms, once, in every scenario alike.
 */
const CHUNK_BYTES = 1 << 20;

/**
 * Renders `n` series as Prometheus text 0.0.4 (see the module doc for the shape).
 *
 * @param n The number of samples; 0 gives an empty body.
 * @param tick Which version: every value moves with it (counters, buckets and counts grow).
 * @param gen The generation of every series key: 0 writes none (the lab simulator's body), else a `-gN`
 *   suffix on `instance` (counters, gauges) or `handler` (histograms).
 * @param units When given, receives the offset of every churn unit's start (a counter or gauge sample line,
 *   with its family's HELP and TYPE for the first one; a whole histogram family), then the body's length.
 *   Offsets are in characters, which are bytes here: the body is ASCII.
 */
export function renderMetricsText(n: number, tick = 0, gen = 0, units?: number[]): string {
  const parts: string[] = [];
  let at = 0;
  const push = (s: string) => {
    parts.push(s);
    at += s.length;
  };
  const sfx = gen === 0 ? "" : `-g${gen}`;
  let left = n;
  for (let f = 0; left > 0; f++) {
    const size = Math.min(10, left);
    left -= size;
    const id = String(f).padStart(5, "0");
    if (f % 10 === 2 && size === 10) {
      const name = `upstream_request_duration_seconds_${id}`;
      const handler = `/api/${f}${sfx}`;
      units?.push(at);
      push(`# HELP ${name} Simulated request latency histogram ${f}.\n# TYPE ${name} histogram\n`);
      let cumulative = 0;
      for (let b = 0; b < LE.length; b++) {
        cumulative += 10 * (b + 1) + f + tick;
        push(`${name}_bucket{handler="${handler}",le="${LE[b]}"} ${cumulative}\n`);
      }
      push(`${name}_sum{handler="${handler}"} ${(cumulative * 0.042).toFixed(3)}\n`);
      push(`${name}_count{handler="${handler}"} ${cumulative}\n`);
    } else if (f % 2 === 0) {
      const name = `upstream_requests_${id}_total`;
      units?.push(at);
      push(`# HELP ${name} Simulated request counter ${f}.\n# TYPE ${name} counter\n`);
      for (let s = 0; s < size; s++) {
        if (s > 0) units?.push(at);
        push(`${name}{instance="node-${s}${sfx}",code="${CODES[s % 4]}"} ${1000 * f + 7 * s + 5 * tick}\n`);
      }
    } else {
      const name = `upstream_queue_depth_${id}`;
      units?.push(at);
      push(`# HELP ${name} Simulated gauge ${f}.\n# TYPE ${name} gauge\n`);
      for (let s = 0; s < size; s++) {
        if (s > 0) units?.push(at);
        push(
          `${name}{instance="node-${s}${sfx}",queue="q${s}"} ${
            ((f * 31 + s * 17 + tick * 13) % 1000) / 10
          }\n`,
        );
      }
    }
  }
  units?.push(at);
  return parts.join("");
}

/**
 * Renders `n` keys as the seed's flat JSON object (see the module doc for the shape).
 *
 * @param n The number of keys.
 * @param tick Which version: every value moves with it.
 * @param gen The generation of every key: 0 writes none, else a `_gN` suffix.
 * @param units When given, receives the offset of every key's churn unit (the first one holds the `{`, each
 *   holds its trailing comma), then the body's length.
 */
export function renderStatsJson(n: number, tick = 0, gen = 0, units?: number[]): string {
  const parts: string[] = [];
  const sfx = gen === 0 ? "" : `_g${gen}`;
  // Where the next key starts: after the "{" and, past the first, after the comma that joins it.
  let at = 1;
  for (let i = 0; i < n; i++) {
    const round = Math.floor(i / STAT_KEYS.length);
    const base = STAT_KEYS[i % STAT_KEYS.length];
    const key = (round === 0 ? base : `${base}_${round}`) + sfx;
    const value = base === "uptime_sec" ? 86400.5 + i + tick * 15 : 1000 + i * 3 + tick;
    const part = `${JSON.stringify(key)}:${value}`;
    units?.push(i === 0 ? 0 : at);
    parts.push(part);
    at += part.length + 1;
  }
  const body = `{${parts.join(",")}}`;
  units?.push(body.length);
  return body;
}

/** How a body's churn units are grouped, and each group's slot (see the module doc). */
export interface ChurnLayout {
  /** Churn units in the body. */
  units: number;
  /** Consecutive units per group (the last group may hold fewer). */
  perGroup: number;
  /** The slot (0-99) of each group. */
  slots: Uint8Array;
}

/** The churn layout of a body of `units` units. */
export function churnLayout(units: number): ChurnLayout {
  const perGroup = Math.max(1, Math.ceil(units / CHURN_GROUPS));
  const groups = Math.ceil(units / perGroup);
  const slots = new Uint8Array(groups);
  for (let g = 0; g < groups; g++) {
    // Below 100 groups the stride would not be a permutation of the used slots: spread them evenly instead,
    // so C% of the slots' window still meets about C% of the groups (5 of 10 at 50%).
    slots[g] = groups >= 100 ? (g * SLOT_STRIDE) % 100 : Math.floor((g * 100) / groups);
  }
  return { units, perGroup, slots };
}

/**
 * The generation of slot `slot` at request `k` (from 0) with `churn`% churn: exactly `churn` of the 100
 * slots move on by one from request `k - 1` to `k`, every slot is at 0 at request 0, and with 0% every slot
 * stays at 0.
 */
export function slotGeneration(slot: number, k: number, churn: number): number {
  return Math.floor((k * churn + 99 - slot) / 100);
}

/** One path's pre-rendered bodies, by tick then generation, with their churn units' offsets. */
interface Rendered {
  /** Content-Type. */
  type: string;
  /** `bodies[tick][gen]`. */
  bodies: Uint8Array<ArrayBuffer>[][];
  /** `offsets[tick][gen][u]`: where unit `u` starts; the last entry is the body's length. */
  offsets: Int32Array[][];
  /** The layout shared by every body of the path (they have the same units). */
  layout: ChurnLayout;
}

const ENC = new TextEncoder();

function renderPath(
  type: string,
  series: number,
  generations: number,
  render: (n: number, tick: number, gen: number, units?: number[]) => string,
): Rendered {
  const bodies: Uint8Array<ArrayBuffer>[][] = [];
  const offsets: Int32Array[][] = [];
  for (let tick = 0; tick < VERSIONS; tick++) {
    bodies.push([]);
    offsets.push([]);
    for (let gen = 0; gen < generations; gen++) {
      // Offsets are only needed to cut slices, i.e. with churn.
      const units: number[] | undefined = generations > 1 ? [] : undefined;
      const text = render(series, tick, gen, units);
      const bytes = ENC.encode(text);
      // Offsets count characters: they are bytes only while the body is ASCII.
      if (bytes.byteLength !== text.length) throw new Error("The bench bodies must be ASCII");
      bodies[tick].push(bytes);
      offsets[tick].push(Int32Array.from(units ?? [0, bytes.byteLength]));
    }
  }
  return { type, bodies, offsets, layout: churnLayout(offsets[0][0].length - 1) };
}

/**
 * The slices that make request `k`'s body of a path with `churn`% churn: every group's units taken from the
 * body of its slot's generation (modulo the generations rendered) at tick `k mod VERSIONS`; neighbouring
 * groups of the same generation make one slice.
 */
function churnSlices(r: Rendered, k: number, churn: number): Uint8Array[] {
  const tick = k % VERSIONS;
  const generations = r.bodies[tick].length;
  const { slots, perGroup, units } = r.layout;
  if (churn === 0 || generations === 1 || slots.length === 0) return [r.bodies[tick][0]];
  const genOf = new Int32Array(100);
  for (let s = 0; s < 100; s++) genOf[s] = slotGeneration(s, k, churn) % generations;
  const slices: Uint8Array[] = [];
  let from = 0;
  let gen = genOf[slots[0]];
  for (let g = 1; g <= slots.length; g++) {
    const next = g < slots.length ? genOf[slots[g]] : -1;
    if (next === gen) continue;
    const off = r.offsets[tick][gen];
    slices.push(r.bodies[tick][gen].subarray(off[from * perGroup], off[Math.min(g * perGroup, units)]));
    from = g;
    gen = next;
  }
  return slices;
}

/**
 * The text bodies of `/metrics?churn=C` for requests 0 to `requests - 1`, as the upstream serves them to one
 * client, without serving them: for benchmarks and tests in process.
 */
export function metricsBodies(series: number, churn: number, requests: number): Uint8Array[] {
  const r = renderPath(TEXT_CONTENT_TYPE, series, churn > 0 ? CHURN_GENERATIONS : 1, renderMetricsText);
  const bodies: Uint8Array[] = [];
  for (let k = 0; k < requests; k++) {
    const slices = churnSlices(r, k, churn);
    const body = new Uint8Array(slices.reduce((sum, slice) => sum + slice.byteLength, 0));
    let at = 0;
    for (const slice of slices) {
      body.set(slice, at);
      at += slice.byteLength;
    }
    bodies.push(body);
  }
  return bodies;
}

/** Copies the slices, in order, into fresh chunks of {@linkcode CHUNK_BYTES} (the last one shorter). */
function chunked(slices: readonly Uint8Array[], length: number): Uint8Array<ArrayBuffer>[] {
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let chunk = new Uint8Array(Math.min(CHUNK_BYTES, length));
  let at = 0;
  for (const slice of slices) {
    for (let from = 0; from < slice.byteLength;) {
      if (at === chunk.byteLength) {
        chunks.push(chunk);
        length -= at;
        chunk = new Uint8Array(Math.min(CHUNK_BYTES, length));
        at = 0;
      }
      const n = Math.min(chunk.byteLength - at, slice.byteLength - from);
      chunk.set(slice.subarray(from, from + n), at);
      at += n;
      from += n;
    }
  }
  if (at > 0) chunks.push(chunk);
  return chunks;
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

/** How many generations of the series keys to pre-render, by format (see the module doc, "Churn"). */
export interface UpstreamOptions {
  /** Generations of `/metrics` (and of `/stats.json` unless `jsonGenerations` is given). @default {1} */
  generations?: number;
  /** Generations of `/stats.json`. @default {generations} */
  jsonGenerations?: number;
}

/**
 * Starts the simulator in this process (tests and the CLI below use it).
 *
 * @param series Samples in `/metrics`, keys in `/stats.json`.
 * @param port The port; 0 lets the OS choose.
 * @param options Generations to pre-render for churn; 1 (the default) serves `?churn=0` only.
 */
export function serveBenchUpstream(series: number, port = 0, options: UpstreamOptions = {}): BenchUpstream {
  if (!Number.isInteger(series) || series < 0) {
    throw new RangeError(`Series must be a whole number: got ${series}`);
  }
  const generations = options.generations ?? 1;
  const jsonGenerations = options.jsonGenerations ?? generations;
  for (const g of [generations, jsonGenerations]) {
    if (!Number.isInteger(g) || g < 1) {
      throw new RangeError(`Generations must be a whole number >= 1: got ${g}`);
    }
  }
  const paths: Record<string, Rendered> = {
    "/metrics": renderPath(TEXT_CONTENT_TYPE, series, generations, renderMetricsText),
    "/stats.json": renderPath("application/json", series, jsonGenerations, renderStatsJson),
  };
  const index = ENC.encode("/metrics /stats.json (?churn=PERCENT)\n");
  // Requests so far, by path and churn: each URL's bodies follow their own sequence from request 0.
  const served = new Map<string, number>();
  const ac = new AbortController();
  const server = Deno.serve({ hostname: "127.0.0.1", port, signal: ac.signal, onListen: () => {} }, (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/") {
      return new Response(index, { headers: { "content-type": "text/plain; charset=utf-8" } });
    }
    const r = paths[url.pathname];
    if (r === undefined) return new Response("Not found\n", { status: 404 });
    const raw = url.searchParams.get("churn") ?? "0";
    const churn = Number(raw);
    if (!/^\d{1,3}$/.test(raw) || churn > 100) {
      return new Response(`churn must be a whole percentage 0-100: got "${raw}"\n`, { status: 400 });
    }
    if (churn > 0 && r.bodies[0].length < 2) {
      return new Response(`churn needs pre-rendered generations: start with --generations 2 or more\n`, {
        status: 400,
      });
    }
    const key = `${url.pathname}?${churn}`;
    const k = served.get(key) ?? 0;
    served.set(key, k + 1);
    const slices = churnSlices(r, k, churn);
    const length = slices.reduce((n, s) => n + s.byteLength, 0);
    const headers = { "content-type": r.type, "content-length": String(length) };
    const chunks = chunked(slices, length);
    if (chunks.length <= 1) return new Response(chunks[0] ?? null, { headers });
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (i < chunks.length) c.enqueue(chunks[i++]);
        else c.close();
      },
    });
    return new Response(stream, { headers });
  });
  const close = async () => {
    ac.abort();
    await server.finished;
  };
  const sizes: Record<string, number> = {};
  for (const [path, r] of Object.entries(paths)) sizes[path] = r.bodies[0][0].byteLength;
  sizes["/"] = index.byteLength;
  return { origin: `http://127.0.0.1:${server.addr.port}`, sizes, close, [Symbol.asyncDispose]: close };
}

function flagValue(args: readonly string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
}

if (import.meta.main) {
  const series = Number(flagValue(Deno.args, "series", "1000"));
  const port = Number(flagValue(Deno.args, "port", "0"));
  const generations = Number(flagValue(Deno.args, "generations", "1"));
  const jsonGenerations = Number(flagValue(Deno.args, "json-generations", String(generations)));
  const up = serveBenchUpstream(series, port, { generations, jsonGenerations });
  const stop = () => void up.close();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  out(JSON.stringify({ port: Number(new URL(up.origin).port), series, sizes: up.sizes }) + "\n");
}
