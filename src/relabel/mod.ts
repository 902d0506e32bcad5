/**
 * Prometheus `metric_relabel_configs`, with Prometheus's syntax and semantics (model/relabel/relabel.go),
 * applied to samples of the internal model. Rules are validated and compiled once by
 * {@linkcode compileRelabelConfigs}; {@linkcode relabelSample} then runs them per sample on the flat label
 * array, copying it only when a rule really changes something.
 *
 * The sample name is the `__name__` label. A sample is dropped (`null`) by `keep`/`drop`/`keepequal`/
 * `dropequal`, and also when the rules leave it without a name, with an invalid metric name, or with an
 * invalid label name (which `labelmap` can produce): Prometheus fails the whole scrape in those cases; one
 * bad sample should not cost the others here, so it is dropped and the caller can count it.
 *
 * See docs/RELABEL.md for the actions, defaults and regex dialect.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { LABEL_NAME_REGEXP, METRIC_NAME_REGEXP, type Sample } from "../model.ts";
import { Act, checkRelabelConfigs, type CompiledRule, type RelabelProblem } from "./_config.ts";
import { expandTemplate, goToLower, goToUpper, hashMod } from "./_text.ts";

export { RELABEL_ACTIONS } from "./_config.ts";
export type { RelabelAction, RelabelConfigInput, RelabelProblem } from "./_config.ts";

const NAME = "__name__";
const NO_LABELS: string[] = [];

/** Action names by code, for {@linkcode RelabelStep}: `LabelMap` is `labelmap`, as in the config. */
const ACTION_NAMES: string[] = [];
for (const [key, code] of Object.entries(Act)) ACTION_NAMES[code] = key.toLowerCase();

/** What one rule did to a series, as {@linkcode CompiledRelabel.trace} reports it (for `explain`). */
export interface RelabelStep {
  /** The rule's index in the list; -1 for the checks after the last rule. */
  index: number;
  /** The rule's action (`replace`, `lowercase`, ...); `""` for the checks after the last rule. */
  action: string;
  /** The series before the rule (a copy). */
  before: Sample;
  /** The series after it (a copy), or `null` when it was dropped. */
  after: Sample | null;
  /** Why the checks after the last rule dropped the series; `""` otherwise. */
  why: string;
}

/** Per-sample scratch state, kept on the compiled rules and reused so the hot path allocates nothing. */
class Work {
  name = "";
  labels: string[] = NO_LABELS;
  /** Whether `labels` is our copy (copy-on-write: the input array is never modified). */
  owned = false;
  /** Set when `labelmap` wrote a label name that is not valid; checked once at the end. */
  badNames = false;
  /** Whether to record `touched` (only when a `labelmap` rule needs Prometheus's iteration order). */
  readonly track: boolean;
  /** Labels set by earlier rules, in first-set order: Prometheus's labels.Builder "add" list. */
  readonly touched: string[] = [];
  /** `labelmap` writes collected before applying: target, value, source name, repeated. */
  readonly pending: string[] = [];
  /** A two-group "match" for the default regex `(.*)`, so it needs no `exec`. */
  readonly whole: [string, string] = ["", ""];

  constructor(track: boolean) {
    this.track = track;
  }

  get(n: string): string {
    if (n === NAME) return this.name;
    const ls = this.labels;
    for (let i = 0; i < ls.length; i += 2) if (ls[i] === n) return ls[i + 1];
    return "";
  }

  set(n: string, v: string): void {
    if (v === "") {
      this.del(n);
      return;
    }
    if (this.track && !this.touched.includes(n)) this.touched.push(n);
    if (n === NAME) {
      this.name = v;
      return;
    }
    const ls = this.labels;
    for (let i = 0; i < ls.length; i += 2) {
      if (ls[i] === n) {
        if (ls[i + 1] !== v) {
          this.#own();
          this.labels[i + 1] = v;
        }
        return;
      }
    }
    this.#own();
    this.labels.push(n, v);
  }

  del(n: string): void {
    if (this.track) this.#untouch(n);
    if (n === NAME) {
      this.name = "";
      return;
    }
    const ls = this.labels;
    for (let i = 0; i < ls.length; i += 2) {
      if (ls[i] === n) {
        this.#own();
        this.labels.splice(i, 2);
        return;
      }
    }
  }

  /** Removes the labels whose name matches (`keep` false) or does not match (`keep` true) the regex. */
  filter(re: RegExp, keep: boolean): void {
    const ls = this.labels;
    let i = 0;
    while (i < ls.length && re.test(ls[i]) === keep) i += 2;
    if (i >= ls.length) return;
    this.#own();
    const out = this.labels;
    let w = i;
    for (let r = i; r < out.length; r += 2) {
      if (re.test(out[r]) !== keep) {
        if (this.track) this.#untouch(out[r]);
        continue;
      }
      out[w] = out[r];
      out[w + 1] = out[r + 1];
      w += 2;
    }
    out.length = w;
  }

