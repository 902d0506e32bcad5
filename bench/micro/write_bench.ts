/**
 * Benchmarks for the exposition writers. Run: `deno bench --allow-all bench/micro/write_bench.ts`.
 *
 * - `write-N`: the writers (string and bytes forms) on families shaped like lab/upstream.mjs `/metrics`
 *   (families of 10 samples: every 10th a histogram with 8 buckets + _sum + _count, otherwise alternating
 *   counters and gauges with two labels), at 1k, 10k and 100k series.
 * - `vs-prom-client-N`: the same number of gauge series written by writeText and by prom-client's
 *   `Registry.metrics()` (a Registry built once with `registers: [reg]`; render cost only).
 * - `decision-*`: the measurements behind two implementation choices (a UTF-8 byte buffer vs string parts
 *   joined vs `+=`; a char-code scan vs RegExp#test vs indexOf for the string escape fast path).
 *
 * @module
 */

import { Gauge, Registry } from "prom-client";
import type { MetricFamily, Sample } from "../../src/model.ts";
import { writeText, writeTextBytes } from "../../src/exposition/text.ts";
import { writeOpenMetrics, writeOpenMetricsBytes } from "../../src/exposition/openmetrics.ts";
import { escapeLabelValue, formatNumber } from "../../src/exposition/escape.ts";

const BUCKETS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "+Inf"];
const CODES = ["2xx", "3xx", "4xx", "5xx"];

/** Families in the shape of upstream.mjs renderMetrics(n) (same names, labels and values). */
function upstreamFamilies(n: number): MetricFamily[] {
  const out: MetricFamily[] = [];
  let left = n;
  for (let f = 0; f < Math.ceil(n / 10); f++) {
    const size = Math.min(10, left);
    left -= size;
    const id = String(f).padStart(5, "0");
    const samples: Sample[] = [];
    if (f % 10 === 2 && size === 10) {
      const name = `upstream_request_duration_seconds_${id}`;
      let cumulative = 0;
      for (let b = 0; b < BUCKETS.length; b++) {
        cumulative += 10 * (b + 1) + f;
        samples.push({
          name: `${name}_bucket`,
          labels: ["handler", `/api/${f}`, "le", BUCKETS[b]],
          value: cumulative,
        });
      }
      samples.push({
        name: `${name}_sum`,
        labels: ["handler", `/api/${f}`],
        value: +(cumulative * 0.042).toFixed(3),
      });
      samples.push({ name: `${name}_count`, labels: ["handler", `/api/${f}`], value: cumulative });
      out.push({
        name,
        type: "histogram",
        help: `Simulated request latency histogram ${f}.`,
        unit: "",
        samples,
      });
    } else if (f % 2 === 0) {
      const name = `upstream_requests_${id}`;
      for (let s = 0; s < size; s++) {
        samples.push({
          name: `${name}_total`,
          labels: ["instance", `node-${s}`, "code", CODES[s % 4]],
          value: 1000 * f + 7 * s,
        });
      }
      out.push({ name, type: "counter", help: `Simulated request counter ${f}.`, unit: "", samples });
    } else {
      const name = `upstream_queue_depth_${id}`;
      for (let s = 0; s < size; s++) {
        samples.push({
          name,
          labels: ["instance", `node-${s}`, "queue", `q${s}`],
          value: ((f * 31 + s * 17) % 1000) / 10,
        });
      }
      out.push({ name, type: "gauge", help: `Simulated gauge ${f}.`, unit: "", samples });
    }
  }
  return out;
}

/** n gauge series: n/10 gauge families of 10 label sets each, as our model and as a prom-client Registry. */
function gaugeSeries(n: number): { families: MetricFamily[]; registry: Registry } {
  const registry = new Registry();
  const families: MetricFamily[] = [];
  for (let f = 0; f < n / 10; f++) {
    const name = `upstream_queue_depth_${String(f).padStart(5, "0")}`;
    const help = `Simulated gauge ${f}.`;
    const gauge = new Gauge({ name, help, labelNames: ["instance", "queue"], registers: [registry] });
    const samples: Sample[] = [];
    for (let s = 0; s < 10; s++) {
      const value = ((f * 31 + s * 17) % 1000) / 10;
      gauge.set({ instance: `node-${s}`, queue: `q${s}` }, value);
      samples.push({ name, labels: ["instance", `node-${s}`, "queue", `q${s}`], value });
    }
    families.push({ name, type: "gauge", help, unit: "", samples });
  }
  return { families, registry };
}

const encoder = new TextEncoder();

