/**
 * Comparing and copying series keys four bytes at a time: the relay's line prediction compares each line's
 * key (some 60 bytes) with the last pass's and copies the last output prefix (src/relay/_lex.ts
 * `sameBytes4`, `copyBytes4`). This times 100,000 ranges of 70 bytes between two buffers at different
 * offsets, a byte loop against `DataView.getInt32`/`setInt32`.
 *
 * Run: `deno run bench/micro/experiments/words_cost.ts`; prints ms per 100,000 ranges, for 8 rounds (the
 * first ones warm up).
 *
 * @module
 */

import { out } from "../../system/lib/io.ts";
import { copyBytes, copyBytes4, sameBytes4, samePrefix, viewOf } from "../../../src/relay/_lex.ts";

const N = 100_000, L = 70;
const a = new Uint8Array(N * (L + 7)), b = new Uint8Array(N * (L + 9));
for (let i = 0; i < a.length; i++) a[i] = 97 + (i % 13);
const offA = new Int32Array(N), offB = new Int32Array(N);
for (let i = 0; i < N; i++) {
  offA[i] = i * (L + 7);
  offB[i] = i * (L + 9) + (i % 5);
  b.set(a.subarray(offA[i], offA[i] + L), offB[i]);
}
const dst = new Uint8Array(N * (L + 8));
const av = viewOf(a), bv = viewOf(b), dv = viewOf(dst);

/** Milliseconds `f` takes. */
function timed(f: () => number): [number, number] {
  const t0 = performance.now();
  const n = f();
  return [performance.now() - t0, n];
}

for (let round = 0; round < 8; round++) {
  const [cmp1, same1] = timed(() => {
    let same = 0;
    for (let i = 0; i < N; i++) if (samePrefix(b, offB[i], a, offA[i], L) === L) same++;
    return same;
  });
  const [cmp4, same4] = timed(() => {
    let same = 0;
    for (let i = 0; i < N; i++) if (sameBytes4(b, bv, offB[i], a, av, offA[i], L)) same++;
    return same;
  });
  const [copy1] = timed(() => {
    let o = 0;
    for (let i = 0; i < N; i++) o = copyBytes(dst, o, a, offA[i], offA[i] + L);
    return o;
  });
  const [copy4] = timed(() => {
    let o = 0;
    for (let i = 0; i < N; i++) o = copyBytes4(dst, dv, o, a, av, offA[i], offA[i] + L);
    return o;
  });
  if (same1 !== N || same4 !== N) throw new Error("the ranges differ");
  out(
    `round ${round}: compare bytes ${cmp1.toFixed(2)} ms, words ${cmp4.toFixed(2)} ms; ` +
      `copy bytes ${copy1.toFixed(2)} ms, words ${copy4.toFixed(2)} ms\n`,
  );
}
