/**
 * The HTTP surface as a function from a web-standard `Request` to a `Response`, so tests call it without a
 * socket and `main.ts` hands it to `Deno.serve`.
 *
 * @module
 */

import { SCRAPE_TIMEOUT_HEADER, scrapeBudgetMs } from "./deadline.ts";
import { ByteWriter, estimateSize } from "./exposition/escape.ts";
import { endDocument, exposition, expositionResponse, wantsOpenMetrics } from "./exposition/respond.ts";
import { disjointOutputs, type MemoHit } from "./memo/memo.ts";
import type { OutputMemo } from "./memo/output.ts";
import { scrapeFamilies, type ScrapeOutcome, type SelfMetrics } from "./exposition/self_metrics.ts";
import { describeHttpOptions } from "./config/http_options.ts";
import type { Logger } from "./log.ts";
import type { MetricFamily } from "./model.ts";
import { handleProbe, type ProbeModule } from "./probe/handler.ts";
import { type ConfigHolder, readyHandler, reloadHandler } from "./reload.ts";
import { type CompiledTarget, type ScrapeResult, scrapeTarget } from "./scrape.ts";
import { lastSuccessFamily, sharedScrape, SingleFlight } from "./singleflight.ts";
import { redactUrl } from "./url.ts";

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
}

/** Memo answers with at least this many values yield to the event loop before they are written. */
const YIELD_MIN_VALUES = 50_000;

/** A request handler. */
export type Handler = (req: Request) => Promise<Response>;

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
  const probeDeps = {
    modules: deps.modules ?? (() => noModules),
    allowAnyTarget: deps.allowAnyTarget ?? false,
    timeoutOffsetMs: offsetMs,
    log: deps.log,
    flight,
    onResult: (module: string, r: ScrapeResult) => {
      if (!r.ok) deps.self.countProbeError(module, r.error.reason);
    },
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

  async function metrics(req: Request): Promise<Response> {
    const targets = deps.targets();
    const budgets = targets.map((t) =>
      scrapeBudgetMs(req.headers.get(SCRAPE_TIMEOUT_HEADER), offsetMs, t.config.timeoutMs)
    );
    const bad = budgets.find((b) => b instanceof RangeError);
    if (bad instanceof RangeError) return plain(400, bad.message + "\n");
    const group = flight();
    const results = await Promise.all(
      targets.map((t, i) =>
        sharedScrape(group, t.config.name, (signal) => scrapeTarget(t, { signal }), {
          signal: AbortSignal.any([req.signal, AbortSignal.timeout(budgets[i] as number)]),
          minIntervalMs: t.config.minIntervalMs,
        })
      ),
    );
    const outcomes = accountResults(targets, results, deps.self, (t, r) =>
      deps.log.warn("scrape failed", {
        target: t.config.name,
        url: redactUrl(t.config.url),
        reason: r.error.reason,
        err: r.error.message,
        duration_seconds: Number(r.durationSeconds.toFixed(3)),
      }));
    const own = [
      lastSuccessFamily(targets.map((t) => ({ labels: t.labels, atMs: group.lastSuccessMs(t.config.name) }))),
      ...deps.holder?.families() ?? [],
      ...await deps.self.families(),
    ];
    const om = wantsOpenMetrics(req);
    // Reading a large body's values and writing its answer are two long synchronous steps: between them, let
    // requests that arrived meanwhile (a health check) run.
    if (results.some((r) => r.ok && r.memo !== undefined && r.memo.size >= YIELD_MIN_VALUES)) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    const scrape = scrapeFamilies(outcomes);
    const fromMemo = writeFromMemo(scratch, results, [...scrape, ...own], om);
    if (fromMemo !== null) return expositionResponse(req, om, fromMemo);
    return exposition(req, [...mergeByName(upstreamFamilies(results), scrape), ...own], scratch);
  }

  async function route(req: Request): Promise<Response> {
    const { pathname } = new URL(req.url);
    if (pathname === "/-/reload" && reload) return await reload(req);
    const known = pathname === "/" || pathname === telemetryPath || pathname === "/-/healthy" ||
      pathname === "/-/ready" || pathname === "/probe";
    if (!known) return plain(404, "Not found\n");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return plain(405, "Method not allowed\n", { allow: "GET, HEAD" });
    }
    if (pathname === telemetryPath) return await limited(() => metrics(req));
    if (pathname === "/probe") return await limited(() => handleProbe(req, probeDeps));
    if (pathname === "/") return landingPage(deps, telemetryPath);
    if (pathname === "/-/ready" && ready) return ready(req);
    return plain(200, pathname === "/-/healthy" ? "Healthy\n" : "Ready\n");
  }

  return async function handle(req: Request): Promise<Response> {
    try {
      const res = await route(req);
      return req.method === "HEAD" ? new Response(null, { status: res.status, headers: res.headers }) : res;
    } catch (e) {
      deps.log.error("request failed", { path: new URL(req.url).pathname, err: String(e) });
      return plain(500, "Internal server error\n");
    }
  };
}

