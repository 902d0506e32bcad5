import assert from "node:assert/strict";
import { json, serveUpstream } from "../_lib/helpers.ts";
import { canary } from "../_lib/ops_helpers.ts";
import { startExporter } from "../_lib/run.ts";

Deno.test("/probe applies a module from the config file to an allowed target, and refuses others", async () => {
  await using up = serveUpstream({ "/stats.json": json({ requests_p99: 0.25, exclude_me: 1 }) });
  await using trap = canary();
  const dir = await Deno.makeTempDir();
  const file = `${dir}/config.yaml`;
  const port = new URL(up.origin).port;
  await Deno.writeTextFile(
    file,
    `modules:
  svc:
    labels: { team: a }
    allowed_targets: ["127.0.0.1:${port}"]
    rules:
      - exclude: [exclude_me]
      - match: 'requests_(?<latency>p[0-9]+)'
        name: request_latency_seconds
`,
  );
  const ex = await startExporter(["--config.file", file]);
  try {
    const ok = await fetch(
      `${ex.base}/probe?module=svc&target=${encodeURIComponent(`${up.origin}/stats.json`)}`,
    );
    assert.equal(ok.status, 200);
    const body = await ok.text();
    assert.match(body, /^request_latency_seconds\{latency="p99",team="a"\} 0\.25$/m);
    assert.match(body, /^prom_exporter_up 1$/m);
    assert.doesNotMatch(body, /exclude_me|process_|prom_exporter_build_info/);

    for (
      const [query, why] of [
        [
          `module=svc&target=${encodeURIComponent(`${trap.origin}/`)}`,
          /not allowed|forbidden|refused/i,
        ],
        [`module=nope&target=${encodeURIComponent(`${up.origin}/stats.json`)}`, /module/i],
        [`module=svc`, /target/i],
      ] as const
    ) {
      const res = await fetch(`${ex.base}/probe?${query}`);
      assert.equal(res.status, 400, query);
      assert.match(await res.text(), why);
    }
    assert.equal(trap.connections(), 0, "a refused target gets no connection");

    const landing = await (await fetch(`${ex.base}/`)).text();
    assert.match(landing, /svc/);
  } finally {
    assert.equal(await ex.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});
