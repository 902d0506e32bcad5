/**
 * The long work of a large scrape besides a memo hit gives the event loop turns (src/pace.ts), with the same
 * result as done at once: a JSON body's decode, the memo learning a shape and building its answer (two
 * tagged runs of the pipeline, or of the relay), and a pipeline answer's assembly and writing. At 100k JSON
 * keys each of these used to hold the event loop for 0.1 to 3 s (docs/PERFORMANCE.md, decision 31). A clock
 * that runs 25 ms per look makes every step pause, so the checks do not depend on the machine's speed; each
 * case is sized to several steps.
 */
import assert from "node:assert/strict";
import { parseConfigText } from "../../src/config/load.ts";
import { DocumentBuilder } from "../../src/exposition/assemble.ts";
import { ByteWriter } from "../../src/exposition/escape.ts";
import type { ExpositionFormat } from "../../src/exposition/negotiate.ts";
import {
  type Document,
  documentText,
  writeDocument,
  writeFamiliesInto,
} from "../../src/exposition/respond.ts";
import { decodeStream, decodeStreamPaced } from "../../src/formats/mod.ts";
import { binaryText, type MemoHit, ScrapeMemo } from "../../src/memo/memo.ts";
import { STEP_VALUES } from "../../src/pace.ts";
import {
  type CompiledTarget,
  compileTarget,
  pipelineSteps,
  runPipeline,
  type ScrapeResult,
  withMemo,
  withRelay,
} from "../../src/scrape/mod.ts";
import { type Answer, type AnswerJob, type AnswerPolicy, buildAnswer } from "../../src/server/answer.ts";
import { withClock } from "../_lib/clock.ts";
import { configFileFlags } from "../_lib/helpers.ts";

const FLAGS = configFileFlags("paced.yaml");
const ENC = new TextEncoder();
const JSON_TYPE = "application/json";
const TEXT_TYPE = "text/plain; version=0.0.4";

/** More values than three steps. */
const N = 3 * STEP_VALUES + 77;

function target(format: "json" | "prometheus", rules = ""): CompiledTarget {
  const yaml = `targets:\n  - name: t\n    url: http://127.0.0.1:1/x\n    format: ${format}\n` +
    `    labels: { service: s }\n${rules}`;
  return compileTarget(parseConfigText(yaml, "paced.yaml", FLAGS, Deno.cwd()).targets[0]);
}

/** A flat JSON object of `n` keys, as the seed's upstreams send (every key its own family). */
function jsonBody(n: number, value: (i: number) => number): string {
  const keys: string[] = [];
  for (let i = 0; i < n; i++) keys.push(`"requests_${i % 7}_${i}":${value(i)}`);
  return `{${keys.join(",")}}`;
}

/** A text page of `n` gauge samples in families of 10. */
function textBody(n: number, value: (i: number) => number): string {
  const lines: string[] = [];
  for (let f = 0; f * 10 < n; f++) {
    lines.push(`# HELP g${f} A gauge.`, `# TYPE g${f} gauge`);
    for (let j = 0; j < 10 && f * 10 + j < n; j++) lines.push(`g${f}{shard="${j}"} ${value(f * 10 + j)}`);
  }
  return lines.join("\n") + "\n";
}

function written(families: Parameters<typeof writeFamiliesInto>[1], format: ExpositionFormat): string {
  const w = new ByteWriter();
  writeFamiliesInto(w, families, format);
  return w.text();
}

function memoAnswer(hit: MemoHit, format: ExpositionFormat): string {
  const w = new ByteWriter();
  hit.writeInto(w, format);
  return w.text();
}

Deno.test("paced: a large JSON body is decoded and its rules applied in steps, as at once", async () => {
  const t = target("json");
  const body = { bytes: ENC.encode(jsonBody(N, (i) => i * 3)), contentType: JSON_TYPE };
  const begin = (asSent: boolean) => t.transform.begin({ asSent });
  const want = decodeStream(t.decoder, body, begin);
  const { value: got, timers } = await withClock(25, () => decodeStreamPaced(t.decoder, body, begin));
  // The blocks of the read, the samples fed to the rules, the families built and the run's finish.
  assert.ok(timers >= 3, `the decode gave ${timers} turns`);
  assert.equal(got.skipped, want.skipped);
  assert.equal(written(got.families, "text"), written(want.families, "text"));
  assert.equal(got.families.length, N);
});

