/**
 * The resolved configuration: what flags and config files become after validation and defaults. Every later
 * stage reads these types, never raw YAML. {@linkcode TargetConfig} is derived from the schema's transform
 * (schema.ts), so a target key is named there only; rules and JSON entries are tagged unions written here,
 * since their shape differs from the file's. docs/CONFIG.md describes every field from the user's side.
 *
 * @module
 */

import type { JsonMetricInput, MatchRuleInput, TargetFile, TargetInput } from "./schema.ts";

/** Upstream formats; `auto` picks one from the Content-Type, then from the first byte. */
export type UpstreamFormat = NonNullable<TargetFile["format"]>;

/** What to do when two series end up with the same name and labels after the rules. */
export type DuplicatePolicy = NonNullable<TargetFile["on_duplicate"]>;

/** The types a `match` rule may set (`untyped` in a file is read as `unknown`). */
export type RuleMetricType = "counter" | "gauge" | "unknown";

/** Keep only names matching one of the patterns (exact, glob `a_*`, or regex `/.../`). */
export interface IncludeRule {
  /** Discriminant. */
  kind: "include";
  /** The patterns. */
  patterns: string[];
}

/** Drop names matching one of the patterns (exact, glob or regex). */
export interface ExcludeRule {
  /** Discriminant. */
  kind: "exclude";
  /** The patterns. */
  patterns: string[];
}

/** Rename exactly: `{old: new}`. */
export interface RenameRule {
  /** Discriminant. */
  kind: "rename";
  /** Old name to new name. */
  map: Record<string, string>;
}

/** The match-rule keys the resolver gives defaults or reads differently, typed on {@linkcode MatchRule}. */
export type ShapedMatchKey = "type" | "labels";

/**
 * The other match-rule keys of the schema (schema.ts `matchRuleShape`), as the file wrote them, in camelCase
 * and only when set: `name` (new name; `$1`, `${1}`, `${group}` insert capture groups), `help`, `unit` (the
 * last part of the name), `scale` (a factor for counter, gauge and unknown values). A key added to the
 * schema appears here (and in the resolved rule) by itself.
 */
export type MatchRuleOptions = {
  [K in Exclude<keyof MatchRuleInput, ShapedMatchKey> as CamelCase<K>]?: NonNullable<MatchRuleInput[K]>;
};

/** Match a name against an anchored regex; named groups become labels; may rename and set metadata. */
export interface MatchRule extends MatchRuleOptions {
  /** Discriminant. */
  kind: "match";
  /** The regular expression (JavaScript syntax, anchored at both ends). */
  match: string;
  /** New type (only for counter, gauge and unknown families; `untyped` in a file is read as `unknown`). */
  type?: RuleMetricType;
  /** Extra labels; values may refer to capture groups like `name`. */
  labels: Record<string, string>;
}

/** One rule, as validated from the config (see docs/CONFIG.md "Rules"). */
export type RuleConfig = IncludeRule | ExcludeRule | RenameRule | MatchRule;

/** The metric types a JSON mapping entry may produce. */
export type JsonMetricType = "counter" | "gauge" | "unknown" | "info" | "stateset";

/** Fields shared by every JSON mapping entry. */
interface JsonEntryBase {
  /** JSONPath selecting the nodes this entry works on; `@` (the current node) by default. */
  path: string;
  /** Labels read from each selected node: label name to a JSONPath, or `@key` for the node's member name. */
  labels: Record<string, string>;
  /** Member names (exact, glob or `/regex/`) skipped when selecting and when flattening. */
  skipKeys: string[];
  /** JSONPath of an object whose scalar members all become labels (names sanitised); `labels` win. */
  labelsFrom?: string;
  /** Also run on each member of the node's member of this name, at any depth (`@keypath` names them). */
  recurse?: string;
}

/** `snake_case` as `camelCase`, as a type (`timestamp_unit` → `timestampUnit`). */
export type CamelCase<S extends string> = S extends `${infer H}_${infer T}`
  ? `${H}${Capitalize<CamelCase<T>>}`
  : S;

/** The metric keys the resolver gives defaults or reads differently, typed on {@linkcode JsonMetricEntry}. */
export type ShapedMetricKey = "type" | "value" | "name_case" | "group_label";

