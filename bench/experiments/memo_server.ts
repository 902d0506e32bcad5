/**
 * EXPERIMENT, not the exporter: a minimal `/metrics` server with the exporter's fetch, config and pipeline,
 * plus the scrape memo of ./memo.ts, so `bench/run.ts --variant memo` can measure the memo whole-process, in
 * the same harness and the same run as the passthrough and the real exporter.
 *
 * It takes the subset of `main.ts start` flags the bench passes (`--config.file`, `-u`, `-s`,
 * `--web.listen-address`, `--upstream.max-body-bytes`) and answers `/metrics` with the upstream families in text
 * 0.0.4 only: no self metrics, negotiation or gzip (the real server adds about 30 self-metric lines).
 *
 * @module
 */

import { parseCommandLine } from "../../src/cli.ts";
import { configFromFlags } from "../../src/config/from_flags.ts";
import { loadConfigFile } from "../../src/config/load.ts";
import { writeTextBytes } from "../../src/exposition/text.ts";
import { decodeBody } from "../../src/formats/decode.ts";
import { compileTarget } from "../../src/scrape.ts";
import { fetchUpstream } from "../../src/upstream.ts";
import { resolveFileUrl } from "../../src/url.ts";
import { buildMemo, type Memo, renderMemo } from "./memo.ts";

const inv = parseCommandLine(["start", ...Deno.args], {});
if (inv.kind !== "run") throw new TypeError("Expected the flags of `start`");
const { flags } = inv;
const config = flags.configFile !== undefined
  ? await loadConfigFile(flags.configFile, flags, Deno.cwd())
  : configFromFlags(flags, resolveFileUrl(flags.url as string, Deno.cwd()));
const target = compileTarget(config.targets[0]);
let memo: Memo | null = null;
/** Scrapes since the last shape change that could not build a memo; stop trying after a few. */
let failedBuilds = 0;

Deno.serve({ hostname: flags.listenHost, port: flags.listenPort, onListen: () => {} }, async (req) => {
  const path = new URL(req.url).pathname;
  if (path === "/-/healthy") return new Response("Healthy\n");
  if (path !== "/metrics") return new Response("Not found\n", { status: 404 });
  try {
    const body = await fetchUpstream(target.config.url, {
      signal: AbortSignal.timeout(target.config.timeoutMs),
      maxBodyBytes: target.config.maxBodyBytes,
    });
    let out = memo === null ? null : renderMemo(memo, body);
    if (out === null) {
      out = writeTextBytes(target.transform.apply(decodeBody(target.decoder, body).families));
      if (failedBuilds < 3) {
        memo = buildMemo(target, body);
        failedBuilds = memo === null ? failedBuilds + 1 : 0;
      }
    }
    return new Response(out as Uint8Array<ArrayBuffer>, {
      headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
    });
  } catch (e) {
    return new Response(`Cannot scrape: ${(e as Error).message}\n`, { status: 500 });
  }
});