/**
 * Turns scrape results into families: upstream families of good scrapes (same-named families of several
 * targets merged, so each stays contiguous), then `prom_exporter_up` and the duration per target. Counts
 * skipped values and errors in `self`; `onFailure` reports each failed target (the server logs a warning,
 * `once` an error).
 */
export function collectFamilies(
  targets: readonly CompiledTarget[],
  results: readonly ScrapeResult[],
  self: SelfMetrics,
  onFailure: FailureReporter,
): MetricFamily[] {
  const outcomes = accountResults(targets, results, self, onFailure);
  return mergeByName(upstreamFamilies(results), scrapeFamilies(outcomes));
}

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

/** The upstream families of the good scrapes, in target order. */
function upstreamFamilies(results: readonly ScrapeResult[]): MetricFamily[] {
  const out: MetricFamily[] = [];
  for (const r of results) {
    // Not out.push(...r.families): a call spread over more than about 125k families (a 200k-key JSON
    // upstream) throws "Maximum call stack size exceeded".
    if (r.ok) { for (const f of r.families) out.push(f); }
  }
  return out;
}

/**
 * The whole document written from the scrape memo, or `null` when it cannot be: a good scrape that missed the
 * memo, an answer that is not a plain copy of its values, or a family name two parts share (merging them is
 * the pipeline's job). Otherwise the bytes equal what the families would give (tests/memo_test.ts). They are
 * a view into `w`, valid until its next reset: make the Response before anything else writes.
 */
function writeFromMemo(
  w: ByteWriter,
  results: readonly ScrapeResult[],
  own: readonly MetricFamily[],
  om: boolean,
): Uint8Array<ArrayBuffer> | null {
  const hits: MemoHit[] = [];
  const outputs: OutputMemo[] = [];
  for (const r of results) {
    if (!r.ok) continue;
    const hit = r.memo;
    const out = hit?.output(om);
    if (!hit || !out) return null;
    hits.push(hit);
    outputs.push(out);
  }
  if (hits.length === 0) return null;
  if (!disjointOutputs(outputs, own.map((f) => f.name))) return null;
  w.reset(hits.reduce((n, h) => n + h.sizeHint(om), estimateSize(own)));
  for (const h of hits) h.writeInto(w, om);
  endDocument(w, own, om);
  return w.bytes();
}

/** Appends families, merging same-named families of several targets so each family stays contiguous. */
function mergeByName(upstream: MetricFamily[], own: MetricFamily[]): MetricFamily[] {
  const byName = new Map<string, MetricFamily>();
  for (const f of [...upstream, ...own]) {
    const prior = byName.get(f.name);
    if (prior === undefined) byName.set(f.name, f);
    else if (prior.type === f.type) {
      byName.set(f.name, { ...prior, samples: [...prior.samples, ...f.samples] });
    }
  }
  return [...byName.values()];
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
