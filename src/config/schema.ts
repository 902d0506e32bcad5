/**
 * The config file's shape as one zod schema: strict objects (unknown keys are errors), types and enums.
 * Each target and module key is named here once, with its transform into the typed model beside it, so
 * `types.ts` derives the model (`TargetConfig`) from this schema and `resolve.ts` only applies the flags.
 * Checks that need more than one field, or a compiler (regexes, JSONPath, relabel rules), live in
 * `validate.ts`. `scripts/gen_schema.ts` turns this schema into `schema/config.schema.json` for editors.
 *
 * @module
 */

import { z } from "zod";
import { RELABEL_ACTIONS } from "../relabel/mod.ts";
import { parseDurationMs } from "../duration.ts";
import { durationSchema, httpOptionsSchema } from "./http_options.ts";
import { moduleSchemaWith, modulesSchemaOf } from "./modules.ts";
import { resolveJsonEntry, resolveRule } from "./resolve.ts";

const patternList = z.array(z.string()).describe(
  "Metric names: exact (`exclude_me`), globs with `*` and `?` (`node_cpu_*`) or regexes between slashes (`/go_.+/`)",
);

const labelMap = z.record(z.string(), z.string());

/**
 * The keys only a `match` rule takes. A key added here is validated (only on a match rule), resolved into
 * the model in camelCase (resolve.ts) and typed on `MatchRule` (types.ts) without being named anywhere else.
 */
export const matchRuleShape = {
  name: z.string().optional().describe(
    "match: the new name; `$1`, `${1}` and `${group}` insert capture groups",
  ),
  type: z.enum(["counter", "gauge", "untyped", "unknown"]).optional().describe(
    "match: the new type (counters get `_total`)",
  ),
  help: z.string().optional().describe("match: the new HELP text"),
  unit: z.string().optional().describe("match: the UNIT (must be the last part of the name, e.g. `seconds`)"),
  labels: labelMap.optional().describe("match: extra labels; values may insert capture groups like `name`"),
  scale: z.number().optional().describe(
    "match: factor applied to values, e.g. 0.001 for milliseconds to seconds",
  ),
};

/** One rule: exactly one of `include`, `exclude`, `rename`, `match` (with its options). */
export const ruleSchema = z.object({
  include: patternList.optional().describe("Keep only metrics whose name matches one of these patterns"),
  exclude: patternList.optional().describe("Drop metrics whose name matches one of these patterns"),
  rename: z.record(z.string(), z.string()).optional().describe("Exact renames: `{old_name: new_name}`"),
  match: z.string().optional().describe(
    "Regular expression matched against the whole name; named groups `(?<code>...)` become labels",
  ),
  ...matchRuleShape,
}).strict();

/** One relabel config, with exactly Prometheus's keys (validated by the relabel engine). */
export const relabelSchema = z.object({
  source_labels: z.array(z.string()).optional(),
  separator: z.string().optional(),
  target_label: z.string().optional(),
  regex: z.string().optional(),
  modulus: z.number().int().optional(),
  replacement: z.string().optional(),
  action: z.enum(RELABEL_ACTIONS).optional(),
}).strict();

/**
 * The keys only a metric entry (`name` or `name_from`) takes. A key added here is validated (only on a metric
 * entry), resolved into the model in camelCase (`timestamp_unit` → `timestampUnit`, resolve.ts) and typed on
 * {@linkcode JsonMetricEntry} (types.ts) without being named anywhere else.
 */
export const jsonMetricShape = {
  name_prefix: z.string().optional().describe("With `name_from`: prepended to the name"),
  name_case: z.enum(["as_sent", "snake"]).optional().describe(
    "With `name_from`: `snake` turns camelCase into snake_case; default `as_sent`",
  ),
  type: z.enum(["counter", "gauge", "untyped", "unknown", "info", "stateset"]).optional(),
  help: z.string().optional(),
  value: z.string().optional().describe("JSONPath of the value inside each node; default `@`"),
  count: z.string().optional().describe("JSONPath whose number of matches is the value"),
  value_map: z.record(z.string(), z.number()).optional().describe(
    "String values to numbers; keys may be `*` or /regex/",
  ),
  states: z.array(z.string()).optional().describe("A stateset: one sample per state"),
  state_label: z.string().optional().describe(
    "The string value becomes this label, with the value 1; with `states`, the stateset's label name",
  ),
  group_by: z.string().optional().describe(
    "With `count`: JSONPath in each counted node; one series per distinct value",
  ),
  group_label: z.string().optional().describe(
    "The label of the `group_by` value; default the last member name of its path",
  ),
  scale: z.number().optional().describe("Factor applied to counter, gauge and untyped values"),
  timestamp: z.string().optional().describe("JSONPath of a number in each node: the sample's timestamp"),
  timestamp_unit: z.enum(["seconds", "milliseconds"]).optional().describe(
    "The unit of `timestamp`; default milliseconds",
  ),
};

