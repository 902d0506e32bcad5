import assert from "node:assert/strict";
import fc from "fast-check";
import type { DuplicatePolicy, RuleConfig, TargetConfig } from "../../src/config/types.ts";
import { UpstreamError } from "../../src/errors.ts";
import type { MetricFamily, MetricType, Sample } from "../../src/model.ts";
import { compileNameMatcher } from "../../src/patterns/mod.ts";
import { compileTransform, decide } from "../../src/transform/mod.ts";
import { testTarget } from "../_lib/helpers.ts";

function target(over: Partial<TargetConfig> = {}): TargetConfig {
  return testTarget(over);
}

function fam(
  name: string,
  type: MetricType,
  samples: [string, string[], number][],
  help = "h",
): MetricFamily {
  return {
    name,
    type,
    help,
    unit: "",
    samples: samples.map(([n, labels, value]) => ({ name: n, labels, value })),
  };
}

function gauge(name: string, value = 1, labels: string[] = []): MetricFamily {
  return fam(name, "gauge", [[name, labels, value]]);
}

function summary(families: MetricFamily[]): string[] {
  return families.flatMap((f) =>
    f.samples.map((s) => {
      const pairs: string[] = [];
      for (let i = 0; i < s.labels.length; i += 2) pairs.push(`${s.labels[i]}=${s.labels[i + 1]}`);
      return `${f.type} ${f.name}: ${s.name}{${pairs.join(",")}} ${s.value}`;
    })
  );
}

function match(m: string, over: Partial<Extract<RuleConfig, { kind: "match" }>> = {}): RuleConfig {
  return { kind: "match", match: m, labels: {}, ...over };
}

Deno.test("compileTransform() runs rules in order, each on the previous rule's output", () => {
  const t = compileTransform(target({
    rules: [
      { kind: "rename", map: { a: "b" } },
      { kind: "include", patterns: ["b", "c"] },
      match("(?<x>b)", { name: "c" }),
      match("c", { name: "d" }),
    ],
  }));
  assert.deepEqual(summary(t.apply([gauge("a"), gauge("z")])), ["gauge d: d{x=b} 1"]);
});

Deno.test("compileTransform() applies every matching match rule (no first-match-wins)", () => {
  const t = compileTransform(target({
    rules: [
      match("(.*)_ms", { name: "${1}_seconds", scale: 0.001 }),
      match("(?<op>get|put)_.*", { type: "gauge" }),
    ],
  }));
  assert.deepEqual(summary(t.apply([fam("get_ms", "unknown", [["get_ms", [], 250]])])), [
    "gauge get_seconds: get_seconds{op=get} 0.25",
  ]);
});

Deno.test("compileTransform() appends _total to counters and strips it from the family name", () => {
  const t = compileTransform(target({
    rules: [match("hits", { type: "counter" }), match("misses", { name: "misses_total", type: "counter" })],
  }));
  assert.deepEqual(summary(t.apply([gauge("hits", 3), gauge("misses", 4)])), [
    "counter hits: hits_total{} 3",
    "counter misses: misses_total{} 4",
  ]);
});

Deno.test("compileTransform() lets rules see a counter as name_total and retypes it to a gauge", () => {
  const counter = fam("jobs", "counter", [["jobs_total", [], 5], ["jobs_created", [], 1700000000]]);
  const t = compileTransform(
    target({ rules: [match("jobs_total", { name: "jobs_running", type: "gauge" })] }),
  );
  assert.deepEqual(summary(t.apply([counter])), ["gauge jobs_running: jobs_running{} 5"]);
});

Deno.test("compileTransform() keeps histograms and summaries intact: suffixes follow, type and scale do not apply", () => {
  const h = fam("lat", "histogram", [
    ["lat_bucket", ["le", "1"], 2],
    ["lat_bucket", ["le", "+Inf"], 3],
    ["lat_sum", [], 1.5],
    ["lat_count", [], 3],
  ]);
  const t = compileTransform(
    target({ namespace: "ns", rules: [match("lat", { name: "latency", type: "counter", scale: 10 })] }),
  );
  assert.deepEqual(summary(t.apply([h])), [
    "histogram ns_latency: ns_latency_bucket{le=1} 2",
    "histogram ns_latency: ns_latency_bucket{le=+Inf} 3",
    "histogram ns_latency: ns_latency_sum{} 1.5",
    "histogram ns_latency: ns_latency_count{} 3",
  ]);
});

Deno.test("compileTransform() sets rule labels over upstream ones and removes a label set to empty", () => {
  const t = compileTransform(target({ rules: [match("x", { labels: { a: "new", b: "" } })] }));
  assert.deepEqual(summary(t.apply([gauge("x", 1, ["a", "old", "b", "gone", "c", "kept"])])), [
    "gauge x: x{a=new,c=kept} 1",
  ]);
});