  #untouch(n: string): void {
    const t = this.touched.indexOf(n);
    if (t >= 0) this.touched.splice(t, 1);
  }

  #own(): void {
    if (!this.owned) {
      this.labels = this.labels.slice();
      this.owned = true;
    }
  }
}

/** Rules validated and compiled by {@linkcode compileRelabelConfigs}; pass to {@linkcode relabelSample}. */
export class CompiledRelabel {
  readonly #rules: readonly CompiledRule[];
  readonly #work: Work;

  /** Wraps rules compiled by `checkRelabelConfigs`; use {@linkcode compileRelabelConfigs} instead. */
  constructor(rules: readonly CompiledRule[]) {
    this.#rules = rules;
    // A labelmap's result depends on which labels earlier rules set (only when two labels map to one name).
    this.#work = new Work(rules.some((r, i) => i > 0 && r.act === Act.LabelMap));
  }

  /** Number of rules. */
  get length(): number {
    return this.#rules.length;
  }

  /**
   * Whether every rule only keeps or drops series (`keep`, `drop`, `keepequal`, `dropequal`): then no two
   * series can become equal, so the transform skips the duplicate check for series kept as sent.
   */
  get filtersOnly(): boolean {
    return this.#rules.every((r) =>
      r.act === Act.Keep || r.act === Act.Drop || r.act === Act.KeepEqual || r.act === Act.DropEqual
    );
  }

  /** Readies the work state for one series (shared by `apply` and `trace`). */
  #begin(sample: Sample): Work {
    const w = this.#work;
    w.name = sample.name;
    w.labels = sample.labels;
    w.owned = false;
    w.badNames = false;
    if (w.track) w.touched.length = 0;
    return w;
  }

  /** The series the rules left, once every check passed: the input itself when nothing changed. */
  #result(sample: Sample): Sample {
    const w = this.#work;
    if (!w.owned && w.name === sample.name) return sample;
    const out: Sample = { name: w.name, labels: w.labels, value: sample.value };
    if (sample.timestampMs !== undefined) out.timestampMs = sample.timestampMs;
    return out;
  }

  /** Same as {@linkcode relabelSample}. */
  apply(sample: Sample): Sample | null {
    const list = this.#rules;
    if (list.length === 0) return sample;
    const w = this.#begin(sample);
    try {
      for (let k = 0; k < list.length; k++) {
        if (!applyRule(list[k], w)) return null;
      }
      const name = w.name;
      if (name === "") return null;
      if (name !== sample.name && !METRIC_NAME_REGEXP.test(name)) return null;
      if (w.badNames && !labelNamesValid(w.labels)) return null;
      return this.#result(sample);
    } finally {
      w.labels = NO_LABELS; // do not keep the caller's arrays alive
    }
  }

  /**
   * {@linkcode CompiledRelabel.apply} for `explain`: the same rules and result, also reporting each rule that
   * changed or dropped the series. A separate copy of the loop, so `apply` (the scrape's) pays nothing.
   *
   * @param sample The input; never modified.
   * @param onStep Called for each rule that changed or dropped the series, in order.
   * @returns What `apply` returns for the same sample.
   */
  trace(sample: Sample, onStep: (step: RelabelStep) => void): Sample | null {
    const list = this.#rules;
    if (list.length === 0) return sample;
    const w = this.#begin(sample);
    try {
      let before = snapshot(sample.name, sample.labels, sample.value);
      for (let k = 0; k < list.length; k++) {
        const action = ACTION_NAMES[list[k].act];
        if (!applyRule(list[k], w)) {
          onStep({ index: k, action, before, after: null, why: "" });
          return null;
        }
        if (!sameSeries(w.name, w.labels, before)) {
          const after = snapshot(w.name, w.labels, sample.value);
          onStep({ index: k, action, before, after, why: "" });
          before = after;
        }
      }
      const name = w.name;
      const why = name === ""
        ? "no __name__ left"
        : name !== sample.name && !METRIC_NAME_REGEXP.test(name)
        ? `"${name}" is not a valid metric name`
        : w.badNames && !labelNamesValid(w.labels)
        ? `label name "${invalidLabelName(w.labels)}" is not valid`
        : "";
      if (why !== "") {
        onStep({ index: -1, action: "", before, after: null, why });
        return null;
      }
      return this.#result(sample);
    } finally {
      w.labels = NO_LABELS;
    }
  }
}

