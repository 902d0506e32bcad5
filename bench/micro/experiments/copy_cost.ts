/**
 * What copying runs of bytes costs in this V8, by run length: a JavaScript loop, a `subarray` view handed to
 * `set`, and `copyWithin` inside one buffer. The figures behind `ByteWriter.copy`'s threshold
 * (src/exposition/escape.ts) and the relay's short copies (src/relay/_lex.ts `copyBytes`).
 *
 * Run: `deno run bench/micro/experiments/copy_cost.ts`; prints the ms to copy 8 MB in runs of each length
 * (second of two rounds).
 *
 * @module
 */

import { out } from "../../system/lib/io.ts";

const SIZE = 8_000_000;
const src = new Uint8Array(SIZE).map((_, i) => i & 255);
const dst = new Uint8Array(SIZE);

/** Milliseconds to copy all of `src` in runs of `run` bytes with `copy`. */
function timed(run: number, copy: (from: number, pos: number) => void): number {
  const t0 = performance.now();
  for (let from = 0, pos = 0; from + run <= SIZE; from += run, pos += run) copy(from, pos);
  return performance.now() - t0;
}

out(
  "| run bytes | loop ms | subarray + set ms | copyWithin (one buffer) ms |\n| ---: | ---: | ---: | ---: |\n",
);
for (const run of [16, 48, 100, 600, 1200, 4000]) {
  let row = "";
  for (let round = 0; round < 2; round++) {
    const loop = timed(run, (from, pos) => {
      for (let i = from; i < from + run; i++) dst[pos++] = src[i];
    });
    const view = timed(run, (from, pos) => dst.set(src.subarray(from, from + run), pos));
    const within = timed(run, (from, pos) => dst.copyWithin(pos, from, from + run));
    row = `| ${run} | ${loop.toFixed(1)} | ${view.toFixed(1)} | ${within.toFixed(1)} |\n`;
  }
  out(row);
}
