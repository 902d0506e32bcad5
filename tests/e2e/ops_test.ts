import assert from "node:assert/strict";
import { json, serveUpstream } from "../_lib/helpers.ts";
import { startExporter } from "../_lib/run.ts";

const config = (url: string, service: string) =>
  `targets:\n  - name: t\n    url: ${url}\n    labels: { service: ${service} }\n`;

Deno.test("POST /-/reload and the reload signal swap a good config, and keep the old one on a bad config", async () => {
  await using up = serveUpstream({ "/s": json({ a: 1 }) });
  const dir = await Deno.makeTempDir();
  const file = `${dir}/config.yaml`;
  await Deno.writeTextFile(file, config(`${up.origin}/s`, "one"));
  const ex = await startExporter(["--config.file", file]);
  try {
    const scrape = async () => await (await fetch(`${ex.base}/metrics`)).text();
    assert.match(await scrape(), /^a\{service="one"\} 1$/m);
    assert.match(await scrape(), /^prom_exporter_config_last_reload_successful 1$/m);

    const get = await fetch(`${ex.base}/-/reload`);
    assert.equal(get.status, 405);
    await get.body?.cancel();

    await Deno.writeTextFile(file, config(`${up.origin}/s`, "two"));
    const ok = await fetch(`${ex.base}/-/reload`, { method: "POST" });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    assert.match(await scrape(), /^a\{service="two"\} 1$/m);

    await Deno.writeTextFile(file, "targets:\n  - name: t\n    bogus: 1\n");
    const bad = await fetch(`${ex.base}/-/reload`, { method: "POST" });
    assert.equal(bad.status, 500);
    const why = await bad.text();
    assert.match(
      why,
      /^failed to reload config: .*config\.yaml:2: targets\[0\]\.url: missing required key$/m,
    );
    assert.match(why, /config\.yaml:3: targets\[0\]\.bogus: unknown key/);
    const after = await scrape();
    assert.match(after, /^a\{service="two"\} 1$/m, "the old config keeps serving");
    assert.match(after, /^prom_exporter_config_last_reload_successful 0$/m);

    await Deno.writeTextFile(file, config(`${up.origin}/s`, "three"));
    ex.reload();
    for (let i = 0; i < 50 && !/service="three"/.test(await scrape()); i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.match(await scrape(), /^a\{service="three"\} 1$/m);
    const ready = await fetch(`${ex.base}/-/ready`);
    assert.equal(ready.status, 200);
    await ready.body?.cancel();
  } finally {
    assert.equal(await ex.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
  assert.match(ex.err.join(""), /level=error msg="config reload failed"/);
});

Deno.test("stopping the server lets an in-flight slow scrape finish, then exits 0", async () => {
  const gate = Promise.withResolvers<void>();
  await using up = serveUpstream({ "/slow": async () => (await gate.promise, json({ a: 7 })) });
  const ex = await startExporter(["-s", "foo", "-u", `${up.origin}/slow`]);
  const inFlight = fetch(`${ex.base}/metrics`);
  await new Promise((r) => setTimeout(r, 100));
  const stopped = ex.stop();
  await new Promise((r) => setTimeout(r, 100));
  gate.resolve();
  const res = await inFlight;
  assert.equal(res.status, 200);
  assert.match(await res.text(), /^a\{service="foo"\} 7$/m);
  assert.equal(await stopped, 0);
  assert.match(ex.err.join(""), /msg=stopped shutdown=clean/);
});

Deno.test("a scraper that disconnects aborts the upstream fetch", async () => {
  const aborted = Promise.withResolvers<void>();
  const held = Promise.withResolvers<Response>();
  await using up = serveUpstream({
    "/hang": (req) => {
      req.signal.addEventListener("abort", () => aborted.resolve(), { once: true });
      return held.promise;
    },
  });
  const ex = await startExporter(["-s", "foo", "-u", `${up.origin}/hang`]);
  try {
    const scraper = new AbortController();
    const scrape = fetch(`${ex.base}/metrics`, { signal: scraper.signal }).catch(() => null);
    await new Promise((r) => setTimeout(r, 200));
    scraper.abort();
    await scrape;
    const timer = Promise.withResolvers<string>();
    const t = setTimeout(() => timer.resolve("not aborted"), 3_000);
    assert.equal(await Promise.race([aborted.promise.then(() => "aborted"), timer.promise]), "aborted");
    clearTimeout(t);
  } finally {
    held.resolve(new Response("{}"));
    assert.equal(await ex.stop(), 0);
  }
});
