/**
 * Rules compiled once at config load into a list of steps, and the decision they make for one metric name.
 * A decision depends only on the name and the family type, so the transform caches it per name.
 *
 * Semantics (docs/CONFIG.md "Rules"): every rule sees the name the previous rules left, starting from the
 * upstream sample name (a counter's with `_total`, an info's with `_info`). `include` drops the metric unless
 * a pattern matches; `exclude` drops it when one does; `rename` replaces an exact name; `match` tests an
 * anchored regex and, when it matches, sets labels from named groups and `labels`, then `name`, `type`,
 * `help`, `unit` and multiplies `scale`. Every rule runs (there is no "first match wins"); a later rule
 * overrides what an earlier one set.
 *
 * @module
 */

import type { MatchRule, RuleConfig } from "../config/types.ts";
import type { MetricType } from "../model.ts";
import {
  compileMatchRegex,
  compileMatchTemplate,
  compileNameMatcher,
  expandMatchTemplate,
  type MatchTemplate,
  type NameMatcher,
  regexGroups,
} from "../patterns/mod.ts";

/** The types whose single value a rule may retype and scale. */
const SCALAR_TYPES: ReadonlySet<MetricType> = new Set(["counter", "gauge", "unknown"]);

/** Whether a family of this type holds one plain value per series (so `type` and `scale` apply). */
export function isScalarType(type: MetricType): boolean {
  return SCALAR_TYPES.has(type);
}

/** One compiled rule. */
export type Step =
  | { kind: "include" | "exclude"; index: number; matcher: NameMatcher; patterns: readonly string[] }
  | { kind: "rename"; index: number; map: Map<string, string> }
  | {
    kind: "match";
    index: number;
    source: string;
    re: RegExp;
    groupNames: readonly string[];
    name?: MatchTemplate;
    labels: readonly [string, MatchTemplate][];
    type?: MetricType;
    help?: string;
    unit?: string;
    scale?: number;
  };

/** What the rules make of one metric; `null` (from {@linkcode decide}) means dropped. */
export interface Decision {
  /** The name after all rules (rule space: a counter's may end in `_total`). */
  name: string;
  /** The type after all rules. */
  type: MetricType;
  /** New HELP, or `undefined` to keep the upstream one. */
  help: string | undefined;
  /** New UNIT, or `undefined` to keep the upstream one. */
  unit: string | undefined;
  /** Product of the `scale` of every matching rule; 1 when none. */
  scale: number;
  /** `n` when `scale` is exactly `1/n`: values are then divided by `n` instead (see {@linkcode scaleDivisor}). */
  divisor: number;
  /** Flat label pairs the rules set on every series, in the order first set. */
  labels: string[];
}

/**
 * The integer `n` when a scale factor is exactly `1/n` (`0.001`, `0.000001`, `0.01`), else 1. Dividing by `n`
 * gives the correctly rounded result where multiplying by the inexact `0.001` does not
 * (`957 * 0.001` is `0.9570000000000001`, `957 / 1000` is `0.957`).
 *
 * @example
 * ```ts
 * import { scaleDivisor } from "./_rules.ts";
 * import assert from "node:assert/strict";
 * assert.equal(scaleDivisor(0.001), 1000);
 * assert.equal(scaleDivisor(1024), 1);
 * ```
 */
export function scaleDivisor(factor: number): number {
  const n = Math.round(1 / factor);
  return Number.isFinite(n) && Math.abs(n) > 1 && 1 / n === factor ? n : 1;
}

/**
 * Compiles validated rules into steps.
 *
 * @throws {SyntaxError} For an invalid pattern, regex or template (the config loader reports these first).
 */
export function compileRules(rules: readonly RuleConfig[]): Step[] {
  return rules.map((rule, index): Step => {
    switch (rule.kind) {
      case "include":
      case "exclude":
        return {
          kind: rule.kind,
          index,
          matcher: compileNameMatcher(rule.patterns),
          patterns: rule.patterns,
        };
      case "rename":
        return { kind: "rename", index, map: new Map(Object.entries(rule.map)) };
      case "match":
        return compileMatch(rule, index);
    }
  });
}

