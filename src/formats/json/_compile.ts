/**
 * The JSON mapping's entries compiled once at config load: every JSONPath compiled (with a reader for the
 * paths that take one value), value-map regexes built, default HELP texts written, name caches made. The
 * compiled tree is what _map.ts runs on each document.
 *
 * @module
 */

import type { JsonEntry, JsonMetricEntry, JsonMetricType } from "../../config/types.ts";
import { sanitizeName } from "../../config/json_names.ts";
import { compileMatchRegex, compileNameMatcher, type NameMatcher } from "../../patterns/mod.ts";
import { type CompiledPath, compileJsonPath, selectNodes, selectOne } from "../../jsonpath/mod.ts";
import { SanitizeCache } from "./_names.ts";

/** The label source `@key`: the member name (or array index) of the selected node. */
export const KEY_SOURCE = "@key";
/** The label source `@keypath`: the member names from the first level of a `recurse` walk, joined by `/`. */
export const KEYPATH_SOURCE = "@keypath";

/** Reads one value from a node: the first node a path selects, `undefined` for none. */
export type Reader = (doc: unknown, current: unknown) => unknown;

/** A label's source: a reader, or the node's key (`@key`) or key path (`@keypath`). */
export type LabelSource = Reader | typeof KEY_SOURCE | typeof KEYPATH_SOURCE;

/** What every compiled entry has. */
export interface Base {
  /** Index in depth-first order (for `mapTraced`'s counts). */
  id: number;
  /** Where the entry is in the config (`json[1].metrics[0]`), for `mapTraced`. */
  where: string;
  /** The `path` as written. */
  pathSource: string;
  /** `null` when the path is `@` (the node itself, no selection). */
  path: CompiledPath | null;
  labels: readonly (readonly [string, LabelSource])[];
  /** `labels_from`: the object whose scalar members become labels. */
  labelsFrom: Reader | null;
  /** Label names sanitised from `labels_from` member names (`""`: not a usable name). */
  labelNames: SanitizeCache<string> | null;
  skip: NameMatcher | null;
  /** `recurse`: the member holding the next level, or `null`. */
  recurse: string | null;
}

/** A metric's family and sample names. */
export interface Naming {
  family: string;
  sampleName: string;
}

/** A metric entry (`name` or `name_from`). */
export interface MetricNode extends Base {
  kind: "metric";
  /** The fixed name; for `name_from`, empty (each node's name comes from `names`). */
  naming: Naming;
  /** `name_from`: reads the raw name. */
  nameFrom: Reader | null;
  /** `name_from`: raw string to naming, `null` when it sanitises to nothing. */
  names: SanitizeCache<Naming | null> | null;
  /** The entry's name (or `name_from` path) for messages. */
  title: string;
  type: JsonMetricType;
  help: string;
  value: CompiledPath;
  count: CompiledPath | null;
  /** `value` and `count` as written, for `mapTraced`. */
  valueSource: string;
  countSource: string | null;
  groupBy: Reader | null;
  groupBySource: string | null;
  groupLabel: string;
  exact: Map<string, number> | null;
  regexMap: readonly (readonly [RegExp, number])[];
  star: number | undefined;
  states: readonly string[] | null;
  /** The stateset's state label: `state_label`, or the family name. */
  statesLabel: string;
  stateLabel: string | null;
  /** 1 when there is no `scale` (or the type does not scale). */
  scale: number;
  timestamp: Reader | null;
  /** Milliseconds per unit of the timestamp field. */
  timestampFactor: number;
}

/** A `flatten` entry. */
export interface FlattenNode extends Base {
  kind: "flatten";
  prefix: string;
}

/** A `metrics` entry. */
export interface GroupNode extends Base {
  kind: "group";
  children: readonly Compiled[];
}

/** One compiled entry. */
export type Compiled = MetricNode | FlattenNode | GroupNode;

/** Compiled entries, and how many entries there are at all depths. */
export interface CompiledTree {
  roots: Compiled[];
  count: number;
}

/** A reader for a path: {@linkcode selectOne} for a singular path, the first selected node for any other. */
export function readerOf(source: string): Reader {
  const p = compileJsonPath(source);
  if (p.singular) return (doc, current) => selectOne(p, doc, current);
  return (doc, current) => {
    const { nodes } = selectNodes(p, doc, current);
    return nodes.length === 0 ? undefined : nodes[0].value;
  };
}

