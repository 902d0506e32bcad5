/**
 * The seed's flags as a one-target config: `-s foo -u URL -e NAME` is the same as a config file with one
 * target named `foo`, labels `{service: foo}` and one `exclude` rule. {@linkcode applySeedFlags} lays the same
 * flags over a target read from a file (see docs/CONFIG.md "Flags and the file").
 *
 * @module
 */

import type { Flags } from "../cli/mod.ts";
import { resolveTarget } from "./resolve.ts";
import { type TargetFile, targetSchema } from "./schema.ts";
import type { ExporterConfig, TargetConfig } from "./types.ts";

/**
 * Builds the one-target config that the seed flags describe; `url` is already resolved against `baseDir`
 * (the working directory). The target goes through the file's schema, so it gets a file target's defaults.
 */
export function configFromFlags(flags: Flags, url: string, baseDir = "."): ExporterConfig {
  const file: TargetFile = {
    name: flags.service ?? "default",
    url,
    ...(flags.service === undefined ? {} : { labels: { service: flags.service } }),
    ...(flags.exclude.length > 0 ? { rules: [{ exclude: [...flags.exclude] }] } : {}),
  };
  const target: TargetConfig = { ...resolveTarget(targetSchema.parse(file), flags, baseDir), url };
  return { targets: [target], modules: [], baseDir };
}

/** The seed flags that describe one target, by their short spelling, when they were given. */
export function seedFlagsGiven(flags: Flags): string[] {
  const given: string[] = [];
  if (flags.url !== undefined) given.push("-u");
  if (flags.service !== undefined) given.push("-s");
  if (flags.exclude.length > 0) given.push("-e");
  return given;
}

/**
 * Lays the seed flags over a target read from a file: `-u` replaces its URL (`url` is already resolved),
 * `-s` sets its `service` label, and `-e` puts an `exclude` rule before its own rules, so the names it
 * gives are upstream names. Returns a new target.
 */
export function applySeedFlags(target: TargetConfig, flags: Flags, url: string | undefined): TargetConfig {
  const out: TargetConfig = { ...target, labels: { ...target.labels }, rules: [...target.rules] };
  if (url !== undefined) out.url = url;
  if (flags.service !== undefined) out.labels.service = flags.service;
  if (flags.exclude.length > 0) out.rules.unshift({ kind: "exclude", patterns: [...flags.exclude] });
  return out;
}
