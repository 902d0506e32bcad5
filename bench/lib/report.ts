/**
 * The bench's figures: one row per measured server, aggregated over runs (median of runs), ratios computed
 * within each run and then reduced to their median, and the markdown report.
 *
 * @module
 */

import { median } from "./load.ts";

/** The upstream formats measured. */
export type Format = "text" | "json";

/** The servers measured: the baseline, the exporter, the Python design and the experiments. */
export type ServerKind =
  | "exporter"
  | "passthrough"
  | "python-seed"
  | "exporter-no-memo"
  | "worker-experiment";

/** The servers judged against the baseline, in report order. */
const CANDIDATES: ServerKind[] = ["exporter", "exporter-no-memo", "worker-experiment"];

/** One server at one size in one run. */
export interface Row {
  /** Upstream series (text samples, or JSON keys). */
  size: number;
  /** Upstream format. */
  format: Format;
  /** Which server. */
  server: ServerKind;
  /** Run number, from 1. */
  run: number;
  /** Why the server was not measured (it failed its first scrape), else absent. */
  skipped?: string;
  /** Response body bytes. */
  bodyBytes: number;
  /** Sample lines in the response (`NaN` with gzip). */
  samples: number;
  /** Sequential scrapes: median latency, ms. */
  median: number;
  /** Sequential scrapes: 99th percentile latency, ms. */
  p99: number;
  /** Sequential scrapes done. */
  requests: number;
  /** Concurrent scrapers in the concurrent phase. */
  connections: number;
  /** Requests per second with the concurrent scrapers. */
  rps: number;
  /** Median latency under concurrent load, ms. */
  loadP50: number;
  /** 99th percentile latency under concurrent load, ms. */
  loadP99: number;
  /** Failed requests in both phases. */
  errors: number;
  /**
   * The server's CPU time per completed scrape during the concurrent phase, ms. Scrapes that overlap share one
   * upstream fetch and pipeline run (single-flight), so this is per answer, not per pipeline run.
   */
  cpuMs: number;
  /** The server's CPU time per scrape during the sequential phase (one scraper, nothing shared), ms. */
  seqCpuMs: number;
  /** Peak RSS (VmHWM) after the sequential phase (one scraper), MiB. */
  rssSeqMiB: number;
  /** Peak RSS (VmHWM) after both phases, MiB. */
  rssMiB: number;
}

/** The `/-/healthy` probe during scrapes of one size. */
export interface ProbeRow {
  /** The server probed. */
  server: ServerKind;
  /** Upstream series. */
  size: number;
  /** Run number. */
  run: number;
  /** Probes answered while a scrape was in flight. */
  count: number;
  /** Their median, 99th percentile and maximum latency, ms. */
  median: number;
  /** 99th percentile, ms. */
  p99: number;
  /** Maximum, ms. */
  max: number;
  /** Scrapes completed meanwhile, and their median latency. */
  scrapes: number;
  /** Median scrape latency meanwhile, ms. */
  scrapeMedian: number;
}

/** Everything one bench invocation produced, plus what the report says about how it was made. */
export interface Report {
  /** The command line that made it. */
  command: string;
  /** When it was measured, `YYYY-MM-DD HH:MM` UTC. */
  date?: string;
  /** Machine and version lines. */
  machine: string[];
  /** Settings lines. */
  settings: string[];
  /** All rows of all runs. */
  rows: Row[];
  /** All probe rows. */
  probes: ProbeRow[];
}

const ORDER: ServerKind[] = [
  "passthrough",
  "exporter",
  "exporter-no-memo",
  "worker-experiment",
  "python-seed",
];

function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return "–";
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 100) return x.toFixed(Math.min(digits, 1));
  return x.toFixed(digits);
}

/** Now, as `YYYY-MM-DD HH:MM` (UTC). */
export function utcMinute(): string {
  return new Date().toISOString().slice(0, 16).replace("T", " ");
}

function cells(xs: readonly string[]): string {
  return `| ${xs.join(" | ")} |`;
}

function ratio(x: number): string {
  return Number.isFinite(x) ? `${x >= 10 ? x.toFixed(1) : x.toFixed(2)}×` : "–";
}

function groupKey(r: { size: number; format: Format; server: ServerKind }): string {
  return `${r.format}|${r.size}|${r.server}`;
}

