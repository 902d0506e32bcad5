/**
 * The Prometheus oracle: a real `prometheus` (2.42) scrapes every action case and every Go-regexp row, each
 * as its own job with the case's `metric_relabel_configs`, and must store the same series as
 * `relabelSample` gives. Ignored when `/usr/bin/prometheus` is missing (unless `REQUIRE_E2E=1`).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Sample } from "../../src/model.ts";
import { compileRelabelConfigs, relabelSample } from "../../src/relabel/mod.ts";
import { REQUIRE_E2E } from "../_lib/validators.ts";
import { REGEX_ROWS, regexCase } from "../_lib/goregexp_rows.ts";
import { ACTION_CASES } from "./_action_cases.ts";

/** Renders one sample as a text-format line (for the Prometheus oracle's scrape target). */
function exposition(s: Sample): string {
  const esc = (v: string) => v.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
  const pairs: string[] = [];
  for (let i = 0; i < s.labels.length; i += 2) pairs.push(`${s.labels[i]}="${esc(s.labels[i + 1])}"`);
  return `${s.name}{${pairs.join(",")}} ${s.value}\n`;
}

function labelSet(name: string, labels: readonly string[]): string {
  const pairs: string[] = [`__name__=${JSON.stringify(name)}`];
  for (let i = 0; i < labels.length; i += 2) pairs.push(`${labels[i]}=${JSON.stringify(labels[i + 1])}`);
  return pairs.sort().join(",");
}

const PROMETHEUS = "/usr/bin/prometheus";
const HAVE_PROMETHEUS = (() => {
  try {
    return new Deno.Command(PROMETHEUS, { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
})();

/** Waits until `fn` returns a value other than undefined, polling every 200 ms, for at most `ms`. */
async function waitFor<T>(
  what: string,
  ms: number,
  fn: () => Promise<T | undefined>,
  gone: () => string | null,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    const why = gone();
    if (why !== null) throw new Error(`prometheus exited while waiting for ${what}:\n${why}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const ORACLE_NAME = "relabelSample() matches a real Prometheus scraping every table case";
if (!HAVE_PROMETHEUS && !REQUIRE_E2E) {
  Deno.test({ name: ORACLE_NAME, ignore: true, fn() {} });
} else {
  Deno.test(ORACLE_NAME, async () => {
    assert.ok(HAVE_PROMETHEUS, `${PROMETHEUS} is required (REQUIRE_E2E=1)`);
    const cases = [...ACTION_CASES, ...REGEX_ROWS.map(regexCase)].filter((c) => c.noOracle === undefined);
    const ac = new AbortController();
    const server = Deno.serve({ hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen() {} }, (req) => {
      const c = cases[Number(new URL(req.url).pathname.slice(2))];
      if (c === undefined) return new Response("not found\n", { status: 404 });
      return new Response(exposition(c.input), { headers: { "content-type": "text/plain; version=0.0.4" } });
    });
    const target = `127.0.0.1:${server.addr.port}`;
    const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const promPort = (probe.addr as Deno.NetAddr).port;
    probe.close();
    const dir = await Deno.makeTempDir({ prefix: "relabel_oracle_" });
    const config = {
      global: { scrape_interval: "500ms", scrape_timeout: "500ms" },
      scrape_configs: cases.map((c, i) => ({
        job_name: `c${i}`,
        metrics_path: `/c${i}`,
        static_configs: [{ targets: [target] }],
        metric_relabel_configs: c.rules,
      })),
    };
    await Deno.writeTextFile(`${dir}/prometheus.yml`, JSON.stringify(config));
    const child = new Deno.Command(PROMETHEUS, {
      args: [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let log = "";
    const logDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (chunk) => void (log = (log + chunk).slice(-4000)) }),
    );
    let exited = false;
    const status = child.status.then((st) => (exited = true, st));
    const api = `http://127.0.0.1:${promPort}/api/v1`;
    try {
      type Target = { labels: { job: string }; lastScrape: string; lastError: string };
      const targets = async (): Promise<Target[]> =>
        (await (await fetch(`${api}/targets`)).json()).data.activeTargets;
      // Wait for two scrapes of every target, so the first one's samples are surely committed.
      const gone = () => exited ? log : null;
      const first = await waitFor("first scrapes", 30_000, async () => {
        const t = await targets();
        return t.length === cases.length && t.every((x) => !x.lastScrape.startsWith("0001")) ? t : undefined;
      }, gone);
      const firstAt = new Map(first.map((t) => [t.labels.job, t.lastScrape]));
      const done = await waitFor("second scrapes", 30_000, async () => {
        const t = await targets();
        return t.every((x) => x.lastScrape !== firstAt.get(x.labels.job)) ? t : undefined;
      }, gone);
      const errors = new Map(done.map((t) => [t.labels.job, t.lastError]));
      const failures: string[] = [];
      for (let i = 0; i < cases.length; i++) {
        const c = cases[i];
        const job = `c${i}`;
        const url = `${api}/series?match[]=${encodeURIComponent(`{job="${job}"}`)}`;
        const series: Record<string, string>[] = (await (await fetch(url)).json()).data;
        const got = series
          .filter((s) => !/^(up|scrape_.*)$/.test(s.__name__))
          .map((s) => {
            const { __name__, ...rest } = s;
            return labelSet(__name__, Object.entries(rest).flat());
          });
        // Prometheus adds the target's labels before metric relabeling; scraped job/instance labels become
        // exported_job/exported_instance (honor_labels: false).
        // An empty label value is an absent label in Prometheus.
        const scraped: string[] = [];
        for (let k = 0; k < c.input.labels.length; k += 2) {
          const [l, v] = [c.input.labels[k], c.input.labels[k + 1]];
          if (v !== "") scraped.push(l === "job" || l === "instance" ? `exported_${l}` : l, v);
        }
        const input = { ...c.input, labels: [...scraped, "instance", target, "job", job] };
        const ours = relabelSample(compileRelabelConfigs(c.rules), input);
        const want = ours === null ? [] : [labelSet(ours.name, ours.labels)];
        const lastError = errors.get(job) ?? "";
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          failures.push(`${c.name}: prometheus ${JSON.stringify(got)}, ours ${JSON.stringify(want)}`);
        } else if (c.scrapeError !== undefined ? !lastError.includes(c.scrapeError) : lastError !== "") {
          failures.push(`${c.name}: scrape error ${JSON.stringify(lastError)}`);
        }
      }
      assert.deepEqual(failures, []);
    } finally {
      if (!exited) child.kill("SIGTERM");
      await status;
      await logDone;
      ac.abort();
      await server.finished;
      await Deno.remove(dir, { recursive: true });
    }
  });
}
