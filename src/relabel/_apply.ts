/**
 * Running compiled relabel rules on one series: the per-sample work state (copy-on-write over the input's
 * flat label array, reused across samples so the hot path allocates nothing) and each action's semantics,
 * following Prometheus's model/relabel/relabel.go. {@linkcode CompiledRelabel} in mod.ts drives these per
 * sample; they are apart from it so the public entry holds the API and this file the hot path.
 *
 * @module
 */

import { LABEL_NAME_REGEXP } from "../model.ts";
import { Act, type CompiledRule } from "./_config.ts";
import { expandTemplate, goToLower, goToUpper, hashMod } from "./_text.ts";

/** The label that holds the metric name in relabel rules. */
export const NAME = "__name__";
/** The empty label array the work state holds between samples (so it keeps no caller's array alive). */
export const NO_LABELS: string[] = [];

/** Per-sample scratch state, kept on the compiled rules and reused so the hot path allocates nothing. */
export class Work {
  /** The series name (`__name__`) as the rules have left it so far. */
  name = "";
  /** The flat label pairs as the rules have left them so far: the input's array until one is changed. */
  labels: string[] = NO_LABELS;
  /** Whether `labels` is our copy (copy-on-write: the input array is never modified). */
  owned = false;
  /** Set when `labelmap` wrote a label name that is not valid; checked once at the end. */
  badNames = false;
  /** Whether to record `touched` (only when a `labelmap` rule needs Prometheus's iteration order). */
  readonly track: boolean;
  /** Labels set by earlier rules, in first-set order: Prometheus's labels.Builder "add" list. */
  readonly touched: string[] = [];
  /** `labelmap` writes collected before applying: target, value, source name, repeated. */
  readonly pending: string[] = [];
  /** A two-group "match" for the default regex `(.*)`, so it needs no `exec`. */
  readonly whole: [string, string] = ["", ""];

  /** Makes the state; `track` says whether to keep the `touched` list. */
  constructor(track: boolean) {
    this.track = track;
  }

  /** A label's value (`__name__` for the name); `""` when absent, as in Prometheus. */
  get(n: string): string {
    if (n === NAME) return this.name;
    const ls = this.labels;
    for (let i = 0; i < ls.length; i += 2) if (ls[i] === n) return ls[i + 1];
    return "";
  }

  /** Sets a label (copying the array first); an empty value removes it, as in Prometheus. */
  set(n: string, v: string): void {
    if (v === "") {
      this.del(n);
      return;
    }
    if (this.track && !this.touched.includes(n)) this.touched.push(n);
    if (n === NAME) {
      this.name = v;
      return;
    }
    const ls = this.labels;
    for (let i = 0; i < ls.length; i += 2) {
      if (ls[i] === n) {
        if (ls[i + 1] !== v) {
          this.#own();
          this.labels[i + 1] = v;
        }
        return;
      }
    }
    this.#own();
    this.labels.push(n, v);
  }

  /** Removes a label (`__name__` empties the name). */
  del(n: string): void {
    if (this.track) this.#untouch(n);
    if (n === NAME) {
      this.name = "";
      return;
    }
    const ls = this.labels;
    for (let i = 0; i < ls.length; i += 2) {
      if (ls[i] === n) {
        this.#own();
        this.labels.splice(i, 2);
        return;
      }
    }
  }

  /** Removes the labels whose name matches (`keep` false) or does not match (`keep` true) the regex. */
  filter(re: RegExp, keep: boolean): void {
    const ls = this.labels;
    let i = 0;
    while (i < ls.length && re.test(ls[i]) === keep) i += 2;
    if (i >= ls.length) return;
    this.#own();
    const out = this.labels;
    let w = i;
    for (let r = i; r < out.length; r += 2) {
      if (re.test(out[r]) !== keep) {
        if (this.track) this.#untouch(out[r]);
        continue;
      }
      out[w] = out[r];
      out[w + 1] = out[r + 1];
      w += 2;
    }
    out.length = w;
  }

  #untouch(n: string): void {
    const t = this.touched.indexOf(n);
    if (t >= 0) this.touched.splice(t, 1);
  }

  #own(): void {
    if (!this.owned) {
      this.labels = this.labels.slice();
      this.owned = true;
    }
  }
}

/** Whether every label name in a flat label array is valid (checked once, after a `labelmap` wrote one). */
export function labelNamesValid(labels: readonly string[]): boolean {
  for (let i = 0; i < labels.length; i += 2) if (!LABEL_NAME_REGEXP.test(labels[i])) return false;
  return true;
}

/** The first invalid label name in a flat label array, or `""`; for the trace's reason. */
export function invalidLabelName(labels: readonly string[]): string {
  for (let i = 0; i < labels.length; i += 2) if (!LABEL_NAME_REGEXP.test(labels[i])) return labels[i];
  return "";
}

