/**
 * The shape of the code, checked: imports follow the layers docs/DESIGN.md names ("Modules and layers"), a
 * folder's private `_*.ts` files are imported only from inside that folder, every file in src/ stays under 400
 * lines, and each folder of src/ has its tests in the folder of the same name under tests/.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const SRC = join(ROOT, "src");

/**
 * The layers, first to last: a module may import its own layer and earlier ones, never a later one. The
 * entries are paths under src/ (a folder ends with `/`).
 */
const LAYERS: readonly (readonly string[])[] = [
  ["errors.ts", "model.ts", "log.ts", "version.ts", "url.ts", "duration.ts", "pace.ts"],
  ["cli/"],
  ["goregexp/", "relabel/", "patterns/", "jsonpath/"],
  ["config/"],
  ["upstream/"],
  ["formats/"],
  ["transform/"],
  ["exposition/"],
  ["memo/", "relay/", "scrape/", "explain.ts", "suggest/"],
  ["server/", "web/"],
];

/** The most lines a file in src/ may have. */
const MAX_LINES = 400;

/** Every `.ts` file below `dir`, as absolute paths. */
function tsFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) found.push(...tsFiles(path));
    else if (entry.name.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

/** The relative specifiers a module imports or re-exports (doc-comment examples excluded: they start with `*`). */
function relativeImports(text: string): string[] {
  const specifiers: string[] = [];
  const statement = /^(?:import|export)\b[^;]*?["'](\.{1,2}\/[^"']+)["']/gm;
  for (const m of text.matchAll(statement)) specifiers.push(m[1]);
  return specifiers;
}

/** The layer index of a path under src/, or `undefined` for a path no layer names. */
function layerOf(pathUnderSrc: string): number | undefined {
  const i = LAYERS.findIndex((entries) =>
    entries.some((e) => e.endsWith("/") ? pathUnderSrc.startsWith(e) : pathUnderSrc === e)
  );
  return i === -1 ? undefined : i;
}

const sources = tsFiles(SRC);
const importsOf = new Map(sources.map((f) => [f, relativeImports(Deno.readTextFileSync(f))]));

Deno.test("structure: every module in src/ belongs to a layer", () => {
  const unplaced = sources.map((f) => relative(SRC, f)).filter((p) => layerOf(p) === undefined);
  assert.deepEqual(unplaced, [], "add these to LAYERS here and to docs/DESIGN.md");
});

Deno.test("structure: imports in src/ never reach a later layer", () => {
  const against: string[] = [];
  for (const [file, specifiers] of importsOf) {
    const from = relative(SRC, file);
    for (const spec of specifiers) {
      const to = relative(SRC, resolve(dirname(file), spec));
      if (to.startsWith("..")) {
        against.push(`${from} imports ${spec}, outside src/`);
        continue;
      }
      const a = layerOf(from), b = layerOf(to);
      if (a !== undefined && b !== undefined && b > a) against.push(`${from} -> ${to}`);
    }
  }
  assert.deepEqual(against, []);
});

Deno.test("structure: a folder's private _*.ts files are imported only from inside it", () => {
  const files = [...sources, join(ROOT, "main.ts")];
  const leaks: string[] = [];
  for (const file of files) {
    const specifiers = importsOf.get(file) ?? relativeImports(Deno.readTextFileSync(file));
    for (const spec of specifiers) {
      const target = resolve(dirname(file), spec);
      const name = target.slice(target.lastIndexOf("/") + 1);
      if (!name.startsWith("_")) continue;
      const folder = dirname(target);
      if (file !== folder && !file.startsWith(folder + "/")) {
        leaks.push(`${relative(ROOT, file)} -> ${relative(ROOT, target)}`);
      }
    }
  }
  assert.deepEqual(leaks, []);
});

Deno.test(`structure: every file in src/ is under ${MAX_LINES} lines`, () => {
  const long = sources
    .map((f) => [relative(ROOT, f), Deno.readTextFileSync(f).split("\n").length - 1] as const)
    .filter(([, lines]) => lines >= MAX_LINES)
    .map(([f, lines]) => `${f}: ${lines}`);
  assert.deepEqual(long, []);
});

Deno.test("structure: each folder of src/ has its tests in tests/ under the same name", () => {
  const missing: string[] = [];
  for (const entry of Deno.readDirSync(SRC)) {
    if (!entry.isDirectory) continue;
    const dir = join(ROOT, "tests", entry.name);
    let tests = 0;
    try {
      tests = tsFiles(dir).filter((f) => f.endsWith("_test.ts")).length;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (tests === 0) missing.push(`tests/${entry.name}/`);
  }
  assert.deepEqual(missing, []);
});

Deno.test("structure: the import scan sees imports, so the checks above can fail", () => {
  const specs = relativeImports(
    'import { a } from "./_x.ts";\nexport { b } from "../y/mod.ts";\n * import { c } from "./z.ts";\n',
  );
  assert.deepEqual(specs, ["./_x.ts", "../y/mod.ts"]);
  assert.equal(layerOf("config/load.ts"), 3);
  assert.equal(layerOf("server/mod.ts"), LAYERS.length - 1);
  assert.equal(layerOf("nowhere.ts"), undefined);
});
