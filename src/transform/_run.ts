/**
 * One scrape's streaming run of a compiled transform: each upstream sample is routed to its output family
 * as the decoder reads it, with the rules' decision worked out once per upstream family; the output families
 * are merged by name and checked for duplicates at the end. A run is also the series cache's sink: it tells
 * what became of each series, and takes a cached series back with only a new value.
 *
 * @module
 */

import type { DuplicatePolicy } from "../config/types.ts";
import { UpstreamError } from "../errors.ts";
import { copyString } from "../formats/series_cache.ts";
import { getLabel, type MetricFamily, type MetricType, type Sample, type SeriesSink } from "../model.ts";
import { familyNameOf } from "../patterns/mod.ts";
import { type Decision, isScalarType } from "./_rules.ts";
import { addStaticLabels, dedupe, renameLabel, setLabels } from "./_series.ts";
import type { Context } from "./mod.ts";
import { runSteps, STEP_VALUES } from "../pace.ts";

/** A family being built: how many upstream families fed it, and whether its series need the duplicate check. */
interface Acc {
  family: MetricFamily;
  sources: number;
  check: boolean;
}

/**
 * Where one upstream family's samples go in this run, worked out at its first sample: the rules' decision
 * and everything derived from it, so a sample costs only its own labels and value.
 */
interface Route {
  /** The output family; `null` when the rules dropped the family or its name lost a type clash. */
  acc: Acc | null;
  d: Decision;
  /** The output family name without the namespace. */
  base: string;
  /** The upstream type (the decision may change it). */
  fromType: MetricType;
  retype: boolean;
  scale: number;
  help: string;
  unit: string;
  prefixLen: number;
  /** A stateset's state label (the upstream family name), renamed to the output family name. */
  stateLabel: string | null;
  /** The last sample name seen and what it gives: samples of one family mostly share a few names. */
  lastSource: string | null;
  suffix: string;
  name: string;
  skip: boolean;
}

/**
 * What a run made of one series, for the series cache: the output name and labels (shared by every scrape
 * that hits the entry, never changed), and whether the value skips the scale (`_created`).
 */
interface Output {
  name: string;
  labels: string[];
  unscaled: boolean;
}

/**
 * An entry whose family had no output in the run that made it (the rules dropped the family, or its name
 * lost a type clash): whether it has one now is the run's to say.
 */
const FAMILY_DROPPED: Output = { name: "", labels: [], unscaled: true };

/**
 * A function that makes a cached {@linkcode Output} own its label values ({@linkcode copyString}), so an entry
 * that lives on does not keep the text block they were cut from. The series cache calls it once per entry that
 * outlives its scrape. Output names need no copy: they come from the parser's family names, which are copies
 * already (`FamilyRegistry`), or from the rules.
 */
export function outputKeeper(): (cached: unknown) => void {
  return (cached) => {
    const out = cached as Output;
    if (out === FAMILY_DROPPED) return;
    let labels: string[] | null = null;
    for (let i = 0; i < out.labels.length; i++) {
      const s = out.labels[i];
      const copy = copyString(s);
      if (copy === s) continue;
      // Copied only when a string needs it: most label arrays hold short strings, which are copies already.
      labels ??= out.labels.slice();
      labels[i] = copy;
    }
    if (labels !== null) out.labels = labels;
  };
}

/** One scrape's run: samples in, output families out. */
export class Run implements SeriesSink {
  readonly #ctx: Context;
  readonly #asSent: boolean;
  readonly #onDuplicate: ((s: Sample) => void) | null;
  readonly #out = new Map<string, Acc>();
  /** Routes of the families met, for a text exposition only: there a family split by others comes back. */
  readonly #routes: Map<MetricFamily, Route | null> | null;
  #lastFamily: MetricFamily | null = null;
  #lastRoute: Route | null = null;
  #read = 0;

  constructor(ctx: Context, asSent: boolean, onDuplicate: ((s: Sample) => void) | null) {
    this.#ctx = ctx;
    // Relabel rules that only keep or drop series cannot make two equal: such series are still as sent.
    this.#asSent = asSent && (ctx.relabel === null || ctx.relabel.filtersOnly);
    this.#onDuplicate = onDuplicate;
    // A JSON mapping gives each family once, whole: no map (a seed body has one family per key).
    this.#routes = asSent ? new Map() : null;
  }

