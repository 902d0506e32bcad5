import assert from "node:assert/strict";
import fc from "fast-check";
import { compileJsonPath, selectNodes, selectOne } from "../../src/jsonpath/mod.ts";

const DOC = {
  status: "green",
  "a.b": { "c d": 1, "e/f": 2, "it's": 3 },
  list: [10, 20, 30],
  obj: { x: 1, y: null, z: 3 },
  tasks: [
    { id: 0, state: "RUNNING", n: 1 },
    { id: 1, state: "FAILED", n: 5 },
    { id: 2, state: "FAILED", n: 2, error: "boom" },
  ],
  "my-connector": { ok: true },
};

/** [path, expected values, expected keys] */
const CASES: [string, unknown[], string[]][] = [
  ["$", [DOC], [""]],
  ["$.status", ["green"], ["status"]],
  ["$['a.b']['c d']", [1], ["c d"]],
  ['$["a.b"]["e/f"]', [2], ["e/f"]],
  ["$['a.b']['it\\'s']", [3], ["it's"]],
  ["$.list[0]", [10], ["0"]],
  ["$.list[-1]", [30], ["2"]],
  ["$.list[5]", [], []],
  ["$.list[*]", [10, 20, 30], ["0", "1", "2"]],
  ["$.obj.*", [1, null, 3], ["x", "y", "z"]],
  ["$.obj['x','z']", [1, 3], ["x", "z"]],
  ["$.tasks[*].id", [0, 1, 2], ["id", "id", "id"]],
  ["$.tasks[?@.state == 'FAILED'].id", [1, 2], ["id", "id"]],
  ['$.tasks[?@.state != "FAILED"]', [DOC.tasks[0]], ["0"]],
  ["$.tasks[?@.n > 1 && @.n <= 5].id", [1, 2], ["id", "id"]],
  ["$.tasks[?@.n < 2 || @.error].id", [0, 2], ["id", "id"]],
  ["$.tasks[?!@.error].id", [0, 1], ["id", "id"]],
  ["$.tasks[?(@.n >= 2) && !(@.state == 'RUNNING')].id", [1, 2], ["id", "id"]],
  ["$.tasks[?@.missing == null].id", [], []],
  ["$.obj[?@ == 3]", [3], ["z"]],
  ["$.tasks[?$.status == 'green'].id", [0, 1, 2], ["id", "id", "id"]],
  ["$.my-connector.ok", [true], ["ok"]],
  ["$.nope.deeper", [], []],
];

for (const [path, values, keys] of CASES) {
  Deno.test(`selectNodes() selects ${path}`, () => {
    const { nodes } = selectNodes(compileJsonPath(path), DOC, DOC);
    assert.deepEqual(nodes.map((n) => n.value), values);
    assert.deepEqual(nodes.map((n) => n.key), keys);
  });
}

Deno.test("selectNodes() reports a missing member, but not an empty wildcard or filter", () => {
  const sel = (p: string) => selectNodes(compileJsonPath(p), DOC, DOC).missing;
  assert.equal(sel("$.nope[*]"), true);
  assert.equal(sel("$.obj.y"), true); // null counts as missing
  assert.equal(sel("$.list[9]"), true);
  assert.equal(sel("$.tasks[?@.state == 'NONE']"), false);
  assert.equal(sel("$.obj.*"), false);
});

Deno.test("selectOne() reads singular paths relative to @ or $", () => {
  const current = DOC.tasks[1];
  assert.equal(selectOne(compileJsonPath("@.state"), DOC, current), "FAILED");
  assert.equal(selectOne(compileJsonPath("$.status"), DOC, current), "green");
  assert.equal(selectOne(compileJsonPath("@.nope.x"), DOC, current), undefined);
  assert.equal(selectOne(compileJsonPath("@"), DOC, 7), 7);
});

Deno.test("compileJsonPath() marks only name/index paths as singular", () => {
  assert.equal(compileJsonPath("$.a['b'][0]").singular, true);
  assert.equal(compileJsonPath("@").singular, true);
  assert.equal(compileJsonPath("$.a[*]").singular, false);
  assert.equal(compileJsonPath("$.a['x','y']").singular, false);
  assert.equal(compileJsonPath("$.a[?@.b]").singular, false);
});

const BAD: [string, string][] = [
  ["a.b", 'at character 1: expected "$" or "@"'],
  ["$.", "at character 3: expected a member name (use ['...'] for other keys)"],
  ["$..a", 'at character 3: the descendant segment ".." is not supported'],
  ["$.a[", `at character 5: expected a quoted name, an index, "*" or "?"`],
  ["$.a[1:2]", "at character 5: array slices are not supported"],
  ["$['a", "at character 5: unterminated string"],
  ["$['a'", 'at character 6: expected "," or "]"'],
  ["$.a b", 'at character 4: expected ".", "[" or the end'],
  ["$[?@.a ==]", 'at character 10: expected "@", "$", a string, a number, true, false or null'],
  ["$[?@.a[*] == 1]", 'at character 15: a comparison needs a path to one value: "@.a[*]"'],
  ["$[?1]", "at character 5: expected a comparison operator"],
  ["$['\\q']", 'at character 6: invalid escape "\\q"'],
];

for (const [path, message] of BAD) {
  Deno.test(`compileJsonPath() rejects ${path}`, () => {
    assert.throws(
      () => compileJsonPath(path),
      (e: unknown) => e instanceof SyntaxError && e.message === message,
    );
  });
}

Deno.test("selectNodes() never throws on any JSON document (property)", () => {
  const paths = ["$.a[*].b", "$.*.*", "$[?@.x > 1]", "$['a','b'][0]", "@.a[-1]", "$[?@.s == 'x' || !@.t]"]
    .map(
      compileJsonPath,
    );
  fc.assert(
    fc.property(fc.jsonValue(), (doc) => {
      for (const p of paths) selectNodes(p, doc, doc);
    }),
    { numRuns: 500 },
  );
});
