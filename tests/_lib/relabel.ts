/**
 * Shared by the relabel and Go-regexp tests: table cases (one rule list, one input sample, the expected
 * output), the reference `hashmod`, and `promtool check config` on a rule list (the validation oracle).
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Sample } from "../../src/model.ts";
import { compileRelabelConfigs, relabelSample } from "../../src/relabel/mod.ts";
import { PROMTOOL } from "./validators.ts";

/** A sample with frozen arrays, so any write to the input throws. */
export function sample(name: string, labels: Record<string, string> = {}): Sample {
  return Object.freeze({ name, labels: Object.freeze(Object.entries(labels).flat()) as string[], value: 1 });
}

/** One table case: rules, one input sample, the expected output (name and labels in output order) or null. */
export interface Case {
  name: string;
  rules: unknown[];
  input: Sample;
  want: { name: string; labels: string[] } | null;
  /** For the Prometheus oracle: the scrape fails as a whole (text expected in the target's lastError). */
  scrapeError?: string;
  /** For the Prometheus oracle: why this case cannot be compared there. */
  noOracle?: string;
}

/** Runs a case's rules on its input. */
export function run(c: Case): Sample | null {
  return relabelSample(compileRelabelConfigs(c.rules), c.input);
}

/** Asserts a case's output. */
export function check(c: Case): void {
  const got = run(c);
  if (c.want === null) {
    assert.equal(got, null, c.name);
  } else {
    assert.notEqual(got, null, c.name);
    assert.deepEqual({ name: got!.name, labels: got!.labels }, c.want, c.name);
  }
}

/** Reference hashmod for the tables: md5 of UTF-8 bytes, bytes 8..15 folded big-endian by hand. */
export function hashModReference(s: string, m: bigint): string {
  const sum = createHash("md5").update(new TextEncoder().encode(s)).digest();
  let v = 0n;
  for (let i = 8; i < 16; i++) v = (v << 8n) | BigInt(sum[i]);
  return (v % m).toString();
}

/** Runs `promtool check config` on a config whose only job has these metric_relabel_configs. */
export async function promtoolCheckConfig(rules: unknown[]): Promise<{ code: number; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "relabel_promtool_" });
  try {
    const file = `${dir}/prometheus.yml`;
    const config = {
      scrape_configs: [{
        job_name: "j",
        static_configs: [{ targets: ["127.0.0.1:1"] }],
        metric_relabel_configs: rules,
      }],
    };
    await Deno.writeTextFile(file, JSON.stringify(config)); // JSON is YAML
    const { code, stdout, stderr } = await new Deno.Command(PROMTOOL, {
      args: ["check", "config", "--syntax-only", file],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    return { code, output: dec.decode(stdout) + dec.decode(stderr) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
