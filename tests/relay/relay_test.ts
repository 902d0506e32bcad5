/**
 * The relay (src/relay) against the pipeline: for every body it relays, the answer is byte for byte what
 * the pipeline writes in text 0.0.4; a body it gives back goes to the pipeline, which decides. Bodies: the
 * bench's (typical rules, must be relayed), real pages with no rules (node_exporter, client_python), every
 * text fixture of the test data, and generated documents under generated rule sets.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import type { ExpositionFormat } from "../../src/exposition/negotiate.ts";
import { TextRelay } from "../../src/relay/mod.ts";
import { runSteps } from "../../src/pace.ts";
import { bytesHash1, bytesHash2, pairHashes, secondHash, SEED1, SEED2 } from "../../src/relay/_hash.ts";
import { CANONICAL, CANONICAL_NEGATIVE, canonicalValue, NOT_CANONICAL } from "../../src/relay/_lex.ts";
import { formatNumber } from "../../src/exposition/escape.ts";
import { parseGoFloat } from "../../src/formats/text/mod.ts";
import type { CompiledTarget } from "../../src/scrape/mod.ts";
import { renderMetricsText } from "../../bench/system/upstream.ts";
import { caseTarget } from "../../bench/system/lib/pipeline.ts";
import { pipelineAnswer, RULE_SETS, target } from "./_relay.ts";

const ENC = new TextEncoder();
const DEC = new TextDecoder();

/** Relays `text` with a fresh relay; returns the answer's text, or `null` when it was given back. */
async function relayed(
  target: CompiledTarget,
  text: string,
  format: ExpositionFormat,
): Promise<string | null> {
  const relay = new TextRelay(target.transform.context);
  const answer = await relay.relay(ENC.encode(text), format);
  return answer === null ? null : DEC.decode(answer.bytes());
}

/**
 * Asserts the relay's answer (if any) is the pipeline's, in both formats; returns whether it relayed text.
 */
async function agrees(target: CompiledTarget, text: string, what: string): Promise<boolean> {
  let relayedText = false;
  for (const format of ["text", "openmetrics"] as const) {
    const got = await relayed(target, text, format);
    if (got === null) continue;
    if (format === "text") relayedText = true;
    const want = pipelineAnswer(target, text, format);
    assert.equal(got, want, `${what} (${format}): the relay's answer differs from the pipeline's`);
  }
  return relayedText;
}

Deno.test("relay: the bench body under the typical rules is relayed, as the pipeline answers", async () => {
  const t = caseTarget("text");
  for (const n of [10, 1000, 20_000]) {
    assert.ok(await agrees(t, renderMetricsText(n), `bench ${n}`), `bench ${n}: given back`);
  }
});

Deno.test("relay: real pages with no rules are relayed, as the pipeline answers", async () => {
  for (const page of ["node_exporter.prom", "client_python.prom"]) {
    const text = Deno.readTextFileSync(new URL(`../testdata/relay/${page}`, import.meta.url));
    assert.ok(await agrees(target(), text, page), `${page}: given back`);
  }
});

Deno.test("relay: every text fixture is relayed as the pipeline answers, or given back", async () => {
  const dirs = ["../testdata/exposition/", "../testdata/parse/", "../testdata/core/"];
  let relayedCount = 0;
  for (const dir of dirs) {
    for (const entry of Deno.readDirSync(new URL(dir, import.meta.url))) {
      if (!entry.name.endsWith(".prom")) continue;
      const text = Deno.readTextFileSync(new URL(dir + entry.name, import.meta.url));
      if (await agrees(target(), text, entry.name)) relayedCount++;
    }
  }
  assert.ok(relayedCount >= 5, `only ${relayedCount} fixtures relayed`);
});

/** One generated family: metadata lines, then sample lines (by name suffix), as text. */
const familyArb = fc.record({
  name: fc.constantFrom("a", "b", "c", "a_total", "a_1", "b_2", "c_3", "a_created", "d_bucket", "x:y"),
  type: fc.constantFrom("counter", "gauge", "histogram", "summary", "untyped", "", "info", "bogus"),
  help: fc.constantFrom(null, "", "Help.", "Back\\\\slash and \\n newline", "Ünïcode", "bad \\t escape"),
  helpAfterType: fc.boolean(),
  samples: fc.array(
    fc.record({
      suffix: fc.constantFrom("", "", "_total", "_bucket", "_sum", "_count", "_created", "_other"),
      labels: fc.array(
        fc.tuple(
          fc.constantFrom("x", "y", "le", "quantile", "env", "kind", "shard", "9bad"),
          fc.constantFrom("1", "q", "0.5", "+Inf", "NaN", "2", "", 'a"b', "é", "x\\\\y"),
        ),
        { maxLength: 3 },
      ),
      value: fc.constantFrom(
        "1",
        "0",
        "17",
        "-1",
        "1.5",
        "1e3",
        "007",
        "NaN",
        "+Inf",
        "-Inf",
        "0x10",
        "x",
        "1 1700000000000",
      ),
    }),
    { minLength: 0, maxLength: 4 },
  ),
});

