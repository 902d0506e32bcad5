import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { gzipParts } from "../../src/exposition/gzip.ts";
import { expositionResponse, SharedDocument } from "../../src/exposition/respond.ts";
import { needTool } from "../_lib/ops_helpers.ts";
import { PYTHON } from "../_lib/validators.ts";

const enc = new TextEncoder();

/** The pieces in one buffer. */
function concat(pieces: readonly Uint8Array[]): Uint8Array {
  return new SharedDocument(pieces as Uint8Array<ArrayBuffer>[]).bytes();
}

/** A deterministic PRNG (mulberry32), so a failure names a case that can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Metric text (compressible) or random bytes (not), `n` bytes. */
function body(n: number, rnd: () => number, text: boolean): Uint8Array {
  if (!text) return Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
  let s = "";
  for (let i = 0; s.length < n; i++) s += `upstream_requests_total{shard="${i % 97}",code="2xx"} ${rnd()}\n`;
  return enc.encode(s.slice(0, n));
}

Deno.test("gzipParts() gives one member that decodes to the parts in order, however the bytes are split", () => {
  const rnd = random(13);
  for (let c = 0; c < 200; c++) {
    const whole = body(Math.floor(rnd() * (c % 10 === 0 ? 300_000 : 5_000)), rnd, c % 3 !== 0);
    const cuts = Array.from({ length: Math.floor(rnd() * 5) }, () => Math.floor(rnd() * (whole.length + 1)))
      .sort((a, b) => a - b);
    const parts: Uint8Array[] = [];
    let from = 0;
    for (const cut of [...cuts, whole.length]) {
      parts.push(whole.slice(from, cut)); // empty parts included
      from = cut;
    }
    assert.deepEqual(new Uint8Array(gunzipSync(concat(gzipParts(parts)))), whole, `case ${c}: ${cuts}`);
  }
  assert.deepEqual(new Uint8Array(gunzipSync(concat(gzipParts([])))), new Uint8Array(0));
});

Deno.test("gzipParts() compresses a part once, whatever answers share it; the last part every time", () => {
  const rnd = random(7);
  const shared = body(100_000, rnd, true);
  const first = gzipParts([shared, enc.encode("own 1\n")]);
  const second = gzipParts([shared, enc.encode("own 2\n")]);
  assert.equal(second[1], first[1], "the shared part's deflate is the same bytes");
  assert.notEqual(second[2], first[2]);
  assert.equal(new TextDecoder().decode(gunzipSync(concat(second))).slice(-6), "own 2\n");
});

Deno.test({
  name: "gzipParts() members decode with Python's gzip module and with gzip(1)",
  ignore: !needTool(PYTHON, ["--version"]) || !needTool("gzip", ["--version"]),
  fn: async () => {
    const rnd = random(3);
    const parts = [body(200_000, rnd, true), body(70_000, rnd, false), body(5_000, rnd, true)];
    const member = concat(gzipParts(parts));
    const want = concat(parts);
    const decoders: [string, string[]][] = [
      [PYTHON, ["-c", "import gzip, sys; sys.stdout.buffer.write(gzip.decompress(sys.stdin.buffer.read()))"]],
      ["gzip", ["-dc"]],
    ];
    for (const [cmd, args] of decoders) {
      const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
      const writer = child.stdin.getWriter();
      const [out] = await Promise.all([child.output(), writer.write(member).then(() => writer.close())]);
      assert.equal(out.code, 0, `${cmd}: ${new TextDecoder().decode(out.stderr)}`);
      assert.deepEqual(out.stdout, want, cmd);
    }
  },
});

Deno.test("expositionResponse() gzips a shared document: Content-Length is the bytes sent, which decode to it", async () => {
  const rnd = random(5);
  const shared = body(150_000, rnd, true);
  const req = new Request("http://x/metrics", { headers: { "accept-encoding": "gzip" } });
  for (const own of ["# own 1\n", "# own 2\n"]) {
    const res = expositionResponse(
      req,
      "text",
      new SharedDocument([shared as Uint8Array<ArrayBuffer>, enc.encode(own)]),
    );
    assert.equal(res.headers.get("content-encoding"), "gzip");
    const sent = new Uint8Array(await res.arrayBuffer());
    assert.equal(Number(res.headers.get("content-length")), sent.byteLength);
    assert.deepEqual(new Uint8Array(gunzipSync(sent)), concat([shared, enc.encode(own)]));
  }
});
