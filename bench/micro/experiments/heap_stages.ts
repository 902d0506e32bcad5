/**
 * What one scrape's pipeline keeps alive, stage by stage, against what V8 reserves for it: the numbers behind
 * docs/PERFORMANCE.md "Memory". In process, the bench's typical rules on the bench upstream's text body.
 *
 * Run: `deno run --allow-read --allow-env=LOG_TOKENS,LOG_STREAM --v8-flags=--expose-gc
 * bench/micro/experiments/heap_stages.ts [SERIES]` (100000 by default). After each stage a full GC runs, then it
 * prints the live heap (`heapUsed`), what V8 holds for it (`heapTotal`), buffers outside the heap
 * (`external`) and the process RSS, in MiB. The last lines run whole scrapes back to back without forcing a
 * GC, to show how far the heap grows past the live set when V8 decides on its own.
 *
 * @module
 */

import { writeTextBytes } from "../../../src/exposition/text.ts";
import { bodyText, decodeText } from "../../../src/formats/mod.ts";
import { detectFormat } from "../../../src/formats/detect.ts";
import { caseBody, caseTarget, scrapeOnce } from "../../system/lib/pipeline.ts";
import { out } from "../../system/lib/io.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("Run with --v8-flags=--expose-gc");

const MIB = 1048576;

function row(stage: string, collect = true): void {
  if (collect) gc!();
  const m = Deno.memoryUsage();
  const cells = [m.heapUsed, m.heapTotal, m.external, m.rss].map((b) => (b / MIB).toFixed(1));
  out(`| ${stage} | ${cells.join(" | ")} |\n`);
}

const series = Number(Deno.args[0] ?? 100_000);
const target = caseTarget("text");
out(`${series} series, typical rules\n\n`);
out("| stage | heapUsed | heapTotal | external | RSS |\n| --- | ---: | ---: | ---: | ---: |\n");
row("start");
const body = caseBody("text", series);
row("body bytes (and the generator's garbage)");
const text = bodyText(body);
row("+ UTF-8 text");
const decoded = decodeText(target.decoder, text, detectFormat(target.decoder.format, body.contentType, text));
row("+ decoded families");
let families = target.transform.apply(decoded.families, { asSent: decoded.asSent });
row("+ transformed families");
let bytes = writeTextBytes(families);
row(`+ written answer (${(bytes.length / MIB).toFixed(1)} MiB)`);
decoded.families.length = 0;
families = [];
bytes = new Uint8Array(0);
row("all dropped");
for (let i = 1; i <= 3; i++) {
  scrapeOnce(target, body);
  row(`whole scrape ${i}, no forced GC`, false);
}
out(`\n(${text.length} chars, ${families.length + bytes.length} left)\n`);
