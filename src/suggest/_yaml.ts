/**
 * The suggested config as YAML text: entries (a JSON entry or a rule) with a one-line `# why` comment above
 * each, written by hand rather than through a YAML library so every comment sits where it belongs and the
 * output is the same byte for byte on every run.
 *
 * @module
 */

/** A value of an entry's key. */
export type YamlValue =
  | string
  | number
  | readonly string[]
  | Readonly<Record<string, string | number>>
  | readonly Entry[];

/** A commented entry: its keys in order. */
export interface Entry {
  /** Why it is suggested, one line. */
  comment: string;
  /** The keys and values, written in this order. */
  fields: ReadonlyArray<readonly [string, YamlValue]>;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

/** A scalar as YAML: plain when it is a simple word, else double-quoted (JSON quoting is valid YAML). */
export function scalar(v: string | number): string {
  if (typeof v === "number") return String(v);
  return PLAIN.test(v) && !RESERVED.test(v) ? v : JSON.stringify(v);
}

function flowMap(m: Readonly<Record<string, string | number>>): string {
  const keys = Object.keys(m);
  if (keys.length === 0) return "{}";
  return `{ ${keys.map((k) => `${scalar(k)}: ${scalar(m[k])}`).join(", ")} }`;
}

function isEntries(v: YamlValue): v is readonly Entry[] {
  return Array.isArray(v) && v.length > 0 && typeof v[0] === "object";
}

/** The lines of a list of entries at `indent` spaces. */
export function entryLines(entries: readonly Entry[], indent: number): string[] {
  const pad = " ".repeat(indent);
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`${pad}# ${e.comment}`);
    e.fields.forEach(([key, value], i) => {
      const lead = i === 0 ? `${pad}- ` : `${pad}  `;
      if (isEntries(value)) {
        lines.push(`${lead}${key}:`, ...entryLines(value, indent + 4));
      } else if (Array.isArray(value)) {
        lines.push(`${lead}${key}: [${value.map((v) => scalar(v as string)).join(", ")}]`);
      } else if (typeof value === "object") {
        lines.push(`${lead}${key}: ${flowMap(value as Record<string, string | number>)}`);
      } else {
        lines.push(`${lead}${key}: ${scalar(value as string | number)}`);
      }
    });
  }
  return lines;
}

/** What the document says about its one target. */
export interface TargetText {
  /** Header comment lines (without `# `). */
  header: string[];
  /** The target's name. */
  name: string;
  /** Its URL. */
  url: string;
  /** A comment above the URL, if any. */
  urlComment?: string;
  /** Static labels. */
  labels: Record<string, string>;
  /** JSON entries (none for a text upstream). */
  json: Entry[];
  /** Rules. */
  rules: Entry[];
}

/** The whole document. */
export function renderConfig(t: TargetText): string {
  const lines = t.header.map((h) => `# ${h}`.trimEnd());
  lines.push("targets:", `  - name: ${scalar(t.name)}`);
  if (t.urlComment !== undefined) lines.push(`    # ${t.urlComment}`);
  lines.push(`    url: ${scalar(t.url)}`);
  if (Object.keys(t.labels).length > 0) lines.push(`    labels: ${flowMap(t.labels)}`);
  if (t.json.length > 0) lines.push("    json:", ...entryLines(t.json, 6));
  if (t.rules.length > 0) lines.push("    rules:", ...entryLines(t.rules, 6));
  return lines.join("\n") + "\n";
}
