/**
 * Issue 13, item 3 ("Memory bounded by design"): `main.ts start` as a subprocess with
 * `--v8-flags=--max-old-space-size=256` and the default `--scrape.max-inflight-bytes`, then 40 concurrent
 * `/probe` scrapes of a valid 16 MiB Prometheus text body, each of its own URL so single-flight shares none
 * (1 round quick, 3 in the full run). Before the budget, the process died of V8's heap limit within seconds.
 *
 * Pass: the process is still alive and serving; every answer is a 200 with a well-formed exposition (the
 * first whole one also through promtool, when installed) saying `prom_exporter_up 1` with every upstream
 * series, or `prom_exporter_up 0`; every `up 0` is counted under reason `memory`
 * (`prom_exporter_probe_errors_total`) and logged with it, no other reason is; at least one probe got
 * through and at least one was refused; and `prom_exporter_inflight_bytes` is back to 0.
 *
 * @module
 */

import assert from "node:assert/strict";
import { renderMetricsText } from "../../bench/system/upstream.ts";
import { assertWellFormed, HAVE_PROMTOOL, promtoolCheck } from "../_lib/validators.ts";
import { record, round, size, sleep, spawnStart, tempFile, valueOf } from "../_lib/harness.ts";

const PROBES = 40;
const MIB = 1024 * 1024;

/** A valid text exposition of exactly 16 MiB (the bench upstream's series, then one comment line to fill). */
function body16MiB(): { bytes: Uint8Array<ArrayBuffer>; series: number; last: string } {
  let series = 230_000;
  let text = renderMetricsText(series);
  while (text.length > 16 * MIB) text = renderMetricsText(series -= 1000);
  const last = /\n([a-z_0-9]+)[{ ][^\n]*\n$/.exec(text)?.[1] ?? "";
  const pad = 16 * MIB - text.length;
  const filled = pad >= 2 ? `${text}#${" ".repeat(pad - 2)}\n` : text;
  return { bytes: new TextEncoder().encode(filled), series, last };
}

/** The VmHWM (peak RSS) of a process, in MiB, or NaN. */
function peakMiB(pid: number): number {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
    return kb === undefined ? NaN : Number(kb) / 1024;
  } catch {
    return NaN;
  }
}

Deno.test(`memory budget: ${PROBES} concurrent /probe scrapes of 16 MiB under a 256 MiB V8 heap`, async () => {
  const body = body16MiB();
  assert.equal(body.bytes.byteLength, 16 * MIB);
  let upstreamRequests = 0;
  const ac = new AbortController();
  const upstream = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    () => {
      upstreamRequests++;
      return new Response(body.bytes, {
        headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
      });
    },
  );
  const origin = `http://127.0.0.1:${upstream.addr.port}`;
  try {
    await using config = await tempFile(
      `modules:\n  big:\n    http: { timeout: 30s }\n    allowed_targets: ["127.0.0.1:${upstream.addr.port}"]\n`,
    );
    await using main = await spawnStart(["--config.file", config.path], {
      runFlags: ["--v8-flags=--max-old-space-size=256"],
    });
    const rounds = size(1, 3);
    let up1 = 0;
    let up0 = 0;
    let promtooled = false;
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
      const answers = await Promise.all(Array.from({ length: PROBES }, async (_, i) => {
        const target = encodeURIComponent(`${origin}/metrics?round=${r}&probe=${i}`);
        const res = await fetch(`${main.origin}/probe?module=big&target=${target}`, {
          headers: { "accept-encoding": "identity", "x-prometheus-scrape-timeout-seconds": "30" },
          signal: AbortSignal.timeout(60_000),
        });
        return { status: res.status, text: await res.text() };
      }));
      for (const [i, a] of answers.entries()) {
        assert.equal(a.status, 200, `probe ${i}: ${a.text.slice(0, 200)}`);
        assertWellFormed(a.text, "text");
        const up = /^prom_exporter_up ([01])$/m.exec(a.text)?.[1];
        assert.ok(up !== undefined, `probe ${i}: no prom_exporter_up`);
        if (up === "1") {
          up1++;
          // Every upstream series, through to the last one.
          assert.match(a.text, /^upstream_requests_00000_total\{/m);
          assert.ok(a.text.includes(`\n${body.last}`), `probe ${i}: the last family ${body.last}`);
          if (HAVE_PROMTOOL && !promtooled) {
            promtooled = true;
            const check = await promtoolCheck(a.text);
            // Lint remarks about the upstream's own names are not ours to fix; a parse error would be.
            assert.doesNotMatch(
              check.output,
              /error while linting|parsing error/i,
              check.output.slice(0, 500),
            );
          }
        } else {
          up0++;
          assert.doesNotMatch(a.text, /^upstream_/m);
        }
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const peak = peakMiB(main.pid);

    // Alive and serving, and every byte given back.
    const healthy = await fetch(`${main.origin}/-/healthy`);
    assert.equal(healthy.status, 200);
    await healthy.body?.cancel();
    let metrics = "";
    for (let i = 0; i < 50; i++) {
      metrics = await (await fetch(`${main.origin}/metrics`)).text();
      if (valueOf(metrics, "prom_exporter_inflight_bytes") === 0) break;
      await sleep(100);
    }
    assert.equal(valueOf(metrics, "prom_exporter_inflight_bytes"), 0, "the budget is back to 0");
    const failures = (reason: string) =>
      valueOf(metrics, "prom_exporter_probe_errors_total", { module: "big", reason }) ?? 0;
    assert.equal(failures("memory"), up0, "every up 0 is counted under reason memory");
    for (const reason of ["timeout", "too_large", "internal", "network", "parse"]) {
      assert.equal(failures(reason), 0, `reason ${reason}`);
    }
    assert.equal(main.stderr.filter((l) => /msg="probe failed".*reason=memory/.test(l)).length, up0);
    assert.ok(up1 >= 1, "at least one probe got through");
    assert.ok(up0 >= 1, "the budget refused some of the 40");
    // Refusals happen after the upstream answered (a body is refused when its bytes would be taken).
    assert.equal(upstreamRequests, PROBES * rounds);
    record("memory budget: 40 concurrent 16 MiB probes", {
      rounds,
      up1,
      up0,
      seconds: round(seconds, 2),
      peak_rss_mib: round(peak),
    });
  } finally {
    ac.abort();
    await upstream.finished;
  }
});
