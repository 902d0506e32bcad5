/**
 * Real pages relayed as users relay them: Debian's node_exporter (client_golang) and a client_python app,
 * with no rules at all, through every answer path (`/metrics` with and without the memo, `/probe`, `once`)
 * in both negotiated formats, each answer judged by promtool and the strict OpenMetrics parser. Then the
 * other findings of issue 12 that only show with several sources in one document: `_created` as sent,
 * statesets after relabelling, several targets without labels, `--web.disable-exporter-metrics`.
 *
 * Fixtures in tests/testdata/relay/: `node_exporter.prom` is node_exporter 1.5.0's own /metrics;
 * `client_python.prom` and `.om` are what `client_python_app.py` writes (python3-prometheus-client 0.16).
 */

import assert from "node:assert/strict";
import { run } from "../../main.ts";
import { serveUpstream } from "../_lib/helpers.ts";
import { startExporter } from "../_lib/run.ts";
import {
  assertWellFormed,
  promtoolCheck,
  pythonParseOpenMetrics,
  pythonParseText,
  toolTest,
} from "../_lib/validators.ts";

const RELAY = new URL("../testdata/relay/", import.meta.url);
const TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
const OM_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const OM_ACCEPT = "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1";

function fixture(name: string): Response {
  return new Response(Deno.readFileSync(new URL(name, RELAY)), {
    headers: { "content-type": name.endsWith(".om") ? OM_TYPE : TEXT_TYPE },
  });
}

const PAGES = ["node_exporter.prom", "client_python.prom", "client_python.om"];

/** Fails unless `text` is a valid exposition of its format for every judge (lint notes about names allowed). */
async function assertValid(text: string, om: boolean, what: string): Promise<void> {
  assertWellFormed(text, om ? "openmetrics" : "text");
  if (om) {
    await pythonParseOpenMetrics(text).catch((e) => assert.fail(`${what}: strict OpenMetrics parser: ${e}`));
    return;
  }
  const check = await promtoolCheck(text);
  // promtool lints the upstream's own names (camelCase in node_memory_*); a parse error is what fails.
  assert.doesNotMatch(check.output, /error while linting|parsing error|second HELP|second TYPE/, what);
  await pythonParseText(text).catch((e) => assert.fail(`${what}: Python text parser: ${e}`));
}

/** Fetches `url` in both formats; returns the bodies. */
async function bothFormats(url: string): Promise<{ text: string; om: string }> {
  const text = await (await fetch(url, { headers: { accept: "text/plain" } })).text();
  const res = await fetch(url, { headers: { accept: OM_ACCEPT } });
  assert.equal(res.headers.get("content-type"), OM_TYPE);
  return { text, om: await res.text() };
}

