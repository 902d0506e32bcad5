/**
 * The family grouper of the Prometheus text / OpenMetrics parser: which family the input is in, where a
 * sample goes (into its family, or to the sink as soon as it is read) and what a HELP/TYPE/UNIT line does to
 * its family. The line readers (`_meta`, `_sample`, `_line`) call it; it keeps the
 * {@linkcode FamilyRegistry} and the per-parse state the readers share, so none of them holds family state.
 *
 * @module
 */

import type { MetricFamily, MetricType, Sample, SampleSink } from "../../model.ts";
import { checkGaugeHistogramNames, type Claim, type FamilyRecord } from "./_claims.ts";
import { FamilyRegistry } from "./_families.ts";
import { quote } from "./_lex.ts";
import { HELP, KEYWORDS, type MetadataTarget, TYPE } from "./_meta.ts";
import type { Scanner, TextFormat } from "./_scan.ts";

/**
 * Appends a sample. The first one replaces the empty array with an exact one-element array: a pushed-to
 * empty array grows to 17 slots, which single-sample families (common) would keep.
 */
function addSample(family: MetricFamily, sample: Sample): void {
  if (family.samples.length === 0) family.samples = [sample];
  else family.samples.push(sample);
}

/** The families of one parse, the current one, and where samples go. */
export class FamilyGrouper implements MetadataTarget {
  /** Every family of the parse. */
  readonly registry: FamilyRegistry;
  /** Where samples go; `null` adds them to their family. */
  readonly sink: SampleSink | null;
  /** The family of the previous sample or metadata line. */
  current: FamilyRecord | null = null;
  /** The previous sample's claim, to skip name resolution when the next sample repeats its name. */
  lastClaim: Claim | null = null;
  /** The cursor the readers share, for the line of an error and the format. */
  readonly scan: Scanner;

  /** Groups what `scan` reads in `format`, passing samples to `sink` (or collecting them when `null`). */
  constructor(scan: Scanner, format: TextFormat, sink: SampleSink | null) {
    this.scan = scan;
    this.registry = new FamilyRegistry(format);
    this.sink = sink;
  }

  /** Passes a sample on: to the sink with its family as it will be written, or into its family. */
  emit(record: FamilyRecord, sample: Sample): void {
    if (this.sink === null) addSample(record.family, sample);
    else this.sink(record.out ??= this.registry.streamedFamily(record), sample);
  }

  /** Makes `record` the current family; in OpenMetrics a family may not come back once another started. */
  enter(record: FamilyRecord): void {
    if (this.scan.om) {
      if (record.closed) {
        this.scan.fail(`Family ${quote(record.family.name)} is interleaved with another family`);
      }
      if (this.current !== null) this.current.closed = true;
    }
    this.current = record;
  }

  /** The claim of the current family whose sample name is `s[start, end)`, if any (no allocation). */
  matchCurrent(s: string, start: number, end: number): Claim | undefined {
    const current = this.current;
    if (current === null || current.claims.length === 0) return undefined;
    const family = current.family.name;
    if (end - start < family.length || !s.startsWith(family, start)) return undefined;
    for (const claim of current.claims) {
      if (claim.inputName.length === end - start && s.startsWith(claim.suffix, start + family.length)) {
        return claim;
      }
    }
    return undefined;
  }

  /** The claim for the sample name `s[start, end)`: the current family's, else the registry's. */
  claim(s: string, start: number, end: number): Claim {
    return this.matchCurrent(s, start, end) ?? this.registry.resolve(s.slice(start, end), this.scan.line);
  }

  /** Applies one HELP/TYPE/UNIT line to the family declared as `name`. */
  metadata(keyword: number, name: string, value: string): void {
    const scan: Scanner = this.scan;
    const what = KEYWORDS[keyword];
    // HELP and TYPE of one family are usually adjacent: skip the lookup for the current family.
    const current = this.current;
    const record = current !== null && current.declaredName === name
      ? current
      : this.registry.declared(name, scan.line);
    if (record.hasSamples) scan.fail(`${what} for ${quote(name)} comes after its samples`);
    if (record !== this.current) this.enter(record);
    const family = record.family;
    if (keyword === HELP) {
      if (record.hasHelp) scan.fail(`Second HELP for ${quote(name)}`);
      record.hasHelp = true;
      family.help = value;
      return;
    }
    if (keyword === TYPE) {
      if (record.hasType) scan.fail(`Second TYPE for ${quote(name)}`);
      this.registry.setType(record, value as MetricType, scan.line);
    } else {
      if (record.hasUnit) scan.fail(`Second UNIT for ${quote(name)}`);
      record.hasUnit = true;
      if (value !== "" && !name.endsWith("_" + value)) {
        scan.fail(`Unit ${quote(value)} is not a suffix of the name ${quote(name)}`);
      }
      family.unit = value;
    }
    if (family.unit !== "" && (family.type === "info" || family.type === "stateset")) {
      scan.fail(`A ${family.type} family may not have a unit (${quote(name)})`);
    }
  }

  /**
   * The families, after the checks that need all of them.
   *
   * @throws {ParseError} For a clash found at the end.
   * @throws {StreamRestart} With a sink, when a family was renamed after its samples were passed on.
   */
  finish(): MetricFamily[] {
    if (this.scan.om) {
      checkGaugeHistogramNames(this.registry.families);
      return this.registry.families;
    }
    return this.registry.finish(this.sink !== null);
  }
}
