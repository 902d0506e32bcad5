/**
 * The `modules:` map of the multi-target pattern: each module names HTTP options, rules and the targets it may
 * probe (`allowed_targets`). `GET /probe?target=URL&module=NAME` applies one module to one target.
 *
 * The keys a module shares with a target (rules and decoding) belong to the config schema: {@linkcode moduleSchema}
 * holds `rules` as a placeholder (`unknown[]`), and {@linkcode moduleSchemaWith} builds the joined schema.
 *
 * @module
 */

import { z } from "zod";
import { compileAllowList } from "./allow.ts";
import {
  defaultHttpOptions,
  durationSchema,
  hasCredentials,
  type HttpOptions,
  httpOptionsSchema,
} from "./http_options.ts";

/** What every validated module has, whatever keys the joined schema adds. */
export interface ModuleBase {
  /** Upstream HTTP options. */
  http: HttpOptions;
  /** Allow-list entries (host, host:port, URL prefix, CIDR), validated; `undefined` when absent. */
  allowedTargets?: string[];
  /** Serve the last good result of a target for this long (ms) without fetching; absent: off. */
  minIntervalMs?: number;
}

/** One validated module of the placeholder schema: `rules` is opaque until the rule schema is joined. */
export interface ModuleConfig extends ModuleBase {
  /** The module's rules, unvalidated here. */
  rules: unknown[];
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

const MODULE_KEYS = {
  http: httpOptionsSchema.optional().describe("Upstream HTTP options"),
  allowed_targets: allowedTargetsSchema.optional().describe(
    "Targets this module may probe: host, host:port, *.domain, URL prefix or CIDR",
  ),
  min_interval: durationSchema.optional().describe(
    "Serve a target's last good result for this long without fetching (off by default)",
  ),
};

/**
 * Builds the schema of one module from the keys it shares with a target (rules, format, namespace, json, ...)
 * plus the module's own: `http`, `allowed_targets`, `min_interval`. The shared keys come back unchanged; the
 * module's own become {@linkcode ModuleBase}. A module whose HTTP options carry credentials must have
 * `allowed_targets`: otherwise whoever can reach `/probe` could send those credentials anywhere.
 *
 * @example Joining the target rule schema
 * ```ts ignore
 * const moduleSchema = moduleSchemaWith({ rules: z.array(ruleSchema).default([]), format: formatSchema.optional() });
 * ```
 */
export function moduleSchemaWith<S extends z.ZodRawShape>(
  shared: S,
): z.ZodType<z.output<z.ZodObject<S>> & ModuleBase, unknown> {
  return z.strictObject({ ...shared, ...MODULE_KEYS }).transform((m, ctx) => {
    const { http, allowed_targets, min_interval, ...rest } = m as Record<string, unknown> & {
      http?: HttpOptions;
      allowed_targets?: string[];
      min_interval?: number;
    };
    const options = http ?? defaultHttpOptions();
    if (hasCredentials(options) && allowed_targets === undefined) {
      ctx.addIssue({
        code: "custom",
        message: "a module with credentials (auth, client certificate or headers) needs allowed_targets",
        path: ["allowed_targets"],
      });
    }
    const base: ModuleBase = { http: options, allowedTargets: allowed_targets, minIntervalMs: min_interval };
    return { ...rest, ...base } as z.output<z.ZodObject<S>> & ModuleBase;
  });
}

/** The placeholder module schema: `rules` is any list until the lead joins the rule schema. */
export const moduleSchema: z.ZodType<ModuleConfig, unknown> = moduleSchemaWith({
  rules: z.array(z.unknown()).default([]).describe("Rules applied to every probed target (as a target's)"),
});

/** Module names: the `module` query parameter, so kept to a URL- and label-safe alphabet. */
export const MODULE_NAME_REGEXP = /^[a-zA-Z_][a-zA-Z0-9_.-]*$/;

/** Builds the schema of the top-level `modules:` map from a module schema. */
export function modulesSchemaOf<T>(module: z.ZodType<T, unknown>): z.ZodType<Record<string, T>, unknown> {
  return z.record(
    z.string().regex(MODULE_NAME_REGEXP, "module names must match [a-zA-Z_][a-zA-Z0-9_.-]*"),
    module,
  );
}

/** The placeholder `modules:` map schema. */
export const modulesSchema: z.ZodType<ModulesConfig, unknown> = modulesSchemaOf(moduleSchema);

/** The validated `modules:` map. */
export type ModulesConfig = Record<string, ModuleConfig>;