async function writeConfig(text: string): Promise<string> {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/config.yaml`, text);
  return `${dir}/config.yaml`;
}

for (const page of PAGES) {
  for (const memo of [true, false]) {
    toolTest(
      `a ${page} relayed with no rules (${
        memo ? "memo" : "no memo"
      }) is valid in both formats, three scrapes`,
      ["promtool", "python"],
      async () => {
        await using up = serveUpstream({ [`/${page}`]: () => fixture(page) });
        const ex = await startExporter(["-u", `${up.origin}/${page}`, ...(memo ? [] : ["--scrape.no-memo"])]);
        try {
          // The first scrape runs the pipeline, the second builds the memo, the third is a memo hit.
          for (let i = 0; i < 3; i++) {
            const { text, om } = await bothFormats(`${ex.base}/metrics`);
            await assertValid(text, false, `${page} text, scrape ${i + 1}`);
            await assertValid(om, true, `${page} OpenMetrics, scrape ${i + 1}`);
            assert.match(text, /^process_cpu_seconds_total /m);
            assert.match(text, /^prom_exporter_up\{target="default"\} 1$/m);
          }
          // The upstream's process series meet the exporter's own: ours win, logged once per cause.
          const logged = ex.err.join("").split("\n").filter((l) =>
            l.includes("series conflict") && l.includes("family=process_cpu_seconds ")
          );
          assert.equal(logged.length, 1, ex.err.join(""));
        } finally {
          await ex.stop();
        }
      },
    );
  }

  toolTest(
    `a ${page} relayed through /probe and once is valid in both formats`,
    ["promtool", "python"],
    async () => {
      await using up = serveUpstream({ [`/${page}`]: () => fixture(page) });
      const port = new URL(up.origin).port;
      const file = await writeConfig(`modules:\n  relay:\n    allowed_targets: ["127.0.0.1:${port}"]\n`);
      const ex = await startExporter(["--config.file", file]);
      try {
        const target = encodeURIComponent(`${up.origin}/${page}`);
        const { text, om } = await bothFormats(`${ex.base}/probe?module=relay&target=${target}`);
        await assertValid(text, false, `${page} /probe text`);
        await assertValid(om, true, `${page} /probe OpenMetrics`);
        assert.match(text, /^prom_exporter_up 1$/m);
      } finally {
        await ex.stop();
      }
      const out: string[] = [];
      const err: string[] = [];
      const code = await run(["once", "-u", `${up.origin}/${page}`], {
        env: {},
        stdout: (t) => out.push(t),
        stderr: (t) => err.push(t),
        cwd: Deno.cwd(),
      });
      assert.equal(code, 0, err.join(""));
      await assertValid(out.join(""), false, `${page} once`);
    },
  );
}

toolTest("client_python's text x_created gauges are rules' to see and drop", ["python"], async () => {
  await using up = serveUpstream({ "/m": () => fixture("client_python.prom") });
  const kept = await startExporter(["-u", `${up.origin}/m`, "-s", "app"]);
  const dropped = await startExporter(["-u", `${up.origin}/m`, "-s", "app", "-e", "*_created"]);
  try {
    const a = await bothFormats(`${kept.base}/metrics`);
    // Text: the gauge as sent. OpenMetrics: each point's _created right after its _total.
    assert.match(a.text, /^# TYPE http_requests_created gauge$/m);
    assert.match(
      a.om,
      /^http_requests_total\{code="200",method="get",service="app"\} 5\nhttp_requests_created\{code="200",method="get",service="app"\} [0-9.e+]+\nhttp_requests_total\{code="500"/m,
    );
    assert.match(
      a.om,
      /^request_latency_seconds_sum\{path="\/a",service="app"\} 0\.2\nrequest_latency_seconds_created\{path="\/a",service="app"\} /m,
    );
    await assertValid(a.om, true, "created kept");
    const b = await bothFormats(`${dropped.base}/metrics`);
    assert.doesNotMatch(b.text + b.om, /_created/);
    assert.match(b.om, /^http_requests_total\{code="200",method="get",service="app"\} 5$/m);
    await assertValid(b.om, true, "created dropped");
  } finally {
    await kept.stop();
    await dropped.stop();
  }
});

toolTest(
  "a stateset whose state label a relabel config renames is written as a valid gauge",
  ["python"],
  async () => {
    const page = "# TYPE task_state stateset\n# HELP task_state State.\n" +
      'task_state{task_state="running"} 1\ntask_state{task_state="stopped"} 0\n' +
      '# TYPE other stateset\nother{other="a"} 1\nother{other="b"} 0\n# EOF\n';
    await using up = serveUpstream({
      "/m": () => new Response(page, { headers: { "content-type": OM_TYPE } }),
    });
    const file = await writeConfig(`targets:
  - name: app
    url: ${up.origin}/m
    metric_relabel_configs:
      - source_labels: [task_state]
        target_label: state
      - action: labeldrop
        regex: task_state
`);
    const ex = await startExporter(["--config.file", file]);
    try {
      const { om } = await bothFormats(`${ex.base}/metrics`);
      await assertValid(om, true, "relabelled stateset");
      assert.match(om, /^# TYPE task_state gauge$/m);
      assert.match(om, /^task_state\{state="running"\} 1$/m);
      // An untouched stateset stays one.
      assert.match(om, /^# TYPE other stateset$/m);
    } finally {
      await ex.stop();
    }
  },
);

toolTest("several targets without labels: each visible by target, duplicates resolved by on_duplicate", [
  "promtool",
  "python",
], async () => {
  const stats = { requests: 5, errors: 1 };
  await using up = serveUpstream({
    "/a": () => Response.json(stats),
    "/down": () => new Response("no", { status: 503 }),
  });
  const file = await writeConfig(`targets:
  - { name: one, url: "${up.origin}/a" }
  - { name: two, url: "${up.origin}/a" }
  - { name: three, url: "${up.origin}/down" }
  - { name: four, url: "${up.origin}/a", on_duplicate: first }
`);
  const ex = await startExporter(["--config.file", file]);
  try {
    for (let i = 0; i < 3; i++) {
      const { text, om } = await bothFormats(`${ex.base}/metrics`);
      await assertValid(text, false, "four targets text");
      await assertValid(om, true, "four targets OpenMetrics");
      assert.match(text, /^prom_exporter_up\{target="one"\} 1$/m);
      // `two` sends what `one` sent; its on_duplicate is error: it fails, visibly.
      assert.match(text, /^prom_exporter_up\{target="two"\} 0$/m);
      assert.match(text, /^prom_exporter_scrape_errors_total\{target="two",reason="duplicate"\} [1-9]/m);
      assert.match(text, /^prom_exporter_up\{target="three"\} 0$/m);
      // `four` keeps the first series and is up; the conflict is counted.
      assert.match(text, /^prom_exporter_up\{target="four"\} 1$/m);
      assert.match(text, /^prom_exporter_series_conflicts_total\{target="four",kind="duplicate"\} [1-9]/m);
      assert.equal(text.match(/^requests /gm)?.length, 1, text);
      assert.match(text, /^prom_exporter_scrape_duration_seconds\{target="three"\} /m);
    }
  } finally {
    await ex.stop();
  }
});

Deno.test("--web.disable-exporter-metrics leaves out the exporter's process metrics and build info", async () => {
  await using up = serveUpstream({ "/m": () => fixture("client_python.prom") });
  const ex = await startExporter(["-u", `${up.origin}/m`, "--web.disable-exporter-metrics"]);
  try {
    const text = await (await fetch(`${ex.base}/metrics`)).text();
    assert.doesNotMatch(text, /prom_exporter_build_info/);
    // The upstream's own process series pass as sent, with no conflict.
    assert.match(text, /^process_cpu_seconds_total 0\.06$/m);
    assert.match(text, /^process_max_fds 20000$/m);
    assert.match(text, /^prom_exporter_up\{target="default"\} 1$/m);
    assert.doesNotMatch(ex.err.join(""), /series conflict/);
  } finally {
    await ex.stop();
  }
});

Deno.test("check warns about targets that no static label tells apart, and only about those", async () => {
  const file = await writeConfig(`targets:
  - { name: one, url: "http://127.0.0.1:1/a" }
  - { name: two, url: "http://127.0.0.1:1/b" }
  - { name: three, url: "http://127.0.0.1:1/c", labels: { instance: c } }
`);
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    env: {},
    stdout: (t: string) => out.push(t),
    stderr: (t: string) => err.push(t),
    cwd: Deno.cwd(),
  };
  assert.equal(await run(["check", "--config.file", file], io), 0);
  assert.match(err.join(""), /^warning: targets "one" and "two" have the same static labels \{\}/m);
  assert.doesNotMatch(err.join(""), /"three"/);
  assert.match(out.join(""), /is valid: 3 target/);
});
