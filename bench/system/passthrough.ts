/**
 * The baseline the exporter is measured against: a Deno server whose `/metrics` fetches the upstream and
 * returns its bytes unchanged (streamed, with the upstream's status and Content-Type). No decoding, no
 * buffering: the cost of one HTTP hop in this runtime, which is the exporter's floor. Listens on 127.0.0.1.
 *
 * Run: `deno run --allow-net=127.0.0.1 bench/system/passthrough.ts --upstream http://127.0.0.1:PORT/metrics [--port 0]`;
 * it prints one JSON line `{"port":N}` on stdout once it listens.
 *
 * @module
 */

import { out } from "./lib/io.ts";

/**
 * Starts the passthrough in this process.
 *
 * @param upstream The URL fetched on every `/metrics` request.
 * @param port The port; 0 lets the OS choose.
 */
export function servePassthrough(upstream: string, port = 0): { port: number; close(): Promise<void> } {
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port, signal: ac.signal, onListen: () => {} },
    async (req) => {
      const path = new URL(req.url).pathname;
      if (path === "/-/healthy") return new Response("Healthy\n");
      if (path !== "/metrics") return new Response("Not found\n", { status: 404 });
      try {
        const res = await fetch(upstream, { signal: AbortSignal.timeout(10_000) });
        return new Response(res.body, {
          status: res.status,
          headers: { "content-type": res.headers.get("content-type") ?? "text/plain" },
        });
      } catch (e) {
        return new Response(`Cannot fetch the upstream: ${e}\n`, { status: 502 });
      }
    },
  );
  return {
    port: server.addr.port,
    close: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

if (import.meta.main) {
  const at = (name: string) => {
    const i = Deno.args.indexOf(`--${name}`);
    return i >= 0 ? Deno.args[i + 1] : undefined;
  };
  const upstream = at("upstream");
  if (upstream === undefined) throw new TypeError(`Flag "--upstream" is required`);
  const p = servePassthrough(upstream, Number(at("port") ?? "0"));
  const stop = () => void p.close();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  out(JSON.stringify({ port: p.port }) + "\n");
}
