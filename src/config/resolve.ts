/**
 * Applies the flags and the config file's directory to a validated target or module: the defaults that
 * come from flags (`--upstream.timeout`, `--upstream.max-body-bytes`) and relative `file://` URLs. The
 * schema's transforms (schema.ts) have already renamed every key; the rule and JSON entry mappings they use
 * are here, since their model (types.ts) is a tagged union rather than the file's shape.
 *
 * @module
 */

import type { Flags } from "../cli/mod.ts";
import { resolveFileUrl } from "../url.ts";
import { lastMemberLabel } from "./json_names.ts";
import {
  JSON_METRIC_KEYS,
  type JsonEntryInput,
  MATCH_RULE_KEYS,
  type ModuleInput,
  type RuleInput,
  type TargetInput,
} from "./schema.ts";
import type {
  JsonEntry,
  JsonMetricOptions,
  JsonMetricType,
  MatchRuleOptions,
  ProbeModuleConfig,
  RuleConfig,
  RuleMetricType,
  ShapedMatchKey,
  ShapedMetricKey,
  TargetConfig,
} from "./types.ts";

/**
 * Resolves one target; `baseDir` is the config file's directory (for relative file URLs). The HTTP options'
 * `timeout` and `max_body_bytes` win over the target's keys of the same name, which win over the flags.
 */
export function resolveTarget(t: TargetInput, flags: Flags, baseDir: string): TargetConfig {
  return {
    ...t,
    url: resolveFileUrl(t.url, baseDir),
    timeoutMs: t.timeoutMs ?? flags.upstreamTimeoutMs,
    maxBodyBytes: t.maxBodyBytes ?? flags.maxBodyBytes,
  };
}

/** Resolves one `/probe` module into a target without a URL. */
export function resolveModule(name: string, m: ModuleInput, flags: Flags): ProbeModuleConfig {
  const { allowedTargets, ...target } = m;
  return {
    name,
    target: {
      ...target,
      name,
      url: "",
      timeoutMs: target.timeoutMs ?? flags.upstreamTimeoutMs,
      maxBodyBytes: target.maxBodyBytes ?? flags.maxBodyBytes,
    },
    allowedTargets,
  };
}

function ruleType(t: string | undefined): RuleMetricType | undefined {
  return t === undefined ? undefined : t === "untyped" ? "unknown" : t as RuleMetricType;
}

/** One rule of the file as the model's {@linkcode RuleConfig} (validate.ts has checked it has one kind). */
export function resolveRule(r: RuleInput): RuleConfig {
  if (r.include !== undefined) return { kind: "include", patterns: r.include };
  if (r.exclude !== undefined) return { kind: "exclude", patterns: r.exclude };
  if (r.rename !== undefined) return { kind: "rename", map: r.rename };
  const type = ruleType(r.type);
  return {
    ...camelCopy(r, MATCH_RULE_KEYS, SHAPED_MATCH_KEYS) as MatchRuleOptions,
    kind: "match",
    match: r.match as string,
    ...(type === undefined ? {} : { type }),
    labels: r.labels ?? {},
  };
}

/** One JSON mapping entry of the file as the model's {@linkcode JsonEntry}, with its defaults. */
export function resolveJsonEntry(e: JsonEntryInput): JsonEntry {
  const base = {
    path: e.path ?? "@",
    labels: e.labels ?? {},
    skipKeys: e.skip_keys ?? [],
    ...(e.labels_from === undefined ? {} : { labelsFrom: e.labels_from }),
    ...(e.recurse === undefined ? {} : { recurse: e.recurse }),
  };
  if (e.metrics !== undefined) return { ...base, kind: "group", metrics: e.metrics.map(resolveJsonEntry) };
  if (e.flatten !== undefined) {
    return { ...base, kind: "flatten", prefix: typeof e.flatten === "string" ? e.flatten : "" };
  }
  const shaped = e.count !== undefined || e.value_map !== undefined || e.state_label !== undefined;
  const type: JsonMetricType = e.states !== undefined
    ? "stateset"
    : e.type === undefined
    ? (shaped ? "gauge" : "unknown")
    : e.type === "untyped"
    ? "unknown"
    : e.type;
  return {
    ...base,
    ...metricOptions(e),
    kind: "metric",
    name: e.name ?? "",
    type,
    value: e.value ?? "@",
    // Set only when given, so an entry without them reads as it did before them.
    ...(e.name_from === undefined ? {} : { nameFrom: e.name_from }),
    ...(e.name_case === "snake" ? { nameCase: "snake" as const } : {}),
    ...(e.group_by === undefined ? {} : { groupLabel: e.group_label ?? lastMemberLabel(e.group_by) }),
  };
}

/** The metric keys resolved with defaults or transforms above; every other one is copied as written. */
const SHAPED_METRIC_KEYS: ReadonlySet<string> = new Set<ShapedMetricKey>([
  "type",
  "value",
  "name_case",
  "group_label",
]);

/** The match-rule keys resolved with defaults or transforms in `resolveRule`. */
const SHAPED_MATCH_KEYS: ReadonlySet<string> = new Set<ShapedMatchKey>(["type", "labels"]);

/** The schema's metric keys the entry sets, camelCased: a new key in schema.ts needs nothing here. */
function metricOptions(e: JsonEntryInput): JsonMetricOptions {
  return camelCopy(e, JSON_METRIC_KEYS, SHAPED_METRIC_KEYS) as JsonMetricOptions;
}

/**
 * The `keys` of `o` that are set and not `shaped`, each under its camelCase name. The key lists are read
 * here, not at load: schema.ts imports this module (a cycle).
 */
function camelCopy<T extends object>(
  o: T,
  keys: readonly (keyof T & string)[],
  shaped: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (shaped.has(k) || o[k] === undefined) continue;
    out[k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())] = o[k];
  }
  return out;
}
