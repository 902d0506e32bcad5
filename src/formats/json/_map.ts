/**
 * The JSON mapping (a target's `json:` entries), compiled once at config load and run on each parsed body.
 * An entry selects nodes with a JSONPath (`path`), reads labels from each (`labels`, `@key` for its member
 * name), and then either reads one metric from it (`name`), flattens it (`flatten`), or runs nested entries
 * on it (`metrics`), which inherit its labels. A null or missing value skips that one series (counted in
 * `skipped`); nothing in a document's content fails the scrape.
 *
 * @module
 */

import type { JsonEntry, JsonMetricEntry, JsonMetricType } from "../../config/types.ts";
import type { MetricFamily, Sample } from "../../model.ts";
import { compileNameMatcher, type NameMatcher } from "../../patterns/mod.ts";
import { coerceJsonValue, flattenInto, type FlattenSink } from "./_flat.ts";
import {
  type CompiledPath,
  compileJsonPath,
  type JsonNode,
  selectNodes,
  selectOne,
} from "../../jsonpath/mod.ts";

/** The families read from one document, and how many series were skipped. */
export interface JsonMapResult {
  /** Families in the order they first received a sample. */
  families: MetricFamily[];
  /** Series skipped for a null, missing or unusable value. */
  skipped: number;
}

/** A compiled mapping. */
export interface JsonMapping {
  /** Reads the mapped families from a parsed JSON document. Never throws for the document's content. */
  map(doc: unknown): JsonMapResult;
  /**
   * `map`, also naming each entry that read nothing from this document (for `explain` and `check`): a `path`
   * that selected no node (`json[2] path "$.foo[*]" selected nothing`), or a metric that gave no series.
   * Entries under one that selected nothing are not named: they never ran.
   */
  mapTraced(doc: unknown): JsonMapResult & { unselected: string[] };
}

/** The label source `@key`: the member name (or array index) of the selected node. */
export const KEY_SOURCE = "@key";

type LabelSource = CompiledPath | null; // null: @key

interface Base {
  id: number;
  /** Where the entry is in the config (`json[1].metrics[0]`), for `mapTraced`. */
  where: string;
  /** The `path` as written. */
  pathSource: string;
  /** `null` when the path is `@` (the node itself, no selection). */
  path: CompiledPath | null;
  labels: readonly (readonly [string, LabelSource])[];
  skip: NameMatcher | null;
}

interface MetricNode extends Base {
  kind: "metric";
  family: string;
  sampleName: string;
  type: JsonMetricType;
  help: string;
  value: CompiledPath;
  count: CompiledPath | null;
  /** `value` and `count` as written, for `mapTraced`. */
  valueSource: string;
  countSource: string | null;
  exact: Map<string, number> | null;
  regexMap: readonly (readonly [RegExp, number])[];
  star: number | undefined;
  states: readonly string[] | null;
  stateLabel: string | null;
}

interface FlattenNode extends Base {
  kind: "flatten";
  prefix: string;
}

interface GroupNode extends Base {
  kind: "group";
  children: readonly Compiled[];
}

type Compiled = MetricNode | FlattenNode | GroupNode;

/**
 * Compiles validated entries.
 *
 * @example
 * ```ts
 * import { compileJsonMapping } from "./_map.ts";
 * import assert from "node:assert/strict";
 * const m = compileJsonMapping([{
 *   kind: "metric", path: "$[*]", labels: { queue: "@.name" }, skipKeys: [],
 *   name: "queue_messages", type: "gauge", value: "@.messages",
 * }]);
 * const { families } = m.map([{ name: "a", messages: 3 }, { name: "b", messages: null }]);
 * assert.deepEqual(families[0].samples, [{ name: "queue_messages", labels: ["queue", "a"], value: 3 }]);
 * ```
 *
 * @throws {SyntaxError} For an invalid JSONPath or regex (the config loader reports these first).
 */
