/**
 * What the relay tests share: the pipeline's answer for a body (what the relay must write byte for byte) and
 * targets from a YAML rule set.
 *
 * @module
 */

import { parseConfigText } from "../../src/config/load.ts";
import { ByteWriter } from "../../src/exposition/escape.ts";
import type { ExpositionFormat } from "../../src/exposition/negotiate.ts";
import { writeFamiliesInto } from "../../src/exposition/respond.ts";
import { type CompiledTarget, compileTarget, runPipeline } from "../../src/scrape/mod.ts";
import { configFileFlags, testTarget } from "../_lib/helpers.ts";

/** The pipeline's answer for a body in a format, or `null` when it refuses the body. */
export function pipelineAnswer(
  target: CompiledTarget,
  text: string,
  format: ExpositionFormat,
): string | null {
  try {
    const families = runPipeline(target, text, "prometheus").families;
    const w = new ByteWriter(1024);
    writeFamiliesInto(w, families, format);
    return w.text();
  } catch {
    return null;
  }
}

const FLAGS = configFileFlags("t.yaml");

/** The target a YAML config's first target compiles to; the default test target without one. */
export function target(yaml?: string): CompiledTarget {
  if (yaml === undefined) return compileTarget(testTarget());
  return compileTarget(parseConfigText(yaml, "t.yaml", FLAGS, "/").targets[0]);
}

/** Rule sets the generated documents go through. */
export const RULE_SETS: (string | undefined)[] = [
  undefined,
  `targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    namespace: ns
    labels: { env: prod, le: x }
`,
  `targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    labels: { env: prod }
    rules:
      - exclude: ["b_*"]
      - rename: { a_total: renamed_total, c: a }
      - match: "(?<kind>[a-c])_(?<n>[0-9])"
        name: merged
        help: Merged.
    metric_relabel_configs:
      - source_labels: [x]
        regex: "1|q"
        action: drop
`,
  `targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    on_duplicate: sum
    rules:
      - match: "(?<which>.*)"
        name: everything
`,
];
