/**
 * Name patterns for `include` and `exclude`: exact names, globs (`node_cpu_*`, `?` for one character) and
 * regular expressions written `/.../` (anchored at both ends, like every Prometheus regex). A list compiles
 * once into a set lookup plus at most one combined regular expression.
 *
 * @module
 */

/** Tests a metric name. */
export type NameMatcher = (name: string) => boolean;

const GLOB_SPECIAL_REGEXP = /[*?]/;
const REGEX_ESCAPE_REGEXP = /[.+^${}()|[\]\\]/g;

/**
 * Converts one pattern to a regular expression source, or `null` for an exact name.
 *
 * @throws {SyntaxError} When a `/.../` pattern is not a valid regular expression.
 */
export function patternSource(pattern: string): string | null {
  if (pattern.length >= 2 && pattern.startsWith("/") && pattern.endsWith("/")) {
    const source = pattern.slice(1, -1);
    new RegExp(source, "u"); // validates; throws SyntaxError naming the problem
    return `(?:${source})`;
  }
  if (!GLOB_SPECIAL_REGEXP.test(pattern)) return null;
  return pattern.replace(REGEX_ESCAPE_REGEXP, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
}

/**
 * Compiles a pattern list into one matcher.
 *
 * @example
 * ```ts
 * import { compileNameMatcher } from "./_match.ts";
 * import assert from "node:assert/strict";
 * const m = compileNameMatcher(["exclude_me", "node_cpu_*", "/go_.+_bytes/"]);
 * assert.ok(m("exclude_me") && m("node_cpu_seconds") && m("go_heap_bytes"));
 * assert.ok(!m("node_memory") && !m("xgo_heap_bytes"));
 * ```
 */
export function compileNameMatcher(patterns: readonly string[]): NameMatcher {
  const exact = new Set<string>();
  const sources: string[] = [];
  for (const p of patterns) {
    const source = patternSource(p);
    if (source === null) exact.add(p);
    else sources.push(source);
  }
  if (sources.length === 0) return (name) => exact.has(name);
  const re = new RegExp(`^(?:${sources.join("|")})$`, "u");
  return (name) => exact.has(name) || re.test(name);
}