export function compileJsonMapping(entries: readonly JsonEntry[]): JsonMapping {
  let nextId = 0;
  const compile = (e: JsonEntry, parentPath: string, where: string): Compiled => {
    const path = e.path === "@" ? null : compileJsonPath(e.path);
    const here = joinPath(parentPath, e.path);
    const base: Base = {
      id: nextId++,
      where,
      pathSource: e.path,
      path,
      labels: Object.entries(e.labels).map(([k, v]) =>
        [k, v === KEY_SOURCE ? null : compileJsonPath(v)] as const
      ),
      skip: e.skipKeys.length > 0 ? compileNameMatcher(e.skipKeys) : null,
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
  const mapWith = (doc: unknown, visits: Int32Array | null): MapState => {
    const state: MapState = {
      doc,
      byId: new Map(),
      flat: { families: new Map(), skipped: 0 },
      order: [],
      visits,
    };
    const start: JsonNode = { value: doc, key: "" };
    for (const r of roots) run(r, start, EMPTY, state);
    return state;
  };
  return {
    map(doc) {
      return resultOf(mapWith(doc, null));
    },
    mapTraced(doc) {
      const visits = new Int32Array(nextId);
      const state = mapWith(doc, visits);
      const produced = new Set<number>();
      for (const [id, f] of state.byId) if (f.samples.length > 0) produced.add(id);
      return { ...resultOf(state), unselected: unselectedEntries(roots, visits, produced) };
    },
  };
}

function resultOf(state: MapState): JsonMapResult {
  const families: MetricFamily[] = [];
  for (const f of state.order) if (f.samples.length > 0) families.push(f);
  return { families, skipped: state.flat.skipped };
}

/** The entries that read nothing, given how often each was visited and which metrics gave a series. */
function unselectedEntries(
  roots: readonly Compiled[],
  visits: Int32Array,
  produced: ReadonlySet<number>,
): string[] {
  const out: string[] = [];
  const walk = (e: Compiled): void => {
    if (visits[e.id] === 0) {
      // Only a path can select nothing: an `@` entry runs whenever its parent does. Children never ran.
      if (e.path !== null) out.push(`${e.where} path ${JSON.stringify(e.pathSource)} selected nothing`);
      return;
    }
    if (e.kind === "group") {
      for (const c of e.children) walk(c);
    } else if (e.kind === "metric" && !produced.has(e.id)) {
      const what = e.countSource !== null
        ? `count ${JSON.stringify(e.countSource)}`
        : `value ${JSON.stringify(e.valueSource)}`;
      out.push(
        `${e.where} name ${JSON.stringify(e.family)}: ${what} gave no series (missing, null or not usable)`,
      );
    }
  };
  for (const r of roots) walk(r);
  return out;
}

const EMPTY: readonly string[] = [];

function compileMetric(e: JsonMetricEntry, base: Base, here: string): MetricNode {
  const family = e.type === "counter" && e.name.endsWith("_total")
    ? e.name.slice(0, -6)
    : e.type === "info" && e.name.endsWith("_info")
    ? e.name.slice(0, -5)
    : e.name;
  const sampleName = e.type === "counter" ? family + "_total" : e.type === "info" ? family + "_info" : family;
  let exact: Map<string, number> | null = null;
  const regexMap: [RegExp, number][] = [];
  let star: number | undefined;
  for (const [k, v] of Object.entries(e.valueMap ?? {})) {
    if (k === "*") star = v;
    else if (k.length >= 2 && k.startsWith("/") && k.endsWith("/")) {
      regexMap.push([new RegExp(`^(?:${k.slice(1, -1)})$`, "u"), v]);
    } else (exact ??= new Map()).set(k, v);
  }
  const where = e.count !== undefined ? joinPath(here, e.count) : joinPath(here, e.value);
  const help = e.help ??
    (e.count !== undefined
      ? `Number of "${where}" in the upstream JSON`
      : e.type === "info"
      ? `Fields of "${here}" in the upstream JSON`
      : e.states !== undefined || e.stateLabel !== undefined
      ? `State "${where}" in the upstream JSON`
      : `Value of "${where}" in the upstream JSON`);
  return {
    ...base,
    kind: "metric",
    family,
    sampleName,
    type: e.type,
    help,
    value: compileJsonPath(e.value),
    count: e.count === undefined ? null : compileJsonPath(e.count),
    valueSource: e.value,
    countSource: e.count ?? null,
    exact,
    regexMap,
    star,
    states: e.states ?? null,
    stateLabel: e.stateLabel ?? null,
  };
}

/** `$.a[*]` + `@.b` = `$.a[*].b`, for HELP texts. */
function joinPath(parent: string, child: string): string {
  if (child.startsWith("$")) return child;
  return parent + child.slice(1);
}

interface MapState {
  doc: unknown;
  byId: Map<number, MetricFamily>;
  flat: FlattenSink;
  /** Every family in creation order (metric families and flatten families interleaved). */
  order: MetricFamily[];
  /** Visits per entry id, counted only by `mapTraced` (`null` on the scrape path). */
  visits: Int32Array | null;
}

function run(entry: Compiled, node: JsonNode, inherited: readonly string[], state: MapState): void {
  if (entry.path === null) {
    if (state.visits !== null) state.visits[entry.id]++;
    visit(entry, node, inherited, state);
    return;
  }
  const { nodes } = selectNodes(entry.path, state.doc, node.value, node.key);
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (entry.skip !== null && entry.skip(n.key)) continue;
    if (state.visits !== null) state.visits[entry.id]++;
    visit(entry, n, inherited, state);
  }
}

function visit(entry: Compiled, node: JsonNode, inherited: readonly string[], state: MapState): void {
  const labels = entry.labels.length === 0 ? inherited : withLabels(entry, node, inherited, state.doc);
  switch (entry.kind) {
    case "group":
      for (const c of entry.children) run(c, node, labels, state);
      return;
    case "flatten": {
      const before = state.flat.families.size;
      flattenInto(node.value, { prefix: entry.prefix, labels, skip: entry.skip }, state.flat);
      if (state.flat.families.size > before) {
        const all = [...state.flat.families.values()];
        for (let i = before; i < all.length; i++) state.order.push(all[i]);
      }
      return;
    }
    case "metric":
      metric(entry, node, labels, state);
  }
}

/**
 * The inherited labels plus this entry's: an entry's label replaces an inherited one of the same name; a
 * label whose field is missing (or not a scalar) is not set, so an inherited value stays.
 */
function withLabels(entry: Base, node: JsonNode, inherited: readonly string[], doc: unknown): string[] {
  const out = inherited.slice();
  for (const [name, source] of entry.labels) {
    const v = source === null ? node.key : labelValue(selectOne(source, doc, node.value));
    let at = -1;
    for (let i = 0; i < out.length; i += 2) {
      if (out[i] === name) {
        at = i;
        break;
      }
    }
    if (v === "") continue;
    if (at >= 0) {
      out[at + 1] = v;
    } else {
      out.push(name, v);
    }
  }
  return out;
}

/** A scalar as a label value; `""` (no label) for null, missing, objects and arrays. */
function labelValue(v: unknown): string {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
    case "boolean":
      return String(v);
    default:
      return "";
  }
}

