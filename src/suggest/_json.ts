/**
 * `suggest` for a JSON document: walks it once and writes `json:` entries (numbers with the naming
 * conventions, string states as statesets, `value_map` or `state_label`, strings worth keeping in `_info`
 * metrics, arrays and maps of objects as entries labelled from their string fields or keys, name/value lists
 * as `name_from`), plus the `match` rules that fold sibling names into one family.
 *
 * @module
 */

import type { Entry, YamlValue } from "./_yaml.ts";
import { findFolds, type FoldMember, joinName, nameParts, normalize, singular } from "./_names.ts";
import { UsedNames } from "./_used.ts";
import {
  BOOLEANS,
  ID_WORDS,
  NAME_FIELDS,
  STATE_KEYS,
  TEXT_KEYS,
  VALUE_FIELDS,
  VOCABULARIES,
} from "./_words.ts";

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

/** What the walk collects for one target. */
export interface JsonSuggestion {
  /** The `json:` entries. */
  json: Entry[];
  /** The fold rules. */
  rules: Entry[];
}

interface Ctx {
  used: UsedNames;
  rules: Entry[];
}

const isObj = (v: Json | undefined): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isNumeric = (v: Json) =>
  typeof v === "number" || typeof v === "boolean" ||
  (typeof v === "string" && /^-?[0-9]+(\.[0-9]+)?$/.test(v));
/** An identifier or a version (by its key's last word), strings or numbers: a label, never a value. */
const isId = (key: string, values: readonly Json[]) =>
  ID_WORDS.has(nameParts(key).at(-1) ?? "") &&
  values.every((v) => typeof v === "string" || typeof v === "number");

/** A child path: `$.key`, `@.key` or `$['odd key']`. */
function child(at: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)
    ? `${at}.${key}`
    : `${at}['${key.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}']`;
}

/** A string worth keeping as a label: short, one line, not free text, not a time. */
function keepable(key: string, values: readonly string[]): boolean {
  if (TEXT_KEYS.has(nameParts(key).join("_"))) return false;
  return values.some((v) => v !== "") &&
    values.every((v) => v.length <= 64 && !/[\n\r]/.test(v) && !/^[0-9]{4}-[0-9]{2}-[0-9]{2}/.test(v));
}

function vocabulary(values: readonly string[]): readonly string[] | undefined {
  return VOCABULARIES.find((vocab) => values.every((v) => vocab.includes(v)));
}

const isState = (key: string, values: readonly string[]) =>
  vocabulary(values) !== undefined || STATE_KEYS.has(nameParts(key).at(-1) ?? "");

/** Objects whose members are all objects sharing a key: a map keyed by names (`{db: {...}, redis: {...}}`). */
function mapLike(values: readonly Json[]): boolean {
  const members = values.flatMap((v) => isObj(v) ? Object.values(v) : [null]);
  if (members.length < 2 || !members.every(isObj)) return false;
  const first = Object.keys(members[0] as Obj);
  return first.some((k) => members.every((m) => k in (m as Obj)));
}

/** Keys of several objects in first-seen order, with their non-null values. */
function columns(nodes: readonly Obj[]): Map<string, Json[]> {
  const cols = new Map<string, Json[]>();
  for (const n of nodes) {
    for (const [k, v] of Object.entries(n)) {
      if (!cols.has(k)) cols.set(k, []);
      if (v !== null) cols.get(k)!.push(v);
    }
  }
  return cols;
}

/**
 * The entries for the members of `nodes` (objects of one shape), at path `at`, names starting with `prefix`.
 * `labels` are the label names already set above; `skip` the keys handled by the caller.
 */
