/**
 * `prom-exporter explain`: for each upstream metric, every step that touched it and the series it became, or
 * why it was dropped: the rules (an `include` that kept it too), counter naming, static labels, each
 * `metric_relabel_configs` rule that changed a series (before => after), the namespace, merges with other
 * metrics and duplicate series. It runs the same compiled rules and relabel configs as a scrape, through
 * their traced variants ({@linkcode Transform.trace}), which the scrape never calls.
 *
 * @module
 */

import type { DuplicatePolicy } from "./config/types.ts";
import { decodeBody, tracingDecoder } from "./formats/mod.ts";
import { UpstreamError } from "./errors.ts";
import { type MetricFamily, type MetricType, type Sample, seriesKey } from "./model.ts";
import type { CompiledTarget } from "./scrape/mod.ts";
import { compileNameMatcher, familyNameOf, ruleName } from "./patterns/mod.ts";
import type { RelabelStep } from "./relabel/mod.ts";
import { decide, type Decision, type Transform } from "./transform/mod.ts";
import type { UpstreamBody } from "./upstream/mod.ts";
import { redactUrl } from "./url.ts";

/** At most this many series (outputs, relabelled series, duplicates) are listed per upstream metric. */
const MAX_SERIES = 10;

/** Options for {@linkcode explainTarget}. */
export interface ExplainOptions {
  /**
   * The families are the upstream's text exposition as sent (`DecodedBody.asSent`), as the scrape treats
   * them (duplicates the upstream itself sends in a family no rule touched pass through).
   * @default {false}
   */
  asSent?: boolean;
  /**
   * Patterns as `include` reads them (globs with `*` and `?`, or `/regex/`): only upstream metrics whose
   * upstream name or output name matches one are shown. Empty shows every metric.
   * @default {[]}
   */
  metrics?: readonly string[];
  /** JSON entries that read nothing from the body (`tracingDecoder`), listed first. @default {[]} */
  unselected?: readonly string[];
}

/**
 * Decodes a fetched (or saved) body with the target's decoder, naming the JSON entries that read nothing, and
 * explains it: what the `explain` command and a `debug=true` scrape print. Also gives the number of upstream
 * series the body holds.
 *
 * @throws {ParseError} When the body cannot be decoded.
 */
export function explainBody(
  target: CompiledTarget,
  body: UpstreamBody,
  options: { metrics?: readonly string[] } = {},
): { text: string; series: number } {
  const unselected: string[] = [];
  const { families, asSent } = decodeBody(tracingDecoder(target.decoder, unselected), body);
  const series = families.reduce((n, f) => n + f.samples.length, 0);
  return { text: explainTarget(target, families, { asSent, unselected, metrics: options.metrics }), series };
}

/** What one upstream family became, with everything the traced transform reported. */
interface Explained {
  fam: MetricFamily;
  /** The rules' decision; `null` when they dropped it. */
  decision: Decision | null;
  ruleTrace: string[];
  /** Output families, or the message of the error the transform gave for this family alone. */
  out: MetricFamily[] | string;
  relabelled: (readonly RelabelStep[])[];
  duplicates: Sample[];
}

/**
 * Explains what a target's rules do to upstream families.
 *
 * @example
 * ```ts
 * import { explainTarget } from "./explain.ts";
 * import { compileTarget } from "./scrape/mod.ts";
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
 * @param options What the decode found, and which metrics to show.
 * @returns The report, one block per upstream metric, ending with a newline.
 */
export function explainTarget(
  target: CompiledTarget,
  upstreamFamilies: readonly MetricFamily[],
  options: ExplainOptions = {},
): string {
  const asSent = options.asSent ?? false;
  const all = upstreamFamilies.map((fam) => explainFamily(target.transform, fam, asSent));
  const shown = filterByName(all, options.metrics ?? []);
  const context = crossFamily(all);
  const blocks = shown.map((e) => describe(target, e, context).join("\n"));
  const kept = all.filter((e) => typeof e.out !== "string" && e.out.some((f) => f.samples.length > 0)).length;
  const { config } = target;
  let head = `Target "${config.name}" (${redactUrl(config.url)}): ${
    plural(all.length, "upstream metric", "upstream metrics")
  }, ${kept} kept, ${all.length - kept} dropped`;
  const metrics = options.metrics ?? [];
  if (metrics.length > 0) {
    const globs = metrics.map((m) => JSON.stringify(m)).join(", ");
    head += shown.length === 0
      ? `; none matches --metric ${globs}`
      : `; ${shown.length} shown (--metric ${globs})`;
  }
  const unselected = options.unselected ?? [];
  const json = unselected.length === 0 ? [] : [unselected.join("\n")];
  const tail = wholeScrape(target, upstreamFamilies, asSent);
  return [head, ...json, ...blocks, ...(tail === "" ? [] : [tail])].join("\n\n") + "\n";
}