/** Compiles validated entries (in config order) into a tree. */
export function compileEntries(entries: readonly JsonEntry[]): CompiledTree {
  let nextId = 0;
  const compile = (e: JsonEntry, parentPath: string, where: string): Compiled => {
    const here = joinPath(parentPath, e.path);
    const base: Base = {
      id: nextId++,
      where,
      pathSource: e.path,
      path: e.path === "@" ? null : compileJsonPath(e.path),
      labels: Object.entries(e.labels).map(([k, v]) =>
        [k, v === KEY_SOURCE || v === KEYPATH_SOURCE ? v : readerOf(v)] as const
      ),
      labelsFrom: e.labelsFrom === undefined ? null : readerOf(e.labelsFrom),
      labelNames: e.labelsFrom === undefined
        ? null
        : new SanitizeCache((raw) => sanitizeName(raw, { snake: false, prefix: "" })),
      skip: e.skipKeys.length > 0 ? compileNameMatcher(e.skipKeys) : null,
      recurse: e.recurse ?? null,
    };
    if (e.kind === "group") {
      return {
        ...base,
        kind: "group",
        children: e.metrics.map((c, i) => compile(c, here, `${where}.metrics[${i}]`)),
      };
    }
    if (e.kind === "flatten") {
      return { ...base, kind: "flatten", prefix: e.prefix === "" ? "" : e.prefix + "_" };
    }
    return compileMetric(e, base, here);
  };
  const roots = entries.map((e, i) => compile(e, "$", `json[${i}]`));
  return { roots, count: nextId };
}

/** The family and sample names of `name` for a metric of `type` (`_total` and `_info` are suffixes). */
function namingOf(name: string, type: JsonMetricType): Naming {
  const family = type === "counter" && name.endsWith("_total")
    ? name.slice(0, -6)
    : type === "info" && name.endsWith("_info")
    ? name.slice(0, -5)
    : name;
  const sampleName = type === "counter" ? family + "_total" : type === "info" ? family + "_info" : family;
  return { family, sampleName };
}

function compileMetric(e: JsonMetricEntry, base: Base, here: string): MetricNode {
  let exact: Map<string, number> | null = null;
  const regexMap: [RegExp, number][] = [];
  let star: number | undefined;
  for (const [k, v] of Object.entries(e.valueMap ?? {})) {
    if (k === "*") star = v;
    else if (k.length >= 2 && k.startsWith("/") && k.endsWith("/")) {
      regexMap.push([compileMatchRegex(k.slice(1, -1)), v]);
    } else (exact ??= new Map()).set(k, v);
  }
  const where = e.count !== undefined ? joinPath(here, e.count) : joinPath(here, e.value);
  const help = e.help ??
    (e.count !== undefined
      ? `Number of "${where}"${e.groupBy === undefined ? "" : ` by "${e.groupBy}"`} in the upstream JSON`
      : e.type === "info"
      ? `Fields of "${here}" in the upstream JSON`
      : e.states !== undefined || e.stateLabel !== undefined
      ? `State "${where}" in the upstream JSON`
      : `Value of "${where}" in the upstream JSON`);
  const type = e.type;
  const naming = namingOf(e.name, type);
  const snake = e.nameCase === "snake";
  const prefix = e.namePrefix ?? "";
  const scalar = type === "counter" || type === "gauge" || type === "unknown";
  return {
    ...base,
    kind: "metric",
    naming,
    nameFrom: e.nameFrom === undefined ? null : readerOf(e.nameFrom),
    names: e.nameFrom === undefined ? null : new SanitizeCache((raw) => {
      const name = sanitizeName(raw, { snake, prefix });
      return name === "" ? null : namingOf(name, type);
    }),
    title: e.nameFrom === undefined
      ? `name ${JSON.stringify(e.name)}`
      : `name_from ${JSON.stringify(e.nameFrom)}`,
    type,
    help,
    value: compileJsonPath(e.value),
    count: e.count === undefined ? null : compileJsonPath(e.count),
    valueSource: e.value,
    countSource: e.count ?? null,
    groupBy: e.groupBy === undefined ? null : readerOf(e.groupBy),
    groupBySource: e.groupBy ?? null,
    groupLabel: e.groupLabel ?? "",
    exact,
    regexMap,
    star,
    states: e.states ?? null,
    statesLabel: e.stateLabel ?? "",
    stateLabel: e.states === undefined ? e.stateLabel ?? null : null,
    scale: scalar && e.scale !== undefined ? e.scale : 1,
    timestamp: e.timestamp === undefined ? null : readerOf(e.timestamp),
    timestampFactor: e.timestampUnit === "seconds" ? 1000 : 1,
  };
}

/** `$.a[*]` + `@.b` = `$.a[*].b`, for HELP texts. */
function joinPath(parent: string, child: string): string {
  if (child.startsWith("$")) return child;
  return parent + child.slice(1);
}