for (const [kind, make, type] of [["JSON", jsonBody, JSON_TYPE], ["text", textBody, TEXT_TYPE]] as const) {
  Deno.test(`paced: the memo learns a large ${kind} shape and builds its answers in steps, as at once`, async () => {
    const format = kind === "JSON" ? "json" : "prometheus";
    // Text learns its tagged answers through the relay, as `start` builds the target; JSON through the pipeline.
    const paced = withRelay(withMemo(target(format)));
    const first = make(N, (i) => i);
    const firstBinary = binaryText(ENC.encode(first));
    const skipped = runPipeline(paced, first, format).skipped;
    const learnt = await withClock(25, () => paced.memo!.learnPaced(firstBinary, type, format, skipped));
    assert.ok(learnt.timers >= 3, `learning gave ${learnt.timers} turns`);
    // The same shape learnt at once, by a memo of its own.
    const plain = target(format);
    const unpaced = new ScrapeMemo((text, f) => pipelineSteps(plain, text, f));
    unpaced.learn(firstBinary, type, format, skipped);

    const second = make(N, (i) => 2 * i + 1);
    const bytes = ENC.encode(second);
    const hit = paced.memo!.lookup(bytes, binaryText(bytes), type);
    const other = unpaced.lookup(bytes, binaryText(bytes), type);
    assert.ok(hit !== null && other !== null, "the second body must hit both memos");
    const want = runPipeline(plain, second, format);
    for (const f of ["text", "openmetrics"] as const) {
      const built = await withClock(25, () => hit.prepare(f));
      assert.ok(built.timers >= 3, `${f}: building gave ${built.timers} turns`);
      assert.ok(hit.output(f) !== null, `${f}: the answer must be memoizable`);
      assert.equal(memoAnswer(hit, f), memoAnswer(other, f), `${f}: as the memo built at once`);
      assert.equal(memoAnswer(hit, f), written(want.families, f), `${f}: as the pipeline`);
      // Built once: a second prepare has nothing left to do.
      assert.equal((await withClock(25, () => hit.prepare(f))).timers, 0);
    }
  });
}

Deno.test("paced: hits that want a memo being built wait for it and share it", async () => {
  const t = withMemo(target("json"));
  const first = jsonBody(N, (i) => i);
  t.memo!.learn(binaryText(ENC.encode(first)), JSON_TYPE, "json", 0);
  const bytes = ENC.encode(jsonBody(N, (i) => i + 5));
  const a = t.memo!.lookup(bytes, binaryText(bytes), JSON_TYPE)!;
  const b = t.memo!.lookup(bytes, binaryText(bytes), JSON_TYPE)!;
  await withClock(25, () => Promise.all([a.prepare("text"), b.prepare("text"), a.prepare("text")]));
  assert.ok(a.output("text") !== null);
  assert.equal(a.output("text"), b.output("text"), "one memo, built once");
});

Deno.test("paced: a large answer from the pipeline is assembled and written in steps, as at once", async () => {
  const t = target("json");
  const families = runPipeline(t, jsonBody(N, (i) => i), "json").families;
  const result: ScrapeResult = { ok: true, families, skipped: 0, durationSeconds: 0 };
  const policy: AnswerPolicy = { failed() {}, conflicts() {}, own: () => [] };
  const sources = [{ name: "t", url: "http://127.0.0.1:1/x", labels: [], onDuplicate: "error" as const }];
  for (const format of ["text", "openmetrics"] as const) {
    const job: AnswerJob = { sources, results: [result], policy, format, scratch: new ByteWriter(0) };
    const built: { value: Answer<Document>; timers: number } = await withClock(
      25,
      () => buildAnswer(job, (d: Document) => d),
    );
    const { value: answer, timers } = built;
    assert.ok(timers >= 3, `${format}: the answer gave ${timers} turns`);
    const builder = new DocumentBuilder();
    builder.add({ source: "t", families, onDuplicate: "error" });
    const want = new TextDecoder().decode(writeDocument(builder.families(), format));
    assert.equal(documentText(answer.answer), want, format);
  }
});
