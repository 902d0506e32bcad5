/**
 * The streaming pipeline against the whole-document one, and the series cache against no cache: block by
 * block parsing at every block size, one streaming pass equal to decode-then-transform, and sequences of
 * scrapes through the series cache (steady, churned, reordered, metadata changed, broken) equal to the same
 * scrapes without it.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { parseCommandLine } from "../../src/cli/mod.ts";
import { parseConfigText } from "../../src/config/load.ts";
import { ParseError } from "../../src/errors.ts";
import { writeText } from "../../src/exposition/text.ts";
import { decodeBody, decodeStream, decodeStreamPaced, textBlocks } from "../../src/formats/mod.ts";
import { parsePrometheusText, type TextFormat, TextParser } from "../../src/formats/text/mod.ts";
import { SeriesCache } from "../../src/formats/series_cache.ts";
import type { MetricFamily } from "../../src/model.ts";
import { type CompiledTarget, compileTarget, withSeriesCache } from "../../src/scrape/mod.ts";
import { outputKeeper } from "../../src/transform/mod.ts";
import type { UpstreamBody } from "../../src/upstream/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const ENC = new TextEncoder();
const TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
const OM_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

const FIXTURES: [string, TextFormat][] = [
  ["tests/testdata/relay/node_exporter.prom", "prometheus"],
  ["tests/testdata/relay/client_python.prom", "prometheus"],
  ["tests/testdata/relay/client_python.om", "openmetrics"],
  ["tests/testdata/parse/node_exporter.prom", "prometheus"],
  ["tests/testdata/parse/openmetrics.txt", "openmetrics"],
];

/** Configs the streaming and cached pipelines are held to: no rules, the bench's typical rules, and more. */
const CONFIGS: Record<string, string> = {
  none: "targets:\n  - name: t\n    url: http://127.0.0.1:1/metrics\n",
  typical: Deno.readTextFileSync(ROOT + "bench/system/configs/typical.yaml"),
  everything: `targets:
  - name: t
    url: http://127.0.0.1:1/metrics
    namespace: ns
    labels: { env: test, instance: fixed }
    on_duplicate: sum
    rules:
      - exclude: ["*_created"]
      - match: "(?<kind>[a-z]+)_(?<rest>.*)_total"
        name: "\${rest}_total"
      - match: ".*_seconds"
        scale: 1000
      - rename: { up: target_up }
    metric_relabel_configs:
      - source_labels: [code]
        regex: "5.."
        action: drop
      - regex: "pod"
        action: labeldrop
      - source_labels: [__name__]
        regex: "ns_go_(.*)"
        target_label: __name__
        replacement: "go_\${1}"
`,
};

function target(config: string): CompiledTarget {
  const inv = parseCommandLine(["check", "--config.file", "c.yaml"], {});
  if (inv.kind !== "run") throw new Error("unreachable");
  return compileTarget(parseConfigText(config, "c.yaml", inv.flags, ROOT).targets[0]);
}

function body(text: string, format: TextFormat): UpstreamBody {
  return { bytes: ENC.encode(text), contentType: format === "openmetrics" ? OM_TYPE : TEXT_TYPE };
}

/** The whole-document pipeline: decode, then apply the rules. */
function batch(t: CompiledTarget, b: UpstreamBody): MetricFamily[] {
  const decoded = decodeBody(t.decoder, b);
  return t.transform.apply(decoded.families, { asSent: decoded.asSent });
}

/** One streaming pass, with the target's series cache when it has one. */
function stream(t: CompiledTarget, b: UpstreamBody): MetricFamily[] {
  return decodeStream(t.decoder, b, (asSent) => t.transform.begin({ asSent }), t.seriesCache).families;
}

/** The outcome as comparable text: the document, or the error's class, message and line. */
function outcome(f: () => MetricFamily[]): string {
  try {
    return writeText(f());
  } catch (e) {
    if (e instanceof ParseError) return `ParseError line ${e.line}: ${e.message}`;
    if (e instanceof Error) return `${e.name}: ${e.message}`;
    throw e;
  }
}

function parseInBlocks(text: string, format: TextFormat, blockBytes: number): MetricFamily[] {
  const parser = new TextParser(format, null);
  for (const block of textBlocks(ENC.encode(text), blockBytes)) parser.push(block);
  return parser.finish();
}

