/**
 * One target at a time, and the debug report. `/metrics?target=NAME` scrapes one configured target only, so
 * a slow target does not hold the others' answer; `debug=true` on it or on `/probe` (blackbox_exporter's
 * convention) answers `text/plain` with three parts: the scrape's log (each step's duration, the status,
 * content type, bytes, the format and the series read, or what failed), the `explain` of the rules on that
 * very body, and the exposition the scrape gives. A debug scrape fetches on its own (no single flight, no
 * memo, no series cache), records its steps (`ScrapeTrace`, which the normal path never passes) and is not
 * counted in the exporter's own metrics; a failed one still answers 200, its log saying what failed.
 *
 * @module
 */

import { ParseError } from "../errors.ts";
import { explainTarget } from "../explain.ts";
import { scrapeFamilies, type ScrapeOutcome, type SelfMetrics } from "../exposition/self_metrics.ts";
import { decodeBody, tracingDecoder } from "../formats/mod.ts";
import type { MetricFamily } from "../model.ts";
import { SCRAPE_TIMEOUT_HEADER, scrapeBudgetMs } from "../scrape/deadline.ts";
import { type CompiledTarget, type ScrapeResult, scrapeTarget, type ScrapeTrace } from "../scrape/mod.ts";
import { lastSuccessFamily, type SingleFlight } from "../scrape/singleflight.ts";
import { type MemoryBudget, withLease } from "../upstream/memory_budget.ts";
import { redactUrl } from "../url.ts";
import { type AnswerPolicy, type AnswerSource, buildAnswer, targetSource } from "./answer.ts";

/** Longest parameter value quoted back in an error body. */
const MAX_ECHO = 200;

/** The target a `/metrics?target=NAME` request names, and whether it asks for the debug report. */
export interface OneTarget {
  /** The configured target of that name. */
  target: CompiledTarget;
  /** `debug=true` was given. */
  debug: boolean;
}

/**
 * Reads `target` and `debug` of a `/metrics` request: `undefined` without `target` (every target, as
 * always), the one target it names, or a 400 answer naming the configured targets when the name is unknown
 * (as `/probe` answers an unknown module) or when `debug=true` comes without a target.
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
  const name = params.get("target");
  const debug = params.get("debug") === "true";
  const known = targets.length === 0
    ? "no targets are configured"
    : `the targets are ${targets.map((t) => quote(t.config.name)).join(", ")}`;
  if (name === null) {
    return debug ? plain(400, `Parameter "debug" needs "target=NAME"; ${known}\n`) : undefined;
  }
  const target = targets.find((t) => t.config.name === name);
  if (target === undefined) return plain(400, `Unknown target ${quote(name)}; ${known}\n`);
  return { target, debug };
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

/** What {@linkcode debugTarget} needs of the handler. */
export interface DebugTargetOptions {
  /** The exporter's long-lived metrics: the target's counters are shown, never counted. */
  self: SelfMetrics;
  /** The runtime's single-flight group, for the target's last success. */
  flight: SingleFlight<ScrapeResult>;
  /** Subtracted from the scrape timeout header, in ms. */
  offsetMs: number;
  /** The memory budget: the body is read on a lease of it. @default {none} */
  budget?: MemoryBudget;
}

/**
 * Answers `/metrics?target=NAME&debug=true`: scrapes the target once on its own, then the debug report.
 *
 * @example
 * ```ts ignore
 * const res = await debugTarget(req, target, { self, flight, offsetMs: 500 });
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
  const result = await withLease(o.budget, (lease) => scrapeTarget(bare, { signal, budget: lease, trace }));
  const source = targetSource(target);
  const own = async (outcomes: readonly ScrapeOutcome[]) =>
    seriesOfTarget([
      ...scrapeFamilies(outcomes),
      lastSuccessFamily([{ labels: target.labels, atMs: o.flight.lastSuccessMs(config.name) }]),
      ...await o.self.families(),
    ], config.name);
  const heading = [
    `target: ${quote(config.name)}`,
    `url: ${redactUrl(config.url)}`,
    `timeout: ${timeout} ms`,
  ];
  return await debugReport({ heading, source, result, trace, url: config.url, own });
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
}

/**
 * The debug report of a scrape: the log, the explain of the rules on the body read, and the exposition,
 * as one `text/plain` answer with status 200 (a failed scrape included).
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
    result.ok ? "result: success" : `result: failed, reason ${result.error.reason}: ${result.error.message}`,
  ];
  const exposition = await expositionOf(d);
  const text = [
    "Scrape log:",
    ...log,
    "",
    "Explain of the rules on this body:",
    explained.text.trimEnd(),
    "",
    "Metrics that would have been returned:",
    exposition.trimEnd(),
    "",
  ].join("\n");
  return new Response(text, {
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
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
  // The traced decoder also names the JSON entries that read nothing, as the explain command does.
  const unselected: string[] = [];
  try {
    const { families, asSent } = decodeBody(tracingDecoder(target.decoder, unselected), body);
    const shown = { ...target, config: { ...target.config, url: d.url } };
    const series = families.reduce((n, f) => n + f.samples.length, 0);
    return { text: explainTarget(shown, families, { asSent, unselected }), series };
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
  const { answer } = await buildAnswer(job, (document) => new TextDecoder().decode(document));
  return answer;
}

function ms(n: number): string {
  return `${n.toFixed(1)} ms`;
}

function quote(s: string): string {
  return JSON.stringify(s.length > MAX_ECHO ? s.slice(0, MAX_ECHO) + "…" : s);
}

function plain(status: number, text: string): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
