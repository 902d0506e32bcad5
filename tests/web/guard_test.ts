import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { withWebSecurity } from "../../src/web/guard.ts";
import { parseGoDuration } from "../../src/duration.ts";
import { createRateLimiter } from "../../src/web/rate_limit.ts";
import { applySecurityHeaders } from "../../src/web/security_headers.ts";
import { parseWebConfig } from "../../src/web/web_config.ts";

const HASH = await bcrypt.hash("s3cret", 4);

function basic(user: string, password: string): string {
  return "Basic " + btoa(`${user}:${password}`);
}

Deno.test("parseGoDuration() reads Go durations", () => {
  const cases: Array<[string, number]> = [
    ["0", 0],
    ["-0", 0],
    ["1s", 1000],
    ["1m30s", 90_000],
    ["1.5h", 5_400_000],
    ["250ms", 250],
    [".5s", 500],
    ["1.s", 1000],
    ["100us", 0.1],
    ["100µs", 0.1],
    ["1000000ns", 1],
    ["-2s", -2000],
    ["+2s", 2000],
    ["1h0m0s", 3_600_000],
  ];
  for (const [text, ms] of cases) assert.equal(parseGoDuration(text), ms, text);
  for (const bad of ["", "1", "s", "1 s", "1sec", "1d", "one second", "-", "1s ", ".s", "1..5s"]) {
    assert.throws(() => parseGoDuration(bad), SyntaxError, JSON.stringify(bad));
  }
});

Deno.test("createRateLimiter() lets a burst through, then answers 429 until a token comes back", async () => {
  let now = 1_000;
  const take = createRateLimiter({ intervalMs: 2_000, burst: 3 }, { now: () => now });
  assert.deepEqual([take(), take(), take()], [null, null, null]);
  const refused = take();
  assert.equal(refused?.status, 429);
  assert.equal(refused?.headers.get("retry-after"), "2");
  assert.equal(await refused?.text(), "Too Many Requests\n");
  now += 1_000; // half a token
  assert.equal(take()?.status, 429);
  now += 1_000; // a whole token
  assert.equal(take(), null);
  assert.equal(take()?.status, 429);
  now += 60_000; // refill stops at burst
  assert.deepEqual([take(), take(), take()], [null, null, null]);
  assert.equal(take()?.status, 429);
});

Deno.test("createRateLimiter() rounds Retry-After up to whole seconds, at least 1", () => {
  let now = 0;
  const take = createRateLimiter({ intervalMs: 100, burst: 1 }, { now: () => now });
  assert.equal(take(), null);
  assert.equal(take()?.headers.get("retry-after"), "1");
  const slow = createRateLimiter({ intervalMs: 90_500, burst: 1 }, { now: () => now });
  assert.equal(slow(), null);
  now += 500;
  assert.equal(slow()?.headers.get("retry-after"), "90");
});

Deno.test("createRateLimiter() throws RangeError for a limit that cannot work", () => {
  assert.throws(() => createRateLimiter({ intervalMs: 0, burst: 1 }), RangeError);
  assert.throws(() => createRateLimiter({ intervalMs: 1000, burst: 0 }), RangeError);
  assert.throws(() => createRateLimiter({ intervalMs: NaN, burst: 1 }), RangeError);
});

Deno.test("applySecurityHeaders() sets headers, copying a response whose headers are immutable", () => {
  const headers = { "X-Frame-Options": "deny" };
  const plain = new Response("x", { headers: { "x-frame-options": "sameorigin" } });
  assert.equal(applySecurityHeaders(plain, headers), plain);
  assert.equal(plain.headers.get("x-frame-options"), "deny");
  const redirect = applySecurityHeaders(Response.redirect("http://127.0.0.1/", 302), headers);
  assert.equal(redirect.status, 302);
  assert.equal(redirect.headers.get("location"), "http://127.0.0.1/");
  assert.equal(redirect.headers.get("x-frame-options"), "deny");
});

Deno.test("withWebSecurity() applies rate limit, Basic auth and headers in front of a real server", async () => {
  const web = parseWebConfig(
    [
      "http_server_config:",
      "  headers: {X-Frame-Options: deny, X-Content-Type-Options: nosniff, Content-Security-Policy: \"default-src 'none'\"}",
      `basic_auth_users: {prometheus: "${HASH}"}`,
      "rate_limit: {interval: 1h, burst: 4}",
    ].join("\n"),
    { file: "web.yml", baseDir: "." },
  );
  let handled = 0;
  const controller = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: controller.signal, onListen: () => {} },
    withWebSecurity(web, (_req: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>) => {
      handled++;
      return new Response(`hello ${info.remoteAddr.hostname}\n`);
    }),
  );
  const url = `http://127.0.0.1:${server.addr.port}/metrics`;
  const get = async (authorization?: string) => {
    const res = await fetch(url, { headers: authorization === undefined ? {} : { authorization } });
    return { status: res.status, body: await res.text(), headers: res.headers };
  };
  try {
    const anonymous = await get();
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get("www-authenticate"), 'Basic realm="prom-exporter", charset="UTF-8"');
    const wrong = await get(basic("prometheus", "guess"));
    assert.equal(wrong.status, 401);
    const ok = await get(basic("prometheus", "s3cret"));
    assert.equal(ok.status, 200);
    assert.equal(ok.body, "hello 127.0.0.1\n");
    assert.equal((await get(basic("prometheus", "s3cret"))).status, 200);
    // The bucket (burst 4, one token an hour) is empty now, whoever asks.
    const limited = await get(basic("prometheus", "s3cret"));
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get("retry-after"), "3600");
    assert.equal(handled, 2, "the handler runs only for allowed, authorized requests");
    for (const r of [anonymous, wrong, ok, limited]) {
      assert.equal(r.headers.get("x-frame-options"), "deny");
      assert.equal(r.headers.get("x-content-type-options"), "nosniff");
      assert.equal(r.headers.get("content-security-policy"), "default-src 'none'");
    }
  } finally {
    controller.abort();
    await server.finished;
  }
});

Deno.test("withWebSecurity() checks the rate limit before spending a bcrypt compare", async () => {
  const web = parseWebConfig(`basic_auth_users: {a: "${HASH}"}\nrate_limit: {interval: 1h, burst: 1}`, {
    file: "web.yml",
    baseDir: ".",
  });
  let compares = 0;
  const handler = withWebSecurity(web, () => new Response("ok"), {
    basicAuth: {
      compare: (password, hash) => {
        compares++;
        return bcrypt.compare(password, hash);
      },
    },
  });
  const req = () => new Request("http://127.0.0.1/", { headers: { authorization: basic("a", "wrong") } });
  assert.equal((await handler(req(), undefined)).status, 401);
  assert.equal((await handler(req(), undefined)).status, 429);
  assert.equal(compares, 1);
});

Deno.test("withWebSecurity() with an empty config passes requests and responses through unchanged", async () => {
  const web = parseWebConfig("", { file: "web.yml", baseDir: "." });
  const original = new Response("ok", { headers: { "x-custom": "1" } });
  const res = await withWebSecurity(web, () => original)(new Request("http://127.0.0.1/"), undefined);
  assert.equal(res, original);
});
