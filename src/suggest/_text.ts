/**
 * `suggest` for a Prometheus text or OpenMetrics page: the families are kept as sent, and `match` rules apply
 * the conventions the upstream missed (snake_case, base units with `scale`, `_total` on an untyped count),
 * then fold sibling families that differ in one part into one family with that part as a label.
 *
 * @module
 */

import type { MetricFamily } from "../model.ts";
import type { Entry, YamlValue } from "./_yaml.ts";
import { findFolds, type FoldMember, joinName, nameParts, normalize } from "./_names.ts";
import { UsedNames } from "./_used.ts";

/** A family after the per-family rule: the name the fold rules see. */
interface Seen {
  /** The final parts (without `_total`). */
  parts: string[];
  /** Counter or not (rules see a counter as `name_total`). */
  counter: boolean;
  /** The label names its samples carry. */
  labels: Set<string>;
}

/**
 * The rules for a text exposition's families. A rename onto a name another family takes (`uptime_ms` beside
 * `uptime_seconds`, `requests` beside `requests_total`) gets a number before the unit (`uptime_2_seconds`),
 * and its comment says why.
 */
export function suggestText(families: readonly MetricFamily[]): Entry[] {
  const rules: Entry[] = [];
  const seen: FoldMember<Seen>[] = [];
  const used = new UsedNames();
  for (const f of families) used.add(f.name, f.type);
  for (const f of families) {
    const labels = new Set(f.samples.flatMap((s) => s.labels.filter((_, i) => i % 2 === 0)));
    const parts = nameParts(f.name);
    const simple = f.type === "counter" || f.type === "gauge" || f.type === "unknown";
    if (!simple || parts.length === 0) continue;
    const n = normalize(parts);
    const counter = f.type === "counter" || (f.type === "unknown" && n.type === "counter");
    const final = joinName(n.parts);
    const asSeen = f.type === "counter" ? `${f.name}_total` : f.name;
    const why = [...n.why];
    if (/[A-Z]/.test(f.name)) why.unshift("camelCase to snake_case");
    const fields: [string, YamlValue][] = [];
    let name = final;
    if (final !== f.name || (counter && f.type !== "counter") || n.scale !== 1) {
      const type = counter ? "counter" : f.type;
      // Renamed away, the family gives up its own name; the new one may be another family's.
      used.delete(f.name, f.type);
      name = used.unique(final, type);
      if (name !== final) why.push(`${final} is another family's name: ${name}`);
      fields.push(["match", asSeen], ["name", counter ? `${name}_total` : name]);
      if (counter && f.type !== "counter") fields.push(["type", "counter"]);
      if (n.scale !== 1) fields.push(["scale", n.scale]);
      rules.push({ comment: why.join("; ") || `${f.name}: the conventions' name`, fields });
    }
    const seenParts = name === final ? n.parts : name.replace(/^_/, "").split("_");
    seen.push({ parts: seenParts, item: { parts: seenParts, counter, labels } });
  }
  for (const counter of [false, true]) {
    const type = counter ? "counter" : "gauge";
    for (const fold of findFolds(seen.filter((s) => s.item.counter === counter), used.taken(type))) {
      if (fold.members.some((m) => m.item.labels.has(fold.label))) continue;
      if (fold.at === 0 && fold.members.some((m) => /^[0-9]/.test(m.parts[0]))) continue;
      const values = fold.members.map((m) => m.parts[fold.at]);
      const match = fold.members[0].parts.map((p, i) =>
        i === fold.at ? `(?<${fold.label}>${values.join("|")})` : p
      )
        .join("_");
      const family = joinName(fold.family);
      used.add(family, type);
      rules.push({
        comment: `${values.length} families differ only in "${
          values.join("/")
        }": one family ${family}{${fold.label}}`,
        fields: [
          ["match", counter ? `${match}_total` : match],
          ["name", counter ? `${family}_total` : family],
          ["type", counter ? "counter" : "gauge"],
        ],
      });
    }
  }
  return rules;
}
