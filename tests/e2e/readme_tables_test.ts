/**
 * The README's tables of flags, endpoints and metrics list exactly what the code has (issue 12, item 7):
 * flags from `OPTIONS`, `COMMAND_FLAGS` and `ENV_VARS` in src/cli/mod.ts, paths from the routes of src/server/mod.ts,
 * metric names from every `"prom_exporter_..."` and `"process_..."` string in src/. A flag, route or metric
 * added without its row (or a row left after its removal) fails here.
 *
 * @module
 */

import assert from "node:assert/strict";
import { COMMAND_FLAGS, COMMANDS, ENV_VARS, OPTIONS } from "../../src/cli/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const README = Deno.readTextFileSync(`${ROOT}README.md`);

/** The body rows of the first table after `heading`, as trimmed cells. */
function tableAfter(heading: string): string[][] {
  const start = README.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `README.md has no "${heading}"`);
  const lines = README.slice(start).split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(line.slice(1, -1).split("|").map((c) => c.trim()));
  }
  assert.ok(rows.length > 0, `README.md: no table after "${heading}"`);
  return rows;
}

/** Every string of src/**.ts (comments and docs excluded: only quoted literals count). */
function sourceTexts(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory) walk(`${dir}/${e.name}`);
      else if (e.name.endsWith(".ts")) out.push(Deno.readTextFileSync(`${dir}/${e.name}`));
    }
  };
  walk(`${ROOT}src`);
  return out;
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

Deno.test("README's flag table lists every flag, its short form, env var and commands", () => {
  const rows = tableAfter("### Flags");
  const documented = new Map<string, string[]>();
  for (const row of rows) {
    for (const m of row[0].matchAll(/--([a-z][\w.-]*)/g)) documented.set(m[1], row);
  }
  assert.deepEqual(sorted(documented.keys()), sorted(Object.keys(OPTIONS)));
  const shorts = rows.flatMap((row) => [...row[0].matchAll(/`-([a-z])`/g)].map((m) => m[1]));
  assert.deepEqual(
    sorted(shorts),
    sorted(Object.values(OPTIONS).flatMap((o) => "short" in o ? [o.short] : [])),
  );
  for (const [name, option] of Object.entries(OPTIONS)) {
    const [flag, env, , commands] = documented.get(name) as string[];
    if ("short" in option) assert.ok(flag.includes(`\`-${option.short}\``), `--${name}: short form`);
    const envVar = (ENV_VARS as Record<string, string>)[name];
    assert.equal(/`([A-Z_]+)`/.exec(env)?.[1], envVar, `--${name}: env var`);
    const takes = name === "help" || name === "version"
      ? ["all"]
      : COMMANDS.filter((c) => (COMMAND_FLAGS[c] as readonly string[]).includes(name));
    assert.deepEqual(commands.split(/,\s*/), takes, `--${name}: commands`);
  }
});

Deno.test("README's endpoint table lists every route the server answers", async () => {
  const server = await Deno.readTextFile(`${ROOT}src/server/mod.ts`);
  const routes = [...server.matchAll(/pathname === "([^"]+)"/g)].map((m) => m[1]);
  assert.ok(routes.includes("/-/reload") && routes.includes("/probe"), routes.join(" "));
  const documented = tableAfter("### Endpoints").map((row) => {
    const path = /`([^`?]+)/.exec(row[0])?.[1];
    assert.ok(path, row[0]);
    return path;
  });
  // The telemetry path is a flag (default /metrics), not a literal route.
  assert.deepEqual(sorted(documented), sorted([...routes, "/metrics"]));
});

Deno.test("README's metric table lists every metric the exporter writes about itself", () => {
  const written = sourceTexts().flatMap((text) =>
    [...text.matchAll(/"((?:prom_exporter|process)_[a-z_]+)"/g)].map((m) => m[1])
  );
  assert.ok(written.includes("prom_exporter_up"), "no metric names found in src/");
  const documented = tableAfter("### Metrics of the exporter itself").flatMap((row) =>
    [...row[0].matchAll(/`([a-z_]+)`/g)].map((m) => m[1])
  );
  assert.deepEqual(sorted(documented), sorted(written));
});
