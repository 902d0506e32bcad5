/**
 * The HTTP surface as a function from a web-standard `Request` to a `Response`, so tests call it without a
 * socket and `main.ts` hands it to `Deno.serve`.
 *
 * @module
 */

import { SCRAPE_TIMEOUT_HEADER, scrapeBudgetMs } from "../scrape/deadline.ts";
import { ByteWriter, estimateSize } from "../exposition/escape.ts";
import { endDocument, exposition, expositionResponse, wantsOpenMetrics } from "../exposition/respond.ts";
import { disjointOutputs } from "../memo/memo.ts";
import type { OutputMemo } from "../memo/output.ts";
import { scrapeFamilies, type ScrapeOutcome, type SelfMetrics } from "../exposition/self_metrics.ts";
import { type Conflict, DocumentBuilder, namesTaken } from "../exposition/assemble.ts";
import { UpstreamError } from "../errors.ts";
import { describeHttpOptions } from "../config/http_options.ts";
import {
  answerBytes,
  type AnswerHold,
  answerOverBudget,
  holdUntil,
  type MemoryBudget,
  NO_HOLD,
  withLease,
} from "../upstream/memory_budget.ts";
import type { Logger } from "../log.ts";
import type { MetricFamily } from "../model.ts";
import { handleProbe, type ProbeModule } from "./probe.ts";
import { type ConfigHolder, readyHandler, reloadHandler } from "./reload.ts";
import { type CompiledTarget, type ScrapeResult, scrapeTarget } from "../scrape/mod.ts";
import { lastSuccessFamily, sharedScrape, SingleFlight } from "../scrape/singleflight.ts";
import { redactUrl } from "../url.ts";

/**
 * What the handler needs. `targets`, `modules` and `flight` are read on every request, so a reload swaps
 * them; one {@linkcode SingleFlight} per loaded config keeps a reload from serving results of old rules.
 */
export interface HandlerDeps {
  /** The current static targets, served on the telemetry path. */
  targets: () => readonly CompiledTarget[];
  /** The current `/probe` modules by name. @default {no modules: /probe answers 400} */
  modules?: () => ReadonlyMap<string, ProbeModule>;
  /** The current single-flight group. @default {one for the handler's lifetime} */
  flight?: () => SingleFlight<ScrapeResult>;
  /** Serves `/-/reload`, `/-/ready` and the reload metrics; without it `/-/ready` is always 200. */
  holder?: ConfigHolder<unknown>;
  /** The current modules' targets (name, HTTP options), for the landing page. @default {none} */
  moduleTargets?: () => readonly CompiledTarget[];
  /** `--probe.allow-any-target`. @default {false} */
  allowAnyTarget?: boolean;
  /** The exporter's long-lived metrics. */
  self: SelfMetrics;
  /** Logs failed scrapes and internal errors. */
  log: Logger;
  /** The exporter's version, for the landing page. */
  version: string;
  /** The metrics path. @default {"/metrics"} */
  telemetryPath?: string;
  /** Subtracted from the scrape timeout header, in ms. @default {500} */
  timeoutOffsetMs?: number;
  /** In-flight scrapes before answering 503; 0 means no cap. @default {0} */
  maxRequests?: number;
  /**
   * The process's memory budget of scrapes in flight (`--scrape.max-inflight-bytes`): bodies are read and
   * answers held within it. @default {none: nothing is counted}
   */
  budget?: MemoryBudget;
}

/** Memo answers with at least this many values yield to the event loop before they are written. */
const YIELD_MIN_VALUES = 50_000;

/** What the handler reads of Deno.serve's `ServeHandlerInfo`; tests may pass none. */
export interface ServeInfo {
  /** Settles once the response has been sent or could not be: an answer's bytes are held until then. */
  completed?: Promise<void>;
}

/** A request handler. */
export type Handler = (req: Request, info?: ServeInfo) => Promise<Response>;

/**
 * Creates the exporter's request handler.
 *
 * @example
 * ```ts ignore
 * const handler = createHandler({ targets: () => [target], self, log, version: "0.1.0" });
 * const res = await handler(new Request("http://localhost/metrics"));
 * ```
 */
