import assert from "node:assert/strict";
import { createLogger } from "../src/log.ts";

function capture(format: "logfmt" | "json", level: "debug" | "info" | "warn" | "error" = "info") {
  const lines: string[] = [];
  const log = createLogger({ level, format, write: (l) => lines.push(l), now: () => new Date(0) });
  return { lines, log };
}

Deno.test("createLogger() writes logfmt with quoting only where needed", () => {
  const { lines, log } = capture("logfmt");
  log.info("listening", { address: "0.0.0.0:9999", n: 3, quoted: 'a "b" c', empty: "" });
  assert.deepEqual(lines, [
    'time=1970-01-01T00:00:00.000Z level=info msg=listening address=0.0.0.0:9999 n=3 quoted="a \\"b\\" c" empty=""',
  ]);
});

Deno.test("createLogger() writes one JSON object per line", () => {
  const { lines, log } = capture("json");
  log.error("boom", { target: "foo" });
  assert.deepEqual(JSON.parse(lines[0]), {
    time: "1970-01-01T00:00:00.000Z",
    level: "error",
    msg: "boom",
    target: "foo",
  });
});

Deno.test("createLogger() drops lines below the level", () => {
  const { lines, log } = capture("logfmt", "warn");
  log.debug("a");
  log.info("b");
  log.warn("c");
  log.error("d");
  assert.deepEqual(lines.map((l) => l.split(" ")[1]), ["level=warn", "level=error"]);
});