/** A copy of a series as it stands, for a trace: later rules may change the array in place. */
function snapshot(name: string, labels: readonly string[], value: number): Sample {
  return { name, labels: labels.slice(), value };
}

function sameSeries(name: string, labels: readonly string[], s: Sample): boolean {
  if (name !== s.name || labels.length !== s.labels.length) return false;
  for (let i = 0; i < labels.length; i++) if (labels[i] !== s.labels[i]) return false;
  return true;
}

/**
 * Returns every problem in a rule list, as Prometheus would find them when loading the config, with a
 * path per problem (`[2].regex`). Unknown keys, wrong types, invalid label names in `source_labels`,
 * invalid regexes and each rule's first `Validate()` failure are all reported.
 *
 * @param input the rules as decoded from YAML or JSON
 * @returns the problems; empty when the list is valid
 *
 * @example
 * ```ts
 * import { validateRelabelConfigs } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(validateRelabelConfigs([{ action: "hashmod", target_label: "shard" }]), [
 *   { path: "[0].modulus", message: "relabel configuration for hashmod requires non-zero modulus" },
 * ]);
 * ```
 */
export function validateRelabelConfigs(input: readonly unknown[]): RelabelProblem[] {
  const problems: RelabelProblem[] = [];
  checkRelabelConfigs(input, problems);
  return problems;
}

/**
 * Validates and compiles rules once: regexes are translated from Go syntax and anchored as
 * `^(?:re)$`, templates are parsed, defaults applied (separator `;`, regex `(.*)`, replacement `$1`,
 * action `replace`).
 *
 * @param input the rules, each a {@linkcode RelabelConfigInput}; typed `unknown` because they usually come
 *   straight from YAML or JSON and are checked here in full
 * @returns the compiled rules
 * @throws {ConfigError} listing every problem as `path: message`, e.g.
 *   `[0].regex: invalid regular expression "(": missing closing ): "^(?:()$"`; the caller prefixes the
 *   file and key
 *
 * @example Dropping Go runtime metrics
 * ```ts
 * import { compileRelabelConfigs, relabelSample } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const rules = compileRelabelConfigs([{ source_labels: ["__name__"], regex: "go_.*", action: "drop" }]);
 * assert.equal(relabelSample(rules, { name: "go_goroutines", labels: [], value: 7 }), null);
 * ```
 */
export function compileRelabelConfigs(input: readonly unknown[]): CompiledRelabel {
  const problems: RelabelProblem[] = [];
  const rules = checkRelabelConfigs(input, problems);
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `${p.path}: ${p.message}`));
  return new CompiledRelabel(rules);
}

/**
 * Applies the rules to one sample, in order.
 *
 * @param rules compiled by {@linkcode compileRelabelConfigs}
 * @param sample the input; never modified
 * @returns the sample itself when no rule changed it (no allocation), a new sample when one did, or
 *   `null` when it is dropped (by a rule, or because its name or a label name ended up invalid)
 *
 * @example Renaming a label
 * ```ts
 * import { compileRelabelConfigs, relabelSample } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const rules = compileRelabelConfigs([{ source_labels: ["host"], target_label: "instance" }]);
 * const out = relabelSample(rules, { name: "up", labels: ["host", "a:1"], value: 1 });
 * assert.deepEqual(out?.labels, ["host", "a:1", "instance", "a:1"]);
 * ```
 */
export function relabelSample(rules: CompiledRelabel, sample: Sample): Sample | null {
  return rules.apply(sample);
}

function labelNamesValid(labels: readonly string[]): boolean {
  for (let i = 0; i < labels.length; i += 2) if (!LABEL_NAME_REGEXP.test(labels[i])) return false;
  return true;
}

function invalidLabelName(labels: readonly string[]): string {
  for (let i = 0; i < labels.length; i += 2) if (!LABEL_NAME_REGEXP.test(labels[i])) return labels[i];
  return "";
}

