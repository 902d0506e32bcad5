/**
 * One relay pass over a text body: lines are read from the bytes, each sample written into an arena as the
 * output line it becomes, and the arena cut into runs of one output family each. Anything the pass does not
 * handle exactly as the pipeline does (see ./mod.ts) ends it with the reason, and the pipeline takes the body.
 *
 * Families come in the same order scrape after scrape, so the pass predicts them: while each family's
 * metadata lines are byte for byte those of the family at the same place in the last pass, it takes that
 * family's route without making a string or touching a map. The first family that differs ends the
 * prediction; the pass then claims the names of the families so far and reads on as without one.
 *
 * @module
 */

import { formatNumber } from "../exposition/escape.ts";
import type { ExpositionFormat } from "../exposition/negotiate.ts";
import { parseGoFloat } from "../formats/text/mod.ts";
import type { MetricType } from "../model.ts";
import type { SeriesFilter } from "./_filter.ts";
import { pairHashes, secondHash, type SeenSeries } from "./_hash.ts";
import {
  ascii,
  CANONICAL,
  canonicalValue,
  CLOSE,
  COMMA,
  copyAscii,
  copyBytes,
  EQUALS,
  floatLabel,
  GiveUp,
  HASH,
  isNameStart,
  LABEL_CHARS,
  labelAt,
  LF,
  NAME_CHARS,
  NOT_CANONICAL,
  OPEN,
  QUOTE,
  samePrefix,
  sameRange,
  SAMPLE_VALUE_STOPS,
  SPACE,
  VALUE_STOPS,
} from "./_lex.ts";
import { Kind, type Route } from "./_route.ts";
import { BoundSpellings, OutputFamilies, type PassFamily } from "./_output.ts";
import { FamilyReader, type FamilyRecord } from "./_families.ts";

/** What a pass needs from its relay: routes kept across scrapes, and the last pass's families. */
export interface PassHost {
  /** The target's keep/drop relabel rules, if it has any. */
  readonly filter: SeriesFilter | null;
  /** The route of an upstream family (cached); `null`: the relay does not handle it. */
  route(declared: string, type: MetricType, help: string, split: boolean): Route | null;
  /** The upstream families of the last pass that succeeded, in order. */
  readonly predicted: readonly FamilyRecord[];
}

/** What a finished pass gives. */
export interface PassResult {
  /** The output families, in the order the pipeline writes them, each with at least one line. */
  families: PassFamily[];
  arena: Uint8Array;
  /** Sample lines read. */
  read: number;
  /** The upstream families met, for the next pass to predict. */
  records: FamilyRecord[];
}

/** Lines between two steps of a paced pass. */
const STEP_LINES = 4096;
/** Labels a relayed series may have. */
const MAX_LABELS = 64;

/**
 * One pass over `b` (a text exposition, ASCII except in comments), in steps of a few thousand lines with a
 * yield between two; returns the output, or why the body needs the pipeline. The work is a class's method,
 * not the generator's body: V8 runs a loop inside a generator several times slower (measured 5x).
 */
export function* relayPass(
  host: PassHost,
  b: Uint8Array,
  seen: SeenSeries,
  passId: number,
  format: ExpositionFormat,
): Generator<void, PassResult | string> {
  try {
    const pass = new Pass(host, b, seen, passId, format);
    while (!pass.step(STEP_LINES)) yield;
    return pass.result();
  } catch (e) {
    if (e instanceof GiveUp) return e.why;
    throw e;
  }
}

/**
 * Reads up to `maxLines` lines from `p`; returns where it stopped. A function apart from the pass's state: V8
 * compiles its loop once it is hot and keeps it, where a method reading private fields around its loop was
 * deoptimized at every step's exit (`--trace-deopt`: about 25 per pass).
 */
function stepLines(b: Uint8Array, p: number, maxLines: number, reader: FamilyReader, pass: Pass): number {
  const n = b.length;
  for (let lines = 0; lines < maxLines && p < n; lines++) {
    const c = b[p];
    if (c === LF) {
      p++;
    } else if (c === HASH) {
      const skip = reader.predictDeclared(p);
      if (skip > 0) {
        p += skip;
        continue;
      }
      let eol = b.indexOf(LF, p);
      if (eol === -1) eol = n;
      reader.comment(p, eol);
      p = eol + 1;
    } else {
      p = pass.sample(p);
    }
  }
  return p;
}

/** The state of one pass, kept between steps. */
class Pass {
  readonly #host: PassHost;
  readonly #b: Uint8Array;
  readonly #seen: SeenSeries;
  readonly #passId: number;
  readonly #filter: SeriesFilter | null;
  /** Writing OpenMetrics (else text 0.0.4). */
  readonly #om: boolean;
  /** OpenMetrics spellings of `le` and `quantile` values. */
  readonly #bounds = new BoundSpellings();
  /** The families met, and the route of each sample name. */
  readonly #reader: FamilyReader;
  /** The output lines; grown by doubling. */
  #out: Uint8Array;
  #pos = 0;
  /** The output families of this pass. */
  readonly #outputs: OutputFamilies;
  /** Each label of the line being read: name start and end, value start and end. */
  readonly #lab = new Int32Array(MAX_LABELS * 4);
  #p = 0;
  #lastFamily: PassFamily | null = null;
  #runStart = 0;
  #read = 0;

