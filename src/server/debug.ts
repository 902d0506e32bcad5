/**
 * One target at a time, and the debug report. `/metrics?target=NAME` scrapes one configured target only, so
 * a slow target does not hold the others' answer; `debug=true` on it or on `/probe` (blackbox_exporter's
 * convention) answers `text/plain` with three parts: the scrape's log (each step's duration, the status,
 * content type, bytes, the format and the series read, or what failed), the `explain` of the rules on that
 * very body, and the exposition the scrape gives. A debug scrape fetches on its own (no single flight, no
 * memo, no series cache), records its steps (`ScrapeTrace`, which the normal path never passes) and is not
 * counted in the exporter's own metrics; a failed one still answers 200, its log saying what failed. One debug
 * scrape runs at a time per handler ({@linkcode DebugSlot}); its body is held on the memory budget until the
 * report is built, the report is held like any answer, and its explain and exposition are cut to
 * {@linkcode MAX_REPORT_LINES} lines each. Each debug scrape is logged at info level.
 *
 * @module
 */

import { ParseError } from "../errors.ts";
import { explainBody } from "../explain.ts";
import { documentText } from "../exposition/respond.ts";
import { scrapeFamilies, type ScrapeOutcome, type SelfMetrics } from "../exposition/self_metrics.ts";
import type { MetricFamily } from "../model.ts";
import { SCRAPE_TIMEOUT_HEADER, scrapeBudgetMs } from "../scrape/deadline.ts";
import { type CompiledTarget, type ScrapeResult, scrapeTarget, type ScrapeTrace } from "../scrape/mod.ts";
import { lastSuccessFamily, type SingleFlight } from "../scrape/singleflight.ts";
import {
  type AnswerHold,
  answerOverBudget,
  type MemoryBudget,
  NO_HOLD,
  withLease,
} from "../upstream/memory_budget.ts";
import type { Logger } from "../log.ts";
import { displayText, displayUrl, redactUrl } from "../url.ts";
import { plain, quote } from "./_text.ts";
import { type AnswerPolicy, type AnswerSource, buildAnswer, targetSource } from "./answer.ts";

/** Lines kept of the explain part, and of the exposition part, of a debug report. */
export const MAX_REPORT_LINES = 2_000;

/** Target names listed at most in the 400 answer to an unknown target. */
const MAX_NAMES_LISTED = 20;

/** The target a `/metrics?target=NAME` request names, and whether it asks for the debug report. */
export interface OneTarget {
  /** The configured target of that name. */
  target: CompiledTarget;
  /** `debug=true` was given. */
  debug: boolean;
}

/**
 * Reads `target` and `debug` of a `/metrics` request: `undefined` without `target` (every target, as
 * always), the one target it names, or a 400 answer naming the configured targets (the first 20) when the
 * name is unknown (as `/probe` answers an unknown module), when `target` is given more than once, or when
 * `debug=true` comes without a target.
 *
 * @example
 * ```ts ignore
 * const one = oneTarget(new Request("http://localhost/metrics?target=db"), runtime.targets);
 * ```
 */
export function oneTarget(
  req: Request,
  targets: readonly CompiledTarget[],
): OneTarget | Response | undefined {
  const params = new URL(req.url).searchParams;
  const names = params.getAll("target");
  const debug = params.get("debug") === "true";
  if (names.length === 0) {
    return debug ? plain(400, `Parameter "debug" needs "target=NAME"; ${known(targets)}\n`) : undefined;
  }
  if (names.length > 1) {
    return plain(400, `Parameter "target" is given ${names.length} times; give it once\n`);
  }
  const target = targets.find((t) => t.config.name === names[0]);
  if (target === undefined) return plain(400, `Unknown target ${quote(names[0])}; ${known(targets)}\n`);
  return { target, debug };
}

/** The configured targets' names for an error: the first {@linkcode MAX_NAMES_LISTED}, and how many more. */
function known(targets: readonly CompiledTarget[]): string {
  if (targets.length === 0) return "no targets are configured";
  const listed = targets.slice(0, MAX_NAMES_LISTED).map((t) => quote(t.config.name)).join(", ");
  const more = targets.length - MAX_NAMES_LISTED;
  return `the targets are ${listed}${more > 0 ? `, … ${more} more` : ""}`;
}

/**
 * The policy of `/metrics?target=NAME`: `policy` with our own families cut to the series of that target
 * (label `target="NAME"`), so the answer holds its families, `prom_exporter_up` and its counters, and none
 * of the other targets' or the process's. Without a target, `policy` itself.
 */
export function forTarget(policy: AnswerPolicy, target: CompiledTarget | undefined): AnswerPolicy {
  if (target === undefined) return policy;
  const name = target.config.name;
  return { ...policy, own: async (outcomes) => seriesOfTarget(await policy.own(outcomes), name) };
}

/** The samples of `families` labelled `target="name"`; families left without any are dropped. */
function seriesOfTarget(families: readonly MetricFamily[], name: string): MetricFamily[] {
  const out: MetricFamily[] = [];
  for (const f of families) {
    const samples = f.samples.filter((s) => {
      for (let i = 0; i < s.labels.length; i += 2) {
        if (s.labels[i] === "target") return s.labels[i + 1] === name;
      }
      return false;
    });
    if (samples.length > 0) out.push({ ...f, samples });
  }
  return out;
}