/** Median over runs of one field, for one (format, size, server). */
function agg(rows: readonly Row[], pick: (r: Row) => number): number {
  const xs = rows.filter((r) => r.skipped === undefined).map(pick).filter(Number.isFinite);
  return median(xs);
}

/** Median over runs of a within-run ratio `a / b` between two servers. */
export function runRatio(
  rows: readonly Row[],
  format: Format,
  size: number,
  a: ServerKind,
  b: ServerKind,
  pick: (r: Row) => number,
): number {
  const xs: number[] = [];
  const runs = new Set(rows.map((r) => r.run));
  for (const run of runs) {
    const ra = rows.find((r) => r.run === run && r.format === format && r.size === size && r.server === a);
    const rb = rows.find((r) => r.run === run && r.format === format && r.size === size && r.server === b);
    if (ra === undefined || rb === undefined || ra.skipped !== undefined || rb.skipped !== undefined) {
      continue;
    }
    const x = pick(ra) / pick(rb);
    if (Number.isFinite(x)) xs.push(x);
  }
  return median(xs);
}

/** The aggregated figure of one field for one (format, size, server), median over runs. */
export function figure(
  rows: readonly Row[],
  format: Format,
  size: number,
  server: ServerKind,
  pick: (r: Row) => number,
): number {
  return agg(rows.filter((r) => r.format === format && r.size === size && r.server === server), pick);
}

/** Renders the whole report as markdown. */
export function renderReport(rep: Report): string {
  const { rows } = rep;
  const out: string[] = [];
  out.push("# Bench results", "");
  out.push(
    `Generated by \`${rep.command}\` on ${rep.date ?? utcMinute()} UTC.`,
    "",
  );
  out.push("## Machine", "", ...rep.machine.map((l) => `- ${l}`), "");
  out.push("## Settings", "", ...rep.settings.map((l) => `- ${l}`), "");

  out.push("## Scrapes (median of runs)", "");
  out.push(
    "| format | series | server | body KiB | samples | median ms | p99 ms | CPU ms/scrape, 1 scraper | scrapers | req/s | p50 / p99 ms | CPU ms/answer, N scrapers | peak RSS MiB, 1 / N scrapers | errors |",
    "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  const keys = [...new Set(rows.map(groupKey))];
  keys.sort((x, y) => {
    const [fx, sx, vx] = x.split("|");
    const [fy, sy, vy] = y.split("|");
    return fx.localeCompare(fy) || Number(sx) - Number(sy) ||
      ORDER.indexOf(vx as ServerKind) - ORDER.indexOf(vy as ServerKind);
  });
  for (const key of keys) {
    const g = rows.filter((r) => groupKey(r) === key);
    const { format, size, server } = g[0];
    const skipped = g.find((r) => r.skipped !== undefined);
    const head = [format, size.toLocaleString("en-US"), server];
    if (g.every((r) => r.skipped !== undefined)) {
      out.push(cells([...head, `skipped: ${skipped?.skipped}`, "", "", "", "", "", "", "", "", "", ""]));
      continue;
    }
    const a = (pick: (r: Row) => number, digits = 2) => fmt(agg(g, pick), digits);
    const errors = g.reduce((n, r) => n + r.errors, 0);
    out.push(cells([
      ...head,
      a((r) => r.bodyBytes / 1024, 1),
      a((r) => r.samples, 0),
      a((r) => r.median),
      a((r) => r.p99),
      a((r) => r.seqCpuMs),
      a((r) => r.connections, 0),
      a((r) => r.rps, 1),
      `${a((r) => r.loadP50)} / ${a((r) => r.loadP99)}`,
      a((r) => r.cpuMs),
      `${a((r) => r.rssSeqMiB, 1)} / ${a((r) => r.rssMiB, 1)}`,
      `${errors}${skipped ? ` (${skipped.skipped})` : ""}`,
    ]));
  }
  out.push("");

  const cands = CANDIDATES.filter((c) => rows.some((r) => r.server === c && r.skipped === undefined));
  out.push("## Exporter ÷ passthrough, within each run (median of runs)", "");
  out.push(
    "| format | series | server | median latency | p99 latency | CPU per scrape | throughput (exp ÷ pass) | peak RSS, 1 scraper | peak RSS, N scrapers |",
    "|---|---:|---|---:|---:|---:|---:|---:|---:|",
  );
  for (const [format, size] of formatSizes(rows)) {
    for (const c of cands) {
      const r = (pick: (r: Row) => number) => ratio(runRatio(rows, format, size, c, "passthrough", pick));
      out.push(cells([
        format,
        size.toLocaleString("en-US"),
        c,
        r((x) => x.median),
        r((x) => x.p99),
        r((x) => x.cpuMs),
        r((x) => x.rps),
        r((x) => x.rssSeqMiB),
        r((x) => x.rssMiB),
      ]));
    }
  }
  out.push("");

  if (rows.some((r) => r.server === "python-seed" && r.skipped === undefined)) {
    out.push("## Exporter vs the original Python design (JSON), within each run (median of runs)", "");
    out.push(
      "| series | server | throughput (exp ÷ python) | median latency (python ÷ exp) | CPU per scrape (python ÷ exp) |",
      "|---:|---|---:|---:|---:|",
    );
    for (const [format, size] of formatSizes(rows)) {
      if (format !== "json") continue;
      if (!rows.some((r) => r.size === size && r.server === "python-seed" && r.skipped === undefined)) {
        continue;
      }
      for (const c of cands) {
        out.push(cells([
          size.toLocaleString("en-US"),
          c,
          ratio(runRatio(rows, format, size, c, "python-seed", (x) => x.rps)),
          ratio(runRatio(rows, format, size, "python-seed", c, (x) => x.median)),
          ratio(runRatio(rows, format, size, "python-seed", c, (x) => x.cpuMs)),
        ]));
      }
    }
    out.push("");
  }

  out.push(...linearity(rows));
  out.push(...probes(rep.probes));
  out.push(...targets(rep));
  return out.join("\n") + "\n";
}

function formatSizes(rows: readonly Row[]): [Format, number][] {
  const seen = new Map<string, [Format, number]>();
  for (const r of rows) seen.set(`${r.format}|${r.size}`, [r.format, r.size]);
  return [...seen.values()].sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1]);
}

