/**
 * `GET /probe?target=URL&module=NAME`, the multi-target pattern: one module's HTTP options and rules applied
 * to one target named by the scraper. The answer holds only that target's families plus its
 * `prom_exporter_up` and `prom_exporter_scrape_duration_seconds`, never the exporter's own process metrics;
 * it is built by the same {@linkcode buildAnswer} as `/metrics`, so an upstream `prom_exporter_up` meets ours
 * under the same rule (ours win).
 *
 * A target is refused (400, before any connection) unless the module's `allowed_targets` admit it, or the
 * operator started the exporter with `--probe.allow-any-target` and the module has no list. The check runs
 * on the resolved address, which the fetch is pinned to, and again on every redirect hop. Error bodies name
 * the problem and never echo upstream bodies or secrets. With `debug=true` the probe is scraped on its own and
 * the answer is its report (./debug.ts): the log, the explain of the module's rules, the exposition; one debug
 * scrape runs at a time (`ProbeDeps.debugSlot`), and the report is held on the memory budget.
 *
 * @module
 */

import { SCRAPE_TIMEOUT_HEADER, scrapeBudgetMs } from "../scrape/deadline.ts";
import { UpstreamError } from "../errors.ts";
import type { Conflict } from "../exposition/assemble.ts";
import { scrapeFamilies } from "../exposition/self_metrics.ts";
import { type AnswerJob, type AnswerPolicy, buildAnswer, failureFields, refusedAnswer } from "./answer.ts";
import type { Logger } from "../log.ts";
import {
  answerBytes,
  type AnswerHold,
  answerOverBudget,
  type ByteBudget,
  type MemoryBudget,
  NO_HOLD,
  withLease,
} from "../upstream/memory_budget.ts";
import type { ScrapeResult, ScrapeTrace } from "../scrape/mod.ts";
import { debugReport, type DebugSlot } from "./debug.ts";
import { plain, quote } from "./_text.ts";
import { type Document, expositionResponse, requestedFormat } from "../exposition/respond.ts";
import { sharedScrape, type SingleFlight } from "../scrape/singleflight.ts";
import { type HopGuard, untilAborted } from "../upstream/mod.ts";
import { displayUrl, redactUrl } from "../url.ts";
import {
  type AllowList,
  checkTarget,
  type PinnedAddress,
  type Resolver,
  systemResolver,
} from "../config/allow.ts";

/** One module, compiled by the caller at config load. */
export interface ProbeModule {
  /** The compiled `allowed_targets`, or `null` when the module has none. */
  allow: AllowList | null;
  /** True for a unix-socket module: the target's host is only a name, nothing is resolved. */
  unixSocket: boolean;
  /** The module's timeout in ms: the budget without a scrape-timeout header, and its cap. */
  timeoutMs: number;
  /** Serve the last good result younger than this; 0 or absent: never. */
  minIntervalMs?: number;
  /**
   * Scrapes one target with the module's HTTP options and rules. Pass `guard` to the upstream client
   * (`ClientFetchOptions.guard`) so every hop is checked and pinned, and `budget` to the fetch so the body is
   * read within the memory budget. Never throws for upstream problems.
   */
  scrape(
    target: string,
    options: { signal: AbortSignal; guard: HopGuard; budget?: ByteBudget; trace?: ScrapeTrace },
  ): Promise<ScrapeResult>;
}

/** What the probe handler needs; `modules` and `flight` are read per request, so a reload swaps them. */
export interface ProbeDeps {
  /** The current modules by name. */
  modules: () => ReadonlyMap<string, ProbeModule>;
  /** `--probe.allow-any-target`: modules without `allowed_targets` may probe any (non-link-local) target. */
  allowAnyTarget: boolean;
  /** Subtracted from the scrape timeout header, in ms. */
  timeoutOffsetMs: number;
  /** Logs failed and refused probes. */
  log: Logger;
  /** Shares concurrent probes of one module and target; absent: no sharing. */
  flight?: () => SingleFlight<ScrapeResult>;
  /** Told the conflicts of a probe's answer (its series against the probe's own), to log and count them. */
  onConflicts?: (conflicts: readonly Conflict[]) => void;
  /** Told every probe's result, e.g. to count errors per module (never per target: unbounded). */
  onResult?: (module: string, result: ScrapeResult) => void;
  /** Resolves host names. @default {systemResolver} */
  resolve?: Resolver;
  /** The memory budget of scrapes in flight: each probe's body is read on a lease of it. @default {none} */
  budget?: MemoryBudget;
  /** The handler's one slot of debug scrapes (`debug=true`). @default {no limit} */
  debugSlot?: DebugSlot;
}

