/**
 * The families of one relay pass: which family each line belongs to, the route of each sample name, and the
 * prediction of families from the last pass (see ./_pass.ts). Families and their names follow the parser's
 * rules (src/formats/text/_families.ts) for the cases the relay takes; any other case gives the body back.
 *
 * @module
 */

import type { MetricType } from "../model.ts";
import {
  ascii,
  checkComment,
  GiveUp,
  helpText,
  isNameChar,
  isNameStart,
  SPACE,
  startsWithWord,
  TAB,
  typeOf,
} from "./_lex.ts";
import type { PassHost } from "./_steps.ts";
import { type Bytes, claimsOf, familyName, type Route, type SampleRoute, SUFFIXES } from "./_route.ts";
import { Slab } from "./_slab.ts";

/** An upstream family as a pass met it: what the next pass predicts. */
export interface FamilyRecord {
  /** The slab holding its bytes. */
  slab: Slab;
  /** The bytes of its metadata lines before its first sample; empty for a family without metadata. */
  open: Bytes;
  declared: string;
  /** The declared name as bytes (a family without metadata is predicted by its first sample's name). */
  declaredBytes: Bytes;
  /** Its family name in the parser (a counter's declared name less `_total`, unless split). */
  family: string;
  type: MetricType;
  help: string | null;
  typed: boolean;
  route: Route;
}

/** The family whose lines are being read. */
interface Current {
  declared: string;
  type: MetricType;
  help: string | null;
  typed: boolean;
  /** `undefined` until its first sample; then its route. */
  route: Route | undefined;
  /** Where its first metadata line starts; -1 for a family without metadata. */
  start: number;
  /** A counter `x_total` declared after a family `x`: the parser keeps it apart, as `unknown`. */
  split: boolean;
}

/** The types whose family also takes `x_created`. */
const CREATED_TYPES: ReadonlySet<string> = new Set(["counter", "histogram", "summary"]);

/** The family reader of one pass. */
export class FamilyReader {
  readonly #host: PassHost;
  readonly #b: Uint8Array;
  /** The families met, in order: what the next pass predicts. */
  readonly records: FamilyRecord[] = [];
  /** The bytes of the families this pass records (metadata lines and names). */
  readonly #recordSlab = new Slab(4096);
  /** Predicting: the index of the next family in the host's `predicted`; -1 once the prediction ended. */
  #next: number;
  /** Names the families of this body claim (declared, family and sample names), once not predicting. */
  readonly #claimed = new Set<string>();
  /** Stems of claimed names that end in a type suffix: a family declared under one would claim them. */
  readonly #stems = new Set<string>();
  /** The family names of the families begun in this pass (a counter's without `_total`, unless split). */
  readonly #familyNames = new Set<string>();
  /** The families of the last pass that succeeded, in order: what this pass predicts. */
  readonly #predicted: readonly FamilyRecord[];
  #cur: Current | null = null;
  /** The route of the last sample line's name, until a comment or another family. */
  last: SampleRoute | null = null;

  constructor(host: PassHost, b: Uint8Array) {
    this.#host = host;
    this.#b = b;
    // Taken now: the host's list is replaced when another pass ends.
    this.#predicted = host.predicted;
    this.#next = this.#predicted.length === 0 ? -1 : 0;
  }

  /** The route of the family being read, once it has a sample. */
  get route(): Route | undefined {
    return this.#cur?.route;
  }

  /** The route of a sample name that is not the last line's: the current family's, or a new untyped family's. */
  sampleRoute(from: number, to: number): SampleRoute {
    let cur = this.#cur;
    let route = cur === null ? undefined : this.#sampleOf(cur, from, to);
    if (route === undefined) {
      cur = this.#next >= 0 ? this.#predictImplicit(from, to) : null;
      if (cur === null) cur = this.#begin(ascii(this.#b, from, to), true, -1);
      this.#cur = cur;
      route = this.#sampleOf(cur, from, to);
      if (route === undefined) throw new GiveUp("a sample its own family does not take");
    }
    this.last = route;
    return route;
  }

  /**
   * The predicted family, when the metadata lines at `p` are its: then its record is taken again and the
   * number of bytes they span returned; else the prediction ends and 0 is returned.
   */
  predictDeclared(p: number): number {
    if (this.#next < 0) return 0;
    const record = this.#predicted[this.#next];
    const open = record?.open;
    if (
      open === undefined || open.length === 0 ||
      !record.slab.same(this.#b, p, p + open.length, open.at, open.length)
    ) {
      this.#endPrediction();
      return 0;
    }
    this.#adopt(record);
    return open.length;
  }

  /** The predicted family without metadata, when its name is the sample's at `from`; else `null`. */
  #predictImplicit(from: number, to: number): Current | null {
    const record = this.#predicted[this.#next];
    const name = record?.declaredBytes;
    if (
      name === undefined || record.open.length !== 0 ||
      !record.slab.same(this.#b, from, to, name.at, name.length)
    ) {
      this.#endPrediction();
      return null;
    }
    return this.#adopt(record);
  }

  #adopt(record: FamilyRecord): Current {
    this.#next++;
    this.records.push(record);
    this.last = null;
    const { declared, type, help, typed, route } = record;
    return this.#cur = { declared, type, help, typed, route, start: -1, split: false };
  }

  /** Ends the prediction: the names of the families taken so far are claimed, as if read without one. */
  #endPrediction(): void {
    this.#next = -1;
    for (const record of this.records) {
      this.#claimed.add(record.declared);
      this.#familyNames.add(record.family);
      this.#claim(record.route);
    }
  }