/**
 * One debug scrape at a time: the handler keeps one slot for `/metrics?target=NAME&debug=true` and
 * `/probe?...&debug=true` together, and a debug request that finds it taken answers 429 at once.
 */
export class DebugSlot {
  #busy = false;

  /** Runs `work` in the slot, or answers 429 (`text/plain`) when a debug scrape is running. */
  async run(work: () => Promise<Response>): Promise<Response> {
    if (this.#busy) {
      return plain(429, "A debug scrape is running; one runs at a time: try again once it is done\n");
    }
    this.#busy = true;
    try {
      return await work();
    } finally {
      this.#busy = false;
    }
  }
}

/** What {@linkcode debugTarget} needs of the handler. */
export interface DebugTargetOptions {
  /** The exporter's long-lived metrics: the target's counters are shown, never counted. */
  self: SelfMetrics;
  /** The runtime's single-flight group, for the target's last success. */
  flight: SingleFlight<ScrapeResult>;
  /** Subtracted from the scrape timeout header, in ms. */
  offsetMs: number;
  /** Logs the debug scrape, at info level. */
  log: Logger;
  /** The memory budget: the body is read on a lease of it, held until the report is built. @default {none} */
  budget?: MemoryBudget;
  /** Holds the report's bytes until it is sent. @default {every report fits} */
  hold?: AnswerHold;
}

/**
 * Answers `/metrics?target=NAME&debug=true`: scrapes the target once on its own, then the debug report.
 * The caller runs it in the handler's {@linkcode DebugSlot}.
 *
 * @example
 * ```ts ignore
 * const res = await debugTarget(req, target, { self, flight, offsetMs: 500, log });
 * ```
 */
export async function debugTarget(
  req: Request,
  target: CompiledTarget,
  o: DebugTargetOptions,
): Promise<Response> {
  const { config } = target;
  const timeout = scrapeBudgetMs(req.headers.get(SCRAPE_TIMEOUT_HEADER), o.offsetMs, config.timeoutMs);
  if (timeout instanceof RangeError) return plain(400, timeout.message + "\n");
  const signal = AbortSignal.any([req.signal, AbortSignal.timeout(timeout)]);
  const trace: ScrapeTrace = { fetch: { hops: 0 } };
  // No memo and no series cache: the scrape decodes the whole body, and shares no state with regular ones.
  const bare: CompiledTarget = { ...target, memo: undefined, seriesCache: undefined };
  const source = targetSource(target);
  const own = async (outcomes: readonly ScrapeOutcome[]) =>
    seriesOfTarget([
      ...scrapeFamilies(outcomes),
      lastSuccessFamily([{ labels: target.labels, atMs: o.flight.lastSuccessMs(config.name) }]),
      ...await o.self.families(),
    ], config.name);
  const heading = [
    `target: ${quote(config.name)}`,
    `url: ${displayUrl(config.url)}`,
    `timeout: ${timeout} ms`,
  ];
  // The lease holds the body until the report is built (its explain decodes the body again).
  return await withLease(o.budget, async (lease) => {
    const result = await scrapeTarget(bare, { signal, budget: lease, trace });
    return await debugReport({
      heading,
      source,
      result,
      trace,
      url: config.url,
      own,
      signal,
      hold: o.hold,
      limit: o.budget?.limit ?? 0,
      log: o.log,
      fields: { target: config.name, url: redactUrl(config.url) },
    });
  });
}

/** One debug scrape, done, for {@linkcode debugReport}. */
export interface DebugScrape {
  /** The report's first lines: what was scraped (target or module, URL) and the timeout. */
  heading: readonly string[];
  /** Steps before the fetch, already written (the probe's allow-list check). @default {none} */
  before?: readonly string[];
  /** The source, for the exposition. */
  source: AnswerSource;
  /** The scrape's result. */
  result: ScrapeResult;
  /** What the scrape recorded. */
  trace: ScrapeTrace;
  /** The URL fetched, for the explain's heading. */
  url: string;
  /** Our own families in the exposition, as the endpoint's policy gives them. */
  own: AnswerPolicy["own"];
  /** The scrape's deadline: once it has passed, the explain is left out. @default {none} */
  signal?: AbortSignal;
  /** Holds the report's bytes until it is sent. @default {every report fits} */
  hold?: AnswerHold;
  /** The memory budget's cap, for the refusal's message. @default {0} */
  limit?: number;
  /** Logs the debug scrape at info level, with `fields`. @default {not logged} */
  log?: Logger;
  /** What names the scrape in the log line: target or module, and the URL, redacted. @default {none} */
  fields?: Record<string, string>;
}

/**
 * The debug report of a scrape: the log, the explain of the rules on the body read, and the exposition,
 * as one `text/plain` answer with status 200 (a failed scrape included). The explain and the exposition keep
 * {@linkcode MAX_REPORT_LINES} lines each. The report's bytes are held with `hold`; when it refuses, the
 * answer is a 503 saying so.
 */
