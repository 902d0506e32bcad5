/**
 * The exporter's own metrics. Long-lived ones (error counters, process, build info) live in prom-client, in
 * a registry of our own (never the global one); per-scrape ones (`prom_exporter_up`, the scrape duration) are
 * built fresh for every answer, so concurrent scrapes never share state. Both become model families and go
 * through our writers, which keeps prom-client's output defects (`Nan`, a blank line before `# EOF`, `_total`
 * stripped after an OpenMetrics render) out of every response.
 *
 * @module
 */

import process from "node:process";
import { Counter, Gauge, Registry } from "prom-client";
import { SCRAPE_ERROR_REASONS, type ScrapeErrorReason } from "../errors.ts";
import { type MetricFamily, type MetricType, type Sample, SELF_METRIC } from "../model.ts";

/** The names of the exporter's own metrics: the one table in the model, re-exported for this module's users. */
export { SELF_METRIC };

/** The kinds of {@linkcode SELF_METRIC}`.seriesConflicts`: one series twice, or one name with two types. */
export const CONFLICT_KINDS = ["duplicate", "type"] as const;

/** The outcome of one target's scrape, as the self metrics need it. */
export interface ScrapeOutcome {
  /** The target's static labels, flat. */
  labels: readonly string[];
  /** Whether the upstream was fetched and decoded. */
  ok: boolean;
  /** Wall time of fetch + decode + transform, in seconds. */
  durationSeconds: number;
}

/** Options for {@linkcode SelfMetrics}. */
export interface SelfMetricsOptions {
  /** The exporter's version, for `prom_exporter_build_info`. */
  version: string;
  /** Target names, so every error reason starts at 0 for each. */
  targets: readonly string[];
  /**
   * Whether to write the process metrics and `prom_exporter_build_info` (`--web.disable-exporter-metrics`
   * turns them off, as node_exporter's flag does). @default {true}
   */
  exporterMetrics?: boolean;
}

/** The long-lived self metrics of one exporter process. */
export class SelfMetrics {
  /** The registry holding them; never the global prom-client registry. */
  readonly registry: Registry = new Registry();
  readonly #errors: Counter<"target" | "reason">;
  readonly #skipped: Counter<"target">;
  readonly #unhandled: Counter;
  readonly #probeErrors: Counter<"module" | "reason">;
  readonly #conflicts: Counter<"target" | "kind">;

  /** Registers the metrics and initializes every target's counters to 0. */
  constructor(options: SelfMetricsOptions) {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
      new Counter<L>({ name, help, labelNames, registers });
    this.#errors = counter(SELF_METRIC.scrapeErrors, "Upstream scrapes that failed, by target and reason.", [
      "target",
      "reason",
    ]);
    this.#skipped = counter(
      SELF_METRIC.valuesSkipped,
      "Upstream values skipped because they were not numbers (null, strings, arrays), by target.",
      ["target"],
    );
    this.#unhandled = counter(
      SELF_METRIC.unhandledErrors,
      "Errors that escaped every handler (unhandled promise rejections); the process kept serving.",
      [],
    );
    this.#probeErrors = counter(
      SELF_METRIC.probeErrors,
      "/probe requests whose upstream scrape failed or was refused, by module and reason.",
      ["module", "reason"],
    );
    this.#conflicts = counter(
      SELF_METRIC.seriesConflicts,
      "Series dropped, replaced or summed because two sources wrote the same series (kind duplicate) " +
        "or one name with two types (kind type), by the target whose series it concerned.",
      ["target", "kind"],
    );
    this.addTargets(options.targets);
    if (options.exporterMetrics === false) return;
    new Gauge({
      name: SELF_METRIC.buildInfo,
      help: "Build information of the exporter; the value is always 1.",
      labelNames: ["version", "runtime"],
      registers,
    }).set({ version: options.version, runtime: `deno ${Deno.version.deno}` }, 1);
    registerProcessMetrics(this.registry);
  }

  /** Starts every counter of these targets at 0 (again harmless for known targets), e.g. after a reload. */
  addTargets(targets: readonly string[]): void {
    for (const target of targets) {
      for (const reason of SCRAPE_ERROR_REASONS) this.#errors.inc({ target, reason }, 0);
      this.#skipped.inc({ target }, 0);
      for (const kind of CONFLICT_KINDS) this.#conflicts.inc({ target, kind }, 0);
    }
  }

  /**
   * Starts every probe-error counter of these modules at 0, like {@linkcode addTargets} does for targets: the
   * set of series is then fixed by the config (modules x reasons), not by which errors happened so far.
   */
  addModules(modules: Iterable<string>): void {
    for (const module of modules) {
      for (const reason of SCRAPE_ERROR_REASONS) this.#probeErrors.inc({ module, reason }, 0);
      for (const kind of CONFLICT_KINDS) this.#conflicts.inc({ target: module, kind }, 0);
    }
  }

  /** Counts `series` series of `target` (a target, or a `/probe` module) that met another source's. */
  countConflict(target: string, kind: typeof CONFLICT_KINDS[number], series: number): void {
    this.#conflicts.inc({ target, kind }, series);
  }

  /** Counts one failed scrape of `target`. */
  countError(target: string, reason: ScrapeErrorReason): void {
    this.#errors.inc({ target, reason });
  }

  /** Counts values of `target` that were skipped. */
  countSkipped(target: string, n: number): void {
    if (n > 0) this.#skipped.inc({ target }, n);
  }

  /** Counts one failed probe; by module, never by target (targets are unbounded). */
  countProbeError(module: string, reason: ScrapeErrorReason): void {
    this.#probeErrors.inc({ module, reason });
  }

  /** Counts one error that escaped every handler. */
  countUnhandled(): void {
    this.#unhandled.inc();
  }

  /** The long-lived metrics as model families, read at call time. */
  async families(): Promise<MetricFamily[]> {
    const json = await this.registry.getMetricsAsJSON();
    return json.map((m) => toFamily(m as unknown as PromClientMetric));
  }
}

