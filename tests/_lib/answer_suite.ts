/**
 * One suite of answer cases, defined once and run against every way the exporter builds an answer (hono's
 * shared-suite pattern): `/metrics` over the cached pipeline (series cache and scrape memo), without the
 * memo (`--scrape.no-memo`: the relay answers text), without the relay (`--scrape.no-relay`), over the plain
 * pipeline, `/probe`, and the `once` command. Each case gives an
 * upstream and the rules a target and a module share; every implementation must give the same upstream part
 * and the same `prom_exporter_up`, in both formats.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ExpositionFormat } from "../../src/exposition/negotiate.ts";
import { type Route, serveUpstream } from "./helpers.ts";

/** One case: an upstream, the config keys its target and module share, and what the answer must show. */
export interface AnswerCase {
  /** The test name. */
  name: string;
  /** What the upstream answers on `/metrics`. */
  upstream: Route;
  /** YAML lines (indented 4 spaces) both the target and the module get: format, rules, json. */
  shared: string;
  /** The scrape's `prom_exporter_up`. */
  up: 0 | 1;
  /** Lines the upstream part must hold, in text format. */
  has: readonly string[];
  /** Patterns no line of the upstream part may match. */
  hasNot?: readonly RegExp[];
}

/** The cases. */
export const ANSWER_CASES: readonly AnswerCase[] = [
  {
    name: "relays a text page",
    upstream: () =>
      new Response(
        '# HELP jobs Jobs run.\n# TYPE jobs counter\njobs_total{queue="a"} 3\n# TYPE temp gauge\ntemp 21.5\n' +
          '# TYPE lat histogram\nlat_bucket{le="1"} 2\nlat_bucket{le="+Inf"} 3\nlat_sum 4\nlat_count 3\n',
      ),
    shared: "",
    up: 1,
    has: ['jobs_total{queue="a"} 3', "temp 21.5", 'lat_bucket{le="+Inf"} 3', "lat_count 3"],
  },
  {
    name: "decodes a JSON body",
    upstream: () => Response.json({ requests: 7, pool: { idle: 2, busy: 5 }, name: "x" }),
    shared: "    format: json\n",
    up: 1,
    has: ["requests 7", "pool_idle 2", "pool_busy 5"],
    hasNot: [/^name /],
  },
  {
    name: "applies the rules",
    upstream: () => new Response("keep_me 1\ndrop_me 2\nold_name 3\n"),
    shared: "    rules:\n      - exclude: [drop_*]\n      - rename: { old_name: new_name }\n",
    up: 1,
    has: ["keep_me 1", "new_name 3"],
    hasNot: [/^drop_me/, /^old_name/],
  },
  {
    name: "answers up 0 for an upstream error",
    upstream: () => new Response("down", { status: 500 }),
    shared: "",
    up: 0,
    has: [],
  },
  {
    name: "answers up 0 for a body that is not metrics",
    upstream: () => new Response("{ not json", { headers: { "content-type": "application/json" } }),
    shared: "    format: json\n",
    up: 0,
    has: [],
  },
];

/** One way of building an answer, given a config file's text (a target `t` and a module `m`). */
export interface AnswerImplementation {
  /** The implementation's name, in test names. */
  name: string;
  /** The formats it can write. @default {both} */
  formats?: readonly ExpositionFormat[];
  /**
   * The answer for the target `t` (or a probe of module `m` for `target`), written in `format`. An
   * implementation with a memo answers the second scrape of one runtime, so the memo has learnt the shape.
   */
  answer(config: string, target: string, format: ExpositionFormat): Promise<string>;
}

/** The config file of a case: one target and one module with the same shared keys. */
export function caseConfig(c: AnswerCase, url: string): string {
  return `targets:\n  - name: t\n    url: ${url}\n${c.shared}modules:\n  m:\n` +
    `    allowed_targets: ["127.0.0.1"]\n${c.shared}`;
}

/** The upstream part of an answer (our own families left out), in order, with `prom_exporter_up`'s value. */
export function upstreamPart(answer: string): { lines: string[]; up: number | undefined } {
  const own = /^(?:# (?:HELP|TYPE|UNIT) )?(?:prom_exporter_|process_)/;
  const lines = answer.split("\n").filter((l) => l !== "" && l !== "# EOF" && !own.test(l));
  const up = answer.match(/^prom_exporter_up(?:\{[^}]*\})? (\d)$/m);
  return { lines, up: up === null ? undefined : Number(up[1]) };
}

/**
 * Registers every case for each implementation, and checks that all of them give the same upstream part as
 * the first one.
 */
export function runAnswerSuite(implementations: readonly AnswerImplementation[]): void {
  for (const c of ANSWER_CASES) {
    for (const format of ["text", "openmetrics"] as const) {
      Deno.test(`answer suite: ${c.name} (${format}): every implementation gives the same answer`, async () => {
        await using up = serveUpstream({ "/metrics": c.upstream });
        const url = `${up.origin}/metrics`;
        const config = caseConfig(c, url);
        let reference: { name: string; lines: string[] } | undefined;
        for (const impl of implementations) {
          if (!(impl.formats ?? ["text", "openmetrics"]).includes(format)) continue;
          const got = upstreamPart(await impl.answer(config, url, format));
          assert.equal(got.up, c.up, `${impl.name}: prom_exporter_up`);
          if (format === "text") {
            for (const line of c.has) assert.ok(got.lines.includes(line), `${impl.name}: has ${line}`);
          }
          for (const p of c.hasNot ?? []) {
            assert.ok(!got.lines.some((l) => p.test(l)), `${impl.name}: no line matches ${p}`);
          }
          if (c.up === 0) assert.deepEqual(got.lines, [], `${impl.name}: no upstream families`);
          reference ??= { name: impl.name, lines: got.lines };
          assert.deepEqual(got.lines, reference.lines, `${impl.name} answers as ${reference.name} does`);
        }
      });
    }
  }
}