/** A JSON entry's keys but `metrics`, which nests entries (added below, where the schema can name itself). */
const jsonEntryFields = z.object({
  path: z.string().optional().describe("JSONPath of the nodes to read, e.g. `$.queues[*]`; default `@`"),
  labels: labelMap.optional().describe("Labels from each node: a JSONPath such as `@.name`, or `@key`"),
  skip_keys: z.array(z.string()).optional().describe("Member names to skip (exact, glob or /regex/)"),
  labels_from: z.string().optional().describe(
    "JSONPath of an object whose scalar members all become labels (names sanitised); `labels` win",
  ),
  recurse: z.string().optional().describe(
    "Also run on each member of the node's member of this name, at any depth; `@keypath` names them (`db/primary`)",
  ),
  name: z.string().optional().describe("The metric name"),
  name_from: z.string().optional().describe(
    "Instead of `name`: JSONPath of a string in each node that, sanitised, is the metric name",
  ),
  ...jsonMetricShape,
  flatten: z.union([z.boolean(), z.string()]).optional().describe(
    "Every number under the node, named by its key path; a string is a name prefix",
  ),
});

/** One JSON mapping entry: a metric (`name`), a flattening (`flatten`) or a group (`metrics`). */
export const jsonEntrySchema = jsonEntryFields.extend({
  get metrics(): z.ZodOptional<z.ZodArray<typeof jsonEntrySchema>> {
    return z.array(jsonEntrySchema).optional().describe("Entries read from each node, inheriting its labels");
  },
}).strict().meta({ id: "JsonEntry" });

/** One JSON mapping entry as the file holds it (recursive through `metrics`). */
export type JsonEntryInput = z.output<typeof jsonEntrySchema>;

/** The metric-only keys of a JSON entry as the file holds them. */
export type JsonMetricInput = { [K in keyof typeof jsonMetricShape]: z.output<(typeof jsonMetricShape)[K]> };

/** The names of {@linkcode jsonMetricShape}'s keys, in file order. */
export const JSON_METRIC_KEYS = Object.keys(jsonMetricShape) as (keyof typeof jsonMetricShape)[];

/** One rule as the file holds it. */
export type RuleInput = z.output<typeof ruleSchema>;

/** The match-only keys of a rule as the file holds them. */
export type MatchRuleInput = { [K in keyof typeof matchRuleShape]: z.output<(typeof matchRuleShape)[K]> };

/** The names of {@linkcode matchRuleShape}'s keys, in file order. */
export const MATCH_RULE_KEYS = Object.keys(matchRuleShape) as (keyof typeof matchRuleShape)[];

/** The keys a target shares with a `/probe` module: how a body becomes metrics. */
const sharedShape = {
  labels: labelMap.optional().describe("Static labels added to every series of this target"),
  format: z.enum(["auto", "json", "prometheus", "openmetrics"]).optional().describe(
    "Upstream format; `auto` (default) reads the Content-Type",
  ),
  namespace: z.string().optional().describe("Prefix for every name from this target (joined with `_`)"),
  max_body_bytes: z.number().int().optional().describe(
    "Cap on the body; default `--upstream.max-body-bytes`",
  ),
  on_duplicate: z.enum(["error", "first", "last", "sum"]).optional().describe(
    "Two series with one name and label set after the rules: `error` (default) fails the scrape",
  ),
  rules: z.array(ruleSchema).optional().describe("Rules, applied in order to each metric name"),
  metric_relabel_configs: z.array(relabelSchema).optional().describe(
    "Prometheus metric_relabel_configs, applied after the rules",
  ),
  json: z.array(jsonEntrySchema).optional().describe(
    "How a JSON body becomes metrics; default: every number, named by its key path",
  ),
};

/**
 * The shared keys in the model's names (`types.ts` `TargetConfig`), with every default that needs no flag.
 * `maxBodyBytes` (and a target's `timeoutMs`) stay `undefined` when unset: `resolve.ts` takes them from the flags.
 */
