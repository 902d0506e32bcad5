/**
 * A small server for the lifecycle tests, run as a subprocess so real signals reach it: SIGHUP reloads the
 * modules file through a ConfigHolder, SIGTERM shuts down gracefully. Prints "listening PORT" when ready,
 * and "reload ok" / "reload failed" / "shutdown clean|forced" as things happen.
 *
 * Usage: deno run --allow-read --allow-net lifecycle_server.ts CONFIG.yaml
 *
 * @module
 */

import { parse } from "yaml";
import { ConfigError } from "../../../src/errors.ts";
import { type ModulesConfig, modulesSchema } from "../../../src/config/modules.ts";
import { ConfigHolder, readyHandler, reloadHandler } from "../../../src/server/reload.ts";
import { shutdownGracefully } from "../../../src/server/shutdown.ts";

/** Reads a YAML file with a top-level `modules:` map; throws ConfigError naming every problem. */
export async function loadModulesFile(path: string): Promise<ModulesConfig> {
  const doc = parse(await Deno.readTextFile(path)) as { modules?: unknown };
  const parsed = modulesSchema.safeParse(doc?.modules ?? {});
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${path}: modules.${i.path.join(".")}: ${i.message}`));
  }
  return parsed.data;
}

if (import.meta.main) {
  const path = Deno.args[0];
  const say = (line: string) => Deno.stdout.writeSync(new TextEncoder().encode(line + "\n"));
  const holder = new ConfigHolder({ load: () => loadModulesFile(path) });
  const first = await holder.reload();
  if (!first.ok) {
    say(`load failed ${first.error.message}`);
    Deno.exit(1);
  }
  const reload = reloadHandler(holder);
  const ready = readyHandler(holder);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: ({ port }) => say(`listening ${port}`) }, async (req) => {
    const { pathname } = new URL(req.url);
    if (pathname === "/-/reload") return reload(req);
    if (pathname === "/-/ready") return ready(req);
    if (pathname === "/modules") return new Response(Object.keys(holder.current ?? {}).join(",") + "\n");
    if (pathname === "/slow") {
      await new Promise((r) => setTimeout(r, 600));
      return new Response("slow done\n");
    }
    return new Response("not found\n", { status: 404 });
  });
  Deno.addSignalListener("SIGHUP", async () => {
    const outcome = await holder.reload();
    say(outcome.ok ? "reload ok" : "reload failed");
  });
  Deno.addSignalListener("SIGTERM", async () => {
    say("shutting down");
    say(`shutdown ${await shutdownGracefully(server, 3_000)}`);
    Deno.exit(0);
  });
}
