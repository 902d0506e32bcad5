/**
 * The checks of a target's `json:` entries the schema cannot express: JSONPaths compile (a value must be
 * singular; a label, `name_from`, `group_by` or `timestamp` takes the first node of any path), names are
 * valid, an entry has exactly one kind, and keys that only make sense together come together.
 *
 * @module
 */

import { compileMatchRegex } from "../patterns/mod.ts";
import { lastMemberLabel } from "./json_names.ts";
import {
  checkLabelNames,
  checkPath,
  checkPatterns,
  isObj,
  labelNameProblem,
  metricNameProblem,
  type Obj,
  regexReason,
} from "./_checks.ts";
import type { KeyPath, Problem } from "./positions.ts";
import { JSON_METRIC_KEYS } from "./schema.ts";

const JSON_KINDS = ["name", "name_from", "flatten", "metrics"] as const;
/** The keys only a metric entry (`name` or `name_from`) takes: the schema's `jsonMetricShape`. */
const JSON_METRIC_OPTIONS = JSON_METRIC_KEYS;
/** The label sources that are not JSONPaths. */
const KEY_SOURCES = ["@key", "@keypath"];
const NOT_A_PATH = `start it with "@." (this node) or "$." (the document)`;

/** A JSONPath that may select any number of nodes (the first one counts), starting with `@` or `$`. */
function checkSource(v: unknown, at: KeyPath, problems: Problem[], orKey: boolean): void {
  if (typeof v !== "string") return;
  if (!v.startsWith("$") && !v.startsWith("@")) {
    const also = orKey ? `, or use "@key" or "@keypath"` : "";
    problems.push({ path: at, message: `"${v}" is not a JSONPath: ${NOT_A_PATH}${also}` });
    return;
  }
  checkPath(v, at, problems, null);
}

/** Checks one JSON entry (and its nested entries) at `at`, e.g. `targets[0].json[2]`. */
export function checkJsonEntry(e: Obj, at: KeyPath, problems: Problem[]): void {
  const add = (path: KeyPath, message: string) => problems.push({ path: [...at, ...path], message });
  checkPath(e.path, [...at, "path"], problems, null);
  if (isObj(e.labels)) {
    checkLabelNames(e.labels, [...at, "labels"], problems);
    for (const [k, v] of Object.entries(e.labels)) {
      if (typeof v === "string" && KEY_SOURCES.includes(v)) continue;
      checkSource(v, [...at, "labels", k], problems, true);
    }
  }
  checkSource(e.labels_from, [...at, "labels_from"], problems, false);
  if (Array.isArray(e.skip_keys)) checkPatterns(e.skip_keys, [...at, "skip_keys"], problems);
  if (e.recurse === "") add(["recurse"], "must not be empty: name the member that holds the next level");
  const kinds = JSON_KINDS.filter((k) => e[k] !== undefined);
  if (kinds.length === 0) {
    add([], `a JSON entry needs one of ${JSON_KINDS.join(", ")}`);
    return;
  }
  if (kinds.length > 1) {
    add([kinds[1]], `a JSON entry takes only one of ${JSON_KINDS.join(", ")}: found ${kinds.join(", ")}`);
    return;
  }
  const kind = kinds[0];
  if (kind !== "name" && kind !== "name_from") {
    for (const o of JSON_METRIC_OPTIONS) {
      if (e[o] !== undefined) add([o], `only a metric entry (with "name" or "name_from") takes "${o}"`);
    }
  }
  if (kind === "flatten" && typeof e.flatten === "string" && e.flatten !== "") {
    const problem = metricNameProblem(e.flatten, "name prefix");
    if (problem !== null) add(["flatten"], problem);
  }
  if (kind === "flatten" && e.flatten === false) add(["flatten"], `must be true or a name prefix`);
  if (kind === "flatten" && e.recurse !== undefined) {
    add(["recurse"], `"flatten" already reads every level: "recurse" is for "name" and "metrics" entries`);
  }
  if (kind === "metrics" && Array.isArray(e.metrics)) {
    e.metrics.forEach((c, k) => isObj(c) && checkJsonEntry(c, [...at, "metrics", k], problems));
  }
  if (kind === "name" || kind === "name_from") checkJsonMetric(e, at, problems);
}

