/**
 * Where the relay sends one upstream family: the rules' decision worked out once and kept across scrapes, as
 * bytes the hot loop copies (each sample name's output name, the labels the rules and the target add) and the
 * hash parts of those constants. A family whose decision the relay does not handle (a new type, a scale, a
 * stateset) has no route: the scrape goes to the pipeline.
 *
 * @module
 */

import { namesTaken } from "../exposition/names.ts";
import { writeTextInto } from "../exposition/text.ts";
import { writeOpenMetricsInto } from "../exposition/openmetrics.ts";
import type { ExpositionFormat } from "../exposition/negotiate.ts";
import type { MetricType } from "../model.ts";
import { familyNameOf } from "../patterns/mod.ts";
import type { Context } from "../transform/mod.ts";
import { ByteWriter, escapeLabelValue } from "../exposition/escape.ts";
import { Slab } from "./_slab.ts";
import { bytesHash1, bytesHash2, pairHashes, secondHash, SEED1, SEED2 } from "./_hash.ts";

/** How a sample name of its family is checked: no check, a counter total, a bucket, a count, a quantile. */
export const enum Kind {
  Plain,
  Total,
  Bucket,
  Count,
  Quantile,
}

/** Bytes of routes a target keeps before it starts over (see {@linkcode Routes}). */
const SLAB_LIMIT = 32 << 20;

/** The formats the relay writes, by index: a route's headers are in this order. */
export const FORMATS: readonly ExpositionFormat[] = ["text", "openmetrics"];

/** A byte string in a slab: where it starts, and how long it is. */
export interface Bytes {
  at: number;
  length: number;
}

/** One sample name a family takes, and what the relay writes for it (bytes in the route's slab). */
export interface SampleRoute {
  /** The upstream sample name, to compare a line's name with. */
  name: Bytes;
  /** The value and label checks of this sample name. */
  kind: Kind;
  /** The output sample name (with the namespace). */
  out: Bytes;
  /** The name relabelling sees: without the namespace, which is added after it. */
  relabelName: string;
  /** Hashes of the output sample name, for the duplicate check. */
  hash1: number;
  hash2: number;
}

/** An output family as a route gives it. */
export interface RouteOut {
  /** Its name (with the namespace) and type. */
  name: string;
  type: MetricType;
  /** Its header as each writer spells it (text 0.0.4, then OpenMetrics: {@linkcode FORMATS}), in `slab`. */
  headers: Bytes[];
  slab: Slab;
  /** Every name it takes in a document. */
  names: readonly string[];
}

/** An upstream family's route: `out` is `null` when the rules drop the family. */
export interface Route {
  /** The slab holding the route's bytes. */
  slab: Slab;
  /** The output family; `null`: the rules drop the family. */
  out: RouteOut | null;
  /** The sample names the family takes, in the order a line is most likely to match them. */
  samples: SampleRoute[];
  /** The labels appended to every series (the rules', then the target's), as `a="1",b="2"`; may be empty. */
  added: Bytes;
  /** The same labels as flat pairs, for relabelling. */
  addedPairs: string[];
  /** Label names an upstream label must not have (it would be replaced or renamed): then the pipeline decides. */
  reserved: Bytes[];
  /** Sums of the pair hashes of `added`. */
  addedHash1: number;
  addedHash2: number;
  /**
   * Whether the pipeline checks its output family for duplicate series, as far as this route knows: the
   * rules add labels, or the family met another upstream family in an earlier scrape (set by the pass).
   */
  checked: boolean;
  /** Names the family takes in the parser: declared, family and sample names. */
  claims: string[];
  /** Stems of `claims` that end in a type suffix. */
  stems: string[];
  /** The scrape whose output family `family` is, and that family (set by the pass). */
  pass: number;
  family: unknown;
  /** The line its family's first sample was in the pass `firstLinePass` (./_lines.ts), set by the pass. */
  firstLine: number;
  firstLinePass: number;
}

/** The suffixes the parser strips to find the family a sample name belongs to. */
export const SUFFIXES: readonly string[] = [
  "_total",
  "_created",
  "_bucket",
  "_sum",
  "_count",
  "_info",
  "_gcount",
  "_gsum",
];

