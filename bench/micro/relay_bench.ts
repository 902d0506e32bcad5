/**
 * The relay against the pipeline, in process (no HTTP), on the bench's text bodies: one scrape's CPU work
 * from the body's bytes to the answer's bytes, at 10k and 100k series, typical rules and no rules, text
 * 0.0.4 and OpenMetrics. The pipeline (`scrapeOnce`: decode → transform → write, no series cache) is each
 * group's baseline. The relay's routes and predictions are warm, as they are from a target's second scrape
 * on, and its bodies are the bench upstream's in sequence (bench/system/upstream.ts): values move on every
 * body; with churn, that share of the series keys changes too, so only the other lines are predicted
 * (src/relay/_lines.ts). The relay's figure includes making its answer's parts (views of its arenas), as
 * the server does. Run:
 * `deno bench --allow-read --allow-env=LOG_TOKENS,LOG_STREAM bench/micro/relay_bench.ts`.
 *
 * @module
 */

import { TextRelay } from "../../src/relay/mod.ts";
import { metricsBodies } from "../system/upstream.ts";
import { caseTarget, scrapeOnce } from "../system/lib/pipeline.ts";
import { TEXT_CONTENT_TYPE } from "../system/upstream.ts";

/** Bodies each relay cycles through: 3 ticks of values, and churn generations. */
const BODIES = 12;

for (const n of [10_000, 100_000]) {
  for (const c of ["text", "text-norules"] as const) {
    const target = caseTarget(c);
    const group = `${c}-${n}`;
    const [first] = metricsBodies(n, 0, 1);
    Deno.bench({
      name: `pipeline, ${c}, ${n}`,
      group,
      baseline: true,
      fn: () => void scrapeOnce(target, { bytes: first, contentType: TEXT_CONTENT_TYPE }),
    });
    for (const churn of [0, 10, 100]) {
      const bodies = metricsBodies(n, churn, BODIES);
      for (const format of ["text", "openmetrics"] as const) {
        if (format === "openmetrics" && churn !== 0) continue;
        const relay = new TextRelay(target.transform.context);
        // Warm the routes and the predictions, as a target's first scrapes do.
        for (const body of bodies.slice(0, 2)) {
          if (relay.relayNow(body, format) === null) throw new Error(`given back: ${relay.stats.why}`);
        }
        let k = 2;
        Deno.bench({
          name: `relay, ${format}, churn ${churn}%, ${c}, ${n}`,
          group,
          fn: () => void relay.relayNow(bodies[k++ % BODIES], format)?.parts(format),
        });
      }
    }
  }
}
