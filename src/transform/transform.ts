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
import type { MetricFamily, MetricType, Sample } from "../model.ts";
import { type CompiledRelabel, compileRelabelConfigs, relabelSample } from "./relabel.ts";
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
   * @throws {UpstreamError} With reason `duplicate` when the policy is `error` and two series collide.
   */
  apply(families: readonly MetricFamily[]): MetricFamily[];
  /** The compiled rules, for `explain`. */
  readonly steps: readonly Step[];
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
  return {
    steps,
    apply(families) {
      const out = new Map<string, Acc>();
      for (let f = 0; f < families.length; f++) {
        const fam = families[f];
        const key = fam.type + "\u0000" + fam.name;
        let d = cache.get(key);
        if (d === undefined) {
          d = decide(steps, ruleName(fam.name, fam.type), fam.type);
          if (cache.size >= CACHE_LIMIT) cache.clear();
          cache.set(key, d);
        }
        if (d !== null) emitFamily(fam, d, ctx, out);
      }
      return finish(out, ctx.policy);
    },
  };
}

interface Context {
  staticLabels: readonly string[];
  namespace: string;
  relabel: CompiledRelabel | null;
  policy: DuplicatePolicy;
}

/** A family being built, with how many upstream families fed it. */
interface Acc {
  family: MetricFamily;
  sources: number;
}

/** Adds one upstream family's samples, renamed and relabelled, to the output families. */
function emitFamily(fam: MetricFamily, d: Decision, ctx: Context, out: Map<string, Acc>): void {
  const type = d.type;
  const base = familyNameOf(d.name, type);
  const retype = fam.type !== type;
  const scale = isScalarType(fam.type) ? d.scale : 1;
  // Every family gets a HELP (promlint "no help text"); an upstream one without names its source.
  const help = d.help ?? (fam.help !== "" ? fam.help : `Upstream metric "${fam.name}"`);
  const unit = d.unit ?? fam.unit;
  const prefixLen = fam.name.length;
  const stateLabel = type === "stateset" ? fam.name : null;
  const { namespace, relabel, staticLabels } = ctx;
  const acc = accFor(out, namespace + base, type, help, unit, ctx.policy);
  if (acc === null) return;
  acc.sources++;
  const samples = fam.samples;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    let suffix = s.name.length > prefixLen ? s.name.slice(prefixLen) : "";
    if (retype) {
      if (fam.type === "counter") {
        if (suffix === "_created") continue;
        if (suffix === "_total") suffix = "";
      }
      if (type === "counter" && suffix === "") suffix = "_total";
    }
    let labels = s.labels;
    if (d.labels.length > 0) labels = setLabels(labels, d.labels);
    if (stateLabel !== null) labels = renameLabel(labels, stateLabel, namespace + base);
    if (staticLabels.length > 0) labels = addStaticLabels(labels, staticLabels);
    const value = scale === 1 || suffix === "_created" ? s.value : s.value * scale;
    let sample: Sample = s.timestampMs === undefined
      ? { name: base + suffix, labels, value }
      : { name: base + suffix, labels, value, timestampMs: s.timestampMs };
    let target = acc;
    if (relabel !== null) {
      const r = relabelSample(relabel, sample);
      if (r === null) continue;
      if (r.name !== sample.name) {
        // A relabel rule that writes __name__ renames the series' family; its type suffix stays.
        const newBase = suffix !== "" && r.name.endsWith(suffix) ? r.name.slice(0, -suffix.length) : r.name;
        const moved = accFor(out, namespace + familyNameOf(newBase, type), type, help, unit, ctx.policy);
        if (moved === null) continue;
        moved.sources++;
        target = moved;
        sample = { ...r, name: familyNameOf(newBase, type) + suffix };
      } else {
        sample = r;
      }
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
    const acc = { family: { name, type, help, unit, samples: [] }, sources: 0 };
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
  const acc = { family: { name, type, help, unit, samples: [] }, sources: 0 };
  out.set(name, acc);
  return acc;
}

function finish(out: Map<string, Acc>, policy: DuplicatePolicy): MetricFamily[] {
  const result: MetricFamily[] = [];
  for (const acc of out.values()) {
    const f = acc.family;
    if (f.samples.length === 0) continue;
    if (f.unit !== "" && f.name !== f.unit && !f.name.endsWith("_" + f.unit)) f.unit = "";
    f.samples = dedupe(f.samples, policy);
    result.push(f);
  }
  return result;
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
 * with `honor_labels: false`.
 */
function addStaticLabels(labels: readonly string[], staticLabels: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < labels.length; i += 2) {
    let clash = false;
    for (let j = 0; j < staticLabels.length; j += 2) if (staticLabels[j] === labels[i]) clash = true;
    out.push(clash ? "exported_" + labels[i] : labels[i], labels[i + 1]);
  }
  for (let j = 0; j < staticLabels.length; j++) out.push(staticLabels[j]);
  return out;
}

function dedupe(samples: Sample[], policy: DuplicatePolicy): Sample[] {
  if (samples.length < 2) return samples;
  const seen = new Map<string, number>();
  let out: Sample[] | null = null;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const key = identity(s);
    const at = seen.get(key);
    if (at === undefined) {
      seen.set(key, out === null ? i : out.length);
      out?.push(s);
      continue;
    }
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

/** A series identity: the sample name and its labels in name order (no sort when already in order). */
function identity(s: Sample): string {
  const l = s.labels;
  let sorted = true;
  for (let i = 2; i < l.length; i += 2) {
    if (l[i - 2] > l[i]) {
      sorted = false;
      break;
    }
  }
  if (sorted) {
    let key = s.name;
    for (let i = 0; i < l.length; i++) key += "\u0000" + l[i];
    return key;
  }
  const pairs: string[] = [];
  for (let i = 0; i < l.length; i += 2) pairs.push(l[i] + "\u0000" + l[i + 1]);
  pairs.sort();
  return s.name + "\u0000" + pairs.join("\u0000");
}

/** `name{a="1",b="2"}`, for messages. */
export function describeSeries(s: Sample): string {
  const pairs: string[] = [];
  for (let i = 0; i < s.labels.length; i += 2) {
    pairs.push(`${s.labels[i]}=${JSON.stringify(s.labels[i + 1])}`);
  }
  return pairs.length === 0 ? s.name : `${s.name}{${pairs.join(",")}}`;
}
