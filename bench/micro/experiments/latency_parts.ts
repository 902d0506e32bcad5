/**
 * Where a memo hit's latency goes at 100k text series: the upstream fetch alone, the exporter's handler called
 * in process (fetch, memo check, answer), and the same handler behind `Deno.serve` with a client in the same
 * process. The numbers behind docs/PERFORMANCE.md "Where the time goes".
 *
 * Run: `deno run -A bench/micro/experiments/latency_parts.ts [SERIES]`; prints medians of 40 requests each.
 *
 * @module
 */

import { SelfMetrics } from "../../../src/exposition/self_metrics.ts";
import { createLogger } from "../../../src/log.ts";
import { withMemo } from "../../../src/scrape/mod.ts";
import { createHandler } from "../../../src/server/mod.ts";
import { staticRuntime } from "../../../src/server/runtime.ts";
import { out } from "../../system/lib/io.ts";
import { caseTarget } from "../../system/lib/pipeline.ts";
import { benchUpstreamSpawn, spawnServer } from "../../system/lib/proc.ts";

const REQUESTS = 40;
const IDENTITY = { "accept-encoding": "identity" };

const series = Number(Deno.args[0] ?? 100_000);
const up = await spawnServer(benchUpstreamSpawn(series));
try {
  const url = up.origin + "/metrics";
  const target = withMemo(caseTarget("text", url));
  const runtime = staticRuntime([target]);
  const handler = createHandler({
    runtime: () => runtime,
    self: new SelfMetrics({ version: "bench", targets: [target.config.name] }),
    log: createLogger({ level: "error", format: "logfmt", write: () => {} }),
    version: "bench",
  });
  const median = async (request: () => Promise<Response>) => {
    const ms: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      await (await request()).arrayBuffer();
      ms.push(performance.now() - t0);
    }
    return ms.sort((a, b) => a - b)[ms.length >> 1].toFixed(1);
  };
  const fetchOnly = await median(() => fetch(url, { headers: IDENTITY }));
  const inProcess = await median(() => handler(new Request("http://x/metrics")));
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, handler);
  const origin = `http://127.0.0.1:${server.addr.port}/metrics`;
  const served = await median(() => fetch(origin, { headers: IDENTITY }));
  await server.shutdown();
  out(
    `${series} series: upstream fetch ${fetchOnly} ms; handler in process ${inProcess} ms; ` +
      `through Deno.serve ${served} ms (memo hits: ${target.memo?.stats.hits})\n`,
  );
} finally {
  await up.stop();
}
