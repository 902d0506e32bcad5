/**
 * One valid document from several sources: the families of each target (or `/probe` module) and the
 * exporter's own. Every answer builder (`/metrics`, `/probe`, `once`) goes through here, so the merge policy
 * is written once (docs/CONFIG.md, "One document from many sources"):
 *
 * - Families of one name and type are **merged** into one family: one HELP and TYPE, samples contiguous.
 * - A **series** sent by two sources is resolved by the later source's `on_duplicate`: `error` rejects that
 *   source whole (its scrape fails with reason `duplicate`), `first` keeps the earlier series, `last` the
 *   later one, `sum` adds the values.
 * - Two families whose **names clash** (one name with two types, or a name another family writes as a
 *   sample: counter `x` writes `x_total`) are resolved the same way per family; `sum` keeps the first.
 * - The exporter's **own** families always win: an upstream series or family that clashes with them is
 *   dropped (relay a Go service without labels, and its `process_cpu_seconds_total` meets ours).
 *   `--web.disable-exporter-metrics` leaves ours out.
 *
 * Every resolved clash is returned as a {@linkcode Conflict}, for the caller to log and count. A gauge
 * `x_created` beside a counter, histogram or summary `x` is no clash: the OpenMetrics writer folds it in.
 *
 * @module
 */

import type { DuplicatePolicy } from "../config/types.ts";
import { type MetricFamily, type Sample, seriesKey } from "../model.ts";
import { describeSeries } from "../transform/mod.ts";
import { runSteps, STEP_VALUES } from "../pace.ts";
import { createdCompanion, SUFFIXES, typeSuffixOf } from "./names.ts";

/** The families one source sent, and how its series that repeat an earlier source's are resolved. */
export interface DocumentPart {
  /** The source's name: a target, or a `/probe` module. */
  source: string;
  /** Its families, transformed. */
  families: readonly MetricFamily[];
  /** The source's `on_duplicate`. */
  onDuplicate: DuplicatePolicy;
}

/** One resolved clash. */
export interface Conflict {
  /** The source whose series or family was dropped, replaced or summed. */
  source: string;
  /** `duplicate`: the same series twice; `type`: one name with two types, or a name clash. */
  kind: "duplicate" | "type";
  /** The family name, for the log line. */
  family: string;
  /** How many series it concerned. */
  series: number;
  /** What happened, for the log line. */
  message: string;
}

interface Entry {
  family: MetricFamily;
  /** The source of each sample, once the family holds samples of more than one source. */
  owners?: string[];
  /** The source of every sample while `owners` is unset. */
  source: string;
  /** Series key to sample index, built on the first merge. */
  keys?: Map<string, number>;
  /** An exporter family: it wins every clash. */
  own: boolean;
  removed: boolean;
}

/** Builds one document; add the upstream parts in order, then the exporter's own families. */
export class DocumentBuilder {
  readonly #entries: Entry[] = [];
  readonly #byName = new Map<string, Entry>();
  /** Entries by the stem of a name that ends in a type suffix (`x` for a gauge `x_total`). */
  readonly #byStem = new Map<string, { entry: Entry; suffix: string }[]>();
  /** Every clash resolved so far. */
  readonly conflicts: Conflict[] = [];

  /**
   * Adds one source's families. Returns `null`, or, when the source's policy is `error` and one of its
   * series or families clashes with an earlier source's, the reason, and adds nothing of it.
   */
  add(part: DocumentPart): string | null {
    return runSteps(this.addSteps(part));
  }

  /** {@linkcode DocumentBuilder.add} as steps, for a paced caller (src/pace.ts). */
  *addSteps(part: DocumentPart): Generator<void, string | null> {
    const plans: Plan[] = [];
    const { families } = part;
    for (let i = 0; i < families.length; i++) {
      if (i % STEP_VALUES === STEP_VALUES - 1) yield;
      const plan = this.#plan(families[i], part.source);
      if (plan.reason !== undefined && part.onDuplicate === "error") return plan.reason;
      plans.push(plan);
    }
    for (let i = 0; i < plans.length; i++) {
      if (i % STEP_VALUES === STEP_VALUES - 1) yield;
      this.#apply(plans[i], families[i], part);
    }
    return null;
  }

