/**
 * The transform stage: a target's rules and relabel configs, compiled once at config load, applied to each
 * scrape's families. Order (docs/CONFIG.md "What happens to a metric"):
 * rules (per family name, cached) → static labels → `metric_relabel_configs` (per series) → namespace and
 * counter naming → merge families by name → duplicate series.
 *
 * @module
 */

import type { DuplicatePolicy, TargetConfig } from "../config/types.ts";
import { UpstreamError } from "../errors.ts";
import { getLabel, type MetricFamily, type MetricType, type Sample } from "../model.ts";
import { compileRelabelConfigs, type RelabelStep } from "./relabel.ts";
import {
  compileRules,
  decide,
  type Decision,
  familyNameOf,
  isScalarType,
  ruleName,
  type Step,
} from "./rules.ts";

/** A compiled transform for one target. */
export interface Transform {
  /**
   * Rewrites one scrape's families. Never mutates its input.
   *
   * @param families The decoded families.
   * @param options `asSent: true` says the families are the upstream's own text exposition: then a family
   *   that no rule merged, relabelled or labelled keeps its series as sent, without the duplicate check
   *   (the check is the costliest step; see docs/CONFIG.md "Duplicate series").
   * @throws {UpstreamError} With reason `duplicate` when the policy is `error` and two series collide.
   */
  apply(families: readonly MetricFamily[], options?: ApplyOptions): MetricFamily[];
  /**
   * {@linkcode Transform.apply} for `explain`: the same result, also telling `tracer` what the relabel configs
   * did to each series and which series were duplicates. The scrape never calls it.
   *
   * @throws {UpstreamError} As `apply` does.
   */
  trace(families: readonly MetricFamily[], tracer: TransformTracer, options?: ApplyOptions): MetricFamily[];
  /** The compiled rules, for `explain`. */
  readonly steps: readonly Step[];
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
  const ctx: Context = {
    staticLabels: Object.entries(target.labels).flat(),
    namespace: target.namespace === "" ? "" : target.namespace + "_",
    relabel,
    policy: target.onDuplicate,
  };
  const cache = new Map<string, Decision | null>();
  const run = (
    families: readonly MetricFamily[],
    options: ApplyOptions | undefined,
    c: Context,
    onDuplicate: ((s: Sample) => void) | null,
  ): MetricFamily[] => {
    const out = new Map<string, Acc>();
    const asSent = options?.asSent === true && c.relabel === null;
    for (let f = 0; f < families.length; f++) {
      const fam = families[f];
      const key = fam.type + "\u0000" + fam.name;
      let d = cache.get(key);
      if (d === undefined) {
        d = decide(steps, ruleName(fam.name, fam.type), fam.type);
        if (cache.size >= CACHE_LIMIT) cache.clear();
        cache.set(key, d);
      }
      if (d !== null) emitFamily(fam, d, c, out, !asSent || d.labels.length > 0);
    }
    return finish(out, c.policy, onDuplicate);
  };
  return {
    steps,
    apply(families, options) {
      return run(families, options, ctx, null);
    },
    trace(families, tracer, options) {
      if (relabel === null) return run(families, options, ctx, (s) => tracer.duplicate(s));
      // The relabel configs run through their traced copy, which gives the same results.
      const traced: Relabeller = {
        apply(sample) {
          const seen: RelabelStep[] = [];
          const r = relabel.trace(sample, (step) => seen.push(step));
          if (seen.length > 0) tracer.relabelled(seen);
          return r;
        },
      };
      return run(families, options, { ...ctx, relabel: traced }, (s) => tracer.duplicate(s));
    },
  };
}

/** Runs the relabel configs on one series: the compiled rules, or their traced copy for `explain`. */
interface Relabeller {
  apply(sample: Sample): Sample | null;
}

interface Context {
  staticLabels: readonly string[];
  namespace: string;
  relabel: Relabeller | null;
  policy: DuplicatePolicy;
}

/** A family being built: how many upstream families fed it, and whether its series need the duplicate check. */
interface Acc {
  family: MetricFamily;
  sources: number;
  check: boolean;
}