/** Per-series cost of a server by size: plain, and marginal over the smallest size measured. */
export function perSeries(
  rows: readonly Row[],
  format: Format,
  server: ServerKind = "exporter",
): { size: number; cpuUs: number; cpuMarginalUs: number; latUs: number; latMarginalUs: number }[] {
  const sizes = [
    ...new Set(rows.filter((r) => r.format === format && r.server === server).map((r) => r.size)),
  ]
    .sort((a, b) => a - b);
  if (sizes.length === 0) return [];
  const base = sizes[0];
  // One scraper: with several, overlapping scrapes share a pipeline run and the cost per answer falls.
  const cpu = (n: number) => figure(rows, format, n, server, (r) => r.seqCpuMs);
  const lat = (n: number) => figure(rows, format, n, server, (r) => r.median);
  return sizes.filter((n) => n >= 1000).map((n) => ({
    size: n,
    cpuUs: cpu(n) * 1000 / n,
    cpuMarginalUs: (cpu(n) - cpu(base)) * 1000 / (n - base),
    latUs: lat(n) * 1000 / n,
    latMarginalUs: (lat(n) - lat(base)) * 1000 / (n - base),
  }));
}

function present(rows: readonly Row[]): ServerKind[] {
  return CANDIDATES.filter((c) => rows.some((r) => r.server === c && r.skipped === undefined));
}

function linearity(rows: readonly Row[]): string[] {
  const out: string[] = [];
  for (const server of present(rows)) {
    for (const format of ["text", "json"] as const) {
      const ps = perSeries(rows, format, server);
      if (ps.length === 0) continue;
      const base = Math.min(
        ...rows.filter((r) => r.format === format && r.server === server).map((r) => r.size),
      );
      out.push(`## Per-series cost, ${server}, ${format} (marginal = minus the ${base}-series figure)`, "");
      out.push(
        "| series | CPU µs/series | marginal CPU µs/series | latency µs/series | marginal latency µs/series |",
        "|---:|---:|---:|---:|---:|",
      );
      for (const p of ps) {
        out.push(cells([
          p.size.toLocaleString("en-US"),
          fmt(p.cpuUs),
          fmt(p.cpuMarginalUs),
          fmt(p.latUs),
          fmt(p.latMarginalUs),
        ]));
      }
      out.push("");
    }
  }
  return out;
}

