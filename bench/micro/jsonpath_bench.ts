/**
 * Our JSONPath against the two RFC 9535 libraries on npm (`json-p3`, `jsonpath-rfc9535`) on documents of 10k
 * and 100k JSON nodes, with the paths the JSON mapping uses: a wildcard over items, a singular path, a filter,
 * the descendant segment, and `selectOne` per item (what the mapping runs per node for values and labels).
 * Every library run also reads each node's key, as the mapping needs it. The evidence behind the choice in
 * docs/DESIGN.md. Run: `deno bench --allow-read bench/micro/jsonpath_bench.ts`.
 *
 * @module
 */

// Evaluated for comparison only (see docs/DESIGN.md); deliberately not in deno.json "imports".
// deno-lint-ignore no-import-prefix
import { jsonpath as p3 } from "npm:json-p3@2.3.1";
// deno-lint-ignore no-import-prefix
import { exec as rfcExec } from "npm:jsonpath-rfc9535@1.3.0";
import { compileJsonPath, type JsonNode, selectNodes, selectOne } from "../../src/jsonpath/mod.ts";

/** A document of `items` objects of 10 nodes each, plus `a.b`: about `10 × items` JSON nodes. */
function makeDoc(items: number): { items: unknown[]; a: { b: number } } {
  const states = ["RUNNING", "FAILED", "PAUSED", "RUNNING"];
  const list = [];
  for (let i = 0; i < items; i++) {
    list.push({
      id: i,
      name: `task-${i}`,
      state: states[i % states.length],
      meta: { name: `m${i}`, n: i },
      tags: ["x", "y"],
    });
  }
  return { items: list, a: { b: 42 } };
}

const PATHS = ["$.items[*]", "$.a.b", "$.items[?@.state == 'FAILED']", "$..name"];

// deno-lint-ignore no-explicit-any
type Json = any;

for (const [label, items] of [["10k", 1_000], ["100k", 10_000]] as const) {
  const doc = makeDoc(items);
  for (const source of PATHS) {
    const group = `${label} nodes ${source}`;
    const ours = compileJsonPath(source);
    const lib = p3.compile(source);
    Deno.bench(`ours ${group}`, { group, baseline: true }, () => {
      selectNodes(ours, doc, doc);
    });
    Deno.bench(`json-p3 ${group}`, { group }, () => {
      const out: JsonNode[] = [];
      for (const n of lib.query(doc as Json).nodes) {
        out.push({ value: n.value, key: n.location.length === 0 ? "" : String(n.location.at(-1)) });
      }
    });
    Deno.bench(`jsonpath-rfc9535 ${group}`, { group }, () => {
      const out: JsonNode[] = [];
      rfcExec(doc as Json, source, (value: unknown, path: unknown[]) => {
        out.push({ value, key: path.length === 0 ? "" : String(path.at(-1)) });
      });
    });
  }

  // The hot path: a singular path read from every item, as the mapping reads values and labels.
  const group = `${label} nodes selectOne @.meta.n per item`;
  const one = compileJsonPath("@.meta.n");
  const lib = p3.compile("$.meta.n");
  Deno.bench(`ours ${group}`, { group, baseline: true }, () => {
    for (const item of doc.items) selectOne(one, doc, item);
  });
  Deno.bench(`json-p3 ${group}`, { group }, () => {
    for (const item of doc.items) lib.query(item as Json).values()[0];
  });
}

// `match`/`search` in a filter, as the mapping uses them (I-Regexp, see src/jsonpath/_iregexp.ts); ours only.
{
  const doc = makeDoc(1_000);
  for (const source of ["$.items[?match(@.state, 'RUN.*')]", "$.items[?search(@.name, 'k-9')]"]) {
    const path = compileJsonPath(source);
    Deno.bench(`ours 10k nodes ${source}`, { group: "match/search" }, () => {
      selectNodes(path, doc, doc);
    });
  }
}
