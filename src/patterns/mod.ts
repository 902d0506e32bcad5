/**
 * The small rule languages of the `rules` list, in one place so the config loader can validate them and the
 * transform can run them with the same code: name patterns for `include` and `exclude` (exact, glob or
 * `/regex/`), the anchored regex and `$1`/`${name}` templates of `match` rules, and the rule-space names
 * (`_total` for counters, `_info` for infos) that rules see. Everything compiles once at config load.
 *
 * A language layer: it imports only base modules, never config or transform, so both can import it.
 *
 * @example
 * ```ts
 * import { compileMatchRegex, compileMatchTemplate, expandMatchTemplate, regexGroups } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const re = compileMatchRegex("(?<kind>[a-z]+)_seconds");
 * const name = compileMatchTemplate("${kind}_duration_seconds", regexGroups(re));
 * assert.equal(expandMatchTemplate(name, re.exec("gc_seconds")!), "gc_duration_seconds");
 * ```
 *
 * @module
 */

export { compileNameMatcher, type NameMatcher, patternSource } from "./_match.ts";
export {
  compileMatchRegex,
  compileMatchTemplate,
  expandMatchTemplate,
  isLiteralTemplate,
  type MatchTemplate,
  type RegexGroups,
  regexGroups,
  sampleTemplate,
} from "./_template.ts";
export { familyNameOf, ruleName } from "./_family.ts";
