/**
 * Time and memory of the seed's JSON flattening, today's path (`flattenJson(decode(bytes))`: whole text,
 * `JSON.parse` tree, walk) against the streaming one (`flattenJsonBytes(bytes)`), on three bodies of `KEYS`
 * members: the bench upstream's flat `/stats.json`, a nested one (objects of 10 members, 7 numeric:
 * bench/micro/json_stream_bench.ts), and an array of `KEYS` objects beside one number (the array is skipped).
 *
 * Run: `deno run --allow-all --v8-flags=--expose-gc bench/micro/experiments/json_stream_cost.ts [KEYS...]`
 * (10000 and 100000 by default; `--allow-all` because Deno reads /proc/self only with it).
 *
 * - Time: the two calls alternate, 2 warm-ups then 15 rounds each; median and minimum of wall time and of
 *   CPU time (user + system, which other load on a shared machine stretches less than wall time).
 * - Memory: each path runs in a fresh process, so nothing of the other path's heap or code counts: the heap
 *   right after the call over a full GC before it (no GC after: what the call allocated and V8 has not
 *   collected yet), the live heap after a full GC with the result held (the output), the growth of the peak
 *   RSS (`VmHWM`) over the call, and the live heap at its peak in a second call. Today's peak is measured in
 *   stages (text, tree and families are all alive at the walk's end); the streaming path's is sampled (a
 *   full GC, then `heapUsed`) at each block's decode and at about 40 calls of `Map.prototype.set` (a new
 *   family, or a member of a big object), so it includes the log and the families as they grow.
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { flattenJson, flattenJsonBytes } from "../../../src/formats/json/mod.ts";
import { out } from "../../system/lib/io.ts";
import { RENDER } from "../json_stream_bench.ts";

const MIB = 1048576;
const UTF8 = new TextDecoder("utf-8", { fatal: true });
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");

type Shape = keyof typeof RENDER;
const SHAPES: Shape[] = ["flat", "nested", "arrays"];

const body = (shape: Shape, n: number) => new TextEncoder().encode(RENDER[shape](n));
const PATHS = {
  old: (bytes: Uint8Array) => flattenJson(UTF8.decode(bytes)),
  new: (bytes: Uint8Array) => flattenJsonBytes(bytes),
};

function peakRss(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

function timing(shape: Shape, n: number): void {
  const bytes = body(shape, n);
  const wall: Record<string, number[]> = { old: [], new: [] };
  const cpu: Record<string, number[]> = { old: [], new: [] };
  for (let round = 0; round < 17; round++) {
    for (const which of ["old", "new"] as const) {
      const c0 = cpuUsage();
      const t0 = performance.now();
      PATHS[which](bytes);
      const t1 = performance.now();
      const c = cpuUsage(c0);
      if (round < 2) continue;
      wall[which].push(t1 - t0);
      cpu[which].push((c.user + c.system) / 1000);
    }
  }
  for (const which of ["old", "new"] as const) {
    const f = (xs: number[]) => `${median(xs).toFixed(1)} / ${Math.min(...xs).toFixed(1)}`;
    out(`| ${shape} | ${n} | ${which} | ${f(wall[which])} | ${f(cpu[which])} |\n`);
  }
}

/**
 * Samples the live heap (a full GC, then `heapUsed` over `base`) at every `TextDecoder.decode` (once per
 * block in the streaming path) and every `every`-th `Map.prototype.set` (a new family, or a member of a big
 * object); returns a function that stops sampling and gives the highest sample.
 */
function samplePeak(every: number, base: number): () => number {
  const set = Map.prototype.set;
  const decode = TextDecoder.prototype.decode;
  let sets = 0;
  let peak = 0;
  const sample = () => {
    gc!();
    peak = Math.max(peak, Deno.memoryUsage().heapUsed - base);
  };
  Map.prototype.set = function <K, V>(this: Map<K, V>, key: K, value: V) {
    if (++sets % every === 0) sample();
    return set.call(this, key, value) as Map<K, V>;
  };
  TextDecoder.prototype.decode = function (this: TextDecoder, ...args: Parameters<TextDecoder["decode"]>) {
    sample();
    return decode.apply(this, args);
  };
  return () => {
    Map.prototype.set = set;
    TextDecoder.prototype.decode = decode;
    return peak;
  };
}