/**
 * Builds the per-scrape families `prom_exporter_up` and `prom_exporter_scrape_duration_seconds`, one series
 * per target.
 */
export function scrapeFamilies(outcomes: readonly ScrapeOutcome[]): MetricFamily[] {
  const up: Sample[] = [];
  const took: Sample[] = [];
  for (const o of outcomes) {
    up.push({ name: SELF_METRIC.up, labels: [...o.labels], value: o.ok ? 1 : 0 });
    took.push({ name: SELF_METRIC.scrapeDuration, labels: [...o.labels], value: o.durationSeconds });
  }
  return [
    {
      name: SELF_METRIC.up,
      type: "gauge",
      help: "1 if the last scrape of the upstream succeeded, 0 if it failed.",
      unit: "",
      samples: up,
    },
    {
      name: SELF_METRIC.scrapeDuration,
      type: "gauge",
      help: "Seconds the last scrape of the upstream took (fetch, decode and transform).",
      unit: "seconds",
      samples: took,
    },
  ];
}

/**
 * Process metrics with real values only. prom-client's defaults read /proc, which Deno refuses without
 * --allow-all, and would then report zeros; these use runtime calls that need no permission. Open file
 * descriptors are left out for that reason rather than reported as 0.
 */
function registerProcessMetrics(registry: Registry): void {
  const registers = [registry];
  const startSeconds = Math.round(performance.timeOrigin / 1000);
  new Counter({
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent in seconds.",
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      this.reset();
      this.inc((user + system) / 1e6);
    },
  });
  new Gauge({
    name: "process_resident_memory_bytes",
    help: "Resident memory size in bytes.",
    registers,
    collect() {
      this.set(Deno.memoryUsage().rss);
    },
  });
  new Gauge({
    name: "process_heap_bytes",
    help: "Process heap size (V8 total heap) in bytes.",
    registers,
    collect() {
      this.set(Deno.memoryUsage().heapTotal);
    },
  });
  new Gauge({
    name: "process_start_time_seconds",
    help: "Start time of the process since unix epoch in seconds.",
    registers,
  }).set(startSeconds);
}

interface PromClientValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface PromClientMetric {
  name: string;
  help: string;
  // prom-client declares a numeric enum here, but getMetricsAsJSON() returns the type's name as a string.
  type: unknown;
  values: PromClientValue[];
}

function toFamily(m: PromClientMetric): MetricFamily {
  const t = String(m.type);
  const type: MetricType = t === "counter" || t === "gauge" || t === "histogram" || t === "summary"
    ? t
    : "unknown";
  const name = type === "counter" && m.name.endsWith("_total") ? m.name.slice(0, -"_total".length) : m.name;
  const samples: Sample[] = m.values.map((v) => {
    const labels: string[] = [];
    for (const [k, val] of Object.entries(v.labels)) labels.push(k, String(val));
    return { name: v.metricName ?? (type === "counter" ? name + "_total" : name), labels, value: v.value };
  });
  return { name, type, help: m.help, unit: "", samples };
}