function checkJsonMetric(e: Obj, at: KeyPath, problems: Problem[]): void {
  const add = (path: KeyPath, message: string) => problems.push({ path: [...at, ...path], message });
  if (typeof e.name === "string") {
    const problem = metricNameProblem(e.name);
    if (problem !== null) add(["name"], problem);
  }
  checkNaming(e, at, problems);
  checkPath(e.value, [...at, "value"], problems, "a value needs a path to one value");
  checkPath(e.count, [...at, "count"], problems, null);
  const shapes = (["count", "value_map", "states", "state_label"] as const).filter((k) => e[k] !== undefined);
  // `states` with `state_label` is one shape: a stateset whose state label has its own name.
  const statesetLabel = shapes.length === 2 && shapes[0] === "states" && shapes[1] === "state_label";
  if (shapes.length > 1 && !statesetLabel) {
    add(
      [shapes[1]],
      `a metric takes only one of count, value_map, states, state_label: found ${shapes.join(", ")}`,
    );
  }
  if (e.count !== undefined && e.value !== undefined) {
    add(["count"], `a metric takes "value" or "count", not both`);
  }
  const type = e.type;
  if (type === "info") {
    for (const k of ["value", "count", "value_map", "states", "state_label"]) {
      if (e[k] !== undefined) {
        add([k], `an info metric has the value 1 and its data in labels: remove "${k}"`);
      }
    }
  }
  if (type === "stateset" && e.states === undefined) add(["type"], `a stateset needs "states"`);
  if (e.states !== undefined && type !== undefined && type !== "stateset") {
    add(["type"], `"states" makes a stateset: remove "type: ${String(type)}" or set it to stateset`);
  }
  if (Array.isArray(e.states)) {
    if (e.states.length === 0) add(["states"], "must not be empty");
    const seen = new Set<unknown>();
    e.states.forEach((s, k) => {
      if (seen.has(s)) add(["states", k], `duplicate state ${JSON.stringify(s)}`);
      seen.add(s);
    });
  }
  if (typeof e.state_label === "string") {
    const problem = labelNameProblem(e.state_label);
    if (problem !== null) add(["state_label"], problem);
  }
  if (isObj(e.value_map)) {
    for (const k of Object.keys(e.value_map)) {
      if (k.length < 2 || !k.startsWith("/") || !k.endsWith("/")) continue;
      try {
        compileMatchRegex(k.slice(1, -1));
      } catch (err) {
        problems.push({
          path: [...at, "value_map", k],
          message: `invalid regular expression "${k}": ${regexReason(err)}`,
          atKey: true,
        });
      }
    }
  }
  checkGrouping(e, at, problems);
  if (typeof e.scale === "number") {
    if (!Number.isFinite(e.scale) || e.scale === 0) {
      add(["scale"], `must be a finite number other than 0: got ${e.scale}`);
    } else if (type === "info" || type === "stateset" || e.states !== undefined) {
      add(
        ["scale"],
        `only counter, gauge and untyped values scale: this metric is ${
          type === "info" ? "an info" : "a stateset"
        }`,
      );
    }
  }
  checkSource(e.timestamp, [...at, "timestamp"], problems, false);
  if (e.timestamp_unit !== undefined && e.timestamp === undefined) {
    add(["timestamp_unit"], `"timestamp_unit" needs "timestamp" (the path of the time in each node)`);
  }
}

/** `name_from` and the keys that need it. */
function checkNaming(e: Obj, at: KeyPath, problems: Problem[]): void {
  const add = (path: KeyPath, message: string) => problems.push({ path: [...at, ...path], message });
  checkSource(e.name_from, [...at, "name_from"], problems, false);
  for (const k of ["name_prefix", "name_case"]) {
    if (e[k] !== undefined && e.name_from === undefined) {
      add([k], `"${k}" needs "name_from" (a name read from each node)`);
    }
  }
  if (typeof e.name_prefix === "string" && e.name_prefix !== "") {
    const problem = metricNameProblem(e.name_prefix, "name prefix");
    if (problem !== null) add(["name_prefix"], problem);
  }
}

/** `group_by` and `group_label`. */
function checkGrouping(e: Obj, at: KeyPath, problems: Problem[]): void {
  const add = (path: KeyPath, message: string) => problems.push({ path: [...at, ...path], message });
  if (e.group_by !== undefined && e.count === undefined) {
    add(["group_by"], `"group_by" needs "count" (the nodes to count per value)`);
  }
  if (e.group_label !== undefined && e.group_by === undefined) {
    add(["group_label"], `"group_label" needs "group_by"`);
  }
  checkSource(e.group_by, [...at, "group_by"], problems, false);
  if (typeof e.group_label === "string") {
    const problem = labelNameProblem(e.group_label);
    if (problem !== null) add(["group_label"], problem);
  } else if (
    typeof e.group_by === "string" && e.group_label === undefined && lastMemberLabel(e.group_by) === ""
  ) {
    add(["group_by"], `"${e.group_by}" does not end in a member name to name the label: set "group_label"`);
  }
}