/** The sample names (suffixes of the declared name) each upstream type takes, with their checks. */
const SAMPLE_SUFFIXES: Readonly<Record<string, readonly (readonly [string, Kind])[]>> = {
  counter: [["", Kind.Total]],
  gauge: [["", Kind.Plain]],
  unknown: [["", Kind.Plain]],
  histogram: [["_bucket", Kind.Bucket], ["_sum", Kind.Plain], ["_count", Kind.Count]],
  summary: [["", Kind.Quantile], ["_sum", Kind.Plain], ["_count", Kind.Count]],
};

/**
 * The parser's family name of a declared family: a text counter is declared with its `_total`, which the
 * family name leaves out. `null` for a counter declared without it (the parser renames its samples).
 */
export function familyName(declared: string, type: MetricType): string | null {
  if (type !== "counter") return declared;
  return declared.endsWith("_total") && declared.length > 6 ? declared.slice(0, -6) : null;
}

/**
 * The names a family takes in the parser (its declared name, its family name, the sample names its type
 * takes, without `_created`, which a declared family may take instead), and their stems (a claimed name
 * less a type suffix).
 */
export function claimsOf(
  declared: string,
  name: string,
  type: MetricType,
): { claims: string[]; stems: string[] } {
  const claims = [declared];
  if (name !== declared) claims.push(name);
  for (const [suffix] of SAMPLE_SUFFIXES[type] ?? []) if (suffix !== "") claims.push(declared + suffix);
  const stems: string[] = [];
  for (const c of claims) {
    for (const s of SUFFIXES) if (c.endsWith(s)) stems.push(c.slice(0, -s.length));
  }
  return { claims, stems };
}

/**
 * The routes of one target's upstream families, built on first sight and kept (bounded) across scrapes. A
 * route costs a few microseconds: what depends only on the labels the rules add (their bytes, hashes and
 * reserved names) is built once per distinct set, and the header by one reused writer.
 */
export class Routes {
  readonly #ctx: Context;
  readonly #routes = new Map<string, Route | null>();
  readonly #labelParts = new Map<string, LabelPart | null>();
  readonly #limit: number;
  readonly #writer = new ByteWriter(256);
  #slab = new Slab();

  constructor(ctx: Context, limit: number) {
    this.#ctx = ctx;
    this.#limit = limit;
  }

  /**
   * The route of an upstream family, or `null` when the relay does not handle its decision (the pipeline
   * does): a type change, a scale, or a label the rules set to nothing. `split`: a counter `x_total`
   * declared after a family `x`.
   */
  get(declared: string, type: MetricType, helpText: string, split: boolean): Route | null {
    const key = (split ? "split " : "") + type + "\u0000" + declared + "\u0000" + helpText;
    let route = this.#routes.get(key);
    if (route === undefined) {
      // Bounded by count and by bytes: a HELP that changes every scrape makes a new route each time.
      if (this.#routes.size >= this.#limit || this.#slab.length > SLAB_LIMIT) {
        // Routes kept elsewhere (the last scrape's families) keep their own slab.
        this.#routes.clear();
        this.#labelParts.clear();
        this.#slab = new Slab();
      }
      route = this.#build(declared, type, helpText, split);
      this.#routes.set(key, route);
    }
    return route;
  }

