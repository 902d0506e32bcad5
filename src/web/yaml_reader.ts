/**
 * Reads typed values out of a `yaml` document and collects problems with their line numbers: the part of
 * web-config parsing that knows YAML, kept apart from the part that knows the keys.
 *
 * Scalars are read as Go's `yaml.v2` reads them into the toolkit's structs: a number or boolean where a
 * string belongs is taken as written, and a null value is "unset".
 *
 * @module
 */

import { isMap, isScalar, isSeq, type LineCounter, type Pair } from "yaml";
import { closestName } from "../cli/mod.ts";

const PLAIN_KEY_REGEXP = /^[A-Za-z0-9_-]+$/;

/** A mapping entry: the key node (for its line) and the value node (null when the value is empty). */
export interface Entry {
  /** The key's node; its line is where problems with the value are reported. */
  readonly keyNode: unknown;
  /** The value's node, or null. */
  readonly value: unknown;
  /** Dotted path for messages, e.g. `tls_server_config.cert_file`. */
  readonly path: string;
}

/** Walks YAML nodes, reading typed values and collecting problems with their lines. */
export class Reader {
  /** Problems found so far: each a full `FILE:LINE: key.path: message` line, with its line for sorting. */
  readonly problems: Array<{ line: number; text: string }> = [];
  readonly #file: string;
  readonly #lines: LineCounter;
  readonly #resolve: (node: unknown) => unknown;

  /** A reader for one document of `file`; `resolve` turns an alias into the node it names. */
  constructor(file: string, lines: LineCounter, resolve: (node: unknown) => unknown) {
    this.#file = file;
    this.#lines = lines;
    this.#resolve = resolve;
  }

  /** Line of a node (1 when it has no position, e.g. the empty document). */
  line(node: unknown): number {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range === undefined ? 1 : this.#lines.linePos(range[0]).line;
  }

  /** Records a problem. */
  add(line: number, path: string, message: string): void {
    this.problems.push({ line, text: `${this.#file}:${line}: ${path}: ${message}` });
  }

  /** Reads a mapping; with `keys`, any other key is reported. A null value is an empty mapping. */
  mapping(
    node: unknown,
    path: string,
    keys: readonly string[] | undefined,
    line: number,
  ): Map<string, Entry> {
    const out = new Map<string, Entry>();
    const value = this.deref(node);
    if (value === null || (isScalar(value) && value.value === null)) return out;
    if (!isMap(value)) {
      this.add(line, path, `must be a mapping, not ${describe(value)}`);
      return out;
    }
    for (const pair of value.items as Pair<unknown, unknown>[]) {
      const keyNode = this.deref(pair.key);
      if (!isScalar(keyNode)) {
        this.add(this.line(pair.value), path, "keys must be plain strings");
        continue;
      }
      const name = typeof keyNode.value === "string"
        ? keyNode.value
        : String(keyNode.source ?? keyNode.value);
      const childPath = path === "(top level)" ? name : `${path}.${formatKey(name)}`;
      if (keys !== undefined && !keys.includes(name)) {
        const guess = closestName(name, keys);
        const expected = keys.map((k) => `"${k}"`).join(", ");
        this.add(
          this.line(keyNode),
          childPath,
          guess === undefined
            ? `unknown key; expected one of ${expected}`
            : `unknown key (did you mean "${guess}"?)`,
        );
        continue;
      }
      out.set(name, { keyNode, value: pair.value, path: childPath });
    }
    return out;
  }

  /** A string (other scalars as written, as yaml.v2 does); undefined for null or a wrong type. */
  string(entry: Entry | undefined): string | undefined {
    if (entry === undefined) return undefined;
    const value = this.deref(entry.value);
    if (value === null) return undefined;
    if (!isScalar(value)) {
      this.add(this.line(entry.keyNode), entry.path, `must be a string, not ${describe(value)}`);
      return undefined;
    }
    if (value.value === null) return undefined;
    return typeof value.value === "string" ? value.value : String(value.source ?? value.value);
  }

  /** A non-empty string, or undefined (Go treats "" as unset). */
  nonEmpty(entry: Entry | undefined): string | undefined {
    const s = this.string(entry);
    return s === "" ? undefined : s;
  }

  /** A boolean (YAML 1.1 spellings included), or `fallback` when unset or wrong (which is reported). */
  boolean(entry: Entry | undefined, fallback: boolean): boolean {
    if (entry === undefined) return fallback;
    const value = this.deref(entry.value);
    if (value === null || (isScalar(value) && value.value === null)) return fallback;
    if (isScalar(value) && typeof value.value === "boolean") return value.value;
    this.add(this.line(entry.keyNode), entry.path, "must be true or false");
    return fallback;
  }

  /** An integer, or undefined when unset or wrong (which is reported). */
  integer(entry: Entry | undefined): number | undefined {
    if (entry === undefined) return undefined;
    const value = this.deref(entry.value);
    if (value === null || (isScalar(value) && value.value === null)) return undefined;
    if (isScalar(value) && typeof value.value === "number" && Number.isSafeInteger(value.value)) {
      return value.value;
    }
    this.add(this.line(entry.keyNode), entry.path, "must be an integer");
    return undefined;
  }

  /** A list of strings, each checked by `check` (which returns a problem or undefined). */
  strings(entry: Entry | undefined, check: (s: string) => string | undefined = () => undefined): string[] {
    if (entry === undefined) return [];
    const value = this.deref(entry.value);
    if (value === null || (isScalar(value) && value.value === null)) return [];
    if (!isSeq(value)) {
      this.add(this.line(entry.keyNode), entry.path, `must be a list of strings, not ${describe(value)}`);
      return [];
    }
    const out: string[] = [];
    value.items.forEach((item, i) => {
      const s = this.string({
        keyNode: item ?? entry.keyNode,
        value: item,
        path: `${entry.path}[${i}]`,
      });
      if (s === undefined) return;
      const problem = check(s);
      if (problem === undefined) out.push(s);
      else this.add(this.line(item), `${entry.path}[${i}]`, problem);
    });
    return out;
  }

  /** One of `allowed`, or `fallback` when unset (a bad value is reported and also gives the fallback). */
  oneOf<T extends string>(entry: Entry | undefined, allowed: readonly T[], what: string, fallback: T): T {
    const s = this.nonEmpty(entry);
    if (s === undefined) return fallback;
    if ((allowed as readonly string[]).includes(s)) return s as T;
    const expected = allowed.map((a) => `"${a}"`).join(", ");
    this.add(
      this.line(entry!.keyNode),
      entry!.path,
      `unknown ${what} ${JSON.stringify(s)}; expected one of ${expected}`,
    );
    return fallback;
  }

  /** Follows an alias to its node; null for a missing value. */
  deref(node: unknown): unknown {
    if (node === null || node === undefined) return null;
    return this.#resolve(node);
  }
}

/** True for a value that is not null/empty (a list or mapping counts as set). */
export function isSet(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  return !(isScalar(value) && (value.value === null || value.value === ""));
}

function describe(node: unknown): string {
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) return typeof node.value === "string" ? "a string" : `a ${typeof node.value}`;
  return "something else";
}

function formatKey(name: string): string {
  return PLAIN_KEY_REGEXP.test(name) ? name : JSON.stringify(name);
}