Deno.test("compileTransform() keeps a clashing upstream label as exported_<name>", () => {
  const t = compileTransform(target({ labels: { service: "mine" } }));
  assert.deepEqual(summary(t.apply([gauge("x", 1, ["service", "theirs"])])), [
    "gauge x: x{exported_service=theirs,service=mine} 1",
  ]);
});

Deno.test("compileTransform() gives relabel configs the names before the namespace", () => {
  const t = compileTransform(target({
    namespace: "ns",
    metricRelabelConfigs: [{ source_labels: ["__name__"], regex: "keep_.*", action: "keep" }],
  }));
  assert.deepEqual(summary(t.apply([gauge("keep_me"), gauge("drop_me")])), [
    "gauge ns_keep_me: ns_keep_me{} 1",
  ]);
});

Deno.test("compileTransform() moves a series renamed by relabelling to its new family, keeping _total", () => {
  const counter = fam("a", "counter", [["a_total", ["k", "1"], 1], ["a_total", ["k", "2"], 2]]);
  const t = compileTransform(target({
    metricRelabelConfigs: [{
      source_labels: ["__name__", "k"],
      regex: "a_total;2",
      target_label: "__name__",
      replacement: "b",
    }],
  }));
  assert.deepEqual(summary(t.apply([counter])), ["counter a: a_total{k=1} 1", "counter b: b_total{k=2} 2"]);
});

Deno.test("compileTransform() applies on_duplicate first, last and sum, and error names the series", () => {
  const input = [gauge("a_x", 1, ["k", "v"]), gauge("b_x", 2, ["k", "v"])];
  const rules = [match("(a|b)_x", { name: "x" })];
  const run = (onDuplicate: DuplicatePolicy) =>
    summary(compileTransform(target({ rules, onDuplicate })).apply(input));
  assert.deepEqual(run("first"), ["gauge x: x{k=v} 1"]);
  assert.deepEqual(run("last"), ["gauge x: x{k=v} 2"]);
  assert.deepEqual(run("sum"), ["gauge x: x{k=v} 3"]);
  assert.throws(() => run("error"), (e: unknown) =>
    e instanceof UpstreamError && e.reason === "duplicate" &&
    e.message === 'Duplicate series "x{k="v"}" after the rules');
});

Deno.test("compileTransform() treats label order as irrelevant for duplicates", () => {
  const input = [gauge("a", 1, ["x", "1", "y", "2"]), gauge("b", 2, ["y", "2", "x", "1"])];
  const t = compileTransform(target({ rules: [{ kind: "rename", map: { b: "a" } }], onDuplicate: "sum" }));
  assert.deepEqual(summary(t.apply(input)), ["gauge a: a{x=1,y=2} 3"]);
});

Deno.test("compileTransform() drops a unit that is not the last part of the final name", () => {
  const t = compileTransform(target({ rules: [match("(.*)", { unit: "seconds" })] }));
  const out = t.apply([gauge("wait_seconds"), gauge("wait")]);
  assert.deepEqual(out.map((f) => [f.name, f.unit]), [["wait_seconds", "seconds"], ["wait", ""]]);
});

Deno.test("compileTransform() gives a family without HELP one that names its source", () => {
  const t = compileTransform(target());
  assert.equal(t.apply([fam("x", "unknown", [["x", [], 1]], "")])[0].help, 'Upstream metric "x"');
});

Deno.test("compileTransform() never mutates its input", () => {
  const input = [gauge("a", 1, ["k", "v"]), fam("c", "counter", [["c_total", [], 2]])];
  const copy = structuredClone(input);
  const t = compileTransform(target({
    labels: { s: "x" },
    namespace: "n",
    rules: [match("(?<l>a)", { name: "b", scale: 2 })],
    metricRelabelConfigs: [{ target_label: "r", replacement: "1" }],
  }));
  t.apply(input);
  t.apply(input);
  assert.deepEqual(input, copy);
});

Deno.test("compileTransform() stays correct past its decision cache bound", () => {
  const t = compileTransform(
    target({ rules: [match("m_(?<i>[0-9]+)", { name: "m" })], onDuplicate: "error" }),
  );
  const families = Array.from({ length: 12_000 }, (_, i) => gauge(`m_${i}`, i));
  const out = t.apply(families);
  assert.equal(out.length, 1);
  assert.equal(out[0].samples.length, 12_000);
  assert.deepEqual(out[0].samples[11_999].labels, ["i", "11999"]);
  assert.equal(t.apply(families)[0].samples.length, 12_000);
});

