/**
 * The monitoring mixin in deploy/mixin: the alerting rules pass `promtool check rules` and their unit tests
 * (`promtool test rules`); the dashboard's expressions file is in sync with dashboard.json and passes
 * `promtool check rules`; every metric the mixin names is one the exporter writes; and end to end, a real
 * Prometheus loads alerts.yaml and scrapes a real exporter process (one healthy and one refused upstream, a
 * failing /probe target, then a rejected reload), and we read back through its HTTP API that each alert's
 * expression is true exactly where it must be and that every dashboard expression returns data.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startListening } from "../_lib/listening.ts";
import { parse } from "yaml";
import { dashboardExprs, exprsRulesText, substitute, VARIABLE_VALUES } from "../../deploy/mixin/gen_exprs.ts";
import { SELF_METRIC } from "../../src/model.ts";
import { freePort, json, SEED_JSON, serveUpstream } from "../_lib/helpers.ts";
import { hasTool, tempDir } from "../_lib/ops_helpers.ts";
import { PROMTOOL, REQUIRE_E2E, toolTest } from "../_lib/validators.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MIXIN = `${ROOT}deploy/mixin`;
const PROMETHEUS = "/usr/bin/prometheus";
const WAIT_MS = 40_000;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface AlertRuleTest {
  alertname: string;
  exp_alerts: unknown[];
}

function alertRules(): Rule[] {
  const doc = parse(Deno.readTextFileSync(`${MIXIN}/alerts.yaml`)) as { groups: { rules: Rule[] }[] };
  return doc.groups.flatMap((g) => g.rules);
}

function alertExpr(name: string): string {
  const rule = alertRules().find((r) => r.alert === name);
  assert.ok(rule, `alerts.yaml has no alert ${name}`);
  return rule.expr;
}

async function promtool(...args: string[]): Promise<string> {
  const out = await new Deno.Command(PROMTOOL, { args, cwd: MIXIN, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.success, true, `promtool ${args.join(" ")}:\n${text}`);
  return text;
}

// ---------------------------------------------------------------------------------------------------------
// The files, checked by promtool.

toolTest("deploy/mixin/alerts.yaml passes promtool check rules", ["promtool"], async () => {
  const out = await promtool("check", "rules", "alerts.yaml");
  assert.match(out, new RegExp(`SUCCESS: ${alertRules().length} rules found`));
});

toolTest("deploy/mixin/alerts_test.yaml: promtool test rules passes", ["promtool"], async () => {
  assert.match(await promtool("test", "rules", "alerts_test.yaml"), /SUCCESS/);
});

toolTest("promtool test rules fails when an alert's expression is wrong (the unit tests can fail)", [
  "promtool",
], async () => {
  await using dir = await tempDir();
  const alerts = Deno.readTextFileSync(`${MIXIN}/alerts.yaml`);
  assert.ok(alerts.includes("expr: prom_exporter_up == 0"));
  await Deno.writeTextFile(
    `${dir.path}/alerts.yaml`,
    alerts.replace("prom_exporter_up == 0", "prom_exporter_up == 1"),
  );
  await Deno.copyFile(`${MIXIN}/alerts_test.yaml`, `${dir.path}/alerts_test.yaml`);
  const out = await new Deno.Command(PROMTOOL, {
    args: ["test", "rules", "alerts_test.yaml"],
    cwd: dir.path,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.success, false);
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.match(text, /alertname: PromExporterTargetDown, time: 10m/);
});

Deno.test("every alert has a for, a severity, a summary and a description, and a firing and a quiet test case", () => {
  const tests = parse(Deno.readTextFileSync(`${MIXIN}/alerts_test.yaml`)) as {
    rule_files: string[];
    tests: { alert_rule_test: AlertRuleTest[] }[];
  };
  assert.deepEqual(tests.rule_files, ["alerts.yaml"]);
  const cases = tests.tests.flatMap((t) => t.alert_rule_test);
  const rules = alertRules();
  assert.deepEqual(rules.map((r) => r.alert), [
    "PromExporterTargetDown",
    "PromExporterScrapeErrors",
    "PromExporterProbeErrors",
    "PromExporterConfigReloadFailed",
    "PromExporterScrapeNearDeadline",
    "PromExporterUnhandledErrors",
  ]);
  for (const rule of rules) {
    assert.match(rule.for ?? "", /^\d+[smh]$/, `${rule.alert}: for`);
    assert.ok(["warning", "critical"].includes(rule.labels?.severity ?? ""), `${rule.alert}: severity`);
    assert.ok(rule.annotations?.summary, `${rule.alert}: summary`);
    assert.ok(rule.annotations?.description, `${rule.alert}: description`);
    const own = cases.filter((c) => c.alertname === rule.alert);
    assert.ok(own.some((c) => c.exp_alerts.length > 0), `${rule.alert}: no case where it fires`);
    assert.ok(own.some((c) => c.exp_alerts.length === 0), `${rule.alert}: no case where it stays quiet`);
  }
});

Deno.test("deploy/mixin/dashboard_exprs.rules.yaml is in sync with dashboard.json (run deploy/mixin/gen_exprs.ts)", () => {
  const dashboard = Deno.readTextFileSync(`${MIXIN}/dashboard.json`);
  assert.equal(Deno.readTextFileSync(`${MIXIN}/dashboard_exprs.rules.yaml`), exprsRulesText(dashboard));
});

toolTest("deploy/mixin/dashboard_exprs.rules.yaml passes promtool check rules", ["promtool"], async () => {
  const count = dashboardExprs(JSON.parse(Deno.readTextFileSync(`${MIXIN}/dashboard.json`))).length;
  assert.ok(count >= 10, `only ${count} expressions`);
  assert.match(
    await promtool("check", "rules", "dashboard_exprs.rules.yaml"),
    new RegExp(`SUCCESS: ${count} rules`),
  );
});

Deno.test("gen_exprs replaces Grafana's variable forms and refuses an unknown variable", () => {
  assert.equal(
    substitute('rate(x{job=~"$job",instance=~"${instance}"}[[[__rate_interval]]])'),
    `rate(x{job=~"${VARIABLE_VALUES.job}",instance=~"${VARIABLE_VALUES.instance}"}[1m])`,
  );
  assert.equal(substitute('up{job=~"${job:regex}"}'), `up{job=~"${VARIABLE_VALUES.job}"}`);
  assert.throws(() => substitute('up{cluster="$cluster"}'), /Unknown dashboard variable "\$cluster"/);
  assert.throws(
    () =>
      dashboardExprs({
        panels: [{ title: "A", targets: [{ refId: "A", expr: "up" }, { refId: "a", expr: "up" }] }],
      }),
    /both be named/,
  );
});

interface GrafanaPanel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
}

Deno.test("the dashboard: datasource, job and instance variables, the panels the issue asks for", () => {
  const dashboard = JSON.parse(Deno.readTextFileSync(`${MIXIN}/dashboard.json`)) as {
    templating: { list: { name: string; type: string; query: unknown }[] };
    panels: GrafanaPanel[];
  };
  const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  assert.equal(vars.get("datasource")?.type, "datasource");
  assert.equal(vars.get("datasource")?.query, "prometheus");
  assert.equal(vars.get("job")?.type, "query");
  assert.equal(vars.get("instance")?.type, "query");
  for (const v of vars.keys()) assert.ok(v in VARIABLE_VALUES, `variable ${v} has no value in gen_exprs.ts`);
  const panels = dashboard.panels.filter((p) => p.type !== "row");
  for (const p of panels) {
    assert.equal(p.datasource?.uid, "${datasource}", `${p.title}: datasource`);
    assert.ok((p.targets ?? []).length > 0, `${p.title}: no query`);
    for (const t of p.targets ?? []) {
      assert.equal(t.datasource?.uid, "${datasource}", `${p.title}: query datasource`);
      assert.match(
        t.expr ?? "",
        /job=~"\$job",instance=~"\$instance"/,
        `${p.title}: not filtered by job and instance`,
      );
    }
  }
  const exprsOf = (title: string) => {
    const p = panels.find((p) => p.title === title);
    assert.ok(p, `no panel "${title}"`);
    return (p.targets ?? []).map((t) => t.expr ?? "").join("\n");
  };
  assert.match(exprsOf("Targets up"), /prom_exporter_up/);
  assert.match(exprsOf("Up by target"), /prom_exporter_up/);
  assert.match(exprsOf("Scrape duration by target"), /prom_exporter_scrape_duration_seconds/);
  assert.match(
    exprsOf("Scrape errors by reason"),
    /by \(target, reason\).*prom_exporter_scrape_errors_total/,
  );
  assert.match(exprsOf("Series per target"), /count by \(\$target_label\)/);
  assert.match(exprsOf("Memory"), /process_resident_memory_bytes/);
  assert.match(exprsOf("CPU"), /rate\(process_cpu_seconds_total/);
});

/** The names Prometheus itself writes for every scrape, which the dashboard may use. */
const PROMETHEUS_SCRAPE_METRICS = new Set(["scrape_duration_seconds", "scrape_samples_scraped"]);