type GeneratedFamily = typeof familyArb extends fc.Arbitrary<infer T> ? T : never;

function renderFamily(f: GeneratedFamily): string {
  const lines: string[] = [];
  const help = f.help === null ? [] : [`# HELP ${f.name} ${f.help}`];
  if (!f.helpAfterType) lines.push(...help);
  if (f.type !== "") lines.push(`# TYPE ${f.name} ${f.type}`);
  if (f.helpAfterType) lines.push(...help);
  for (const s of f.samples) {
    const labels = s.labels.map(([k, v]) => `${k}="${v}"`).join(",");
    lines.push(`${f.name}${s.suffix}${labels === "" ? "" : `{${labels}}`} ${s.value}`);
  }
  return lines.map((l) => l + "\n").join("");
}

Deno.test("relay: generated documents under generated rules: relayed as the pipeline answers, or given back", async () => {
  const targets = RULE_SETS.map(target);
  let relayedCount = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(familyArb, { maxLength: 6 }), fc.boolean(), async (families, blank) => {
      const text = families.map(renderFamily).join(blank ? "\n" : "");
      for (const [i, t] of targets.entries()) {
        if (await agrees(t, text, `rules ${i}:\n${text}`)) relayedCount++;
      }
    }),
    { numRuns: 500 },
  );
  assert.ok(relayedCount > 200, `only ${relayedCount} of 2000 relayed`);
});

Deno.test("relay: both hashes of a pair taken in one loop are the two byte hashes, mixed", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ maxLength: 20 }), (name, value) => {
      const b = new Uint8Array([...name, ...value]);
      const n = name.length;
      const h1 = bytesHash1(b, n, b.length, bytesHash1(b, 0, n, SEED1) ^ 0x3d);
      const h2 = bytesHash2(b, n, b.length, bytesHash2(b, 0, n, SEED2) ^ 0x3d);
      assert.equal(pairHashes(b, 0, n, n, b.length), Math.imul(h1 ^ (h1 >>> 15), 0x2c1b3c6d));
      assert.equal(secondHash, Math.imul(h2 ^ (h2 >>> 16), 0x297a2d39));
    }),
  );
});

Deno.test("relay: a value it copies is spelled as the writer spells its number", () => {
  const decimal = fc.tuple(
    fc.constantFrom("", "-"),
    fc.stringMatching(/^(0|[1-9][0-9]{0,16})$/),
    fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }),
  ).map(([sign, int, frac]) => `${sign}${int}${frac === undefined ? "" : "." + frac}`);
  fc.assert(
    fc.property(
      fc.oneof(decimal, fc.constantFrom("0", "-0", "1e3", "0.0000001", "+1", "007", "1.50")),
      (text) => {
        const b = ENC.encode(text);
        const verdict = canonicalValue(b, 0, b.length);
        if (verdict === NOT_CANONICAL) return;
        const value = parseGoFloat(text, 0, text.length);
        assert.ok(value !== undefined);
        assert.equal(formatNumber(value), text, `${text} was taken as canonical`);
        assert.equal(verdict === CANONICAL_NEGATIVE, value < 0);
      },
    ),
    { numRuns: 2000 },
  );
  const b = ENC.encode("0.5");
  assert.equal(canonicalValue(b, 0, b.length), CANONICAL);
});

