/**
 * A paced memo hit (src/pace.ts) must give exactly the bytes of an unpaced one: the values are read and
 * the answer is written in steps that give the event loop turns, and answers built meanwhile must not write
 * into the buffer a paced answer is being written into. A clock that runs 25 ms per look makes every step
 * pause, so the checks do not depend on the machine's speed.
 */
import assert from "node:assert/strict";
import { parseConfigText } from "../../src/config/load.ts";
import { ByteWriter } from "../../src/exposition/escape.ts";
import type { ExpositionFormat } from "../../src/exposition/negotiate.ts";
import {
  documentText,
  endDocument,
  SharedDocument,
  writeFamiliesInto,
} from "../../src/exposition/respond.ts";
import { detectFormat } from "../../src/formats/detect.ts";
import { binaryText, type MemoHit, ScrapeMemo } from "../../src/memo/memo.ts";
import { STEP_VALUES } from "../../src/pace.ts";
import {
  type CompiledTarget,
  compileTarget,
  pipelineSteps,
  runPipeline,
  type ScrapeResult,
} from "../../src/scrape/mod.ts";
import { type AnswerPolicy, buildAnswer } from "../../src/server/answer.ts";
import { withClock } from "../_lib/clock.ts";

import { configFileFlags } from "../_lib/helpers.ts";

const FLAGS = configFileFlags("memo.yaml");

const YAML = `
targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    labels: { env: test }
    rules:
      - rename: { g7: renamed_gauge }
`;

const CT = "text/plain; version=0.0.4";

/** Canonical tokens (copied) and others (parsed and written as numbers), for gauges. */
const POOL = ["0", "1.5", "1e3", "+Inf", "-Inf", "NaN", "0.10", "-2", "123456789012345678", "3.14159", "7"];

/** A body of `n` gauge samples in families of 10, value `i` being `value(i)`. */
function body(n: number, value: (i: number) => string, lastName = "g"): string {
  const lines: string[] = [];
  for (let f = 0; f * 10 < n; f++) {
    const name = (f + 1) * 10 >= n ? `${lastName}${f}` : `g${f}`;
    lines.push(`# HELP ${name} A gauge.`, `# TYPE ${name} gauge`);
    for (let j = 0; j < 10 && f * 10 + j < n; j++) lines.push(`${name}{shard="${j}"} ${value(f * 10 + j)}`);
  }
  return lines.join("\n") + "\n";
}

/** More values than three steps, so a paced hit takes several. */
const N = 3 * STEP_VALUES + 123;

const ENC = new TextEncoder();

function learnt(): { target: CompiledTarget; memo: ScrapeMemo } {
  const target = compileTarget(parseConfigText(YAML, "memo.yaml", FLAGS, Deno.cwd()).targets[0]);
  const memo = new ScrapeMemo((text, format) => pipelineSteps(target, text, format));
  const first = body(N, String);
  const format = detectFormat(target.decoder.format, CT, first);
  memo.learn(binaryText(ENC.encode(first)), CT, format, runPipeline(target, first, format).skipped);
  // The second body builds the answers (the tagged runs), so the checks below are hits of a built memo.
  const bytes = ENC.encode(body(N, (i) => String(i + 1)));
  const hit = memo.lookup(bytes, binaryText(bytes), CT);
  assert.ok(hit?.output("text") && hit.output("openmetrics"), "the body must be memoizable");
  return { target, memo };
}

/** The slow clock's time: it never goes back, also from one use to the next. */

function unpacedBytes(hit: MemoHit, format: ExpositionFormat): string {
  const w = new ByteWriter();
  hit.writeInto(w, format);
  return w.text();
}

const next = (i: number) => POOL[(i * 7) % POOL.length];

Deno.test("memo, paced: a paced hit reads the same values and writes the same bytes, in steps", async () => {
  const { target, memo } = learnt();
  const text = body(N, next);
  const bytes = ENC.encode(text);
  const binary = binaryText(bytes);
  const unpaced = memo.lookup(bytes, binary, CT)!;
  assert.ok(unpaced !== null);
  const read = await withClock(25, () => memo.lookupPaced(bytes, binary, CT));
  const paced = read.value!;
  assert.ok(paced !== null, "the paced read must hit too");
  assert.ok(read.timers >= 3, `the read gave ${read.timers} turns`);
  assert.deepEqual(paced.values, unpaced.values);
  const want = runPipeline(target, text, detectFormat(target.decoder.format, CT, text));
  for (const format of ["text", "openmetrics"] as const) {
    const w = new ByteWriter();
    const write = await withClock(25, () => paced.writeIntoPaced(w, format));
    assert.ok(write.timers >= 3, `the write gave ${write.timers} turns`);
    assert.equal(w.text(), unpacedBytes(unpaced, format), format);
    const pipeline = new ByteWriter();
    writeFamiliesInto(pipeline, want.families, format);
    assert.equal(w.text(), pipeline.text(), `${format}: the pipeline's bytes`);
  }
});

Deno.test("memo, paced: a body that differs after the first step falls back, as unpaced", async () => {
  const changed = ENC.encode(body(N, next, "other"));
  for (const paced of [false, true]) {
    const { memo } = learnt();
    const binary = binaryText(changed);
    const hit = paced
      ? (await withClock(25, () => memo.lookupPaced(changed, binary, CT))).value
      : memo.lookup(changed, binary, CT);
    assert.equal(hit, null, paced ? "paced" : "unpaced");
    // The shape is dropped either way: the same body misses at once after that.
    assert.equal(memo.lookup(ENC.encode(body(N, next)), binaryText(ENC.encode(body(N, next))), CT), null);
  }
});

Deno.test("memo, paced: answers built while a paced one is written all get the whole document, shared", async () => {
  const { memo } = learnt();
  const bytes = ENC.encode(body(N, next));
  const hit = memo.lookup(bytes, binaryText(bytes), CT)!;
  const result: ScrapeResult = { ok: true, families: [], skipped: 0, durationSeconds: 0, memo: hit };
  const policy: AnswerPolicy = { failed() {}, conflicts() {}, own: () => [] };
  const scratch = new ByteWriter(0);
  const sources = [{
    name: "t",
    url: "http://127.0.0.1:1/metrics",
    labels: [],
    onDuplicate: "error" as const,
  }];
  const formats: ExpositionFormat[] = ["text", "openmetrics", "text", "text", "openmetrics", "text"];
  const { value: answers, timers } = await withClock(25, () =>
    Promise.all(
      formats.map((format) => buildAnswer({ sources, results: [result], policy, format, scratch }, (d) => d)),
    ));
  assert.ok(timers >= 3, `the writes gave ${timers} turns`);
  const fresh = memo.lookup(bytes, binaryText(bytes), CT)!;
  formats.forEach((format, i) => {
    const w = new ByteWriter();
    fresh.writeInto(w, format);
    endDocument(w, [], format);
    const document = answers[i].answer;
    assert.equal(documentText(document), w.text(), `answer ${i} (${format})`);
    // The scrape's part was written once per format: every answer in that format sends the same bytes.
    assert.ok(document instanceof SharedDocument);
    const first = answers[formats.indexOf(format)].answer as SharedDocument;
    assert.equal(document.parts[0], first.parts[0], `answer ${i} (${format}) has a part of its own`);
  });
});