function probes(ps: readonly ProbeRow[]): string[] {
  if (ps.length === 0) return [];
  const out = ["## `/-/healthy` while a scrape runs (text, typical rules)", ""];
  out.push(
    "| series | server | run | probes during a scrape | median ms | p99 ms | max ms | scrapes meanwhile | their median ms |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const p of ps) {
    out.push(cells([
      p.size.toLocaleString("en-US"),
      p.server,
      String(p.run),
      String(p.count),
      fmt(p.median),
      fmt(p.p99),
      fmt(p.max),
      String(p.scrapes),
      fmt(p.scrapeMedian),
    ]));
  }
  out.push("");
  return out;
}

/** The issue's targets for one server, each with its figure and a verdict. */
export function targetLines(rep: Report, server: ServerKind = "exporter"): [string, string, string][] {
  const { rows } = rep;
  const lines: [string, string, string][] = [];
  const has = (format: Format, size: number, s: ServerKind) =>
    rows.some((r) => r.format === format && r.size === size && r.server === s && r.skipped === undefined);
  if (has("text", 100_000, server) && has("text", 100_000, "passthrough")) {
    const x = runRatio(rows, "text", 100_000, server, "passthrough", (r) => r.median);
    lines.push(["100k text, typical rules: median latency ≤ 5× passthrough", ratio(x), verdict(x <= 5)]);
    const one = figure(rows, "text", 100_000, server, (r) => r.rssSeqMiB);
    lines.push(["100k text: peak RSS ≤ 200 MiB, one scraper", `${fmt(one, 1)} MiB`, verdict(one <= 200)]);
    const n = figure(rows, "text", 100_000, server, (r) => r.connections);
    const all = figure(rows, "text", 100_000, server, (r) => r.rssMiB);
    lines.push([
      `100k text: peak RSS ≤ 200 MiB, ${n} concurrent scrapers`,
      `${fmt(all, 1)} MiB`,
      verdict(all <= 200),
    ]);
  }
  if (has("json", 10_000, server) && has("json", 10_000, "python-seed")) {
    const x = runRatio(rows, "json", 10_000, server, "python-seed", (r) => r.rps);
    lines.push(["10k JSON: throughput ≥ 20× the Python design", ratio(x), verdict(x >= 20)]);
  }
  for (const format of ["text", "json"] as const) {
    const ps = perSeries(rows, format, server);
    if (ps.length < 2) continue;
    const xs = ps.map((p) => p.cpuMarginalUs).filter((x) => Number.isFinite(x) && x > 0);
    const spread = Math.max(...xs) / Math.min(...xs);
    lines.push([
      `linear cost, ${format} (marginal CPU µs/series, one scraper, ${
        ps[0].size.toLocaleString("en-US")
      } to ${ps[ps.length - 1].size.toLocaleString("en-US")}, within 2×)`,
      `${xs.map((x) => fmt(x)).join(" / ")} µs (spread ${ratio(spread)})`,
      verdict(spread <= 2),
    ]);
  }
  const big = rep.probes.filter((p) => p.size >= 100_000 && p.server === server);
  if (big.length > 0) {
    // Judged on the p99 (median of runs): the worst single probe also measures the machine, as the
    // passthrough's own probe shows (its max is the floor this harness and machine give).
    const p99 = median(big.map((p) => p.p99));
    const max = Math.max(...big.map((p) => p.max));
    const control = rep.probes.filter((p) => p.size >= 100_000 && p.server === "passthrough");
    const floor = control.length > 0
      ? `; passthrough control: p99 ${fmt(median(control.map((p) => p.p99)))} ms, max ${
        fmt(Math.max(...control.map((p) => p.max)))
      } ms`
      : "";
    lines.push([
      "`/-/healthy` during a 100k scrape < 50 ms (p99 of probes, median of runs)",
      `p99 ${fmt(p99)} ms, worst ${fmt(max)} ms${floor}`,
      verdict(p99 < 50),
    ]);
  }
  return lines;
}

function verdict(ok: boolean): string {
  return ok ? "met" : "**not met**";
}

function targets(rep: Report): string[] {
  const out: string[] = [];
  for (const server of present(rep.rows)) {
    const lines = targetLines(rep, server);
    if (lines.length === 0) continue;
    out.push(`## Targets (issue 7), ${server}`, "", "| target | figure | verdict |", "|---|---:|---|");
    for (const [t, f, v] of lines) out.push(`| ${t} | ${f} | ${v} |`);
    out.push("");
  }
  return out;
}