  #claim(route: Route): void {
    for (const c of route.claims) this.#claimed.add(c);
    for (const s of route.stems) this.#stems.add(s);
  }

  /**
   * Starts the family a metadata line (`implicit` false) or an untyped sample names. A name some family of
   * this body claims, or whose own suffixed names are claimed (a split family, a counter's `_created`
   * sample), is the parser's to resolve. A declared name wins over a suffix claim without samples
   * (client_python's `# TYPE x_created gauge` after a counter `x_total`), as in the parser.
   */
  #begin(declared: string, implicit: boolean, start: number): Current {
    const claimed = this.#claimed;
    if (claimed.has(declared) || this.#stems.has(declared)) {
      throw new GiveUp("a split family or a name clash");
    }
    if (implicit) {
      for (const suffix of SUFFIXES) {
        if (declared.endsWith(suffix) && claimed.has(declared.slice(0, -suffix.length))) {
          throw new GiveUp("a sample of another family");
        }
      }
    }
    claimed.add(declared);
    this.#familyNames.add(declared);
    return { declared, type: "unknown", help: null, typed: false, route: undefined, start, split: false };
  }

  /**
   * The route of a sample name in family `cur`, or `undefined` when the family does not take it. On the
   * family's first sample its route is looked up, its names claimed, and its record kept.
   */
  #sampleOf(cur: Current, from: number, to: number): SampleRoute | undefined {
    let route = cur.route;
    if (route === undefined) {
      const found = this.#host.route(cur.declared, cur.type, cur.help ?? "", cur.split);
      if (found === null) throw new GiveUp("a family whose rules the relay does not apply");
      route = cur.route = found;
      this.#claim(route);
      const { declared, type, help, typed } = cur;
      const slab = this.#recordSlab;
      const openAt = slab.addBytes(this.#b, cur.start < 0 ? from : cur.start, from);
      const open = { at: openAt, length: slab.length - openAt };
      const nameAt = slab.add(declared);
      const declaredBytes = { at: nameAt, length: slab.length - nameAt };
      const family = type === "counter" && !cur.split ? familyName(declared, type) ?? declared : declared;
      this.records.push({ slab, open, declared, declaredBytes, family, type, help, typed, route });
    }
    const samples = route.samples;
    const slab = route.slab;
    for (let k = 0; k < samples.length; k++) {
      if (slab.same(this.#b, from, to, samples[k].name.at, samples[k].name.length)) return samples[k];
    }
    return undefined;
  }

  /**
   * A comment line: `# HELP` and `# TYPE` start or describe the family they name; any other comment is
   * checked as UTF-8 and skipped. Metadata the parser would refuse or resolve its own way ends the pass.
   */
  comment(p: number, eol: number): void {
    const b = this.#b;
    this.last = null;
    // The parser skips blanks after `#`, after the keyword and before a HELP text: only the one spelling
    // without them is read here, and a comment that might be metadata spelled otherwise goes back.
    const c = b[p + 2];
    if (b[p + 1] !== SPACE || p + 2 >= eol || c === SPACE || c === TAB) {
      throw new GiveUp("a comment's spacing");
    }
    const help = startsWithWord(b, p, eol, "# HELP ");
    const type = !help && startsWithWord(b, p, eol, "# TYPE ");
    if (!help && !type) {
      for (const word of ["# HELP", "# TYPE", "# UNIT", "# EOF"]) {
        if (startsWithWord(b, p, eol, word)) throw new GiveUp("metadata the relay does not read");
      }
      checkComment(b, p, eol);
      return;
    }
    let i = p + 7;
    const ns = i;
    if (!isNameStart(b[i])) throw new GiveUp("a metadata name");
    while (i < eol && isNameChar(b[i])) i++;
    const name = ascii(b, ns, i);
    if (i < eol && b[i] !== SPACE) throw new GiveUp("a metadata line's syntax");
    const rest = i < eol ? i + 1 : eol;
    let family = this.#cur;
    if (family === null || family.declared !== name || family.route !== undefined) {
      family = this.#cur = this.#begin(name, false, p);
    }
    if (help) {
      if (family.help !== null) throw new GiveUp("a second HELP");
      if (b[rest] === SPACE || b[rest] === TAB) throw new GiveUp("a HELP text's spacing");
      family.help = helpText(b, rest, eol);
    } else {
      if (family.typed) throw new GiveUp("a second TYPE");
      family.typed = true;
      family.type = typeOf(ascii(b, rest, eol));
      this.#claimType(family);
    }
  }

  /**
   * Claims the names a TYPE line gives its family, as the parser does when it reads one: a name another
   * family of this body already took (its samples came first, or it claims it) is the parser's to resolve,
   * except a counter `x_total`'s family name `x` when a family `x` exists: the parser keeps that counter
   * apart (`split`).
   */
  #claimType(family: Current): void {
    const { declared, type } = family;
    const claimed = this.#claimed;
    let name = familyName(declared, type);
    if (name === null) throw new GiveUp("a counter without `_total`");
    if (type === "counter" && claimed.has(name)) {
      // The parser splits only beside a family of that family name; any other holder is its to resolve.
      if (!this.#familyNames.has(name)) throw new GiveUp("a counter's name taken");
      family.split = true;
      name = declared;
    } else if (type === "counter") {
      this.#familyNames.delete(declared);
      this.#familyNames.add(name);
    }
    if (CREATED_TYPES.has(type) && claimed.has(name + "_created")) throw new GiveUp("a `_created` taken");
    const { claims, stems } = claimsOf(declared, name, family.split ? "unknown" : type);
    for (const c of claims) {
      if (c !== declared && claimed.has(c)) throw new GiveUp("metadata after samples, or a name clash");
    }
    for (const c of claims) claimed.add(c);
    for (const s of stems) this.#stems.add(s);
  }
}
