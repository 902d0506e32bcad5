/**
 * The one answer builder. Every endpoint that answers with scraped metrics (`/metrics`, `/probe` and the
 * `once` command) scrapes its sources its own way, then hands the results here: {@linkcode buildAnswer}
 * merges them with the exporter's own families under one policy (src/exposition/assemble.ts, ours win),
 * reports failures, skipped values and conflicts, and writes the document, from the scrape memo when it
 * can. What differs per endpoint is only an {@linkcode AnswerPolicy}: how it counts and logs, and which of
 * our own families it carries ({@linkcode targetPolicy} for `/metrics` and `once`, `probePolicy` in
 * ./probe.ts). Two builders with their own merge rules once let `process_*` clash; one cannot.
 *
 * @module
 */

import { UpstreamError } from "../errors.ts";
import type { DuplicatePolicy } from "../config/types.ts";
import { ByteWriter, estimateSize } from "../exposition/escape.ts";
import { type Conflict, DocumentBuilder } from "../exposition/assemble.ts";
import { namesTaken } from "../exposition/names.ts";
import type { ExpositionFormat } from "../exposition/negotiate.ts";
import {
  type Document,
  endDocument,
  SharedDocument,
  writeDocument,
  writeDocumentPaced,
} from "../exposition/respond.ts";
import { scrapeFamilies, type ScrapeOutcome, type SelfMetrics } from "../exposition/self_metrics.ts";
import type { Logger } from "../log.ts";
import { disjointOutputs, type NamedOutput, type WrittenSource } from "../memo/written.ts";
import type { MetricFamily } from "../model.ts";
import { runPaced, STEP_VALUES } from "../pace.ts";
import type { CompiledTarget, ScrapeResult } from "../scrape/mod.ts";

/** One source of an answer: a static target, or the target of a `/probe`. */
export interface AnswerSource {
  /** The name its errors and conflicts are counted under: the target's, or the `/probe` module's. */
  name: string;
  /** The upstream URL, for log lines (redact it before logging). */
  url: string;
  /** The labels of its own series (`prom_exporter_up`, the scrape duration). */
  labels: readonly string[];
  /** How its series that repeat an earlier source's are resolved. */
  onDuplicate: DuplicatePolicy;
}

/** A failed scrape. */
export type FailedScrape = Extract<ScrapeResult, { ok: false }>;

/** A good scrape. */
export type GoodScrape = Extract<ScrapeResult, { ok: true }>;

/** What differs per endpoint: how results are reported, and which of our own families the answer carries. */
export interface AnswerPolicy {
  /** Reports one failed source (count it, log it); also a source the merge or the memory budget refused. */
  failed(source: AnswerSource, result: FailedScrape): void;
  /** Reports one good source, e.g. counts its skipped values. */
  succeeded?(source: AnswerSource, result: GoodScrape): void;
  /** Counts and logs resolved conflicts. */
  conflicts(conflicts: readonly Conflict[]): void;
  /** Our own families, built after every outcome was reported, so this answer shows its own counts. */
  own(outcomes: readonly ScrapeOutcome[]): Promise<readonly MetricFamily[]> | readonly MetricFamily[];
}

/** The input of {@linkcode buildAnswer}. */
export interface AnswerJob {
  /** The sources, in answer order. */
  sources: readonly AnswerSource[];
  /** Each source's scrape result, in the same order. */
  results: readonly ScrapeResult[];
  /** The endpoint's policy. */
  policy: AnswerPolicy;
  /** The exposition format to write. */
  format: ExpositionFormat;
  /**
   * A writer to reuse, e.g. one per handler: a document written from families is then a view into it, valid
   * until its next reset, which is why the builders hand it to a `take` callback, synchronously.
   * @default {a new one}
   */
  scratch?: ByteWriter;
}

/**
 * Makes what the caller keeps (a Response, which copies bytes and streams a shared document; a string) of a
 * document.
 */
export type TakeDocument<T> = (document: Document) => T;

/** A built answer. */
export interface Answer<T> {
  /** What `take` made of the whole document. */
  answer: T;
  /** Each source's result after the merge: a source refused under `on_duplicate: error` has failed. */
  results: readonly ScrapeResult[];
}

/** The job's writer, or a new one. */
function scratchOf(job: AnswerJob): ByteWriter {
  return job.scratch ?? new ByteWriter(0);
}

/**
 * Builds one answer: every good source's families in source order, then our own, merged into one valid
 * document; failures, skipped values and conflicts go to the policy first.
 *
 * @param job The sources, their results, the endpoint's policy and the format.
 * @param take Called once with the document, before anything else can write into `job.scratch`.
 *
 * @example
 * ```ts ignore
 * const { answer } = await buildAnswer({ sources, results, policy, format: "text" }, (d) => d.slice());
 * ```
 */