/** The module used when the request names none. */
export const DEFAULT_MODULE = "default";

/**
 * Answers one `/probe` request.
 *
 * @param req The request.
 * @param deps The modules and the rest of what a probe needs.
 * @param hold Holds the answer's bytes until it is sent (the memory budget); when it refuses, the probe
 *   answers `prom_exporter_up 0` with reason `memory` instead. @default {every answer fits}
 *
 * @example
 * ```ts ignore
 * const res = await handleProbe(new Request("http://localhost/probe?target=http://10.0.0.5:9100/metrics&module=node"), deps);
 * ```
 */
export async function handleProbe(
  req: Request,
  deps: ProbeDeps,
  hold: AnswerHold = NO_HOLD,
): Promise<Response> {
  const params = new URL(req.url).searchParams;
  for (const name of ["target", "module"]) {
    const n = params.getAll(name).length;
    if (n > 1) return badRequest(`Parameter ${quote(name)} is given ${n} times; give it once`);
  }
  const rawTarget = params.get("target") ?? "";
  if (rawTarget === "") return badRequest(`Missing parameter "target"`);
  const moduleName = params.get("module") || DEFAULT_MODULE;
  const module = deps.modules().get(moduleName);
  if (module === undefined) return badRequest(`Unknown module ${quote(moduleName)}`);
  const url = parseTarget(rawTarget);
  if (url === null) {
    return badRequest(`Parameter "target" is not a valid URL: ${quote(redactUrl(rawTarget))}`);
  }
  if (module.allow === null && !deps.allowAnyTarget) {
    return badRequest(
      `Module ${quote(moduleName)} has no allowed_targets; list them, or start with --probe.allow-any-target`,
    );
  }
  const budget = scrapeBudgetMs(
    req.headers.get(SCRAPE_TIMEOUT_HEADER),
    deps.timeoutOffsetMs,
    module.timeoutMs,
  );
  if (budget instanceof RangeError) return badRequest(budget.message);
  const probe: Probe = { moduleName, module, url, timeoutMs: budget, debug: params.get("debug") === "true" };
  if (!probe.debug || deps.debugSlot === undefined) return await probeOnce(req, deps, hold, probe);
  return await deps.debugSlot.run(() => probeOnce(req, deps, hold, probe));
}

/** A valid probe request: its module, target and timeout, and whether it asks for the debug report. */
interface Probe {
  moduleName: string;
  module: ProbeModule;
  url: URL;
  timeoutMs: number;
  debug: boolean;
}