Deno.test("decide() traces every rule that touched a name", () => {
  const { steps } = compileTransform(target({
    rules: [
      { kind: "exclude", patterns: ["nope"] },
      { kind: "rename", map: { a: "b" } },
      match("(?<x>b)", { name: "c", type: "counter", help: "H" }),
      { kind: "include", patterns: ["d"] },
    ],
  }));
  const trace: string[] = [];
  assert.equal(decide(steps, "a", "gauge", trace), null);
  assert.deepEqual(trace, [
    'rules[1] rename: "a" -> "b"',
    'rules[2] match "(?<x>b)": label x="b", name "c", type counter, help "H"',
    'rules[3] include: "c" matches none of "d": dropped',
  ]);
});

Deno.test("compileTransform() scales by 1/n as a division, so ms to s gives 0.957, not 0.9570000000000001", () => {
  const values = [957, 1, 123456789, -42, 0.5];
  for (const factor of [0.001, 0.000001, 0.01, 1024, 3, 0.5, 1 / 3, -0.001]) {
    const t = compileTransform(target({ rules: [match("m", { scale: factor })] }));
    const out = t.apply([fam("m", "gauge", values.map((v, i) => ["m", ["i", String(i)], v]))]);
    const n = Math.round(1 / factor);
    // The correctly rounded result: a division by n where the factor is exactly 1/n, else the product.
    const expected = values.map((v) =>
      Number.isInteger(n) && n !== 0 && 1 / n === factor ? v / n : v * factor
    );
    assert.deepEqual(out[0].samples.map((s) => s.value), expected, `scale ${factor}`);
  }
  const ms = compileTransform(target({ rules: [match("m", { scale: 0.001 })] }));
  assert.deepEqual(ms.apply([gauge("m", 957)])[0].samples[0].value, 0.957);
  const us = compileTransform(target({ rules: [match("m", { scale: 0.000001 })] }));
  assert.deepEqual(us.apply([gauge("m", 123456789)])[0].samples[0].value, 123.456789);
  const pct = compileTransform(target({ rules: [match("m", { scale: 0.01 })] }));
  assert.deepEqual(pct.apply([gauge("m", 7)])[0].samples[0].value, 0.07);
  // Two rules: the factors multiply first (0.1 * 0.01 is 0.001), then the product is analysed the same way.
  const two = compileTransform(target({ rules: [match("m", { scale: 0.1 }), match("m", { scale: 0.01 })] }));
  assert.equal(two.apply([gauge("m", 957)])[0].samples[0].value, 0.957);
  assert.equal(
    compileTransform(target({ rules: [match("m", { scale: 1024 })] })).apply([gauge("m", 3)])[0]
      .samples[0].value,
    3072,
  );
});

// ---- property tests ----

const NAME_ATOM = fc.constantFrom("a", "b", "ab", "x_y", "req", "lat");
const NAME = fc.array(NAME_ATOM, { minLength: 1, maxLength: 3 }).map((p) => p.join("_"));
const LABEL_NAME = fc.constantFrom("k", "code", "le", "quantile", "service");
const LABELS = fc.array(fc.tuple(LABEL_NAME, fc.constantFrom("", "1", "2", "a b", "\n")), { maxLength: 3 })
  .map((pairs) => {
    const seen = new Set<string>();
    return pairs.filter(([k]) => !seen.has(k) && seen.add(k)).flat();
  });
const TYPE = fc.constantFrom<MetricType>(
  "counter",
  "gauge",
  "unknown",
  "histogram",
  "summary",
  "info",
  "stateset",
  "gaugehistogram",
);
const SUFFIXES: Record<MetricType, string[]> = {
  counter: ["_total", "_created"],
  gauge: [""],
  unknown: [""],
  histogram: ["_bucket", "_sum", "_count", "_created"],
  gaugehistogram: ["_bucket", "_gsum", "_gcount"],
  summary: ["", "_sum", "_count"],
  info: ["_info"],
  stateset: [""],
};
const VALUE = fc.oneof(fc.double(), fc.constantFrom(0, 1, -1, NaN, Infinity));
const FAMILY = fc.tuple(NAME, TYPE, fc.array(fc.tuple(fc.nat(3), LABELS, VALUE), { maxLength: 4 }))
  .map(([name, type, raw]): MetricFamily => ({
    name,
    type,
    help: "",
    unit: "",
    samples: raw.map(([i, labels, value]): Sample => ({
      name: name + SUFFIXES[type][i % SUFFIXES[type].length],
      labels,
      value,
    })),
  }));