export async function buildAnswer<T>(job: AnswerJob, take: TakeDocument<T>): Promise<Answer<T>> {
  const { sources, results, policy, format } = job;
  // A memo's first hit in a format learns that answer (two tagged runs): in steps, before it is looked at.
  for (const r of results) if (r.ok && r.memo !== undefined) await r.memo.prepare(format);
  // The memo writes each source's answer as it is: only when no two sources share a name, so no merge and
  // no duplicate across them can arise. Else every upstream family goes through one DocumentBuilder.
  const outputs = memoOutputs(results, format);
  const doc = outputs === null ? new DocumentBuilder() : undefined;
  const final = doc === undefined ? results : await addSources(doc, sources, results);
  const outcomes = reportResults(sources, final, policy);
  // Conflicts between sources are counted before our counters are read, so this answer shows them.
  if (doc !== undefined) policy.conflicts(doc.conflicts);
  const own = await policy.own(outcomes);
  const fromMemo = outputs === null
    ? null
    : await writeFromMemo(scratchOf(job), outputs, results, own, format, take);
  if (fromMemo !== null) return { answer: fromMemo.answer, results: final };
  for (const r of results) if (r.ok) r.relayed?.discarded();
  const builder = doc ?? new DocumentBuilder();
  if (doc === undefined) await addSources(builder, sources, results);
  const reported = doc === undefined ? 0 : builder.conflicts.length;
  builder.addOwn(own);
  // A clash with our own families is known only now: it shows in the counter from the next answer on.
  policy.conflicts(builder.conflicts.slice(reported));
  const families = builder.families();
  // A large document is written in steps, into a buffer of its own (the turns would let others use scratch).
  const document = estimateSize(families) > PACED_DOCUMENT_BYTES
    ? await writeDocumentPaced(families, format)
    : writeDocument(families, format, scratchOf(job));
  return { answer: take(document), results: final };
}

/** Documents estimated larger than this (some 4,000 samples) are written in paced steps. */
const PACED_DOCUMENT_BYTES = 64 * STEP_VALUES;

/**
 * The answer when the memory budget refused a built one: every source that succeeded fails with `error`
 * (reported to the policy), and only our own families are written; `take` gets the document as in
 * {@linkcode buildAnswer}.
 */
export async function refusedAnswer<T>(
  job: AnswerJob,
  final: readonly ScrapeResult[],
  error: UpstreamError,
  take: TakeDocument<T>,
): Promise<T> {
  const outcomes = job.sources.map((s, i): ScrapeOutcome => {
    const { ok, durationSeconds } = final[i];
    if (ok) job.policy.failed(s, { ok: false, error, durationSeconds });
    return { labels: s.labels, ok: false, durationSeconds };
  });
  const builder = new DocumentBuilder();
  builder.addOwn(await job.policy.own(outcomes));
  return take(writeDocument(builder.families(), job.format, scratchOf(job)));
}

/** A static target as an answer source. */
export function targetSource(t: CompiledTarget): AnswerSource {
  return { name: t.config.name, url: t.config.url, labels: t.labels, onDuplicate: t.config.onDuplicate };
}

/** The log fields of a failed scrape: its reason, error and duration. */
export function failureFields(result: FailedScrape): Record<string, string | number> {
  return {
    reason: result.error.reason,
    err: result.error.message,
    duration_seconds: Number(result.durationSeconds.toFixed(3)),
  };
}

/** Options of {@linkcode targetPolicy}. */
export interface TargetPolicyOptions {
  /** The exporter's long-lived metrics: errors, skipped values and conflicts are counted here. */
  self: SelfMetrics;
  /** Logs each conflict's cause once per `logged`. */
  log: Logger;
  /** The conflict causes logged so far (per handler, or per `once` run). */
  logged: Set<string>;
  /** Reports one failed target (after it was counted). */
  onFailure: (source: AnswerSource, result: FailedScrape) => void;
  /** Reports one good target, e.g. to the status page (src/server/target_status.ts). @default {none} */
  onSuccess?: (source: AnswerSource, result: GoodScrape) => void;
  /** Our families besides the per-scrape ones and `self`'s (last success, reload metrics). @default {none} */
  extra?: () => readonly MetricFamily[];
}

/** The policy of static targets (`/metrics`, `once`): counts per target, answers with all our families. */
export function targetPolicy(o: TargetPolicyOptions): AnswerPolicy {
  return {
    failed(source, result) {
      o.self.countError(source.name, result.error.reason);
      o.onFailure(source, result);
    },
    succeeded(source, result) {
      o.self.countSkipped(source.name, result.skipped);
      o.onSuccess?.(source, result);
    },
    conflicts: (conflicts) => reportConflicts(conflicts, o.self, o.log, o.logged),
    own: async (outcomes) => [...scrapeFamilies(outcomes), ...o.extra?.() ?? [], ...await o.self.families()],
  };
}

/** Counts every conflict in `self` and logs each cause (source, kind, family) once per `logged` set. */
export function reportConflicts(
  conflicts: readonly Conflict[],
  self: SelfMetrics,
  log: Logger,
  logged: Set<string>,
): void {
  for (const c of conflicts) {
    self.countConflict(c.source, c.kind, c.series);
    const cause = `${c.source}\u0000${c.kind}\u0000${c.family}`;
    if (logged.has(cause)) continue;
    // Bounded: an upstream with ever-new clashing names must not grow the set forever.
    if (logged.size >= MAX_LOGGED_CONFLICTS) logged.clear();
    logged.add(cause);
    log.warn("series conflict", { target: c.source, kind: c.kind, family: c.family, err: c.message });
  }
}

