/**
 * The regex and templates of `match` rules. The regex is anchored at both ends (like every Prometheus
 * regex) and uses JavaScript syntax in Unicode mode. Templates (`name` and label values): `$1` or `${1}`
 * inserts a numbered capture group, `${code}` a named one, `$$` a literal `$`. Unlike Go's `$name` (the
 * relabel engine's `compileExpandTemplate`), a bare `$` is followed only by digits, so `$1_total` means
 * group 1 then `_total`. Compiled once at load into parts; expanding is one concatenation.
 *
 * @module
 */

/** A compiled `match` template: literal strings and group references (a number, or a group name). */
export type MatchTemplate = readonly (string | { group: number | string })[];

/** What a regex offers to templates. */
export interface RegexGroups {
  /** Number of capture groups. */
  count: number;
  /** Names of the named groups, in order. */
  names: string[];
}

/** Compiles the regex of a `match` rule: anchored at both ends, Unicode mode. @throws {SyntaxError} */
export function compileMatchRegex(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, "u");
}

/** Counts a regex's capture groups and lists its named groups (the `|` makes the regex match ""). */
export function regexGroups(re: RegExp): RegexGroups {
  const m = new RegExp(`${re.source}|`, re.flags).exec("") as RegExpExecArray;
  return { count: m.length - 1, names: Object.keys(m.groups ?? {}) };
}

/**
 * Compiles a `match` template against the groups of its regex.
 *
 * @example
 * ```ts
 * import { compileMatchTemplate, expandMatchTemplate } from "./_template.ts";
 * import assert from "node:assert/strict";
 * const t = compileMatchTemplate("${kind}_$1_total", { count: 2, names: ["kind"] });
 * assert.equal(expandMatchTemplate(t, /(?<kind>a)(b)/u.exec("ab")!), "a_a_total");
 * ```
 *
 * @throws {SyntaxError} For a reference to a group that does not exist, or a `$` that starts no reference.
 */
export function compileMatchTemplate(text: string, groups: RegexGroups): MatchTemplate {
  const parts: (string | { group: number | string })[] = [];
  let literal = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "$") {
      literal += c;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      literal += "$";
      i++;
      continue;
    }
    let ref: string;
    const at = i;
    if (next === "{") {
      const end = text.indexOf("}", i + 2);
      if (end < 0) throw new SyntaxError(`unclosed "\${" at character ${i + 1}`);
      ref = text.slice(i + 2, end);
      i = end;
    } else {
      const m = /^[0-9]+/.exec(text.slice(i + 1));
      if (!m) {
        throw new SyntaxError(
          `"$" at character ${i + 1} starts no group reference: write $1, \${1}, \${name} or $$`,
        );
      }
      ref = m[0];
      i += m[0].length;
    }
    if (literal !== "") parts.push(literal);
    literal = "";
    parts.push({ group: checkRef(ref, text.slice(at, i + 1), groups) });
  }
  if (literal !== "") parts.push(literal);
  return parts;
}

function checkRef(ref: string, written: string, groups: RegexGroups): number | string {
  if (/^[0-9]+$/.test(ref)) {
    const n = Number(ref);
    if (n > groups.count) {
      const has = groups.count === 1 ? "1 group" : `${groups.count} groups`;
      throw new SyntaxError(`"${written}" refers to group ${n}, but the regex has ${has}`);
    }
    return n;
  }
  if (!groups.names.includes(ref)) {
    const names = groups.names.length === 0 ? "none" : groups.names.join(", ");
    throw new SyntaxError(`"${written}" refers to no named group of the regex (named groups: ${names})`);
  }
  return ref;
}

/** Expands a `match` template with a match; an unmatched group inserts `""`. */
export function expandMatchTemplate(t: MatchTemplate, m: RegExpExecArray): string {
  if (t.length === 1 && typeof t[0] === "string") return t[0];
  let out = "";
  for (let i = 0; i < t.length; i++) {
    const p = t[i];
    if (typeof p === "string") out += p;
    else out += (typeof p.group === "number" ? m[p.group] : m.groups?.[p.group]) ?? "";
  }
  return out;
}

/** Expands a template with placeholder text for every group, to check what literal parts allow. */
export function sampleTemplate(t: MatchTemplate, placeholder: string): string {
  let out = "";
  for (const p of t) out += typeof p === "string" ? p : placeholder;
  return out;
}

/** Whether a template has no group reference. */
export function isLiteralTemplate(t: MatchTemplate): boolean {
  return t.every((p) => typeof p === "string");
}