export async function debugReport(d: DebugScrape): Promise<Response> {
  const { result, trace } = d;
  const explained = explainPart(d);
  const log = [
    ...d.heading,
    ...d.before ?? [],
    ...fetchLines(trace, result),
    ...decodeLines(trace, result, explained.series),
    `total: ${ms(result.durationSeconds * 1000)}`,
    result.ok
      ? "result: success"
      : `result: failed, reason ${result.error.reason}: ${displayText(result.error.message)}`,
  ];
  const exposition = await expositionOf(d);
  const text = [
    "Scrape log:",
    ...log,
    "",
    "Explain of the rules on this body:",
    capLines(explained.text.trimEnd(), MAX_REPORT_LINES),
    "",
    "Metrics that would have been returned:",
    capLines(exposition.trimEnd(), MAX_REPORT_LINES),
    "",
  ].join("\n");
  const body = new TextEncoder().encode(text);
  const held = (d.hold ?? NO_HOLD)(body.byteLength);
  d.log?.info("debug scrape", {
    ...d.fields,
    result: result.ok ? "success" : result.error.reason,
    report_bytes: body.byteLength,
    ...held ? {} : { refused: "memory" },
  });
  if (!held) {
    const refusal = answerOverBudget(body.byteLength, d.limit ?? 0).message;
    return plain(503, `Cannot answer the debug report: ${refusal.replace(/^Cannot answer: /, "")}\n`);
  }
  return new Response(body, {
    headers: {
      "content-type": "text/plain; charset=utf-8",
      "content-length": String(body.byteLength),
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}

/** `text` cut to its first `max` lines, then a line saying how many were left out. */
export function capLines(text: string, max: number): string {
  let at = -1;
  for (let i = 0; i < max; i++) {
    at = text.indexOf("\n", at + 1);
    if (at < 0) return text;
  }
  let left = 1;
  for (let i = text.indexOf("\n", at + 1); i >= 0; i = text.indexOf("\n", i + 1)) left++;
  return `${text.slice(0, at)}\n… ${left} more ${
    left === 1 ? "line" : "lines"
  } left out (the first ${max} are shown)`;
}

/** The fetch's steps: connect and headers as one span (Deno's fetch tells nothing finer), then the body. */
function fetchLines(trace: ScrapeTrace, result: ScrapeResult): string[] {
  const f = trace.fetch;
  if (f.headersMs === undefined) return ["connect + headers: no response"];
  const type = f.contentType === null || f.contentType === undefined ? "none" : JSON.stringify(f.contentType);
  const redirects = f.hops > 1 ? `, ${f.hops - 1} redirects followed` : "";
  const lines = [
    `connect + headers: ${ms(f.headersMs)}: HTTP ${f.status}, content type ${type}${redirects}`,
  ];
  if (f.bodyMs === undefined) return lines;
  if (f.bytes !== undefined) lines.push(`body: ${ms(f.bodyMs)}: ${f.bytes} bytes`);
  else if (!result.ok && result.error.reason === "status") lines.push("body: not read, for that status");
  else lines.push(`body: ${ms(f.bodyMs)}: failed`);
  return lines;
}

/** The decode and rules step: the format, the series read from the body and the series the rules gave. */
function decodeLines(trace: ScrapeTrace, result: ScrapeResult, read: number | undefined): string[] {
  if (trace.format === undefined) return trace.body === undefined ? [] : ["decode + rules: failed"];
  const how = trace.target?.config.format === "auto" ? "detected" : "configured";
  const out = result.ok ? result.families.reduce((n, f) => n + f.samples.length, 0) : 0;
  const skipped = result.ok ? `, ${result.skipped} values skipped` : "";
  const series = read === undefined ? "" : `, ${read} series read`;
  return [
    `decode + rules: ${ms(trace.transformMs ?? 0)}: format ${trace.format} (${how})${series}, ` +
    `${out} series out${skipped}`,
  ];
}

/** The explain of the target's rules on the body read, and how many series the body held. */
function explainPart(d: DebugScrape): { text: string; series?: number } {
  const { body, target } = d.trace;
  if (body === undefined) return { text: "No body to explain: the fetch failed." };
  if (target === undefined) return { text: "No rules to explain." };
  // The explain decodes the body again: not once the scrape's deadline has passed.
  if (d.signal?.aborted) return { text: "No explain: the scrape's deadline passed before it could run." };
  try {
    return explainBody({ ...target, config: { ...target.config, url: displayUrl(d.url) } }, body);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
    return { text: `Cannot decode the body: ${e.message}` };
  }
}

/** The exposition the scrape gives, written by the one answer builder, in the text format. */
async function expositionOf(d: DebugScrape): Promise<string> {
  // Nothing is counted or logged: the report is the log.
  const policy: AnswerPolicy = { failed: () => {}, conflicts: () => {}, own: d.own };
  const job = { sources: [d.source], results: [d.result], policy, format: "text" } as const;
  const { answer } = await buildAnswer(job, documentText);
  return answer;
}

function ms(n: number): string {
  return `${n.toFixed(1)} ms`;
}
