/**
 * The sink under `flattenJsonBytes`: it logs each numeric leaf of the document (its sample and key
 * path), counts the others, and builds the families from the log at the end, as `flattenJson`
 * builds them from the tree.
 *
 * `JSON.parse` gives an object's members in `Object.keys` order, which is not always document order: a
 * repeated name keeps its first place and takes its last value, and names that are array indices
 * (`"0"`, `"200"`) come first, in numeric order. So each open object remembers where each member's leaves
 * begin in the log, and an object with a repeated or index name rewrites its part of the log (always the
 * log's tail) in that order when it closes. Repeats are found pairwise in small objects and with a map in
 * big ones.
 *
 * @module
 */

import { ParseError } from "../../errors.ts";
import { type MetricFamily, type Sample, sanitizeMetricName } from "../../model.ts";
import { type FlatJsonResult, MAX_JSON_DEPTH } from "./_flat.ts";
import type { JsonSink } from "./_stream_scan.ts";
import { STEP_VALUES } from "../../pace.ts";

/** The log's mark for an object nested too deep; flattenJson fails if it is still in the tree at the end. */
const TOO_DEEP: Sample = { name: "", labels: [], value: 0 };

/** Members of an object checked pairwise for repeats before a map takes over. */
const LINEAR_DUPLICATE_CHECK = 16;

/** One open object: its key path and where each member's leaves begin in the log. */
interface Frame {
  path: string;
  /** Whether `path` is "" or a valid metric name, so that a member's path can skip sanitizing. */
  valid: boolean;
  /** Path of the current member, and whether it is a valid metric name. */
  child: string;
  childValid: boolean;
  /** Members so far, repeats included: the used length of the three arrays below (kept, not cut, for reuse). */
  n: number;
  /** Member names in document order, until `index` takes over. */
  keys: string[];
  /** Member name → index in `keys`, once the object has too many members to check repeats pairwise. */
  index: Map<string, number> | null;
  /** Per member occurrence: log length and skipped count when it began. */
  logAt: number[];
  skipAt: number[];
  /** A repeated or array-index name was seen: the log needs reordering at the close. */
  reorder: boolean;
}

/**
 * The scanner's sink for the seed's flattening: logs numeric leaves by path, counts the rest, reorders as
 * `JSON.parse` would; {@linkcode LeafLog.families} gives the result.
 */
export class LeafLog implements JsonSink {
  /** Per numeric leaf: its sample (part of the output anyway) and its key path, for HELP. */
  readonly #samples: Sample[] = [];
  readonly #paths: string[] = [];
  /** The labels of every sample (none), one array as flattenJson shares one. */
  readonly #labels: string[] = [];
  #skipped = 0;
  /** The open objects' frames are `#frames[0, #depth)`; closed ones stay for reuse by the next object. */
  readonly #frames: Frame[] = [];
  #depth = 0;

