/**
 * Warnings about a valid config: things that load and run but that a user almost certainly did not mean.
 * `check` prints them; they never fail a load.
 *
 * @module
 */

import type { TargetConfig } from "./types.ts";

/**
 * Targets that no static label tells apart: a series both send is the same series twice (resolved by
 * `on_duplicate`, by default a failed scrape of the later target), and nothing in a series says which
 * target it came from.
 *
 * @example Two targets without labels
 * ```ts
 * import { indistinctTargets } from "./lint.ts";
 * import assert from "node:assert/strict";
 * const t = (name: string) => ({ name, labels: {} }) as unknown as import("./types.ts").TargetConfig;
 * assert.match(indistinctTargets([t("a"), t("b")])[0], /targets "a" and "b" have the same static labels/);
 * ```
 *
 * @returns One warning per group of targets with equal static labels.
 */
export function indistinctTargets(targets: readonly TargetConfig[]): string[] {
  const groups = new Map<string, string[]>();
  for (const t of targets) {
    const key = JSON.stringify(Object.entries(t.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [t.name]);
    else group.push(t.name);
  }
  const warnings: string[] = [];
  for (const [key, names] of groups) {
    if (names.length < 2) continue;
    const labels = (JSON.parse(key) as [string, string][]).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
    const quoted = names.map((n) => JSON.stringify(n));
    warnings.push(
      `targets ${quoted.slice(0, -1).join(", ")} and ${quoted.at(-1)} have the same static labels ` +
        `{${labels.join(", ")}}: a series they both send is a duplicate (see "on_duplicate"), and no label ` +
        `says which target sent a series; give each a label, e.g. labels: { instance: ${quoted[0]} }`,
    );
  }
  return warnings;
}
