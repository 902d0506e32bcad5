/**
 * `prom-exporter explain`: for each upstream metric, the rules that touched it and the series it became, or
 * why it was dropped. It runs the same compiled rules and relabel configs as a scrape, with a trace.
 *
 * @module
 */

import { UpstreamError } from "./errors.ts";
import type { MetricFamily, MetricType, Sample } from "./model.ts";
import type { CompiledTarget } from "./scrape.ts";
import { redactUrl } from "./url.ts";
import { decide, ruleName } from "./transform/rules.ts";

/** At most this many output series are listed per upstream metric. */
const MAX_SERIES = 10;

/**
 * Explains what a target's rules do to upstream families.
 *
 * @example
 * ```ts
 * import { explainTarget } from "./explain.ts";
 * import { compileTarget } from "./scrape.ts";
 * import assert from "node:assert/strict";
 * const target = compileTarget({
 *   name: "foo", url: "http://127.0.0.1:8080/", labels: {}, format: "auto", namespace: "",
 *   rules: [{ kind: "exclude", patterns: ["b"] }], metricRelabelConfigs: [], onDuplicate: "error",
 *   timeoutMs: 1000, maxBodyBytes: 1000,
 * });
 * const report = explainTarget(target, [
 *   { name: "b", type: "gauge", help: "", unit: "", samples: [{ name: "b", labels: [], value: 1 }] },
 * ]);
 * assert.match(report, /rules\[0\] exclude: "b" matches "b": dropped/);
 * ```
 *
 * @param target The compiled target.
 * @param upstreamFamilies The families as decoded from the upstream, before any rule.
 * @returns The report, one block per upstream metric, ending with a newline.
 */
export function explainTarget(target: CompiledTarget, upstreamFamilies: readonly MetricFamily[]): string {
  const blocks: string[] = [];
  let kept = 0;
  for (const fam of upstreamFamilies) {
    const trace: string[] = [];
    const name = ruleName(fam.name, fam.type);
    const d = decide(target.transform.steps, name, fam.type, trace);
    const lines = [`${name} (${typeName(fam.type)}, ${plural(fam.samples.length, "series", "series")})`];
    if (trace.length === 0) lines.push("  no rule matched");
    for (const t of trace) lines.push("  " + t);
    if (d !== null) {
      const out = outputOf(target, fam);
      if (typeof out === "string") {
        lines.push(`  ${out}`);
      } else {
        const series = out.flatMap((f) => f.samples);
        if (series.length === 0) {
          lines.push(`  metric_relabel_configs: every series dropped`);
        } else {
          kept++;
          const total = fam.samples.length;
          if (series.length < total && target.config.metricRelabelConfigs.length > 0) {
            lines.push(`  metric_relabel_configs: ${total - series.length} of ${total} series dropped`);
          }
          for (const s of series.slice(0, MAX_SERIES)) lines.push(`  => ${formatSeries(s)}`);
          if (series.length > MAX_SERIES) lines.push(`  => ... and ${series.length - MAX_SERIES} more`);
        }
      }
    }
    blocks.push(lines.join("\n"));
  }
  const { config } = target;
  const head = `Target "${config.name}" (${redactUrl(config.url)}): ${
    plural(upstreamFamilies.length, "upstream metric", "upstream metrics")
  }, ${kept} kept, ${upstreamFamilies.length - kept} dropped`;
  const tail = wholeScrape(target, upstreamFamilies);
  return [head, ...blocks, ...(tail === "" ? [] : [tail])].join("\n\n") + "\n";
}

/** The output families of one upstream family, or the error the transform gave for it alone. */
function outputOf(target: CompiledTarget, fam: MetricFamily): MetricFamily[] | string {
  try {
    return target.transform.apply([fam]);
  } catch (e) {
    if (e instanceof UpstreamError) return `the scrape fails: ${e.message}`;
    throw e;
  }
}

/** What the whole scrape does: duplicates between metrics show only there. */
function wholeScrape(target: CompiledTarget, families: readonly MetricFamily[]): string {
  try {
    const out = target.transform.apply(families);
    const series = out.reduce((n, f) => n + f.samples.length, 0);
    return `Result: ${plural(out.length, "family", "families")}, ${plural(series, "series", "series")}`;
  } catch (e) {
    if (e instanceof UpstreamError) {
      return `Result: the scrape fails (prom_exporter_up 0): ${e.message}` +
        (target.config.onDuplicate === "error" ? `; see "on_duplicate" in docs/CONFIG.md` : "");
    }
    throw e;
  }
}

/** A series as in the text format (label values escaped the same way), for reading, not parsing. */
function formatSeries(s: Sample): string {
  let labels = "";
  for (let i = 0; i < s.labels.length; i += 2) {
    const v = s.labels[i + 1].replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
    labels += `${i === 0 ? "" : ","}${s.labels[i]}="${v}"`;
  }
  const value = Number.isNaN(s.value)
    ? "NaN"
    : s.value === Infinity
    ? "+Inf"
    : s.value === -Infinity
    ? "-Inf"
    : String(s.value);
  return `${s.name}${labels === "" ? "" : `{${labels}}`} ${value}`;
}

function typeName(t: MetricType): string {
  return t === "unknown" ? "untyped" : t;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
