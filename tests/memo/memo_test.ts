/**
 * The scrape memo (src/memo/) must give exactly the bytes the whole pipeline gives, for any new values, and
 * fall back whenever it cannot: checked per format on random value changes, on answers that are not plain
 * copies of the values, and through the real handler against a real upstream whose values change.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { gunzipSync } from "node:zlib";
import { parseCommandLine } from "../../src/cli/mod.ts";
import { configFromFlags } from "../../src/config/from_flags.ts";
import { parseConfigText } from "../../src/config/load.ts";
import type { TargetConfig } from "../../src/config/types.ts";
import { ByteWriter } from "../../src/exposition/escape.ts";
import { writeOpenMetricsInto } from "../../src/exposition/openmetrics.ts";
import { SelfMetrics } from "../../src/exposition/self_metrics.ts";
import { writeTextInto } from "../../src/exposition/text.ts";
import type { ExpositionFormat } from "../../src/exposition/negotiate.ts";
import { type ConcreteFormat, detectFormat } from "../../src/formats/detect.ts";
import { createLogger } from "../../src/log.ts";
import { binaryText, ScrapeMemo } from "../../src/memo/memo.ts";
import { isCanonical } from "../../src/memo/skeleton.ts";
import {
  type CompiledTarget,
  compileTarget,
  pipelineSteps,
  runPipeline,
  withMemo,
} from "../../src/scrape/mod.ts";
import { createHandler } from "../../src/server/mod.ts";
import { staticRuntime } from "../../src/server/runtime.ts";
import { VERSION } from "../../src/version.ts";
import { configFileFlags, normalizeVolatile, serveUpstream } from "../_lib/helpers.ts";

const FLAGS = configFileFlags("memo.yaml");

/** The memo's view of a body: its UTF-8 bytes, one char per byte. */
const bin = (text: string) => binaryText(new TextEncoder().encode(text));

/** Looks a body up the way scrape.ts does: its bytes and their Latin-1 reading. */
function lookupText(memo: ScrapeMemo, text: string, contentType: string | null) {
  const bytes = new TextEncoder().encode(text);
  return memo.lookup(bytes, binaryText(bytes), contentType);
}

function targetFrom(yaml: string): TargetConfig {
  return parseConfigText(yaml, "memo.yaml", FLAGS, Deno.cwd()).targets[0];
}

const TYPICAL = `
targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    labels: { env: test }
    rules:
      - exclude: ["drop_*"]
      - rename: { temp: temperature_celsius }
      - match: "shard_(?<shard>[0-9]+)_total"
        name: shard_requests_total
    metric_relabel_configs:
      - source_labels: [code]
        regex: 5xx
        action: drop
`;

/** A body as a function of its value tokens. */
interface Case {
  name: string;
  yaml: string;
  contentType: string;
  slots: number;
  body: (v: readonly string[]) => string;
  /** Values that are valid anywhere in the body (the memo must answer these). */
  plain: (i: number) => string;
  /** Whether the answer is a plain copy of the values (otherwise the memo must never write one). */
  memoizable: boolean;
}

const textBody = (v: readonly string[]) =>
  `# HELP http_requests_total Requests "served" from C:\\\\dir.
# TYPE http_requests_total counter
http_requests_total{code="200",path="C:\\\\dir"} ${v[0]}
http_requests_total{code="5xx"} ${v[1]}
# TYPE temp gauge
temp{room="a b"} ${v[2]}
temp  ${v[3]}
# TYPE lat histogram
lat_bucket{le="0.1"} ${v[4]}
lat_bucket{le="+Inf"} ${v[5]}
lat_sum ${v[6]}
lat_count ${v[7]}
# TYPE q summary
q{quantile="0.5"} ${v[8]}
q_sum ${v[9]}
q_count ${v[10]}
untyped_thing{x="é☃"} ${v[11]}
shard_1_total ${v[12]}
shard_2_total ${v[13]}
drop_me ${v[14]}
`;

