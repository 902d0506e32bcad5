/**
 * Items 6 and 7 of issue 6 (RELIABILITY.md S6, S3), against `main.ts start` as a subprocess:
 * - graceful shutdown under load: SIGTERM while slow scrapes are in flight and other clients keep asking;
 *   the slow scrapes complete with `up 1`, no client sees a 5xx or a cut body, new connections are refused,
 *   and the process exits 0 within the deadline plus 1 s;
 * - a promise rejection nobody handles (injected with `deno run --preload`, on SIGUSR2) is logged as one
 *   logfmt error line and counted in `prom_exporter_unhandled_errors_total`, and the process keeps serving;
 * - every stderr line the process writes is a logfmt record (a log pipeline must be able to parse them).
 *
 * @module
 */

import assert from "node:assert/strict";
import { FaultServer } from "../_lib/fault_server.ts";
import {
  rawRequest,
  record,
  round,
  sleep,
  spawnMain,
  spawnStart,
  tempFile,
  valueOf,
} from "../_lib/harness.ts";

const SLOW_MS = 2_000;

Deno.test("lifecycle: SIGTERM during in-flight slow scrapes under load: they complete, exit 0", async () => {
  await using up = FaultServer.start();
  await using config = await tempFile(
    [
      "targets:",
      "  - name: slow",
      `    url: "${up.url(`/ok?delay=${SLOW_MS}`)}"`,
      "    labels: { upstream: slow }",
      "",
    ].join("\n"),
  );
  await using main = await spawnStart(["--config.file", config.path]);
  const slow = Array.from(
    { length: 8 },
    () =>
      fetch(`${main.origin}/metrics`, { headers: { "x-prometheus-scrape-timeout-seconds": "10" } })
        .then(async (r) => ({ status: r.status, text: await r.text() }))
        .catch((e) => ({ status: 0, text: String(e) })),
  );
  // Background clients: every answer must be whole; after the stop, refusals are expected.
  let stopping = false;
  const background: string[] = [];
  const bad: string[] = [];
  const hammer = async () => {
    while (!stopping || background.length < 10_000) {
      const a = await rawRequest(
        main.origin,
        "GET /-/healthy HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        2_000,
      );
      const o = a.status !== null ? String(a.status) : a.refused ? "refused" : a.closed ? "closed" : "open";
      background.push(o);
      if (a.status !== null && a.status !== 200) bad.push(`status ${a.status}`);
      if (o === "refused") return;
      if (stopping && o === "closed") return;
      await sleep(20);
    }
  };
  const hammers = Array.from({ length: 4 }, hammer);
  while (up.requestCount < 1) await sleep(20);
  await sleep(200);
  const t0 = performance.now();
  main.kill("SIGTERM");
  stopping = true;
  await sleep(100);
  const afterStop = await rawRequest(main.origin, "GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n", 1_000);
  const results = await Promise.all(slow);
  const status = await main.status;
  const exitMs = performance.now() - t0;
  await Promise.all(hammers);
  record("S6 graceful shutdown", {
    in_flight: slow.length,
    completed_200_up1: results.filter((r) =>
      r.status === 200 && valueOf(r.text, "prom_exporter_up") === 1
    ).length,
    exit_code: status.code,
    exit_ms_after_sigterm: round(exitMs),
    new_connection_after_sigterm: afterStop.status ??
      (afterStop.refused ? "refused" : afterStop.closed ? "closed" : "open"),
    background_requests: background.length,
  });
  for (const r of results) {
    assert.equal(r.status, 200, r.text);
    assert.equal(valueOf(r.text, "prom_exporter_up"), 1, r.text);
  }
  assert.deepEqual(bad, []);
  assert.equal(status.code, 0, main.stderr.join("\n"));
  assert.ok(
    afterStop.refused || afterStop.closed,
    `a new connection was served after SIGTERM: ${afterStop.status}`,
  );
  assert.ok(exitMs <= 10_000 + 1_000, `exit took ${round(exitMs)} ms`);
});

const PRELOAD = `// Injects a promise rejection nobody handles whenever the process gets SIGUSR2.
Deno.addSignalListener("SIGUSR2", () => {
  Promise.reject(new Error("injected-unhandled-rejection"));
});
`;

Deno.test("lifecycle: an unhandled promise rejection is logged and counted, and the process keeps serving", async () => {
  await using up = FaultServer.start();
  await using preload = await tempFile(PRELOAD, ".ts");
  await using main = await spawnMain(
    ["start", "-s", "foo", "-u", up.url("/ok"), "--web.listen-address", "127.0.0.1:0"],
    { preload: [preload.path] },
  );
  const metrics = async () => {
    const res = await fetch(`${main.origin}/metrics`);
    return { status: res.status, text: await res.text() };
  };
  assert.equal((await metrics()).status, 200);
  for (let i = 1; i <= 3; i++) {
    main.kill("SIGUSR2");
    await sleep(300);
    const exited = await Promise.race([main.status.then((s) => s.code), sleep(10).then(() => null)]);
    assert.equal(
      exited,
      null,
      `the process exited (code ${exited}) after rejection ${i}:\n${main.stderr.join("\n")}`,
    );
    const m = await metrics();
    assert.equal(m.status, 200);
    assert.equal(valueOf(m.text, "prom_exporter_unhandled_errors_total"), i, "counted");
  }
  const logged = main.stderr.filter((l) =>
    / level=error /.test(l) && l.includes("injected-unhandled-rejection")
  );
  assert.equal(logged.length, 3, main.stderr.join("\n"));
  record("S3 unhandled rejection", { injected: 3, logged: logged.length, alive: true });
});

const LOGFMT_LINE = /^time=\S+ level=(debug|info|warn|error) msg=/;

Deno.test("lifecycle: every stderr line of a serving process is a logfmt record", async () => {
  await using up = FaultServer.start();
  await using main = await spawnStart(["-s", "foo", "-u", up.url("/ok")]);
  for (let i = 0; i < 5; i++) await (await fetch(`${main.origin}/metrics`)).text();
  await (await fetch(`${main.origin}/nope`)).text();
  main.kill("SIGTERM");
  await main.status;
  await main.close();
  const foreign = main.stderr.filter((l) => l !== "" && !LOGFMT_LINE.test(l));
  assert.deepEqual(foreign, [], "lines a logfmt pipeline cannot parse");
});
