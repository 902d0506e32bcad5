/**
 * The registry of metric families for the Prometheus text / OpenMetrics parser: every family of one parse,
 * and the resolution of a sample name to the family that takes it.
 *
 * A family's type decides which sample names it takes (its "claims"): a histogram `x` takes `x_bucket`,
 * `x_sum`, `x_count` and `x_created`, a counter `x` takes `x_total` and `x_created`, and so on. Records are
 * kept in one map under their declared name (and, for a text counter declared as `x_total`, also under the
 * family name `x`). A sample name is resolved by the parser against the current family first; only a miss
 * comes here, where the name itself and the name minus each known suffix are looked up.
 *
 * When a family declared under exactly a sample's name exists, it wins over another family's suffix claim,
 * so a client_python text page (`# TYPE foo_total counter` then `# TYPE foo_created gauge`) keeps
 * `foo_created` as the gauge it says it is; the counter "cedes" that claim. A claim that already has samples
 * cannot move: that is metadata after samples, an error.
 *
 * @module
 */

import { ParseError } from "../../errors.ts";
import type { MetricFamily, MetricType } from "../../model.ts";
import {
  type Claim,
  type FamilyRecord,
  KIND_BUCKET,
  KIND_COUNT,
  KIND_INFO,
  KIND_PLAIN,
  KIND_QUANTILE,
  KIND_STATESET,
  KIND_TOTAL,
} from "./_claims.ts";
import { quote } from "./_lex.ts";
import type { TextFormat } from "./_scan.ts";
import { copyString } from "../series_cache.ts";

/** Every suffix any type claims; a bit per entry in {@linkcode FamilyRegistry}'s name-ending mask. */
const ALL_SUFFIXES = [
  "_total",
  "_created",
  "_bucket",
  "_sum",
  "_count",
  "_gsum",
  "_gcount",
  "_info",
] as const;

/** Claimed suffixes, their checks and their `ALL_SUFFIXES` bits, by type. */
const TYPE_SUFFIXES: Readonly<Record<MetricType, ReadonlyArray<readonly [string, number, number]>>> = {
  counter: [["_total", KIND_TOTAL, 1], ["_created", KIND_PLAIN, 2]],
  gauge: [["", KIND_PLAIN, 0]],
  unknown: [["", KIND_PLAIN, 0]],
  histogram: [["_bucket", KIND_BUCKET, 4], ["_sum", KIND_PLAIN, 8], ["_count", KIND_COUNT, 16], [
    "_created",
    KIND_PLAIN,
    2,
  ]],
  gaugehistogram: [["_bucket", KIND_BUCKET, 4], ["_gsum", KIND_PLAIN, 32], ["_gcount", KIND_COUNT, 64]],
  summary: [["", KIND_QUANTILE, 0], ["_sum", KIND_PLAIN, 8], ["_count", KIND_COUNT, 16], [
    "_created",
    KIND_PLAIN,
    2,
  ]],
  info: [["_info", KIND_INFO, 128]],
  stateset: [["", KIND_STATESET, 0]],
};

/** Bit of the `ALL_SUFFIXES` entry that `name` ends with, or 0 (a name ends with at most one). */
function endingBit(name: string): number {
  // Dispatch on the last character: `endsWith` is a builtin call, costly once per declared name.
  switch (name.charCodeAt(name.length - 1)) {
    case 108: // l
      return endsWith(name, "_total") ? 1 : 0;
    case 100: // d
      return endsWith(name, "_created") ? 2 : 0;
    case 116: // t
      return endsWith(name, "_bucket")
        ? 4
        : endsWith(name, "_gcount")
        ? 64
        : endsWith(name, "_count")
        ? 16
        : 0;
    case 109: // m
      return endsWith(name, "_gsum") ? 32 : endsWith(name, "_sum") ? 8 : 0;
    case 111: // o
      return endsWith(name, "_info") ? 128 : 0;
    default:
      return 0;
  }
}

/** `name.endsWith(suffix)` for a non-empty rest, compared from the end. */
function endsWith(name: string, suffix: string): boolean {
  const offset = name.length - suffix.length;
  if (offset <= 0) return false;
  for (let i = suffix.length - 1; i >= 0; i--) {
    if (name.charCodeAt(offset + i) !== suffix.charCodeAt(i)) return false;
  }
  return true;
}

/** Holds every family of one parse and resolves sample names that miss the current family. */
export class FamilyRegistry {
  /** Families in first-seen order: the parse result. */
  readonly families: MetricFamily[] = [];
  /** The records of `families`, in the same order. */
  readonly #records: FamilyRecord[] = [];
  /** Records by declared name, and by family name where that differs (text counters `x_total` -> `x`). */
  readonly #byName = new Map<string, FamilyRecord>();
  /** Bits of `ALL_SUFFIXES` that some record's name ends with: a zero bit skips a lookup. */
  #endings = 0;
  /** Bits of `ALL_SUFFIXES` that some record claims as a suffix (not its own declared name). */
  #suffixClaims = 0;
  /** Whether the input is text 0.0.4 (bare counter samples, `_total` stripped from counter names). */
  readonly #text: boolean;

