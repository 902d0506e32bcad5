/**
 * The HTTP surface as a function from a web-standard `Request` to a `Response`, so tests call it without a
 * socket and `main.ts` hands it to `Deno.serve`.
 *
 * @module
 */

import { gzipSync } from "node:zlib";
import { SCRAPE_TIMEOUT_HEADER, scrapeBudgetMs } from "./deadline.ts";
import {
  acceptsGzip,
  negotiateFormat,
  OPENMETRICS_CONTENT_TYPE,
  TEXT_CONTENT_TYPE,
} from "./exposition/negotiate.ts";
import { writeOpenMetricsBytes } from "./exposition/openmetrics.ts";
import { scrapeFamilies, type ScrapeOutcome, type SelfMetrics } from "./exposition/self_metrics.ts";
import { writeTextBytes } from "./exposition/text.ts";
import type { Logger } from "./log.ts";
import type { MetricFamily } from "./model.ts";
import { type CompiledTarget, type ScrapeResult, scrapeTarget } from "./scrape.ts";
import { redactUrl } from "./url.ts";

/** What the handler needs; `targets` is read on every request, so a reload swaps it. */
export interface HandlerDeps {
  /** The current targets. */
  targets: () => readonly CompiledTarget[];
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

/** A request handler. */
export type Handler = (req: Request) => Promise<Response>;

const GZIP_MIN_BYTES = 1024;

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
  let inFlight = 0;

  async function metrics(req: Request): Promise<Response> {
    if (maxRequests > 0 && inFlight >= maxRequests) {
      return plain(503, `Too many concurrent scrapes (limit ${maxRequests})\n`);
    }
    inFlight++;
    try {
      const targets = deps.targets();
      const budgets = targets.map((t) =>
        scrapeBudgetMs(req.headers.get(SCRAPE_TIMEOUT_HEADER), offsetMs, t.config.timeoutMs)
      );
      const bad = budgets.find((b) => b instanceof RangeError);
      if (bad instanceof RangeError) return plain(400, bad.message + "\n");
      const results = await Promise.all(
        targets.map((t, i) =>
          scrapeTarget(t, {
            signal: AbortSignal.any([req.signal, AbortSignal.timeout(budgets[i] as number)]),
          })
        ),
      );
      const families = [...collect(targets, results, deps), ...await deps.self.families()];
      return exposition(req, families);
    } finally {
      inFlight--;
    }
  }

  async function route(req: Request): Promise<Response> {
    const { pathname } = new URL(req.url);
    const known = pathname === "/" || pathname === telemetryPath || pathname === "/-/healthy" ||
      pathname === "/-/ready";
    if (!known) return plain(404, "Not found\n");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return plain(405, "Method not allowed\n", { allow: "GET, HEAD" });
    }
    if (pathname === telemetryPath) return await metrics(req);
    if (pathname === "/") return landingPage(deps, telemetryPath);
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

/** Turns scrape results into families: upstream families of good scrapes, then up and duration per target. */
function collect(
  targets: readonly CompiledTarget[],
  results: readonly ScrapeResult[],
  deps: HandlerDeps,
): MetricFamily[] {
  const out: MetricFamily[] = [];
  const outcomes: ScrapeOutcome[] = [];
  results.forEach((r, i) => {
    const t = targets[i];
    outcomes.push({ labels: t.labels, ok: r.ok, durationSeconds: r.durationSeconds });
    if (r.ok) {
      deps.self.countSkipped(t.config.name, r.skipped);
      out.push(...r.families);
      return;
    }
    deps.self.countError(t.config.name, r.error.reason);
    deps.log.warn("scrape failed", {
      target: t.config.name,
      url: redactUrl(t.config.url),
      reason: r.error.reason,
      err: r.error.message,
      duration_seconds: Number(r.durationSeconds.toFixed(3)),
    });
  });
  return mergeByName(out, scrapeFamilies(outcomes));
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

/**
 * Renders families in the negotiated format; one buffered body with Content-Length, gzip when asked. A
 * `format=text|openmetrics` query parameter overrides `Accept` (for debugging, and for a Prometheus job that
 * must get one format: 2.x has no `scrape_protocols`).
 */
export function exposition(req: Request, families: readonly MetricFamily[]): Response {
  const forced = new URL(req.url).searchParams.get("format");
  const om = forced === "openmetrics" ||
    (forced !== "text" && negotiateFormat(req.headers.get("accept")) === "openmetrics");
  let body: Uint8Array<ArrayBuffer> = om ? writeOpenMetricsBytes(families) : writeTextBytes(families);
  const headers = new Headers({
    "content-type": om ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE,
    "vary": "Accept, Accept-Encoding",
  });
  if (body.byteLength >= GZIP_MIN_BYTES && acceptsGzip(req.headers.get("accept-encoding"))) {
    // Level 1: most of gzip's gain on metric text at a fraction of the CPU (docs/PERFORMANCE.md).
    body = new Uint8Array(gzipSync(body, { level: 1 }));
    headers.set("content-encoding", "gzip");
  }
  headers.set("content-length", String(body.byteLength));
  return new Response(body, { status: 200, headers });
}

function landingPage(deps: HandlerDeps, telemetryPath: string): Response {
  const rows = deps.targets().map((t) =>
    `<li>${escapeHtml(t.config.name)}: <code>${escapeHtml(redactUrl(t.config.url))}</code></li>`
  ).join("");
  const html = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>prom-exporter</title></head>
<body><h1>prom-exporter</h1><p>Version ${escapeHtml(deps.version)}</p>
<p><a href="${escapeHtml(telemetryPath)}">Metrics</a> · <a href="/-/healthy">Health</a></p>
<h2>Targets</h2><ul>${rows}</ul></body></html>
`;
  return new Response(html, { headers: { "content-type": "text/html; charset=utf-8" } });
}

function escapeHtml(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}

function plain(status: number, text: string, extra?: Record<string, string>): Response {
  return new Response(text, { status, headers: { "content-type": "text/plain; charset=utf-8", ...extra } });
}
