/**
 * The action table: Prometheus's documented behaviour of each relabel action, with the examples of the
 * Prometheus docs and the usual recipes. Run by relabel_test.ts and, against a real Prometheus, by
 * prometheus_oracle_test.ts.
 *
 * @module
 */

import { type Case, hashModReference, sample } from "../_lib/relabel.ts";

/** One case per behaviour of an action. */
export const ACTION_CASES: Case[] = [
  {
    name: "drop: metrics by name (go_.*)",
    rules: [{ source_labels: ["__name__"], regex: "go_.*", action: "drop" }],
    input: sample("go_goroutines"),
    want: null,
  },
  {
    name: "drop: a non-matching name is kept unchanged",
    rules: [{ source_labels: ["__name__"], regex: "go_.*", action: "drop" }],
    input: sample("process_cpu_seconds_total", { a: "1" }),
    want: { name: "process_cpu_seconds_total", labels: ["a", "1"] },
  },
  {
    name: "drop: the regex is anchored (foo does not match foobar)",
    rules: [{ source_labels: ["__name__"], regex: "foo", action: "drop" }],
    input: sample("foobar"),
    want: { name: "foobar", labels: [] },
  },
  {
    name: "keep: matching name is kept",
    rules: [{ source_labels: ["__name__"], regex: "http_.*|node_up", action: "keep" }],
    input: sample("node_up"),
    want: { name: "node_up", labels: [] },
  },
  {
    name: "keep: anchored, so a partial match drops",
    rules: [{ source_labels: ["__name__"], regex: "up", action: "keep" }],
    input: sample("upstream"),
    want: null,
  },
  {
    name: "keep: joined sources with the default separator",
    rules: [{ source_labels: ["__name__", "code"], regex: "http_requests_total;5..", action: "keep" }],
    input: sample("http_requests_total", { code: "503" }),
    want: { name: "http_requests_total", labels: ["code", "503"] },
  },
  {
    name: "keep: a missing source label counts as empty",
    rules: [{ source_labels: ["a", "missing", "b"], separator: "|", regex: "1\\|\\|2", action: "keep" }],
    input: sample("m", { a: "1", b: "2" }),
    want: { name: "m", labels: ["a", "1", "b", "2"] },
  },
  {
    name: "keep: no source labels means the empty string, which (.*) matches",
    rules: [{ action: "keep" }],
    input: sample("m"),
    want: { name: "m", labels: [] },
  },
  {
    name: "replace: defaults copy a label ((.*) and $1)",
    rules: [{ source_labels: ["host"], target_label: "instance" }],
    input: sample("m", { host: "a:9100" }),
    want: { name: "m", labels: ["host", "a:9100", "instance", "a:9100"] },
  },
  {
    name: "replace: capture group into a new label, appended",
    rules: [{ source_labels: ["instance"], regex: "(.*):\\d+", target_label: "host", replacement: "$1" }],
    input: sample("m", { instance: "db1:9100", z: "1" }),
    want: { name: "m", labels: ["instance", "db1:9100", "z", "1", "host", "db1"] },
  },
  {
    name: "replace: an existing label changes in place",
    rules: [{ source_labels: ["b"], target_label: "a", replacement: "x$1" }],
    input: sample("m", { a: "1", b: "2", c: "3" }),
    want: { name: "m", labels: ["a", "x2", "b", "2", "c", "3"] },
  },
  {
    name: "replace: an empty result removes the label",
    rules: [{ source_labels: ["missing"], target_label: "b" }],
    input: sample("m", { a: "1", b: "2", c: "3" }),
    want: { name: "m", labels: ["a", "1", "c", "3"] },
  },
  {
    name: "replace: a constant replacement with regex default sets a label",
    rules: [{ target_label: "env", replacement: "prod" }],
    input: sample("m"),
    want: { name: "m", labels: ["env", "prod"] },
  },
  {
    name: "replace: no match leaves the sample unchanged",
    rules: [{ source_labels: ["a"], regex: "x(.*)", target_label: "b" }],
    input: sample("m", { a: "1" }),
    want: { name: "m", labels: ["a", "1"] },
  },
  {
    name: "replace: the default regex does not match a value with a newline (Go's . excludes \\n)",
    rules: [{ source_labels: ["a"], target_label: "b" }],
    input: sample("m", { a: "x\ny" }),
    want: { name: "m", labels: ["a", "x\ny"] },
  },
  {
    name: "replace: target_label is a template",
    rules: [{ source_labels: ["k", "v"], regex: "(\\w+);(.*)", target_label: "tag_${1}", replacement: "$2" }],
    input: sample("m", { k: "color", v: "red" }),
    want: { name: "m", labels: ["k", "color", "v", "red", "tag_color", "red"] },
  },
  {
    name: "replace: an expanded target that is not a valid label name is skipped",
    rules: [{ source_labels: ["k"], regex: "(.*)", target_label: "$1", replacement: "x" }],
    input: sample("m", { k: "not-valid" }),
    want: { name: "m", labels: ["k", "not-valid"] },
  },
  {
    name: "replace: __name__ as target renames the sample",
    rules: [{
      source_labels: ["__name__"],
      regex: "(.*)_total",
      target_label: "__name__",
      replacement: "${1}_count",
    }],
    input: sample("jobs_total", { a: "1" }),
    want: { name: "jobs_count", labels: ["a", "1"] },
  },
  {
    name: "replace: __name__ set to an invalid metric name drops the sample",
    rules: [{ target_label: "__name__", replacement: "1abc" }],
    input: sample("m", { a: "1" }),
    want: null,
    scrapeError: "invalid metric name",
  },
  {
    name: "replace: named groups, $name and ${name}",
    rules: [{
      source_labels: ["a"],
      regex: "(?P<user>\\w+)@(?P<domain>.+)",
      target_label: "b",
      replacement: "$domain/${user}",
    }],
    input: sample("m", { a: "bob@example.org" }),
    want: { name: "m", labels: ["a", "bob@example.org", "b", "example.org/bob"] },
  },
  {
    name: "replace: $1x names group '1x', which does not exist, so it expands to nothing",
    rules: [{ source_labels: ["a"], regex: "(.)(.)", target_label: "b", replacement: "$1x-${1}x-$2" }],
    input: sample("m", { a: "pq" }),
    want: { name: "m", labels: ["a", "pq", "b", "-px-q"] },
  },
  {
    name: "replace: $$ is a dollar, a $ not followed by a name stays",
    rules: [{ source_labels: ["a"], target_label: "b", replacement: "$$1 costs $ $" }],
    input: sample("m", { a: "v" }),
    want: { name: "m", labels: ["a", "v", "b", "$1 costs $ $"] },
  },
  {
    name: "replace: action names are case-insensitive",
    rules: [{ source_labels: ["a"], target_label: "b", action: "RePlAcE" }],
    input: sample("m", { a: "v" }),
    want: { name: "m", labels: ["a", "v", "b", "v"] },
  },
  {
    name: "keepequal: keeps when the target label equals the joined sources",
    rules: [{ source_labels: ["a"], target_label: "b", action: "keepequal" }],
    input: sample("m", { a: "1", b: "1" }),
    want: { name: "m", labels: ["a", "1", "b", "1"] },
  },
  {
    name: "keepequal: drops when they differ",
    rules: [{ source_labels: ["a"], target_label: "b", action: "keepequal" }],
    input: sample("m", { a: "1", b: "2" }),
    want: null,
  },
  {
    name: "keepequal: a missing target equals a missing source",
    rules: [{ source_labels: ["x"], target_label: "y", action: "keepequal" }],
    input: sample("m"),
    want: { name: "m", labels: [] },
  },
  {
    name: "dropequal: drops when equal (joined with ;)",
    rules: [{ source_labels: ["a", "b"], target_label: "c", action: "dropequal" }],
    input: sample("m", { a: "1", b: "2", c: "1;2" }),
    want: null,
  },
  {
    name: "dropequal: keeps when different",
    rules: [{ source_labels: ["a"], target_label: "b", action: "dropequal" }],
    input: sample("m", { a: "1", b: "2" }),
    want: { name: "m", labels: ["a", "1", "b", "2"] },
  },
  {
    name: "hashmod: md5 of the joined sources, last 8 bytes, modulo",
    rules: [{ source_labels: ["instance"], modulus: 8, target_label: "__tmp_hash", action: "hashmod" }],
    input: sample("m", { instance: "node-1:9100" }),
    want: {
      name: "m",
      labels: ["instance", "node-1:9100", "__tmp_hash", hashModReference("node-1:9100", 8n)],
    },
  },
  {
    name: "hashmod: sharding recipe (hashmod then keep one shard)",
    rules: [
      { source_labels: ["instance"], modulus: 4, target_label: "__tmp_hash", action: "hashmod" },
      { source_labels: ["__tmp_hash"], regex: hashModReference("a:1", 4n), action: "keep" },
      { regex: "__tmp_hash", action: "labeldrop" },
    ],
    input: sample("m", { instance: "a:1" }),
    want: { name: "m", labels: ["instance", "a:1"] },
  },
  {
    name: "labelmap: kubernetes pod labels",
    rules: [{ regex: "__meta_kubernetes_pod_label_(.+)", action: "labelmap" }],
    input: sample("m", {
      __meta_kubernetes_pod_label_app: "web",
      __meta_kubernetes_pod_label_tier: "fe",
      x: "1",
    }),
    want: {
      name: "m",
      labels: [
        "__meta_kubernetes_pod_label_app",
        "web",
        "__meta_kubernetes_pod_label_tier",
        "fe",
        "x",
        "1",
        "app",
        "web",
        "tier",
        "fe",
      ],
    },
  },
  {
    name: "labelmap: replacement template",
    rules: [{ regex: "tag_(.+)", replacement: "t_${1}_x", action: "labelmap" }],
    input: sample("m", { tag_a: "1" }),
    want: { name: "m", labels: ["tag_a", "1", "t_a_x", "1"] },
  },
  {
    name: "labelmap: reads a snapshot, so new names are not mapped again",
    rules: [{ regex: "a(.*)", replacement: "aa$1", action: "labelmap" }],
    input: sample("m", { ab: "1" }),
    want: { name: "m", labels: ["ab", "1", "aab", "1"] },
  },
  {
    name: "labelmap: two labels mapping to one name, the later in name order wins",
    rules: [{ regex: "[ab]_(x)", replacement: "$1", action: "labelmap" }],
    input: sample("m", { b_x: "2", a_x: "1" }),
    want: { name: "m", labels: ["b_x", "2", "a_x", "1", "x", "2"] },
  },
  {
    name: "labelmap: a mapped name that is not a valid label name drops the sample",
    rules: [{ regex: "a_(.*)", replacement: "$1", action: "labelmap" }],
    input: sample("m", { a_: "1" }),
    want: null,
    scrapeError: "invalid metric name or label names",
  },
  {
    name: "labelmap: the invalid name can still be removed by a later rule",
    rules: [{ regex: "a_(.*)", replacement: "$1", action: "labelmap" }, { regex: "", action: "labeldrop" }],
    input: sample("m", { a_: "1" }),
    want: { name: "m", labels: ["a_", "1"] },
  },
  {
    name:
      "labelmap: a regex whose ) escapes the anchoring replaces each partial match (Go's ReplaceAllString)",
    rules: [{ regex: "a)|(b", replacement: "X$1", action: "labelmap" }],
    input: sample("m", { ab_b: "v" }),
    want: { name: "m", labels: ["ab_b", "v", "Xb_Xb", "v"] },
  },
  {
    name: "labeldrop: removes matching label names",
    rules: [{ regex: "__meta_.*|tmp", action: "labeldrop" }],
    input: sample("m", { __meta_a: "1", keep: "2", tmp: "3", __meta_b: "4" }),
    want: { name: "m", labels: ["keep", "2"] },
  },
  {
    name: "labeldrop: anchored on the label name",
    rules: [{ regex: "pod", action: "labeldrop" }],
    input: sample("m", { pod: "1", pod_ip: "2" }),
    want: { name: "m", labels: ["pod_ip", "2"] },
  },
  {
    name: "labeldrop: dropping __name__ drops the sample",
    rules: [{ regex: "__name__", action: "labeldrop" }],
    input: sample("m", { a: "1" }),
    want: null,
    scrapeError: "missing metric name",
  },
  {
    name: "labelkeep: keeps only matching names, __name__ included",
    rules: [{ regex: "__name__|job|instance|a", action: "labelkeep" }],
    input: sample("m", { a: "1", b: "2", c: "3" }),
    want: { name: "m", labels: ["a", "1"] },
  },
  {
    name: "labelkeep: a regex that does not keep __name__ drops the sample",
    rules: [{ regex: "a", action: "labelkeep" }],
    input: sample("m", { a: "1" }),
    want: null,
    noOracle: "also drops job and instance, so the series cannot be found by job",
  },
  {
    name: "lowercase: ASCII",
    rules: [{ source_labels: ["a"], target_label: "a", action: "lowercase" }],
    input: sample("m", { a: "GET" }),
    want: { name: "m", labels: ["a", "get"] },
  },
  {
    name: "uppercase: joined sources into a new label",
    rules: [{ source_labels: ["a", "b"], target_label: "c", action: "uppercase" }],
    input: sample("m", { a: "x", b: "y" }),
    want: { name: "m", labels: ["a", "x", "b", "y", "c", "X;Y"] },
  },
  {
    name: "lowercase/uppercase: Go's per-rune simple mapping (ß and ᾳ stay single, İ gives i, Σ gives σ)",
    rules: [
      { source_labels: ["a"], target_label: "up", action: "uppercase" },
      { source_labels: ["a"], target_label: "low", action: "lowercase" },
    ],
    input: sample("m", { a: "straße İx ᾳ Σ" }),
    want: { name: "m", labels: ["a", "straße İx ᾳ Σ", "up", "STRAßE İX ᾼ Σ", "low", "straße ix ᾳ σ"] },
  },
  {
    name: "lowercase: an empty source removes the target",
    rules: [{ source_labels: ["missing"], target_label: "a", action: "lowercase" }],
    input: sample("m", { a: "X", b: "y" }),
    want: { name: "m", labels: ["b", "y"] },
  },
  {
    name: "rules apply in order and see earlier results",
    rules: [
      { source_labels: ["a"], target_label: "b", replacement: "${1}1" },
      { source_labels: ["b"], regex: "x1", action: "drop" },
    ],
    input: sample("m", { a: "x" }),
    want: null,
  },
];
