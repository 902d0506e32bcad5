/**
 * What `explain` and `check --input` say about a JSON mapping's run: each entry that read nothing, named by
 * where it is in the config and by its keys (`path`, `recurse`, `name` or `name_from`, `value` or `count`
 * and `group_by`), and `name_from` entries that found no usable name in some nodes.
 *
 * @module
 */

import type { Compiled } from "./_compile.ts";
import type { MapState } from "./_metric.ts";

/** The entries that read nothing, from the counts a traced run kept in `state`. */
export function unselectedEntries(roots: readonly Compiled[], state: MapState): string[] {
  const visits = state.visits!;
  const produced = state.produced!;
  const noName = state.noName!;
  const out: string[] = [];
  const walk = (e: Compiled): void => {
    if (visits[e.id] === 0) {
      // Only a path can select nothing: an `@` entry runs whenever its parent does. Children never ran.
      if (e.path !== null) {
        const recurse = e.recurse === null ? "" : ` (recurse ${JSON.stringify(e.recurse)})`;
        out.push(`${e.where} path ${JSON.stringify(e.pathSource)}${recurse} selected nothing`);
      }
      return;
    }
    if (e.kind === "group") {
      for (const c of e.children) walk(c);
    } else if (e.kind === "metric") {
      const what = e.countSource !== null
        ? `count ${JSON.stringify(e.countSource)}${
          e.groupBySource === null ? "" : ` group_by ${JSON.stringify(e.groupBySource)}`
        }`
        : `value ${JSON.stringify(e.valueSource)}`;
      if (produced[e.id] === 0) {
        out.push(`${e.where} ${e.title}: ${what} gave no series (missing, null or not usable)`);
      }
      if (noName[e.id] > 0) {
        out.push(
          `${e.where} ${e.title}: no name in ${noName[e.id]} of ${
            visits[e.id]
          } nodes (missing, not a string, or nothing left after sanitising)`,
        );
      }
    }
  };
  for (const r of roots) walk(r);
  return out;
}