  /**
   * Takes one upstream sample; returns what became of it for the series cache: its {@linkcode Output},
   * `null` when dropped, `undefined` when a relabel rule moved it to another family (not cached).
   */
  sample(fam: MetricFamily, s: Sample): Output | null | undefined {
    this.#read++;
    const route = this.#routeOf(fam);
    if (route === null || route.acc === null) return FAMILY_DROPPED;
    return this.#emit(route, route.acc, s);
  }

  /** A cached series with a new value; false when this run cannot take it from the cache. */
  again(fam: MetricFamily, cached: unknown, value: number): boolean {
    this.#read++;
    const route = this.#routeOf(fam);
    if (route === null || route.acc === null) return true;
    const out = cached as Output | null;
    if (out === null) return true;
    if (out === FAMILY_DROPPED) return false;
    const { scale, d } = route;
    const v = scale === 1 || out.unscaled ? value : d.divisor !== 1 ? value / d.divisor : value * scale;
    addSample(route.acc.family, { name: out.name, labels: out.labels, value: v });
    return true;
  }

  /** Samples taken so far, cached ones included: the series read from the upstream. */
  get read(): number {
    return this.#read;
  }

  finish(): MetricFamily[] {
    return runSteps(this.finishSteps());
  }

  /** {@linkcode Run.finish} as steps, for a paced caller (src/pace.ts). */
  finishSteps(): Generator<void, MetricFamily[]> {
    return finishSteps(this.#out, this.#ctx.policy, this.#onDuplicate);
  }

  /** The route of an upstream family in this run (samples of one family come together: one compare). */
  #routeOf(fam: MetricFamily): Route | null {
    if (fam === this.#lastFamily) return this.#lastRoute;
    this.#lastFamily = fam;
    const routes = this.#routes;
    let route = routes?.get(fam);
    if (route === undefined) {
      route = this.#route(fam);
      routes?.set(fam, route);
    }
    this.#lastRoute = route;
    return route;
  }

  /** The route of an upstream family met for the first time in this run; `null` when the rules drop it. */
  #route(fam: MetricFamily): Route | null {
    const ctx = this.#ctx;
    const d = ctx.decide(fam);
    if (d === null) return null;
    const type = d.type;
    const base = familyNameOf(d.name, type);
    // Every family gets a HELP (promlint "no help text"); an upstream one without names its source.
    const help = d.help ?? (fam.help !== "" ? fam.help : `Upstream metric "${fam.name}"`);
    const unit = d.unit ?? fam.unit;
    const acc = accFor(this.#out, ctx.namespace + base, type, help, unit, ctx.policy);
    if (acc !== null) {
      acc.sources++;
      if (!this.#asSent || d.labels.length > 0) acc.check = true;
    }
    return {
      acc,
      d,
      base,
      fromType: fam.type,
      retype: fam.type !== type,
      scale: isScalarType(fam.type) ? d.scale : 1,
      help,
      unit,
      prefixLen: fam.name.length,
      stateLabel: type === "stateset" ? fam.name : null,
      lastSource: null,
      suffix: "",
      name: "",
      skip: false,
    };
  }

  /** Adds one upstream sample, renamed and relabelled, to its output family; returns as `sample` does. */
  #emit(route: Route, acc: Acc, s: Sample): Output | null | undefined {
    const { d, base } = route;
    const type = d.type;
    const { namespace, relabel, staticLabels } = this.#ctx;
    if (s.name !== route.lastSource) {
      route.lastSource = s.name;
      let suffix = s.name.length > route.prefixLen ? s.name.slice(route.prefixLen) : "";
      let skip = false;
      if (route.retype) {
        if (route.fromType === "counter") {
          skip = suffix === "_created";
          if (suffix === "_total") suffix = "";
        }
        if (type === "counter" && suffix === "") suffix = "_total";
      }
      route.suffix = suffix;
      route.skip = skip;
      // Relabelling sees the name without the namespace, which is added after it.
      route.name = relabel === null ? namespace + base + suffix : base + suffix;
    }
    if (route.skip) return null;
    const { suffix, name, scale } = route;
    const unscaled = scale === 1 || suffix === "_created";
    let labels = s.labels;
    if (d.labels.length > 0) labels = setLabels(labels, d.labels);
    if (route.stateLabel !== null) labels = renameLabel(labels, route.stateLabel, namespace + base);
    if (staticLabels.length > 0) labels = addStaticLabels(labels, staticLabels);
    const value = unscaled ? s.value : d.divisor !== 1 ? s.value / d.divisor : s.value * scale;
    if (relabel === null) {
      addSample(acc.family, timed({ name, labels, value }, s));
      return { name, labels, unscaled };
    }
    const r = relabel.apply({ name, labels, value });
    if (r === null) return null;
    if (r.name === name) {
      const outName = namespace + name;
      addSample(acc.family, timed({ name: outName, labels: r.labels, value }, s));
      return { name: outName, labels: r.labels, unscaled };
    }
    // A relabel rule that writes __name__ renames the series' family; its type suffix stays.
    const newBase = familyNameOf(
      suffix !== "" && r.name.endsWith(suffix) ? r.name.slice(0, -suffix.length) : r.name,
      type,
    );
    const moved = accFor(this.#out, namespace + newBase, type, route.help, route.unit, this.#ctx.policy);
    if (moved === null) return undefined;
    moved.sources++;
    moved.check = true;
    addSample(moved.family, timed({ name: namespace + newBase + suffix, labels: r.labels, value }, s));
    return undefined;
  }
}

/** `out` with the upstream sample's timestamp, when it has one. */
function timed(out: Sample, upstream: Sample): Sample {
  if (upstream.timestampMs !== undefined) out.timestampMs = upstream.timestampMs;
  return out;
}

/**
 * Appends a sample. The first one replaces the empty array with an exact one-element array: a pushed-to
 * empty array grows to 17 slots, which single-sample families (common) would keep.
 */
function addSample(family: MetricFamily, sample: Sample): void {
  if (family.samples.length === 0) family.samples = [sample];
  else family.samples.push(sample);
}

/**
 * The output family for a name; a family of another type already there is a collision: an error for the
 * `error` policy, else the family that arrived first (or last, for `last`) keeps the name.
 */
function accFor(
  out: Map<string, Acc>,
  name: string,
  type: MetricType,
  help: string,
  unit: string,
  policy: DuplicatePolicy,
): Acc | null {
  const prior = out.get(name);
  if (prior === undefined) {
    const acc = { family: { name, type, help, unit, samples: [] }, sources: 0, check: false };
    out.set(name, acc);
    return acc;
  }
  if (prior.family.type === type) return prior;
  if (policy === "error") {
    throw new UpstreamError(
      "duplicate",
      `Two families named "${name}" after the rules: a ${prior.family.type} and a ${type}`,
    );
  }
  if (policy !== "last") return null;
  const acc = { family: { name, type, help, unit, samples: [] }, sources: 0, check: false };
  out.set(name, acc);
  return acc;
}

/** The run's output, as steps: non-empty families, units checked, statesets that lost their label as gauges, deduped. */
function* finishSteps(
  out: Map<string, Acc>,
  policy: DuplicatePolicy,
  onDuplicate: ((s: Sample) => void) | null,
): Generator<void, MetricFamily[]> {
  const result: MetricFamily[] = [];
  let n = 0;
  for (const acc of out.values()) {
    if (++n === STEP_VALUES) {
      n = 0;
      yield;
    }
    const f = acc.family;
    if (f.samples.length === 0) continue;
    if (f.unit !== "" && f.name !== f.unit && !f.name.endsWith("_" + f.unit)) f.unit = "";
    // A stateset's state label is named after the family. A relabel config that renamed or removed it, or
    // moved the series to another name, leaves series OpenMetrics rejects ("Stateset missing label"): the
    // family is written as the gauge it is in text 0.0.4 instead (docs/CONFIG.md).
    if (f.type === "stateset" && !everySampleHas(f.samples, f.name)) f.type = "gauge";
    if (acc.check || acc.sources > 1) f.samples = dedupe(f.samples, policy, onDuplicate);
    result.push(f);
  }
  return result;
}

/** Whether every sample has a label named `label`. */
function everySampleHas(samples: readonly Sample[], label: string): boolean {
  for (const s of samples) if (getLabel(s.labels, label) === undefined) return false;
  return true;
}
