/**
 * The JSON mapping (a target's `json:` entries), compiled once at config load (_compile.ts) and run on each
 * parsed body. An entry selects nodes with a JSONPath (`path`), optionally walks down a member at any depth
 * from each (`recurse`), reads labels from each (`labels`, `labels_from`, `@key`, `@keypath`), and then
 * either reads metrics from it (`name` or `name_from`; _metric.ts), flattens it (`flatten`), or runs nested
 * entries on it (`metrics`), which inherit its labels. A null, missing or unusable value skips that one series
 * (counted in `skipped`); nothing in a document's content fails the scrape.
 *
 * @module
 */

import type { JsonEntry } from "../../config/types.ts";
import type { MetricFamily } from "../../model.ts";
import { type JsonNode, selectNodes } from "../../jsonpath/mod.ts";
import { flattenInto } from "./_flat.ts";
import { type Base, type Compiled, compileEntries, KEY_SOURCE, KEYPATH_SOURCE } from "./_compile.ts";
import { labelValue, type MapState, metric, setLabel } from "./_metric.ts";
import { unselectedEntries } from "./_trace.ts";

export { KEY_SOURCE, KEYPATH_SOURCE };

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

/** How deep a `recurse` walk goes below the node its path selected (as deep as the flattening reads). */
export const MAX_RECURSE_DEPTH = 100;

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
  const { roots, count } = compileEntries(entries);
  const mapWith = (doc: unknown, visits: Int32Array | null): MapState => {
    const state: MapState = {
      doc,
      byId: new Map(),
      byName: new Map(),
      flat: { families: new Map(), skipped: 0 },
      order: [],
      visits,
      produced: visits === null ? null : new Uint8Array(count),
      noName: visits === null ? null : new Int32Array(count),
    };
    const start: JsonNode = { value: doc, key: "" };
    for (const r of roots) run(r, start, "", EMPTY, state);
    return state;
  };
  return {
    map(doc) {
      return resultOf(mapWith(doc, null));
    },
    mapTraced(doc) {
      const state = mapWith(doc, new Int32Array(count));
      return { ...resultOf(state), unselected: unselectedEntries(roots, state) };
    },
  };
}

function resultOf(state: MapState): JsonMapResult {
  const families: MetricFamily[] = [];
  for (const f of state.order) if (f.samples.length > 0) families.push(f);
  return { families, skipped: state.flat.skipped };
}

const EMPTY: readonly string[] = [];

/** One entry's run from one parent node: what every node it visits shares. */
interface Walk {
  entry: Compiled;
  inherited: readonly string[];
  state: MapState;
}

/** Runs an entry on the nodes its path selects from `node` (on `node` itself for `@`). */
function run(
  entry: Compiled,
  node: JsonNode,
  keyPath: string,
  inherited: readonly string[],
  state: MapState,
): void {
  const walk: Walk = { entry, inherited, state };
  if (entry.path === null) {
    if (state.visits !== null) state.visits[entry.id]++;
    visitTree(walk, node, keyPath);
    return;
  }
  const { nodes } = selectNodes(entry.path, state.doc, node.value, node.key);
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (entry.skip !== null && entry.skip(n.key)) continue;
    if (state.visits !== null) state.visits[entry.id]++;
    visitTree(walk, n, n.key);
  }
}

/** Visits a node, then (with `recurse`) every member of its `recurse` member, depth first. */
function visitTree(walk: Walk, node: JsonNode, keyPath: string): void {
  visit(walk, node, keyPath);
  if (walk.entry.recurse !== null) descend(walk, walk.entry.recurse, node.value, keyPath, 1);
}

/** Visits each member of `value[member]` (an object or an array) and what lies under it, to a bounded depth. */
function descend(walk: Walk, member: string, value: unknown, keyPath: string, depth: number): void {
  if (depth > MAX_RECURSE_DEPTH || value === null || typeof value !== "object" || Array.isArray(value)) {
    return;
  }
  if (!Object.hasOwn(value, member)) return;
  const next = (value as Record<string, unknown>)[member];
  if (next === null || typeof next !== "object") return;
  if (Array.isArray(next)) {
    for (let i = 0; i < next.length; i++) descendInto(walk, member, String(i), next[i], keyPath, depth);
  } else {
    for (const key in next) {
      if (Object.hasOwn(next, key)) {
        descendInto(walk, member, key, (next as Record<string, unknown>)[key], keyPath, depth);
      }
    }
  }
}

/** One member found by {@linkcode descend}: visited, then walked further. */
function descendInto(
  walk: Walk,
  member: string,
  key: string,
  value: unknown,
  keyPath: string,
  depth: number,
): void {
  if (walk.entry.skip !== null && walk.entry.skip(key)) return;
  const path = keyPath === "" ? key : keyPath + "/" + key;
  visit(walk, { value, key }, path);
  descend(walk, member, value, path, depth + 1);
}

function visit({ entry, inherited, state }: Walk, node: JsonNode, keyPath: string): void {
  const labels = entry.labels.length === 0 && entry.labelsFrom === null
    ? inherited
    : withLabels(entry, node, keyPath, inherited, state.doc);
  switch (entry.kind) {
    case "group":
      for (const c of entry.children) run(c, node, keyPath, labels, state);
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
 * The inherited labels, then `labels_from`'s, then this entry's `labels`: a later one replaces an earlier one
 * of the same name. A label whose field is missing (or not a scalar) is not set, so an earlier value stays.
 */
function withLabels(
  entry: Base,
  node: JsonNode,
  keyPath: string,
  inherited: readonly string[],
  doc: unknown,
): string[] {
  const out = inherited.slice();
  if (entry.labelsFrom !== null) {
    const obj = entry.labelsFrom(doc, node.value);
    if (obj !== null && typeof obj === "object" && !Array.isArray(obj)) {
      const names = entry.labelNames!;
      for (const k in obj) {
        if (!Object.hasOwn(obj, k)) continue;
        const v = labelValue((obj as Record<string, unknown>)[k]);
        if (v === "") continue;
        const name = names.get(k);
        if (name !== "") setLabel(out, name, v);
      }
    }
  }
  for (const [name, source] of entry.labels) {
    const v = source === KEY_SOURCE
      ? node.key
      : source === KEYPATH_SOURCE
      ? keyPath
      : labelValue(source(doc, node.value));
    if (v !== "") setLabel(out, name, v);
  }
  return out;
}
