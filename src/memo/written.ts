/**
 * Answers written ahead of the document, without families (a memo hit, a relayed body), and the one check
 * that lets the server write them one after another: no two share a family name.
 *
 * @module
 */

import type { ByteWriter } from "../exposition/escape.ts";
import type { ExpositionFormat } from "../exposition/negotiate.ts";

/** An answer written ahead of the document: the names of its families. */
export interface NamedOutput {
  readonly names: ReadonlySet<string>;
}

/**
 * A source's answer written without its families (a memo hit, a relayed body): the document is these
 * written one after another, when no two share a family name.
 */
export interface WrittenSource {
  /** The answer in `format`, with its names; `null` when this source cannot write that format. */
  output(format: ExpositionFormat): NamedOutput | null;
  /** Bytes the answer adds, to size a buffer. */
  sizeHint(format: ExpositionFormat): number;
  /** Appends the answer, giving the event loop turns on the way if it is long. */
  writeIntoPaced(w: ByteWriter, format: ExpositionFormat): Promise<void>;
  /**
   * The answer as bytes that are never written again, in a few parts, when it is already written so (a
   * relayed answer's arenas); else `null` or absent, and it is written with `writeIntoPaced`.
   */
  parts?(format: ExpositionFormat): Uint8Array<ArrayBuffer>[] | null;
}

/** Whether no two answers share a family name, so writing them one after another equals merging them. */
export function disjointOutputs(outputs: readonly NamedOutput[], ownNames: readonly string[]): boolean {
  for (let i = 0; i < outputs.length; i++) {
    for (const name of ownNames) if (outputs[i].names.has(name)) return false;
    for (let j = i + 1; j < outputs.length; j++) if (!disjointPair(outputs[i], outputs[j])) return false;
  }
  return true;
}

const pairs = new WeakMap<NamedOutput, WeakMap<NamedOutput, boolean>>();

/** Cached per pair: both are immutable, and large (a 100k-key JSON answer has 100k names). */
function disjointPair(a: NamedOutput, b: NamedOutput): boolean {
  let row = pairs.get(a);
  if (row === undefined) pairs.set(a, row = new WeakMap());
  let ok = row.get(b);
  if (ok === undefined) {
    const [small, large] = a.names.size <= b.names.size ? [a.names, b.names] : [b.names, a.names];
    ok = true;
    for (const name of small) {
      if (large.has(name)) {
        ok = false;
        break;
      }
    }
    row.set(b, ok);
  }
  return ok;
}
