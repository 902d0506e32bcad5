/**
 * The series cache against the plain streaming pass, in process: CPU time per scrape of the bench's text body
 * through the typical rules (decode, rules, write text 0.0.4), without HTTP and without the memo, for a steady
 * shape, 10% of the series keys changing on every scrape and every key changing; each case also checks that
 * the cached answer equals the uncached one byte for byte.
 *
 * ```sh
 * deno run -A bench/micro/experiments/series_cache_cost.ts [series=100000] [rounds=16]
 * ```
 *
 * @module
 */

import process from "node:process";
import { writeTextBytes } from "../../../src/exposition/text.ts";
import { decodeStream } from "../../../src/formats/mod.ts";
import { SeriesCache } from "../../../src/formats/series_cache.ts";
import { outputKeeper } from "../../../src/transform/mod.ts";
import type { UpstreamBody } from "../../../src/upstream/mod.ts";
import { out } from "../../system/lib/io.ts";
import { caseTarget } from "../../system/lib/pipeline.ts";
import { renderMetricsText, TEXT_CONTENT_TYPE } from "../../system/upstream.ts";

const n = Number(Deno.args[0] ?? 100_000);
const rounds = Number(Deno.args[1] ?? 16);
const target = caseTarget("text");
const enc = new TextEncoder();

/** The body of `tick` with `pct`% of its instance labels renamed for generation `gen`. */
function churned(tick: number, pct: number, gen: number): UpstreamBody {
  const lines = renderMetricsText(n, tick).split("\n");
  let k = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith("#") || !lines[i].includes('instance="')) continue;
    if ((k++ * 7919 + gen * 31) % 100 < pct) lines[i] = lines[i].replace('instance="', `instance="g${gen}-`);
  }
  return { bytes: enc.encode(lines.join("\n")), contentType: TEXT_CONTENT_TYPE };
}

function scrape(body: UpstreamBody, cache?: SeriesCache): Uint8Array {
  const begin = (asSent: boolean) => target.transform.begin({ asSent });
  return writeTextBytes(decodeStream(target.decoder, body, begin, cache).families);
}

function cpuMs(f: () => unknown): number {
  const before = process.cpuUsage();
  f();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

const cases: [string, UpstreamBody[], boolean][] = [
  ["no cache", [0, 1, 2].map((t) => churned(t, 0, 0)), false],
  ["cache, steady", [0, 1, 2].map((t) => churned(t, 0, 0)), true],
  ["cache, 10% churn", [1, 2, 3, 4, 5, 6].map((g) => churned(g % 3, 10, g)), true],
  ["cache, 100% churn", [1, 2, 3, 4, 5, 6].map((g) => churned(g % 3, 100, g)), true],
];
out(`series ${n}, ${rounds} rounds, median CPU ms per scrape (decode, rules, write)\n`);
for (const [name, bodies, cached] of cases) {
  const cache = cached ? new SeriesCache(outputKeeper()) : undefined;
  for (let i = 0; i < 3; i++) scrape(bodies[i % bodies.length], cache);
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) times.push(cpuMs(() => scrape(bodies[(i + 3) % bodies.length], cache)));
  times.sort((a, b) => a - b);
  const check = bodies[(rounds + 3) % bodies.length];
  const equal = same(scrape(check, cache), scrape(check));
  const hits = cache === undefined ? "" : `, last hits ${cache.lastHits} of ${cache.lastLines} lines`;
  out(`${name.padEnd(20)} ${times[rounds >> 1].toFixed(1)} ms${hits}, same answer as no cache: ${equal}\n`);
}