function explainFamily(transform: Transform, fam: MetricFamily, asSent: boolean): Explained {
  const ruleTrace: string[] = [];
  const decision = decide(transform.steps, ruleName(fam.name, fam.type), fam.type, ruleTrace);
  const relabelled: (readonly RelabelStep[])[] = [];
  const duplicates: Sample[] = [];
  let out: MetricFamily[] | string = [];
  if (decision !== null) {
    try {
      out = transform.trace([fam], {
        relabelled: (steps) => relabelled.push(steps),
        duplicate: (s) => duplicates.push(s),
      }, { asSent });
    } catch (e) {
      if (!(e instanceof UpstreamError)) throw e;
      out = `the scrape fails: ${e.message}`;
    }
  }
  return { fam, decision, ruleTrace, out, relabelled, duplicates };
}

/**
 * The families whose upstream or output name matches a pattern; all of them without patterns. Patterns are
 * read as `include` reads them (exact, glob, `/regex/`), by the same matcher.
 */
function filterByName(all: readonly Explained[], patterns: readonly string[]): Explained[] {
  if (patterns.length === 0) return [...all];
  const matches = compileNameMatcher(patterns);
  return all.filter((e) => {
    if (matches(e.fam.name) || matches(ruleName(e.fam.name, e.fam.type))) return true;
    if (typeof e.out === "string") return false;
    return e.out.some((f) => matches(f.name) || f.samples.some((s) => matches(s.name)));
  });
}

/** What needs every family: which upstream metrics feed each output family and each output series. */
interface CrossFamily {
  /** Output family name → the upstream families feeding it, with the type each gives it. */
  feeders: Map<string, { fam: MetricFamily; type: MetricType }[]>;
  /** Output series (name and sorted labels) → the upstream families that give it. */
  series: Map<string, MetricFamily[]>;
}

function crossFamily(all: readonly Explained[]): CrossFamily {
  const feeders = new Map<string, { fam: MetricFamily; type: MetricType }[]>();
  const series = new Map<string, MetricFamily[]>();
  for (const e of all) {
    if (typeof e.out === "string") continue;
    for (const f of e.out) {
      const list = feeders.get(f.name) ?? [];
      list.push({ fam: e.fam, type: f.type });
      feeders.set(f.name, list);
      for (const s of f.samples) {
        const key = seriesKey(s);
        const from = series.get(key) ?? [];
        if (!from.includes(e.fam)) from.push(e.fam);
        series.set(key, from);
      }
    }
  }
  return { feeders, series };
}

/** One upstream metric's block: its heading, a line per step that touched it, then what it became. */
function describe(target: CompiledTarget, e: Explained, context: CrossFamily): string[] {
  const { fam, decision: d } = e;
  const { config } = target;
  const lines = [
    `${ruleName(fam.name, fam.type)} (${typeName(fam.type)}, ${
      plural(fam.samples.length, "series", "series")
    })`,
  ];
  if (e.ruleTrace.length === 0 && config.rules.length > 0) lines.push("  no rule matched");
  for (const t of e.ruleTrace) lines.push("  " + t);
  if (d === null) return lines;
  lines.push(...namingLines(fam, d), ...staticLabelLines(fam, d, config.labels));
  lines.push(...relabelLines(e, config.metricRelabelConfigs.length > 0));
  if (typeof e.out === "string") {
    lines.push(`  ${e.out}`);
    return lines;
  }
  const series = e.out.flatMap((f) => f.samples);
  if (series.length === 0) return lines;
  if (config.namespace !== "") {
    for (const f of e.out) {
      lines.push(
        `  namespace "${config.namespace}": ${f.name.slice(config.namespace.length + 1)} => ${f.name}`,
      );
    }
  }
  lines.push(
    ...mergeLines(e, context, config.onDuplicate),
    ...duplicateLines(e, context, config.onDuplicate),
  );
  for (const s of series.slice(0, MAX_SERIES)) lines.push(`  => ${formatSeries(s)}`);
  if (series.length > MAX_SERIES) lines.push(`  => ... and ${series.length - MAX_SERIES} more`);
  return lines;
}

/** Counter naming: `_total` appended to a counter's name, `_created` dropped from a former counter. */
function namingLines(fam: MetricFamily, d: Decision): string[] {
  if (d.type === "counter" && !d.name.endsWith("_total")) {
    return [`  counter: "_total" appended: ${d.name} => ${familyNameOf(d.name, "counter")}_total`];
  }
  if (fam.type === "counter" && d.type !== "counter") {
    const created = fam.samples.filter((s) => s.name === fam.name + "_created").length;
    if (created > 0) {
      return [`  no longer a counter: ${plural(created, "_created series", "_created series")} dropped`];
    }
  }
  return [];
}

/** The target's static labels, and upstream labels of the same name kept as `exported_<name>`. */
function staticLabelLines(fam: MetricFamily, d: Decision, labels: Record<string, string>): string[] {
  const pairs = Object.entries(labels);
  if (pairs.length === 0) return [];
  const present = new Set<string>();
  for (const s of fam.samples) for (let i = 0; i < s.labels.length; i += 2) present.add(s.labels[i]);
  for (let i = 0; i < d.labels.length; i += 2) if (d.labels[i + 1] !== "") present.add(d.labels[i]);
  const clashes = pairs.filter(([k]) => present.has(k)).map(([k]) => `${k} kept as exported_${k}`);
  const set = pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ");
  return [`  labels: ${set}${clashes.length === 0 ? "" : ` (upstream label ${clashes.join(", ")})`}`];
}

