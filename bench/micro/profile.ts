/**
 * Runs one bench case in process, many times, for a CPU profile; prints CPU and wall time per scrape and per
 * stage. Bounded by `--iterations` and `--max-seconds`.
 *
 * ```sh
 * deno run --allow-read --allow-write --allow-env=LOG_TOKENS,LOG_STREAM --cpu-prof --cpu-prof-dir=bench/system/results/prof \
 *   bench/micro/profile.ts --case text --series 100000 --iterations 30
 * deno run --allow-read bench/system/profile_report.ts bench/system/results/prof/CPU.*.cpuprofile
 * ```
 *
 * CPU time (`process.cpuUsage()`, user + system of the whole process) is printed beside wall time because
 * other work on a shared machine stretches wall time but not CPU time.
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import { writeTextBytes } from "../../src/exposition/text.ts";
import { decodeBody } from "../../src/formats/mod.ts";
import { out } from "../system/lib/io.ts";
import { median } from "../system/lib/load.ts";
import { type Case, caseBody, caseTarget } from "../system/lib/pipeline.ts";

const { values: v } = parseArgs({
  args: Deno.args,
  strict: true,
  options: {
    case: { type: "string", default: "text" },
    series: { type: "string", default: "100000" },
    iterations: { type: "string", default: "30" },
    "max-seconds": { type: "string", default: "60" },
  },
});
const c = v.case as Case;
if (c !== "text" && c !== "json" && c !== "text-norules") throw new RangeError(`Unknown case "${c}"`);
const n = Number(v.series);
const iterations = Number(v.iterations);
const until = performance.now() + Number(v["max-seconds"]) * 1000;

const target = caseTarget(c);
const body = caseBody(c, n);
const stages = { decode: [] as number[], transform: [] as number[], write: [] as number[] };
const wall: number[] = [];
const cpu: number[] = [];
let bytes = 0;
for (let i = 0; i < iterations && performance.now() < until; i++) {
  const c0 = cpuUsage();
  const t0 = performance.now();
  const { families } = decodeBody(target.decoder, body);
  const t1 = performance.now();
  const transformed = target.transform.apply(families);
  const t2 = performance.now();
  bytes = writeTextBytes(transformed).byteLength;
  const t3 = performance.now();
  const c1 = cpuUsage(c0);
  stages.decode.push(t1 - t0);
  stages.transform.push(t2 - t1);
  stages.write.push(t3 - t2);
  wall.push(t3 - t0);
  cpu.push((c1.user + c1.system) / 1000);
}
const f = (xs: number[]) => median(xs).toFixed(2);
out(
  `case ${c}, ${n} series, ${wall.length} scrapes, ${body.bytes.byteLength} bytes in, ${bytes} bytes out\n` +
    `median per scrape: wall ${f(wall)} ms, CPU ${f(cpu)} ms (${
      (median(cpu) * 1000 / n).toFixed(3)
    } µs/series)\n` +
    `median per stage (wall): decode ${f(stages.decode)} ms, transform ${f(stages.transform)} ms, ` +
    `write ${f(stages.write)} ms\n`,
);