/**
 * The other metric keys of the schema (schema.ts `jsonMetricShape`), as the file wrote them, in camelCase and
 * only when set: a key added to the schema appears here (and in the resolved entry) by itself.
 */
export type JsonMetricOptions = {
  [K in Exclude<keyof JsonMetricInput, ShapedMetricKey> as CamelCase<K>]?: NonNullable<JsonMetricInput[K]>;
};

/**
 * One metric read from each selected node. Besides the fields below: `help`, `count`, `valueMap`, `states`,
 * `stateLabel`, `namePrefix`, `groupBy`, `scale`, `timestamp`, `timestampUnit` ({@linkcode JsonMetricOptions},
 * described in the schema and docs/CONFIG.md).
 */
export interface JsonMetricEntry extends JsonEntryBase, JsonMetricOptions {
  /** Discriminant. */
  kind: "metric";
  /** The metric name (the rules see it as the upstream name); `""` when `nameFrom` names each series. */
  name: string;
  /** JSONPath (relative to the node) of a string that, sanitised, is the metric name. */
  nameFrom?: string;
  /** `snake`: a name read by `nameFrom` goes from camelCase to snake_case; default as sent. */
  nameCase?: "snake";
  /** The metric type; default `unknown`, or `gauge` for `count`, `value_map` and `state_label`. */
  type: JsonMetricType;
  /** JSONPath of the value inside the node (singular); default `@`. */
  value: string;
  /** The label of the `groupBy` value; default the last member name of its path. */
  groupLabel?: string;
}

/** Every numeric leaf under each selected node, named by its key path (the seed's mapping). */
export interface JsonFlattenEntry extends JsonEntryBase {
  /** Discriminant. */
  kind: "flatten";
  /** Name prefix joined with `_`; `""` for none. */
  prefix: string;
}

/** Entries evaluated against each selected node, inheriting its labels. */
export interface JsonGroupEntry extends JsonEntryBase {
  /** Discriminant. */
  kind: "group";
  /** The nested entries. */
  metrics: JsonEntry[];
}

/** One JSON mapping entry. */
export type JsonEntry = JsonMetricEntry | JsonFlattenEntry | JsonGroupEntry;

/** `T` with the keys whose value may be `undefined` made optional, so a literal may leave them out. */
type OptionalWhenUndefined<T> =
  & { [K in keyof T as undefined extends T[K] ? never : K]: T[K] }
  & { [K in keyof T as undefined extends T[K] ? K : never]?: T[K] };

/** The keys whose defaults come from flags: required once resolved. */
type FlagDefaulted = "timeoutMs" | "maxBodyBytes";

/**
 * One upstream target, fully resolved: the output of the schema's target transform (schema.ts) with the
 * flag defaults applied. Keys (docs/CONFIG.md): `name`, `url` (relative `file://` resolved), `labels`,
 * `format`, `namespace` (`""` for none), `rules`, `metricRelabelConfigs` (snake_case as written), `json`
 * (`undefined`: flatten the whole document), `onDuplicate`, `timeoutMs`, `maxBodyBytes`, `minIntervalMs`
 * (absent: off), `http` (absent: defaults).
 */
export type TargetConfig =
  & OptionalWhenUndefined<Omit<TargetInput, FlagDefaulted>>
  & { [K in FlagDefaulted]-?: NonNullable<TargetInput[K]> };

/** One `/probe` module: a target without a fixed URL, plus the targets it may probe. */
export interface ProbeModuleConfig {
  /** The module's name, the `module` query parameter. */
  name: string;
  /** Everything a scrape needs but the URL (`url` is `""`; `/probe` supplies it). */
  target: TargetConfig;
  /** Allow-list entries; `undefined` when the module has none (then only `--probe.allow-any-target` opens it). */
  allowedTargets?: string[];
}

/** The whole exporter configuration. */
export interface ExporterConfig {
  /** Static targets served on the telemetry path. */
  targets: TargetConfig[];
  /** `/probe` modules, in file order. */
  modules: ProbeModuleConfig[];
  /** The directory relative paths resolve against (the config file's, or the working directory). */
  baseDir: string;
}