  /** Adds the exporter's own families: a clashing upstream series or family is dropped. */
  addOwn(families: readonly MetricFamily[]): void {
    for (const family of families) {
      const plan = this.#plan(family, "");
      if (plan.kind === "type") {
        for (const e of plan.with) this.#remove(e, `the exporter's own ${family.type} "${family.name}"`);
        this.#register(family, "", true);
      } else if (plan.kind === "merge") {
        this.#mergeOwn(plan.into, family);
      } else {
        this.#register(family, "", true);
      }
    }
  }

  /** The document's families, in the order they first appeared. */
  families(): MetricFamily[] {
    const out: MetricFamily[] = [];
    for (const e of this.#entries) if (!e.removed) out.push(e.family);
    return out;
  }

  #plan(family: MetricFamily, source: string): Plan {
    const same = this.#byName.get(family.name);
    if (same !== undefined) {
      if (same.family.type !== family.type) {
        return {
          kind: "type",
          with: [same],
          reason: `Family "${family.name}" is a ${same.family.type} ${from(same)} and a ${family.type} ${
            from({ source })
          }`,
        };
      }
      const dups = this.#duplicates(same, family);
      if (dups.length === 0) return { kind: "merge", into: same, dups };
      const s = family.samples[dups[0][0]];
      return {
        kind: "merge",
        into: same,
        dups,
        reason: `Duplicate series "${describeSeries(s)}" ${from(same)} and ${from({ source })}`,
      };
    }
    const clashes: Entry[] = [];
    // This family's name is a sample name of another (a gauge `x_total` beside a counter `x`)...
    const suffix = typeSuffixOf(family.name);
    if (suffix !== "") {
      const stem = this.#byName.get(family.name.slice(0, -suffix.length));
      if (
        stem !== undefined && SUFFIXES[stem.family.type].includes(suffix) &&
        !createdCompanion(stem.family.type, family, suffix)
      ) clashes.push(stem);
    }
    // ...or another's name is a sample name of this one.
    const stems = this.#byStem.size === 0 ? undefined : this.#byStem.get(family.name);
    for (const { entry, suffix } of stems ?? []) {
      if (
        !entry.removed && SUFFIXES[family.type].includes(suffix) &&
        !createdCompanion(family.type, entry.family, suffix)
      ) clashes.push(entry);
    }
    if (clashes.length === 0) return NEW;
    const c = clashes[0].family;
    return {
      kind: "type",
      with: clashes,
      reason: `Family "${family.name}" (${family.type}) ${
        from({ source })
      } clashes with ${c.type} "${c.name}" ${from(clashes[0])}`,
    };
  }

