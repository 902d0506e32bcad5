/**
 * The words `suggest` recognises in a JSON document: string states of known sets, boolean-like strings, keys
 * of states, of free text and of identifiers, and the fields of name/value lists.
 *
 * @module
 */

/** Sets of string states that are statesets, each as the upstream spells it. */
export const VOCABULARIES: readonly (readonly string[])[] = [
  ["UP", "DOWN", "OUT_OF_SERVICE", "UNKNOWN"],
  ["green", "yellow", "red"],
  ["RUNNING", "PAUSED", "FAILED", "UNASSIGNED", "RESTARTING"],
  ["passing", "warning", "critical", "maintenance"],
  ["up", "down", "unhealthy", "unavail", "checking", "draining"],
  ["running", "idle", "flow", "down", "crashed", "stopped"],
  ["OK", "WARNING", "CRITICAL", "UNKNOWN"],
  ["ok", "warning", "critical", "unknown"],
];
/** Strings that are booleans: a `value_map` to 1 and 0. */
export const BOOLEANS: readonly (readonly [string, string])[] = [
  ["true", "false"],
  ["yes", "no"],
  ["on", "off"],
  ["enabled", "disabled"],
];
/** Keys whose strings are a state (a `state_label` when of no known set). */
export const STATE_KEYS = new Set(["status", "state", "health", "phase", "condition"]);
/** Fields that hold free text, never a label: their values have no bound. */
export const TEXT_KEYS = new Set([
  "output",
  "message",
  "msg",
  "error",
  "trace",
  "notes",
  "description",
  "reason",
  "stack",
]);
/** Fields of a list element that name its metric (`name_from`). */
export const NAME_FIELDS = ["Name", "name", "Key", "key", "metric"];
/** Fields of a list element that hold its value, the first found wins. */
export const VALUE_FIELDS = ["Value", "value", "Mean", "Sum", "Count"];
/**
 * Last words of keys that identify a build or a thing (`version`, `commit`, `id`...): their values, even
 * numeric ones (`"version": "2.1"`), are labels (of an `_info` metric, or of a list's elements), never values.
 */
export const ID_WORDS = new Set([
  "version",
  "build",
  "commit",
  "revision",
  "rev",
  "sha",
  "hash",
  "release",
  "id",
  "uuid",
  "guid",
]);
