/**
 * Reading and checking `metric_relabel_configs` rules: the YAML shape Prometheus accepts (its defaults,
 * null handling and case-insensitive action names), every check of Prometheus's `relabel.Config.Validate`
 * with Prometheus's wording, and compilation into {@linkcode CompiledRule}s that the hot path runs.
 *
 * @module
 */

import { LABEL_NAME_REGEXP } from "../model.ts";
import { compileGoRegexp } from "../goregexp/mod.ts";
import { compileExpandTemplate, type ExpandTemplate, isValidTargetTemplate } from "./_text.ts";

/** Every relabel action Prometheus knows, in its spelling. */
export const RELABEL_ACTIONS = [
  "replace",
  "keep",
  "drop",
  "keepequal",
  "dropequal",
  "hashmod",
  "labelmap",
  "labeldrop",
  "labelkeep",
  "lowercase",
  "uppercase",
] as const;

/** One relabel action. */
export type RelabelAction = typeof RELABEL_ACTIONS[number];

/** One rule as written in YAML, with Prometheus's snake_case keys. */
export interface RelabelConfigInput {
  /** Labels whose values are joined with `separator`; a missing label counts as `""`. */
  source_labels?: string[];
  /** Joins the source values; default `;`. */
  separator?: string;
  /** RE2 regex, fully anchored; default `(.*)`. */
  regex?: string;
  /** Required (non-zero) for `hashmod`. */
  modulus?: number;
  /** Label written by `replace`, `hashmod`, `lowercase`, `uppercase`; compared by `keepequal`/`dropequal`. */
  target_label?: string;
  /** Template for `replace` and `labelmap`; default `$1`. */
  replacement?: string;
  /** What to do; default `replace`. Case-insensitive, as in Prometheus. */
  action?: RelabelAction;
}

/** One problem found in a rule list; `path` is like `[2].regex`. */
export interface RelabelProblem {
  /** Where: `[index]` then the key, e.g. `[0].source_labels[1]`. */
  readonly path: string;
  /** What, in Prometheus's wording where Prometheus has one. */
  readonly message: string;
}

/** Action codes for the hot path's `switch` (small integers compare faster than strings). */
export const Act = {
  Replace: 0,
  Keep: 1,
  Drop: 2,
  KeepEqual: 3,
  DropEqual: 4,
  HashMod: 5,
  LabelMap: 6,
  LabelDrop: 7,
  LabelKeep: 8,
  Lowercase: 9,
  Uppercase: 10,
} as const;

/** One of the {@linkcode Act} codes. */
export type Act = typeof Act[keyof typeof Act];

/** A validated, compiled rule. Internal to the relabel modules; fields are read on every sample. */
export interface CompiledRule {
  /** The action. */
  readonly act: Act;
  /** Source label names (`__name__` is the sample name). */
  readonly sources: readonly string[];
  /** Separator for joining the sources. */
  readonly separator: string;
  /** The anchored regex `^(?:re)$`, translated from Go syntax. */
  readonly regexp: RegExp;
  /** The same regex with the `g` flag, for `labelmap` replacement when a match is not the whole name. */
  readonly regexpAll: RegExp;
  /** Regex is the default `(.*)`: it matches iff the value has no `\n`, and group 1 is the whole value. */
  readonly identity: boolean;
  /** `target_label` as written. */
  readonly target: string;
  /** `target_label` compiled as a template (only for `replace` when it contains `$`). */
  readonly targetTemplate: ExpandTemplate | null;
  /** `replacement` compiled against the regex. */
  readonly replacement: ExpandTemplate;
  /** `modulus` for `hashmod`. */
  readonly modulus: bigint;
  /** Whether the regex matches the label name `__name__` (precomputed for the label-name actions). */
  readonly matchesName: boolean;
  /** One-entry memo for `hashmod` (md5 costs microseconds; consecutive samples often repeat a value). */
  memoIn: string | null;
  /** The result for {@linkcode CompiledRule.memoIn}. */
  memoOut: string;
}

const DEFAULT_REGEX = "(.*)";
const DEFAULT_SEPARATOR = ";";
const DEFAULT_REPLACEMENT = "$1";
const KEYS = new Set([
  "source_labels",
  "separator",
  "regex",
  "modulus",
  "target_label",
  "replacement",
  "action",
]);