function objectEntries(
  nodes: readonly Obj[],
  at: string,
  prefix: readonly string[],
  ctx: Ctx,
  labels: ReadonlySet<string>,
  skip: ReadonlySet<string> = new Set(),
): Entry[] {
  const entries: Entry[] = [];
  const leaves: FoldMember<{ fields: [string, YamlValue][]; why: string[]; type: string; scale: number }>[] =
    [];
  const info: Record<string, string> = {};
  for (const [key, values] of columns(nodes)) {
    if (skip.has(key) || values.length === 0) continue;
    const path = child(at, key);
    const parts = [...prefix, ...nameParts(key)];
    if (parts.length === 0) continue;
    if (values.every(isNumeric) && !isId(key, values)) {
      const n = normalize(parts);
      const name = ctx.used.unique(joinName(n.parts), n.type === "counter" ? "counter" : "unknown");
      const fields: [string, YamlValue][] = [["name", name], ["value", path]];
      const why = values.every((v) => typeof v === "boolean") ? ["a boolean: 1 or 0"] : n.why;
      leaves.push({ parts: name.split("_"), item: { fields, why, type: n.type, scale: n.scale } });
    } else if (values.every((v) => typeof v === "string") || isId(key, values)) {
      const strings = values.map(String);
      const e = stringEntry(key, strings, path, parts, ctx);
      if (e !== undefined) entries.push(e);
      else if (keepable(key, strings)) info[joinName(nameParts(key))] = path;
    } else if (values.every(Array.isArray)) {
      const rows = (values as Json[][]).flat();
      if (rows.length > 0 && rows.every(isObj)) {
        entries.push(...rowEntries(rows, `${path}[*]`, parts, ctx, labels));
      }
    } else if (values.every(isObj)) {
      if (mapLike(values)) entries.push(...mapEntries(values as Obj[], path, key, parts, ctx, labels));
      else entries.push(...objectEntries(values as Obj[], path, parts, ctx, labels));
    }
  }
  entries.unshift(...leafEntries(leaves, ctx, labels));
  const infoLabels = Object.keys(info).filter((k) => !labels.has(k));
  if (infoLabels.length > 0) {
    const name = ctx.used.unique(joinName(prefix.length > 0 ? prefix : ["app"]), "info");
    entries.push({
      comment: `strings worth keeping (${infoLabels.join(", ")}): labels of an _info metric`,
      fields: [["name", name], ["type", "info"], [
        "labels",
        Object.fromEntries(infoLabels.map((k) => [k, info[k]])),
      ]],
    });
  }
  return entries;
}

/** A string field as a stateset, a `value_map` or a `state_label` entry; `undefined` when it is none of them. */
function stringEntry(
  key: string,
  values: string[],
  path: string,
  parts: string[],
  ctx: Ctx,
): Entry | undefined {
  const vocab = vocabulary(values);
  if (vocab !== undefined) {
    return {
      comment: `"${values[0]}" is one of a known set of states: a stateset`,
      fields: [["name", ctx.used.unique(joinName(parts), "stateset")], ["value", path], ["states", vocab]],
    };
  }
  const bool = BOOLEANS.find(([t, f]) => values.every((v) => v.toLowerCase() === t || v.toLowerCase() === f));
  if (bool !== undefined) {
    const map = Object.fromEntries(values.map((v) => [v, v.toLowerCase() === bool[0] ? 1 : 0]));
    return {
      comment: `"${bool[0]}"/"${bool[1]}" is a boolean: 1 or 0 by value_map`,
      fields: [["name", ctx.used.unique(joinName(parts), "gauge")], ["value", path], ["type", "gauge"], [
        "value_map",
        map,
      ]],
    };
  }
  if (!isState(key, values) || !keepable(key, values)) return undefined;
  return {
    comment: `a state of no known set: its value as a label, 1 for the current state`,
    fields: [["name", ctx.used.unique(joinName(parts), "stateset")], ["value", path], [
      "state_label",
      parts.at(-1)!,
    ]],
  };
}

