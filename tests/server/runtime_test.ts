/**
 * src/server/runtime.ts on its own: what one loaded configuration becomes (targets with their caches and
 * clients, `/probe` modules, a single-flight group), and the helpers `main.ts` uses around it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { parseCommandLine } from "../../src/cli/mod.ts";
import { ConfigError } from "../../src/errors.ts";
import {
  closeRuntime,
  loadExporterConfig,
  loadRuntime,
  longestTimeoutMs,
  staticRuntime,
} from "../../src/server/runtime.ts";
import { compileTarget } from "../../src/scrape/mod.ts";
import { configFromFlags } from "../../src/config/from_flags.ts";

const CONFIG = `
targets:
  - name: remote
    url: http://127.0.0.1:9/metrics
    timeout: 3s
  - name: local
    url: file://./body.txt
    timeout: 2s
modules:
  node:
    http:
      timeout: 7s
    allowed_targets: [127.0.0.0/8]
  open:
    http:
      timeout: 1s
`;

/** Writes CONFIG (and the file target's body) into a fresh directory and parses flags for it. */
async function configDir(extra: string[] = []) {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(join(dir, "config.yaml"), CONFIG);
  await Deno.writeTextFile(join(dir, "body.txt"), "# TYPE jobs gauge\njobs 3\n");
  const inv = parseCommandLine(["start", "--config.file", join(dir, "config.yaml"), ...extra], {});
  assert.ok(inv.kind === "run");
  return { dir, flags: inv.flags, [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("loadRuntime() compiles targets with series cache and memo, and modules with clients", async () => {
  await using c = await configDir();
  const runtime = await loadRuntime(c.flags, c.dir);
  try {
    assert.deepEqual(runtime.targets.map((t) => t.config.name), ["remote", "local"]);
    // Static targets are scraped over and over: both caches; a network target gets its own client.
    for (const t of runtime.targets) assert.ok(t.memo !== undefined, `${t.config.name} has a memo`);
    assert.ok(runtime.targets[0].client !== undefined);
    assert.equal(runtime.targets[1].client, undefined, "a file target needs no HTTP client");
    assert.deepEqual([...runtime.modules.keys()], ["node", "open"]);
    assert.equal(runtime.modules.get("node")?.timeoutMs, 7_000);
    assert.ok(runtime.modules.get("node")?.allow !== null);
    assert.equal(runtime.modules.get("open")?.allow, null, "no allowed_targets: no list");
    assert.deepEqual(runtime.moduleTargets.map((t) => t.client !== undefined), [true, true]);
    assert.equal(runtime.web, undefined);
    assert.equal(longestTimeoutMs(runtime), 7_000);
  } finally {
    closeRuntime(runtime);
  }
});

Deno.test("loadRuntime() leaves the memo out under --scrape.no-memo", async () => {
  await using c = await configDir(["--scrape.no-memo"]);
  const runtime = await loadRuntime(c.flags, c.dir);
  try {
    for (const t of runtime.targets) assert.equal(t.memo, undefined, t.config.name);
  } finally {
    closeRuntime(runtime);
  }
});

Deno.test("loadRuntime() gives every load its own single-flight group", async () => {
  await using c = await configDir();
  const a = await loadRuntime(c.flags, c.dir);
  const b = await loadRuntime(c.flags, c.dir);
  try {
    assert.notEqual(a.flight, b.flight, "a reload must never serve results of the old rules");
  } finally {
    closeRuntime(a);
    closeRuntime(b);
  }
});

Deno.test("loadRuntime() throws a ConfigError for a bad file, so a reload keeps the old runtime", async () => {
  await using c = await configDir();
  await Deno.writeTextFile(join(c.dir, "config.yaml"), "targets: []\n");
  await assert.rejects(() => loadRuntime(c.flags, c.dir), ConfigError);
});

Deno.test("loadExporterConfig() reads the seed flags when no config file is named", async () => {
  const inv = parseCommandLine(["start", "-s", "svc", "-u", "http://127.0.0.1:9/m"], {});
  assert.ok(inv.kind === "run");
  const config = await loadExporterConfig(inv.flags, "/");
  assert.deepEqual(config.targets.map((t) => t.url), ["http://127.0.0.1:9/m"]);
  assert.deepEqual(config.modules, []);
});

Deno.test("closeRuntime() closes the clients of targets and modules", async () => {
  await using c = await configDir();
  const runtime = await loadRuntime(c.flags, c.dir);
  const closed: string[] = [];
  for (const t of [...runtime.targets, ...runtime.moduleTargets]) {
    const client = t.client;
    if (client === undefined) continue;
    const close = client.close.bind(client);
    client.close = () => {
      closed.push(t.config.name);
      close();
    };
  }
  closeRuntime(runtime);
  assert.deepEqual(closed, ["remote", "node", "open"]);
});

Deno.test("staticRuntime() serves given targets without modules, with a flight of its own", () => {
  const inv = parseCommandLine(["start", "-s", "svc", "-u", "http://127.0.0.1:9/m"], {});
  assert.ok(inv.kind === "run");
  const target = compileTarget(configFromFlags(inv.flags, "http://127.0.0.1:9/m").targets[0]);
  const a = staticRuntime([target]);
  assert.deepEqual(a.targets, [target]);
  assert.equal(a.modules.size, 0);
  assert.deepEqual(a.moduleTargets, []);
  assert.notEqual(a.flight, staticRuntime([target]).flight);
  assert.equal(longestTimeoutMs(a), target.config.timeoutMs);
});
