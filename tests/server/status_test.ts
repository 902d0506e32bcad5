import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { SelfMetrics } from "../../src/exposition/self_metrics.ts";
import { createLogger } from "../../src/log.ts";
import { type CompiledTarget, compileTarget, withMemo } from "../../src/scrape/mod.ts";
import { createHandler, type Handler } from "../../src/server/mod.ts";
import { ConfigHolder } from "../../src/server/reload.ts";
import { type Runtime, staticRuntime } from "../../src/server/runtime.ts";
import type { StatusData, TargetView } from "../../src/server/status.ts";
import { escapeHtml } from "../../src/server/status_html.ts";
import { TargetStatus } from "../../src/server/target_status.ts";
import { UpstreamError } from "../../src/errors.ts";
import { SingleFlight } from "../../src/scrape/singleflight.ts";
import { VERSION } from "../../src/version.ts";
import { withWebSecurity } from "../../src/web/guard.ts";
import { parseWebConfig } from "../../src/web/web_config.ts";
import { freePort, serveUpstream, testTarget } from "../_lib/helpers.ts";

const TEXT =
  '# TYPE orders_total counter\norders_total{shop="eu"} 42\norders_total{shop="us"} 17\nqueue_depth 3\n';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

function target(name: string, url: string, labels: Record<string, string> = {}): CompiledTarget {
  return compileTarget(testTarget({ name, url, labels }));
}

function handlerFor(
  runtime: () => Runtime,
  extra: { holder?: ConfigHolder<unknown>; configFile?: string } = {},
) {
  return createHandler({
    runtime,
    self: new SelfMetrics({ version: VERSION, targets: [] }),
    log: createLogger({ level: "error", format: "logfmt", write: () => {} }),
    version: VERSION,
    ...extra,
  });
}

async function get(handler: Handler, path: string): Promise<Response> {
  return await handler(new Request(`http://localhost${path}`));
}

async function scrape(handler: Handler, path = "/metrics"): Promise<void> {
  const res = await get(handler, path);
  assert.equal(res.status, 200);
  await res.body?.cancel();
}

async function statusJson(handler: Handler): Promise<StatusData> {
  const res = await get(handler, "/api/v1/status");
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
  return await res.json();
}

/** The `<td class="...">` texts of each `<tr data-target>` of the page, tags stripped, entities kept. */
function rows(html: string): Map<string, Record<string, string>> {
  const table = /<table id="targets">([\s\S]*?)<\/table>/.exec(html)?.[1] ?? "";
  const out = new Map<string, Record<string, string>>();
  for (const row of table.matchAll(/<tr data-target="([^"]*)">([\s\S]*?)<\/tr>/g)) {
    const cells: Record<string, string> = {};
    for (const cell of row[2].matchAll(/<td class="([^"]*)"[^>]*>([\s\S]*?)<\/td>/g)) {
      cells[cell[1]] = cell[2].replace(/<[^>]*>/g, "");
    }
    out.set(row[1], cells);
  }
  return out;
}

function byName(data: StatusData): Map<string, TargetView> {
  return new Map(data.targets.map((t) => [t.name, t]));
}

