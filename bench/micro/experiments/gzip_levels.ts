/**
 * The figure behind the server's gzip level: compressed size and CPU time of `node:zlib` `gzipSync` at each
 * level, on the exporter's real answer to the bench upstream (text, typical rules) at 10k and 100k series.
 * Prints a markdown table. Run: `deno run --allow-read --allow-env=LOG_TOKENS,LOG_STREAM bench/micro/experiments/gzip_levels.ts`.
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { gzipSync } from "node:zlib";
import { out } from "../../system/lib/io.ts";
import { median } from "../../system/lib/load.ts";
import { caseBody, caseTarget, scrapeOnce } from "../../system/lib/pipeline.ts";

const target = caseTarget("text");
const rows = ["| series | level | bytes | % of plain | CPU ms (median of 9) |", "|---:|---:|---:|---:|---:|"];
for (const n of [10_000, 100_000]) {
  const plain = scrapeOnce(target, caseBody("text", n));
  rows.push(
    `| ${n.toLocaleString("en-US")} | none | ${plain.byteLength.toLocaleString("en-US")} | 100 | 0 |`,
  );
  for (const level of [1, 3, 6, 9]) {
    const times: number[] = [];
    let size = 0;
    for (let i = 0; i < 9; i++) {
      const c0 = cpuUsage();
      size = gzipSync(plain, { level }).byteLength;
      const c = cpuUsage(c0);
      times.push((c.user + c.system) / 1000);
    }
    rows.push(
      `| ${n.toLocaleString("en-US")} | ${level} | ${size.toLocaleString("en-US")} | ${
        (100 * size / plain.byteLength).toFixed(1)
      } | ${median(times).toFixed(1)} |`,
    );
  }
}
out(rows.join("\n") + "\n");
