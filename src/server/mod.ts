/**
 * The HTTP surface as a function from a web-standard `Request` to a `Response`, so tests call it without a
 * socket and `main.ts` hands it to `Deno.serve`.
 *
 * @module
 */

import { SCRAPE_TIMEOUT_HEADER, scrapeBudgetMs } from "../scrape/deadline.ts";
import { ByteWriter } from "../exposition/escape.ts";
import { type Document, expositionResponse, requestedFormat } from "../exposition/respond.ts";
import type { ExpositionFormat } from "../exposition/negotiate.ts";
import type { SelfMetrics } from "../exposition/self_metrics.ts";
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
import {
  type AnswerJob,
  buildAnswer,
  failureFields,
  refusedAnswer,
  reportConflicts,
  targetPolicy,
  targetSource,
} from "./answer.ts";
import { DebugSlot, debugTarget, forTarget, oneTarget } from "./debug.ts";
import { plain } from "./_text.ts";
import { handleProbe } from "./probe.ts";
import { type ConfigHolder, readyHandler, reloadHandler } from "./reload.ts";
import type { Runtime } from "./runtime.ts";
import { statusData, statusJson } from "./status.ts";
import { statusPage } from "./status_html.ts";
import { TargetStatus } from "./target_status.ts";
import { type CompiledTarget, type ScrapeResult, scrapeTarget } from "../scrape/mod.ts";
import { lastSuccessFamily, sharedScrape } from "../scrape/singleflight.ts";
import { redactUrl } from "../url.ts";

/**
 * What the handler needs. The runtime is read on every request, so a reload swaps it whole: its targets,
 * `/probe` modules and single-flight group (one per loaded config keeps a reload from serving results of old
 * rules).
 */