Deno.test("status page and JSON show a healthy, a failing and a never-scraped target", async () => {
  await using up = serveUpstream({
    "/ok": new Response(TEXT, { headers: { "content-type": "text/plain; version=0.0.4" } }),
    "/fail": new Response("boom\n", { status: 500 }),
  });
  const healthy = target("healthy", `${up.origin}/ok`, { team: "payments" });
  const failing = target("failing", `${up.origin}/fail`, { team: "search" });
  const idle = target("idle", `http://127.0.0.1:${freePort()}/never`);
  let runtime = staticRuntime([healthy, failing]);
  const handler = handlerFor(() => runtime);
  const before = Date.now();
  await scrape(handler);
  // The third target joins later (a reload): it has never been scraped.
  runtime = { ...staticRuntime([healthy, failing, idle]), flight: runtime.flight };

  const page = await get(handler, "/");
  assert.equal(page.status, 200);
  assert.equal(page.headers.get("content-type"), "text/html; charset=utf-8");
  assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  const html = await page.text();
  assert.match(html, /^<!DOCTYPE html>\n<html lang="en">/);
  assert.doesNotMatch(html, /<script/i);
  const r = rows(html);
  assert.deepEqual([...r.keys()], ["healthy", "failing", "idle"]);
  const h = r.get("healthy")!, f = r.get("failing")!, n = r.get("idle")!;
  for (
    const cls of ["name", "url", "labels", "up", "last-scrape", "duration", "series-read", "series-written"]
  ) {
    assert.ok(cls in h && cls in f && cls in n, cls);
  }
  assert.equal(h.name, "healthy");
  assert.equal(h.url, `${up.origin}/ok`);
  assert.equal(h.labels, "team=&quot;payments&quot;");
  assert.equal(h.up, "up");
  assert.match(h["last-scrape"], ISO);
  assert.match(h.duration, /^\d+\.\d{3}$/);
  assert.equal(h["series-written"], "3");
  assert.equal(h["last-error"], "");
  assert.match(h["last-success"], ISO);
  assert.equal(f.up, "down");
  assert.match(f["last-error"], /^status: .*500/);
  assert.equal(f["last-success"], "");
  assert.equal(f["series-written"], "");
  assert.equal(n.up, "never scraped");
  for (
    const cls of ["last-scrape", "duration", "series-read", "series-written", "last-error", "last-success"]
  ) {
    assert.equal(n[cls], "", cls);
  }
  assert.match(html, /<a href="\/metrics\?target=healthy">/);
  assert.match(html, /<a href="\/metrics\?target=healthy&amp;debug=true">/);

  const data = await statusJson(handler);
  const t = byName(data);
  assert.equal(data.version, VERSION);
  assert.equal(data.telemetryPath, "/metrics");
  const hj = t.get("healthy")!;
  assert.equal(hj.health, "up");
  assert.deepEqual(hj.labels, { team: "payments" });
  assert.equal(hj.seriesWritten, 3);
  assert.equal(hj.lastError, null);
  assert.ok(Date.parse(hj.lastScrape!) >= before - 1 && Date.parse(hj.lastSuccess!) >= before - 1);
  assert.deepEqual(hj.links, {
    metrics: "/metrics?target=healthy",
    debug: "/metrics?target=healthy&debug=true",
  });
  const fj = t.get("failing")!;
  assert.equal(fj.health, "down");
  assert.equal(fj.lastError?.reason, "status");
  assert.match(fj.lastError?.message ?? "", /500/);
  assert.equal(fj.lastSuccess, null);
  assert.equal(t.get("idle")!.health, "never scraped");
  assert.equal(t.get("idle")!.lastScrape, null);
  // The same data as the page: every row's cells agree with the JSON.
  for (const v of data.targets) {
    const row = r.get(v.name)!;
    assert.equal(row.up, v.health);
    assert.equal(row["last-scrape"], v.lastScrape ?? "");
    assert.equal(row["last-success"], v.lastSuccess ?? "");
    assert.equal(row["series-written"], v.seriesWritten === null ? "" : String(v.seriesWritten));
    assert.equal(row.duration, v.durationSeconds === null ? "" : v.durationSeconds.toFixed(3));
  }
});