  /** Creates an empty registry for one parse of `format`. */
  constructor(format: TextFormat) {
    this.#text = format === "prometheus";
  }

  /**
   * Returns the record declared under `name` for a HELP/TYPE/UNIT line, creating an `unknown` one if none.
   * An implied record is returned as is (the caller rejects metadata after samples).
   */
  declared(name: string, line: number): FamilyRecord {
    const found = this.#byName.get(name);
    // A record found under another declared name is a text counter `x_total` known here as `x`: a family
    // declared as `x` is a different one (see setType), and takes the key.
    if (found !== undefined && found.declaredName === name) return found;
    // A name that another family's type claims as a sample name (`x_total` of counter `x`) has no valid
    // rendering in both formats, except client_python's text `x_created` gauge next to counter (histogram,
    // summary) `x`: kept as sent, so rules see it; the OpenMetrics writer folds it into `x`'s MetricPoints.
    const bit = endingBit(name);
    if ((bit & this.#suffixClaims) !== 0) {
      const suffix = ALL_SUFFIXES[31 - Math.clz32(bit)];
      const baseName = name.slice(0, -suffix.length);
      const base = this.#byName.get(baseName);
      if (
        base !== undefined && base.family.name === baseName && base.claims.some((c) => c.suffix === suffix) &&
        !(this.#text && suffix === "_created")
      ) {
        throw new ParseError(
          `Metadata for ${quote(name)} clashes with the samples of ${base.family.type} family ${
            quote(baseName)
          }`,
          line,
        );
      }
    }
    return this.#newRecord(name, false, bit);
  }

  /**
   * Resolves a sample name that did not match the current family: the family declared under that name,
   * else a family whose name plus a suffix it claims is this name, else a new implied `unknown` family.
   */
  resolve(name: string, line: number): Claim {
    const exact = this.#byName.get(name);
    if (exact !== undefined) {
      const claim = claimOf(exact, name);
      if (claim !== undefined) return claim;
    }
    const bit = endingBit(name);
    if ((bit & this.#suffixClaims) !== 0) {
      const suffix = ALL_SUFFIXES[31 - Math.clz32(bit)];
      const baseName = name.slice(0, -suffix.length);
      const base = this.#byName.get(baseName);
      if (base !== undefined && base.family.name === baseName) {
        const claim = claimOf(base, name);
        if (claim !== undefined) return claim;
      }
    }
    if (exact !== undefined && exact.declaredName === name) {
      throw new ParseError(
        `Sample ${quote(name)} does not belong to ${exact.family.type} family ${quote(exact.family.name)}`,
        line,
      );
    }
    return this.#newRecord(name, true, bit).claims[0];
  }

  /**
   * Returns the families. In text, a gauge or untyped family `x_created` next to a counter, histogram or
   * summary `x` (client_python's text rendering of the created timestamp) stays the family it was sent as,
   * so rules can see, rename or drop it; the OpenMetrics writer folds it into `x`'s MetricPoints.
   *
   * @param streamed The samples were passed on as read ({@linkcode FamilyRegistry.streamedFamily}).
   * @throws {StreamRestart} When streamed and a family with samples passed on was renamed here.
   */
  finish(streamed = false): MetricFamily[] {
    const renamed = this.#splitClashingCounters(this.families);
    if (streamed) {
      for (const record of this.#records) {
        if (record.out !== null && (record.out !== record.family) !== renamed.has(record.family)) {
          throw new StreamRestart();
        }
      }
    }
    return this.families;
  }

  /**
   * The family a record's samples are passed on with, at its first sample: the record's own, or for a text
   * counter that will be split at the end (see `#splitClashingCounters`) the `unknown` family it becomes.
   * Whether it will be split is known here when its sibling was declared first, as client_golang orders its
   * pages; {@linkcode FamilyRegistry.finish} checks that guess.
   */
  streamedFamily(record: FamilyRecord): MetricFamily {
    const family = record.family;
    if (!this.#text || family.type !== "counter") return family;
    const other = this.#byName.get(family.name);
    if (other === undefined || other === record) return family;
    return { ...family, name: family.name + "_total", type: "unknown", samples: [] };
  }

  /**
   * A text counter `x_total` next to a family `x` (client_golang's gauge `go_memstats_alloc_bytes` beside its
   * counter `go_memstats_alloc_bytes_total`) would share the family name `x`, which has no valid OpenMetrics
   * rendering and would merge with the other family in the rules. Such a counter is kept as an `unknown`
   * family under its full sample name: every series keeps its name and value in both formats. Returns the
   * families renamed.
   */
  #splitClashingCounters(families: MetricFamily[]): Set<MetricFamily> {
    const renamed = new Set<MetricFamily>();
    if (!this.#text) return renamed;
    let seen: Map<string, MetricFamily> | undefined;
    for (const f of families) {
      seen ??= new Map();
      const other = seen.get(f.name);
      if (other === undefined) {
        seen.set(f.name, f);
        continue;
      }
      const counter = f.type === "counter" ? f : other.type === "counter" ? other : undefined;
      if (counter === undefined) continue;
      counter.name = counter.name + "_total";
      counter.type = "unknown";
      renamed.add(counter);
      seen.set(f.name, counter === f ? other : f);
    }
    return renamed;
  }

  /** Sets the type of a declared record, renames a text counter `x_total` to `x`, and claims its names. */
  setType(record: FamilyRecord, type: MetricType, line: number): void {
    record.hasType = true;
    const family = record.family;
    family.type = type;
    const declared = record.declaredName;
    let name = declared;
    if (this.#text && type === "counter" && declared.endsWith("_total") && declared.length > 6) {
      // client_golang pages have a gauge `go_memstats_alloc_bytes` next to a counter
      // `go_memstats_alloc_bytes_total`: both become families named `go_memstats_alloc_bytes`, told apart by
      // type and sample names. The alias key `x` is only taken while free.
      name = declared.slice(0, -6);
      if (!this.#byName.has(name)) this.#byName.set(name, record);
      family.name = name;
    }
    const suffixes = TYPE_SUFFIXES[type];
    const bare = this.#text && type === "counter" && name === declared;
    const claims: Claim[] = new Array(suffixes.length + (bare ? 1 : 0));
    let count = 0;
    for (let i = 0; i < suffixes.length; i++) {
      const [suffix, kind, bit] = suffixes[i];
      // For a text counter declared as `x_total`, the `_total` sample name is the declared name itself.
      const own = name.length + suffix.length === declared.length;
      const sampleName = own ? declared : name + suffix;
      if (!own && (this.#endings & bit) !== 0) {
        // Another family declared under exactly this sample name keeps it; an implied family that already
        // has it means this TYPE comes after that family's samples.
        const other = this.#byName.get(sampleName);
        if (other !== undefined && other !== record) {
          if (other.implied) {
            throw new ParseError(
              `TYPE for ${quote(declared)} comes after its sample ${quote(sampleName)}`,
              line,
            );
          }
          // A text `x_created` family keeps its samples, as sent (see finish); any other clash has no
          // valid rendering in both formats.
          if (!(this.#text && suffix === "_created")) {
            throw new ParseError(
              `TYPE for ${quote(declared)} clashes with family ${quote(sampleName)}`,
              line,
            );
          }
          continue;
        }
      }
      if (!own) this.#suffixClaims |= bit;
      claims[count++] = { record, suffix, inputName: sampleName, outName: sampleName, kind, used: false };
    }
    // Text 0.0.4 names a counter by its sample (`# TYPE requests counter` + `requests 5`); the model's
    // counter samples always end in `_total`, so the bare sample is renamed.
    if (bare) {
      claims[count++] = {
        record,
        suffix: "",
        inputName: name,
        outName: name + "_total",
        kind: KIND_TOTAL,
        used: false,
      };
    }
    claims.length = count;
    record.claims = claims;
  }

  #newRecord(cut: string, implied: boolean, endingBit: number): FamilyRecord {
    // A name cut from a text block would keep the block alive in whatever outlives the scrape (the rules'
    // decision cache, the series cache): the record gets its own copy, once per family.
    const name = copyString(cut);
    const family: MetricFamily = { name, type: "unknown", help: "", unit: "", samples: [] };
    const record: FamilyRecord = {
      family,
      declaredName: name,
      implied,
      claims: NO_CLAIMS,
      hasType: false,
      hasHelp: false,
      hasUnit: false,
      hasSamples: false,
      closed: false,
      out: null,
      token: null,
    };
    // A declared family gets its claims from its TYPE line; one without TYPE claims its bare name on first use
    // (see claimOf), which saves an object for the common HELP-then-TYPE case.
    if (implied) record.claims = [bareClaim(record)];
    this.families.push(family);
    this.#records.push(record);
    this.#byName.set(name, record);
    this.#endings |= endingBit;
    return record;
  }
}

/**
 * Thrown by {@linkcode FamilyRegistry.finish} in streaming mode when a family's name changed after its samples
 * were passed on: a text counter `x_total` whose sibling family `x` was declared only after the counter's
 * samples. The caller decodes the body again as a whole, which is always right.
 */
export class StreamRestart extends Error {
  /** Creates the signal. */
  constructor() {
    super("A family changed its name after its samples were streamed");
    this.name = "StreamRestart";
  }
}

/** Claims of a record before its TYPE line. */
const NO_CLAIMS: Claim[] = [];

/** The claim of an `unknown` family on its own name. */
function bareClaim(record: FamilyRecord): Claim {
  const name = record.family.name;
  return { record, suffix: "", inputName: name, outName: name, kind: KIND_PLAIN, used: false };
}

/**
 * The claim of `record` matching sample `name`, if the family takes that name. A family still without TYPE
 * gets its bare-name claim here.
 */
export function claimOf(record: FamilyRecord, name: string): Claim | undefined {
  if (!record.hasType && record.claims === NO_CLAIMS) record.claims = [bareClaim(record)];
  for (const claim of record.claims) {
    if (name === claim.inputName) return claim;
  }
  return undefined;
}