const PATTERN = fc.oneof(
  NAME,
  fc.array(fc.constantFrom("a", "b", "_", "*", "?"), { minLength: 1, maxLength: 5 }).map((c) => c.join("")),
  fc.constantFrom("/a.*/", "/(a|b)_.+/", "/.*_total/", "/[a-z]+/"),
);
const RULE: fc.Arbitrary<RuleConfig> = fc.oneof(
  fc.array(PATTERN, { minLength: 1, maxLength: 3 }).map((patterns): RuleConfig => ({
    kind: "include",
    patterns,
  })),
  fc.array(PATTERN, { minLength: 1, maxLength: 3 }).map((patterns): RuleConfig => ({
    kind: "exclude",
    patterns,
  })),
  fc.tuple(NAME, NAME).map(([a, b]): RuleConfig => ({ kind: "rename", map: { [a]: b } })),
  fc.record({
    match: fc.constantFrom("(?<k>a|b)_(.*)", "(.*)_total", "x_y(?<code>.*)", "(.+)"),
    name: fc.option(fc.constantFrom("m", "m_total", "$1", "x_$1"), { nil: undefined }),
    type: fc.option(fc.constantFrom("counter" as const, "gauge" as const, "unknown" as const), {
      nil: undefined,
    }),
    scale: fc.option(fc.constantFrom(0.001, 2, -1), { nil: undefined }),
  }).map((r): RuleConfig => ({
    kind: "match",
    match: r.match,
    labels: {},
    ...(r.name === undefined || (r.name.includes("$1") && !r.match.includes("(.")) ? {} : { name: r.name }),
    ...(r.type === undefined ? {} : { type: r.type }),
    ...(r.scale === undefined ? {} : { scale: r.scale }),
  })),
);

Deno.test("compileTransform() never throws anything but UpstreamError(duplicate) (property)", () => {
  fc.assert(
    fc.property(
      fc.array(FAMILY, { maxLength: 6 }),
      fc.array(RULE, { maxLength: 4 }),
      fc.constantFrom<DuplicatePolicy>("error", "first", "last", "sum"),
      fc.constantFrom("", "ns"),
      fc.boolean(),
      (families, rules, onDuplicate, namespace, relabel) => {
        const t = compileTransform(target({
          rules,
          onDuplicate,
          namespace,
          labels: { service: "s" },
          metricRelabelConfigs: relabel ? [{ source_labels: ["k"], regex: "1", action: "drop" }] : [],
        }));
        let out: MetricFamily[];
        try {
          out = t.apply(families);
        } catch (e) {
          assert.ok(e instanceof UpstreamError && e.reason === "duplicate", String(e));
          assert.equal(onDuplicate, "error");
          return;
        }
        for (const f of out) {
          assert.ok(f.samples.length > 0);
          assert.notEqual(f.help, "");
          for (const s of f.samples) {
            assert.ok(s.name.startsWith(f.name), `${s.name} in ${f.name}`);
            if (f.type === "counter") assert.ok(/_(total|created)$/.test(s.name), s.name);
          }
        }
      },
    ),
    { numRuns: 500 },
  );
});

/** A naive reference for one include/exclude pattern: exact, glob by recursion, or an anchored regex. */
function naiveMatch(pattern: string, name: string): boolean {
  if (pattern.length >= 2 && pattern.startsWith("/") && pattern.endsWith("/")) {
    return new RegExp(`^(?:${pattern.slice(1, -1)})$`, "u").test(name);
  }
  const glob = (p: number, n: number): boolean => {
    if (p === pattern.length) return n === name.length;
    if (pattern[p] === "*") return glob(p + 1, n) || (n < name.length && glob(p, n + 1));
    if (n === name.length) return false;
    return (pattern[p] === "?" || pattern[p] === name[n]) && glob(p + 1, n + 1);
  };
  return glob(0, 0);
}

Deno.test("compileNameMatcher() agrees with a naive reference implementation (property)", () => {
  const chars = fc.constantFrom("a", "b", "_", ".", "x");
  const name = fc.array(chars, { maxLength: 6 }).map((c) => c.join(""));
  const pattern = fc.oneof(
    fc.array(fc.constantFrom("a", "b", "_", ".", "*", "?", "+", "("), { minLength: 1, maxLength: 6 }).map((
      c,
    ) => c.join("")),
    fc.constantFrom("/a+/", "/a|b/", "/(a|_)*b?/", "/.*x/", "/[ab]._/", "//"),
  );
  fc.assert(
    fc.property(fc.array(pattern, { minLength: 1, maxLength: 4 }), name, (patterns, n) => {
      assert.equal(
        compileNameMatcher(patterns)(n),
        patterns.some((p) => naiveMatch(p, n)),
        `${patterns} ${n}`,
      );
    }),
    { numRuns: 2000 },
  );
});