for (const [file, format] of FIXTURES) {
  Deno.test(`TextParser in blocks of 1 to 64 bytes and 4 KiB parses ${file} as the whole text`, () => {
    const text = Deno.readTextFileSync(ROOT + file);
    const whole = parsePrometheusText(text, format);
    for (const size of [1, 2, 3, 7, 16, 64, 4096]) {
      assert.deepStrictEqual(parseInBlocks(text, format, size), whole, `block size ${size}`);
    }
  });

  for (const name of Object.keys(CONFIGS)) {
    Deno.test(`one streaming pass equals decode-then-transform: ${file}, ${name} rules`, () => {
      const t = target(CONFIGS[name]);
      const b = body(Deno.readTextFileSync(ROOT + file), format);
      assert.equal(outcome(() => stream(t, b)), outcome(() => batch(t, b)));
    });
  }
}

Deno.test("TextParser in blocks names the same line for errors in any block", () => {
  const good = "# TYPE a counter\na_total 1\n# TYPE b gauge\nb 2\n";
  const bad = [
    good + 'c{x="1} 3\n',
    good + "a_total -1\n",
    good + "d 1\u0000\n",
    good + "# TYPE b gauge\n",
    "x 1\n".repeat(50) + "x{a=1} 2\n",
  ];
  for (const text of bad) {
    const whole = outcome(() => parsePrometheusText(text, "prometheus"));
    assert.match(whole, /^ParseError line \d+/);
    for (const size of [1, 5, 13, 4096]) {
      assert.equal(
        outcome(() => parseInBlocks(text, "prometheus", size)),
        whole,
        `block size ${size}: ${text}`,
      );
    }
  }
  const om = "# TYPE a gauge\na 1\n# EOF\n";
  for (const size of [1, 4, 4096]) {
    assert.deepStrictEqual(parseInBlocks(om, "openmetrics", size), parsePrometheusText(om, "openmetrics"));
    assert.equal(
      outcome(() => parseInBlocks(om + "a 2\n", "openmetrics", size)),
      outcome(() => parsePrometheusText(om + "a 2\n", "openmetrics")),
    );
    assert.equal(
      outcome(() => parseInBlocks("a 1\n", "openmetrics", size)),
      outcome(() => parsePrometheusText("a 1\n", "openmetrics")),
    );
  }
});

Deno.test("textBlocks: a leading BOM is skipped, invalid UTF-8 is a ParseError, blocks end at line feeds", () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...ENC.encode("a 1\nb 2\n")]);
  assert.deepEqual([...textBlocks(bytes, 4)], ["a 1\n", "b 2\n"]);
  assert.deepEqual([...textBlocks(ENC.encode("long line here\nx\n"), 3)], ["long line here\n", "x\n"]);
  assert.throws(() => [...textBlocks(new Uint8Array([0x61, 0x20, 0xff, 0x0a]))], ParseError);
  // A multi-byte character is never cut: blocks are cut only after a line feed.
  assert.deepEqual([...textBlocks(ENC.encode("é 1\nü 2\n"), 2)], ["é 1\n", "ü 2\n"]);
});

Deno.test("a text counter x_total whose gauge x is declared after its samples streams through a restart", () => {
  const text = "# TYPE x_total counter\nx_total 3\n# TYPE x gauge\nx 1\n";
  for (const name of Object.keys(CONFIGS)) {
    const t = target(CONFIGS[name]);
    assert.equal(
      outcome(() => stream(t, body(text, "prometheus"))),
      outcome(() => batch(t, body(text, "prometheus"))),
    );
  }
  // The usual client_golang order (gauge first) needs no restart and gives the same.
  const golang = "# TYPE x gauge\nx 1\n# TYPE x_total counter\nx_total 3\n";
  const t = target(CONFIGS.none);
  assert.equal(
    outcome(() => stream(t, body(golang, "prometheus"))),
    outcome(() => batch(t, body(golang, "prometheus"))),
  );
});

// ------------------------------------------------------------------------------------------- series cache

/** A generated upstream: families of a few types, each with series over small label alphabets. */
interface GenFamily {
  name: string;
  type: "counter" | "gauge" | "histogram" | "untyped";
  help: string;
  series: string[][];
}