export function createHandler(deps: HandlerDeps): Handler {
  const telemetryPath = deps.telemetryPath ?? "/metrics";
  const offsetMs = deps.timeoutOffsetMs ?? 500;
  const maxRequests = deps.maxRequests ?? 0;
  const ownFlight = new SingleFlight<ScrapeResult>();
  const flight = deps.flight ?? (() => ownFlight);
  const noModules = new Map<string, ProbeModule>();
  // Each cause of a conflict is logged once per process; the counter counts every occurrence.
  const loggedConflicts = new Set<string>();
  const probeDeps = {
    modules: deps.modules ?? (() => noModules),
    allowAnyTarget: deps.allowAnyTarget ?? false,
    timeoutOffsetMs: offsetMs,
    log: deps.log,
    flight,
    budget: deps.budget,
    onResult: (module: string, r: ScrapeResult) => {
      if (!r.ok) deps.self.countProbeError(module, r.error.reason);
    },
    onConflicts: (conflicts: readonly Conflict[]) =>
      reportConflicts(conflicts, deps.self, deps.log, loggedConflicts),
  };
  const reload = deps.holder ? reloadHandler(deps.holder) : undefined;
  const ready = deps.holder ? readyHandler(deps.holder) : undefined;
  let inFlight = 0;
  // One buffer for every /metrics answer: a Response copies the bytes it is given (Fetch, "extract a
  // body"), so the buffer is free again as soon as the Response exists (docs/PERFORMANCE.md).
  const scratch = new ByteWriter(0);

  /** Runs a scrape-like request within the in-flight cap: beyond it, an immediate 503. */
  async function limited(work: () => Promise<Response>): Promise<Response> {
    if (maxRequests > 0 && inFlight >= maxRequests) {
      return plain(503, `Too many concurrent scrapes (limit ${maxRequests})\n`);
    }
    inFlight++;
    try {
      return await work();
    } finally {
      inFlight--;
    }
  }

  async function metrics(req: Request, hold: AnswerHold): Promise<Response> {
    const targets = deps.targets();
    const budgets = targets.map((t) =>
      scrapeBudgetMs(req.headers.get(SCRAPE_TIMEOUT_HEADER), offsetMs, t.config.timeoutMs)
    );
    const bad = budgets.find((b) => b instanceof RangeError);
    if (bad instanceof RangeError) return plain(400, bad.message + "\n");
    const group = flight();
    const results = await Promise.all(
      targets.map((t, i) =>
        sharedScrape(group, t.config.name, (signal) => leasedScrape(t, signal, deps.budget), {
          signal: AbortSignal.any([req.signal, AbortSignal.timeout(budgets[i] as number)]),
          minIntervalMs: t.config.minIntervalMs,
        })
      ),
    );
    const om = wantsOpenMetrics(req);
    // Reading a large body's values and writing its answer are two long synchronous steps: between them, let
    // requests that arrived meanwhile (a health check) run.
    if (results.some((r) => r.ok && r.memo !== undefined && r.memo.size >= YIELD_MIN_VALUES)) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    // The memo writes each target's answer as it is: only when no two targets share a name, so no merge and
    // no duplicate across targets can arise. Else every upstream family goes through one DocumentBuilder.
    const outputs = memoOutputs(results, om);
    const doc = outputs === null ? new DocumentBuilder() : undefined;
    const final = doc === undefined ? results : addTargets(doc, targets, results);
    const outcomes = accountResults(targets, final, deps.self, (t, r) =>
      deps.log.warn("scrape failed", {
        target: t.config.name,
        url: redactUrl(t.config.url),
        reason: r.error.reason,
        err: r.error.message,
        duration_seconds: Number(r.durationSeconds.toFixed(3)),
      }));
    // Conflicts between targets are counted before our counters are read, so this answer shows them.
    if (doc !== undefined) reportConflicts(doc.conflicts, deps.self, deps.log, loggedConflicts);
    const own = await ownFamilies(targets, outcomes, group);
    let answer: Response | undefined;
    if (outputs !== null) {
      const fromMemo = writeFromMemo(scratch, outputs, results, own, om);
      if (fromMemo !== null) answer = expositionResponse(req, om, fromMemo);
    }
    if (answer === undefined) {
      const builder = doc ?? new DocumentBuilder();
      if (doc === undefined) addTargets(builder, targets, results);
      const reported = doc === undefined ? 0 : builder.conflicts.length;
      builder.addOwn(own);
      // A clash with our own families is known only now: it shows in the counter from the next answer on.
      reportConflicts(builder.conflicts.slice(reported), deps.self, deps.log, loggedConflicts);
      answer = exposition(req, builder.families(), scratch);
    }
    const bytes = answerBytes(answer);
    if (hold(bytes) || !final.some((r) => r.ok)) return answer;
    return await refusedAnswer(req, { targets, final, group, bytes });
  }

  /** The exporter's own families of a /metrics answer, after the outcomes were counted. */
  async function ownFamilies(
    targets: readonly CompiledTarget[],
    outcomes: readonly ScrapeOutcome[],
    group: SingleFlight<ScrapeResult>,
  ): Promise<MetricFamily[]> {
    return [
      ...scrapeFamilies(outcomes),
      lastSuccessFamily(targets.map((t) => ({ labels: t.labels, atMs: group.lastSuccessMs(t.config.name) }))),
      ...deps.holder?.families() ?? [],
      ...await deps.self.families(),
    ];
  }

  /**
   * The /metrics answer when the memory budget refused the whole one (`bytes` long): every target that
   * succeeded fails with reason `memory` (counted and logged), and only the exporter's own families are
   * written. This small answer is not counted.
   */
  async function refusedAnswer(req: Request, scrape: {
    targets: readonly CompiledTarget[];
    final: readonly ScrapeResult[];
    group: SingleFlight<ScrapeResult>;
    bytes: number;
  }): Promise<Response> {
    const { targets, final, group, bytes } = scrape;
    const error = answerOverBudget(bytes, deps.budget?.limit ?? 0);
    const outcomes = targets.map((t, i): ScrapeOutcome => {
      const r = final[i];
      if (r.ok) {
        deps.self.countError(t.config.name, error.reason);
        deps.log.warn("scrape failed", {
          target: t.config.name,
          url: redactUrl(t.config.url),
          reason: error.reason,
          err: error.message,
          duration_seconds: Number(r.durationSeconds.toFixed(3)),
        });
      }
      return { labels: t.labels, ok: false, durationSeconds: r.durationSeconds };
    });
    const builder = new DocumentBuilder();
    builder.addOwn(await ownFamilies(targets, outcomes, group));
    return exposition(req, builder.families(), scratch);
  }

  async function route(req: Request, hold: AnswerHold): Promise<Response> {
    const { pathname } = new URL(req.url);
    if (pathname === "/-/reload" && reload) return await reload(req);
    const known = pathname === "/" || pathname === telemetryPath || pathname === "/-/healthy" ||
      pathname === "/-/ready" || pathname === "/probe";
    if (!known) return plain(404, "Not found\n");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return plain(405, "Method not allowed\n", { allow: "GET, HEAD" });
    }
    if (pathname === telemetryPath) return await limited(() => metrics(req, hold));
    if (pathname === "/probe") return await limited(() => handleProbe(req, probeDeps, hold));
    if (pathname === "/") return landingPage(deps, telemetryPath);
    if (pathname === "/-/ready" && ready) return ready(req);
    return plain(200, pathname === "/-/healthy" ? "Healthy\n" : "Ready\n");
  }

  const budget = deps.budget;
  return async function handle(req: Request, info?: ServeInfo): Promise<Response> {
    // An answer's bytes are held until Deno.serve says the response was sent, or the client went away.
    const hold: AnswerHold = budget === undefined ? NO_HOLD : (n) => holdUntil(budget, n, info?.completed);
    try {
      const res = await route(req, hold);
      return req.method === "HEAD" ? new Response(null, { status: res.status, headers: res.headers }) : res;
    } catch (e) {
      deps.log.error("request failed", { path: new URL(req.url).pathname, err: String(e) });
      return plain(500, "Internal server error\n");
    }
  };
}