/** Adds one upstream family's samples, renamed and relabelled, to the output families. */
function emitFamily(
  fam: MetricFamily,
  d: Decision,
  ctx: Context,
  out: Map<string, Acc>,
  check: boolean,
): void {
  const type = d.type;
  const base = familyNameOf(d.name, type);
  const retype = fam.type !== type;
  const scale = isScalarType(fam.type) ? d.scale : 1;
  const divisor = d.divisor;
  // Every family gets a HELP (promlint "no help text"); an upstream one without names its source.
  const help = d.help ?? (fam.help !== "" ? fam.help : `Upstream metric "${fam.name}"`);
  const unit = d.unit ?? fam.unit;
  const prefixLen = fam.name.length;
  const stateLabel = type === "stateset" ? fam.name : null;
  const { namespace, relabel, staticLabels } = ctx;
  const acc = accFor(out, namespace + base, type, help, unit, ctx.policy);
  if (acc === null) return;
  acc.sources++;
  if (check) acc.check = true;
  const samples = fam.samples;
  // Samples of one family mostly share a few names (often the very same string): the output name, suffix
  // and skip decision are worked out once per distinct name, not per sample.
  let lastSource: string | null = null;
  let suffix = "";
  let name = "";
  let skip = false;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (s.name !== lastSource) {
      lastSource = s.name;
      suffix = s.name.length > prefixLen ? s.name.slice(prefixLen) : "";
      skip = false;
      if (retype) {
        if (fam.type === "counter") {
          skip = suffix === "_created";
          if (suffix === "_total") suffix = "";
        }
        if (type === "counter" && suffix === "") suffix = "_total";
      }
      // Relabelling sees the name without the namespace, which is added after it.
      name = relabel === null ? namespace + base + suffix : base + suffix;
    }
    if (skip) continue;
    let labels = s.labels;
    if (d.labels.length > 0) labels = setLabels(labels, d.labels);
    if (stateLabel !== null) labels = renameLabel(labels, stateLabel, namespace + base);
    if (staticLabels.length > 0) labels = addStaticLabels(labels, staticLabels);
    const value = scale === 1 || suffix === "_created"
      ? s.value
      : divisor !== 1
      ? s.value / divisor
      : s.value * scale;
    let sample: Sample = s.timestampMs === undefined
      ? { name, labels, value }
      : { name, labels, value, timestampMs: s.timestampMs };
    if (relabel === null) {
      acc.family.samples.push(sample);
      continue;
    }
    const r = relabel.apply(sample);
    if (r === null) continue;
    let target = acc;
    if (r.name === sample.name) {
      sample = r;
    } else {
      // A relabel rule that writes __name__ renames the series' family; its type suffix stays.
      const newBase = familyNameOf(
        suffix !== "" && r.name.endsWith(suffix) ? r.name.slice(0, -suffix.length) : r.name,
        type,
      );
      const moved = accFor(out, namespace + newBase, type, help, unit, ctx.policy);
      if (moved === null) continue;
      moved.sources++;
      moved.check = true;
      target = moved;
      sample = { ...r, name: newBase + suffix };
    }
    if (namespace !== "") sample.name = namespace + sample.name;
    target.family.samples.push(sample);
  }
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

function finish(
  out: Map<string, Acc>,
  policy: DuplicatePolicy,
  onDuplicate: ((s: Sample) => void) | null,
): MetricFamily[] {
  const result: MetricFamily[] = [];
  for (const acc of out.values()) {
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

/** Sets (or, for `""`, removes) each pair of `set` in a copy of `labels`. */
function setLabels(labels: readonly string[], set: readonly string[]): string[] {
  const out = labels.slice();
  for (let j = 0; j < set.length; j += 2) {
    const name = set[j];
    const value = set[j + 1];
    let at = -1;
    for (let i = 0; i < out.length; i += 2) {
      if (out[i] === name) {
        at = i;
        break;
      }
    }
    if (at >= 0) {
      if (value === "") out.splice(at, 2);
      else out[at + 1] = value;
    } else if (value !== "") {
      out.push(name, value);
    }
  }
  return out;
}

function renameLabel(labels: string[], from: string, to: string): string[] {
  if (from === to) return labels;
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === from) {
      const out = labels.slice();
      out[i] = to;
      return out;
    }
  }
  return labels;
}