/** Checks the target, scrapes it and answers: the exposition, or with `debug` the report. */
async function probeOnce(req: Request, deps: ProbeDeps, hold: AnswerHold, p: Probe): Promise<Response> {
  const { moduleName, module, url, timeoutMs: budget } = p;
  const signal = AbortSignal.any([req.signal, AbortSignal.timeout(budget)]);
  const started = performance.now();
  const check = (u: URL) =>
    checkTarget(u, {
      allow: module.allow,
      module: moduleName,
      resolve: module.unixSocket ? null : resolver(deps),
    });
  let first: PinnedAddress | undefined;
  let early: ScrapeResult | undefined;
  // `debug=true`: the probe is scraped on its own and recorded, and the answer is its report (./debug.ts).
  const trace: ScrapeTrace | undefined = p.debug ? { fetch: { hops: 0 } } : undefined;
  try {
    first = await untilAborted(check(url), signal, "Cannot check the target");
  } catch (e) {
    if (!(e instanceof UpstreamError)) throw e;
    if (e.reason === "forbidden") {
      deps.log.warn("probe refused", { module: moduleName, target: redactUrl(url.href), err: e.message });
      return badRequest(e.message);
    }
    // Unresolvable or out of time: a failed probe, and no fetch, which would resolve on its own unchecked.
    early = { ok: false, error: e, durationSeconds: (performance.now() - started) / 1000 };
  }
  // The first hop was just checked; reuse that answer instead of resolving again.
  let reused = false;
  const guard: HopGuard = (u) => {
    if (!reused && u.href === url.href) {
      reused = true;
      return Promise.resolve(first);
    }
    return check(u);
  };
  // The body is read on a lease of the budget, given back once the scrape has settled.
  const work = (s: AbortSignal) =>
    withLease(deps.budget, (budget) => module.scrape(url.href, { signal: s, guard, budget, trace }));
  if (trace !== undefined) {
    const checked = `${(performance.now() - started).toFixed(1)} ms: ${early ? "failed" : "allowed"}`;
    // The lease holds the body until the report is built (its explain decodes the body again).
    return await withLease(deps.budget, async (lease) => {
      const result = early ?? await module.scrape(url.href, { signal, guard, budget: lease, trace });
      return await debugProbe(deps, hold, p, { checked, result, trace, signal });
    });
  }
  const result = early ??
    (deps.flight
      ? await sharedScrape(deps.flight(), `${moduleName}\u0000${url.href}`, work, {
        signal,
        minIntervalMs: module.minIntervalMs,
      })
      : await work(signal));
  const format = requestedFormat(req);
  const job: AnswerJob = {
    sources: [{ name: moduleName, url: url.href, labels: [], onDuplicate: "first" }],
    results: [result],
    policy: probePolicy(deps),
    format,
  };
  const respond = (document: Document) => expositionResponse(req, format, document);
  const { answer, results: final } = await buildAnswer(job, respond);
  const bytes = answerBytes(answer);
  // Held while it is sent; a failure's small answer goes out even when the budget has no room for it.
  if (hold(bytes) || !result.ok) return answer;
  // The budget refused the answer: a small one says why instead (it is not counted).
  return await refusedAnswer(job, final, answerOverBudget(bytes, deps.budget?.limit ?? 0), respond);
}

/**
 * The policy of `/probe`: every result goes to `onResult`, failures are logged with the module and the
 * target, and the answer carries only the probe's `prom_exporter_up` and duration.
 */
function probePolicy(deps: ProbeDeps): AnswerPolicy {
  return {
    failed(source, result) {
      deps.onResult?.(source.name, result);
      deps.log.warn("probe failed", {
        module: source.name,
        target: redactUrl(source.url),
        ...failureFields(result),
      });
    },
    succeeded: (source, result) => deps.onResult?.(source.name, result),
    conflicts: (conflicts) => {
      if (conflicts.length > 0) deps.onConflicts?.(conflicts);
    },
    own: (outcomes) => scrapeFamilies(outcomes),
  };
}

/** The debug report of one probe; it is not counted in the exporter's metrics, and logged at info level. */
function debugProbe(
  deps: ProbeDeps,
  hold: AnswerHold,
  p: Probe,
  done: { checked: string; result: ScrapeResult; trace: ScrapeTrace; signal: AbortSignal },
): Promise<Response> {
  const href = p.url.href;
  const source = { name: p.moduleName, url: href, labels: [], onDuplicate: "first" } as const;
  return debugReport({
    heading: [`module: ${quote(p.moduleName)}`, `target: ${displayUrl(href)}`, `timeout: ${p.timeoutMs} ms`],
    before: [`check (resolve and allowed_targets): ${done.checked}`],
    source,
    result: done.result,
    trace: done.trace,
    url: href,
    own: (outcomes) => scrapeFamilies(outcomes),
    signal: done.signal,
    hold,
    limit: deps.budget?.limit ?? 0,
    log: deps.log,
    fields: { module: p.moduleName, target: redactUrl(href) },
  });
}

function resolver(deps: ProbeDeps): Resolver {
  return deps.resolve ?? systemResolver;
}

/** A URL, or `host:port` / `host` taken as `http://` (what blackbox and json_exporter users type). */
function parseTarget(raw: string): URL | null {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

function badRequest(message: string): Response {
  return plain(400, message + "\n");
}