Deno.test("status keeps the last success of a target that went down, and clears the error when it is back", async () => {
  let failNow = false;
  await using up = serveUpstream({
    "/flaky": () => failNow ? new Response("no\n", { status: 503 }) : new Response("x 1\n"),
  });
  const runtime = staticRuntime([target("flaky", `${up.origin}/flaky`)]);
  const handler = handlerFor(() => runtime);
  await scrape(handler);
  const first = byName(await statusJson(handler)).get("flaky")!;
  assert.equal(first.health, "up");
  failNow = true;
  await scrape(handler);
  const down = byName(await statusJson(handler)).get("flaky")!;
  assert.equal(down.health, "down");
  assert.equal(down.lastSuccess, first.lastSuccess, "the last success stays");
  assert.equal(down.lastError?.reason, "status");
  failNow = false;
  await scrape(handler, "/metrics?target=flaky");
  const back = byName(await statusJson(handler)).get("flaky")!;
  assert.equal(back.health, "up");
  assert.equal(back.lastError, null);
});

Deno.test("status page escapes hostile names, labels and URLs, and redacts credentials", async () => {
  const evil = `<script>alert("x")</script>&'`;
  const t = target(`a"><img src=x onerror=alert(1)>`, `http://user:hunter2@127.0.0.1:${freePort()}/m?q=<b>`, {
    evil,
  });
  const runtime = staticRuntime([t]);
  const handler = handlerFor(() => runtime);
  await scrape(handler); // fails (connection refused): the error message is shown escaped too
  const html = await (await get(handler, "/")).text();
  assert.doesNotMatch(html, /<script>|<img|<b>/);
  assert.ok(!html.includes("hunter2"), "no password on the page");
  assert.ok(html.includes(escapeHtml(evil)));
  assert.match(html, /data-target="a&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;"/);
  assert.match(html, /&lt;redacted&gt;@127\.0\.0\.1/);
  const json = await (await get(handler, "/api/v1/status")).text();
  assert.ok(!json.includes("hunter2"), "no password in the JSON");
  const data: StatusData = JSON.parse(json);
  assert.equal(data.targets[0].labels.evil, evil, "the JSON carries the raw value");
  assert.match(data.targets[0].url, /^http:\/\/<redacted>@127\.0\.0\.1:\d+\/m\?q=<b>$/);
  assert.equal(data.targets[0].health, "down");
});