function compileMatch(rule: MatchRule, index: number): Step {
  const re = compileMatchRegex(rule.match);
  const groups = regexGroups(re);
  const named = groups.names.length > 0 && rule.name !== undefined;
  return {
    kind: "match",
    index,
    source: rule.match,
    re,
    groupNames: groups.names,
    name: rule.name === undefined ? undefined : compileMatchTemplate(rule.name, groups),
    labels: Object.entries(rule.labels).map(([k, v]) =>
      [k, compileMatchTemplate(v, groups)] as [string, MatchTemplate]
    ),
    type: rule.type,
    // A match with named groups folds several upstream names into one family, so no single upstream HELP
    // describes it; it gets the rule's HELP, or one naming the rule.
    help: rule.help ?? (named ? `Upstream metrics matching "${rule.match}"` : undefined),
    unit: rule.unit,
    scale: rule.scale,
  };
}

/**
 * Runs the steps over one name. `trace`, when given, receives one line per rule that touched the name (an
 * `include` that kept it included, for `explain`); the scrape path passes none.
 *
 * @returns The decision, or `null` when a rule dropped the metric.
 */
export function decide(
  steps: readonly Step[],
  name: string,
  type: MetricType,
  trace?: string[],
): Decision | null {
  let current = name;
  let currentType = type;
  let help: string | undefined;
  let unit: string | undefined;
  let scale = 1;
  let labels: string[] | undefined;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    switch (step.kind) {
      case "include":
        if (!step.matcher(current)) {
          trace?.push(
            `rules[${step.index}] include: "${current}" matches none of ${list(step.patterns)}: dropped`,
          );
          return null;
        }
        trace?.push(
          `rules[${step.index}] include: ${
            matchingPattern(step.patterns, current)
          } matches "${current}": kept`,
        );
        break;
      case "exclude":
        if (step.matcher(current)) {
          trace?.push(
            `rules[${step.index}] exclude: ${
              matchingPattern(step.patterns, current)
            } matches "${current}": dropped`,
          );
          return null;
        }
        break;
      case "rename": {
        const to = step.map.get(current);
        if (to !== undefined) {
          trace?.push(`rules[${step.index}] rename: "${current}" -> "${to}"`);
          current = to;
        }
        break;
      }
      case "match": {
        const m = step.re.exec(current);
        if (m === null) break;
        const done: string[] = [];
        labels ??= [];
        for (const g of step.groupNames) {
          const v = m.groups?.[g];
          if (v !== undefined && v !== "") setPair(labels, g, v, done);
        }
        for (const [k, t] of step.labels) setPair(labels, k, expandMatchTemplate(t, m), done);
        if (step.name !== undefined) {
          const to = expandMatchTemplate(step.name, m);
          if (to !== current) done.push(`name ${JSON.stringify(to)}`);
          current = to;
        }
        if (step.type !== undefined) {
          if (isScalarType(currentType)) {
            currentType = step.type;
            done.push(`type ${step.type}`);
          } else {
            done.push(`type ${step.type} ignored (a ${currentType} keeps its type)`);
          }
        }
        if (step.help !== undefined) {
          help = step.help;
          done.push(`help ${JSON.stringify(step.help)}`);
        }
        if (step.unit !== undefined) {
          unit = step.unit;
          done.push(`unit ${JSON.stringify(step.unit)}`);
        }
        if (step.scale !== undefined) {
          scale *= step.scale;
          done.push(isScalarType(currentType) ? `scale ${step.scale}` : `scale ignored (a ${currentType})`);
        }
        trace?.push(
          `rules[${step.index}] match "${step.source}": ${done.length > 0 ? done.join(", ") : "no change"}`,
        );
        break;
      }
    }
  }
  // Decisions are cached per name, so the factor is analysed once per name, never per sample.
  const divisor = scale === 1 ? 1 : scaleDivisor(scale);
  return { name: current, type: currentType, help, unit, scale, divisor, labels: labels ?? EMPTY };
}

const EMPTY: string[] = [];

function setPair(labels: string[], name: string, value: string, done: string[]): void {
  done.push(`label ${name}=${JSON.stringify(value)}`);
  for (let i = 0; i < labels.length; i += 2) {
    if (labels[i] === name) {
      labels[i + 1] = value;
      return;
    }
  }
  labels.push(name, value);
}

/** The first pattern that matches, quoted; compiled again here, which only `explain` (a trace) pays for. */
function matchingPattern(patterns: readonly string[], name: string): string {
  const p = patterns.find((p) => compileNameMatcher([p])(name));
  return JSON.stringify(p ?? patterns[0]);
}

function list(patterns: readonly string[]): string {
  return patterns.map((p) => JSON.stringify(p)).join(", ");
}