const genFamilies = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom(
      "up",
      "jobs",
      "http_requests",
      "go_gc_seconds",
      "queue_depth",
      "pod_info",
      "lat_seconds",
    ),
    type: fc.constantFrom("counter", "gauge", "histogram", "untyped") as fc.Arbitrary<GenFamily["type"]>,
    help: fc.constantFrom("", "Help.", "Other help."),
    series: fc.uniqueArray(
      fc.array(fc.constantFrom("code", "pod", "instance"), { maxLength: 2 }).chain((names) =>
        fc.tuple(
          ...[...new Set(names)].map((n) =>
            fc.tuple(fc.constant(n), fc.constantFrom("2xx", "5xx", "a", "b"))
          ),
        )
          .map((pairs) => pairs.flat())
      ),
      { minLength: 1, maxLength: 4, selector: (l) => l.join(",") },
    ),
  }),
  { maxLength: 6, selector: (f) => f.name },
);

function renderFamilies(families: GenFamily[], values: number[]): string {
  let out = "";
  let v = 0;
  const next = () => values[v++ % values.length];
  for (const f of families) {
    const metaName = f.type === "counter" ? f.name + "_total" : f.name;
    if (f.help !== "") out += `# HELP ${metaName} ${f.help}\n`;
    out += `# TYPE ${metaName} ${f.type}\n`;
    for (const labels of f.series) {
      const pairs: string[] = [];
      for (let i = 0; i < labels.length; i += 2) pairs.push(`${labels[i]}="${labels[i + 1]}"`);
      const set = (extra: string[]) => {
        const all = [...pairs, ...extra];
        return all.length === 0 ? "" : `{${all.join(",")}}`;
      };
      if (f.type === "histogram") {
        const a = Math.abs(Math.floor(next()));
        out += `${f.name}_bucket${set(['le="1"'])} ${a}\n${f.name}_bucket${set(['le="+Inf"'])} ${a + 1}\n`;
        out += `${f.name}_sum${set([])} ${next()}\n${f.name}_count${set([])} ${a + 1}\n`;
      } else if (f.type === "counter") {
        out += `${metaName}${set([])} ${Math.abs(next())}\n`;
      } else {
        out += `${f.name}${set([])} ${next()}\n`;
      }
    }
  }
  return out;
}

const genValues = fc.array(
  fc.oneof(fc.integer({ min: -5, max: 1000 }), fc.double({ noNaN: true, min: -1e6, max: 1e6 })),
  {
    minLength: 1,
    maxLength: 8,
  },
);

Deno.test("the series cache gives what no cache gives, over sequences of changing scrapes", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(genFamilies, genValues), { minLength: 2, maxLength: 5 }),
      fc.constantFrom(...Object.keys(CONFIGS)),
      (scrapes, configName) => {
        const plain = target(CONFIGS[configName]);
        const cached = withSeriesCache(target(CONFIGS[configName]));
        // Each generated shape is scraped twice (a steady scrape hits), then the next shape comes.
        for (const [families, values] of scrapes) {
          for (const round of [0, 1]) {
            const b = body(
              renderFamilies(families, round === 0 ? values : values.map((x) => x + 1)),
              "prometheus",
            );
            assert.equal(outcome(() => stream(cached, b)), outcome(() => stream(plain, b)));
          }
        }
      },
    ),
    { numRuns: 150 },
  );
});

Deno.test("the series cache: steady scrapes hit every line, a late error leaves it as it was, it shrinks", () => {
  const t = withSeriesCache(target(CONFIGS.typical));
  const cache = t.seriesCache as SeriesCache;
  const lines = (n: number, v: number) => {
    let out = "# TYPE upstream_queue_depth_00001 gauge\n";
    for (let i = 0; i < n; i++) out += `upstream_queue_depth_00001{instance="node-${i}"} ${v + i}\n`;
    return out;
  };
  stream(t, body(lines(100, 1), "prometheus"));
  const second = stream(t, body(lines(100, 2), "prometheus"));
  assert.equal(cache.lastHits, 100);
  assert.equal(second[0].samples[5].value, 7);
  // A body that breaks on its last line: the scrape fails whole and the cache keeps the last good scrape.
  assert.throws(() => stream(t, body(lines(100, 3) + "broken{\n", "prometheus")), ParseError);
  stream(t, body(lines(100, 4), "prometheus"));
  assert.equal(cache.lastHits, 100);
  assert.equal(cache.size, 100);
  stream(t, body(lines(10, 5), "prometheus"));
  assert.equal(cache.size, 10);
});