Deno.test("status page, JSON and debug report hide a password with an @ and secret query values", async () => {
  await using up = serveUpstream({ "/ok": new Response(TEXT) });
  const port = new URL(up.origin).port;
  const good = target("good", `http://user:p@ss@127.0.0.1:${port}/ok?token=SECRET1&page=2`);
  const bad = target("bad", `http://127.0.0.1:${freePort()}/m?api_key=SECRET2`);
  const runtime = staticRuntime([good, bad]);
  const handler = handlerFor(() => runtime);
  await scrape(handler); // "bad" fails: its error message names its URL
  assert.equal(
    up.requests[0].headers.get("authorization"),
    `Basic ${btoa("user:p@ss")}`,
    "the URL's password",
  );
  const html = await (await get(handler, "/")).text();
  const json = await (await get(handler, "/api/v1/status")).text();
  const report = await (await get(handler, "/metrics?target=bad&debug=true")).text();
  const okReport = await (await get(handler, "/metrics?target=good&debug=true")).text();
  for (const [where, text] of [["page", html], ["JSON", json], ["report", report], ["report", okReport]]) {
    for (const secret of ["ss@", "SECRET1", "SECRET2"]) {
      assert.ok(!text.includes(secret), `${secret} on the ${where}`);
    }
  }
  const cells = rows(html);
  assert.equal(
    cells.get("good")?.url,
    `http://&lt;redacted&gt;@127.0.0.1:${port}/ok?token=&lt;redacted&gt;&amp;page=2`,
  );
  const data: StatusData = JSON.parse(json);
  const views = byName(data);
  assert.equal(views.get("good")?.url, `http://<redacted>@127.0.0.1:${port}/ok?token=<redacted>&page=2`);
  assert.match(views.get("bad")?.lastError?.message ?? "", /\/m\?api_key=<redacted>"/);
  assert.match(cells.get("bad")?.["last-error"] ?? "", /api_key=&lt;redacted&gt;/);
  assert.match(
    okReport,
    new RegExp(`^url: http://<redacted>@127\\.0\\.0\\.1:${port}/ok\\?token=<redacted>&page=2$`, "m"),
  );
  assert.match(
    okReport,
    /^Target "good" \(http:\/\/<redacted>@127\.0\.0\.1:\d+\/ok\?token=<redacted>&page=2\)/m,
  );
  assert.match(report, /^result: failed, reason \w+: .*api_key=<redacted>/m);
});

Deno.test("escapeHtml() escapes the five characters that can end text or an attribute", () => {
  assert.equal(
    escapeHtml(`<a href="x" title='y'>&amp;</a>`),
    "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;",
  );
  assert.equal(escapeHtml("plain text · ünïcode"), "plain text · ünïcode");
  for (const hostile of ['"><svg onload=alert(1)>', "' onmouseover='x", "</td></tr></table>", "&#x3C;"]) {
    assert.doesNotMatch(escapeHtml(hostile), /[<>"']|&(?!amp;|lt;|gt;|quot;|#39;)/);
  }
});

Deno.test("status page has a probe form per module, and the config file and last reload", async () => {
  const mod = compileTarget(testTarget({ name: "spring<1>", url: "" }));
  const runtime: Runtime = {
    targets: [],
    modules: new Map(),
    moduleTargets: [mod],
    flight: new SingleFlight(),
  };
  let fail = false;
  const holder = new ConfigHolder<unknown>({
    load: () => fail ? Promise.reject(new Error("bad config")) : Promise.resolve(runtime),
    now: () => Date.UTC(2025, 0, 2, 3, 4, 5),
  });
  holder.adopt(runtime);
  const handler = handlerFor(() => runtime, { holder, configFile: "/etc/exporter/config.yml" });
  const html = await (await get(handler, "/")).text();
  const modules = /<section id="modules">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? "";
  const forms = [...modules.matchAll(/<form [^>]*>[\s\S]*?<\/form>/g)].map((m) => m[0]);
  assert.equal(forms.length, 1);
  assert.match(forms[0], /^<form class="probe" data-module="spring&lt;1&gt;" method="get" action="\/probe">/);
  assert.match(forms[0], /<input type="hidden" name="module" value="spring&lt;1&gt;">/);
  assert.match(forms[0], /<input type="text" name="target"/);
  assert.match(forms[0], /<input type="checkbox" name="debug" value="true">/);
  const config = /<section id="config">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? "";
  assert.match(config, /\/etc\/exporter\/config\.yml/);
  assert.match(config, /2025-01-02T03:04:05\.000Z/);
  assert.match(config, /success/);
  assert.deepEqual((await statusJson(handler)).config, {
    file: "/etc/exporter/config.yml",
    lastReload: "2025-01-02T03:04:05.000Z",
    lastReloadSuccessful: true,
    lastAttempt: "2025-01-02T03:04:05.000Z",
    lastError: null,
  });
  fail = true;
  assert.equal((await holder.reload()).ok, false);
  const after = await statusJson(handler);
  assert.equal(after.config.lastReloadSuccessful, false);
  assert.equal(after.config.lastReload, "2025-01-02T03:04:05.000Z", "the last good load stays");
  assert.equal(after.config.lastError, "bad config");
  assert.equal(after.config.lastAttempt, "2025-01-02T03:04:05.000Z");
  assert.match(
    await (await get(handler, "/")).text(),
    /failed at <time[^>]*>2025-01-02T03:04:05\.000Z<\/time>: bad config/,
  );
  assert.deepEqual(after.modules, [{ name: "spring<1>", http: null }]);
});

Deno.test("a reload drops the state of targets that are gone and keeps the others'", async () => {
  await using up = serveUpstream({ "/a": new Response("a 1\n"), "/b": new Response("b 1\n") });
  const a = target("a", `${up.origin}/a`), b = target("b", `${up.origin}/b`);
  let runtime = staticRuntime([a, b]);
  const handler = handlerFor(() => runtime);
  await scrape(handler);
  runtime = staticRuntime([a]);
  const one = await statusJson(handler);
  assert.deepEqual(one.targets.map((t) => [t.name, t.health]), [["a", "up"]]);
  runtime = staticRuntime([a, b]);
  const back = byName(await statusJson(handler));
  assert.equal(back.get("b")!.health, "never scraped", "b was dropped while it was gone");
  assert.equal(back.get("a")!.health, "up");
});

Deno.test("a scrape that runs the pipeline counts the series it read and the series it wrote", async () => {
  // Three upstream samples; the exclude rule drops one, so read and written differ.
  await using up = serveUpstream({ "/p": new Response(TEXT) });
  const t = target("pipe", `${up.origin}/p`);
  const rules = compileTarget(
    testTarget({ ...t.config, rules: [{ kind: "exclude", patterns: ["queue_depth"] }] }),
  );
  const handler = handlerFor(() => staticRuntime([rules]));
  await scrape(handler);
  const v = byName(await statusJson(handler)).get("pipe")!;
  assert.equal(v.seriesRead, 3);
  assert.equal(v.seriesWritten, 2);
});

Deno.test("a memo hit counts series read and written from the memo", async () => {
  await using up = serveUpstream({ "/m": new Response(TEXT) });
  const t = withMemo(target("memo", `${up.origin}/m`));
  const runtime = staticRuntime([t]);
  const handler = handlerFor(() => runtime);
  await scrape(handler);
  await scrape(handler);
  assert.ok(t.memo!.stats.hits >= 1, "the second scrape hit the memo");
  const v = byName(await statusJson(handler)).get("memo")!;
  assert.equal(v.seriesRead, 3);
  assert.equal(v.seriesWritten, 3);
});

Deno.test("TargetStatus is bounded and keeps a down target's last success", () => {
  let now = 1_000;
  const status = new TargetStatus({ now: () => now, maxTargets: 2 });
  status.succeeded("a", { ok: true, families: [], skipped: 0, durationSeconds: 0.5 }, "text");
  now = 2_000;
  status.failed("a", { ok: false, error: new UpstreamError("timeout", "too slow"), durationSeconds: 1 });
  assert.deepEqual(status.get("a"), {
    lastScrapeMs: 2_000,
    durationSeconds: 1,
    up: false,
    seriesRead: null,
    seriesWritten: null,
    lastError: { reason: "timeout", message: "too slow" },
    lastSuccessMs: 1_000,
  });
  status.succeeded("b", { ok: true, families: [], skipped: 0, durationSeconds: 0 }, "text");
  status.succeeded("c", { ok: true, families: [], skipped: 0, durationSeconds: 0 }, "text");
  assert.equal(status.size, 2);
  assert.equal(status.get("a"), undefined, "the oldest entry went first");
  status.retain(["c"]);
  assert.equal(status.size, 1);
});

Deno.test("the status page and its JSON sit behind the web config's Basic auth", async () => {
  const hash = await bcrypt.hash("s3cret", 4);
  const web = parseWebConfig(`basic_auth_users: {prometheus: "${hash}"}\n`, {
    file: "web.yml",
    baseDir: ".",
  });
  const runtime = staticRuntime([]);
  const guarded = withWebSecurity(web, handlerFor(() => runtime));
  for (const path of ["/", "/api/v1/status"]) {
    const denied = await guarded(new Request(`http://localhost${path}`), undefined);
    assert.equal(denied.status, 401, path);
    await denied.body?.cancel();
    const auth = { authorization: "Basic " + btoa("prometheus:s3cret") };
    const ok = await guarded(new Request(`http://localhost${path}`, { headers: auth }), undefined);
    assert.equal(ok.status, 200, path);
    await ok.body?.cancel();
  }
});
