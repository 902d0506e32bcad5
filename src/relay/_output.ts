/**
 * The output side of a relay pass: the output families it fills, and what OpenMetrics writes otherwise than
 * text 0.0.4 (bounds spelled canonically, `_created` families folded), which the pass copies or gives back.
 *
 * @module
 */

import { canonicalFloatLabel, escapeLabelValue } from "../exposition/escape.ts";
import { ascii, GiveUp } from "./_lex.ts";
import type { Route } from "./_route.ts";
import { MAIN, SIDE } from "./_arena.ts";

/** An output family of one pass: where its lines are in the arena. */
export interface PassFamily {
  /** The route that made it: its output name, type, header and names. */
  out: NonNullable<Route["out"]>;
  /** The arena its lines go to (./_arena.ts): `SIDE` when it was made by a route the rules merge. */
  arena: number;
  /** Start and end offsets in its arena, in pairs; the first run begins with the family's header. */
  runs: number[];
  /** Lines written. */
  lines: number;
  /** A small number that tells the family apart in the series hash. */
  id: number;
  /** The routes feeding it in this pass. */
  routes: Route[];
  /** Whether its series are checked for duplicates (as the pipeline checks this family's). */
  hashed: boolean;
  /** Writing OpenMetrics: the label it spells canonically (`le`, `quantile`), as bytes; else `null`. */
  special: Uint8Array | null;
}

/** The label the OpenMetrics writer spells canonically, by family type. */
export const SPECIAL: Readonly<Record<string, Uint8Array>> = {
  histogram: new TextEncoder().encode("le"),
  summary: new TextEncoder().encode("quantile"),
};

/** The types whose `_created` samples the OpenMetrics writer folds in. */
const CREATED_TYPES: ReadonlySet<string> = new Set(["counter", "histogram", "summary"]);

/**
 * The OpenMetrics spelling of a bound (`le`, `quantile`) when it differs from the body's, else `""`; kept per
 * spelling for the pass (a histogram's bounds repeat on every series).
 */
export class BoundSpellings {
  readonly #spelled = new Map<string, string>();

  /** The spelling of `b[from, to)`. */
  of(b: Uint8Array, from: number, to: number): string {
    const raw = ascii(b, from, to);
    let spelled = this.#spelled.get(raw);
    if (spelled === undefined) {
      const canonical = escapeLabelValue(canonicalFloatLabel(raw));
      spelled = canonical === raw ? "" : canonical;
      this.#spelled.set(raw, spelled);
    }
    return spelled;
  }
}

/** Whether the OpenMetrics writer would fold a gauge `x_created` into a counter, histogram or summary `x`. */
export function foldsCreated(
  families: readonly PassFamily[],
  byName: ReadonlyMap<string, PassFamily>,
): boolean {
  for (const f of families) {
    if ((f.out.type !== "gauge" && f.out.type !== "unknown") || !f.out.name.endsWith("_created")) continue;
    const base = byName.get(f.out.name.slice(0, -8));
    if (base !== undefined && base.lines > 0 && CREATED_TYPES.has(base.out.type)) return true;
  }
  return false;
}

/**
 * The output families of one pass, made on first use, in the order the pipeline writes them. A family fed by
 * a second route is one the pipeline checks for duplicates: if its lines so far were not hashed, the body
 * goes back, and its routes are hashed from the next pass on.
 */
export class OutputFamilies {
  readonly #families: PassFamily[] = [];
  readonly #byName = new Map<string, PassFamily>();
  /** Writing OpenMetrics (else text 0.0.4). */
  readonly #om: boolean;

  constructor(om: boolean) {
    this.#om = om;
  }

  /** The family a route writes into in pass `passId` (the route keeps it, stamped with the pass). */
  of(route: Route, passId: number): PassFamily {
    const out = route.out!;
    let fam = this.#byName.get(out.name);
    if (fam === undefined) {
      const special = this.#om ? SPECIAL[out.type] ?? null : null;
      fam = {
        out,
        arena: route.checked ? SIDE : MAIN,
        runs: [],
        lines: 0,
        id: this.#byName.size + 1,
        routes: [route],
        hashed: route.checked,
        special,
      };
      this.#byName.set(out.name, fam);
      this.#families.push(fam);
    } else {
      if (fam.out.type !== out.type) throw new GiveUp("two types under one name"); // on_duplicate decides
      fam.routes.push(route);
      if (!fam.hashed) {
        for (const r of fam.routes) r.checked = true;
        if (fam.lines > 0) throw new GiveUp("a family merged from several, met for the first time");
        fam.hashed = true;
      }
    }
    if (fam.special !== null && route.addedPairs.includes(ascii(fam.special, 0, fam.special.length))) {
      throw new GiveUp("an added label OpenMetrics spells canonically");
    }
    route.pass = passId;
    route.family = fam;
    return fam;
  }

  /** The families with at least one line; in OpenMetrics, none the writer would fold into another. */
  written(): PassFamily[] {
    const families = this.#families.filter((f) => f.lines > 0);
    if (this.#om && foldsCreated(families, this.#byName)) {
      throw new GiveUp("a `_created` family the OpenMetrics writer folds");
    }
    return families;
  }
}
