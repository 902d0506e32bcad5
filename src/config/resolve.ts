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
import type { JsonEntryInput, ModuleInput, RuleInput, TargetInput } from "./schema.ts";
import type {
  JsonEntry,
  JsonMetricType,
  ProbeModuleConfig,
  RuleConfig,
  RuleMetricType,
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
  return {
    kind: "match",
    match: r.match as string,
    name: r.name,
    type: ruleType(r.type),
    help: r.help,
    unit: r.unit,
    labels: r.labels ?? {},
    scale: r.scale,
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
    kind: "metric",
    name: e.name ?? "",
    type,
    help: e.help,
    value: e.value ?? "@",
    count: e.count,
    valueMap: e.value_map,
    states: e.states,
    stateLabel: e.state_label,
    // The newer keys only when set, so an entry without them reads as it did before them.
    ...definedOnly({
      nameFrom: e.name_from,
      namePrefix: e.name_prefix,
      nameCase: e.name_case === "snake" ? "snake" as const : undefined,
      groupBy: e.group_by,
      groupLabel: e.group_by === undefined ? undefined : e.group_label ?? lastMemberLabel(e.group_by),
      scale: e.scale,
      timestamp: e.timestamp,
      timestampUnit: e.timestamp_unit,
    }),
  };
}

/** `o` without its `undefined` members. */
function definedOnly<T extends Record<string, unknown>>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
