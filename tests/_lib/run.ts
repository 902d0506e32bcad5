/**
 * Runs the real `main.ts` `run()` in-process as a server on 127.0.0.1 port 0, for tests that need the whole
 * composition (config loading, reload, web config, /probe) over a real socket.
 *
 * @module
 */

import assert from "node:assert/strict";
import { run } from "../../main.ts";

/** Starts `run(start ...)` in-process; returns the port, a reload trigger, and a stop that awaits the exit code. */
export async function startExporter(args: string[]) {
  const stop = new AbortController();
  const listening = Promise.withResolvers<number>();
  let reload = () => {};
  const err: string[] = [];
  const done = run(["start", "--web.listen-address", "127.0.0.1:0", ...args], {
    env: {},
    stdout: () => {},
    stderr: (t) => err.push(t),
    cwd: Deno.cwd(),
    signal: stop.signal,
    onListen: (a) => listening.resolve(a.port),
    onReloadSignal: (r) => {
      reload = r;
      return () => {};
    },
  });
  const port = await Promise.race([listening.promise, done.then(() => 0)]);
  assert.ok(port > 0, err.join(""));
  return {
    base: `http://127.0.0.1:${port}`,
    err,
    reload: () => reload(),
    stop: async () => {
      stop.abort();
      return await done;
    },
  };
}