  /** Opens a frame for the object, or logs a too-deep mark and declines it. */
  openObject(): boolean {
    const depth = this.#depth;
    if (depth >= MAX_JSON_DEPTH) {
      // flattenJson fails only if this object is still in the tree at the end: log a mark that the reordering
      // of its parents may drop, and skip the contents.
      this.#samples.push(TOO_DEEP);
      this.#paths.push("");
      return false;
    }
    const frame = this.#frames[depth] ?? (this.#frames[depth] = {
      path: "",
      valid: true,
      child: "",
      childValid: true,
      n: 0,
      keys: [],
      index: null,
      logAt: [],
      skipAt: [],
      reorder: false,
    });
    const parent = this.#frames[depth - 1];
    frame.path = parent === undefined ? "" : parent.child;
    frame.valid = parent === undefined || parent.childValid;
    frame.n = 0;
    frame.index = null;
    frame.reorder = false;
    this.#depth++;
    return true;
  }

  /** Closes the innermost object, reordering its part of the log if `JSON.parse` would. */
  closeObject(): void {
    const frame = this.#frames[--this.#depth];
    if (frame.reorder) this.#reorder(frame);
  }

  /** Starts a member of the innermost object: notes where its leaves begin, and its path. */
  key(key: string): void {
    const frame = this.#frames[this.#depth - 1];
    const at = frame.n++;
    if (!frame.reorder && (isRepeat(frame, key, at) || isArrayIndex(key))) frame.reorder = true;
    if (frame.index === null) frame.keys[at] = key;
    else frame.index.set(key, at);
    frame.logAt[at] = this.#paths.length;
    frame.skipAt[at] = this.#skipped;
    if (frame.path === "") {
      frame.child = key;
      frame.childValid = isNameChars(key, 1);
    } else {
      frame.child = `${frame.path}_${key}`;
      frame.childValid = frame.valid && isNameChars(key, 0);
    }
  }

  /** Logs the current member's value, or counts it as skipped. */
  leaf(value: number | undefined): void {
    const frame = this.#frames[this.#depth - 1];
    const path = frame.child;
    if (value === undefined || path === "") this.#skipped++;
    else {
      this.#samples.push({
        name: frame.childValid ? path : sanitizeMetricName(path),
        labels: this.#labels,
        value,
      });
      this.#paths.push(path);
    }
  }

  /** Rewrites the frame's part of the log (the log's tail) in `Object.keys` order, last occurrences only. */
  #reorder(frame: Frame): void {
    const { n, keys, logAt, skipAt } = frame;
    // Member name → its last occurrence, in order of the first one: the frame's map if it has one.
    let last = frame.index;
    if (last === null) {
      last = new Map();
      for (let i = 0; i < n; i++) last.set(keys[i], i);
    }
    const indices: [number, number][] = [];
    const others: number[] = [];
    for (const [key, at] of last) {
      if (isArrayIndex(key)) indices.push([Number(key), at]);
      else others.push(at);
    }
    const order = indices.sort((a, b) => a[0] - b[0]).map((e) => e[1]).concat(others);
    const samples = this.#samples;
    const paths = this.#paths;
    const ends = [...logAt.slice(1, n), paths.length];
    const skipEnds = [...skipAt.slice(1, n), this.#skipped];
    const keptSamples: Sample[] = [];
    const keptPaths: string[] = [];
    let skipped = skipAt[0];
    for (const at of order) {
      for (let j = logAt[at]; j < ends[at]; j++) {
        keptSamples.push(samples[j]);
        keptPaths.push(paths[j]);
      }
      skipped += skipEnds[at] - skipAt[at];
    }
    samples.length = paths.length = logAt[0];
    for (let j = 0; j < keptSamples.length; j++) {
      samples.push(keptSamples[j]);
      paths.push(keptPaths[j]);
    }
    this.#skipped = skipped;
  }

  /** The families, built from the log as flattenJson builds them from the tree, as steps. */
  *families(): Generator<void, FlatJsonResult> {
    const byName = new Map<string, MetricFamily>();
    const samples = this.#samples;
    for (let j = 0; j < samples.length; j++) {
      if (j % STEP_VALUES === STEP_VALUES - 1) yield;
      const sample = samples[j];
      if (sample === TOO_DEEP) {
        throw new ParseError(`the JSON document nests objects deeper than ${MAX_JSON_DEPTH} levels`);
      }
      const family = byName.get(sample.name);
      if (family === undefined) {
        const help = `Value of "${this.#paths[j]}" in the upstream JSON`;
        // An exact array: `[]` then push reserves 17 slots, and almost every family keeps one sample.
        byName.set(sample.name, { name: sample.name, type: "unknown", help, unit: "", samples: [sample] });
      } else {
        family.samples.push(sample);
      }
    }
    return { families: [...byName.values()], skipped: this.#skipped };
  }
}

/** Whether `key` was already a member of the frame's object; builds the frame's map when it grows big. */
function isRepeat(frame: Frame, key: string, n: number): boolean {
  const { keys } = frame;
  if (frame.index !== null) return frame.index.has(key);
  for (let i = 0; i < n; i++) if (keys[i] === key) return true;
  if (n === LINEAR_DUPLICATE_CHECK) {
    frame.index = new Map();
    for (let i = 0; i < n; i++) frame.index.set(keys[i], i);
  }
  return false;
}

/**
 * Whether `sanitizeMetricName` keeps `key` as it is, as the start of a path (`digitFrom` 1: no leading digit)
 * or after a `_` (`digitFrom` 0): only `[a-zA-Z0-9_]`. (An empty path is never a name: its leaf is skipped.)
 */
function isNameChars(key: string, digitFrom: number): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (
      !((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57 && i >= digitFrom))
    ) {
      return false;
    }
  }
  return true;
}

/** Whether `key` is an array index (`0` to 2^32 - 2, canonical), which `Object.keys` lists first. */
function isArrayIndex(key: string): boolean {
  const n = key.length;
  if (n === 0 || n > 10) return false;
  const c0 = key.charCodeAt(0);
  if (c0 < 48 || c0 > 57 || (c0 === 48 && n > 1)) return false;
  for (let i = 1; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return n < 10 || Number(key) <= 4294967294;
}
