/**
 * What one yield to the event loop costs, and whether it lets a waiting request in: the numbers behind the
 * server's yield between reading a large memo answer's values and writing it (docs/PERFORMANCE.md).
 *
 * Run: `deno run --allow-net=127.0.0.1 --allow-run=curl bench/micro/experiments/yield_cost.ts`. Prints the mean cost
 * of 500 hops of `setTimeout(0)`, `setImmediate` and a `MessageChannel` message, then, per kind, how long a
 * second request waited while a handler spun 10 × 20 ms with that yield between the spins.
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { out } from "../../system/lib/io.ts";

type Yield = () => Promise<void>;

function messageChannelYield(): { next: Yield; close: () => void } {
  const mc = new MessageChannel();
  let pending: (() => void) | null = null;
  mc.port1.onmessage = () => {
    const p = pending;
    pending = null;
    p?.();
  };
  return {
    next: () => new Promise<void>((r) => (pending = r, mc.port2.postMessage(0))),
    close: () => mc.port1.close(),
  };
}

const mc = messageChannelYield();
const kinds: [string, Yield][] = [
  ["setTimeout(0)", () => new Promise((r) => setTimeout(r, 0))],
  ["setImmediate", () => new Promise((r) => setImmediate(r))],
  ["MessageChannel", mc.next],
];

for (const [name, next] of kinds) {
  const t = performance.now();
  for (let i = 0; i < 500; i++) await next();
  out(`${name}: ${((performance.now() - t) / 500 * 1000).toFixed(0)} µs per hop\n`);
}

function spin(ms: number): void {
  const t = performance.now();
  while (performance.now() - t < ms) { /* busy, like a synchronous step of a large scrape */ }
}

for (const [name, next] of kinds) {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    async (req) => {
      if (new URL(req.url).pathname === "/slow") {
        for (let i = 0; i < 10; i++) {
          spin(20);
          await next();
        }
      }
      return new Response("ok");
    },
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  // The second request comes from another process, so this process's own event loop cannot delay sending it.
  const slow = fetch(origin + "/slow").then((r) => r.text());
  await new Promise((r) => setTimeout(r, 5));
  const curl = await new Deno.Command("curl", {
    args: ["-s", "-o", "/dev/null", "-w", "%{time_total}", origin + "/fast"],
  }).output();
  await slow;
  out(
    `${name}: a request sent during the spinning handler waited ${new TextDecoder().decode(curl.stdout)} s\n`,
  );
  ac.abort();
  await server.finished;
}
mc.close();