/** Today's live heap at its peak, over `base`: the text, the tree and the families, all alive at the walk's end. */
function stagedPeak(bytes: Uint8Array, base: number): number {
  const text = UTF8.decode(bytes);
  const tree = JSON.parse(text);
  const result = flattenJson(text);
  gc!();
  const live = Deno.memoryUsage().heapUsed - base;
  if (tree === null || result.families.length < 0 || text.length < 0) throw new Error("unreachable");
  return live;
}

/** The figures of one call of one path, in bytes. */
function measure(which: "old" | "new", bytes: Uint8Array, n: number): Record<string, number> {
  gc!();
  gc!();
  const rss0 = peakRss();
  const h0 = Deno.memoryUsage().heapUsed;
  const result = PATHS[which](bytes);
  const h1 = Deno.memoryUsage().heapUsed;
  const rss1 = peakRss();
  gc!();
  const h2 = Deno.memoryUsage().heapUsed;
  if (result.families.length < 0) throw new Error("unreachable");
  return {
    afterCall: h1 - h0,
    retained: h2 - h0,
    peakRssGrowth: rss1 - rss0,
    livePeak: livePeak(which, bytes, n),
  };
}

/** The live peak of a second call (a GC per sample would slow the first one). */
function livePeak(which: "old" | "new", bytes: Uint8Array, n: number): number {
  gc!();
  const base = Deno.memoryUsage().heapUsed;
  if (which === "old") return stagedPeak(bytes, base);
  const stop = samplePeak(Math.max(1, Math.floor(n / 40)), base);
  const result = PATHS[which](bytes);
  const peak = stop();
  if (result.families.length < 0) throw new Error("unreachable");
  return peak;
}

/** One path in this process: prints one JSON line of memory figures in bytes. */
function one(which: "old" | "new", shape: Shape, n: number): void {
  out(JSON.stringify(measure(which, body(shape, n), n)) + "\n");
}

async function memory(shape: Shape, n: number): Promise<void> {
  const bytes = body(shape, n).length;
  for (const which of ["old", "new"] as const) {
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all", // Deno reads /proc/self only with all permissions
        "--v8-flags=--expose-gc",
        import.meta.filename!,
        "--one",
        which,
        shape,
        String(n),
      ],
      stderr: "inherit",
    });
    const { stdout, success } = await cmd.output();
    if (!success) throw new Error(`${which} ${shape} ${n} failed`);
    const m = JSON.parse(new TextDecoder().decode(stdout));
    const mib = (b: number) => (b / MIB).toFixed(1);
    const cells = [m.afterCall, m.livePeak, m.retained, m.peakRssGrowth].map(mib).join(" | ");
    out(`| ${shape} | ${n} | ${(bytes / MIB).toFixed(1)} | ${which} | ${cells} |\n`);
  }
}

if (import.meta.main) {
  if (Deno.args[0] === "--one") {
    one(Deno.args[1] as "old" | "new", Deno.args[2] as Shape, Number(Deno.args[3]));
  } else {
    const sizes = Deno.args.length > 0 ? Deno.args.map(Number) : [10_000, 100_000];
    out(
      "Time, ms (median / min)\n\n| body | keys | path | wall | CPU |\n| --- | ---: | --- | ---: | ---: |\n",
    );
    for (const n of sizes) for (const shape of SHAPES) timing(shape, n);
    out(
      "\nMemory, MiB (one fresh process per row)\n\n" +
        "| body | keys | MiB | path | heap after call (no GC) | live peak | live after GC (output) | peak RSS growth |\n" +
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: |\n",
    );
    for (const n of sizes) for (const shape of SHAPES) await memory(shape, n);
  }
}