function familyFor(entry: MetricNode, state: MapState): MetricFamily {
  let f = state.byId.get(entry.id);
  if (f === undefined) {
    f = { name: entry.family, type: entry.type, help: entry.help, unit: "", samples: [] };
    state.byId.set(entry.id, f);
    state.order.push(f);
  }
  return f;
}

function metric(entry: MetricNode, node: JsonNode, labels: readonly string[], state: MapState): void {
  const doc = state.doc;
  let samples: Sample[];
  if (entry.type === "info") {
    samples = [{ name: entry.sampleName, labels: labels as string[], value: 1 }];
  } else if (entry.count !== null) {
    const sel = selectNodes(entry.count, doc, node.value, node.key);
    if (sel.nodes.length === 0 && sel.missing) return skip(state);
    samples = [{ name: entry.sampleName, labels: labels as string[], value: sel.nodes.length }];
  } else {
    const raw = selectOne(entry.value, doc, node.value);
    if (raw === undefined || raw === null) return skip(state);
    if (entry.states !== null) {
      const current = labelValue(raw);
      if (current === "") return skip(state);
      samples = entry.states.map((st) => ({
        name: entry.sampleName,
        labels: [...labels, entry.family, st],
        value: st === current ? 1 : 0,
      }));
    } else if (entry.stateLabel !== null) {
      const current = labelValue(raw);
      if (current === "") return skip(state);
      samples = [{ name: entry.sampleName, labels: [...labels, entry.stateLabel, current], value: 1 }];
    } else {
      const value = entry.exact !== null || entry.regexMap.length > 0 || entry.star !== undefined
        ? mapValue(entry, raw)
        : coerceJsonValue(raw);
      if (value === undefined) return skip(state);
      samples = [{ name: entry.sampleName, labels: labels as string[], value }];
    }
  }
  const f = familyFor(entry, state);
  for (const s of samples) f.samples.push(s);
}

/** Looks a value up in the value map: exact keys, then regex keys in order, then `*`. */
function mapValue(entry: MetricNode, raw: unknown): number | undefined {
  const key = labelValue(raw);
  if (key === "" && typeof raw !== "string") return undefined;
  const exact = entry.exact?.get(key);
  if (exact !== undefined) return exact;
  for (const [re, v] of entry.regexMap) if (re.test(key)) return v;
  return entry.star;
}

function skip(state: MapState): void {
  state.flat.skipped++;
}
