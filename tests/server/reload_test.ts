import assert from "node:assert/strict";
import { writeText } from "../../src/exposition/text.ts";
import type { ModulesConfig } from "../../src/config/modules.ts";
import { ConfigHolder, readyHandler, RELOAD_METRIC, reloadHandler } from "../../src/server/reload.ts";
import { hasTool, tempDir } from "../_lib/ops_helpers.ts";
import { loadModulesFile } from "../testdata/ops/lifecycle_server.ts";

const OPS = new URL("../testdata/ops/", import.meta.url).pathname;

/** Serves a holder's /-/reload and /-/ready on a real socket. */
function serveLifecycle(holder: ConfigHolder<ModulesConfig>) {
  const ac = new AbortController();
  const reload = reloadHandler(holder);
  const ready = readyHandler(holder);
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    (req) => {
      return new URL(req.url).pathname === "/-/reload" ? reload(req) : ready(req);
    },
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  const call = async (method: string, path: string) => {
    const res = await fetch(origin + path, { method });
    return { status: res.status, text: await res.text(), allow: res.headers.get("allow") };
  };
  return {
    call,
    [Symbol.asyncDispose]: async () => {
      ac.abort();
      await server.finished;
    },
  };
}

function metricValues<C>(holder: ConfigHolder<C>): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const f of holder.families()) out[f.name] = f.samples[0]?.value;
  return out;
}

Deno.test("ConfigHolder.reload() keeps the old config when the new one is bad, and says so", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.yaml`;
  let now = 1_700_000_000_000;
  const swaps: [string[], string[] | undefined][] = [];
  const holder = new ConfigHolder<ModulesConfig>({
    load: () => loadModulesFile(path),
    now: () => now,
    onSwap: (next, prev) => swaps.push([Object.keys(next), prev && Object.keys(prev)]),
  });
  await using srv = serveLifecycle(holder);

  assert.equal((await srv.call("GET", "/-/ready")).status, 503);
  assert.deepEqual(metricValues(holder), {
    [RELOAD_METRIC.successful]: 0,
    [RELOAD_METRIC.successTimestamp]: undefined,
  });

  await Deno.copyFile(`${OPS}/good.yaml`, path);
  assert.deepEqual(await holder.reload(), { ok: true });
  assert.deepEqual(await srv.call("GET", "/-/ready"), { status: 200, text: "Ready\n", allow: null });
  assert.deepEqual(metricValues(holder), {
    [RELOAD_METRIC.successful]: 1,
    [RELOAD_METRIC.successTimestamp]: 1_700_000_000,
  });

  assert.deepEqual(await srv.call("GET", "/-/reload"), {
    status: 405,
    text: "Only POST or PUT requests allowed\n",
    allow: "POST, PUT",
  });

  now += 60_000;
  await Deno.copyFile(`${OPS}/bad.yaml`, path);
  const bad = await srv.call("POST", "/-/reload");
  assert.equal(bad.status, 500);
  assert.match(bad.text, /^failed to reload config: /);
  assert.match(bad.text, /modules\.node\.http: Unrecognized key: "bearer_tokne_file"/);
  assert.doesNotMatch(bad.text, /SECRET/);
  assert.deepEqual(Object.keys(holder.current ?? {}), ["node"], "the old config still serves");
  assert.equal((await srv.call("GET", "/-/ready")).status, 200);
  assert.deepEqual(metricValues(holder), {
    [RELOAD_METRIC.successful]: 0,
    [RELOAD_METRIC.successTimestamp]: 1_700_000_000,
  });

  now += 60_000;
  await Deno.copyFile(`${OPS}/good2.yaml`, path);
  assert.equal((await srv.call("PUT", "/-/reload")).status, 200);
  assert.deepEqual(Object.keys(holder.current ?? {}), ["node", "spring"]);
  assert.deepEqual(metricValues(holder), {
    [RELOAD_METRIC.successful]: 1,
    [RELOAD_METRIC.successTimestamp]: 1_700_000_120,
  });
  assert.deepEqual(swaps, [[["node"], undefined], [["node", "spring"], ["node"]]]);
});

Deno.test("ConfigHolder.reload() runs reloads one at a time, in order", async () => {
  let running = 0;
  let most = 0;
  let n = 0;
  const holder = new ConfigHolder<number>({
    load: async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return ++n;
    },
  });
  const outcomes = await Promise.all([holder.reload(), holder.reload(), holder.reload()]);
  assert.deepEqual(outcomes, [{ ok: true }, { ok: true }, { ok: true }]);
  assert.equal(most, 1);
  assert.equal(holder.current, 3);
});

Deno.test({
  name: "ConfigHolder.families() passes promtool check metrics",
  ignore: !hasTool("promtool", ["--version"]) && Deno.env.get("REQUIRE_E2E") !== "1",
  fn: async () => {
    const holder = new ConfigHolder({ load: () => Promise.resolve(1) });
    await holder.reload();
    const cmd = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    });
    const child = cmd.spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(writeText(holder.families())));
    await writer.close();
    const out = await child.output();
    assert.equal(
      out.success,
      true,
      new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    );
  },
});

// ---- real signals: SIGHUP reloads, SIGTERM drains --------------------------------------------------------

/** Starts the lifecycle fixture as a subprocess and reads its stdout line by line. */
async function startFixture(configPath: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-net",
      "--allow-env=LOG_TOKENS,LOG_STREAM",
      `${OPS}/lifecycle_server.ts`,
      configPath,
    ],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).pipeThrough(splitLines()).getReader();
  const next = async (): Promise<string> => {
    const { value, done } = await lines.read();
    if (done) throw new Error("fixture ended early");
    return value;
  };
  const listening = await next();
  const port = Number(/^listening (\d+)$/.exec(listening)?.[1]);
  assert.ok(port > 0, listening);
  return { child, next, lines, origin: `http://127.0.0.1:${port}` };
}

