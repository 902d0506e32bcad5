/**
 * The JSON mapping's cost per JSON node: a typical `json:` mapping (an array of objects read into labelled
 * metrics, a string state through `value_map`, a filtered count) over documents of 10k and 100k nodes, in
 * process. Prints the median time of the whole decode (`JSON.parse` and the mapping) and of `JSON.parse` alone,
 * and the mapping's share per node. It uses only keys that existed before issue 15, so the same file measures
 * an older tree: copy it there and run both, interleaved.
 *
 * ```sh
 * deno run -A bench/micro/experiments/json_map_cost.ts [rounds=15]
 * ```
 *
 * @module
 */

import { parseCommandLine } from "../../../src/cli/mod.ts";
import { parseConfigText } from "../../../src/config/load.ts";
import { compileDecoder, decodeBody } from "../../../src/formats/mod.ts";
import { out } from "../../system/lib/io.ts";

const rounds = Number(Deno.args[0] ?? 15);

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

/** A document of about `nodes` JSON nodes. */
function document(nodes: number): Uint8Array {
  const items = [];
  for (let i = 0; i < Math.ceil(nodes / NODES_PER_ITEM); i++) {
    items.push({
      name: `q${i}`,
      state: i % 10 === 0 ? "FAILED" : "RUNNING",
      stats: { messages: i * 3, consumers: i % 7, rate: i / 4 },
      tags: { env: i % 2 ? "prod" : "dev" },
    });
  }
  return new TextEncoder().encode(JSON.stringify({ items }));
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const inv = parseCommandLine(["start", "-u", "http://127.0.0.1:1/"], {});
if (inv.kind !== "run") throw new Error("unexpected command line");
const target = parseConfigText(CONFIG, "bench.yaml", inv.flags, Deno.cwd()).targets[0];
const decoder = compileDecoder(target);

out("| nodes | decode (parse + map) | JSON.parse alone | mapping per node |\n");
out("| ---: | ---: | ---: | ---: |\n");
for (const nodes of [10_000, 100_000]) {
  const bytes = document(nodes);
  const text = new TextDecoder().decode(bytes);
  const whole: number[] = [], parse: number[] = [];
  let series = 0;
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    const decoded = decodeBody(decoder, { bytes, contentType: "application/json" });
    whole.push(performance.now() - t);
    series = decoded.families.reduce((n, f) => n + f.samples.length, 0);
    t = performance.now();
    JSON.parse(text);
    parse.push(performance.now() - t);
  }
  const perNodeNs = (median(whole) - median(parse)) / nodes * 1e6;
  out(
    `| ${nodes} | ${median(whole).toFixed(2)} ms | ${median(parse).toFixed(2)} ms | ${
      perNodeNs.toFixed(0)
    } ns (${series} series) |\n`,
  );
}
