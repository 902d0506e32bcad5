/**
 * What the relay checks of a sample line besides its syntax (./_pass.ts reads it): its label names, before
 * it copies them, and its value, with its spelling in the output.
 *
 * @module
 */

import { formatNumber } from "../exposition/escape.ts";
import { parseGoFloat } from "../formats/text/mod.ts";
import { ascii, CANONICAL, canonicalValue, GiveUp, NOT_CANONICAL, samePrefix, sameRange } from "./_lex.ts";
import { type Bytes, Kind } from "./_route.ts";

/** Labels a relayed series may have. */
export const MAX_LABELS = 64;

/**
 * Gives the body back when a label name comes twice, or is one the rules or the target set (`reserved`, in
 * `sb`): the pipeline decides those.
 */
export function checkLabelNames(
  b: Uint8Array,
  lab: Int32Array,
  labels: number,
  reserved: readonly Bytes[],
  sb: Uint8Array,
): void {
  for (let j = 1; j < labels; j++) {
    const ns = lab[j * 4], len = lab[j * 4 + 1] - ns;
    for (let k = 0; k < j; k++) {
      if (len === lab[k * 4 + 1] - lab[k * 4] && sameRange(b, ns, lab[k * 4], len)) {
        throw new GiveUp("a label twice");
      }
    }
  }
  if (reserved.length === 0) return;
  for (let j = 0; j < labels; j++) {
    const ns = lab[j * 4], len = lab[j * 4 + 1] - ns;
    for (let r = 0; r < reserved.length; r++) {
      // Length and first byte first: most labels differ there.
      const name = reserved[r];
      if (len === name.length && b[ns] === sb[name.at] && samePrefix(b, ns, sb, name.at, len) === len) {
        throw new GiveUp("a label the rules set");
      }
    }
  }
}

/**
 * A value's spelling in the output: `""` when the body's bytes are copied as they are (the writer would
 * spell the number so), else the writer's. A value the parser refuses, or a negative count or bucket, gives
 * the body back.
 */
export function valueSpelling(b: Uint8Array, vs: number, ve: number, kind: Kind): string {
  const canonical = canonicalValue(b, vs, ve);
  if (canonical === CANONICAL) return "";
  const value = parseGoFloat(ascii(b, vs, ve), 0, ve - vs);
  if (value === undefined) throw new GiveUp("a value");
  if (kind !== Kind.Plain && kind !== Kind.Quantile && !(value >= 0)) throw new GiveUp("a negative count");
  return canonical === NOT_CANONICAL ? formatNumber(value) : "";
}
