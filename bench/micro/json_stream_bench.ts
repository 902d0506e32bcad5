/**
 * `deno bench` for the seed's JSON flattening: today's path (decode the whole body, `JSON.parse`, walk the
 * tree: `flattenJson`) against the streaming one (`flattenJsonBytes`, blocks of bytes, no tree), on the bench
 * upstream's `/stats.json` body (flat, one numeric member per key: 0.3 MiB at 10k, 2.7 MiB at 100k), on a
 * nested body with the same number of members (objects of 10, 7 numeric: 0.2 / 1.7 MiB) and on an array of
 * that many objects beside one number (0.6 / 6.2 MiB), which the flattening skips.
 *
 * Run: `deno bench --allow-read bench/micro/json_stream_bench.ts`
 *
 * @module
 */

import { flattenJson, flattenJsonBytes } from "../../src/formats/json/mod.ts";
import { renderStatsJson } from "../system/upstream.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * `{"svc_00000": {"requests": 1, "errors": 0, "ratio": "0.5", "name": "svc", "last": null, ...}, ...}`: `n`
 * leaves in objects of 10 members, 7 of them numeric.
 */
export function renderNestedJson(n: number): string {
  const groups: string[] = [];
  for (let g = 0; g * 10 < n; g++) {
    const v = g * 10;
    groups.push(
      `"svc_${String(g).padStart(5, "0")}":{"requests":${v},"errors":${v % 7},"latency_ms":${v / 8},` +
        `"ratio":"0.${v % 10}","up":true,"name":"svc ${g}","last_error":null,"bytes":{"in":${v * 3},` +
        `"out":${v * 5}},"tags":["a","b"]}`,
    );
  }
  return `{${groups.join(",")}}`;
}

/**
 * `{"count": n, "items": [{"id": 0, "name": "item 0", "tags": ["a", "b"], "price": 0}, ...]}`: one leaf beside
 * an array of `n` objects that the flattening skips.
 */
export function renderArrayJson(n: number): string {
  const items: string[] = [];
  for (let i = 0; i < n; i++) items.push(`{"id":${i},"name":"item ${i}","tags":["a","b"],"price":${i / 4}}`);
  return `{"count":${n},"items":[${items.join(",")}]}`;
}

/** The bodies by shape. */
export const RENDER = { flat: renderStatsJson, nested: renderNestedJson, arrays: renderArrayJson };

const bodies = new Map<string, Uint8Array>();

/** A body, rendered on first use: importing this module (the experiment does) renders nothing. */
function body(shape: keyof typeof RENDER, n: number): Uint8Array {
  const key = `${shape} ${n}`;
  let bytes = bodies.get(key);
  if (bytes === undefined) bodies.set(key, bytes = new TextEncoder().encode(RENDER[shape](n)));
  return bytes;
}

for (const n of [10_000, 100_000]) {
  for (const shape of ["flat", "nested", "arrays"] as const) {
    const group = `${shape} ${n / 1000}k`;
    Deno.bench(`flattenJson(decode(bytes)) ${group}`, { group, baseline: true }, () => {
      flattenJson(UTF8.decode(body(shape, n)));
    });
    Deno.bench(`flattenJsonBytes(bytes) ${group}`, { group }, () => {
      flattenJsonBytes(body(shape, n));
    });
  }
}
