/**
 * Summarises a V8 `.cpuprofile` (from `deno run --cpu-prof`): the top functions by self time and by total
 * (inclusive) time, as markdown tables with percentages of the busy (non-idle) samples.
 *
 * Run: `deno run --allow-read bench/system/profile_report.ts FILE.cpuprofile [--top 20]`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { out } from "./lib/io.ts";

/** The parts of the `.cpuprofile` format this report reads. */
export interface CpuProfile {
  /** Call-tree nodes. */
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  /** The node sampled at each tick. */
  samples: number[];
  /** Microseconds since the previous sample, per sample. */
  timeDeltas: number[];
}

/** One function's share of the profile. */
export interface FunctionCost {
  /** `name (file:line)`. */
  name: string;
  /** Time with this function on top of the stack, µs. */
  selfUs: number;
  /** Time with this function anywhere on the stack, µs. */
  totalUs: number;
}

/** Computes self and total time per function (recursion counted once per sample). */
export function summarise(p: CpuProfile): { totalUs: number; functions: FunctionCost[] } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (id: number) => {
    const f = byId.get(id)!.callFrame;
    const file = f.url === ""
      ? ""
      : ` (${f.url.replace(/^.*\/(src|bench|npm)\//, "$1/")}:${f.lineNumber + 1})`;
    return `${f.functionName || "(anonymous)"}${file}`;
  };
  const costs = new Map<string, FunctionCost>();
  const get = (k: string) => {
    let c = costs.get(k);
    if (c === undefined) costs.set(k, c = { name: k, selfUs: 0, totalUs: 0 });
    return c;
  };
  let totalUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    // The delta before the next sample is the time spent in this one.
    const dt = p.timeDeltas[i + 1] ?? 0;
    totalUs += dt;
    let id: number | undefined = p.samples[i];
    get(key(id)).selfUs += dt;
    const seen = new Set<string>();
    while (id !== undefined) {
      const k = key(id);
      if (!seen.has(k)) {
        seen.add(k);
        get(k).totalUs += dt;
      }
      id = parent.get(id);
    }
  }
  return { totalUs, functions: [...costs.values()] };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { top: { type: "string", default: "20" } },
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const { totalUs, functions } = summarise(JSON.parse(Deno.readTextFileSync(file)) as CpuProfile);
    // Percentages of busy time: a server profile holds idle time between requests, which says nothing.
    const idleUs = functions.find((f) => f.name === "(idle)")?.selfUs ?? 0;
    const busyUs = totalUs - idleUs;
    const pct = (us: number) => `${(100 * us / busyUs).toFixed(1)}%`;
    const lines = [
      `### ${file}`,
      "",
      `${(totalUs / 1000).toFixed(0)} ms sampled, ${
        (busyUs / 1000).toFixed(0)
      } ms busy; percentages of busy time.`,
      "",
    ];
    lines.push("| self | total | function |", "|---:|---:|---|");
    const shown = functions.filter((f) => f.name !== "(idle)" && f.name !== "(root)");
    const bySelf = [...shown].sort((a, b) => b.selfUs - a.selfUs).slice(0, top);
    for (const f of bySelf) lines.push(`| ${pct(f.selfUs)} | ${pct(f.totalUs)} | \`${f.name}\` |`);
    lines.push("", "Top by total (inclusive) time:", "", "| total | self | function |", "|---:|---:|---|");
    const byTotal = [...shown].sort((a, b) => b.totalUs - a.totalUs).slice(0, top);
    for (const f of byTotal) lines.push(`| ${pct(f.totalUs)} | ${pct(f.selfUs)} | \`${f.name}\` |`);
    out(lines.join("\n") + "\n\n");
  }
}