function splitLines(): TransformStream<string, string> {
  let buf = "";
  return new TransformStream({
    transform(chunk, c) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        c.enqueue(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    },
  });
}

Deno.test("SIGHUP reloads the config; a bad file keeps the old one", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.yaml`;
  await Deno.copyFile(`${OPS}/good.yaml`, path);
  const fx = await startFixture(path);
  try {
    const modules = async () => await (await fetch(`${fx.origin}/modules`)).text();
    assert.equal(await modules(), "node\n");
    await Deno.copyFile(`${OPS}/bad.yaml`, path);
    fx.child.kill("SIGHUP");
    assert.equal(await fx.next(), "reload failed");
    assert.equal(await modules(), "node\n");
    await Deno.copyFile(`${OPS}/good2.yaml`, path);
    fx.child.kill("SIGHUP");
    assert.equal(await fx.next(), "reload ok");
    assert.equal(await modules(), "node,spring\n");
  } finally {
    fx.child.kill("SIGKILL");
    await fx.lines.cancel();
    await fx.child.status;
  }
});

Deno.test("SIGTERM during a slow request lets it finish, refuses new connections and exits 0", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.yaml`;
  await Deno.copyFile(`${OPS}/good.yaml`, path);
  const fx = await startFixture(path);
  const slow = fetch(`${fx.origin}/slow`).then(async (r) => `${r.status} ${await r.text()}`);
  await new Promise((r) => setTimeout(r, 150));
  fx.child.kill("SIGTERM");
  assert.equal(await fx.next(), "shutting down");
  await new Promise((r) => setTimeout(r, 50));
  await assert.rejects(
    () => fetch(`${fx.origin}/-/ready`).then((r) => r.body?.cancel()),
    "no new connections",
  );
  assert.equal(await slow, "200 slow done\n");
  assert.equal(await fx.next(), "shutdown clean");
  await fx.lines.cancel();
  assert.equal((await fx.child.status).code, 0);
});
