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
 * Series are predicted too, line by line (./_predict.ts): a line whose series key is the one predicted from
 * the last pass, in the same family, is written from the last pass's output prefix and its own value.
 *
 * @module
 */

import type { SeriesFilter } from "./_filter.ts";
import { pairHashes, secondHash, type SeenSeries } from "./_hash.ts";
import { checkLabelNames, MAX_LABELS, valueSpelling } from "./_sample.ts";
import { LinePredictor } from "./_predict.ts";
import {
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
  OPEN,
  QUOTE,
  samePrefix,
  SPACE,
  VALUE_STOPS,
  valueEnd,
  writeValue,
} from "./_lex.ts";
import { FORMATS, Kind } from "./_route.ts";
import type { LineRecord } from "./_lines.ts";
import { BoundSpellings, OutputFamilies, type PassFamily } from "./_output.ts";
import { FamilyReader } from "./_families.ts";
import { Arena, MAIN, SIDE } from "./_arena.ts";
import type { PassHost, PassInput, PassResult } from "./_steps.ts";

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

/** The state of one pass, kept between steps (./_steps.ts runs it). */
export class Pass {
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
  /** The output lines: the main arena, and the side arena of families merged from several. */
  readonly #arenas: readonly [Arena, Arena];
  /** The output families of this pass. */
  readonly #outputs: OutputFamilies;
  /** Each label of the line being read: name start and end, value start and end. */
  readonly #lab = new Int32Array(MAX_LABELS * 4);
  #p = 0;
  #read = 0;
  /** Where this pass's lines are recorded, or `null`. */
  readonly #rec: LineRecord | null;
  /** Lines predicted from the last pass's (./_predict.ts). */
  readonly #predictor: LinePredictor;

  constructor({ host, body: b, seen, passId, format, record, buffers }: PassInput) {
    this.#om = format === "openmetrics";
    this.#rec = record;
    record?.reset(passId, format, b);
    this.#host = host;
    this.#b = b;
    this.#seen = seen;
    this.#passId = passId;
    this.#filter = host.filter;
    this.#outputs = new OutputFamilies(format === "openmetrics");
    this.#reader = new FamilyReader(host, b);
    const index = FORMATS.indexOf(format);
    // Each arena takes about what it took last time, for a body of this size (it grows by doubling, each
    // time a copy); without a last time, the main arena takes the body's size and an eighth.
    const last = host.lines;
    const scale = last !== null && last.body.length > 0 ? b.length / last.body.length : 0;
    const room = (used: number) => Math.max(1024, Math.ceil(used * scale * 1.125));
    this.#arenas = [
      new Arena(
        buffers?.[MAIN] ?? null,
        last === null ? b.length + (b.length >>> 3) : room(last.used[MAIN]),
        index,
      ),
      new Arena(buffers?.[SIDE] ?? null, last === null ? 1024 : room(last.used[SIDE]), index),
    ];
    const base = host.lines !== null && host.lines.format === format ? host.lines : null;
    this.#predictor = new LinePredictor(b, base, record, {
      passId,
      seen,
      reader: this.#reader,
      outputs: this.#outputs,
      arenas: this.#arenas,
    });
    seen.clear();
    if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) throw new GiveUp("a BOM");
  }

  /** The output, once {@linkcode Pass.step} said it is done. */
  result(): PassResult {
    for (const arena of this.#arenas) arena.endRun();
    const families = this.#outputs.written();
    const arenas = [this.#arenas[MAIN].buf, this.#arenas[SIDE].buf] as const;
    if (this.#rec !== null) {
      this.#rec.used = [this.#arenas[MAIN].pos, this.#arenas[SIDE].pos];
      this.#rec.arenas = arenas;
      this.#rec.arenaViews = [this.#arenas[MAIN].view, this.#arenas[SIDE].view];
    }
    return {
      families,
      arenas,
      read: this.#read,
      predicted: this.#predictor.predicted,
      records: this.#reader.records,
      lines: this.#rec,
    };
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
    const reader = this.#reader;
    const current = reader.route;
    const predictor = this.#predictor;
    if (current !== undefined) {
      const next = predictor.line(p, current);
      if (next >= 0) {
        this.#read++;
        return next;
      }
    }
    const start = p;
    const b = this.#b;
    const lab = this.#lab;
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
    predictor.family(famRoute);
    const slab = famRoute.slab;
    // Labels: names and values are only located here; the output copies them as they are.
    let labels = 0;
    let labelsStart = i, labelsEnd = i;
    if (b[i] === OPEN) {
      labelsStart = i + 1;
      i = labelsStart;
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
    const keyEnd = i;
    const vs = i + 1;
    const ve = valueEnd(b, vs);
    p = ve + 1;
    this.#read++;
    predictor.read();
    const line = this.#rec !== null ? this.#rec.add(start, keyEnd, route, famRoute) : -1;
    // Checks: label names unique and none the rules or the target set; the type's own checks.
    if (labels > 1 || famRoute.reserved.length > 0) {
      checkLabelNames(b, lab, labels, famRoute.reserved, slab.buf);
    }
    const kind = route.kind;
    const formatted = valueSpelling(b, vs, ve, kind);
    /** The `le` or `quantile` label's offset in `lab`, for a bucket or a quantile; else -1. */
    let bound = -1;
    if (kind !== Kind.Plain) {
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
      if (line >= 0) this.#rec!.hashedLine(line, sum1, sum2);
    }
    // The output line, written in one go into room reserved once.
    const name = route.out, added = famRoute.added, sb = slab.buf;
    // OpenMetrics spells a bucket's bound and a quantile canonically (`1` as `1.0`), as its writer does.
    const bounded = bound >= 0 && this.#om ? this.#bounds.of(b, lab[bound + 2], lab[bound + 3]) : "";
    // `{`, `,`, `}`, the blank and the line feed: 5 bytes besides the name, labels and value.
    const room = name.length + (labelsEnd - labelsStart) + added.length + (ve - vs) + formatted.length +
      bounded.length + 5;
    const arena = this.#arenas[fam.arena];
    const out = arena.line(fam, room);
    const at = arena.pos;
    let o = copyBytes(out, at, sb, name.at, name.at + name.length);
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
    if (line >= 0) this.#rec!.outputLine(line, fam.arena, at, o);
    arena.pos = writeValue(out, o, b, vs, ve, formatted);
    return p;
  }
}
