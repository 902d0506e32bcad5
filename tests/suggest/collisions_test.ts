/**
 * `suggest` on bodies whose names collide once the conventions apply (a rename onto another family's name, a
 * counter's `_total` or an info's `_info` form, camelCase beside snake_case, ids that look like numbers, an
 * `index` field beside the element index): end to end against a real upstream, the suggestion must pass
 * `check`, and `once` with it must log no warning and give an exposition promtool accepts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parse } from "yaml";
import { toolTest } from "../_lib/validators.ts";
import { assertCleanRun, suggestAndRun, type SuggestFixture } from "./_fixtures.ts";

const TEXT = "text/plain; version=0.0.4";
const JSON_ = "application/json";

/** A body, and what its series must include (`name{labels}` with `service="svc"` last), beyond a clean run. */
interface Case extends SuggestFixture {
  /** Series the exposition must have. */
  has?: string[];
  /** Series names it must not have. */
  hasNot?: string[];
  /** A pattern the suggestion must match. */
  yaml?: RegExp;
}

const text = (name: string, body: string, more: Partial<Case> = {}): Case => ({
  name,
  path: "/metrics",
  body,
  contentType: TEXT,
  ...more,
});
const json = (name: string, doc: unknown, more: Partial<Case> = {}, path = "/stats.json"): Case => ({
  name,
  path,
  body: JSON.stringify(doc),
  contentType: JSON_,
  ...more,
});

const CASES: Case[] = [
  text("text: uptime_seconds beside uptime_ms", "uptime_seconds 5\nuptime_ms 5000\n", {
    has: ['uptime_seconds{service="svc"}', 'uptime_2_seconds{service="svc"}'],
    yaml: /# .*uptime_seconds is another family's name: uptime_2_seconds\n.*match: uptime_ms/,
  }),
  text("text: uptime_ms before uptime_seconds", "uptime_ms 5000\nuptime_seconds 5\n", {
    has: ['uptime_seconds{service="svc"}', 'uptime_2_seconds{service="svc"}'],
  }),
  text("text: upload_kb beside upload_mb", "upload_kb 1\nupload_mb 2\n", {
    has: ['upload_bytes{service="svc"}', 'upload_2_bytes{service="svc"}'],
  }),
  text("text: requests beside requests_total", "requests 1\nrequests_total 2\n", {
    has: ['requests_2_total{service="svc"}', 'requests_total{service="svc"}'],
  }),
  text("text: responseTime beside response_time", "responseTime 1\nresponse_time 2\n", {
    has: ['response_time_2{service="svc"}', 'response_time{service="svc"}'],
  }),
  text(
    "text: a gauge fold and a counter fold onto one family",
    "a_foo 1\na_bar 2\n# TYPE a_baz counter\na_baz_total 1\n# TYPE a_qux counter\na_qux_total 2\n",
  ),
  json("json: app_info beside strings for the info metric", { app_info: 1, mode: "primary" }, {
    has: ['app_info{service="svc"}'],
    yaml: /type: info/,
  }),
  json("json: latency_ms beside latency_seconds", { latency_ms: 5, latency_seconds: 0.005 }, {
    has: ['latency_seconds{service="svc"}', 'latency_2_seconds{service="svc"}'],
  }),
  json("json: upload_kb beside upload_mb", { upload_kb: 1, upload_mb: 2 }),
  json("json: responseTime beside response_time", { responseTime: 1, response_time: 2 }),
  json("json: jobs beside jobs_total", { jobs: 2, jobs_total: 1 }),
  json("json: a count beside its own _total", { errors: 1, errors_total: 2, errors_count: 3 }),
  json("json: versions and ids as labels", {
    version: "2.1",
    build: "42",
    commit: "abc",
    id: 7,
    uptime_ms: 5,
  }, {
    has: ['app_info{version="2.1",build="42",commit="abc",id="7",service="svc"}'],
    hasNot: ["version", "build", "id"],
  }),
  json("json: an index field beside the element index", {
    items: [{ index: "a", v: 1 }, { index: "a", v: 2 }],
  }, { yaml: /labels: \{ index: "@\.index", key: "@key" \}/ }),
  json("json: a key named index beside an array", { index: 3, items: [{ v: 1 }, { v: 2 }] }, {
    has: ['index{service="svc"}'],
  }),
  json("json: ids of array elements as labels", [{ id: 1, v: 3 }, { id: 2, v: 4 }], {
    has: ['item_v{id="1",service="svc"}'],
  }, "/items"),
  json("json: fold family beside an info of that name", {
    request_p99: 0.2,
    request_p95: 0.1,
    request: { mode: "x" },
  }),
];

for (const c of CASES) {
  toolTest(`suggest: ${c.name}: no clash, no warning`, ["promtool"], async () => {
    const r = await suggestAndRun(c);
    const series = await assertCleanRun(r);
    for (const s of c.has ?? []) {
      assert.ok(series.includes(s), `${s} missing:\n${series.join("\n")}\n${r.yaml}`);
    }
    for (const n of c.hasNot ?? []) {
      assert.ok(!series.some((s) => s.startsWith(`${n}{`)), `${n} present:\n${series.join("\n")}`);
    }
    if (c.yaml !== undefined) assert.match(r.yaml, c.yaml);
    const names = (parse(r.yaml).targets[0].rules ?? []).map((rule: { name: string }) => rule.name);
    assert.equal(new Set(names).size, names.length, `two rules name one family:\n${r.yaml}`);
  });
}