function sharedModel(
  s: z.output<z.ZodObject<typeof sharedShape>>,
  http: { maxBodyBytes?: number } | undefined,
) {
  return {
    labels: { ...s.labels },
    format: s.format ?? "auto",
    namespace: s.namespace ?? "",
    rules: (s.rules ?? []).map(resolveRule),
    metricRelabelConfigs: (s.metric_relabel_configs ?? []) as unknown[],
    json: s.json?.map(resolveJsonEntry),
    onDuplicate: s.on_duplicate ?? "error",
    // The HTTP options' `max_body_bytes` wins over the key of the same name beside them.
    maxBodyBytes: http?.maxBodyBytes ?? s.max_body_bytes,
  };
}

/** One upstream target; its output is the target in the model's names, before the flags fill the defaults. */
export const targetSchema = z.object({
  name: z.string().describe("The target's name: logs and the `target` label of the exporter's own metrics"),
  url: z.string().describe("The upstream: http://, https:// or file://"),
  ...sharedShape,
  timeout: z.string().optional().describe("Cap on one fetch, e.g. `10s`; default `--upstream.timeout`"),
  http: httpOptionsSchema.optional().describe("Upstream HTTP options: headers, auth, TLS, proxy, redirects"),
  min_interval: durationSchema.optional().describe(
    "Serve the last good result for this long without fetching (off by default; staleness is exposed)",
  ),
}).strict().transform((t) => ({
  ...sharedModel(t, t.http),
  name: t.name,
  url: t.url,
  // validate.ts reports a bad `timeout`; the HTTP options' `timeout` wins over it.
  timeoutMs: t.http?.timeoutMs ?? (t.timeout === undefined ? undefined : parseDurationMs(t.timeout)),
  ...(t.min_interval === undefined ? {} : { minIntervalMs: t.min_interval }),
  ...(t.http === undefined ? {} : { http: t.http }),
}));

/**
 * One `/probe` module: the target keys without `name` and `url`, plus `http`, `allowed_targets` and
 * `min_interval`. Its output is a target without name and URL, plus the module's `allowedTargets`.
 */
export const moduleSchema = moduleSchemaWith(sharedShape).transform((m) => ({
  ...sharedModel(m, m.http),
  timeoutMs: m.http.timeoutMs,
  minIntervalMs: m.minIntervalMs,
  http: m.http,
  allowedTargets: m.allowedTargets,
}));

/** One module as validated (the model's names; the flags not yet applied). */
export type ModuleInput = z.output<typeof moduleSchema>;

/** One target as validated (the model's names; the flags not yet applied). */
export type TargetInput = z.output<typeof targetSchema>;

/** One target as the file holds it (snake_case keys). */
export type TargetFile = z.input<typeof targetSchema>;

/** The whole file: static `targets`, `/probe` `modules`, or both. */
export const configSchema = z.object({
  $schema: z.string().optional().describe("Path or URL of this JSON Schema (for editors)"),
  targets: z.array(targetSchema).min(1).optional().describe("The upstreams served on /metrics"),
  modules: modulesSchemaOf(moduleSchema).optional().describe(
    "Modules for GET /probe?target=URL&module=NAME (docs/OPERATIONS.md)",
  ),
}).strict().refine((c) => c.targets !== undefined || c.modules !== undefined, {
  message: 'the file needs "targets", "modules" or both',
  path: ["targets"],
}).describe("prom-exporter config file (docs/CONFIG.md)");

/** The validated file: targets and modules in the model's names, the flags and base directory not yet applied. */
export type ConfigInput = z.output<typeof configSchema>;

/** The JSON Schema of the config file, as `schema/config.schema.json` holds it. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: "input" }) as Record<string, unknown>;
}

/** The text of `schema/config.schema.json`: the JSON Schema, 2-space indented, with a final newline. */
export function configSchemaText(): string {
  const schema = { ...configJsonSchema() };
  schema.title = "prom-exporter config";
  return JSON.stringify(schema, null, 2) + "\n";
}

/** The keys an object at `path` (a key path into the file) may have, for "did you mean" hints. */
export function allowedKeysAt(path: readonly (string | number)[]): string[] {
  let s: z.ZodType = configSchema;
  // Optional wrappers, and the transforms that turn module and HTTP option objects into their typed form.
  const unwrap = () => {
    for (;;) {
      if (s instanceof z.ZodOptional || s instanceof z.ZodDefault) s = s.unwrap() as z.ZodType;
      else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
      else return;
    }
  };
  for (const seg of path) {
    unwrap();
    if (typeof seg === "number" && s instanceof z.ZodArray) s = s.element as z.ZodType;
    else if (typeof seg === "string" && s instanceof z.ZodObject) s = s.shape[seg] as z.ZodType;
    else if (typeof seg === "string" && s instanceof z.ZodRecord) s = s.valueType as z.ZodType;
    else return [];
    if (s === undefined) return [];
  }
  unwrap();
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}