export interface HandlerDeps {
  /** The current runtime (src/server/runtime.ts); a handler without modules takes `staticRuntime(targets)`. */
  runtime: () => Runtime;
  /** Serves `/-/reload`, `/-/ready` and the reload metrics; without it `/-/ready` is always 200. */
  holder?: ConfigHolder<unknown>;
  /** `--probe.allow-any-target`. @default {false} */
  allowAnyTarget?: boolean;
  /** The exporter's long-lived metrics. */
  self: SelfMetrics;
  /** Logs failed scrapes and internal errors. */
  log: Logger;
  /** The exporter's version, for the status page. */
  version: string;
  /** `--config.file`, shown on the status page. @default {none: the config came from flags} */
  configFile?: string;
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
 * const handler = createHandler({ runtime: () => staticRuntime([target]), self, log, version: "0.1.0" });
 * const res = await handler(new Request("http://localhost/metrics"));
 * ```
 */
export function createHandler(deps: HandlerDeps): Handler {
  const telemetryPath = deps.telemetryPath ?? "/metrics";
  const offsetMs = deps.timeoutOffsetMs ?? 500;
  const maxRequests = deps.maxRequests ?? 0;
  const runtime = deps.runtime;
  // Each cause of a conflict is logged once per process; the counter counts every occurrence.
  const loggedConflicts = new Set<string>();
  // One debug scrape at a time, `/metrics` and `/probe` together: a second answers 429 (./debug.ts).
  const debugSlot = new DebugSlot();
  const probeDeps = {
    modules: () => runtime().modules,
    allowAnyTarget: deps.allowAnyTarget ?? false,
    timeoutOffsetMs: offsetMs,
    log: deps.log,
    flight: () => runtime().flight,
    budget: deps.budget,
    debugSlot,
    onResult: (module: string, r: ScrapeResult) => {
      if (!r.ok) deps.self.countProbeError(module, r.error.reason);
    },
    onConflicts: (conflicts: Parameters<typeof reportConflicts>[0]) =>
      reportConflicts(conflicts, deps.self, deps.log, loggedConflicts),
  };
  const reload = deps.holder ? reloadHandler(deps.holder) : undefined;
  const ready = deps.holder ? readyHandler(deps.holder) : undefined;
  let inFlight = 0;
  // Each static target's last scrape, for the status page; a reload keeps only the targets it still has.
  const targetStatus = new TargetStatus();
  let statusOf: Runtime | undefined;
  function currentStatus(): TargetStatus {
    const current = runtime();
    if (current !== statusOf) {
      statusOf = current;
      targetStatus.retain(current.targets.map((t) => t.config.name));
    }
    return targetStatus;
  }
  const status = () =>
    statusData({
      runtime: runtime(),
      status: currentStatus(),
      holder: deps.holder,
      configFile: deps.configFile,
      version: deps.version,
      telemetryPath,
      nowMs: Date.now(),
    });
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
    const { targets: all, flight } = runtime();
    // `?target=NAME`: that target only, so a slow one does not hold the others; `&debug=true`: its report.
    const one = oneTarget(req, all);
    if (one instanceof Response) return one;
    if (one?.debug) {
      const target = one.target;
      return await debugSlot.run(() => debugTarget(req, target, { ...deps, flight, offsetMs, hold }));
    }
    const targets = one === undefined ? all : [one.target];
    const budgets = targets.map((t) =>
      scrapeBudgetMs(req.headers.get(SCRAPE_TIMEOUT_HEADER), offsetMs, t.config.timeoutMs)
    );
    const bad = budgets.find((b) => b instanceof RangeError);
    if (bad instanceof RangeError) return plain(400, bad.message + "\n");
    const format = requestedFormat(req);
    const results = await Promise.all(
      targets.map((t, i) =>
        sharedScrape(flight, t.config.name, (signal) => leasedScrape(t, signal, deps.budget, format), {
          signal: AbortSignal.any([req.signal, AbortSignal.timeout(budgets[i] as number)]),
          minIntervalMs: t.config.minIntervalMs,
        })
      ),
    );
    const policy = targetPolicy({
      self: deps.self,
      log: deps.log,
      logged: loggedConflicts,
      onFailure: (s, r) => {
        currentStatus().failed(s.name, r);
        deps.log.warn("scrape failed", { target: s.name, url: redactUrl(s.url), ...failureFields(r) });
      },
      onSuccess: (s, r) => currentStatus().succeeded(s.name, r, requestedFormat(req)),
      extra: () => [
        lastSuccessFamily(
          targets.map((t) => ({ labels: t.labels, atMs: flight.lastSuccessMs(t.config.name) })),
        ),
        ...deps.holder?.families() ?? [],
      ],
    });
    const job: AnswerJob = {
      sources: targets.map(targetSource),
      results,
      policy: forTarget(policy, one?.target),
      format,
      scratch,
    };
    const respond = (document: Document) => expositionResponse(req, format, document);
    const { answer, results: final } = await buildAnswer(job, respond);
    const bytes = answerBytes(answer);
    if (hold(bytes) || !final.some((r) => r.ok)) return answer;
    // The budget refused the whole answer: a small one of our own families says why (it is not counted).
    return await refusedAnswer(job, final, answerOverBudget(bytes, deps.budget?.limit ?? 0), respond);
  }

  async function route(req: Request, hold: AnswerHold): Promise<Response> {
    const { pathname } = new URL(req.url);
    if (pathname === "/-/reload" && reload) return await reload(req);
    const known = pathname === "/" || pathname === telemetryPath || pathname === "/-/healthy" ||
      pathname === "/-/ready" || pathname === "/probe" || pathname === "/api/v1/status";
    if (!known) return plain(404, "Not found\n");
    if (req.method !== "GET" && req.method !== "HEAD") {
      return plain(405, "Method not allowed\n", { allow: "GET, HEAD" });
    }
    if (pathname === telemetryPath) return await limited(() => metrics(req, hold));
    if (pathname === "/probe") return await limited(() => handleProbe(req, probeDeps, hold));
    if (pathname === "/") return statusPage(status());
    // Spelled out, as every route is, so tests/e2e/readme_tables_test.ts finds it (status.ts STATUS_API_PATH).
    if (pathname === "/api/v1/status") return statusJson(status());
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
 * One target's scrape with a lease on the memory budget: the body is read within it, and the lease is given
 * back once the scrape has settled (the body is decoded and transformed by then; the answer is held apart).
 */
function leasedScrape(
  target: CompiledTarget,
  signal: AbortSignal,
  budget: MemoryBudget | undefined,
  format: ExpositionFormat,
): Promise<ScrapeResult> {
  return withLease(budget, (lease) => scrapeTarget(target, { signal, budget: lease, format }));
}
