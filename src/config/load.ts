/**
 * Loading a config file: YAML (or JSON, which YAML reads too) to a validated {@linkcode ExporterConfig}.
 * Every problem is reported, not just the first, each as `FILE:LINE: key.path: what is wrong`.
 *
 * Flags and the file combine so (docs/CONFIG.md "Flags and the file"): `-u`, `-s` and `-e` apply to a file
 * with exactly one target (`-u` replaces its URL, `-s` sets its `service` label, `-e` adds an `exclude`
 * rule before its rules) and are an error with several targets; `--upstream.timeout` and
 * `--upstream.max-body-bytes` are defaults that a target's `timeout` and `max_body_bytes` override.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { isMap, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import type { Flags } from "../cli/mod.ts";
import { ConfigError } from "../errors.ts";
import { resolveFileUrl } from "../url.ts";
import { applySeedFlags, seedFlagsGiven } from "./from_flags.ts";
import { formatProblems, type KeyPath, type Problem, unknownKeyMessage } from "./positions.ts";
import { readConfigFile } from "./read_file.ts";
import { resolveModule, resolveTarget } from "./resolve.ts";
import { allowedKeysAt, type ConfigInput, configSchema } from "./schema.ts";
import type { ExporterConfig } from "./types.ts";
import { validateConfig } from "./validate.ts";

/**
 * Reads and validates a config file (YAML or JSON by content), then merges the seed flags.
 *
 * @param path The file, relative to `cwd` or absolute; shown as given in messages.
 * @param flags The parsed flags.
 * @param cwd The working directory.
 * @throws {ConfigError} Listing every problem as `FILE:LINE: key.path: what is wrong`.
 */
export async function loadConfigFile(path: string, flags: Flags, cwd: string): Promise<ExporterConfig> {
  const text = await readConfigFile(path, "the config file", resolve(cwd, path));
  const parsed = parseChecked(text, path, flags, cwd);
  // A file the config names (CA, client certificate, token, password) that cannot be read is a problem of
  // the line that names it, found now rather than by the first scrape.
  const problems = await unreadableFiles(parsed.data, parsed.config.baseDir);
  if (problems.length > 0) throw new ConfigError(formatProblems(problems, path, parsed.doc, parsed.lc));
  return parsed.config;
}

/** The keys of an `http:` block that name a file, as key paths inside the block. */
const HTTP_FILE_KEYS: readonly KeyPath[] = [
  ["bearer_token_file"],
  ["basic_auth", "password_file"],
  ["tls_config", "ca_file"],
  ["tls_config", "cert_file"],
  ["tls_config", "key_file"],
];

/** Every file named in a target's or module's `http:` block that cannot be opened for reading. */
async function unreadableFiles(data: unknown, baseDir: string): Promise<Problem[]> {
  const blocks: KeyPath[] = [];
  const { targets, modules } = data as { targets?: unknown; modules?: unknown };
  if (Array.isArray(targets)) targets.forEach((_, i) => blocks.push(["targets", i, "http"]));
  if (isRecord(modules)) { for (const name of Object.keys(modules)) blocks.push(["modules", name, "http"]); }
  const problems: Problem[] = [];
  for (const block of blocks) {
    for (const key of HTTP_FILE_KEYS) {
      const path = [...block, ...key];
      const named = valueAt(data, path);
      if (typeof named !== "string" || named === "") continue;
      const file = resolve(baseDir, named);
      const why = await whyUnreadable(file);
      if (why !== undefined) {
        const shown = file === named ? `"${named}"` : `"${named}" (${file})`;
        problems.push({ path, message: `cannot read ${shown}: ${why}` });
      }
    }
  }
  return problems;
}

