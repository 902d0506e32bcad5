import assert from "node:assert/strict";
import { UpstreamError } from "../../src/errors.ts";
import { abortError, plainClient, untilAborted } from "../../src/upstream/mod.ts";

Deno.test("abortError() makes the deadline or a gone scraper a timeout", () => {
  const e = abortError(AbortSignal.abort(new DOMException("gone", "AbortError")), 'Cannot fetch "u"', "c");
  assert.equal(e.reason, "timeout");
  assert.equal(e.message, 'Cannot fetch "u": deadline exceeded');
  assert.equal(e.cause, "c");
});

Deno.test("abortError() keeps the reason of an UpstreamError the signal was aborted with", () => {
  const e = abortError(AbortSignal.abort(new UpstreamError("memory", "no room")), "Cannot scrape");
  assert.equal(e.reason, "memory");
  assert.equal(e.message, "Cannot scrape: no room");
});

Deno.test("untilAborted() settles like the work, or ends the wait at the abort", async () => {
  assert.equal(await untilAborted(Promise.resolve(1), AbortSignal.timeout(5_000), "x"), 1);
  const never = new Promise<never>(() => {});
  await assert.rejects(
    untilAborted(never, AbortSignal.timeout(50), "Cannot check the target"),
    (e) =>
      e instanceof UpstreamError && e.reason === "timeout" &&
      e.message === "Cannot check the target: deadline exceeded",
  );
  await assert.rejects(
    untilAborted(never, AbortSignal.abort(), "x"),
    (e) => e instanceof UpstreamError && e.reason === "timeout",
  );
});

Deno.test("plainClient() sends its headers and follows no redirect", async () => {
  const seen: Headers[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    seen.push(req.headers);
    return new URL(req.url).pathname === "/r"
      ? new Response(null, { status: 307, headers: { location: "/" } })
      : new Response("a 1\n");
  });
  const origin = `http://127.0.0.1:${server.addr.port}`;
  try {
    const client = plainClient({ "x-token": "t", accept: "text/plain" });
    const got = await client.fetch(`${origin}/`, { signal: AbortSignal.timeout(5_000), maxBodyBytes: 1024 });
    assert.equal(new TextDecoder().decode(got.bytes), "a 1\n");
    assert.equal(seen[0].get("x-token"), "t");
    assert.equal(seen[0].get("accept"), "text/plain");
    await assert.rejects(
      client.fetch(`${origin}/r`, { signal: AbortSignal.timeout(5_000), maxBodyBytes: 1024 }),
      (e) =>
        e instanceof UpstreamError && e.reason === "redirect" &&
        e.message === `Cannot fetch "${origin}/r": redirect with status 307 not followed`,
    );
  } finally {
    await server.shutdown();
  }
});