/** Causes remembered as logged; then the set starts over. */
const MAX_LOGGED_CONFLICTS = 10_000;

/**
 * Adds each good result's families to `doc`, in source order. A source whose series clash with an earlier
 * one's under `on_duplicate: error` is added not at all: its result becomes a failed scrape with reason
 * `duplicate`, so `prom_exporter_up` shows it.
 */
function addSources(
  doc: DocumentBuilder,
  sources: readonly AnswerSource[],
  results: readonly ScrapeResult[],
): Promise<ScrapeResult[]> {
  return runPaced(addSourcesSteps(doc, sources, results));
}

/** {@linkcode addSources} as steps: a 100k-family source takes long enough to stall other requests. */
function* addSourcesSteps(
  doc: DocumentBuilder,
  sources: readonly AnswerSource[],
  results: readonly ScrapeResult[],
): Generator<void, ScrapeResult[]> {
  const final: ScrapeResult[] = [];
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    const { name, onDuplicate } = sources[i];
    const refused = r.ok ? yield* doc.addSteps({ source: name, families: r.families, onDuplicate }) : null;
    final.push(
      refused === null
        ? r
        : { ok: false, error: new UpstreamError("duplicate", refused), durationSeconds: r.durationSeconds },
    );
  }
  return final;
}

/** Reports each result to the policy and returns each outcome. */
function reportResults(
  sources: readonly AnswerSource[],
  results: readonly ScrapeResult[],
  policy: AnswerPolicy,
): ScrapeOutcome[] {
  return results.map((r, i) => {
    const s = sources[i];
    if (r.ok) policy.succeeded?.(s, r);
    else policy.failed(s, r);
    return { labels: s.labels, ok: r.ok, durationSeconds: r.durationSeconds };
  });
}

/**
 * The whole document written from the scrape memo and given to `take`, or `null` when it cannot be: a good
 * scrape that missed the memo, an answer that is not a plain copy of its values, or a family name two parts
 * share (merging them is the pipeline's job). Otherwise the bytes equal what the families would give
 * (tests/memo/memo_test.ts). The document is shared: each source's part, written once per scrape and format
 * ({@linkcode sharedParts}), then our own families.
 */
async function writeFromMemo<T>(
  w: ByteWriter,
  outputs: readonly NamedOutput[],
  results: readonly ScrapeResult[],
  own: readonly MetricFamily[],
  format: ExpositionFormat,
  take: TakeDocument<T>,
): Promise<{ answer: T } | null> {
  if (!disjointOutputs(outputs, own.flatMap(namesTaken))) return null;
  const hits = results.flatMap((r) => {
    const written = r.ok ? writtenSource(r) : undefined;
    return written ? [written] : [];
  });
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (const h of hits) parts.push(...await sharedParts(h, format));
  w.reset(estimateSize(own));
  endDocument(w, own, format);
  parts.push(w.bytes().slice());
  return { answer: take(new SharedDocument(parts)) };
}

type Parts = Uint8Array<ArrayBuffer>[];

/** Each written source's parts, by format: written once, for every answer that takes them. */
const written = new WeakMap<WrittenSource, Map<ExpositionFormat, Promise<Parts>>>();

/**
 * A written source's parts of a document in `format`: the relay's arenas as they are, else the answer
 * written once into a buffer of its own. Scrapes that overlap share one result (single flight): the first
 * answer writes it, in steps that give the event loop turns (src/pace.ts), and the others take the same
 * bytes, which are never written again.
 */
function sharedParts(source: WrittenSource, format: ExpositionFormat): Promise<Parts> {
  let byFormat = written.get(source);
  if (byFormat === undefined) written.set(source, byFormat = new Map());
  let parts = byFormat.get(format);
  if (parts === undefined) {
    const ready = source.parts?.(format);
    if (ready) {
      parts = Promise.resolve(ready);
    } else {
      const w = new ByteWriter(source.sizeHint(format));
      parts = source.writeIntoPaced(w, format).then(() => [w.bytes()]);
    }
    byFormat.set(format, parts);
  }
  return parts;
}

/** A good result's answer written without families: a memo hit's, or the relay's. */
export function writtenSource(r: GoodScrape): WrittenSource | undefined {
  return r.memo ?? r.relayed;
}

/**
 * Every good result's memo answer in this format, when each has one and no two of them take a common name;
 * else `null` (also when no source succeeded).
 */
function memoOutputs(results: readonly ScrapeResult[], format: ExpositionFormat): NamedOutput[] | null {
  const outputs: NamedOutput[] = [];
  for (const r of results) {
    if (!r.ok) continue;
    const out = writtenSource(r)?.output(format);
    if (!out) return null;
    outputs.push(out);
  }
  return outputs.length > 0 && disjointOutputs(outputs, []) ? outputs : null;
}