/** A rule after the YAML-level checks, with Prometheus's defaults applied. */
interface Normalized {
  sourceLabels: string[] | null;
  separator: string;
  regex: string | null;
  modulus: number;
  targetLabel: string;
  replacement: string;
  action: string;
}

/**
 * Checks a rule list the way Prometheus loads `metric_relabel_configs`, compiling what is valid.
 *
 * @param input the rules as decoded from YAML/JSON
 * @param problems receives every problem found
 * @returns the compiled rules, meaningful only when no problem was added
 */
export function checkRelabelConfigs(input: readonly unknown[], problems: RelabelProblem[]): CompiledRule[] {
  const rules: CompiledRule[] = [];
  for (let i = 0; i < input.length; i++) {
    const rule = checkRule(input[i], `[${i}]`, problems);
    if (rule !== null) rules.push(rule);
  }
  return rules;
}

/** Go's `%q` for the ASCII-printable cases configs contain; JSON quoting otherwise. */
function quote(s: string): string {
  return JSON.stringify(s);
}

/**
 * Reads a scalar the way go-yaml decodes one into a Go string: strings as they are, numbers and
 * booleans as text, null as "" (Go's zero value). Returns undefined for anything else.
 */
function scalarText(v: unknown): string | undefined {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return undefined;
}

function normalize(raw: unknown, at: string, problems: RelabelProblem[]): Normalized | null {
  if (raw === null || raw === undefined) {
    problems.push({ path: at, message: "empty or null relabeling rule" });
    return null;
  }
  if (typeof raw !== "object" || Array.isArray(raw)) {
    problems.push({
      path: at,
      message: `must be a mapping, got ${Array.isArray(raw) ? "a list" : typeof raw}`,
    });
    return null;
  }
  const obj = raw as Record<string, unknown>;
  const before = problems.length;
  for (const key of Object.keys(obj)) {
    if (!KEYS.has(key)) problems.push({ path: `${at}.${key}`, message: `unknown key ${quote(key)}` });
  }
  const text = (key: string, fallback: string): string => {
    const v = obj[key];
    if (v === undefined) return fallback;
    const s = scalarText(v);
    if (s === undefined) {
      problems.push({ path: `${at}.${key}`, message: "must be a string" });
      return fallback;
    }
    return s;
  };
  const out: Normalized = {
    sourceLabels: null,
    separator: text("separator", DEFAULT_SEPARATOR),
    regex: obj.regex === undefined ? null : text("regex", DEFAULT_REGEX),
    modulus: 0,
    targetLabel: text("target_label", ""),
    replacement: text("replacement", DEFAULT_REPLACEMENT),
    action: text("action", "replace"),
  };
  const src = obj.source_labels;
  if (Array.isArray(src)) {
    out.sourceLabels = [];
    for (let j = 0; j < src.length; j++) {
      const name = scalarText(src[j]);
      if (name === undefined || src[j] === null) {
        problems.push({ path: `${at}.source_labels[${j}]`, message: "must be a string" });
      } else if (!LABEL_NAME_REGEXP.test(name)) {
        problems.push({
          path: `${at}.source_labels[${j}]`,
          message: `${quote(name)} is not a valid label name`,
        });
      } else {
        out.sourceLabels.push(name);
      }
    }
  } else if (src !== undefined && src !== null) {
    problems.push({ path: `${at}.source_labels`, message: "must be a list of label names" });
  }
  const mod = obj.modulus;
  if (mod !== undefined && mod !== null) {
    const n = typeof mod === "bigint" ? Number(mod) : mod;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) {
      problems.push({ path: `${at}.modulus`, message: "must be a non-negative integer" });
    } else if (n > Number.MAX_SAFE_INTEGER) {
      problems.push({ path: `${at}.modulus`, message: `must be at most ${Number.MAX_SAFE_INTEGER}` });
    } else {
      out.modulus = n;
    }
  }
  if (obj.action !== undefined && obj.action !== null) {
    const lower = out.action.toLowerCase();
    if (!(RELABEL_ACTIONS as readonly string[]).includes(lower)) {
      problems.push({ path: `${at}.action`, message: `unknown relabel action ${quote(out.action)}` });
    }
    out.action = lower;
  }
  return problems.length === before ? out : null;
}