const omBody = (v: readonly string[]) =>
  `# TYPE jobs counter
# HELP jobs Jobs.
jobs_total{queue="a"} ${v[0]}
jobs_created{queue="a"} ${v[1]}
# TYPE mem_bytes gauge
# UNIT mem_bytes bytes
mem_bytes ${v[2]}
# TYPE g gaugehistogram
g_bucket{le="1"} ${v[3]}
g_bucket{le="+Inf"} ${v[4]}
g_gcount ${v[5]}
g_gsum ${v[6]}
# EOF
`;

const jsonBody = (v: readonly string[]) =>
  `{"requests": ${v[0]}, "nested": {"a": ${v[1]}, "ok": true, "n": null}, "str": "12", "arr": [${
    v[2]
  }, 3], "neg": ${v[3]}, "exclude_me": ${v[4]}}`;

const SEED_YAML = `
targets:
  - name: foo
    url: http://127.0.0.1:1/stats.json
    labels: { service: foo }
    rules:
      - exclude: [exclude_me]
`;

const CASES: Case[] = [
  {
    name: "text, typical rules",
    yaml: TYPICAL,
    contentType: "text/plain; version=0.0.4",
    slots: 15,
    body: textBody,
    plain: (i) => String(i * 7),
    memoizable: true,
  },
  {
    name: "OpenMetrics",
    yaml: TYPICAL,
    contentType: "application/openmetrics-text; version=1.0.0",
    slots: 7,
    body: omBody,
    plain: (i) => String(i + 1),
    memoizable: true,
  },
  {
    name: "JSON, the seed's flattening",
    yaml: SEED_YAML,
    contentType: "application/json",
    slots: 5,
    body: jsonBody,
    plain: (i) => String(i * 3),
    memoizable: true,
  },
  {
    name: "text with a scale rule (values are not copies)",
    yaml: `
targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    rules:
      - match: "temp"
        scale: 3
`,
    contentType: "text/plain",
    slots: 15,
    body: textBody,
    plain: (i) => String(i),
    memoizable: false,
  },
  {
    name: "JSON with sum of duplicates (values are not copies)",
    yaml: `
targets:
  - name: t
    url: http://127.0.0.1:1/stats.json
    on_duplicate: sum
    rules:
      - rename: { neg: requests }
`,
    contentType: "application/json",
    slots: 5,
    body: jsonBody,
    plain: (i) => String(i),
    memoizable: false,
  },
];

const TEXT_VALUES = [
  ...[
    "0",
    "1",
    "42",
    "-1",
    "1.5",
    "1e3",
    "NaN",
    "+Inf",
    "-Inf",
    "-0",
    "1e-7",
    "123456789012345678",
    "nan",
    "x",
  ],
  ...["0.10", "00", "01", "1.50", "-0.5", "0.000001", "0.0000001", "123456789012345", "1234567890123456"],
  ...["-12.25", "1234567890.12345", "0.1234567890123456", "+5", "5.", ".5", "1_000", "0x10", "1E3"],
];
const JSON_VALUES = [
  ...["0", "-1", "1.5e300", "1e400", "-0", "3.25", "12345678901234567890", "0.1", '"7"', "true"],
  ...["0.10", "-0.5", "0.000001", "0.0000001", "1234567890.12345", "1234567890123456", "1E3", "-0.0"],
];

function expected(target: CompiledTarget, text: string, contentType: string) {
  const format: ConcreteFormat = detectFormat(target.decoder.format, contentType, text);
  try {
    return { format, result: runPipeline(target, text, format) };
  } catch (e) {
    return { format, error: e };
  }
}

function write(families: Parameters<typeof writeTextInto>[1], format: ExpositionFormat): string {
  const w = new ByteWriter();
  (format === "openmetrics" ? writeOpenMetricsInto : writeTextInto)(w, families);
  return w.text();
}

