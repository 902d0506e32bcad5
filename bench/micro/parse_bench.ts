/**
 * `deno bench` for the text / OpenMetrics parser: 1k, 10k and 100k series in the shape of the lab upstream's
 * `/metrics` (families of 10 samples rotating histogram / counter / gauge), compared with the npm package
 * `parse-prometheus-text-format` (evaluated, not adopted) and with `split("\n")` as the raw floor.
 *
 * Run: `deno bench --allow-all bench/micro/parse_bench.ts`
 *
 * @module
 */

// Evaluated for comparison only (see the report); deliberately not in deno.json "imports".
// deno-lint-ignore no-import-prefix
import parseNpm from "npm:parse-prometheus-text-format@1.1.1";
import { parsePrometheusText } from "../../src/formats/text/mod.ts";

const LE = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "+Inf"];
const STATUS = ["2xx", "3xx", "4xx", "5xx"];

/**
 * Text 0.0.4 with exactly `series` samples in families of ten (the last takes the rest). Family `f`:
 * `f % 10 == 2` (when full) a histogram of eight buckets plus sum and count; other even `f` a counter
 * `upstream_requests_<f>_total` with labels instance/code; odd `f` a gauge `upstream_queue_depth_<f>` with
 * labels instance/queue and one-decimal values.
 */
export function upstreamShape(series: number): string {
  const out: string[] = [];
  for (let f = 0, left = series; left > 0; f++) {
    const size = Math.min(10, left);
    left -= size;
    const id = f.toString().padStart(5, "0");
    if (f % 10 === 2 && size === 10) {
      const base = `upstream_request_duration_seconds_${id}`;
      out.push(`# HELP ${base} Simulated request latency histogram ${f}.`, `# TYPE ${base} histogram`);
      let total = 0;
      LE.forEach((le, b) => {
        total += 10 * (b + 1) + f;
        out.push(`${base}_bucket{handler="/api/${f}",le="${le}"} ${total}`);
      });
      out.push(`${base}_sum{handler="/api/${f}"} ${(total * 0.042).toFixed(3)}`);
      out.push(`${base}_count{handler="/api/${f}"} ${total}`);
    } else if (f % 2 === 0) {
      const base = `upstream_requests_${id}_total`;
      out.push(`# HELP ${base} Simulated request counter ${f}.`, `# TYPE ${base} counter`);
      for (let s = 0; s < size; s++) {
        out.push(`${base}{instance="node-${s}",code="${STATUS[s % 4]}"} ${1000 * f + 7 * s}`);
      }
    } else {
      const base = `upstream_queue_depth_${id}`;
      out.push(`# HELP ${base} Simulated gauge ${f}.`, `# TYPE ${base} gauge`);
      for (let s = 0; s < size; s++) {
        out.push(`${base}{instance="node-${s}",queue="q${s}"} ${((f * 31 + s * 17) % 1000) / 10}`);
      }
    }
  }
  return out.join("\n") + "\n";
}

/**
 * The model objects a parse of `text` must allocate, from offsets found beforehand: the families, samples,
 * label arrays and label value strings, without any scanning. A floor for what any parser into this model
 * costs (mostly allocation and GC).
 */
function modelFloor(text: string): () => unknown {
  const families = parsePrometheusText(text, "prometheus");
  const offsets: number[] = [];
  const plan = families.map((f) =>
    f.samples.map((s) => {
      const labelOffsets = [];
      for (let i = 1; i < s.labels.length; i += 2) {
        const at = text.indexOf(`"${s.labels[i]}"`, offsets.at(-1) ?? 0) + 1;
        offsets.push(at);
        labelOffsets.push(at, at + s.labels[i].length);
      }
      return { name: s.name, names: s.labels.filter((_, i) => i % 2 === 0), labelOffsets, value: s.value };
    })
  );
  return () =>
    plan.map((samples, i) => ({
      ...families[i],
      samples: samples.map((p) => {
        const labels: string[] = [];
        for (let j = 0; j < p.names.length; j++) {
          labels.push(p.names[j], text.slice(p.labelOffsets[2 * j], p.labelOffsets[2 * j + 1]));
        }
        return { name: p.name, labels, value: p.value };
      }),
    }));
}

for (const series of [1_000, 10_000, 100_000]) {
  // Decoded like a real body, so the string is flat and one byte per character.
  const text = new TextDecoder().decode(new TextEncoder().encode(upstreamShape(series)));
  const group = `${series} series (${(text.length / 1e6).toFixed(2)} MB)`;
  Deno.bench({ name: `parsePrometheusText ${series}`, group, baseline: true }, () => {
    parsePrometheusText(text, "prometheus");
  });
  Deno.bench({ name: `parse-prometheus-text-format ${series}`, group }, () => {
    parseNpm(text);
  });
  Deno.bench({ name: `split("\\n") floor ${series}`, group }, () => {
    text.split("\n");
  });
  const floor = modelFloor(text);
  Deno.bench({ name: `model allocation floor ${series}`, group }, () => {
    floor();
  });
}
