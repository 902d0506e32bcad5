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
import { METRIC_NAME_REGEXP, type Sample } from "../model.ts";
import { applyRule, invalidLabelName, labelNamesValid, NO_LABELS, Work } from "./_apply.ts";
import { Act, checkRelabelConfigs, type CompiledRule, type RelabelProblem } from "./_config.ts";

export { RELABEL_ACTIONS } from "./_config.ts";
export type { RelabelAction, RelabelConfigInput, RelabelProblem } from "./_config.ts";

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

/**
 * One keep or drop rule: the source labels' values (`""` when absent, `__name__` the name) joined by
 * `separator` are tested against `regexp` (`keep`, `drop`), or, when it is `null`, compared with the value
 * of the label `target` (`keepequal`, `dropequal`); `keep` says whether a match keeps the series (else a
 * match drops it, and a series that fails a `keep` rule is dropped).
 */
export interface RelabelFilter {
  readonly keep: boolean;
  readonly sources: readonly string[];
  readonly separator: string;
  readonly regexp: RegExp | null;
  readonly target: string;
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

  /**
   * The rules as filters when every rule only keeps or drops ({@linkcode CompiledRelabel.filtersOnly}), for a
   * reader that finds label values its own way (src/relay); `null` otherwise.
   */
  get filters(): readonly RelabelFilter[] | null {
    if (!this.filtersOnly) return null;
    return this.#rules.map((r) => ({
      keep: r.act === Act.Keep || r.act === Act.KeepEqual,
      sources: r.sources,
      separator: r.separator,
      regexp: r.act === Act.Keep || r.act === Act.Drop ? r.regexp : null,
      target: r.target,
    }));
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