/** Learns `base`, looks `next` up, and checks the memo's answer (if any) against the pipeline's. */
function check(c: Case, base: readonly string[], next: readonly string[]): "hit" | "fallback" {
  const target = compileTarget(targetFrom(c.yaml));
  const memo = new ScrapeMemo((text, format) => pipelineSteps(target, text, format));
  const first = expected(target, c.body(base), c.contentType);
  assert.ok(first.result, `${c.name}: the base body must be valid: ${first.error}`);
  memo.learn(bin(c.body(base)), c.contentType, first.format, first.result.skipped);
  const text = c.body(next);
  const want = expected(target, text, c.contentType);
  const hit = lookupText(memo, text, c.contentType);
  if (hit === null) return "fallback";
  assert.ok(want.result, `${c.name}: the memo took values the pipeline refuses: ${next} (${want.error})`);
  assert.equal(hit.skipped, want.result.skipped);
  let wrote = false;
  for (const format of ["text", "openmetrics"] as const) {
    if (hit.output(format) === null) continue;
    const w = new ByteWriter();
    hit.writeInto(w, format);
    assert.equal(w.text(), write(want.result.families, format), `${c.name}, ${format}, values ${next}`);
    // A second caller of the same result (single-flight) copies the first answer.
    const again = new ByteWriter();
    hit.writeInto(again, format);
    assert.equal(again.text(), w.text());
    wrote = true;
  }
  assert.ok(wrote || !c.memoizable, `${c.name}: a memoizable answer was not written from the memo`);
  assert.ok(!wrote || c.memoizable, `${c.name}: the memo wrote an answer that is not a copy of the values`);
  return wrote ? "hit" : "fallback";
}

for (const c of CASES) {
  Deno.test(`memo: ${c.name}: plain new values are answered from the memo, byte for byte`, () => {
    const base = Array.from({ length: c.slots }, (_, i) => c.plain(i));
    const next = Array.from({ length: c.slots }, (_, i) => c.plain(i + 100));
    assert.equal(check(c, base, next), c.memoizable ? "hit" : "fallback");
  });

  Deno.test(`memo: ${c.name}: any new values give the pipeline's bytes or fall back (property)`, () => {
    const pool = c.contentType.includes("json") ? JSON_VALUES : TEXT_VALUES;
    const base = Array.from({ length: c.slots }, (_, i) => c.plain(i));
    const hits = { n: 0 };
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...pool), fc.nat({ max: 1e6 }).map(String)), {
          minLength: c.slots,
          maxLength: c.slots,
        }),
        (next) => {
          if (check(c, base, next) === "hit") hits.n++;
        },
      ),
      { numRuns: 300 },
    );
    if (c.memoizable) assert.ok(hits.n > 0, "no random value set was answered from the memo");
  });
}

Deno.test("isCanonical(): a canonical token is exactly how the writers spell its number (property)", () => {
  const digits = (min: number, max: number) =>
    fc.array(fc.constantFrom(..."0123456789"), { minLength: min, maxLength: max }).map((d) => d.join(""));
  const token = fc.tuple(fc.constantFrom("", "-"), digits(1, 17), fc.option(digits(1, 17)), fc.boolean())
    .map(([sign, int, frac, exp]) => `${sign}${int}${frac === null ? "" : `.${frac}`}${exp ? "e2" : ""}`);
  let canonical = 0;
  fc.assert(
    fc.property(token, (t) => {
      if (!isCanonical(t, 0, t.length)) return;
      canonical++;
      const w = new ByteWriter();
      w.number(Number(t));
      assert.equal(w.text(), t);
    }),
    { numRuns: 5000 },
  );
  assert.ok(canonical > 500, `only ${canonical} canonical tokens generated`);
  for (const t of ["0", "7", "-3", "0.5", "12.25", "0.000001", "999999999999999"]) {
    assert.ok(isCanonical(t, 0, t.length), t);
  }
  for (const t of ["-0", "00", "0.10", "1.", "1e3", "0.0000001", "1234567890123456", "+1", "NaN"]) {
    assert.ok(!isCanonical(t, 0, t.length), t);
  }
});

