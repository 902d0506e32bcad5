/**
 * `metric_relabel_configs` that only keep or drop, read from the bytes: a rule needs only its source labels'
 * values, so only those become strings, and the last few values a single-source rule tested are remembered
 * as bytes with their result (a label like `code` takes a handful of values across a whole body).
 *
 * @module
 */

import type { RelabelFilter } from "../relabel/mod.ts";
import { ascii, labelAt, sameBytes } from "./_lex.ts";
import type { Route, SampleRoute } from "./_route.ts";

const ENC = new TextEncoder();
/** Values remembered per single-source rule. */
const REMEMBERED = 8;

/** One rule, compiled for the relay. */
interface Rule {
  filter: RelabelFilter;
  /** Each source label's name as bytes (`null` for `__name__`). */
  sources: (Uint8Array | null)[];
  /** The target label's name as bytes (`null` for `__name__`). */
  target: Uint8Array | null;
  /** For a `keep`/`drop` rule on one upstream label: values tested, as bytes, and their results. */
  seen: Uint8Array[];
  results: boolean[];
  nextSlot: number;
}

/** The keep/drop rules of a target, for the relay. */
export class SeriesFilter {
  readonly #rules: Rule[];

  constructor(filters: readonly RelabelFilter[]) {
    this.#rules = filters.map((filter) => ({
      filter,
      sources: filter.sources.map((s) => s === "__name__" ? null : ENC.encode(s)),
      target: filter.target === "__name__" ? null : ENC.encode(filter.target),
      seen: [],
      results: [],
      nextSlot: 0,
    }));
  }

  /** Whether the rules drop the series: its labels are `lab` (offsets in `b`), then the route's added ones. */
  drops(b: Uint8Array, lab: Int32Array, labels: number, sample: SampleRoute, route: Route): boolean {
    for (const rule of this.#rules) {
      const { filter } = rule;
      if (filter.regexp !== null && rule.sources.length === 1 && rule.sources[0] !== null) {
        const at = labelAt(b, lab, labels, rule.sources[0]);
        if (at >= 0) {
          const matched = remembered(rule, b, lab[at + 2], lab[at + 3]);
          if (matched !== filter.keep) return true;
          continue;
        }
      }
      let value = "";
      for (let j = 0; j < rule.sources.length; j++) {
        if (j > 0) value += filter.separator;
        value += valueOf(b, lab, labels, sample, route, rule.sources[j], filter.sources[j]);
      }
      const matched = filter.regexp !== null
        ? filter.regexp.test(value)
        : valueOf(b, lab, labels, sample, route, rule.target, filter.target) === value;
      if (matched !== filter.keep) return true;
    }
    return false;
  }
}

/** Whether the rule's regex matches the value `b[from, to)`, from the remembered values when it is one. */
function remembered(rule: Rule, b: Uint8Array, from: number, to: number): boolean {
  const seen = rule.seen;
  for (let k = 0; k < seen.length; k++) if (sameBytes(b, from, to, seen[k])) return rule.results[k];
  const matched = rule.filter.regexp!.test(ascii(b, from, to));
  const slot = rule.nextSlot;
  rule.nextSlot = (slot + 1) % REMEMBERED;
  seen[slot] = b.slice(from, to);
  rule.results[slot] = matched;
  return matched;
}

/** A label's value as relabelling sees it: `__name__` the name, then upstream labels, then added ones. */
function valueOf(
  b: Uint8Array,
  lab: Int32Array,
  labels: number,
  sample: SampleRoute,
  route: Route,
  bytes: Uint8Array | null,
  name: string,
): string {
  if (bytes === null) return sample.relabelName;
  const at = labelAt(b, lab, labels, bytes);
  if (at >= 0) return ascii(b, lab[at + 2], lab[at + 3]);
  const added = route.addedPairs;
  for (let i = 0; i < added.length; i += 2) if (added[i] === name) return added[i + 1];
  return "";
}