/** Prometheus's `Validate()`: the first cross-field problem, with its path, or null. */
function validate(c: Normalized, at: string): RelabelProblem | null {
  const a = c.action;
  const fail = (key: string, message: string): RelabelProblem => ({ path: `${at}.${key}`, message });
  const validName = LABEL_NAME_REGEXP.test(c.targetLabel);
  const invalidTarget = `${quote(c.targetLabel)} is invalid 'target_label' for ${a} action`;
  const caseOrEqual = a === "lowercase" || a === "uppercase" || a === "keepequal" || a === "dropequal";
  if (a === "") return fail("action", "relabel action cannot be empty");
  if (c.modulus === 0 && a === "hashmod") {
    return fail("modulus", "relabel configuration for hashmod requires non-zero modulus");
  }
  if ((a === "replace" || a === "hashmod" || caseOrEqual) && c.targetLabel === "") {
    return fail("target_label", `relabel configuration for ${a} action requires 'target_label' value`);
  }
  if (a === "replace") {
    const ok = c.targetLabel.includes("$") ? isValidTargetTemplate(c.targetLabel) : validName;
    if (!ok) return fail("target_label", invalidTarget);
  }
  if (caseOrEqual && !validName) return fail("target_label", invalidTarget);
  if (caseOrEqual && c.replacement !== DEFAULT_REPLACEMENT) {
    return fail("replacement", `'replacement' can not be set for ${a} action`);
  }
  if (a === "labelmap" && !isValidTargetTemplate(c.replacement)) {
    return fail("replacement", `${quote(c.replacement)} is invalid 'replacement' for ${a} action`);
  }
  if (a === "hashmod" && !validName) return fail("target_label", invalidTarget);
  if (a === "keepequal" || a === "dropequal") {
    // Prometheus compares the regex by identity with its default, so any regex written is refused.
    const extra = c.regex !== null
      ? "regex"
      : c.modulus !== 0
      ? "modulus"
      : c.separator !== DEFAULT_SEPARATOR
      ? "separator"
      : null;
    if (extra !== null) {
      return fail(
        extra,
        `${a} action requires only 'source_labels' and \`target_label\`, and no other fields`,
      );
    }
  }
  if (a === "labeldrop" || a === "labelkeep") {
    const extra = c.sourceLabels !== null
      ? "source_labels"
      : c.targetLabel !== ""
      ? "target_label"
      : c.modulus !== 0
      ? "modulus"
      : c.separator !== DEFAULT_SEPARATOR
      ? "separator"
      : c.replacement !== DEFAULT_REPLACEMENT
      ? "replacement"
      : null;
    if (extra !== null) return fail(extra, `${a} action requires only 'regex', and no other fields`);
  }
  return null;
}

const ACT_CODES: Readonly<Record<RelabelAction, Act>> = {
  replace: Act.Replace,
  keep: Act.Keep,
  drop: Act.Drop,
  keepequal: Act.KeepEqual,
  dropequal: Act.DropEqual,
  hashmod: Act.HashMod,
  labelmap: Act.LabelMap,
  labeldrop: Act.LabelDrop,
  labelkeep: Act.LabelKeep,
  lowercase: Act.Lowercase,
  uppercase: Act.Uppercase,
};

function checkRule(raw: unknown, at: string, problems: RelabelProblem[]): CompiledRule | null {
  const c = normalize(raw, at, problems);
  if (c === null) return null;
  const regexSource = c.regex ?? DEFAULT_REGEX;
  let compiled: ReturnType<typeof compileGoRegexp> | null = null;
  try {
    compiled = compileGoRegexp(`^(?:${regexSource})$`);
  } catch (err) {
    const why = err instanceof SyntaxError ? err.message : String(err);
    problems.push({
      path: `${at}.regex`,
      message: `invalid regular expression ${quote(regexSource)}: ${why}`,
    });
  }
  const problem = validate(c, at);
  if (problem !== null) problems.push(problem);
  if (compiled === null || problem !== null) return null;
  const act = ACT_CODES[c.action as RelabelAction];
  const { regexp, groupNames } = compiled;
  return {
    act,
    sources: c.sourceLabels ?? [],
    separator: c.separator,
    regexp,
    regexpAll: new RegExp(regexp.source, regexp.flags + "g"),
    identity: regexSource === DEFAULT_REGEX,
    target: c.targetLabel,
    targetTemplate: act === Act.Replace && c.targetLabel.includes("$")
      ? compileExpandTemplate(c.targetLabel, groupNames)
      : null,
    replacement: compileExpandTemplate(c.replacement, groupNames),
    modulus: BigInt(c.modulus),
    matchesName: regexp.test("__name__"),
    memoIn: null,
    memoOut: "",
  };
}