/**
 * Adds static labels; an upstream label of the same name is kept as `exported_<name>`, as Prometheus does
 * with `honor_labels: false`. A push loop measured faster here than `concat` or spreading.
 */
function addStaticLabels(labels: readonly string[], staticLabels: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    const name = labels[i];
    let clash = false;
    for (let j = 0; j < staticLabels.length; j += 2) {
      if (staticLabels[j] === name) {
        clash = true;
        break;
      }
    }
    out.push(clash ? "exported_" + name : name, labels[i + 1]);
  }
  for (let j = 0; j < staticLabels.length; j++) out.push(staticLabels[j]);
  return out;
}

/**
 * Removes duplicate series by the policy. Series are bucketed by a 30-bit hash (a small integer, so the
 * Map stays fast) that ignores label order; a bucket's members are compared exactly, so a hash collision
 * never merges two series. Building a string key per series cost about three times as much (measured).
 */
function dedupe(
  samples: Sample[],
  policy: DuplicatePolicy,
  onDuplicate: ((s: Sample) => void) | null,
): Sample[] {
  if (samples.length < 2) return samples;
  const buckets = new Map<number, number | number[]>();
  let out: Sample[] | null = null;
  let lastName = "";
  let lastNameHash = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    if (s.name !== lastName) {
      lastName = s.name;
      lastNameHash = hashString(s.name, FNV_OFFSET);
    }
    const h = seriesHash(s, lastNameHash);
    const bucket = buckets.get(h);
    const at = bucket === undefined ? -1 : findSame(out ?? samples, bucket, s);
    const position = out === null ? i : out.length;
    if (at < 0) {
      if (bucket === undefined) buckets.set(h, position);
      else if (typeof bucket === "number") buckets.set(h, [bucket, position]);
      else bucket.push(position);
      out?.push(s);
      continue;
    }
    onDuplicate?.(s);
    if (policy === "error") {
      throw new UpstreamError("duplicate", `Duplicate series "${describeSeries(s)}" after the rules`);
    }
    // The first duplicate switches from "all samples so far" to an explicit copy.
    out ??= samples.slice(0, i);
    if (policy === "last") out[at] = s;
    else if (policy === "sum") out[at] = { ...out[at], value: out[at].value + s.value };
  }
  return out ?? samples;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function hashString(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

/** Name hash combined with a sum of per-pair hashes: the sum does not depend on the label order. */
function seriesHash(s: Sample, nameHash: number): number {
  const l = s.labels;
  let sum = 0;
  for (let i = 0; i < l.length; i += 2) {
    const pair = hashString(l[i + 1], hashString(l[i], FNV_OFFSET) ^ 0x3d);
    sum = (sum + Math.imul(pair ^ (pair >>> 15), 0x2c1b3c6d)) | 0;
  }
  return ((nameHash ^ sum) >>> 0) & 0x3fffffff;
}

/** The index (in `list`) of a series in the bucket with the same name and label set, or -1. */
function findSame(list: readonly Sample[], bucket: number | number[], s: Sample): number {
  if (typeof bucket === "number") return sameSeries(list[bucket], s) ? bucket : -1;
  for (const at of bucket) if (sameSeries(list[at], s)) return at;
  return -1;
}

function sameSeries(a: Sample, b: Sample): boolean {
  if (a.name !== b.name || a.labels.length !== b.labels.length) return false;
  const la = a.labels;
  const lb = b.labels;
  outer: for (let i = 0; i < la.length; i += 2) {
    if (la[i] === lb[i]) {
      if (la[i + 1] !== lb[i + 1]) return false;
      continue;
    }
    for (let j = 0; j < lb.length; j += 2) {
      if (lb[j] === la[i]) {
        if (lb[j + 1] !== la[i + 1]) return false;
        continue outer;
      }
    }
    return false;
  }
  return true;
}

/** `name{a="1",b="2"}`, for messages. */
export function describeSeries(s: Sample): string {
  const pairs: string[] = [];
  for (let i = 0; i < s.labels.length; i += 2) {
    pairs.push(`${s.labels[i]}=${JSON.stringify(s.labels[i + 1])}`);
  }
  return pairs.length === 0 ? s.name : `${s.name}{${pairs.join(",")}}`;
}
