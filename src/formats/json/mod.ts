/**
 * The JSON format: how an upstream JSON body becomes model families. Two ways, chosen per target:
 * - the seed's flattening, with no `json:` mapping: every numeric leaf of the top-level object is one
 *   `unknown` sample named by its `_`-joined key path ({@linkcode flattenJson} on text,
 *   {@linkcode flattenJsonBytes} straight from the body bytes with no document tree, same result);
 * - a target's `json:` mapping, compiled once at config load ({@linkcode compileJsonMapping}) and run on
 *   each parsed body ({@linkcode parseJson}).
 *
 * This is the folder's only public entry; the `_*.ts` files beside it are private to it.
 *
 * @example Flattening a body the seed's way
 * ```ts
 * import { flattenJson, flattenJsonBytes } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const text = '{"cache": {"hits": 5}, "up": true, "name": "x"}';
 * const { families, skipped } = flattenJson(text);
 * assert.deepEqual(families.map((f) => [f.name, f.samples[0].value]), [["cache_hits", 5], ["up", 1]]);
 * assert.equal(skipped, 1);
 * assert.deepEqual(flattenJsonBytes(new TextEncoder().encode(text)), { families, skipped });
 * ```
 *
 * @module
 */

export { coerceJsonValue, type FlatJsonResult, flattenJson, MAX_JSON_DEPTH, parseJson } from "./_flat.ts";
export {
  DEFAULT_BLOCK_BYTES,
  type FlattenBytesOptions,
  flattenJsonBytes,
  flattenJsonSteps,
} from "./_stream.ts";
export {
  compileJsonMapping,
  type JsonMapping,
  type JsonMapResult,
  KEY_SOURCE,
  KEYPATH_SOURCE,
  MAX_RECURSE_DEPTH,
} from "./_map.ts";
export { SANITIZE_CACHE_SIZE } from "./_names.ts";