/** Runs one rule; false means the sample is dropped. */
function applyRule(r: CompiledRule, w: Work): boolean {
  const src = r.sources;
  let val = src.length === 0 ? "" : w.get(src[0]);
  for (let j = 1; j < src.length; j++) val += r.separator + w.get(src[j]);
  switch (r.act) {
    case Act.Drop:
      return !r.regexp.test(val);
    case Act.Keep:
      return r.regexp.test(val);
    case Act.DropEqual:
      return w.get(r.target) !== val;
    case Act.KeepEqual:
      return w.get(r.target) === val;
    case Act.Replace: {
      let m: ArrayLike<string | undefined> | null;
      if (r.identity) {
        if (val.includes("\n")) return true; // Go's . does not match \n, so (.*) does not match
        w.whole[0] = val;
        w.whole[1] = val;
        m = w.whole;
      } else {
        m = r.regexp.exec(val);
        if (m === null) return true;
      }
      let target = r.target;
      if (r.targetTemplate !== null) {
        target = expandTemplate(r.targetTemplate, m);
        if (!LABEL_NAME_REGEXP.test(target)) return true;
      }
      w.set(target, expandTemplate(r.replacement, m));
      return true;
    }
    case Act.Lowercase:
      w.set(r.target, goToLower(val));
      return true;
    case Act.Uppercase:
      w.set(r.target, goToUpper(val));
      return true;
    case Act.HashMod:
      if (r.memoIn !== val) {
        r.memoOut = hashMod(val, r.modulus);
        r.memoIn = val;
      }
      w.set(r.target, r.memoOut);
      return true;
    case Act.LabelMap:
      labelMap(r, w);
      return true;
    case Act.LabelDrop:
      if (r.matchesName && w.name !== "") w.del(NAME);
      w.filter(r.regexp, false);
      return true;
    case Act.LabelKeep:
      if (!r.matchesName && w.name !== "") w.del(NAME);
      w.filter(r.regexp, true);
      return true;
  }
  return true;
}

/**
 * `labelmap`: every label whose name matches is copied to the expanded replacement name. Reads see the
 * labels as they were before the rule (Prometheus iterates a snapshot). When two labels map to the same
 * name, the last one in Prometheus's iteration order wins: labels untouched by earlier rules in name
 * order, then labels set by earlier rules in the order they were set.
 */
function labelMap(r: CompiledRule, w: Work): void {
  const pending = w.pending;
  pending.length = 0;
  if (r.matchesName && w.name !== "") pending.push(mapName(r, NAME, r.regexp.exec(NAME)!), w.name, NAME);
  const ls = w.labels;
  for (let i = 0; i < ls.length; i += 2) {
    const m = r.regexp.exec(ls[i]);
    if (m !== null) pending.push(mapName(r, ls[i], m), ls[i + 1], ls[i]);
  }
  const n = pending.length;
  if (n === 0) return;
  if (n > 3 && hasDuplicateTarget(pending)) {
    const order: number[] = [];
    for (let i = 0; i < n; i += 3) order.push(i);
    order.sort((a, b) => {
      const ta = w.touched.indexOf(pending[a + 2]);
      const tb = w.touched.indexOf(pending[b + 2]);
      if (ta !== tb) return ta - tb; // untouched (-1) first, then in set order
      return pending[a + 2] < pending[b + 2] ? -1 : pending[a + 2] > pending[b + 2] ? 1 : 0;
    });
    const sorted = order.flatMap((i) => [pending[i], pending[i + 1]]);
    for (let i = 0; i < sorted.length; i += 2) setMapped(w, sorted[i], sorted[i + 1]);
    return;
  }
  for (let i = 0; i < n; i += 3) setMapped(w, pending[i], pending[i + 1]);
}

function setMapped(w: Work, name: string, value: string): void {
  // Prometheus writes any name here; an invalid one fails the scrape there and drops the sample here.
  if (name !== NAME && !LABEL_NAME_REGEXP.test(name)) w.badNames = true;
  w.set(name, value);
}

function hasDuplicateTarget(pending: readonly string[]): boolean {
  for (let i = 0; i < pending.length; i += 3) {
    for (let j = i + 3; j < pending.length; j += 3) if (pending[i] === pending[j]) return true;
  }
  return false;
}

/**
 * Go's `ReplaceAllString(name, replacement)` for a name the regex matched (`m` is its first match). With
 * the usual anchored regex the match is the whole name; a regex such as `a)|(b` (which the `^(?:…)$`
 * wrapping leaves unanchored) can match parts, so that case follows Go's loop: unmatched text kept, each
 * match replaced, an empty match right after a previous match skipped.
 */
function mapName(r: CompiledRule, name: string, m: RegExpExecArray): string {
  if (m.index === 0 && m[0].length === name.length) return expandTemplate(r.replacement, m);
  const re = r.regexpAll;
  let out = "";
  let lastEnd = 0;
  let pos = 0;
  while (pos <= name.length) {
    re.lastIndex = pos;
    const a = re.exec(name);
    if (a === null) break;
    const start = a.index;
    const end = start + a[0].length;
    out += name.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += expandTemplate(r.replacement, a);
    lastEnd = end;
    const width = pos < name.length ? (name.codePointAt(pos)! > 0xffff ? 2 : 1) : 1;
    pos = pos + width > end ? pos + width : end;
  }
  return out + name.slice(lastEnd);
}
