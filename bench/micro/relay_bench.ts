/**
 * The relay against the pipeline, in process (no HTTP), on the bench's text bodies: one scrape's CPU work
 * from the body's bytes to the answer's bytes, at 10k and 100k series, typical rules and no rules, text
 * 0.0.4 and OpenMetrics. The pipeline (`scrapeOnce`: decode → transform → write, no series cache) is each
 * group's baseline; the relay's figure includes copying its answer into one buffer, as the server does. The
 * relay's routes and family predictions are warm, as they are from a target's second scrape on. Run:
 * `deno bench --allow-read --allow-env=LOG_TOKENS,LOG_STREAM bench/micro/relay_bench.ts`.
 *
 * @module
 */

import { TextRelay } from "../../src/relay/mod.ts";
import { caseBody, caseTarget, scrapeOnce } from "../system/lib/pipeline.ts";

for (const n of [10_000, 100_000]) {
  for (const c of ["text", "text-norules"] as const) {
    const target = caseTarget(c);
    const body = caseBody("text", n);
    const relay = new TextRelay(target.transform.context);
    // Warm the routes and the prediction, as a target's first scrape does.
    if (relay.relayNow(body.bytes, "text") === null) {
      throw new Error(`the bench body of ${c} was given back: ${relay.stats.why}`);
    }
    const group = `${c}-${n}`;
    Deno.bench({
      name: `pipeline, ${c}, ${n}`,
      group,
      baseline: true,
      fn: () => void scrapeOnce(target, body),
    });
    for (const format of ["text", "openmetrics"] as const) {
      Deno.bench({
        name: `relay, ${format}, ${c}, ${n}`,
        group,
        fn: () => void relay.relayNow(body.bytes, format)?.bytes(),
      });
    }
  }
}