async function whyUnreadable(file: string): Promise<string | undefined> {
  try {
    using f = await Deno.open(file, { read: true });
    if (!(await f.stat()).isFile) return "not a file";
    return undefined;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "no such file";
    if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
    if (e instanceof Deno.errors.NotCapable) return "outside the paths Deno may read (--allow-read)";
    return e instanceof Error ? e.message : String(e);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function valueAt(data: unknown, path: KeyPath): unknown {
  let node = data;
  for (const seg of path) {
    if (typeof seg === "number" ? !Array.isArray(node) : !isRecord(node)) return undefined;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return node;
}

/**
 * Validates config text and merges the seed flags; no I/O.
 *
 * @example
 * ```ts
 * import { parseConfigText } from "./load.ts";
 * import { parseCommandLine } from "../cli/mod.ts";
 * import assert from "node:assert/strict";
 * const inv = parseCommandLine(["check", "--config.file", "c.yaml"], {});
 * if (inv.kind !== "run") throw new Error("unreachable");
 * const text = "targets:\n  - name: foo\n    url: http://127.0.0.1:8080/\n    bogus: 1\n";
 * assert.throws(() => parseConfigText(text, "c.yaml", inv.flags, "/"), /c\.yaml:4: targets\[0\]\.bogus: unknown key/);
 * ```
 *
 * @param text The file's content.
 * @param file The file name for messages; relative `file://` URLs in it resolve against its directory.
 * @param flags The parsed flags.
 * @param cwd The working directory.
 * @throws {ConfigError} Listing every problem as `FILE:LINE: key.path: what is wrong`.
 */
export function parseConfigText(text: string, file: string, flags: Flags, cwd: string): ExporterConfig {
  return parseChecked(text, file, flags, cwd).config;
}

/** {@linkcode parseConfigText}, also returning the parsed file, for checks that need lines or raw values. */
function parseChecked(text: string, file: string, flags: Flags, cwd: string) {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => `${file}:${lc.linePos(e.pos[0]).line}: invalid YAML: ${firstLine(e.message)}`),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // An alias bomb ("billion laughs") is stopped by maxAliasCount.
    throw new ConfigError(`${file}:1: invalid YAML: ${e instanceof Error ? e.message : String(e)}`, {
      cause: e,
    });
  }
  if (!isMap(doc.contents)) {
    throw new ConfigError(`${file}:1: the file must be a map with a "targets" list`);
  }
  const problems: Problem[] = [];
  const parsed = configSchema.safeParse(data, { reportInput: true });
  if (!parsed.success) problems.push(...schemaProblems(parsed.error.issues));
  problems.push(...validateConfig(data));
  const given = seedFlagsGiven(flags);
  const targets = (data as { targets?: unknown }).targets;
  if (given.length > 0 && Array.isArray(targets) && targets.length > 1) {
    problems.push({
      path: ["targets"],
      message: `flags ${
        given.join(", ")
      } apply only to a file with one target: the file has ${targets.length}`,
    });
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(formatProblems(problems, file, doc, lc));
  const input: ConfigInput = parsed.data;
  const baseDir = dirname(resolve(cwd, file));
  const flagUrl = flags.url === undefined ? undefined : resolveFileUrl(flags.url, cwd);
  const resolved = (input.targets ?? []).map((t) => resolveTarget(t, flags, baseDir));
  const modules = Object.entries(input.modules ?? {}).map(([name, m]) => resolveModule(name, m, flags));
  const config: ExporterConfig = {
    targets: given.length > 0 && resolved.length > 0
      ? [applySeedFlags(resolved[0], flags, flagUrl)]
      : resolved,
    modules,
    baseDir,
  };
  return { config, data, doc, lc };
}

function firstLine(s: string): string {
  const i = s.indexOf("\n");
  return (i < 0 ? s : s.slice(0, i)).replace(/ at line \d+, column \d+:?$/, "");
}

const RELABEL_KEY = "metric_relabel_configs";

/** Turns zod issues into problems; relabel configs are left to the relabel engine's own validation. */
function schemaProblems(issues: readonly z.core.$ZodIssue[]): Problem[] {
  const out: Problem[] = [];
  for (const issue of issues) {
    const path = issue.path as (string | number)[];
    const inRelabel = path.length > 3 && (path[0] === "targets" || path[0] === "modules") &&
      path[2] === RELABEL_KEY;
    if (inRelabel) continue;
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) {
          out.push({
            path: [...path, key],
            message: unknownKeyMessage(key, allowedKeysAt(path)),
            atKey: true,
          });
        }
        break;
      case "invalid_type":
        out.push({
          path,
          message: issue.input === undefined
            ? "missing required key"
            : `expected ${typeName(issue.expected)}, got ${valueName(issue.input, path)}`,
        });
        break;
      case "invalid_value":
        out.push({
          path,
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}: got ${
            JSON.stringify(issue.input)
          }`,
        });
        break;
      case "too_small":
        out.push({ path, message: issue.origin === "array" ? "must not be empty" : issue.message });
        break;
      case "invalid_union":
        out.push({ path, message: `expected ${unionNames(issue)}, got ${valueName(issue.input, path)}` });
        break;
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}

function unionNames(issue: z.core.$ZodIssueInvalidUnion): string {
  const names: string[] = [];
  for (const branch of issue.errors) {
    for (const i of branch) if (i.code === "invalid_type") names.push(typeName(i.expected));
  }
  return names.length > 0 ? names.join(" or ") : "another value";
}

function typeName(t: string): string {
  switch (t) {
    case "array":
    case "tuple":
      return "a list";
    case "object":
    case "record":
    case "map":
      return "a map";
    case "int":
      return "a whole number";
    case "boolean":
      return "true or false";
    default:
      return `a ${t}`;
  }
}

/** Keys whose values may be secrets, so a message names their kind, never their value. */
const SECRET_KEY = /pass|token|secret|credential|auth|key|header|http/i;

function valueName(v: unknown, path: readonly (string | number)[]): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  // Errors reach logs and the status page: a mistyped password must not be printed with them.
  const secret = path.some((k) => typeof k === "string" && SECRET_KEY.test(k));
  if (typeof v === "string") return secret ? "a string" : `the string ${JSON.stringify(v)}`;
  if (typeof v === "number") return secret ? "a number" : `the number ${v}`;
  return String(v);
}