/** Runs one rule; false means the sample is dropped. */
export function applyRule(r: CompiledRule, w: Work): boolean {
  const src = r.sources;
  let val = src.length === 0 ? "" : w.get(src[0]);
  for (let j = 1; j < src.length; j++) val += r.separator + w.get(src[j]);
  switch (r.act) {
    case Act.Drop:
      return !r.regexp.test(val);
    case Act.Keep:
      return r.regexp.test(val);
    case Act.DropEqual:
      return w.get(r.target) !== val;
    case Act.KeepEqual:
      return w.get(r.target) === val;
    case Act.Replace: {
      let m: ArrayLike<string | undefined> | null;
      if (r.identity) {
        if (val.includes("\n")) return true; // Go's . does not match \n, so (.*) does not match
        w.whole[0] = val;
        w.whole[1] = val;
        m = w.whole;
      } else {
        m = r.regexp.exec(val);
        if (m === null) return true;
      }
      let target = r.target;
      if (r.targetTemplate !== null) {
        target = expandTemplate(r.targetTemplate, m);
        if (!LABEL_NAME_REGEXP.test(target)) return true;
      }
      w.set(target, expandTemplate(r.replacement, m));
      return true;
    }
    case Act.Lowercase:
      w.set(r.target, goToLower(val));
      return true;
    case Act.Uppercase:
      w.set(r.target, goToUpper(val));
      return true;
    case Act.HashMod:
      if (r.memoIn !== val) {
        r.memoOut = hashMod(val, r.modulus);
        r.memoIn = val;
      }
      w.set(r.target, r.memoOut);
      return true;
    case Act.LabelMap:
      labelMap(r, w);
      return true;
    case Act.LabelDrop:
      if (r.matchesName && w.name !== "") w.del(NAME);
      w.filter(r.regexp, false);
      return true;
    case Act.LabelKeep:
      if (!r.matchesName && w.name !== "") w.del(NAME);
      w.filter(r.regexp, true);
      return true;
  }
  return true;
}

/**
 * `labelmap`: every label whose name matches is copied to the expanded replacement name. Reads see the
 * labels as they were before the rule (Prometheus iterates a snapshot). When two labels map to the same
 * name, the last one in Prometheus's iteration order wins: labels untouched by earlier rules in name
 * order, then labels set by earlier rules in the order they were set.
 */
function labelMap(r: CompiledRule, w: Work): void {
  const pending = w.pending;
  pending.length = 0;
  if (r.matchesName && w.name !== "") pending.push(mapName(r, NAME, r.regexp.exec(NAME)!), w.name, NAME);
  const ls = w.labels;
  for (let i = 0; i < ls.length; i += 2) {
    const m = r.regexp.exec(ls[i]);
    if (m !== null) pending.push(mapName(r, ls[i], m), ls[i + 1], ls[i]);
  }
  const n = pending.length;
  if (n === 0) return;
  if (n > 3 && hasDuplicateTarget(pending)) {
    const order: number[] = [];
    for (let i = 0; i < n; i += 3) order.push(i);
    order.sort((a, b) => {
      const ta = w.touched.indexOf(pending[a + 2]);
      const tb = w.touched.indexOf(pending[b + 2]);
      if (ta !== tb) return ta - tb; // untouched (-1) first, then in set order
      return pending[a + 2] < pending[b + 2] ? -1 : pending[a + 2] > pending[b + 2] ? 1 : 0;
    });
    const sorted = order.flatMap((i) => [pending[i], pending[i + 1]]);
    for (let i = 0; i < sorted.length; i += 2) setMapped(w, sorted[i], sorted[i + 1]);
    return;
  }
  for (let i = 0; i < n; i += 3) setMapped(w, pending[i], pending[i + 1]);
}

function setMapped(w: Work, name: string, value: string): void {
  // Prometheus writes any name here; an invalid one fails the scrape there and drops the sample here.
  if (name !== NAME && !LABEL_NAME_REGEXP.test(name)) w.badNames = true;
  w.set(name, value);
}

function hasDuplicateTarget(pending: readonly string[]): boolean {
  for (let i = 0; i < pending.length; i += 3) {
    for (let j = i + 3; j < pending.length; j += 3) if (pending[i] === pending[j]) return true;
  }
  return false;
}

/**
 * Go's `ReplaceAllString(name, replacement)` for a name the regex matched (`m` is its first match). With
 * the usual anchored regex the match is the whole name; a regex such as `a)|(b` (which the `^(?:…)$`
 * wrapping leaves unanchored) can match parts, so that case follows Go's loop: unmatched text kept, each
 * match replaced, an empty match right after a previous match skipped.
 */
function mapName(r: CompiledRule, name: string, m: RegExpExecArray): string {
  if (m.index === 0 && m[0].length === name.length) return expandTemplate(r.replacement, m);
  const re = r.regexpAll;
  let out = "";
  let lastEnd = 0;
  let pos = 0;
  while (pos <= name.length) {
    re.lastIndex = pos;
    const a = re.exec(name);
    if (a === null) break;
    const start = a.index;
    const end = start + a[0].length;
    out += name.slice(lastEnd, start);
    if (end > lastEnd || start === 0) out += expandTemplate(r.replacement, a);
    lastEnd = end;
    const width = pos < name.length ? (name.codePointAt(pos)! > 0xffff ? 2 : 1) : 1;
    pos = pos + width > end ? pos + width : end;
  }
  return out + name.slice(lastEnd);
}