/** Bodies a review found the relay answering unlike the pipeline; each must now agree or be given back. */
const REVIEW_CASES: readonly (readonly [string, string | undefined])[] = [
  ["x_created 1\n# TYPE x_total counter\nx_total 1\n", undefined],
  ["# TYPE a histogram\n# TYPE a_count gauge\na_count 1\n", undefined],
  ["# HELP a_count c\n# TYPE a summary\na_sum 1\n", undefined],
  ["# TYPE b counter\n# TYPE b_total gauge\nb_total 1\n", undefined],
  ["# TYPE a_total counter\n# TYPE b gauge\nb 1\na_created 5\n", undefined],
  ["# HELP x  two\n# TYPE x gauge\nx 1\n", undefined],
  ["#  HELP x foo\nx 1\n", undefined],
  ["# HELP\tx foo\nx 1\n", undefined],
  ["#  TYPE x_total counter\nx_total 1\n", undefined],
  ["# HELP\nx 1\n", undefined],
  ['x{a="\0"} 1\n', undefined],
  ["# HELP x a\rb\nx 1\n", undefined],
  ["# foo\r\nx 1\n", undefined],
  ['x{__name__="y"} 1\n', undefined],
  ['# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum{le="1"} 1\nh_count{le="2"} 1\n', undefined],
  ['# TYPE s summary\ns{quantile="1"} 1\ns_sum{quantile="1"} 1\ns_count{quantile="0"} 1\n', undefined],
  ...['a{l="drop"} 1\nb 2\nc{l="keep"} 3\n', 'a{l="drop"} 1\nc{l="keep"} 3\nc{l="keep"} 4\n'].map((body) =>
    [
      body,
      `targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    rules:
      - rename: { a: x, c: x }
    metric_relabel_configs:
      - source_labels: [l]
        regex: drop
        action: drop
`,
    ] as const
  ),
  [
    'x{l="x"} 1\nx{l="y"} 2\n',
    `targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    metric_relabel_configs:
      - source_labels: [l]
        target_label: __name__
        action: keepequal
`,
  ],
  ["# TYPE y_total counter\ny_total 1\n# TYPE y_total_total counter\ny_total_total 2\n", undefined],
  [`x 1.${"0".repeat(200_000)}\n`, undefined],
  [`# TYPE x ${"a".repeat(200_000)}\nx 1\n`, undefined],
  [
    `x{l="${"k".repeat(200_000)}"} 1\n`,
    `targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    metric_relabel_configs:
      - source_labels: [l]
        regex: drop
        action: drop
`,
  ],
  [
    "# TYPE h histogram\nh_sum 1\nh_count 1\n",
    `targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    labels: { le: "1" }
`,
  ],
];

Deno.test("relay: the review's bodies agree with the pipeline or are given back", async () => {
  for (const [body, yaml] of REVIEW_CASES) await agrees(target(yaml), body, JSON.stringify(body));
});

Deno.test("relay: bodies in sequence through one relay (predicted families) agree with the pipeline", async () => {
  const targets = RULE_SETS.map(target);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(familyArb, { maxLength: 5 }), { minLength: 2, maxLength: 4 }),
      async (bodies) => {
        for (const t of targets) {
          const relay = new TextRelay(t.transform.context);
          for (const families of bodies) {
            const text = families.map(renderFamily).join("");
            const answer = await relay.relay(ENC.encode(text), "text");
            if (answer === null) continue;
            assert.equal(DEC.decode(answer.bytes()), pipelineAnswer(t, text, "text"), text);
          }
        }
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("relay: a scrape that comes while a pass runs is given to the pipeline", async () => {
  const t = caseTarget("text");
  const relay = new TextRelay(t.transform.context);
  const body = ENC.encode(renderMetricsText(20_000));
  const first = relay.relay(body, "text");
  const second = relay.relay(body, "text");
  assert.equal(runSteps(relay.relayTaggedSteps(ENC.encode(renderMetricsText(10)), "text")), null);
  assert.equal(await second, null);
  assert.notEqual(await first, null);
  assert.notEqual(await relay.relay(body, "text"), null);
});

Deno.test("relay: a line that ends where an arena ends is whole (labels of its own and added ones)", async () => {
  // The rules add a label, so the family goes to the side arena, which starts at 1 KiB: some of these bodies
  // end a line exactly there (a review found the last byte of such a line was lost).
  const t = target(`targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    rules:
      - match: "x_(?<n>[0-9]+)"
        name: x
`);
  let relayedCount = 0;
  for (let series = 1; series <= 120; series++) {
    for (let pad = 0; pad < 24; pad++) {
      let text = "# TYPE x_1 gauge\n";
      for (let i = 0; i < series; i++) text += `x_1{a="${"v".repeat(pad)}${i}"} ${i}\n`;
      const got = await relayed(t, text, "text");
      if (got === null) continue;
      relayedCount++;
      assert.equal(got, pipelineAnswer(t, text, "text"), `${series} series, ${pad} bytes of padding`);
    }
  }
  assert.equal(relayedCount, 120 * 24);
});
