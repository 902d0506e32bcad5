/**
 * The exporter's scrape path in process, without HTTP: the bench upstream's bodies, the bench targets
 * (typical rules for text, the seed's flags for JSON) compiled as `main.ts` compiles them, and one function
 * that runs the streaming decode → transform → write the response bytes, as `server.ts` does for one scrape
 * (without the memo; with the target's series cache when it has one). Used by
 * bench/micro/pipeline_bench.ts, bench/micro/profile.ts and the smoke test.
 *
 * @module
 */

import { parseCommandLine } from "../../../src/cli/mod.ts";
import { configFromFlags } from "../../../src/config/from_flags.ts";
import { parseConfigText } from "../../../src/config/load.ts";
import { writeTextBytes } from "../../../src/exposition/text.ts";
import { decodeStream } from "../../../src/formats/mod.ts";
import { type CompiledTarget, compileTarget } from "../../../src/scrape/mod.ts";
import type { UpstreamBody } from "../../../src/upstream/mod.ts";
import { renderMetricsText, renderStatsJson, TEXT_CONTENT_TYPE } from "../upstream.ts";

/** The typical rule set's file (see its comments for what "typical" means). */
export const TYPICAL_CONFIG = new URL("../configs/typical.yaml", import.meta.url);

const ENC = new TextEncoder();

/** The two bench cases: Prometheus text through the typical rules, the seed's JSON through the seed flags. */
export type Case = "text" | "text-norules" | "json";

/** The upstream body of a case at `n` series, as `fetchUpstream` would return it. */
export function caseBody(c: Case, n: number): UpstreamBody {
  return c === "json"
    ? { bytes: ENC.encode(renderStatsJson(n)), contentType: "application/json" }
    : { bytes: ENC.encode(renderMetricsText(n)), contentType: TEXT_CONTENT_TYPE };
}

/**
 * The compiled target of a case, built from the same config and flags `bench/system/run.ts` gives `main.ts`.
 *
 * @param url The upstream URL, for a target that fetches; else a placeholder.
 */
export function caseTarget(c: Case, url?: string): CompiledTarget {
  url ??= c === "json" ? "http://127.0.0.1:9100/stats.json" : "http://127.0.0.1:9100/metrics";
  if (c === "text") {
    const inv = parseCommandLine(["start", "--config.file", TYPICAL_CONFIG.pathname, "-u", url], {});
    if (inv.kind !== "run") throw new Error("Cannot build the bench flags");
    const text = Deno.readTextFileSync(TYPICAL_CONFIG);
    return compileTarget(parseConfigText(text, TYPICAL_CONFIG.pathname, inv.flags, "/").targets[0]);
  }
  const args = c === "json" ? ["start", "-s", "bench", "-u", url] : ["start", "-u", url];
  const inv = parseCommandLine(args, {});
  if (inv.kind !== "run") throw new Error("Cannot build the bench flags");
  return compileTarget(configFromFlags(inv.flags, url).targets[0]);
}

/** One scrape's CPU work as `server.ts` does it: decode, transform, write text 0.0.4 as bytes. */
export function scrapeOnce(target: CompiledTarget, body: UpstreamBody): Uint8Array {
  const begin = (asSent: boolean) => target.transform.begin({ asSent });
  return writeTextBytes(decodeStream(target.decoder, body, begin, target.seriesCache).families);
}
