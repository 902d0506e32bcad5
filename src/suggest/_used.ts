/**
 * The names a suggested config already gives out, by every name each family takes in the exposition (a
 * counter `x` takes `x`, `x_total` and `x_created`; an info `x` takes `x` and `x_info`), so that no two
 * suggested families clash: `once` would drop one of them with a `series conflict` warning.
 *
 * @module
 */

import { namesTaken } from "../exposition/names.ts";
import type { MetricType } from "../model.ts";

/** Base units: a disambiguating number goes before them (`latency_2_seconds`), as the conventions want. */
const UNIT_WORDS = new Set([
  "seconds",
  "bytes",
  "ratio",
  "meters",
  "celsius",
  "volts",
  "amperes",
  "joules",
  "grams",
  "hertz",
]);

/** Every name a family of `type` named `name` takes in a document. */
export function formsOf(name: string, type: MetricType): string[] {
  return namesTaken({ name, type, help: "", unit: "", samples: [] });
}

/** The names given out so far, each with every form its family takes. */
export class UsedNames {
  #names = new Set<string>();

  /** Whether a family of `type` named `name` would clash with one given out. */
  has(name: string, type: MetricType): boolean {
    return formsOf(name, type).some((n) => this.#names.has(n));
  }

  /** Gives out `name` for a family of `type`. */
  add(name: string, type: MetricType): void {
    for (const n of formsOf(name, type)) this.#names.add(n);
  }

  /** Takes back `name` of a family of `type` (renamed away). */
  delete(name: string, type: MetricType): void {
    for (const n of formsOf(name, type)) this.#names.delete(n);
  }

  /**
   * `name`, or the first free `name_2`, `name_3`... (the number before a base unit: `latency_2_seconds`), given
   * out for a family of `type`.
   */
  unique(name: string, type: MetricType): string {
    const cut = name.lastIndexOf("_");
    const unit = cut > 0 && UNIT_WORDS.has(name.slice(cut + 1)) ? name.slice(cut) : "";
    const stem = name.slice(0, name.length - unit.length);
    let n = name;
    for (let i = 2; this.has(n, type); i++) n = `${stem}_${i}${unit}`;
    this.add(n, type);
    return n;
  }

  /** The family names a family of `type` may not take (for `findFolds`' `taken`). */
  taken(type: MetricType): Set<string> {
    const suffixes = formsOf("", type).slice(1);
    const out = new Set(this.#names);
    for (const n of this.#names) {
      for (const s of suffixes) if (n.length > s.length && n.endsWith(s)) out.add(n.slice(0, -s.length));
    }
    return out;
  }
}
