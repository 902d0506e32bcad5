/**
 * Runs the JSONPath Compliance Test Suite (RFC 9535; tests/testdata/jsonpath-cts, BSD-2, see the README there
 * for provenance) against our JSONPath: every valid selector must select one of the expected node lists, each
 * node's key being the last element of its normalized path, and every invalid selector must be refused at
 * compile time with a SyntaxError.
 *
 * @module
 */

import assert from "node:assert/strict";
import { compileJsonPath, selectNodes } from "../../src/jsonpath/mod.ts";

interface Case {
  name: string;
  selector: string;
  document?: unknown;
  result?: unknown[];
  result_paths?: string[];
  results?: unknown[][];
  results_paths?: string[][];
  invalid_selector?: boolean;
}

const { tests: CASES } = JSON.parse(
  await Deno.readTextFile(new URL("../testdata/jsonpath-cts/cts.json", import.meta.url)),
) as { tests: Case[] };

/**
 * Cases we knowingly fail, by name, with the reason. Each must still fail (so that the table cannot rot);
 * every other case must pass.
 */
const UNSUPPORTED: Readonly<Record<string, string>> = {};

/** The last element of a normalized path (`$['a'][0]` gives `0`), as a node key; `""` for `$`. */
function lastKey(path: string): string {
  let key = "";
  let i = 1;
  while (i < path.length) {
    assert.equal(path[i], "[", `bad normalized path ${path}`);
    i++;
    if (path[i] === "'") {
      i++;
      key = "";
      while (path[i] !== "'") {
        if (path[i] !== "\\") {
          key += path[i++];
          continue;
        }
        const esc = path[i + 1];
        if (esc === "u") {
          key += String.fromCharCode(parseInt(path.slice(i + 2, i + 6), 16));
          i += 6;
          continue;
        }
        const simple: Record<string, string> = {
          b: "\b",
          f: "\f",
          n: "\n",
          r: "\r",
          t: "\t",
          "'": "'",
          "\\": "\\",
        };
        key += simple[esc];
        i += 2;
      }
      i += 2; // the quote and "]"
    } else {
      const end = path.indexOf("]", i);
      key = path.slice(i, end);
      i = end + 1;
    }
  }
  return key;
}

/** Why a case fails, or null when it passes. */
function failure(c: Case): string | null {
  let path;
  try {
    path = compileJsonPath(c.selector);
  } catch (e) {
    if (c.invalid_selector) return e instanceof SyntaxError ? null : `threw ${e} instead of a SyntaxError`;
    return `refused: ${(e as Error).message}`;
  }
  if (c.invalid_selector) return "accepted an invalid selector";
  const { nodes } = selectNodes(path, c.document, c.document);
  const values = nodes.map((n) => n.value);
  const keys = nodes.map((n) => n.key);
  const results = c.results ?? [c.result!];
  const paths = c.results_paths ?? (c.result_paths === undefined ? undefined : [c.result_paths]);
  for (let i = 0; i < results.length; i++) {
    try {
      assert.deepStrictEqual(values, results[i]);
      if (paths !== undefined) assert.deepStrictEqual(keys, paths[i].map(lastKey));
      return null;
    } catch {
      // try the next allowed result
    }
  }
  return `selected ${JSON.stringify(values)} with keys ${JSON.stringify(keys)}`;
}

Deno.test("the compliance test suite has its 703 cases", () => {
  assert.equal(CASES.length, 703);
});

Deno.test("every compliance case passes, but the UNSUPPORTED ones", () => {
  const failed = CASES.map((c) => [c.name, failure(c)] as const).filter(([n, f]) =>
    f !== null && !(n in UNSUPPORTED)
  );
  assert.deepEqual(failed, []);
});

Deno.test("every UNSUPPORTED compliance case still fails", () => {
  for (const name of Object.keys(UNSUPPORTED)) {
    const c = CASES.find((c) => c.name === name);
    assert.ok(c !== undefined, `no case named ${name}`);
    assert.notEqual(failure(c), null, `${name} passes now: remove it from UNSUPPORTED`);
  }
});

Deno.test("lastKey() reads the last element of a normalized path", () => {
  assert.equal(lastKey("$"), "");
  assert.equal(lastKey("$['a'][12]"), "12");
  assert.equal(lastKey("$[0]['it\\'s]\\\\ \\u000b']"), "it's]\\ \u000b");
});