/** Each relabel rule that changed or dropped a series: before => after, for the first few series. */
function relabelLines(e: Explained, hasRelabel: boolean): string[] {
  if (!hasRelabel) return [];
  const lines: string[] = [];
  for (const steps of e.relabelled.slice(0, MAX_SERIES)) {
    for (const st of steps) {
      const where = st.index < 0
        ? "metric_relabel_configs"
        : `metric_relabel_configs[${st.index}] ${st.action}`;
      lines.push(
        st.after === null
          ? `  ${where}: ${seriesId(st.before)}: dropped${st.why === "" ? "" : ` (${st.why})`}`
          : `  ${where}: ${seriesId(st.before)} => ${seriesId(st.after)}`,
      );
    }
  }
  if (e.relabelled.length > MAX_SERIES) {
    lines.push(`  metric_relabel_configs: ... and ${e.relabelled.length - MAX_SERIES} more series changed`);
  }
  const dropped = e.relabelled.filter((steps) => steps[steps.length - 1].after === null).length;
  const total = e.fam.samples.length;
  if (dropped > 0 && dropped === total) lines.push(`  metric_relabel_configs: every series dropped`);
  else if (dropped > 0) lines.push(`  metric_relabel_configs: ${dropped} of ${total} series dropped`);
  return lines;
}

/** Output families that other upstream metrics feed too: merged, or a clash of types. */
function mergeLines(e: Explained, context: CrossFamily, policy: DuplicatePolicy): string[] {
  if (typeof e.out === "string") return [];
  const lines: string[] = [];
  for (const f of e.out) {
    const others = (context.feeders.get(f.name) ?? []).filter((o) => o.fam !== e.fam);
    if (others.length === 0) continue;
    const same = others.filter((o) => o.type === f.type).map((o) => ruleName(o.fam.name, o.fam.type));
    const clash = others.filter((o) => o.type !== f.type);
    if (same.length > 0) lines.push(`  merged into family "${f.name}" with ${same.join(", ")}`);
    for (const o of clash) {
      lines.push(
        `  family "${f.name}" also comes from ${ruleName(o.fam.name, o.fam.type)} as a ${typeName(o.type)}: ${
          TYPE_CLASH[policy]
        }`,
      );
    }
  }
  return lines;
}

/** Series equal to another one, in this metric or from another: what `on_duplicate` does with them. */
function duplicateLines(e: Explained, context: CrossFamily, policy: DuplicatePolicy): string[] {
  const lines: string[] = [];
  for (const s of e.duplicates) {
    lines.push(`  duplicate: ${seriesId(s)} twice in this metric: ${DUPLICATE[policy]}`);
  }
  if (typeof e.out !== "string") {
    for (const f of e.out) {
      for (const s of f.samples) {
        const others = (context.series.get(seriesKey(s)) ?? []).filter((o) => o !== e.fam);
        if (others.length === 0) continue;
        const names = others.map((o) => ruleName(o.name, o.type)).join(", ");
        lines.push(`  duplicate: ${seriesId(s)} also comes from ${names}: ${DUPLICATE[policy]}`);
      }
    }
  }
  if (lines.length <= MAX_SERIES) return lines;
  return [...lines.slice(0, MAX_SERIES), `  duplicate: ... and ${lines.length - MAX_SERIES} more`];
}

const DUPLICATE: Record<DuplicatePolicy, string> = {
  error: "on_duplicate error fails the scrape",
  first: "on_duplicate first keeps the first",
  last: "on_duplicate last keeps the last",
  sum: "on_duplicate sum adds the values",
};

const TYPE_CLASH: Record<DuplicatePolicy, string> = {
  error: "on_duplicate error fails the scrape",
  first: "the first family keeps the name, the other's series are dropped",
  last: "the last family keeps the name, the other's series are dropped",
  sum: "the first family keeps the name, the other's series are dropped",
};

/** What the whole scrape does: the result, or the error only the whole scrape meets. */
function wholeScrape(target: CompiledTarget, families: readonly MetricFamily[], asSent: boolean): string {
  try {
    const out = target.transform.apply(families, { asSent });
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

/** A series as in the text format without its value (label values escaped the same way). */
function seriesId(s: Sample): string {
  let labels = "";
  for (let i = 0; i < s.labels.length; i += 2) {
    const v = s.labels[i + 1].replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
    labels += `${i === 0 ? "" : ","}${s.labels[i]}="${v}"`;
  }
  return `${s.name}${labels === "" ? "" : `{${labels}}`}`;
}

/** A series as in the text format, for reading, not parsing. */
function formatSeries(s: Sample): string {
  const value = Number.isNaN(s.value)
    ? "NaN"
    : s.value === Infinity
    ? "+Inf"
    : s.value === -Infinity
    ? "-Inf"
    : String(s.value);
  return `${seriesId(s)} ${value}`;
}

function typeName(t: MetricType): string {
  return t === "unknown" ? "untyped" : t;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