/**
 * The whole answer of a scrape outside the server (`once`): every target's families and the exporter's
 * own, merged into one valid document by the same {@linkcode DocumentBuilder} as `/metrics`. Counts skipped
 * values, errors and conflicts in `self`; `onFailure` reports each failed target, and each conflict is
 * logged as `/metrics` logs it.
 */
export async function collectFamilies(
  targets: readonly CompiledTarget[],
  results: readonly ScrapeResult[],
  self: SelfMetrics,
  onFailure: FailureReporter,
  log: Logger,
): Promise<MetricFamily[]> {
  const doc = new DocumentBuilder();
  const outcomes = accountResults(targets, addTargets(doc, targets, results), self, onFailure);
  const logged = new Set<string>();
  reportConflicts(doc.conflicts, self, log, logged);
  const reported = doc.conflicts.length;
  doc.addOwn([...scrapeFamilies(outcomes), ...await self.families()]);
  reportConflicts(doc.conflicts.slice(reported), self, log, logged);
  return doc.families();
}

/**
 * Adds each good result's families to `doc`, in target order. A target whose series clash with an earlier
 * target's under `on_duplicate: error` is added not at all: its result becomes a failed scrape with reason
 * `duplicate`, so `prom_exporter_up` shows it.
 */
function addTargets(
  doc: DocumentBuilder,
  targets: readonly CompiledTarget[],
  results: readonly ScrapeResult[],
): ScrapeResult[] {
  return results.map((r, i) => {
    if (!r.ok) return r;
    const t = targets[i].config;
    const refused = doc.add({ source: t.name, families: r.families, onDuplicate: t.onDuplicate });
    if (refused === null) return r;
    return { ok: false, error: new UpstreamError("duplicate", refused), durationSeconds: r.durationSeconds };
  });
}