Deno.test("memo: a changed skeleton falls back (new series, changed label, timestamp, other content type)", () => {
  const c = CASES[0];
  const base = Array.from({ length: c.slots }, (_, i) => c.plain(i));
  const target = compileTarget(targetFrom(c.yaml));
  const text = c.body(base);
  const format = detectFormat("auto", c.contentType, text);
  const changed = [
    text + "new_series 1\n",
    text.replace('room="a b"', 'room="a c"'),
    text.replace("drop_me 98", "drop_me 98 1700000000000"),
  ];
  for (const other of changed) {
    const memo = new ScrapeMemo((t, f) => pipelineSteps(target, t, f));
    memo.learn(bin(text), c.contentType, format, 0);
    assert.equal(lookupText(memo, other, c.contentType), null, other);
  }
  const other = new ScrapeMemo((t, f) => pipelineSteps(target, t, f));
  other.learn(bin(text), c.contentType, format, 0);
  assert.equal(lookupText(other, text, "text/plain; charset=utf-8"), null);
  const same = new ScrapeMemo((t, f) => pipelineSteps(target, t, f));
  same.learn(bin(text), c.contentType, format, 0);
  assert.notEqual(lookupText(same, text, c.contentType), null, "the same body must hit");
});

Deno.test("memo: an answer that cannot be memoized backs off (tagged runs stay rare)", () => {
  const c = CASES[3];
  const target = compileTarget(targetFrom(c.yaml));
  let runs = 0;
  const memo = new ScrapeMemo((t, f) => {
    runs++;
    return pipelineSteps(target, t, f);
  });
  const text = c.body(Array.from({ length: c.slots }, (_, i) => c.plain(i)));
  const format = detectFormat("auto", c.contentType, text);
  for (let scrape = 0; scrape < 1000; scrape++) {
    const hit = lookupText(memo, text, c.contentType);
    if (hit !== null) assert.equal(hit.output("text"), null);
    else memo.learn(bin(text), c.contentType, format, 0);
  }
  // Each attempt costs two tagged runs; the backoff doubles up to 1024 scrapes: 1+2+4+...+512 < 1000.
  assert.ok(runs > 0, "the memo never tried");
  assert.ok(runs <= 2 * 11, `${runs} tagged runs in 1000 scrapes`);
});

Deno.test("memo: a shape that changes every scrape backs off", () => {
  const target = compileTarget(targetFrom(TYPICAL));
  const memo = new ScrapeMemo((t, f) => pipelineSteps(target, t, f));
  for (let scrape = 0; scrape < 1000; scrape++) {
    const text = `a{ts="${scrape}"} 1\n`;
    if (lookupText(memo, text, null) === null) memo.learn(text, null, "prometheus", 0);
  }
  const { learnt, hits } = memo.stats;
  assert.equal(hits, 0);
  // Cooldowns of 1, 3, 7, ... 63 scrapes, then every 64th: about 20, against 500 without a backoff.
  assert.ok(learnt > 5 && learnt < 30, `${learnt} skeletons learnt in 1000 scrapes`);
});

/** A real upstream whose values change with `gen.n`, which the test advances between scrapes. */
function changingUpstream(gen: { n: number }) {
  const text = (headers: HeadersInit, body: string) => () => new Response(body, { headers });
  return serveUpstream({
    "/metrics": () =>
      text(
        { "content-type": "text/plain; version=0.0.4" },
        textBody(Array.from({ length: 15 }, (_, i) => String((i + 1) * gen.n))),
      )(),
    "/clash": () => text({}, `# TYPE prom_exporter_up gauge\nprom_exporter_up{other="x"} ${gen.n}\n`)(),
    "/stats.json": () =>
      text(
        { "content-type": "application/json" },
        jsonBody([String(gen.n), "2.5", "3", String(-gen.n), "5"]),
      )(),
  });
}

function handlerFor(targets: CompiledTarget[]) {
  const runtime = staticRuntime(targets);
  return createHandler({
    runtime: () => runtime,
    self: new SelfMetrics({ version: VERSION, targets: targets.map((t) => t.config.name) }),
    log: createLogger({ level: "error", format: "logfmt", write: () => {} }),
    version: VERSION,
  });
}

function compileFor(origin: string, path: string, service: string, memo: boolean): CompiledTarget {
  const inv = parseCommandLine(["start", "-s", service, "-u", origin + path], {});
  assert.ok(inv.kind === "run");
  const t = compileTarget(configFromFlags(inv.flags, origin + path).targets[0]);
  return memo ? withMemo(t) : t;
}

