/**
 * The scrape memo experiment (./memo.ts) against the real pipeline, in process: one scrape's CPU work for the
 * same body, at 1k, 10k and 100k series. Run:
 * `deno bench --allow-read --allow-env=LOG_TOKENS,LOG_STREAM bench/experiments/memo_bench.ts`.
 *
 * @module
 */

import { caseBody, caseTarget, scrapeOnce } from "../lib/pipeline.ts";
import { buildMemo, renderMemo } from "./memo.ts";

for (const c of ["text", "json"] as const) {
  const target = caseTarget(c);
  for (const n of [1_000, 10_000, 100_000]) {
    const body = caseBody(c, n);
    const memo = buildMemo(target, body);
    if (memo === null) throw new Error(`No memo for ${c} ${n}`);
    const group = `${c}-${n}`;
    Deno.bench({
      name: `pipeline ${c} ${n}`,
      group,
      baseline: true,
      fn: () => void scrapeOnce(target, body),
    });
    Deno.bench({ name: `memo ${c} ${n}`, group, fn: () => void renderMemo(memo, body) });
  }
}
