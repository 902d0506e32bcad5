/**
 * EXPERIMENT: the worker side of ./worker_server.ts. Compiles the target from the same flags, then answers
 * each `{id}` message with one scrape's bytes, transferred (not copied) back.
 *
 * @module
 */

import { parseCommandLine } from "../../../src/cli/mod.ts";
import { configFromFlags } from "../../../src/config/from_flags.ts";
import { loadConfigFile } from "../../../src/config/load.ts";
import { writeTextBytes } from "../../../src/exposition/text.ts";
import { type CompiledTarget, compileTarget, scrapeTarget } from "../../../src/scrape/mod.ts";
import { resolveFileUrl } from "../../../src/url.ts";

// deno-lint-ignore no-explicit-any -- the worker global scope is not in the main-thread lib types
const self = globalThis as any;
let target: CompiledTarget | null = null;
let ready: Promise<void> | null = null;

self.onmessage = async (e: MessageEvent<{ args?: string[]; cwd?: string; id?: number }>) => {
  if (e.data.args !== undefined) {
    const { args, cwd } = e.data;
    ready = (async () => {
      const inv = parseCommandLine(["start", ...args], {});
      if (inv.kind !== "run") throw new TypeError("Expected the flags of `start`");
      const config = inv.flags.configFile !== undefined
        ? await loadConfigFile(inv.flags.configFile, inv.flags, cwd as string)
        : configFromFlags(inv.flags, resolveFileUrl(inv.flags.url as string, cwd as string));
      target = compileTarget(config.targets[0]);
    })();
    return;
  }
  await ready;
  const t = target as CompiledTarget;
  const r = await scrapeTarget(t, { signal: AbortSignal.timeout(t.config.timeoutMs) });
  if (!r.ok) {
    self.postMessage({ id: e.data.id, error: r.error.message });
    return;
  }
  const bytes = writeTextBytes(r.families);
  // A fresh buffer of exactly the output, transferred: the main thread gets it without a copy.
  const out = bytes.slice();
  self.postMessage({ id: e.data.id, bytes: out }, [out.buffer]);
};
