/**
 * The scrape memo against the whole pipeline, in process (no HTTP): one scrape's CPU work for a body with new
 * values, at 10k and 100k series. Run:
 * `deno bench --allow-read --allow-env=LOG_TOKENS,LOG_STREAM bench/micro/memo_bench.ts`.
 *
 * - `pipeline`: decode → transform → write (what `--scrape.no-memo` does on every scrape);
 * - `memo hit`: read the body as Latin-1, check its skeleton and read its values, write the answer;
 * - `memo stages`: the three steps of a hit separately.
 *
 * @module
 */

import { ByteWriter } from "../../src/exposition/escape.ts";
import { bodyText } from "../../src/formats/mod.ts";
import { detectFormat } from "../../src/formats/detect.ts";
import { binaryText, ScrapeMemo } from "../../src/memo/memo.ts";
import { type CompiledTarget, pipelineSteps, runPipeline } from "../../src/scrape/mod.ts";
import type { UpstreamBody } from "../../src/upstream/mod.ts";
import { caseBody, caseTarget, scrapeOnce } from "../system/lib/pipeline.ts";
import { renderMetricsText, renderStatsJson } from "../system/upstream.ts";

const ENC = new TextEncoder();

/** A memo that has learnt `first` and built its text answer. */
function learnt(target: CompiledTarget, first: UpstreamBody, next: UpstreamBody): ScrapeMemo {
  const memo = new ScrapeMemo((text, format) => pipelineSteps(target, text, format));
  const text = bodyText(first);
  const format = detectFormat(target.decoder.format, first.contentType, text);
  memo.learn(binaryText(first.bytes), first.contentType, format, runPipeline(target, text, format).skipped);
  const hit = memo.lookup(next.bytes, binaryText(next.bytes), next.contentType);
  if (hit?.output("text") == null) throw new Error("The bench body must be memoizable");
  return memo;
}

for (const [c, n] of [["text", 10_000], ["text", 100_000], ["json", 10_000]] as const) {
  const target = caseTarget(c);
  const contentType = caseBody(c, 1).contentType;
  // Two versions, as the bench upstream serves them: every value differs between the two.
  const [first, next] = [0, 1].map((tick) => ({
    bytes: ENC.encode(c === "text" ? renderMetricsText(n, tick) : renderStatsJson(n, tick)),
    contentType,
  }));
  const memo = learnt(target, first, next);
  const group = `${c}-${n}`;
  Deno.bench({ name: `pipeline, ${c} ${n}`, group, baseline: true, fn: () => void scrapeOnce(target, next) });
  Deno.bench({
    name: `memo hit, ${c} ${n}`,
    group,
    fn: () => {
      const hit = memo.lookup(next.bytes, binaryText(next.bytes), contentType);
      const w = new ByteWriter(hit!.sizeHint("text"));
      hit!.writeInto(w, "text");
    },
  });
  if (c === "text" && n === 100_000) {
    const binary = binaryText(next.bytes);
    const hit = memo.lookup(next.bytes, binary, contentType)!;
    Deno.bench({ name: "Latin-1 read", group: "memo stages", fn: () => void binaryText(next.bytes) });
    // What the memo reads instead: the pipeline's validating UTF-8 decode, and a non-validating one.
    const validating = new TextDecoder("utf-8", { fatal: true });
    const lenient = new TextDecoder();
    Deno.bench({
      name: "UTF-8 decode, validating",
      group: "memo stages",
      fn: () => void validating.decode(next.bytes),
    });
    Deno.bench({
      name: "UTF-8 decode, lenient",
      group: "memo stages",
      fn: () => void lenient.decode(next.bytes),
    });
    Deno.bench({
      name: "skeleton check + values",
      group: "memo stages",
      fn: () => void memo.lookup(next.bytes, binary, contentType),
    });
    Deno.bench({
      name: "write the answer",
      group: "memo stages",
      fn: () => {
        const w = new ByteWriter(hit.sizeHint("text"));
        // A new hit per write: a hit keeps its first answer to copy for the callers that share it.
        memo.lookup(next.bytes, binary, contentType)!.writeInto(w, "text");
      },
    });
  }
}
