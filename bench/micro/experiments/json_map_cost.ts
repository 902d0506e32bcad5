/**
 * The JSON mapping's cost per JSON node: a typical `json:` mapping (an array of objects read into labelled
 * metrics, a string state through `value_map`, a filtered count) run on a parsed document of 10k and of 100k
 * nodes, in process. With `--before DIR` (a checkout of an older tree, e.g. `git archive <rev> | tar -x -C DIR`)
 * the same mapping runs through that tree's code too, interleaved in the same process, so the two are measured
 * under the same load. The config uses only keys older trees have.
 *
 * ```sh
 * deno run -A bench/micro/experiments/json_map_cost.ts [--before DIR] [--rounds 40]
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { out } from "../../system/lib/io.ts";

const { values: v } = parseArgs({
  args: Deno.args,
  options: { before: { type: "string" }, rounds: { type: "string", default: "40" } },
});
const rounds = Number(v.rounds);

const CONFIG = `
targets:
  - name: bench
    url: http://127.0.0.1:1/stats.json
    json:
      - path: $.items[*]
        labels: { queue: "@.name", env: "@.tags.env" }
        metrics:
          - { name: queue_messages, value: "@.stats.messages" }
          - { name: queue_consumers, value: "@.stats.consumers" }
          - { name: queue_rate, value: "@.stats.rate" }
          - { name: queue_running, value: "@.state", value_map: { RUNNING: 1, "*": 0 } }
      - { name: failed_queues, count: "$.items[?@.state == 'FAILED']" }
`;

/** Nodes per item: the object, name, state, stats and its 3 numbers, tags and env. */
const NODES_PER_ITEM = 9;

/** A parsed document of about `nodes` JSON nodes. */
function document(nodes: number): unknown {
  const items = [];
  for (let i = 0; i < Math.ceil(nodes / NODES_PER_ITEM); i++) {
    items.push({
      name: `q${i}`,
      state: i % 10 === 0 ? "FAILED" : "RUNNING",
      stats: { messages: i * 3, consumers: i % 7, rate: i / 4 },
      tags: { env: i % 2 ? "prod" : "dev" },
    });
  }
  return JSON.parse(JSON.stringify({ items }));
}

/** The mapping of `CONFIG`, compiled by the tree at `root` (this repository's by default). */
async function mapping(root: string): Promise<(doc: unknown) => unknown> {
  const { parseCommandLine } = await import(`${root}/src/cli/mod.ts`);
  const { parseConfigText } = await import(`${root}/src/config/load.ts`);
  const { compileDecoder } = await import(`${root}/src/formats/mod.ts`);
  const inv = parseCommandLine(["start", "-u", "http://127.0.0.1:1/"], {});
  const decoder = compileDecoder(parseConfigText(CONFIG, "bench.yaml", inv.flags, Deno.cwd()).targets[0]);
  return (doc) => decoder.json.map(doc);
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[xs.length >> 1];
}

const here = resolve(new URL("../../..", import.meta.url).pathname);
const trees: [string, (doc: unknown) => unknown][] = [["this tree", await mapping(here)]];
if (v.before !== undefined) trees.push([`before (${v.before})`, await mapping(resolve(v.before))]);

out("| nodes | code | mapping, median | per node | fastest |\n| ---: | --- | ---: | ---: | ---: |\n");
for (const nodes of [10_000, 100_000]) {
  const doc = document(nodes);
  const times = trees.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    // Alternate the order, so neither tree always runs right after a garbage collection of the other's.
    for (let k = 0; k < trees.length; k++) {
      const i = r % 2 === 0 ? k : trees.length - 1 - k;
      const t = performance.now();
      trees[i][1](doc);
      times[i].push(performance.now() - t);
    }
  }
  trees.forEach(([name], i) => {
    const m = median(times[i]);
    out(
      `| ${nodes} | ${name} | ${m.toFixed(2)} ms | ${(m / nodes * 1e6).toFixed(0)} ns | ${
        Math.min(...times[i]).toFixed(2)
      } ms |\n`,
    );
  });
}
