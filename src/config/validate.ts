/**
 * The checks the zod schema cannot express: regexes, JSONPaths and templates compile, names are valid
 * metric and label names, a rule or JSON entry has exactly one kind, target names are unique, and the
 * relabel configs pass the relabel engine's own validation. Each check looks only at values of the right
 * type, so a value that is also a schema problem is reported once.
 *
 * @module
 */

import { MAX_BODY_BYTES } from "../cli/mod.ts";
import { MAX_DURATION_MS, parseDurationMs } from "../duration.ts";
import { redactUrl } from "../url.ts";
import {
  compileMatchRegex,
  compileMatchTemplate,
  familyNameOf,
  isLiteralTemplate,
  type RegexGroups,
  regexGroups,
  sampleTemplate,
} from "../patterns/mod.ts";
import { validateRelabelConfigs } from "../relabel/mod.ts";
import { type KeyPath, parseKeyPath, type Problem, unknownKeyMessage } from "./positions.ts";
import { MATCH_RULE_KEYS, relabelSchema } from "./schema.ts";
import {
  checkLabelNames,
  checkPatterns,
  isObj,
  labelNameProblem,
  metricNameProblem,
  NAME_REGEXP,
  type Obj,
  regexReason,
} from "./_checks.ts";
import { checkJsonEntry } from "./_validate_json.ts";

const URL_SCHEMES = ["http:", "https:", "file:"];
const RULE_KINDS = ["include", "exclude", "rename", "match"] as const;
/** The keys only a match rule takes: the schema's `matchRuleShape`. */
const MATCH_OPTIONS = MATCH_RULE_KEYS;
const RELABEL_KEYS = Object.keys(relabelSchema.shape);

/**
 * Finds every problem the schema does not: `input` is the whole file as parsed from YAML.
 *
 * @returns The problems, in file order of the checks (the caller sorts by line).
 */
export function validateConfig(input: unknown): Problem[] {
  const problems: Problem[] = [];
  if (!isObj(input)) return problems;
  // A module is checked like a target: rules, relabel configs, JSON paths and labels.
  if (isObj(input.modules)) {
    for (const [name, m] of Object.entries(input.modules)) {
      if (isObj(m)) checkTarget(m, ["modules", name], problems);
    }
  }
  if (!Array.isArray(input.targets)) return problems;
  const names = new Map<string, number>();
  input.targets.forEach((t, i) => {
    if (!isObj(t)) return;
    const at: KeyPath = ["targets", i];
    if (typeof t.name === "string") {
      if (t.name === "") problems.push({ path: [...at, "name"], message: "must not be empty" });
      const prior = names.get(t.name);
      if (prior !== undefined) {
        problems.push({
          path: [...at, "name"],
          message: `duplicate target name "${t.name}" (also targets[${prior}])`,
        });
      } else {
        names.set(t.name, i);
      }
    }
    checkTarget(t, at, problems);
  });
  return problems;
}

function checkTarget(t: Obj, at: KeyPath, problems: Problem[]): void {
  const add = (path: KeyPath, message: string) => problems.push({ path: [...at, ...path], message });
  if (typeof t.url === "string") {
    const problem = urlProblem(t.url);
    if (problem !== null) add(["url"], problem);
  }
  if (isObj(t.labels)) checkLabelNames(t.labels, [...at, "labels"], problems);
  if (typeof t.namespace === "string" && t.namespace !== "" && !NAME_REGEXP.test(t.namespace)) {
    add(["namespace"], `invalid namespace "${t.namespace}": must match [a-zA-Z_][a-zA-Z0-9_]*`);
  }
  if (typeof t.timeout === "string") {
    const ms = parseDurationMs(t.timeout);
    if (ms === undefined) {
      add(["timeout"], `invalid duration "${t.timeout}": write a number and a unit, such as 10s or 500ms`);
    } else if (!(ms > 0)) add(["timeout"], `must be more than 0: got "${t.timeout}"`);
    else if (ms > MAX_DURATION_MS) add(["timeout"], `must be at most 24d: got "${t.timeout}"`);
  }
  if (typeof t.max_body_bytes === "number" && !(t.max_body_bytes > 0)) {
    add(["max_body_bytes"], `must be more than 0: got ${t.max_body_bytes}`);
  } else if (typeof t.max_body_bytes === "number" && t.max_body_bytes > MAX_BODY_BYTES) {
    add(["max_body_bytes"], `must be at most ${MAX_BODY_BYTES} (1 GiB): got ${t.max_body_bytes}`);
  }
  if (Array.isArray(t.rules)) {
    t.rules.forEach((r, j) => isObj(r) && checkRule(r, [...at, "rules", j], problems));
  }
  if (Array.isArray(t.metric_relabel_configs)) {
    for (const p of validateRelabelConfigs(t.metric_relabel_configs)) {
      const path = [...at, "metric_relabel_configs", ...parseKeyPath(p.path)];
      // The relabel engine says only `unknown key "x"`; say it as every other level does, with a guess.
      const unknown = /^unknown key "(.*)"$/.exec(p.message);
      problems.push(
        unknown === null
          ? { path, message: p.message }
          : { path, message: unknownKeyMessage(unknown[1], RELABEL_KEYS), atKey: true },
      );
    }
  }
  if (Array.isArray(t.json)) {
    if (t.format === "prometheus" || t.format === "openmetrics") {
      add(["json"], `a JSON mapping needs format json or auto: format is "${t.format}"`);
    }
    t.json.forEach((e, j) => isObj(e) && checkJsonEntry(e, [...at, "json", j], problems));
  }
}