/**
 * One target's scrape with a lease on the memory budget: the body is read within it, and the lease is given
 * back once the scrape has settled (the body is decoded and transformed by then; the answer is held apart).
 */
function leasedScrape(
  target: CompiledTarget,
  signal: AbortSignal,
  budget: MemoryBudget | undefined,
): Promise<ScrapeResult> {
  return withLease(budget, (lease) => scrapeTarget(target, { signal, budget: lease }));
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

/** Reports one failed target. */
type FailureReporter = (target: CompiledTarget, result: Extract<ScrapeResult, { ok: false }>) => void;

/** Counts skipped values and errors per target in `self`, reports failures, and returns each outcome. */
function accountResults(
  targets: readonly CompiledTarget[],
  results: readonly ScrapeResult[],
  self: SelfMetrics,
  onFailure: FailureReporter,
): ScrapeOutcome[] {
  return results.map((r, i) => {
    const t = targets[i];
    if (r.ok) self.countSkipped(t.config.name, r.skipped);
    else {
      self.countError(t.config.name, r.error.reason);
      onFailure(t, r);
    }
    return { labels: t.labels, ok: r.ok, durationSeconds: r.durationSeconds };
  });
}

/**
 * The whole document written from the scrape memo, or `null` when it cannot be: a good scrape that missed the
 * memo, an answer that is not a plain copy of its values, or a family name two parts share (merging them is
 * the pipeline's job). Otherwise the bytes equal what the families would give (tests/memo/memo_test.ts). They are
 * a view into `w`, valid until its next reset: make the Response before anything else writes.
 */
function writeFromMemo(
  w: ByteWriter,
  outputs: readonly OutputMemo[],
  results: readonly ScrapeResult[],
  own: readonly MetricFamily[],
  om: boolean,
): Uint8Array<ArrayBuffer> | null {
  if (!disjointOutputs(outputs, own.flatMap(namesTaken))) return null;
  const hits = results.flatMap((r) => r.ok && r.memo ? [r.memo] : []);
  w.reset(hits.reduce((n, h) => n + h.sizeHint(om), estimateSize(own)));
  for (const h of hits) h.writeInto(w, om);
  endDocument(w, own, om);
  return w.bytes();
}

/**
 * Every good result's memo answer in this format, when each has one and no two of them take a common name;
 * else `null` (also when no target succeeded).
 */
function memoOutputs(results: readonly ScrapeResult[], om: boolean): OutputMemo[] | null {
  const outputs: OutputMemo[] = [];
  for (const r of results) {
    if (!r.ok) continue;
    const out = r.memo?.output(om);
    if (!out) return null;
    outputs.push(out);
  }
  return outputs.length > 0 && disjointOutputs(outputs, []) ? outputs : null;
}

function landingPage(deps: HandlerDeps, telemetryPath: string): Response {
  const describe = (t: CompiledTarget) =>
    t.config.http ? ` (${escapeHtml(describeHttpOptions(t.config.http))})` : "";
  const rows = deps.targets().map((t) =>
    `<li>${escapeHtml(t.config.name)}: <code>${escapeHtml(redactUrl(t.config.url))}</code>${describe(t)}</li>`
  ).join("");
  const modules = (deps.moduleTargets?.() ?? []).map((t) =>
    `<li><a href="/probe?module=${encodeURIComponent(t.config.name)}&amp;target=">${
      escapeHtml(t.config.name)
    }</a>${describe(t)}</li>`
  ).join("");
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>prom-exporter</title></head>
<body><h1>prom-exporter</h1><p>Version ${escapeHtml(deps.version)}</p>
<p><a href="${escapeHtml(telemetryPath)}">Metrics</a> · <a href="/-/healthy">Health</a></p>
<h2>Targets</h2><ul>${rows}</ul>
<h2>Modules</h2><ul>${modules}</ul></body></html>
`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
}

function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function plain(status: number, text: string, extra?: Record<string, string>): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8", ...extra } });
}
