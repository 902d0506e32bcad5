import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { run } from "../../main.ts";
import { json, serveUpstream } from "../_lib/helpers.ts";

Deno.test("run() start applies --web.config.file: basic auth and security headers on the real listener", async () => {
  await using up = serveUpstream({ "/s": json({ a: 1 }) });
  const dir = await Deno.makeTempDir();
  const hash = await bcrypt.hash("pw", 4);
  await Deno.writeTextFile(
    `${dir}/web.yml`,
    `basic_auth_users:\n  alice: "${hash}"\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n`,
  );
  const stop = new AbortController();
  let port = 0;
  const listening = Promise.withResolvers<void>();
  const err: string[] = [];
  const done = run(
    [
      "start",
      "-s",
      "foo",
      "-u",
      `${up.origin}/s`,
      "--web.config.file",
      `${dir}/web.yml`,
      "--web.listen-address",
      "127.0.0.1:0",
    ],
    {
      env: {},
      stdout: () => {},
      stderr: (t) => err.push(t),
      cwd: Deno.cwd(),
      signal: stop.signal,
      onListen: (a) => {
        port = a.port;
        listening.resolve();
      },
    },
  );
  await Promise.race([listening.promise, done]);
  try {
    assert.ok(port > 0, err.join(""));
    const anon = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get("www-authenticate") ?? "", /^Basic /);
    assert.equal(anon.headers.get("x-frame-options"), "deny");
    await anon.body?.cancel();
    const wrong = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Basic ${btoa("alice:no")}` },
    });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const ok = await fetch(`http://127.0.0.1:${port}/metrics`, {
      headers: { authorization: `Basic ${btoa("alice:pw")}` },
    });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /^a\{service="foo"\} 1$/m);
  } finally {
    stop.abort();
  }
  assert.equal(await done, 0);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("run() start refuses an invalid --web.config.file with exit 1 and the file:line problem", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/web.yml`, "basic_auth_users:\n  bob: plaintext\nbogus_key: 1\n");
  const err: string[] = [];
  const code = await run(["start", "-u", "http://127.0.0.1:1/", "--web.config.file", `${dir}/web.yml`], {
    env: {},
    stdout: () => {},
    stderr: (t) => err.push(t),
    cwd: Deno.cwd(),
  });
  assert.equal(code, 1);
  assert.match(err.join(""), /web\.yml:2: basic_auth_users\.bob: /);
  assert.match(err.join(""), /web\.yml:3: bogus_key: /);
  await Deno.remove(dir, { recursive: true });
});