for (const n of [1_000, 10_000, 100_000]) {
  const fams = upstreamFamilies(n);
  Deno.bench({ name: `writeText ${n}`, group: `write-${n}`, baseline: true, fn: () => void writeText(fams) });
  Deno.bench({ name: `writeTextBytes ${n}`, group: `write-${n}`, fn: () => void writeTextBytes(fams) });
  Deno.bench({ name: `writeOpenMetrics ${n}`, group: `write-${n}`, fn: () => void writeOpenMetrics(fams) });
  Deno.bench({
    name: `writeOpenMetricsBytes ${n}`,
    group: `write-${n}`,
    fn: () => void writeOpenMetricsBytes(fams),
  });

  // Both sides produce a string, as prom-client does; the Registry is built once (render cost only).
  const { families, registry } = gaugeSeries(n);
  Deno.bench({
    name: `writeText gauges ${n}`,
    group: `vs-prom-client-${n}`,
    baseline: true,
    fn: () => void writeText(families),
  });
  Deno.bench({
    name: `prom-client Registry.metrics() gauges ${n}`,
    group: `vs-prom-client-${n}`,
    fn: async () => void await registry.metrics(),
  });
}

// ---------------------------------------------------------------- decision: how to build the output

/** Gauge-only text writer that pushes string parts and joins once (alternative not taken). */
function writeGaugesJoin(families: readonly MetricFamily[]): string {
  const parts: string[] = [];
  for (const fam of families) {
    parts.push("# HELP ", fam.name, " ", fam.help, "\n# TYPE ", fam.name, " gauge\n");
    for (const s of fam.samples) {
      const l = s.labels;
      parts.push(s.name, "{", l[0], '="', escapeLabelValue(l[1]));
      for (let j = 2; j < l.length; j += 2) parts.push('",', l[j], '="', escapeLabelValue(l[j + 1]));
      parts.push('"} ', formatNumber(s.value), "\n");
    }
  }
  return parts.join("");
}

/** Gauge-only text writer that appends with `+=` (alternative not taken: V8 builds a rope). */
function writeGaugesConcat(families: readonly MetricFamily[]): string {
  let out = "";
  for (const fam of families) {
    out += "# HELP " + fam.name + " " + fam.help + "\n# TYPE " + fam.name + " gauge\n";
    for (const s of fam.samples) {
      const l = s.labels;
      let line = s.name + "{" + l[0] + '="' + escapeLabelValue(l[1]) + '"';
      for (let j = 2; j < l.length; j += 2) line += "," + l[j] + '="' + escapeLabelValue(l[j + 1]) + '"';
      out += line + "} " + formatNumber(s.value) + "\n";
    }
  }
  return out;
}

{
  // Each variant ends in UTF-8 bytes, which is what the HTTP body needs (and it forces a rope to flatten).
  const { families } = gaugeSeries(100_000);
  Deno.bench({
    name: "ByteWriter (writeTextBytes)",
    group: "decision-builder-100k",
    baseline: true,
    fn: () => void writeTextBytes(families),
  });
  Deno.bench({
    name: "parts.push + join + encode",
    group: "decision-builder-100k",
    fn: () => void encoder.encode(writeGaugesJoin(families)),
  });
  Deno.bench({
    name: "+= concatenation + encode",
    group: "decision-builder-100k",
    fn: () => void encoder.encode(writeGaugesConcat(families)),
  });
}

// ---------------------------------------------------------------- decision: escape fast path

const NEEDS_ESCAPE_REGEXP = /[\\"\n]/;
const VALUES: string[] = [];
for (let i = 0; i < 1000; i++) {
  VALUES.push(i % 100 === 0 ? `pa"th\\${i}` : i % 2 ? `node-${i}` : `/api/${i}/items`);
}

function escapeRegexFastPath(v: string): string {
  return NEEDS_ESCAPE_REGEXP.test(v) ? escapeLabelValue(v) : v;
}

function escapeIndexOfFastPath(v: string): string {
  return v.indexOf("\\") < 0 && v.indexOf('"') < 0 && v.indexOf("\n") < 0 ? v : escapeLabelValue(v);
}

function escapeReplaceAlways(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

let sink = 0;
Deno.bench({
  name: "char-code scan (escapeLabelValue)",
  group: "decision-escape-1k-values",
  baseline: true,
  fn: () => {
    for (const v of VALUES) sink += escapeLabelValue(v).length;
  },
});
Deno.bench({
  name: "RegExp#test then escape",
  group: "decision-escape-1k-values",
  fn: () => {
    for (const v of VALUES) sink += escapeRegexFastPath(v).length;
  },
});
Deno.bench({
  name: "indexOf x3 then escape",
  group: "decision-escape-1k-values",
  fn: () => {
    for (const v of VALUES) sink += escapeIndexOfFastPath(v).length;
  },
});
Deno.bench({
  name: "three replace() always",
  group: "decision-escape-1k-values",
  fn: () => {
    for (const v of VALUES) sink += escapeReplaceAlways(v).length;
  },
});
