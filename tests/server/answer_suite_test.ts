/**
 * The shared answer suite (tests/_lib/answer_suite.ts) run against every answer path: `/metrics` over the
 * cached pipeline (series cache and memo, the second scrape answered from the memo), with
 * `--scrape.no-memo` (a text body answered by the relay), with `--scrape.no-relay`, over the plain pipeline
 * (no cache at all), `/probe`, and `once`. All go through the
 * one answer builder (src/server/answer.ts), so all must agree.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { run } from "../../main.ts";
import { parseCommandLine } from "../../src/cli/mod.ts";
import type { ExpositionFormat } from "../../src/exposition/negotiate.ts";
import { SelfMetrics } from "../../src/exposition/self_metrics.ts";
import { createLogger } from "../../src/log.ts";
import { compileTarget } from "../../src/scrape/mod.ts";
import { createHandler } from "../../src/server/mod.ts";
import { closeRuntime, loadRuntime, type Runtime, staticRuntime } from "../../src/server/runtime.ts";
import { type AnswerImplementation, runAnswerSuite } from "../_lib/answer_suite.ts";

const ACCEPT: Record<ExpositionFormat, string> = {
  text: "text/plain; version=0.0.4",
  openmetrics: "application/openmetrics-text; version=1.0.0",
};

/** Runs `use` with the config written to a file, and the flags of `start` for it plus `extra`. */
async function withConfig<T>(
  config: string,
  extra: string[],
  use: (flags: ReturnType<typeof startFlags>, path: string) => Promise<T>,
): Promise<T> {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "config.yaml");
    await Deno.writeTextFile(path, config);
    return await use(startFlags(path, extra), path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function startFlags(path: string, extra: string[]) {
  const inv = parseCommandLine(["start", "--config.file", path, ...extra], {});
  if (inv.kind !== "run") throw new Error("bad flags");
  return inv.flags;
}

/** Answers `path` from a handler over `runtime`, scraping `times` times and returning the last answer. */
async function serveFrom(
  runtime: Runtime,
  path: string,
  format: ExpositionFormat,
  times = 1,
): Promise<string> {
  const handler = createHandler({
    runtime: () => runtime,
    self: new SelfMetrics({ version: "suite", targets: runtime.targets.map((t) => t.config.name) }),
    log: createLogger({ level: "error", format: "logfmt", write: () => {} }),
    version: "suite",
  });
  let text = "";
  for (let i = 0; i < times; i++) {
    const res = await handler(new Request(`http://exporter${path}`, { headers: { accept: ACCEPT[format] } }));
    text = await res.text();
  }
  return text;
}

/** Answers the memo served in the suite: the cached implementation must really use it. */
let memoHits = 0;
/** Bodies the relay answered in the suite: the relay must really be used. */
let relayed = 0;

/** `/metrics` over a runtime loaded from the config with `extra` flags. */
function metricsOver(name: string, extra: string[]): AnswerImplementation {
  return {
    name,
    answer: (config, _target, format) =>
      withConfig(config, extra, async (flags, path) => {
        const runtime = await loadRuntime(flags, join(path, ".."));
        try {
          const text = await serveFrom(runtime, "/metrics", format, 2);
          memoHits += runtime.targets[0].memo?.stats.hits ?? 0;
          relayed += runtime.targets[0].relay?.stats.relayed ?? 0;
          return text;
        } finally {
          closeRuntime(runtime);
        }
      }),
  };
}

const IMPLEMENTATIONS: readonly AnswerImplementation[] = [
  {
    name: "/metrics, plain pipeline",
    answer: (config, _target, format) =>
      withConfig(config, [], async (flags, path) => {
        const loaded = await loadRuntime(flags, join(path, ".."));
        closeRuntime(loaded);
        // The targets compiled anew, without the series cache or the memo.
        return await serveFrom(
          staticRuntime(loaded.targets.map((t) => compileTarget(t.config))),
          "/metrics",
          format,
        );
      }),
  },
  metricsOver("/metrics, series cache and memo", []),
  metricsOver("/metrics, --scrape.no-memo (the relay answers text)", ["--scrape.no-memo"]),
  metricsOver("/metrics, --scrape.no-relay", ["--scrape.no-relay"]),
  {
    name: "/probe",
    answer: (config, target, format) =>
      withConfig(config, [], async (flags, path) => {
        const runtime = await loadRuntime(flags, join(path, ".."));
        try {
          return await serveFrom(runtime, `/probe?module=m&target=${encodeURIComponent(target)}`, format);
        } finally {
          closeRuntime(runtime);
        }
      }),
  },
  {
    name: "once",
    formats: ["text"],
    answer: (config) =>
      withConfig(config, [], async (_flags, path) => {
        let out = "";
        await run(["once", "--config.file", path], {
          env: {},
          stdout: (t) => out += t,
          stderr: () => {},
          cwd: join(path, ".."),
        });
        return out;
      }),
  },
];

runAnswerSuite(IMPLEMENTATIONS);

Deno.test("answer suite: the cached implementation answered from the scrape memo", () => {
  assert.ok(memoHits > 0, "no case was answered from the memo");
});

Deno.test("answer suite: the relay answered text cases", () => {
  assert.ok(relayed > 0, "no case was answered by the relay");
});
