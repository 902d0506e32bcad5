/**
 * The relay inside the server, over a real upstream on 127.0.0.1: its answers are the pipeline's
 * (`--scrape.no-relay`) in both formats, and a relayed answer the document cannot use (a Go page's
 * `process_*` families meet the exporter's own) makes the relay back off instead of adding a pass to every
 * scrape.
 */

import assert from "node:assert/strict";
import { parseCommandLine } from "../../src/cli/mod.ts";
import type { ExpositionFormat } from "../../src/exposition/negotiate.ts";
import { SelfMetrics } from "../../src/exposition/self_metrics.ts";
import { createLogger } from "../../src/log.ts";
import { createHandler } from "../../src/server/mod.ts";
import type { TextRelay } from "../../src/relay/mod.ts";
import { closeRuntime, loadRuntime, type Runtime } from "../../src/server/runtime.ts";
import { normalizeVolatile, serveUpstream } from "../_lib/helpers.ts";

const ACCEPT: Record<ExpositionFormat, string> = {
  text: "text/plain; version=0.0.4",
  openmetrics: "application/openmetrics-text; version=1.0.0",
};

const PAGE = new URL("../testdata/relay/node_exporter.prom", import.meta.url);

/** A runtime for one target at `url`, loaded as `start` loads it, with `extra` flags. */
async function runtimeFor(url: string, extra: string[]): Promise<Runtime> {
  const inv = parseCommandLine(["start", "-u", url, ...extra], {});
  if (inv.kind !== "run") throw new Error("bad flags");
  return await loadRuntime(inv.flags, Deno.cwd());
}

/** The answers of `times` scrapes of `/metrics` in `format`, volatile figures normalized. */
async function scrape(runtime: Runtime, format: ExpositionFormat, times: number): Promise<string[]> {
  const handler = createHandler({
    runtime: () => runtime,
    self: new SelfMetrics({ version: "t", targets: runtime.targets.map((t) => t.config.name) }),
    log: createLogger({ level: "error", format: "logfmt", write: () => {} }),
    version: "t",
  });
  const answers: string[] = [];
  for (let i = 0; i < times; i++) {
    const res = await handler(
      new Request("http://exporter/metrics", { headers: { accept: ACCEPT[format] } }),
    );
    answers.push(normalizeVolatile(await res.text()));
  }
  return answers;
}

/**
 * Serves `page`, scrapes it `times` times in each format with the relay and without it (both without the
 * memo), asserts equal answers, and hands each format's relay counts to `check`.
 */
async function againstThePipeline(
  page: string,
  times: number,
  check: (stats: TextRelay["stats"]) => void,
): Promise<void> {
  const upstream = serveUpstream({ "/metrics": () => new Response(page) });
  try {
    for (const format of ["text", "openmetrics"] as const) {
      const relayed = await runtimeFor(upstream.origin + "/metrics", ["--scrape.no-memo"]);
      const plain = await runtimeFor(upstream.origin + "/metrics", ["--scrape.no-memo", "--scrape.no-relay"]);
      try {
        assert.deepEqual(await scrape(relayed, format, times), await scrape(plain, format, times));
        check(relayed.targets[0].relay!.stats);
      } finally {
        closeRuntime(relayed);
        closeRuntime(plain);
      }
    }
  } finally {
    await upstream.close();
  }
}

Deno.test("relay in the server: a Go page's answers equal the pipeline's, and a clash backs the relay off", async () => {
  await againstThePipeline(Deno.readTextFileSync(PAGE), 4, (stats) => {
    // The page's process_* families meet ours: every relayed answer went unused, and the relay stood aside
    // for 1, then 3 scrapes (relayed on scrapes 1 and 3 of 4).
    assert.equal(stats.discarded, stats.relayed, JSON.stringify(stats));
    assert.equal(stats.relayed, 2, JSON.stringify(stats));
  });
});

Deno.test("relay in the server: a page without clashes is answered by the relay, as the pipeline answers", async () => {
  const page = Deno.readTextFileSync(PAGE).split("\n").filter((l) => !/process_/.test(l)).join("\n");
  await againstThePipeline(page, 3, (stats) => {
    assert.equal(stats.relayed, 3, JSON.stringify(stats));
    assert.equal(stats.discarded, 0, JSON.stringify(stats));
  });
});