function urlProblem(url: string): string | null {
  let parsed: URL;
  try {
    // A relative file URL (file://./x.json) is resolved later; any base makes it parse.
    parsed = new URL(
      url.startsWith("file://") && !url.startsWith("file:///") ? "file:///" + url.slice(7) : url,
    );
  } catch {
    return `invalid URL "${redactUrl(url)}"`;
  }
  if (!URL_SCHEMES.includes(parsed.protocol)) {
    return `unsupported URL scheme "${parsed.protocol}": use http://, https:// or file://`;
  }
  return null;
}

function checkRule(r: Obj, at: KeyPath, problems: Problem[]): void {
  const add = (path: KeyPath, message: string) => problems.push({ path: [...at, ...path], message });
  const kinds = RULE_KINDS.filter((k) => r[k] !== undefined);
  if (kinds.length === 0) {
    add([], `a rule needs one of ${RULE_KINDS.join(", ")}`);
    return;
  }
  if (kinds.length > 1) {
    add([kinds[1]], `a rule takes only one of ${RULE_KINDS.join(", ")}: found ${kinds.join(", ")}`);
    return;
  }
  const kind = kinds[0];
  if (kind !== "match") {
    for (const o of MATCH_OPTIONS) if (r[o] !== undefined) add([o], `only a match rule takes "${o}"`);
  }
  if (kind === "include" || kind === "exclude") checkPatterns(r[kind], [...at, kind], problems);
  if (kind === "rename" && isObj(r.rename)) {
    for (const [from, to] of Object.entries(r.rename)) {
      if (typeof to !== "string") continue;
      const problem = metricNameProblem(to);
      if (problem !== null) add(["rename", from], problem);
    }
  }
  if (kind === "match" && typeof r.match === "string") checkMatch(r, at, problems);
}

function checkMatch(r: Obj, at: KeyPath, problems: Problem[]): void {
  const add = (path: KeyPath, message: string) => problems.push({ path: [...at, ...path], message });
  const source = r.match as string;
  let groups: RegexGroups;
  try {
    groups = regexGroups(compileMatchRegex(source));
  } catch (e) {
    const hint = source.includes("(?P<") ? " (write named groups as (?<name>...))" : "";
    add(["match"], `invalid regular expression "${source}": ${regexReason(e)}${hint}`);
    return;
  }
  for (const g of groups.names) {
    const problem = labelNameProblem(g);
    if (problem !== null) add(["match"], `group (?<${g}>...) becomes a label: ${problem}`);
  }
  let literalName: string | undefined;
  if (typeof r.name === "string") {
    try {
      const t = compileMatchTemplate(r.name, groups);
      const problem = metricNameProblem(sampleTemplate(t, "x"));
      if (problem !== null) add(["name"], problem);
      else if (isLiteralTemplate(t)) literalName = r.name;
    } catch (e) {
      add(["name"], (e as Error).message);
    }
  }
  if (isObj(r.labels)) {
    checkLabelNames(r.labels, [...at, "labels"], problems);
    for (const [k, v] of Object.entries(r.labels)) {
      if (typeof v !== "string") continue;
      try {
        compileMatchTemplate(v, groups);
      } catch (e) {
        add(["labels", k], (e as Error).message);
      }
    }
  }
  if (typeof r.unit === "string") {
    if (!/^[a-zA-Z0-9_]+$/.test(r.unit)) {
      add(["unit"], `invalid unit "${r.unit}": must match [a-zA-Z0-9_]+`);
    } else if (literalName !== undefined) {
      const family = familyNameOf(literalName, r.type === "counter" ? "counter" : "gauge");
      if (family !== r.unit && !family.endsWith("_" + r.unit)) {
        add(["unit"], `the name "${literalName}" must end with "_${r.unit}" (the unit)`);
      }
    }
  }
  if (typeof r.scale === "number" && (!Number.isFinite(r.scale) || r.scale === 0)) {
    add(["scale"], `must be a finite number other than 0: got ${r.scale}`);
  }
}
