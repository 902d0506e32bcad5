/**
 * What a 7 MB answer costs eight concurrent clients, by how the `Response` gets its body: a fresh copy per
 * request (what a handler writing into its own buffer gives), one shared `Uint8Array` (which `Response`
 * copies: Fetch's "extract a body"), or a stream of that shared buffer (sent as it is). The figures behind
 * `SharedDocument` (src/exposition/respond.ts).
 *
 * Run: `deno run --allow-all bench/micro/experiments/response_body.ts copy|shared|stream`
 * (one mode per process, for its peak RSS); prints ms per request over 20 rounds of 8 and the peak RSS.
 *
 * @module
 */

import { out } from "../../system/lib/io.ts";

const mode = Deno.args[0] ?? "stream";
const big = new Uint8Array(7_000_000).fill(97);
const headers = { "content-length": String(big.length) };
const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, () => {
  if (mode === "copy") return new Response(big.slice(), { headers });
  if (mode === "shared") return new Response(big, { headers });
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(c) {
      if (sent) return c.close();
      sent = true;
      c.enqueue(big);
    },
  }, { highWaterMark: 0 });
  return new Response(body, { headers });
});
const url = `http://127.0.0.1:${server.addr.port}/`;
const t0 = performance.now();
for (let round = 0; round < 20; round++) {
  await Promise.all(Array.from({ length: 8 }, async () => {
    const res = await fetch(url);
    const reader = res.body!.getReader();
    while (!(await reader.read()).done);
  }));
}
const ms = (performance.now() - t0) / 160;
const peak = Number(Deno.readTextFileSync("/proc/self/status").match(/VmHWM:\s+(\d+)/)![1]) / 1024;
out(`${mode}: ${ms.toFixed(2)} ms per request, peak RSS ${peak.toFixed(0)} MiB\n`);
await server.shutdown();
