/**
 * The resolved configuration: what flags and config files become after validation and defaults. Every later
 * stage reads these types, never raw YAML. {@linkcode TargetConfig} is derived from the schema's transform
 * (schema.ts), so a target key is named there only; rules and JSON entries are tagged unions written here,
 * since their shape differs from the file's. docs/CONFIG.md describes every field from the user's side.
 *
 * @module
 */

import type { TargetFile, TargetInput } from "./schema.ts";

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

/** Match a name against an anchored regex; named groups become labels; may rename and set metadata. */
export interface MatchRule {
  /** Discriminant. */
  kind: "match";
  /** The regular expression (JavaScript syntax, anchored at both ends). */
  match: string;
  /** New name; `$1`, `${1}` and `${group}` refer to capture groups. Absent: the name is kept. */
  name?: string;
  /** New type (only for counter, gauge and unknown families). */
  type?: RuleMetricType;
  /** New HELP text. */
  help?: string;
  /** New UNIT (must be the last part of the name). */
  unit?: string;
  /** Extra labels; values may refer to capture groups like `name`. */
  labels: Record<string, string>;
  /** Factor applied to every value (counter, gauge and unknown families). */
  scale?: number;
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

/** One metric read from each selected node. */
export interface JsonMetricEntry extends JsonEntryBase {
  /** Discriminant. */
  kind: "metric";
  /** The metric name (the rules see it as the upstream name); `""` when `nameFrom` names each series. */
  name: string;
  /** JSONPath (relative to the node) of a string that, sanitised, is the metric name. */
  nameFrom?: string;
  /** Prepended to the name read by `nameFrom`. */
  namePrefix?: string;
  /** `snake`: a name read by `nameFrom` goes from camelCase to snake_case; default as sent. */
  nameCase?: "snake";
  /** The metric type; default `unknown`, or `gauge` for `count`, `value_map` and `state_label`. */
  type: JsonMetricType;
  /** HELP text; default names the JSON path. */
  help?: string;
  /** JSONPath of the value inside the node (singular); default `@`. */
  value: string;
  /** JSONPath whose number of selected nodes is the value (instead of `value`). */
  count?: string;
  /** String (or number/boolean) values to numbers; keys may be `*` (anything else) or `/regex/`. */
  valueMap?: Record<string, number>;
  /** Stateset states: one sample per state, 1 for the current one. */
  states?: string[];
  /** The string value becomes this label, with the value 1 (with `states`: the stateset's label name). */
  stateLabel?: string;
  /** JSONPath (relative to each node `count` selects) of a value: one count per distinct value. */
  groupBy?: string;
  /** The label of the `groupBy` value; default the last member name of its path. */
  groupLabel?: string;
  /** Factor applied to counter, gauge and untyped values. */
  scale?: number;
  /** JSONPath (relative to the node) of a number that is the sample's timestamp. */
  timestamp?: string;
  /** The unit of `timestamp`'s numbers; default milliseconds. */
  timestampUnit?: "seconds" | "milliseconds";
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
