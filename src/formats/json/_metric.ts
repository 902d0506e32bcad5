/**
 * One metric entry run on one node: its name (`name`, or `name_from` sanitised through the entry's cache),
 * its samples (a value, a value map, a state label, a stateset, a count or grouped counts, an info), scaled,
 * with the node's timestamp, appended to the family of that name.
 *
 * @module
 */

import type { MetricFamily, Sample } from "../../model.ts";
import { type JsonNode, selectNodes, selectOne } from "../../jsonpath/mod.ts";
import { coerceJsonValue, type FlattenSink } from "./_flat.ts";
import type { MetricNode, Naming } from "./_compile.ts";

/** The state of one run of the mapping over a document. */
export interface MapState {
  doc: unknown;
  /** Families of `name` entries, by entry id. */
  byId: Map<number, MetricFamily>;
  /** Families of `name_from` entries, by entry id, then family name. */
  byName: Map<number, Map<string, MetricFamily>>;
  flat: FlattenSink;
  /** Every family in creation order (metric families and flatten families interleaved). */
  order: MetricFamily[];
  /** Visits per entry id, counted only by `mapTraced` (`null` on the scrape path). */
  visits: Int32Array | null;
  /** Per entry id, 1 once a metric entry gave a series (`mapTraced` only). */
  produced: Uint8Array | null;
  /** Per entry id, nodes whose `name_from` gave no name (`mapTraced` only). */
  noName: Int32Array | null;
}

/** A scalar as a label value; `""` (no label) for null, missing, objects and arrays. */
export function labelValue(v: unknown): string {
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

/** Sets a label in a flat label array: replaces the value of one of the same name, or appends. */
export function setLabel(out: string[], name: string, value: string): void {
  for (let i = 0; i < out.length; i += 2) {
    if (out[i] === name) {
      out[i + 1] = value;
      return;
    }
  }
  out.push(name, value);
}

/** `labels` plus one label (replacing one of the same name), as a new array. */
function plus(labels: readonly string[], name: string, value: string): string[] {
  const out = labels.slice();
  setLabel(out, name, value);
  return out;
}

function familyFor(entry: MetricNode, naming: Naming, state: MapState): MetricFamily {
  if (entry.nameFrom === null) {
    let f = state.byId.get(entry.id);
    if (f === undefined) state.byId.set(entry.id, f = newFamily(entry, naming, state));
    return f;
  }
  // Names taken from the data: one map per entry, keyed by the (cached, so shared) family name string.
  let families = state.byName.get(entry.id);
  if (families === undefined) state.byName.set(entry.id, families = new Map());
  let f = families.get(naming.family);
  if (f === undefined) families.set(naming.family, f = newFamily(entry, naming, state));
  return f;
}

function newFamily(entry: MetricNode, naming: Naming, state: MapState): MetricFamily {
  const f: MetricFamily = { name: naming.family, type: entry.type, help: entry.help, unit: "", samples: [] };
  state.order.push(f);
  return f;
}

/**
 * The node's timestamp in whole milliseconds: a number (or numeric string) times the unit, rounded;
 * `undefined` for anything else, and for a time no int64 timestamp can carry exactly (beyond 2^53 ms, about
 * 285,000 years), which would otherwise be written as an invalid line.
 */
function timestampOf(entry: MetricNode, node: JsonNode, doc: unknown): number | undefined {
  const raw = entry.timestamp!(doc, node.value);
  const n = typeof raw === "number" ? raw : typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  const ms = Math.round(n * entry.timestampFactor);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Reads one metric entry's samples from one node into its family; a node it cannot use is counted. */
export function metric(entry: MetricNode, node: JsonNode, labels: readonly string[], state: MapState): void {
  let naming = entry.naming;
  if (entry.nameFrom !== null) {
    const raw = entry.nameFrom(state.doc, node.value);
    const found = typeof raw === "string" ? entry.names!.get(raw) : null;
    if (found === null) {
      if (state.noName !== null) state.noName[entry.id]++;
      skip(state);
      return;
    }
    naming = found;
  }
  const samples = samplesOf(entry, naming, node, labels, state);
  if (samples === null || samples.length === 0) return;
  if (entry.timestamp !== null) {
    const ts = timestampOf(entry, node, state.doc);
    if (ts !== undefined) { for (const s of samples) s.timestampMs = ts; }
  }
  if (entry.scale !== 1) { for (const s of samples) s.value *= entry.scale; }
  const f = familyFor(entry, naming, state);
  for (const s of samples) f.samples.push(s);
  if (state.produced !== null) state.produced[entry.id] = 1;
}

/** The samples of one node, or `null` when it gave none (already counted as skipped). */
function samplesOf(
  entry: MetricNode,
  naming: Naming,
  node: JsonNode,
  labels: readonly string[],
  state: MapState,
): Sample[] | null {
  const doc = state.doc;
  const name = naming.sampleName;
  if (entry.type === "info") return [{ name, labels: labels as string[], value: 1 }];
  if (entry.count !== null) {
    const sel = selectNodes(entry.count, doc, node.value, node.key);
    if (sel.nodes.length === 0 && sel.missing) return skip(state);
    if (entry.groupBy === null) return [{ name, labels: labels as string[], value: sel.nodes.length }];
    return grouped(entry, name, sel.nodes, labels, state);
  }
  const raw = selectOne(entry.value, doc, node.value);
  if (raw === undefined || raw === null) return skip(state);
  if (entry.states !== null) {
    const current = labelValue(raw);
    if (current === "") return skip(state);
    const label = entry.statesLabel === "" ? naming.family : entry.statesLabel;
    return entry.states.map((st) => ({
      name,
      labels: plus(labels, label, st),
      value: st === current ? 1 : 0,
    }));
  }
  if (entry.stateLabel !== null) {
    const current = labelValue(raw);
    if (current === "") return skip(state);
    return [{ name, labels: plus(labels, entry.stateLabel, current), value: 1 }];
  }
  const value = entry.exact !== null || entry.regexMap.length > 0 || entry.star !== undefined
    ? mapValue(entry, raw)
    : coerceJsonValue(raw);
  if (value === undefined) return skip(state);
  return [{ name, labels: labels as string[], value }];
}

/** One count per distinct `group_by` value of the counted nodes, in order of first appearance. */
function grouped(
  entry: MetricNode,
  name: string,
  nodes: readonly JsonNode[],
  labels: readonly string[],
  state: MapState,
): Sample[] {
  const counts = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) {
    const g = labelValue(entry.groupBy!(state.doc, nodes[i].value));
    if (g === "") skip(state);
    else counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  const out: Sample[] = [];
  for (const [g, n] of counts) out.push({ name, labels: plus(labels, entry.groupLabel, g), value: n });
  return out;
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

function skip(state: MapState): null {
  state.flat.skipped++;
  return null;
}