Deno.test("the series cache: a changed HELP, TYPE or scale rule is never served from old entries", () => {
  const t = withSeriesCache(target(CONFIGS.everything));
  const a = '# HELP lat_seconds Old.\n# TYPE lat_seconds gauge\nlat_seconds{pod="a"} 2\n';
  const b = '# HELP lat_seconds New.\n# TYPE lat_seconds gauge\nlat_seconds{pod="a"} 2\n';
  const c = '# HELP lat_seconds New.\n# TYPE lat_seconds counter\nlat_seconds{pod="a"} 2\n';
  const plain = target(CONFIGS.everything);
  for (const text of [a, a, b, b, c, c, a]) {
    assert.equal(
      outcome(() => stream(t, body(text, "prometheus"))),
      outcome(() => stream(plain, body(text, "prometheus"))),
    );
  }
  assert.match(
    outcome(() => stream(t, body(a, "prometheus"))),
    /ns_lat_seconds\{env="test",instance="fixed"\} 2000/,
  );
});

Deno.test("the series cache stands aside after a scrape that mostly missed, and comes back", () => {
  const cache = new SeriesCache(outputKeeper());
  const t = target(CONFIGS.none);
  t.seriesCache = cache;
  const shape = (gen: number) => {
    let out = "# TYPE g gauge\n";
    for (let i = 0; i < 50; i++) out += `g{id="${gen}-${i}"} 1\n`;
    return body(out, "prometheus");
  };
  stream(t, shape(0));
  stream(t, shape(1)); // every line new: the cache stands aside for the next scrapes
  assert.equal(cache.lastHits, 0);
  for (let i = 0; i < 3; i++) assert.equal(cache.begin(), false);
  assert.equal(cache.begin(), true);
  cache.abort();
  stream(t, shape(1));
  stream(t, shape(1));
  assert.equal(cache.lastHits, 50);
});

Deno.test("the paced decode gives what the one-go decode gives; one scrape at a time holds the cache", async () => {
  const text = Deno.readTextFileSync(ROOT + "tests/testdata/relay/node_exporter.prom");
  const b = body(text, "prometheus");
  const plain = target(CONFIGS.typical);
  const cached = withSeriesCache(target(CONFIGS.typical));
  const begin = (t: CompiledTarget) => (asSent: boolean) => t.transform.begin({ asSent });
  const want = writeText(decodeStream(plain.decoder, b, begin(plain)).families);
  const [x, y] = await Promise.all([
    decodeStreamPaced(cached.decoder, b, begin(cached), cached.seriesCache),
    decodeStreamPaced(cached.decoder, b, begin(cached), cached.seriesCache),
  ]);
  assert.equal(writeText(x.families), want);
  assert.equal(writeText(y.families), want);
  const again = await decodeStreamPaced(cached.decoder, b, begin(cached), cached.seriesCache);
  assert.equal(writeText(again.families), want);
  assert.ok((cached.seriesCache as SeriesCache).lastHits > 0);
  // A scrape holds the cache from begin to commit or abort; another scrape meanwhile runs without it.
  const cache = new SeriesCache();
  assert.equal(cache.begin(), true);
  assert.equal(cache.begin(), false);
  cache.abort();
  assert.equal(cache.begin(), true);
  cache.commit();
});

Deno.test("the series cache still checks each value: a cached counter line gone negative fails the scrape", () => {
  const t = withSeriesCache(target(CONFIGS.none));
  const page = (v: number) =>
    `# TYPE jobs_total counter\njobs_total{queue="a"} 1\njobs_total{queue="b"} ${v}\n`;
  stream(t, body(page(2), "prometheus"));
  stream(t, body(page(3), "prometheus"));
  assert.equal((t.seriesCache as SeriesCache).lastHits, 2);
  const plain = target(CONFIGS.none);
  const want = outcome(() => stream(plain, body(page(-1), "prometheus")));
  assert.match(want, /^ParseError line 3: line 3: Counter sample "jobs_total" is negative or NaN/);
  assert.equal(outcome(() => stream(t, body(page(-1), "prometheus"))), want);
});
