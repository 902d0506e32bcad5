/**
 * The `modules:` map of the multi-target pattern: each module names HTTP options, rules and the targets it may
 * probe (`allowed_targets`). `GET /probe?target=URL&module=NAME` applies one module to one target.
 *
 * The rules are helper "config"'s concern: `rules` is a placeholder (`unknown[]`) here, and the lead replaces it
 * with the target rule schema when joining the schemas (`moduleSchema.extend({ rules: ruleListSchema })`).
 *
 * @module
 */

import { z } from "zod";
import { compileAllowList } from "../probe/allow.ts";
import {
  defaultHttpOptions,
  durationSchema,
  hasCredentials,
  type HttpOptions,
  httpOptionsSchema,
} from "./http_options.ts";

/** Module names: the `module` query parameter, so kept to a URL- and label-safe alphabet. */
export const MODULE_NAME_REGEXP = /^[a-zA-Z_][a-zA-Z0-9_.-]*$/;

/** One validated module. */
export interface ModuleConfig {
  /** The module's rules, validated by the rule schema once the lead joins it; opaque here. */
  rules: unknown[];
  /** Upstream HTTP options. */
  http: HttpOptions;
  /** Allow-list entries (host, host:port, URL prefix, CIDR), validated; `undefined` when absent. */
  allowedTargets?: string[];
  /** Serve the last good result of a target for this long (ms) without fetching; absent: off. */
  minIntervalMs?: number;
}

const allowedTargetsSchema = z.array(z.string()).min(1, "must list at least one entry when set").superRefine(
  (entries, ctx) => {
    try {
      compileAllowList(entries);
    } catch (e) {
      ctx.addIssue({ code: "custom", message: (e as Error).message });
    }
  },
);

/**
 * The zod schema of one module. A module whose HTTP options carry credentials must have `allowed_targets`:
 * otherwise whoever can reach `/probe` could send those credentials anywhere.
 */
export const moduleSchema = z.strictObject({
  rules: z.array(z.unknown()).default([]).describe("Rules applied to every probed target (as a target's)"),
  http: httpOptionsSchema.optional().describe("Upstream HTTP options"),
  allowed_targets: allowedTargetsSchema.optional().describe(
    "Targets this module may probe: host, host:port, *.domain, URL prefix or CIDR",
  ),
  min_interval: durationSchema.optional().describe(
    "Serve a target's last good result for this long without fetching (off by default)",
  ),
}).transform((m, ctx): ModuleConfig => {
  const http = m.http ?? defaultHttpOptions();
  if (hasCredentials(http) && m.allowed_targets === undefined) {
    ctx.addIssue({
      code: "custom",
      message: "a module with credentials (auth, client certificate or headers) needs allowed_targets",
      path: ["allowed_targets"],
    });
  }
  return { rules: m.rules, http, allowedTargets: m.allowed_targets, minIntervalMs: m.min_interval };
});

/** The zod schema of the top-level `modules:` map. */
export const modulesSchema = z.record(
  z.string().regex(MODULE_NAME_REGEXP, "module names must match [a-zA-Z_][a-zA-Z0-9_.-]*"),
  moduleSchema,
);

/** The validated `modules:` map. */
export type ModulesConfig = Record<string, ModuleConfig>;