  #build(declared: string, type: MetricType, helpText: string, split: boolean): Route | null {
    const ctx = this.#ctx;
    // A split counter (see the parser's `#splitClashingCounters`) is an `unknown` family under its full
    // name, whose values the parser still checked as a counter's.
    const name = split ? declared : familyName(declared, type);
    const suffixes = SAMPLE_SUFFIXES[type];
    if (split) type = "unknown";
    if (name === null || suffixes === undefined) return null;
    const d = ctx.decide({ name, type, help: helpText, unit: "", samples: [] });
    if (d !== null && (d.type !== type || d.scale !== 1)) return null;
    const slab = this.#slab;
    const part = d === null ? NO_LABELS : this.#labelPart(d.labels);
    if (part === null) return null;
    const base = d === null ? "" : familyNameOf(d.name, type);
    const samples: SampleRoute[] = [];
    const { claims, stems } = claimsOf(declared, name, type);
    for (const [suffix, kind] of suffixes) {
      const upstream = declared + suffix;
      const relabelName = base + upstream.slice(name.length);
      const out = bytesOf(slab, ctx.namespace + relabelName);
      const sample = {
        name: bytesOf(slab, upstream),
        kind,
        out,
        relabelName,
        hash1: bytesHash1(slab.buf, out.at, out.at + out.length, SEED1),
        hash2: bytesHash2(slab.buf, out.at, out.at + out.length, SEED2),
      };
      // Buckets come eight to one: they are tried first.
      if (kind === Kind.Bucket) samples.unshift(sample);
      else samples.push(sample);
    }
    let out: Route["out"] = null;
    if (d !== null) {
      const outName = ctx.namespace + base;
      // A unit the name does not end in is dropped, as the transform's run does when it finishes.
      let unit = d.unit ?? "";
      if (unit !== "" && outName !== unit && !outName.endsWith("_" + unit)) unit = "";
      const help = d.help ?? (helpText !== "" ? helpText : `Upstream metric "${name}"`);
      const family = { name: outName, type, help, unit, samples: [] };
      const headers = [writeTextInto, writeOpenMetricsInto].map((write): Bytes => {
        const w = this.#writer;
        w.reset(256);
        write(w, [family]);
        const header = w.bytes();
        return { at: slab.addBytes(header, 0, header.length), length: header.length };
      });
      out = { name: outName, type, headers, slab, names: namesTaken(family) };
    }
    // Every field named, in one order: routes share one shape, which the pass's loop reads monomorphically.
    return {
      slab,
      out,
      samples,
      added: part.added,
      addedPairs: part.addedPairs,
      reserved: part.reserved,
      addedHash1: part.addedHash1,
      addedHash2: part.addedHash2,
      checked: d !== null && d.labels.length > 0,
      claims,
      stems,
      pass: -1,
      family: null,
      firstLine: 0,
      firstLinePass: -1,
    };
  }

  /** The label part of the routes whose rules add `labels`; `null` when the relay cannot apply them. */
  #labelPart(labels: readonly string[]): LabelPart | null {
    const key = labels.join("\u0000");
    let part = this.#labelParts.get(key);
    if (part === undefined) {
      part = labelPart(this.#slab, labels, this.#ctx.staticLabels);
      if (this.#labelParts.size >= this.#limit) this.#labelParts.clear();
      this.#labelParts.set(key, part);
    }
    return part;
  }
}

/** What a route takes from the labels its rules and the target add. */
type LabelPart = Pick<Route, "added" | "addedPairs" | "reserved" | "addedHash1" | "addedHash2">;

const NO_LABELS: LabelPart = {
  added: { at: 0, length: 0 },
  addedPairs: [],
  reserved: [],
  addedHash1: 0,
  addedHash2: 0,
};

/** The label part for the rules' `labels` and the target's static labels; `null` when not the relay's case. */
function labelPart(slab: Slab, labels: readonly string[], statics: readonly string[]): LabelPart | null {
  const pairs: string[] = [];
  const reserved = new Set<string>();
  for (let i = 0; i < labels.length; i += 2) {
    // A label the rules set to "" removes an upstream one: the pipeline's case.
    if (labels[i + 1] === "" || reserved.has(labels[i])) return null;
    reserved.add(labels[i]);
    pairs.push(labels[i], labels[i + 1]);
  }
  for (let j = 0; j < statics.length; j += 2) {
    // A rule's label of a static label's name would be renamed `exported_`: the pipeline's case.
    if (reserved.has(statics[j])) return null;
    reserved.add(statics[j]);
    pairs.push(statics[j], statics[j + 1]);
  }
  if (pairs.length === 0) return NO_LABELS;
  // `a="1",b="2"`, as the text writer spells labels (values escaped), straight into the slab.
  let addedHash1 = 0, addedHash2 = 0;
  const start = slab.length;
  for (let i = 0; i < pairs.length; i += 2) {
    if (i > 0) slab.add(",");
    const name = bytesOf(slab, pairs[i]);
    slab.add('="');
    const value = bytesOf(slab, escapeLabelValue(pairs[i + 1]));
    slab.add('"');
    const buf = slab.buf;
    const nameEnd = name.at + name.length, valueEnd = value.at + value.length;
    addedHash1 = (addedHash1 + pairHashes(buf, name.at, nameEnd, value.at, valueEnd)) | 0;
    addedHash2 = (addedHash2 + secondHash) | 0;
  }
  const added = { at: start, length: slab.length - start };
  const names = [...reserved].map((name) => bytesOf(slab, name));
  return { added, addedPairs: pairs, reserved: names, addedHash1, addedHash2 };
}

/** A string's UTF-8 bytes, added to the slab. */
function bytesOf(slab: Slab, s: string): Bytes {
  const at = slab.add(s);
  return { at, length: slab.length - at };
}
