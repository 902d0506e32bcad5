/**
 * EXPERIMENT, not the exporter: the exporter's scrape path (fetch, decode, transform, write) moved into a Web
 * Worker, so the main thread only serves HTTP. Measures what a worker costs per scrape and what it gives
 * `/-/healthy` while a big scrape runs (`bench/system/run.ts --variant worker`).
 *
 * The subset of `main.ts start` flags bench/system/run.ts passes: `--config.file`, `-u`, `-s`, `--web.listen-address`,
 * `--upstream.max-body-bytes`; text 0.0.4 only, no self metrics, negotiation or gzip.
 *
 * @module
 */

import { parseCommandLine } from "../../../src/cli/mod.ts";

const inv = parseCommandLine(["start", ...Deno.args], {});
if (inv.kind !== "run") throw new TypeError("Expected the flags of `start`");
const { flags } = inv;
const worker = new Worker(new URL("./worker_scrape.ts", import.meta.url).href, { type: "module" });
worker.postMessage({ args: Deno.args, cwd: Deno.cwd() });

let next = 0;
const waiting = new Map<number, (r: { bytes?: Uint8Array<ArrayBuffer>; error?: string }) => void>();
worker.onmessage = (e: MessageEvent<{ id: number; bytes?: Uint8Array<ArrayBuffer>; error?: string }>) => {
  const done = waiting.get(e.data.id);
  waiting.delete(e.data.id);
  done?.(e.data);
};

Deno.serve({ hostname: flags.listenHost, port: flags.listenPort, onListen: () => {} }, async (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/-/healthy") return new Response("Healthy\n");
  if (path !== "/metrics") return new Response("Not found\n", { status: 404 });
  const id = next++;
  const r = await new Promise<{ bytes?: Uint8Array<ArrayBuffer>; error?: string }>((resolve) => {
    waiting.set(id, resolve);
    worker.postMessage({ id });
  });
  if (r.bytes === undefined) return new Response(`Cannot scrape: ${r.error}\n`, { status: 500 });
  return new Response(r.bytes, { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
});
