/**
 * The transform stage: a target's rules and relabel configs, compiled once at config load, applied to each
 * scrape's families. Order (docs/CONFIG.md "What happens to a metric"):
 * rules (per family name, cached) → static labels → `metric_relabel_configs` (per series) → namespace and
 * counter naming → merge families by name → duplicate series.
 *
 * @module
 */

import type { DuplicatePolicy, TargetConfig } from "../config/types.ts";
import type { MetricFamily, MetricType, Sample, SeriesSink } from "../model.ts";
import { ruleName } from "../patterns/mod.ts";
import { compileRelabelConfigs, type RelabelFilter, type RelabelStep } from "../relabel/mod.ts";
import { compileRules, decide, type Decision, type Step } from "./_rules.ts";
import { Run } from "./_run.ts";

export { decide, type Decision, type Step } from "./_rules.ts";
export { outputKeeper } from "./_run.ts";
export { describeSeries } from "./_series.ts";

/** A compiled transform for one target. */
export interface Transform {
  /**
   * Rewrites one scrape's families. Never mutates its input. The same as feeding every sample to
   * {@linkcode Transform.begin}'s run.
   *
   * @param families The decoded families.
   * @param options `asSent: true` says the families are the upstream's own text exposition: then a family
   *   that no rule merged, relabelled or labelled keeps its series as sent, without the duplicate check
   *   (the check is the costliest step; see docs/CONFIG.md "Duplicate series").
   * @throws {UpstreamError} With reason `duplicate` when the policy is `error` and two series collide.
   */
  apply(families: readonly MetricFamily[], options?: ApplyOptions): MetricFamily[];
  /**
   * Starts one scrape's streaming run: the decoder passes each sample to `run.sample` as it reads it, and
   * `run.finish()` returns the output families. The rules are applied per sample; nothing of the input is
   * kept but the output series.
   */
  begin(options?: ApplyOptions): TransformRun;
  /**
   * {@linkcode Transform.apply} for `explain`: the same result, also telling `tracer` what the relabel configs
   * did to each series and which series were duplicates. The scrape never calls it.
   *
   * @throws {UpstreamError} As `apply` does.
   */
  trace(families: readonly MetricFamily[], tracer: TransformTracer, options?: ApplyOptions): MetricFamily[];
  /** The compiled rules, for `explain`. */
  readonly steps: readonly Step[];
  /** What a run needs of the transform, for the relay (src/relay), which applies it to bytes. */
  readonly context: Context;
}

/** One scrape's streaming run of a {@linkcode Transform}: the decoder's {@linkcode SeriesSink}. */
export interface TransformRun extends SeriesSink {
  /** Samples taken so far: the series read from the upstream. */
  readonly read: number;
  /**
   * The output families: merged by name, duplicates resolved.
   *
   * @throws {UpstreamError} With reason `duplicate` when the policy is `error` and two series collide.
   */
  finish(): MetricFamily[];
  /** {@linkcode TransformRun.finish} as steps, for a paced caller (src/pace.ts). */
  finishSteps(): Generator<void, MetricFamily[]>;
}

/** What {@linkcode Transform.trace} reports. */
export interface TransformTracer {
  /** The relabel configs changed or dropped a series: each rule that did, in order (copies). */
  relabelled(steps: readonly RelabelStep[]): void;
  /** A series equal to an earlier one, resolved by `on_duplicate` (for `error`, just before the throw). */
  duplicate(series: Sample): void;
}

/** Options for {@linkcode Transform.apply}. */
export interface ApplyOptions {
  /** The families are the upstream's text exposition as sent (not built by the JSON mapping). */
  asSent?: boolean;
}

/** Decisions cached across scrapes; a bound keeps an upstream with ever-new names from growing it forever. */
const CACHE_LIMIT = 10_000;

/**
 * Compiles a target's rules, relabel configs and labels into a {@linkcode Transform}.
 *
 * @throws {SyntaxError} For a pattern, regex or template the config loader should already have rejected.
 */
export function compileTransform(target: TargetConfig): Transform {
  const steps = compileRules(target.rules);
  const relabel = target.metricRelabelConfigs.length > 0
    ? compileRelabelConfigs(target.metricRelabelConfigs)
    : null;
  // One map per type, keyed by the name itself: a name already hashed by an earlier map keeps its hash, where a
  // concatenated key would be a fresh string to allocate and hash for every family of every scrape.
  const caches = new Map<MetricType, Map<string, Decision | null>>();
  let cached = 0;
  const ctx: Context = {
    staticLabels: Object.entries(target.labels).flat(),
    namespace: target.namespace === "" ? "" : target.namespace + "_",
    relabel,
    policy: target.onDuplicate,
    decide(fam) {
      let cache = caches.get(fam.type);
      if (cache === undefined) caches.set(fam.type, cache = new Map());
      let d = cache.get(fam.name);
      if (d === undefined) {
        // The text parser gives each family a name of its own (no view of a block), so the cache keeps none.
        d = decide(steps, ruleName(fam.name, fam.type), fam.type);
        if (cached >= CACHE_LIMIT) {
          caches.clear();
          caches.set(fam.type, cache = new Map());
          cached = 0;
        }
        cache.set(fam.name, d);
        cached++;
      }
      return d;
    },
  };
  const feed = (families: readonly MetricFamily[], run: Run): MetricFamily[] => {
    for (const fam of families) for (const s of fam.samples) run.sample(fam, s);
    return run.finish();
  };
  return {
    steps,
    context: ctx,
    begin(options) {
      return new Run(ctx, options?.asSent === true, null);
    },
    apply(families, options) {
      return feed(families, new Run(ctx, options?.asSent === true, null));
    },
    trace(families, tracer, options) {
      const onDuplicate = (s: Sample) => tracer.duplicate(s);
      if (relabel === null) return feed(families, new Run(ctx, options?.asSent === true, onDuplicate));
      // The relabel configs run through their traced copy, which gives the same results.
      const traced: Relabeller = {
        filtersOnly: relabel.filtersOnly,
        apply(sample) {
          const seen: RelabelStep[] = [];
          const r = relabel.trace(sample, (step) => seen.push(step));
          if (seen.length > 0) tracer.relabelled(seen);
          return r;
        },
      };
      return feed(families, new Run({ ...ctx, relabel: traced }, options?.asSent === true, onDuplicate));
    },
  };
}

/** Runs the relabel configs on one series: the compiled rules, or their traced copy for `explain`. */
export interface Relabeller {
  apply(sample: Sample): Sample | null;
  /** The rules only keep or drop series, never change one. */
  readonly filtersOnly: boolean;
  /** The rules as filters, when they only keep or drop (the compiled rules have them; a traced copy not). */
  readonly filters?: readonly RelabelFilter[] | null;
}

/** What a run needs of its transform: the compiled labels, relabel configs, policy and cached decisions. */
export interface Context {
  staticLabels: readonly string[];
  namespace: string;
  relabel: Relabeller | null;
  policy: DuplicatePolicy;
  /** The rules' decision for an upstream family, cached by type and name across scrapes. */
  decide(fam: MetricFamily): Decision | null;
}
