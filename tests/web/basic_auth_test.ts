import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { checkBcryptHash, createBasicAuth } from "../../src/web/basic_auth.ts";

const HAVE_HTPASSWD = await hasTool("htpasswd");
const REQUIRE_E2E = Deno.env.get("REQUIRE_E2E") === "1";

async function hasTool(name: string): Promise<boolean> {
  try {
    const { code } = await new Deno.Command("sh", { args: ["-c", `command -v ${name}`], stdout: "null" })
      .output();
    return code === 0;
  } catch {
    return false;
  }
}

/** A test that needs `htpasswd`: fails when REQUIRE_E2E=1 and it is missing, else is reported as ignored. */
function testWithHtpasswd(name: string, fn: () => Promise<void>) {
  if (!HAVE_HTPASSWD && REQUIRE_E2E) {
    Deno.test(name, () => assert.fail("htpasswd (apache2-utils) is required"));
  } else {
    Deno.test({ name, ignore: !HAVE_HTPASSWD, fn });
  }
}

/** `htpasswd -nbBC cost user password`, the hash part. */
async function htpasswd(user: string, password: string, cost = 10): Promise<string> {
  const out = await new Deno.Command("htpasswd", { args: ["-nbBC", String(cost), user, password] }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const line = new TextDecoder().decode(out.stdout).trim();
  return line.slice(line.indexOf(":") + 1);
}

function basic(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  return "Basic " + btoa(String.fromCharCode(...bytes));
}

function request(authorization?: string): Request {
  const headers = authorization === undefined ? undefined : { authorization };
  return new Request("http://127.0.0.1/metrics", { headers });
}

/** A real bcrypt compare that records each call and the highest number running at once. */
function countingCompare() {
  const calls: Array<{ password: string; hash: string }> = [];
  let running = 0;
  let maxRunning = 0;
  const compare = async (password: string, hash: string) => {
    calls.push({ password, hash });
    running++;
    maxRunning = Math.max(maxRunning, running);
    try {
      return await bcrypt.compare(password, hash);
    } finally {
      running--;
    }
  };
  return { compare, calls, maxRunning: () => maxRunning };
}

async function assertUnauthorized(response: Response | null) {
  assert.ok(response !== null, "expected a 401 response, got null (authorized)");
  assert.equal(response.status, 401);
  assert.equal(response.headers.get("www-authenticate"), 'Basic realm="prom-exporter", charset="UTF-8"');
  assert.equal(await response.text(), "Unauthorized\n");
}

const HASH4 = await bcrypt.hash("alice123", 4);

testWithHtpasswd("createBasicAuth() authorizes the right password for an htpasswd $2y$ hash", async () => {
  const hash = await htpasswd("alice", "alice123");
  assert.match(hash, /^\$2y\$10\$/);
  const auth = createBasicAuth(new Map([["alice", hash]]));
  assert.equal(await auth(request(basic("alice", "alice123"))), null);
  await assertUnauthorized(await auth(request(basic("alice", "alice1234"))));
});

testWithHtpasswd("createBasicAuth() verifies a UTF-8 password hashed by htpasswd", async () => {
  const hash = await htpasswd("jörg", "pässwörd €", 4);
  const auth = createBasicAuth(new Map([["jörg", hash]]));
  assert.equal(await auth(request(basic("jörg", "pässwörd €"))), null);
  await assertUnauthorized(await auth(request(basic("jörg", "passwort €"))));
});

Deno.test("createBasicAuth() accepts $2a$, $2b$ and $2y$ hashes made by bcryptjs", async () => {
  for (const prefix of ["$2a$", "$2b$", "$2y$"]) {
    const auth = createBasicAuth(new Map([["alice", prefix + HASH4.slice(4)]]));
    assert.equal(await auth(request(basic("alice", "alice123"))), null, prefix);
  }
});

Deno.test("createBasicAuth() answers 401 with a Basic challenge for a wrong password", async () => {
  const auth = createBasicAuth(new Map([["alice", HASH4]]));
  await assertUnauthorized(await auth(request(basic("alice", "alice1234"))));
  await assertUnauthorized(await auth(request(basic("alice", ""))));
});

Deno.test("createBasicAuth() answers 401 without credentials", async () => {
  const auth = createBasicAuth(new Map([["alice", HASH4]]));
  await assertUnauthorized(await auth(request()));
});

Deno.test("createBasicAuth() keeps a password that contains colons whole", async () => {
  const auth = createBasicAuth(new Map([["alice", await bcrypt.hash("a:b::c", 4)]]));
  assert.equal(await auth(request(basic("alice", "a:b::c"))), null);
  await assertUnauthorized(await auth(request(basic("alice", "a:b"))));
});

Deno.test("createBasicAuth() still runs one bcrypt compare, against a dummy of the users' cost, for an unknown user", async () => {
  // Cost-10 users: the built-in cost-10 dummy.
  const c10 = countingCompare();
  const auth10 = createBasicAuth(new Map([["alice", "$2y$10$" + HASH4.slice(7)]]), { compare: c10.compare });
  await assertUnauthorized(await auth10(request(basic("mallory", "guess"))));
  assert.equal(c10.calls.length, 1);
  assert.equal(c10.calls[0].password, "guess");
  assert.match(c10.calls[0].hash, /^\$2y\$10\$/);

  // Cost-4 users: a dummy of cost 4 is made, so an unknown user costs what a known one does.
  const c4 = countingCompare();
  const auth4 = createBasicAuth(new Map([["alice", HASH4]]), { compare: c4.compare });
  await assertUnauthorized(await auth4(request(basic("mallory", "guess"))));
  assert.equal(c4.calls.length, 1);
  assert.match(c4.calls[0].hash, /^\$2[aby]\$04\$/);
  assert.notEqual(c4.calls[0].hash, HASH4);
});

Deno.test("createBasicAuth() refuses fakeuser/fakepassword with a cold and a warm cache", async () => {
  const counter = countingCompare();
  const auth = createBasicAuth(new Map([["alice", HASH4]]), { compare: counter.compare });
  await assertUnauthorized(await auth(request(basic("fakeuser", "fakepassword"))));
  await assertUnauthorized(await auth(request(basic("fakeuser", "fakepassword"))));
  assert.equal(counter.calls.length, 1, "the second attempt is answered from the cache");
});

Deno.test("createBasicAuth() never counts a match against the dummy hash as a success", async () => {
  // Even if an attacker knew the dummy's password (the toolkit's is public), an unknown user stays out.
  const auth = createBasicAuth(new Map([["alice", HASH4]]), {
    dummyHash: await bcrypt.hash("fakepassword", 4),
  });
  await assertUnauthorized(await auth(request(basic("fakeuser", "fakepassword"))));
  await assertUnauthorized(await auth(request(basic("fakeuser", "fakepassword"))));
});

Deno.test("createBasicAuth() resists the CVE-2022-46146 cache-poisoning exploit", async () => {
  const dummyHash = await bcrypt.hash("fakepassword", 4);
  const counter = countingCompare();
  const auth = createBasicAuth(new Map([["alice", HASH4]]), { dummyHash, compare: counter.compare });
  // 1. Poison: an unknown user whose name is "alice" followed by alice's hash, with the dummy's password.
  //    A cache keyed on user+hash+password concatenated stored "success" for "alice"+HASH4+dummy+"fakepassword".
  await assertUnauthorized(await auth(request(basic("alice" + HASH4, "fakepassword"))));
  // 2. Exploit: the real user "alice" with a password that makes the same concatenation.
  await assertUnauthorized(await auth(request(basic("alice", dummyHash + "fakepassword"))));
  // The same with separators an unescaped "user:hash:password" key would use.
  await assertUnauthorized(await auth(request(basic(`alice:${HASH4}`, "fakepassword"))));
  await assertUnauthorized(await auth(request(basic("alice", `${dummyHash}:fakepassword`))));
  await assertUnauthorized(await auth(request(basic(`alice${HASH4}${dummyHash}`, ""))));
  await assertUnauthorized(await auth(request(basic("alice", ""))));
  // Each of the six attempts was its own cache entry: none was answered by another's result.
  assert.equal(counter.calls.length, 6);
  // And alice herself still gets in.
  assert.equal(await auth(request(basic("alice", "alice123"))), null);
});

Deno.test("createBasicAuth() caches results so a repeated login costs no compare", async () => {
  const counter = countingCompare();
  const auth = createBasicAuth(new Map([["alice", HASH4]]), { compare: counter.compare });
  for (let i = 0; i < 5; i++) assert.equal(await auth(request(basic("alice", "alice123"))), null);
  for (let i = 0; i < 5; i++) await assertUnauthorized(await auth(request(basic("alice", "nope"))));
  assert.equal(counter.calls.length, 2);
});

Deno.test("createBasicAuth() keeps at most cacheSize results", async () => {
  const counter = countingCompare();
  const auth = createBasicAuth(new Map([["alice", HASH4]]), { compare: counter.compare, cacheSize: 10 });
  const passwords = Array.from({ length: 30 }, (_, i) => `wrong-${i}`);
  for (const p of passwords) await auth(request(basic("alice", p)));
  assert.equal(counter.calls.length, 30);
  for (const p of passwords) await auth(request(basic("alice", p)));
  // At most 10 of the 30 can still be cached, so at least 20 are compared again.
  assert.ok(counter.calls.length - 30 >= 20, `only ${counter.calls.length - 30} recomputed`);
});

Deno.test("createBasicAuth() runs compares one at a time and shares one compare among identical logins", async () => {
  const counter = countingCompare();
  const auth = createBasicAuth(new Map([["alice", HASH4]]), { compare: counter.compare });
  const distinct = await Promise.all(
    Array.from({ length: 20 }, (_, i) => auth(request(basic("alice", `wrong-${i}`)))),
  );
  assert.ok(distinct.every((r) => r?.status === 401));
  assert.equal(counter.maxRunning(), 1);
  assert.equal(counter.calls.length, 20);
  const same = await Promise.all(Array.from({ length: 20 }, () => auth(request(basic("alice", "alice123")))));
  assert.ok(same.every((r) => r === null));
  assert.equal(counter.calls.length, 21, "20 identical concurrent logins cost one compare");
});

Deno.test("createBasicAuth() gives 300 concurrent mixed logins the right answers", async () => {
  const auth = createBasicAuth(new Map([["alice", HASH4], ["bob", await bcrypt.hash("bob123", 4)]]));
  const cases: Array<[string, string, boolean]> = [];
  for (let i = 0; i < 75; i++) {
    cases.push(["alice", "alice123", true], ["alice", "alice1234", false]);
    cases.push(["bob", "bob123", true], [i % 2 ? "fakeuser" : "bob", "alice123", false]);
  }
  const results = await Promise.all(cases.map(([u, p]) => auth(request(basic(u, p)))));
  results.forEach((r, i) => assert.equal(r === null, cases[i][2], `case ${i}: ${cases[i][0]}`));
});

Deno.test("createBasicAuth() answers 401, without a compare and without throwing, to malformed headers", async () => {
  const counter = countingCompare();
  const auth = createBasicAuth(new Map([["alice", HASH4]]), { compare: counter.compare });
  const malformed = [
    "",
    "Bearer abc",
    "Basic",
    "Basic ",
    "Basic !!!!",
    "Basic YWxpY2U6YWxpY2UxMjM", // missing padding
    "Basic YWxpY2U6YWxpY2UxMjM=x",
    "Basic " + btoa("alice"), // no colon
    "Basic " + btoa("\xff\xfe:\xc3"), // not UTF-8
    "Basic " + btoa("alice:alice123") + " " + btoa("x:y"),
    'Digest username="alice"',
    "BasicYWxpY2U6YWxpY2UxMjM=",
  ];
  for (const header of malformed) {
    await assertUnauthorized(await auth(request(header)));
  }
  assert.equal(counter.calls.length, 0);
  // The scheme is case-insensitive, as in Go's Request.BasicAuth.
  assert.equal(await auth(request("basic " + btoa("alice:alice123"))), null);
  assert.equal(await auth(request("BASIC " + btoa("alice:alice123"))), null);
});

Deno.test("createBasicAuth() with no users lets every request through", async () => {
  const auth = createBasicAuth(new Map());
  assert.equal(await auth(request()), null);
  assert.equal(await auth(request("Basic !!!")), null);
});

Deno.test("createBasicAuth() throws TypeError for a non-bcrypt hash or an unquotable realm", () => {
  assert.throws(() => createBasicAuth(new Map([["a", "plaintext"]])), TypeError);
  assert.throws(() => createBasicAuth(new Map([["a", HASH4]]), { realm: 'a"b' }), TypeError);
  assert.throws(() => createBasicAuth(new Map([["a", HASH4]]), { realm: "a\nb" }), TypeError);
});

Deno.test("createBasicAuth() announces a configured realm", async () => {
  const auth = createBasicAuth(new Map([["a", HASH4]]), { realm: "node 7" });
  assert.equal(
    (await auth(request()))?.headers.get("www-authenticate"),
    'Basic realm="node 7", charset="UTF-8"',
  );
});

Deno.test("checkBcryptHash() accepts only well-formed bcrypt hashes", () => {
  const tail = HASH4.slice(7);
  const good = ["$2a$04$" + tail, "$2b$10$" + tail, "$2y$31$" + tail];
  for (const h of good) assert.equal(checkBcryptHash(h), undefined, h);
  const bad: Array<[string, RegExp]> = [
    ["alice123", /^is not a bcrypt hash/],
    ["$2x$10$" + tail, /^is not a bcrypt hash/],
    ["$2$10$" + tail, /^is not a bcrypt hash/],
    ["$apr1$nXQhPJrZ$0vx.n2w2PUzhX/9hzS7WP.", /^is not a bcrypt hash/],
    ["{SHA}EfatjsUqKYSrqv18O1FlA3hcIHI=", /^is not a bcrypt hash/],
    ["$2y$03$" + tail, /^has bcrypt cost 3;/],
    ["$2y$32$" + tail, /^has bcrypt cost 32;/],
    ["$2y$10$" + tail.slice(1), /^is a malformed bcrypt hash/],
    ["$2y$10$" + tail + "x", /^is a malformed bcrypt hash/],
    ["$2y$10$" + tail.slice(1) + "!", /^is a malformed bcrypt hash/],
    ["$2y$1$" + tail + "x", /^is a malformed bcrypt hash/],
  ];
  for (const [h, re] of bad) assert.match(checkBcryptHash(h) ?? "(accepted)", re, h);
});