Deno.test("every metric the mixin names is one the exporter writes (src/model.ts SELF_METRIC) or Prometheus's", () => {
  // The exact exposed names: counters already end in _total there, so a counter named without it (or a
  // gauge with it) is not in the set and fails below.
  const own = new Set<string>(Object.values(SELF_METRIC));
  assert.ok(own.has("prom_exporter_scrape_errors_total") && !own.has("prom_exporter_up_total"));
  const texts = [
    ...alertRules().map((r) => r.expr),
    ...dashboardExprs(JSON.parse(Deno.readTextFileSync(`${MIXIN}/dashboard.json`))).map((e) => e.expr),
  ];
  for (const text of texts) {
    for (const [name] of text.matchAll(/\bprom_exporter_[a-z_]+/g)) {
      assert.ok(own.has(name), `${name} (in ${text}) is not a metric of the exporter`);
    }
    for (const [name] of text.matchAll(/\b(process_[a-z_]+|scrape_[a-z_]+)/g)) {
      assert.ok(
        PROMETHEUS_SCRAPE_METRICS.has(name) ||
          ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_heap_bytes"].includes(name),
        `${name} (in ${text}) is neither the exporter's nor Prometheus's`,
      );
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// End to end: a real Prometheus evaluates the mixin against a real exporter.

interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

async function api<T>(base: string, path: string): Promise<T> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  const body = await res.json();
  assert.equal(body.status, "success", `${path}: ${JSON.stringify(body)}`);
  return body.data as T;
}

function query(base: string, expr: string): Promise<Series[]> {
  return api<{ result: Series[] }>(base, `/api/v1/query?query=${encodeURIComponent(expr)}`).then((d) =>
    d.result
  );
}

/** Polls `check` (which throws while not yet true) until it passes or the time is up; then its last error. */
async function eventually(what: string, check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      return await check();
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not within ${WAIT_MS} ms: ${(last as Error)?.stack ?? last}`);
}

/** Starts `prom-exporter start` with a config file on 127.0.0.1 port 0; its address once it listens. */
async function startExporter(config: string): Promise<{ addr: string; stop: () => Promise<number> }> {
  const args = [
    "run",
    "-A",
    "main.ts",
    "start",
    "--config.file",
    config,
    "--web.listen-address",
    "127.0.0.1:0",
  ];
  const exporter = await startListening(Deno.execPath(), args, { cwd: ROOT, waitMs: WAIT_MS });
  return { addr: exporter.address, stop: exporter.stop };
}

const haveE2E = hasTool(PROMETHEUS, ["--version"]) && hasTool(PROMTOOL, ["--version"]);
if (!haveE2E && REQUIRE_E2E) {
  Deno.test("the mixin against a real Prometheus and exporter (prometheus missing)", () => {
    throw new Error(`Required tool missing: ${PROMETHEUS} (REQUIRE_E2E=1)`);
  });
}

Deno.test({
  name:
    "a real Prometheus loads alerts.yaml, scrapes a real exporter, and the alert expressions hold exactly " +
    "for the failing targets; every dashboard expression returns data",
  ignore: !haveE2E,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await using up = serveUpstream({ "/stats.json": json(SEED_JSON) });
    await using dir = await tempDir();
    const refused = `http://127.0.0.1:${freePort()}/stats.json`;
    const config = `${dir.path}/config.yaml`;
    const goodConfig = [
      "targets:",
      "  - name: good",
      `    url: ${up.origin}/stats.json`,
      "    labels: { service: good }",
      "  - name: bad",
      `    url: ${refused}`,
      "    labels: { service: bad }",
      "modules:",
      "  m:",
      "    allowed_targets: [127.0.0.1/32]",
      "",
    ].join("\n");
    await Deno.writeTextFile(config, goodConfig);
    const exporter = await startExporter(config);
    const promPort = freePort();
    const base = `http://127.0.0.1:${promPort}`;
    await Deno.writeTextFile(
      `${dir.path}/prometheus.yml`,
      [
        "global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }",
        `rule_files: ["${MIXIN}/alerts.yaml"]`,
        "scrape_configs:",
        "  - job_name: prom-exporter",
        `    static_configs: [{ targets: ["${exporter.addr}"] }]`,
        "  - job_name: probe",
        "    metrics_path: /probe",
        "    params: { module: [m] }",
        `    static_configs: [{ targets: ["${refused}"] }]`,
        "    relabel_configs:",
        "      - { source_labels: [__address__], target_label: __param_target }",
        "      - { source_labels: [__param_target], target_label: instance }",
        `      - { target_label: __address__, replacement: "${exporter.addr}" }`,
        "",
      ].join("\n"),
    );
    const prometheus = new Deno.Command(PROMETHEUS, {
      args: [
        `--config.file=${dir.path}/prometheus.yml`,
        `--storage.tsdb.path=${dir.path}/data`,
        `--web.listen-address=127.0.0.1:${promPort}`,
        "--log.level=warn",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const job = 'job="prom-exporter"';
      // The target-down expression: true for the refused target and the failing probe, false for "good".
      await eventually("PromExporterTargetDown's expression", async () => {
        const down = await query(base, alertExpr("PromExporterTargetDown"));
        const who = down.map((s) => `${s.metric.job} ${s.metric.target ?? s.metric.instance}`).sort();
        assert.deepEqual(who, ["probe " + refused, "prom-exporter bad"]);
        const good = await query(base, `prom_exporter_up{${job},target="good"}`);
        assert.equal(good[0]?.value[1], "1", "the healthy target is scraped and up");
      });

      // Scrape errors by reason: only the refused target, with its reason; probe errors by module.
      await eventually("PromExporterScrapeErrors' expression", async () => {
        const errors = await query(base, alertExpr("PromExporterScrapeErrors"));
        assert.deepEqual(errors.map((s) => [s.metric.target, s.metric.reason]), [["bad", "refused"]]);
        const probes = await query(base, alertExpr("PromExporterProbeErrors"));
        assert.deepEqual(probes.map((s) => [s.metric.module, s.metric.reason]), [["m", "refused"]]);
      });

      // A healthy exporter: fast scrapes, no unhandled errors, its config loaded.
      for (const name of ["PromExporterScrapeNearDeadline", "PromExporterUnhandledErrors"]) {
        assert.deepEqual(await query(base, alertExpr(name)), [], name);
      }
      assert.deepEqual(await query(base, alertExpr("PromExporterConfigReloadFailed")), []);
      assert.equal(
        (await query(base, `prom_exporter_config_last_reload_successful{${job}}`))[0]?.value[1],
        "1",
      );

      // Prometheus evaluates every rule without error; the target-down alert is pending for the failing ones.
      await eventually("the rules' evaluation", async () => {
        const { groups } = await api<
          { groups: { rules: { name: string; health: string; lastError?: string }[] }[] }
        >(
          base,
          "/api/v1/rules",
        );
        const rules = groups.flatMap((g) => g.rules);
        assert.deepEqual(rules.map((r) => r.name), alertRules().map((r) => r.alert));
        for (const r of rules) assert.equal(r.health, "ok", `${r.name}: ${r.lastError}`);
        const { alerts } = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>(
          base,
          "/api/v1/alerts",
        );
        const down = alerts.filter((a) => a.labels.alertname === "PromExporterTargetDown");
        assert.deepEqual(down.map((a) => [a.state, a.labels.target ?? a.labels.instance]).sort(), [
          ["pending", "bad"],
          ["pending", refused],
        ]);
      });

      // Every dashboard expression, its variables set to this job and exporter, returns data.
      const values = {
        ...VARIABLE_VALUES,
        job: "prom-exporter",
        instance: exporter.addr.replaceAll(".", "\\\\."),
      };
      const dashboard = JSON.parse(await Deno.readTextFile(`${MIXIN}/dashboard.json`));
      for (const e of dashboardExprs(dashboard)) {
        const expr = substitute(e.raw, values);
        await eventually(e.record, async () => {
          assert.notDeepEqual(await query(base, expr), [], `${e.record}: ${expr} returned nothing`);
        });
      }
      const perTarget = await query(
        base,
        substitute(
          dashboardExprs(dashboard).find((e) => e.record.includes("series_per_target"))!.raw,
          values,
        ),
      );
      const count = new Map(perTarget.map((s) => [s.metric.service, Number(s.value[1])]));
      assert.ok((count.get("good") ?? 0) > (count.get("bad") ?? 0), JSON.stringify([...count]));

      // A rejected reload: the reload alert's expression turns true.
      await Deno.writeTextFile(config, "targets: [\n");
      const reload = await fetch(`http://${exporter.addr}/-/reload`, { method: "POST" });
      await reload.body?.cancel();
      assert.equal(reload.status, 500);
      await eventually("PromExporterConfigReloadFailed's expression", async () => {
        const failed = await query(base, alertExpr("PromExporterConfigReloadFailed"));
        assert.deepEqual(failed.map((s) => s.metric.job), ["prom-exporter"]);
      });
    } finally {
      prometheus.kill("SIGTERM");
      await prometheus.status;
      await exporter.stop();
    }
  },
});