/** The leaf entries of one object, and a `match` rule per group of siblings folded into one family. */
function leafEntries(
  leaves: FoldMember<{ fields: [string, YamlValue][]; why: string[]; type: string; scale: number }>[],
  ctx: Ctx,
  labels: ReadonlySet<string>,
): Entry[] {
  const folded = new Set<unknown>();
  const kinds = new Map<string, typeof leaves>();
  for (const l of leaves) {
    const k = `${l.item.type}|${l.item.scale}`;
    kinds.set(k, [...kinds.get(k) ?? [], l]);
  }
  for (const group of kinds.values()) {
    const type = group[0].item.type === "counter" ? "counter" : "gauge";
    for (const f of findFolds(group, ctx.used.taken(type))) {
      if (labels.has(f.label) || f.at === 0 && f.members.some((m) => /^[0-9]/.test(m.parts[0]))) continue;
      const values = f.members.map((m) => m.parts[f.at]);
      const match = f.members[0].parts.map((p, i) => i === f.at ? `(?<${f.label}>${values.join("|")})` : p);
      const family = joinName(f.family);
      ctx.used.add(family, type);
      const counter = type === "counter";
      ctx.rules.push({
        comment: `${values.length} names differ only in "${
          values.join("/")
        }": one family ${family}{${f.label}}`,
        fields: [["match", match.join("_")], ["name", family], ["type", counter ? "counter" : "gauge"]],
      });
      for (const m of f.members) folded.add(m);
    }
  }
  return leaves.map((l) => {
    const { fields, why, type, scale } = l.item;
    const out = [...fields];
    if (!folded.has(l) && type === "counter") out.push(["type", "counter"]);
    if (scale !== 1) out.push(["scale", scale]);
    const reasons = [...why, ...folded.has(l) ? ["folded by a rule below"] : []];
    return {
      comment: reasons.length > 0 ? reasons.join("; ") : "a number: kept as sent (untyped)",
      fields: out,
    };
  });
}

/** Label names for the string fields of rows, and the row keys they use up. */
function rowLabels(rows: readonly Obj[], labels: ReadonlySet<string>): [Record<string, string>, Set<string>] {
  const out: Record<string, string> = {};
  const used = new Set<string>();
  for (const [key, values] of columns(rows)) {
    const labelLike = values.every((v) => typeof v === "string") || isId(key, values);
    if (!labelLike || values.length < rows.length) continue;
    const strings = values.map(String);
    if (isState(key, strings) || !keepable(key, strings)) continue;
    const name = joinName(nameParts(key));
    if (name === "" || labels.has(name) || name in out) continue;
    out[name] = child("@", key);
    used.add(key);
  }
  return [out, used];
}

/** An array of objects: one entry labelled from its string fields, and the count of its elements. */
function rowEntries(
  rows: Obj[],
  path: string,
  parts: string[],
  ctx: Ctx,
  labels: ReadonlySet<string>,
): Entry[] {
  const elem = [...parts.slice(0, -1), singular(parts.at(-1)!)];
  const pair = namedValues(rows, path, parts);
  if (pair !== undefined) return [pair];
  const [own, skip] = rowLabels(rows, labels);
  const keys = new Set(rows.map((r) => JSON.stringify(Object.values(own).map((p) => r[p.slice(2)] ?? null))));
  if (keys.size < rows.length) {
    // The element's index tells them apart, under the first label name not taken (a field may be `index`).
    const free = (l: string) => !labels.has(l) && !(l in own);
    let index = ["index", "key", "index_key"].find(free);
    for (let i = 2; index === undefined; i++) index = free(`index_${i}`) ? `index_${i}` : undefined;
    own[index] = "@key";
  }
  const inner = new Set([...labels, ...Object.keys(own)]);
  const metrics = objectEntries(rows, "@", elem, ctx, inner, skip);
  const out: Entry[] = [];
  if (metrics.length > 0) {
    const why = Object.keys(own).length > 0 ? `labelled by ${Object.keys(own).join(", ")}` : "unlabelled";
    out.push({
      comment: `an array of objects: one series per element and field, ${why}`,
      fields: [["path", path], ["labels", own], ["metrics", metrics]],
    });
  }
  const stateKey = [...columns(rows)].find(([k, v]) =>
    v.every((s) => typeof s === "string") && isState(k, v as string[])
  )?.[0];
  const count: [string, YamlValue][] = [["name", ctx.used.unique(joinName(parts), "gauge")], ["count", path]];
  if (stateKey !== undefined) count.push(["group_by", child("@", stateKey)]);
  out.push({
    comment: stateKey === undefined ? "the number of elements" : `the number of elements per ${stateKey}`,
    fields: count,
  });
  return out;
}

