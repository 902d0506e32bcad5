import { buildMemo, renderMemo } from "../experiments/memo.ts";
import { caseBody, caseTarget, scrapeOnce } from "../lib/pipeline.ts";
import { renderMetricsText, renderStatsJson, TEXT_CONTENT_TYPE } from "../upstream.ts";
import { cpuUsage } from "node:process";
const dec = new TextDecoder();
function time(f: () => unknown, iters: number) {
  const xs: number[] = [];
  for (let i = 0; i < iters; i++) { const c = cpuUsage(); f(); const d = cpuUsage(c); xs.push((d.user + d.system) / 1000); }
  xs.sort((a, b) => a - b); return xs[xs.length >> 1];
}
for (const c of ["text", "json"] as const) {
  for (const n of [1000, 10000, 100000]) {
    const t = caseTarget(c);
    const b = caseBody(c, n);
    const m = buildMemo(t, b);
    if (!m) { console.log(c, n, "no memo"); continue; }
    // changed values: bump every number in the body by editing
    const s2 = dec.decode(b.bytes).replace(/ (\d+)\n/g, (_, d) => ` ${Number(d) + 1}\n`).replace(/:(\d+)([,}])/g, (_, d, e) => `:${Number(d) * 2 + 0.5}${e}`);
    const b2 = { bytes: new TextEncoder().encode(s2), contentType: b.contentType };
    const fast = renderMemo(m, b2);
    const slow = scrapeOnce(t, b2);
    const same = fast !== null && dec.decode(fast) === dec.decode(slow);
    const iters = n >= 100000 ? 20 : 100;
    const ts = time(() => scrapeOnce(t, b2), iters);
    const tf = time(() => renderMemo(m, b2), iters);
    console.log(c, n, "equal:", same, "slow", ts.toFixed(2), "ms, memo", tf.toFixed(2), "ms, x", (ts / tf).toFixed(1));
  }
}