Deno.test("memo: the handler's answers equal the pipeline's over a real upstream (formats, gzip, targets)", async () => {
  const layouts: { name: string; parts: [string, string][] }[] = [
    { name: "one text target", parts: [["/metrics", "a"]] },
    { name: "one JSON target", parts: [["/stats.json", "a"]] },
    { name: "two targets, disjoint names", parts: [["/metrics", "a"], ["/stats.json", "b"]] },
    { name: "two targets, same names (merged)", parts: [["/metrics", "a"], ["/metrics", "b"]] },
    { name: "an upstream family named like ours", parts: [["/clash", "a"]] },
  ];
  for (const layout of layouts) {
    for (const accept of ["", "application/openmetrics-text; version=1.0.0"]) {
      const gen = { n: 1 };
      await using up = changingUpstream(gen);
      const memoTargets = layout.parts.map(([p, s]) => compileFor(up.origin, p, s, true));
      const withMemoHandler = handlerFor(memoTargets);
      const plainHandler = handlerFor(layout.parts.map(([p, s]) => compileFor(up.origin, p, s, false)));
      for (let scrape = 0; scrape < 4; scrape++) {
        gen.n = scrape * 7 + 1;
        for (const encoding of ["", "gzip"]) {
          const req = () =>
            new Request("http://x/metrics", { headers: { accept, "accept-encoding": encoding } });
          const a = await withMemoHandler(req());
          const b = await plainHandler(req());
          assert.equal(a.headers.get("content-type"), b.headers.get("content-type"));
          assert.equal(a.headers.get("content-encoding"), b.headers.get("content-encoding"));
          const body = async (r: Response) =>
            normalizeVolatile(new TextDecoder().decode(
              r.headers.get("content-encoding") === "gzip"
                ? gunzipSync(new Uint8Array(await r.arrayBuffer()))
                : new Uint8Array(await r.arrayBuffer()),
            ));
          const [ta, tb] = [await body(a), await body(b)];
          assert.equal(ta, tb, `${layout.name}, accept=${accept || "none"}, scrape ${scrape}`);
          assert.ok(ta.includes(`prom_exporter_up{target="a",service="a"} 1`), ta);
        }
      }
      const hits = memoTargets.reduce((n, t) => n + (t.memo?.stats.hits ?? 0), 0);
      assert.ok(hits >= 4, `${layout.name}: ${hits} memo hits`);
    }
  }
});

Deno.test("memo: scrapes sharing one flight all get the whole answer, in both formats", async () => {
  // The server writes every answer into one reused buffer, so a shared hit must keep its own copy of the
  // upstream part for the third and later sharers (MemoHit.writeInto).
  const gen = { n: 3 };
  await using up = changingUpstream(gen);
  const target = compileFor(up.origin, "/metrics", "a", true);
  const withMemoHandler = handlerFor([target]);
  const plainHandler = handlerFor([compileFor(up.origin, "/metrics", "a", false)]);
  const om = "application/openmetrics-text; version=1.0.0";
  const req = (accept: string) => new Request("http://x/metrics", { headers: { accept } });
  const read = async (r: Response) => normalizeVolatile(await r.text());
  for (let i = 0; i < 2; i++) await withMemoHandler(req("")); // learn the shape, then build its answer
  gen.n = 11;
  const hitsBefore = target.memo!.stats.hits;
  const accepts = ["", om, "", om, "", om, "", ""];
  const shared = await Promise.all(accepts.map((a) => withMemoHandler(req(a)).then(read)));
  assert.equal(target.memo!.stats.hits, hitsBefore + 1, "all requests shared one memo hit");
  const want = new Map<string, string>();
  for (const a of new Set(accepts)) want.set(a, await read(await plainHandler(req(a))));
  accepts.forEach((a, i) => assert.equal(shared[i], want.get(a), `request ${i} (accept=${a || "none"})`));
  assert.ok(want.get("")!.includes(" 165\n"), want.get(""));
});
