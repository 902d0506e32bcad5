/**
 * "Did you mean": the closest of a few names to a mistyped one, for unknown flags here and unknown config keys
 * in `src/config` and `src/web` (which reach it through `src/cli/mod.ts`).
 *
 * @module
 */

/**
 * The candidate closest to `word` when it is a likely typo of it (case-insensitive; a swap of two neighbours
 * counts as one edit), else `undefined`: for "did you mean" in flag and config errors.
 *
 * @example
 * ```ts
 * import { closestName } from "./mod.ts";
 * import assert from "node:assert/strict";
 * assert.equal(closestName("lables", ["name", "labels"]), "labels");
 * assert.equal(closestName("colour", ["name", "labels"]), undefined);
 * ```
 */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 4)) ? best : undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent swaps), for short names. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}
