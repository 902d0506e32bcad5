/**
 * The streaming pass against the whole-document pipeline, in process: time per scrape and heap growth for the
 * bench's text body through the typical rules, without HTTP and without the memo.
 *
 * ```sh
 * deno run -A --v8-flags=--expose-gc bench/micro/experiments/stream_vs_batch.ts [series=100000] [rounds=20]
 * ```
 *
 * @module
 */

import { writeTextBytes } from "../../../src/exposition/text.ts";
import { bodyText, decodeStream } from "../../../src/formats/mod.ts";
import { detectFormat } from "../../../src/formats/detect.ts";
import { runPipeline } from "../../../src/scrape/mod.ts";
import { out } from "../../system/lib/io.ts";
import { caseBody, caseTarget } from "../../system/lib/pipeline.ts";

const n = Number(Deno.args[0] ?? 100_000);
const rounds = Number(Deno.args[1] ?? 20);
const target = caseTarget("text");
const body = caseBody("text", n);
const gc = (globalThis as { gc?: () => void }).gc;

const variants: Record<string, () => Uint8Array> = {
  batch() {
    const text = bodyText(body);
    const format = detectFormat(target.decoder.format, body.contentType, text);
    return writeTextBytes(runPipeline(target, text, format).families);
  },
  stream() {
    const r = decodeStream(target.decoder, body, (asSent) => target.transform.begin({ asSent }));
    return writeTextBytes(r.families);
  },
};

for (const [name, run] of Object.entries(variants)) {
  for (let i = 0; i < 3; i++) run();
  const times: number[] = [];
  let peak = 0;
  for (let i = 0; i < rounds; i++) {
    gc?.();
    const before = Deno.memoryUsage().heapUsed;
    const t0 = performance.now();
    const bytes = run();
    times.push(performance.now() - t0);
    peak = Math.max(peak, Deno.memoryUsage().heapUsed - before);
    if (bytes.length === 0) throw new Error("empty answer");
  }
  times.sort((a, b) => a - b);
  out(
    `${name}: median ${times[times.length >> 1].toFixed(1)} ms, min ${times[0].toFixed(1)} ms, heap growth ${
      (peak / 2 ** 20).toFixed(1)
    } MiB (n=${n})`,
  );
}
