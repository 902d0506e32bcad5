/**
 * End-to-end in-process benchmarks of one scrape's CPU work (decode → transform → write the bytes, no HTTP),
 * at 1k, 10k and 100k series. Run: `deno bench --allow-read --allow-env=LOG_TOKENS,LOG_STREAM bench/micro/pipeline_bench.ts`.
 *
 * - `pipeline-<n>`: Prometheus text through the typical rules (bench/system/configs/typical.yaml), the same text with
 *   no rules, and the seed's JSON through the seed flags (`-s bench`).
 * - `stages-100k`: the three stages of the text case separately, to show where a scrape's time goes.
 *
 * @module
 */

import { writeTextBytes } from "../../src/exposition/text.ts";
import { decodeBody } from "../../src/formats/mod.ts";
import { caseBody, caseTarget, scrapeOnce } from "../system/lib/pipeline.ts";

const text = caseTarget("text");
const plain = caseTarget("text-norules");
const json = caseTarget("json");

for (const n of [1_000, 10_000, 100_000]) {
  const textBody = caseBody("text", n);
  const jsonBody = caseBody("json", n);
  Deno.bench({
    name: `text, typical rules, ${n}`,
    group: `pipeline-${n}`,
    baseline: true,
    fn: () => void scrapeOnce(text, textBody),
  });
  Deno.bench({
    name: `text, no rules, ${n}`,
    group: `pipeline-${n}`,
    fn: () => void scrapeOnce(plain, textBody),
  });
  Deno.bench({
    name: `json, seed flags, ${n}`,
    group: `pipeline-${n}`,
    fn: () => void scrapeOnce(json, jsonBody),
  });
}

{
  const body = caseBody("text", 100_000);
  const decoded = decodeBody(text.decoder, body).families;
  const transformed = text.transform.apply(decoded);
  Deno.bench({
    name: "decode (UTF-8 + parse)",
    group: "stages-100k",
    fn: () => void decodeBody(text.decoder, body),
  });
  Deno.bench({
    name: "transform (typical rules)",
    group: "stages-100k",
    fn: () => void text.transform.apply(decoded),
  });
  Deno.bench({
    name: "write (bytes)",
    group: "stages-100k",
    fn: () => void writeTextBytes(transformed),
  });
}