  /** Pairs `[index in family, index in entry]` of the family's series the entry already has. */
  #duplicates(entry: Entry, family: MetricFamily): [number, number][] {
    const keys = entry.keys ??= keyIndex(entry.family.samples);
    const dups: [number, number][] = [];
    family.samples.forEach((s, i) => {
      const at = keys.get(seriesKey(s));
      if (at !== undefined) dups.push([i, at]);
    });
    return dups;
  }

  #apply(planned: Plan, family: MetricFamily, part: DocumentPart): void {
    let plan = planned;
    const policy = part.onDuplicate;
    if (plan.kind === "new") {
      // Families of one part were planned against the earlier parts only: a name clash within the part
      // (a rule's counter `x` beside an upstream gauge `x_total`) shows only now. It keeps the first.
      const within =
        typeSuffixOf(family.name) !== "" || (this.#byStem.size > 0 && this.#byStem.has(family.name))
          ? this.#plan(family, part.source)
          : plan;
      if (within.kind === "new") {
        this.#register(family, part.source, false);
        return;
      }
      plan = within;
    }
    if (plan.kind === "type") {
      if (policy === "last" && plan.with.every((e) => !e.own)) {
        for (const e of plan.with) this.#remove(e, `a later ${family.type} "${family.name}"`);
        this.#register(family, part.source, false);
        return;
      }
      this.conflicts.push({
        source: part.source,
        kind: "type",
        family: family.name,
        series: family.samples.length,
        message: `${plan.reason}: kept the first`,
      });
      return;
    }
    this.#merge(plan.into, family, part.source, plan.dups, policy);
  }

  #merge(
    entry: Entry,
    family: MetricFamily,
    source: string,
    dups: readonly [number, number][],
    policy: DuplicatePolicy,
  ): void {
    const target = this.#writable(entry);
    const owners = entry.owners ??= new Array(target.samples.length).fill(entry.source);
    const keys = entry.keys ??= keyIndex(target.samples);
    const skip = new Set<number>();
    let dropped = 0;
    for (const [i, at] of dups) {
      skip.add(i);
      if (entry.own) {
        dropped++;
        continue;
      }
      const s = family.samples[i];
      if (policy === "last") target.samples[at] = s;
      else if (policy === "sum") {
        target.samples[at] = { ...target.samples[at], value: target.samples[at].value + s.value };
      }
      if (policy === "last") owners[at] = source;
      dropped++;
    }
    if (dropped > 0) {
      const s = family.samples[dups[0][0]];
      this.conflicts.push({
        source,
        kind: "duplicate",
        family: family.name,
        series: dropped,
        message: `Duplicate series "${describeSeries(s)}" ${from(entry)} and ${from({ source })}: ${
          entry.own ? "kept the exporter's" : policy === "sum" ? "summed" : `kept the ${policy}`
        }`,
      });
    }
    family.samples.forEach((s, i) => {
      if (skip.has(i)) return;
      keys.set(seriesKey(s), target.samples.length);
      target.samples.push(s);
      owners.push(source);
    });
  }

  /** Own samples into an upstream family of the same name and type: an upstream series equal to ours goes. */
  #mergeOwn(entry: Entry, own: MetricFamily): void {
    const target = this.#writable(entry);
    const owners = entry.owners ??= new Array(target.samples.length).fill(entry.source);
    const ownKeys = new Set(own.samples.map(seriesKey));
    const kept: Sample[] = [];
    const keptOwners: string[] = [];
    const lost = new Map<string, { series: number; sample: Sample }>();
    target.samples.forEach((s, i) => {
      if (!ownKeys.has(seriesKey(s))) {
        kept.push(s);
        keptOwners.push(owners[i]);
        return;
      }
      const l = lost.get(owners[i]) ?? { series: 0, sample: s };
      l.series++;
      lost.set(owners[i], l);
    });
    for (const [source, l] of lost) {
      this.conflicts.push({
        source,
        kind: "duplicate",
        family: own.name,
        series: l.series,
        message: `Duplicate series "${
          describeSeries(l.sample)
        }" from target "${source}" and the exporter's own: kept the exporter's`,
      });
    }
    target.samples = [...kept, ...own.samples];
    entry.owners = [...keptOwners, ...own.samples.map(() => "")];
    entry.keys = undefined;
  }

  #register(family: MetricFamily, source: string, own: boolean): void {
    const entry: Entry = { family, source, own, removed: false };
    this.#entries.push(entry);
    this.#byName.set(family.name, entry);
    const suffix = typeSuffixOf(family.name);
    if (suffix !== "") {
      const stem = family.name.slice(0, -suffix.length);
      const list = this.#byStem.get(stem);
      if (list === undefined) this.#byStem.set(stem, [{ entry, suffix }]);
      else list.push({ entry, suffix });
    }
  }

  #remove(entry: Entry, by: string): void {
    entry.removed = true;
    if (this.#byName.get(entry.family.name) === entry) this.#byName.delete(entry.family.name);
    const bySource = new Map<string, number>();
    for (const o of entry.owners ?? entry.family.samples.map(() => entry.source)) {
      bySource.set(o, (bySource.get(o) ?? 0) + 1);
    }
    for (const [source, series] of bySource) {
      this.conflicts.push({
        source,
        kind: "type",
        family: entry.family.name,
        series,
        message: `Family "${entry.family.name}" (${entry.family.type}) ${
          from({ source })
        } dropped: it clashes with ${by}`,
      });
    }
  }

  /** The entry's family, copied before its first change: families belong to their scrape result. */
  #writable(entry: Entry): MetricFamily {
    if (entry.owners === undefined) entry.family = { ...entry.family, samples: entry.family.samples.slice() };
    return entry.family;
  }
}

type Plan =
  | { kind: "new"; reason?: undefined }
  | { kind: "merge"; into: Entry; dups: [number, number][]; reason?: string }
  | { kind: "type"; with: Entry[]; reason: string };

/** The plan of a family that meets no other: one object for all. */
const NEW: Plan = { kind: "new" };

function keyIndex(samples: readonly Sample[]): Map<string, number> {
  const keys = new Map<string, number>();
  samples.forEach((s, i) => keys.set(seriesKey(s), i));
  return keys;
}

function from(e: { source: string; own?: boolean }): string {
  return e.own || e.source === "" ? "from the exporter itself" : `from target "${e.source}"`;
}
