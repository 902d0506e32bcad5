import assert from "node:assert/strict";
import { parse, parseAllDocuments } from "yaml";
import { httpOptionsSchema } from "../../src/config/http_options.ts";
import { modulesSchema } from "../../src/config/modules.ts";
import { createLogger } from "../../src/log.ts";
import { compileAllowList } from "../../src/config/allow.ts";
import { handleProbe, type ProbeModule } from "../../src/server/probe.ts";
import type { ScrapeResult } from "../../src/scrape/mod.ts";
import { parsePrometheusText } from "../../src/formats/text/mod.ts";
import type { UpstreamError } from "../../src/errors.ts";
import { createUpstreamClient } from "../../src/upstream/mod.ts";
import { freePort, serveUpstream } from "../_lib/helpers.ts";
import { hasTool, tempDir } from "../_lib/ops_helpers.ts";

const DEPLOY = new URL("../../deploy/", import.meta.url).pathname;
const E2E = Deno.env.get("REQUIRE_E2E") === "1";

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  params?: Record<string, string[]>;
  relabel_configs?: Record<string, unknown>[];
}

Deno.test({
  name: "deploy/prometheus-probe.yml passes promtool check config",
  ignore: !E2E && !hasTool("promtool", ["--version"]),
  fn: async () => {
    const out = await new Deno.Command("promtool", {
      args: ["check", "config", `${DEPLOY}/prometheus-probe.yml`],
    })
      .output();
    assert.equal(
      out.success,
      true,
      new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    );
  },
});

Deno.test("deploy/config.example.yaml and the Kubernetes ConfigMap hold valid modules and HTTP options", async () => {
  const example = parse(await Deno.readTextFile(`${DEPLOY}/config.example.yaml`));
  const k8s = parseAllDocuments(await Deno.readTextFile(`${DEPLOY}/kubernetes/prom-exporter.yaml`)).map((d) =>
    d.toJS()
  );
  assert.deepEqual(k8s.map((d) => d.kind), [
    "ConfigMap",
    "Secret",
    "Deployment",
    "Service",
    "ServiceMonitor",
    "Probe",
  ]);
  const embedded = parse(k8s[0].data["config.yaml"]);
  for (const config of [example, embedded]) {
    modulesSchema.parse(config.modules);
    for (const t of config.targets) httpOptionsSchema.parse(t.http ?? {});
  }
});

Deno.test({
  name: "deploy/prometheus-probe.yml relabelling makes Prometheus probe each target through /probe",
  ignore: !E2E && !hasTool("prometheus", ["--version"]),
  fn: async () => {
    await using dir = await tempDir();
    await using up = serveUpstream({
      "/actuator/health": new Response("# TYPE health_up gauge\nhealth_up 1\n"),
    });
    using client = await createUpstreamClient(httpOptionsSchema.parse({}), { baseDir: "/" });
    const module: ProbeModule = {
      allow: compileAllowList(["127.0.0.1"]),
      unixSocket: false,
      timeoutMs: 5_000,
      async scrape(target, { signal, guard }): Promise<ScrapeResult> {
        try {
          const body = await client.fetch(target, { signal, maxBodyBytes: 1 << 20, guard });
          const families = parsePrometheusText(new TextDecoder().decode(body.bytes), "prometheus");
          return { ok: true, families, skipped: 0, durationSeconds: 0.001 };
        } catch (e) {
          return { ok: false, error: e as UpstreamError, durationSeconds: 0.001 };
        }
      },
    };
    const log = createLogger({ level: "error", format: "logfmt", write: () => {} });
    const ac = new AbortController();
    const exporter = Deno.serve(
      { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
      (req) => {
        return handleProbe(req, {
          modules: () => new Map([["spring", module]]),
          allowAnyTarget: false,
          timeoutOffsetMs: 500,
          log,
        });
      },
    );
    // The shipped job, with its targets and the exporter's address swapped for this test's.
    const shipped = parse(await Deno.readTextFile(`${DEPLOY}/prometheus-probe.yml`)) as {
      scrape_configs: ScrapeConfig[];
    };
    const job = shipped.scrape_configs.find((j) => j.job_name === "spring-health") as ScrapeConfig;
    const target = `${up.origin}/actuator/health`;
    const relabel = (job.relabel_configs ?? []).map((r) =>
      r.target_label === "__address__" ? { ...r, replacement: `127.0.0.1:${exporter.addr.port}` } : r
    );
    const config = {
      global: { scrape_interval: "1s", scrape_timeout: "1s" },
      scrape_configs: [{ ...job, static_configs: [{ targets: [target] }], relabel_configs: relabel }],
    };
    await Deno.writeTextFile(`${dir.path}/prometheus.yml`, JSON.stringify(config));
    const port = freePort();
    const prom = new Deno.Command("prometheus", {
      args: [
        `--config.file=${dir.path}/prometheus.yml`,
        `--storage.tsdb.path=${dir.path}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const query = `http://127.0.0.1:${port}/api/v1/query?query=${
        encodeURIComponent('health_up{job="spring-health"}')
      }`;
      let series: { metric: Record<string, string>; value: [number, string] }[] = [];
      for (let i = 0; i < 100 && series.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        try {
          const res = await fetch(query);
          series = (await res.json()).data?.result ?? [];
        } catch {
          // Prometheus is still starting.
        }
      }
      assert.equal(series.length, 1, "Prometheus scraped the target through /probe");
      assert.equal(series[0].metric.instance, target);
      assert.equal(series[0].value[1], "1");
    } finally {
      prom.kill("SIGTERM");
      await prom.status;
      ac.abort();
      await exporter.finished;
    }
  },
});

// Issue 12, item 7: the probe timeout docs/OPERATIONS.md recommends is the one the Deployment sets.
Deno.test("the Kubernetes liveness and readiness probes use the timeout docs/OPERATIONS.md recommends", async () => {
  const ops = await Deno.readTextFile(new URL("../../docs/OPERATIONS.md", import.meta.url));
  const documented = /sets `timeoutSeconds: (\d+)` on both/.exec(ops.replaceAll(/\s+/g, " "));
  assert.ok(documented, "docs/OPERATIONS.md names no timeoutSeconds for the probes");
  const k8s = parseAllDocuments(await Deno.readTextFile(`${DEPLOY}/kubernetes/prom-exporter.yaml`)).map((d) =>
    d.toJS()
  );
  const deployment = k8s.find((d) => d.kind === "Deployment");
  const [container] = deployment.spec.template.spec.containers;
  assert.equal(container.livenessProbe.httpGet.path, "/-/healthy");
  assert.equal(container.readinessProbe.httpGet.path, "/-/ready");
  assert.equal(container.livenessProbe.timeoutSeconds, Number(documented[1]));
  assert.equal(container.readinessProbe.timeoutSeconds, Number(documented[1]));
  // A few seconds: more than Kubernetes's default of 1 s, less than the period.
  assert.ok(container.livenessProbe.timeoutSeconds > 1);
  assert.ok(container.livenessProbe.timeoutSeconds < container.livenessProbe.periodSeconds);
});
