/**
 * Turns a validated config file into resolved {@linkcode TargetConfig}s: snake_case keys to the typed model,
 * defaults filled in (from the flags where a flag gives one), relative `file://` URLs resolved against the
 * config file's directory.
 *
 * @module
 */

import type { Flags } from "../cli/mod.ts";
import { parseDurationMs } from "../cli/mod.ts";
import { resolveFileUrl } from "../url.ts";
import type { ConfigInput, JsonEntryInput, ModuleInput } from "./schema.ts";
import type {
  JsonEntry,
  JsonMetricType,
  ProbeModuleConfig,
  RuleConfig,
  RuleMetricType,
  TargetConfig,
} from "./types.ts";

type TargetInput = NonNullable<ConfigInput["targets"]>[number];
type RuleInput = NonNullable<TargetInput["rules"]>[number];

/**
 * Resolves one target; `baseDir` is the config file's directory (for relative file URLs). The HTTP options'
 * `timeout` and `max_body_bytes` win over the target's keys of the same name, which win over the flags.
 */
export function resolveTarget(t: TargetInput, flags: Flags, baseDir: string): TargetConfig {
  const timeoutMs = t.timeout === undefined ? undefined : parseDurationMs(t.timeout) as number;
  return {
    ...resolveShared(t, flags),
    name: t.name,
    url: resolveFileUrl(t.url, baseDir),
    timeoutMs: t.http?.timeoutMs ?? timeoutMs ?? flags.upstreamTimeoutMs,
    ...(t.min_interval === undefined ? {} : { minIntervalMs: t.min_interval }),
    ...(t.http === undefined ? {} : { http: t.http }),
  };
}

/** Resolves one `/probe` module into a target without a URL. */
export function resolveModule(name: string, m: ModuleInput, flags: Flags): ProbeModuleConfig {
  return {
    name,
    target: {
      ...resolveShared(m, flags),
      name,
      url: "",
      timeoutMs: m.http.timeoutMs ?? flags.upstreamTimeoutMs,
      minIntervalMs: m.minIntervalMs,
      http: m.http,
    },
    allowedTargets: m.allowedTargets,
  };
}

type SharedInput =
  & Pick<
    TargetInput,
    | "labels"
    | "format"
    | "namespace"
    | "rules"
    | "metric_relabel_configs"
    | "json"
    | "on_duplicate"
    | "max_body_bytes"
  >
  & { http?: { maxBodyBytes?: number } };

function resolveShared(t: SharedInput, flags: Flags) {
  return {
    labels: { ...t.labels },
    format: t.format ?? "auto",
    namespace: t.namespace ?? "",
    rules: (t.rules ?? []).map(resolveRule),
    metricRelabelConfigs: t.metric_relabel_configs ?? [],
    json: t.json?.map(resolveJsonEntry),
    onDuplicate: t.on_duplicate ?? "error",
    maxBodyBytes: t.http?.maxBodyBytes ?? t.max_body_bytes ?? flags.maxBodyBytes,
  };
}

function ruleType(t: string | undefined): RuleMetricType | undefined {
  return t === undefined ? undefined : t === "untyped" ? "unknown" : t as RuleMetricType;
}

function resolveRule(r: RuleInput): RuleConfig {
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

function resolveJsonEntry(e: JsonEntryInput): JsonEntry {
  const base = { path: e.path ?? "@", labels: e.labels ?? {}, skipKeys: e.skip_keys ?? [] };
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
    name: e.name as string,
    type,
    help: e.help,
    value: e.value ?? "@",
    count: e.count,
    valueMap: e.value_map,
    states: e.states,
    stateLabel: e.state_label,
  };
}
