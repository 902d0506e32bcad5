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
  ["$.obj[?@ == 3]", [3], ["z"]],
  ["$.tasks[?$.status == 'green'].id", [0, 1, 2], ["id", "id", "id"]],
  ["$.my-connector.ok", [true], ["ok"]],
  ["$.nope.deeper", [], []],
  ["$.obj.y", [null], ["y"]],
  ["$..id", [0, 1, 2], ["id", "id", "id"]],
  ["$.tasks..n", [1, 5, 2], ["n", "n", "n"]],
  ["$..[?@.error]", [DOC.tasks[2]], ["2"]],
  ["$.list[1:]", [20, 30], ["1", "2"]],
  ["$.list[::-1]", [30, 20, 10], ["2", "1", "0"]],
  ["$.list[-2:-1]", [20], ["1"]],
  ["$.list[0:3:2]", [10, 30], ["0", "2"]],
  ["$.tasks[?length(@.state) == 6].id", [1, 2], ["id", "id"]],
  ["$.tasks[?match(@.state, 'RUN.*')].id", [0], ["id"]],
  ["$.tasks[?search(@.state, 'AIL')].id", [1, 2], ["id", "id"]],
  ["$[?count(@.*) == 3]", [DOC["a.b"], DOC.list, DOC.obj, DOC.tasks], ["a.b", "list", "obj", "tasks"]],
  ["$.tasks[?value(@..error) == 'boom'].id", [2], ["id"]],
  ["$.tasks[?@.missing == null].id", [], []],
  ["$ .list [ 0 , 2 ]", [10, 30], ["0", "2"]],
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
  assert.equal(sel("$.obj.y"), true); // null counts as missing (and is selected)
  assert.equal(sel("$.list[9]"), true);
  assert.equal(sel("$.tasks[?@.state == 'NONE']"), false);
  assert.equal(sel("$.obj.*"), false);
  assert.equal(sel("$.status[1:]"), true);
  assert.equal(sel("$.list[5:]"), false);
  assert.equal(sel("$.status..x"), true);
  assert.equal(sel("$..nope"), false);
});

Deno.test("selectNodes() walks a deeply nested document for .. without overflowing the stack", () => {
  let doc: unknown = { name: "leaf" };
  for (let i = 0; i < 100_000; i++) doc = [doc];
  const { nodes } = selectNodes(compileJsonPath("$..name"), doc, doc);
  assert.deepEqual(nodes, [{ value: "leaf", key: "name" }]);
});

Deno.test("selectNodes() keeps the key of @ and compares per RFC 9535 (Nothing, null, arrays, objects)", () => {
  assert.deepEqual(selectNodes(compileJsonPath("@"), DOC, 5, "five").nodes, [{ value: 5, key: "five" }]);
  const doc = [{ a: null }, {}, { a: [1, { b: 2 }] }, { a: { x: 1, y: [2] } }];
  const ids = (p: string) => selectNodes(compileJsonPath(p), doc, doc).nodes.map((n) => n.key);
  assert.deepEqual(ids("$[?@.a == null]"), ["0"]);
  assert.deepEqual(ids("$[?@.a == @.nope]"), ["1"]);
  assert.deepEqual(ids("$[?@.a == $[2].a]"), ["2"]);
  assert.deepEqual(ids("$[?@.a == $[3].a]"), ["3"]);
  assert.deepEqual(ids("$[?@.a <= null]"), ["0"]);
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
  ["$..", "at character 4: expected a member name (use ['...'] for other keys)"],
  ["$.a[", `at character 5: expected a quoted name, an index, "*" or "?"`],
  ["$.a[1:2:3:4]", 'at character 10: expected "," or "]"'],
  ["$[-0]", 'at character 3: "-0" is not an index'],
  ["$[01]", "at character 3: leading zeros are not allowed"],
  ["$.a ", 'at character 4: expected ".", "[" or the end'],
  ["$[?length(@.a)]", "at character 15: the value of length() must be compared, it is not true or false"],
  ["$[?match(@.a, 'x') == true]", "at character 27: the result of match() cannot be compared"],
  [
    "$[?length(@.*) > 1]",
    'at character 11: length() cannot take "@.*", which may select several values here',
  ],
  ["$[?count(1) > 1]", "at character 10: count() cannot take anything but a query here"],
  ["$[?search(@.a) > 1]", "at character 15: search() takes 2 argument(s)"],
  ["$[?nope(@.a)]", 'at character 4: unknown function "nope"'],
  ["$[?!@.a == 1]", 'at character 9: expected "," or "]"'],
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
  const paths = [
    "$.a[*].b",
    "$.*.*",
    "$[?@.x > 1]",
    "$['a','b'][0]",
    "@.a[-1]",
    "$[?@.s == 'x' || !@.t]",
    "$..*",
    "$..[?length(@) > 1 && count(@.*) < 3]",
    "$[1:-1:2]",
    "$..[?match(@, 'a.*') || search(@.k, $.p) || value(@..x) == @]",
  ].map(compileJsonPath);
  fc.assert(
    fc.property(fc.jsonValue(), (doc) => {
      for (const p of paths) selectNodes(p, doc, doc);
    }),
    { numRuns: 500 },
  );
});
