/**
 * Rule-space names: rules see a counter as its upstream sample name (`_total` appended) and an info as
 * `_info` appended, so a user matches the name they see in the upstream exposition. The config loader, the
 * transform and `explain` convert between a family name and that rule-space name with these two functions.
 *
 * @module
 */

import type { MetricType } from "../model.ts";

/**
 * The name the rules see first: the upstream sample name of a plain series.
 *
 * @example
 * ```ts
 * import { ruleName } from "./_family.ts";
 * import assert from "node:assert/strict";
 * assert.equal(ruleName("http_requests", "counter"), "http_requests_total");
 * assert.equal(ruleName("up", "gauge"), "up");
 * ```
 */
export function ruleName(familyName: string, type: MetricType): string {
  if (type === "counter") return familyName + "_total";
  if (type === "info") return familyName + "_info";
  return familyName;
}

/** The family name for a rule-space name: strips `_total` from counters and `_info` from infos. */
export function familyNameOf(name: string, type: MetricType): string {
  if (type === "counter" && name.endsWith("_total") && name.length > 6) return name.slice(0, -6);
  if (type === "info" && name.endsWith("_info") && name.length > 5) return name.slice(0, -5);
  return name;
}