/** Elements that name their metric (`{"Name": "x", "Value": 1}`): one `name_from` entry. */
function namedValues(rows: Obj[], path: string, parts: string[]): Entry | undefined {
  const nameField = NAME_FIELDS.find((f) => rows.every((r) => typeof r[f] === "string"));
  let valueField = VALUE_FIELDS.find((f) => rows.every((r) => typeof r[f] === "number"));
  if (nameField === undefined || valueField === undefined) return undefined;
  if (/counter/i.test(parts.join("_")) && rows.every((r) => typeof r.Sum === "number")) valueField = "Sum";
  const fields: [string, YamlValue][] = [["path", path], ["name_from", child("@", nameField)], [
    "name_case",
    "snake",
  ], ["value", child("@", valueField)]];
  const labelsField = ["Labels", "labels", "Tags", "tags"].find((f) => rows.every((r) => isObj(r[f])));
  if (labelsField !== undefined) fields.push(["labels_from", child("@", labelsField)]);
  return {
    comment:
      `elements that name their metric by "${nameField}": name_from, snake_case, the value "${valueField}"`,
    fields,
  };
}

/** An object keyed by names: one entry over its members, labelled by the key (and walked down, by key path). */
function mapEntries(
  maps: Obj[],
  path: string,
  key: string,
  parts: string[],
  ctx: Ctx,
  labels: ReadonlySet<string>,
): Entry[] {
  let label = joinName(nameParts(singular(key))) || "key";
  if (labels.has(label)) label = `${label}_key`;
  const members: Obj[] = [];
  let recurse = false;
  const walk = (m: Obj, depth: number) => {
    for (const v of Object.values(m)) {
      if (!isObj(v)) continue;
      members.push(v);
      if (depth < 100 && isObj(v[key]) && mapLike([v[key]])) {
        recurse = true;
        walk(v[key] as Obj, depth + 1);
      }
    }
  };
  for (const m of maps) walk(m, 0);
  const [own, skip] = rowLabels(members, new Set([...labels, label]));
  if (recurse) skip.add(key);
  const elem = [...parts.slice(0, -1), singular(parts.at(-1)!)];
  const metrics = objectEntries(
    members,
    "@",
    elem,
    ctx,
    new Set([...labels, label, ...Object.keys(own)]),
    skip,
  );
  if (metrics.length === 0) return [];
  const fields: [string, YamlValue][] = [["path", `${path}.*`]];
  if (recurse) fields.push(["recurse", key]);
  fields.push(["labels", { [label]: recurse ? "@keypath" : "@key", ...own }], ["metrics", metrics]);
  return [{
    comment: `an object keyed by names: one series per member, its key${recurse ? " path" : ""} as ${label}`,
    fields,
  }];
}

/**
 * The entries and fold rules for a JSON document; `base` names an array or map at the top (the URL's last
 * path segment, e.g. `queues`).
 */
export function suggestJson(doc: unknown, base: string): JsonSuggestion {
  const ctx: Ctx = { used: new UsedNames(), rules: [] };
  const root = doc as Json;
  const parts = nameParts(base).length > 0 ? nameParts(base) : ["items"];
  let json: Entry[];
  if (Array.isArray(root)) {
    json = root.length > 0 && root.every(isObj)
      ? rowEntries(root as Obj[], "$[*]", parts, ctx, new Set())
      : [];
  } else if (isObj(root) && mapLike([root])) {
    json = mapEntries([root], "$", base, parts, ctx, new Set());
  } else if (isObj(root)) {
    json = objectEntries([root], "$", [], ctx, new Set());
  } else {
    json = [];
  }
  if (json.length === 0 && Array.isArray(root)) {
    json = [{
      comment: "an array of no simple shape (see the cookbook for nested ones): the number of its elements",
      fields: [["name", joinName(parts)], ["count", "$[*]"]],
    }];
  }
  return { json, rules: ctx.rules };
}