  constructor(host: PassHost, b: Uint8Array, seen: SeenSeries, passId: number, format: ExpositionFormat) {
    this.#om = format === "openmetrics";
    this.#host = host;
    this.#b = b;
    this.#seen = seen;
    this.#passId = passId;
    this.#filter = host.filter;
    this.#outputs = new OutputFamilies(format === "openmetrics");
    this.#reader = new FamilyReader(host, b);
    this.#out = new Uint8Array(Math.max(1024, b.length + (b.length >>> 3)));
    seen.clear();
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) throw new GiveUp("a BOM");
  }

  /** The output, once {@linkcode Pass.step} said it is done. */
  result(): PassResult {
    this.#endRun();
    const families = this.#outputs.written();
    // An arena mostly unused (the rules dropped most of the body) is not kept whole with the answer.
    const arena = this.#pos * 2 < this.#out.length ? this.#out.slice(0, this.#pos) : this.#out;
    return { families, arena, read: this.#read, records: this.#reader.records };
  }

  /** Reads up to `maxLines` lines; true when the body is done. */
  step(maxLines: number): boolean {
    const p = stepLines(this.#b, this.#p, maxLines, this.#reader, this);
    this.#p = p;
    return p >= this.#b.length;
  }

  /** {@linkcode stepLines}' way into the sample reader. */
  sample(p: number): number {
    return this.#sample(p);
  }

  /**
   * Reads the sample line at `p` and writes its output line; returns where the next line starts. A method of
   * its own, called per line, so V8 optimizes it as a whole rather than by on-stack replacement of a loop.
   */
  #sample(p: number): number {
    const b = this.#b;
    const n = b.length;
    const lab = this.#lab;
    const reader = this.#reader;
    const c = b[p];
    // The name, most often the last line's (compared as it is read, then not scanned).
    let i = p;
    let route = reader.last;
    if (route !== null) {
      const sb = reader.route!.slab.buf;
      const { at, length } = route.name;
      let k = 0;
      k = samePrefix(b, p, sb, at, length);
      i = p + k;
      if (k !== length || NAME_CHARS[b[i]] === 1) route = null;
    }
    if (route === null) {
      if (!isNameStart(c)) throw new GiveUp("a line that is not a sample");
      i = p + 1;
      while (NAME_CHARS[b[i]] === 1) i++;
      route = reader.sampleRoute(p, i);
    }
    const famRoute = reader.route!;
    const slab = famRoute.slab;
    // Labels: names and values are only located here; the output copies them as they are.
    let labels = 0;
    let labelsStart = i, labelsEnd = i;
    if (b[i] === OPEN) {
      labelsStart = ++i;
      if (b[i] !== CLOSE) {
        for (;;) {
          const ns = i;
          const d = b[i];
          // `__name__` and other `__` names are reserved: the parser refuses or resolves them.
          if (!((d >= 97 && d <= 122) || (d >= 65 && d <= 90) || (d === 95 && b[i + 1] !== 95))) {
            throw new GiveUp("a label name");
          }
          // A byte past the body reads `undefined`, which no table entry equals: the loops stop there.
          while (LABEL_CHARS[b[++i]] === 1);
          const ne = i;
          if (b[i] !== EQUALS || b[i + 1] !== QUOTE) throw new GiveUp("a label's syntax");
          i += 2;
          const vs = i;
          while (VALUE_STOPS[b[i]] === 0) i++;
          if (b[i] !== QUOTE) throw new GiveUp("an escape, a NUL or a non-ASCII byte in a label value");
          if (labels === MAX_LABELS) throw new GiveUp("too many labels");
          const k = labels++ * 4;
          lab[k] = ns;
          lab[k + 1] = ne;
          lab[k + 2] = vs;
          lab[k + 3] = i;
          const next = b[++i];
          if (next === COMMA) {
            i++;
            continue;
          }
          if (next === CLOSE) break;
          throw new GiveUp("a label's syntax");
        }
      }
      labelsEnd = i++;
    }
    if (b[i] !== SPACE) throw new GiveUp("a sample's syntax");
    // The value, up to the line's end (a timestamp is the pipeline's case).
    const vs = ++i;
    while (SAMPLE_VALUE_STOPS[b[i]] === 0) i++;
    if (i < n && b[i] !== LF) throw new GiveUp("a timestamp or a blank");
    const ve = i;
    p = i + 1;
    if (ve === vs) throw new GiveUp("no value");
    this.#read++;
    // Checks: label names unique and none the rules or the target set; the type's own checks.
    for (let j = 1; j < labels; j++) {
      const ns = lab[j * 4], len = lab[j * 4 + 1] - ns;
      for (let k = 0; k < j; k++) {
        if (len === lab[k * 4 + 1] - lab[k * 4] && sameRange(b, ns, lab[k * 4], len)) {
          throw new GiveUp("a label twice");
        }
      }
    }
    const reserved = famRoute.reserved;
    if (reserved.length > 0) {
      const sb = slab.buf;
      for (let j = 0; j < labels; j++) {
        const ns = lab[j * 4], len = lab[j * 4 + 1] - ns;
        for (let r = 0; r < reserved.length; r++) {
          // Length and first byte first: most labels differ there.
          const name = reserved[r];
          if (len === name.length && b[ns] === sb[name.at] && samePrefix(b, ns, sb, name.at, len) === len) {
            throw new GiveUp("a label the rules set");
          }
        }
      }
    }
    const canonical = canonicalValue(b, vs, ve);
    let value = 0;
    if (canonical !== CANONICAL) {
      const parsed = parseGoFloat(ascii(b, vs, ve), 0, ve - vs);
      if (parsed === undefined) throw new GiveUp("a value");
      value = parsed;
    }
    const kind = route.kind;
    /** The `le` or `quantile` label's offset in `lab`, for a bucket or a quantile; else -1. */
    let bound = -1;
    if (kind !== Kind.Plain) {
      if (canonical !== CANONICAL && kind !== Kind.Quantile && !(value >= 0)) {
        throw new GiveUp("a negative count");
      }
      if (kind === Kind.Bucket && (bound = floatLabel(b, lab, labels, false)) < 0) {
        throw new GiveUp("a bucket's le");
      }
      if (kind === Kind.Quantile && (bound = floatLabel(b, lab, labels, true)) < 0) {
        throw new GiveUp("a quantile");
      }
    }
    if (famRoute.out === null) return p;
    // The output family first: the pipeline counts a source at its first sample, kept or not.
    const fam = famRoute.pass === this.#passId
      ? famRoute.family as PassFamily
      : this.#outputs.of(famRoute, this.#passId);
    if (this.#filter !== null && this.#filter.drops(b, lab, labels, route, famRoute)) return p;
    // OpenMetrics spells `le` (histograms) and `quantile` (summaries) canonically on every sample.
    if (fam.special !== null && bound < 0) bound = labelAt(b, lab, labels, fam.special);
    if (fam.hashed) {
      // The duplicate check, where the pipeline checks: both hashes of the output series.
      let sum1 = famRoute.addedHash1, sum2 = famRoute.addedHash2;
      for (let j = 0; j < labels; j++) {
        const k = j * 4;
        sum1 = (sum1 + pairHashes(b, lab[k], lab[k + 1], lab[k + 2], lab[k + 3])) | 0;
        sum2 = (sum2 + secondHash) | 0;
      }
      if (
        !this.#seen.add(
          (Math.imul(route.hash1 ^ sum1, 0x9e3779b1) + fam.id) | 0,
          (route.hash2 + sum2) ^ fam.id,
        )
      ) {
        throw new GiveUp("a duplicate series"); // (or, rarely, a collision): the pipeline applies on_duplicate
      }
    }
    // The output line, written in one go into room reserved once.
    if (fam !== this.#lastFamily) {
      this.#endRun();
      this.#lastFamily = fam;
      this.#runStart = this.#pos;
    }
    fam.lines++;
    const name = route.out, added = famRoute.added, sb = slab.buf;
    const formatted = canonical === NOT_CANONICAL ? formatNumber(value) : "";
    // OpenMetrics spells a bucket's bound and a quantile canonically (`1` as `1.0`), as its writer does.
    const bounded = bound >= 0 && this.#om ? this.#bounds.of(b, lab[bound + 2], lab[bound + 3]) : "";
    const room = name.length + (labelsEnd - labelsStart) + added.length + (ve - vs) + formatted.length +
      bounded.length + 4;
    const out = this.#pos + room > this.#out.length ? this.#grow(room) : this.#out;
    let o = this.#pos;
    o = copyBytes(out, o, sb, name.at, name.at + name.length);
    if (labels > 0 || added.length > 0) {
      out[o++] = OPEN;
      if (bounded === "") {
        o = copyBytes(out, o, b, labelsStart, labelsEnd);
      } else {
        const from = lab[bound + 2], to = lab[bound + 3];
        o = copyBytes(out, o, b, labelsStart, from);
        o = copyAscii(out, o, bounded);
        o = copyBytes(out, o, b, to, labelsEnd);
      }
      if (labels > 0 && added.length > 0) out[o++] = COMMA;
      o = copyBytes(out, o, sb, added.at, added.at + added.length);
      out[o++] = CLOSE;
    }
    out[o++] = SPACE;
    if (formatted === "") o = copyBytes(out, o, b, vs, ve);
    else o = copyAscii(out, o, formatted);
    out[o++] = LF;
    this.#pos = o;
    return p;
  }

  /** A buffer with room for `k` more output bytes. */
  #grow(k: number): Uint8Array {
    const next = new Uint8Array(Math.max(this.#out.length * 2, this.#pos + k));
    next.set(this.#out.subarray(0, this.#pos));
    return this.#out = next;
  }

  /** Ends the run of the family written last. */
  #endRun(): void {
    const fam = this.#lastFamily;
    if (fam !== null && this.#pos > this.#runStart) fam.runs.push(this.#runStart, this.#pos);
  }
}
