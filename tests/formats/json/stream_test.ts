import assert from "node:assert/strict";
import fc from "fast-check";
import { ParseError } from "../../../src/errors.ts";
import {
  type FlatJsonResult,
  flattenJson,
  flattenJsonBytes,
  MAX_JSON_DEPTH,
} from "../../../src/formats/json/mod.ts";

const UTF8 = new TextDecoder("utf-8", { fatal: true });
const enc = (text: string) => new TextEncoder().encode(text);

/** A result, or the kind of ParseError: what must be equal between the two flatteners. */
type Outcome = FlatJsonResult | string;

function errorKind(e: unknown): string {
  if (!(e instanceof ParseError)) throw e;
  if (e.message.startsWith("invalid JSON")) return "syntax";
  return e.message;
}

/** Today's path: decode the whole body as decode.ts's bodyText does, then flattenJson. */
function oracle(bytes: Uint8Array): Outcome {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    return "the upstream body is not valid UTF-8";
  }
  try {
    return flattenJson(text);
  } catch (e) {
    return errorKind(e);
  }
}

function streamed(bytes: Uint8Array, blockBytes?: number): Outcome {
  try {
    return flattenJsonBytes(bytes, { blockBytes });
  } catch (e) {
    return errorKind(e);
  }
}

/** Asserts equal outcomes for the default block size and, for small bodies, every block size up to its length. */
function assertSame(input: string | Uint8Array, maxBlock = 64): Outcome {
  const bytes = typeof input === "string" ? enc(input) : input;
  const want = oracle(bytes);
  assert.deepStrictEqual(streamed(bytes), want);
  for (let b = 1; b <= Math.min(bytes.length + 1, maxBlock); b++) {
    assert.deepStrictEqual(streamed(bytes, b), want, `block size ${b}`);
  }
  return want;
}

/** Samples as `[name, value]` rows, for the readable expectations below. */
function rows(outcome: Outcome): [string, number][] {
  assert.equal(typeof outcome, "object", String(outcome));
  return (outcome as FlatJsonResult).families.flatMap((f) =>
    f.samples.map((s): [string, number] => [s.name, s.value])
  );
}

const CASES: [string, string][] = [
  ["nested objects and _-joined paths", '{"a":{"b":{"c":1},"d":2},"e":3}'],
  ["key sanitising", '{"http.requests/sec":1,"5xx":2,"a-b":{"c d":3},"ünï":4,"":{"x":5},"a_":{"":6}}'],
  ["one family for keys that sanitise alike", '{"a.b":1,"a_b":2,"a":{"b":3}}'],
  ["booleans", '{"up":true,"down":false}'],
  ["numeric strings", '{"a":"12"," b":" 12.5 ","c":"1e3","d":"-.5","e":"+7","f":"0x10","g":"12abc","h":""}'],
  ["NaN and Inf strings", '{"a":"NaN","b":"+Inf","c":"-Inf","d":"Inf","e":" NaN ","f":"nan","g":"Infinity"}'],
  ["skipped leaves", '{"n":null,"l":[1,{"x":2}],"s":"green","o":{},"e":[],"":1}'],
  ["duplicate keys: the last value, the first place", '{"a":1,"b":2,"a":3}'],
  [
    "duplicate keys replacing objects and skips",
    '{"a":{"x":1,"y":2},"b":1,"a":null,"c":{"d":1},"c":{"e":"2"},"n":null,"n":5}',
  ],
  ["duplicate keys in nested objects", '{"o":{"k":1,"k":{"z":2},"m":3},"o2":{"q":[],"q":[],"q":7}}'],
  [
    "array-index keys first, in numeric order",
    '{"b":1,"10":2,"2":3,"4294967295":4,"4294967294":5,"01":6,"0":7,"-1":8}',
  ],
  ["array-index keys in nested objects", '{"s":{"404":1,"200":2,"x":3,"200":{"a":4}},"t":{"1":1}}'],
  ["__proto__ is a plain key", '{"__proto__":1,"constructor":{"prototype":2},"toString":3}'],
  ["a leading BOM", "\ufeff" + '{"a":1}'],
  [
    "whitespace everywhere",
    ' \t\r\n{ \n"a" \t: \r 1 ,\n\t"b"\n:\n{ "c" : [ 1 , 2 ] , "d" : true }\r\n}\n\t ',
  ],
  ["number forms", '{"a":-0,"b":0,"c":-0.0e0,"d":1E+2,"e":1e-2,"f":12.5e1,"g":0.1,"h":-123}'],
  [
    "huge and tiny numbers",
    '{"a":1e400,"b":-1e400,"c":123456789012345678901234567890,"d":1e-400,"e":5e-324}',
  ],
  [
    "integers at the edge of exactness",
    '{"a":9007199254740993,"b":123456789012345,"c":1234567890123456,"d":-999999999999999}',
  ],
  [
    "rounding of long decimals",
    '{"a":0.1000000000000000055511151231257827,"b":2.4703282292062328e-324,"c":1.7976931348623159e308}',
  ],
  [
    "escapes in keys and strings",
    '{"\\u0061\\/b":1,"\\ud83d\\ude00":2,"\\ud800":3,"t\\t\\n":"\\u0031\\u0032","q\\"\\\\":4,"\\u00E9":5}',
  ],
  ["raw non-ASCII", '{"é":1,"日本":{"語":2},"😀":3,"x":"😀","\u2028":4,"\u007f":5}'],
  ["top level an array", "[1,2]"],
  ["top level a number", "42"],
  ["top level a string", '"x"'],
  ["top level null", "null"],
  ["top level true", " true "],
  ["empty body", ""],
  ["only whitespace", " \n\t "],
  ["only a BOM", "\ufeff"],
  ["two BOMs", "\ufeff\ufeff{}"],
  ["U+FEFF inside keys, at every block start", '\ufeff{"\ufeffa":1,"b\ufeff":{"\ufeff":"\ufeff2"}}'],
  ["an empty object", "{}"],
  ["unclosed object", '{"a":1'],
  ["unclosed string", '{"a":"x'],
  ["unclosed array", '{"a":[1,2'],
  ["trailing comma in an object", '{"a":1,}'],
  ["trailing comma in an array", '{"a":[1,]}'],
  ["missing colon", '{"a" 1}'],
  ["missing comma", '{"a":1 "b":2}'],
  ["garbage after the document", '{"a":1} x'],
  ["two documents", "{}{}"],
  ["leading zero", '{"a":01}'],
  ["bare minus", '{"a":-}'],
  ["minus at the end", '{"a":-'],
  ["dot without digits", '{"a":1.}'],
  ["leading dot", '{"a":.5}'],
  ["plus sign", '{"a":+1}'],
  ["exponent without digits", '{"a":1e}'],
  ["exponent sign without digits", '{"a":1e+}'],
  ["hex number", '{"a":0x1}'],
  ["NaN literal", '{"a":NaN}'],
  ["Infinity literal", '{"a":Infinity}'],
  ["bad literal", '{"a":tru}'],
  ["literal with a tail", '{"a":truex}'],
  ["capital literal", '{"a":True}'],
  ["single quotes", "{'a':1}"],
  ["unquoted key", "{a:1}"],
  ["invalid escape", '{"a":"\\x"}'],
  ["short \\u escape", '{"a":"\\u12"}'],
  ["bad hex in \\u", '{"a":"\\u12G4"}'],
  ["raw control character", '{"a":"x\u0001"}'],
  ["raw tab in a string", '{"a":"x\ty"}'],
  ["raw unit separator in a key", '{"a\u001f":1}'],
  ["raw DEL and NUL escapes", '{"a\u007f":1,"\\u0000":2,"b\\u001f":3}'],
  ["a non-JSON space", '{"a":\u00a01}'],
  ["a vertical tab", '{"a":\u000b1}'],
  ["a lone close", "}"],
  ["an array closed as an object", '{"a":[1}'],
  ["an object closed as an array", '{"a":{"b":1]}'],
];

for (const [name, text] of CASES) {
  Deno.test(`flattenJsonBytes() equals flattenJson() on ${name}`, () => {
    assertSame(text);
  });
}

Deno.test("flattenJsonBytes() gives one sample per numeric leaf, like flattenJson()", () => {
  const got = assertSame(
    '{"requests":100,"cache":{"hits":5,"ratio":"0.5","nested":{"deep":true}},"name":"w"}',
  );
  assert.deepEqual(rows(got), [["requests", 100], ["cache_hits", 5], ["cache_ratio", 0.5], [
    "cache_nested_deep",
    1,
  ]]);
  assert.equal((got as FlatJsonResult).skipped, 1);
  assert.equal((got as FlatJsonResult).families[1].help, 'Value of "cache_hits" in the upstream JSON');
});

Deno.test("flattenJsonBytes() resolves duplicate keys and index keys as JSON.parse orders them", () => {
  assert.deepEqual(rows(assertSame('{"a":1,"b":2,"a":3}')), [["a", 3], ["b", 2]]);
  assert.deepEqual(rows(assertSame('{"a":{"x":1},"b":2,"a":null}')), [["b", 2]]);
  assert.deepEqual(rows(assertSame('{"b":1,"10":2,"2":3,"b":4}')), [["_2", 3], ["_10", 2], ["b", 4]]);
});

Deno.test("flattenJsonBytes() keeps -0, NaN and infinities", () => {
  assert.deepEqual(rows(assertSame('{"a":-0,"b":"NaN","c":1e999,"d":"-Inf"}')), [
    ["a", -0],
    ["b", NaN],
    ["c", Infinity],
    ["d", -Infinity],
  ]);
});

Deno.test("flattenJsonBytes() names the byte, line and column of a syntax error", () => {
  assert.throws(
    () => flattenJsonBytes(enc('{"a":1,\n "b" 2}')),
    new ParseError('invalid JSON at byte 13 (line 2, column 6): expected ":" after a member name, found "2"'),
  );
  // Offsets count bytes, columns characters: "é" is two bytes, "😀" four bytes and two UTF-16 units.
  assert.throws(
    () => flattenJsonBytes(enc('\ufeff{"é😀":x}')),
    new ParseError('invalid JSON at byte 13 (line 1, column 7): expected a value, found "x"'),
  );
  assert.throws(
    () => flattenJsonBytes(enc('{"a":"abc'), { blockBytes: 2 }),
    new ParseError("invalid JSON at byte 5 (line 1, column 6): unterminated string"),
  );
  assert.throws(
    () => flattenJsonBytes(enc("")),
    new ParseError("invalid JSON at byte 0 (line 1, column 1): the body holds no JSON value"),
  );
  assert.throws(
    () => flattenJsonBytes(enc('{"a":[')),
    /the document ends early: an object or array is not closed/,
  );
});

Deno.test("flattenJsonBytes() reports invalid UTF-8 as decode.ts does, even after a syntax error", () => {
  for (
    const bytes of [[0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d], [0x7b, 0x7d, 0xc3], [
      0x7b,
      0x78,
      0x20,
      0xed,
      0xa0,
      0x80,
    ]]
  ) {
    for (const blockBytes of [1, 2, 3, 65536]) {
      assert.throws(
        () => flattenJsonBytes(new Uint8Array(bytes), { blockBytes }),
        new ParseError("the upstream body is not valid UTF-8"),
      );
    }
    assertSame(new Uint8Array(bytes));
  }
  // An overlong encoding and a BOM cut across blocks.
  assertSame(new Uint8Array([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]));
  assertSame(new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x22, 0x61, 0x22, 0x3a, 0x31, 0x7d]));
});

function nested(depth: number, inner: string): string {
  return '{"a":'.repeat(depth - 1) + inner + "}".repeat(depth - 1);
}

Deno.test(`flattenJsonBytes() allows ${MAX_JSON_DEPTH} levels of objects, and refuses more as flattenJson() does`, () => {
  assert.equal(rows(assertSame(nested(MAX_JSON_DEPTH, '{"b":1}'))).length, 1);
  assertSame(nested(MAX_JSON_DEPTH + 1, "{}"));
  assert.throws(
    () => flattenJsonBytes(enc(nested(MAX_JSON_DEPTH + 1, "{}"))),
    /nests objects deeper than 100 levels/,
  );
  // Refused only when the deep object is still in the document JSON.parse builds.
  assertSame(nested(MAX_JSON_DEPTH - 1, `{"x":${nested(3, "{}")},"x":1}`));
  assertSame(nested(MAX_JSON_DEPTH - 1, `{"x":${nested(3, "{}")},"y":1}`));
  assertSame(`{"l":[${nested(300, "{}")}],"m":2}`);
  // A syntax error anywhere wins over depth.
  assertSame(nested(MAX_JSON_DEPTH + 5, "{}").slice(0, -1));
});

Deno.test("flattenJsonBytes() takes nesting of any depth without recursion, like JSON.parse", () => {
  const depth = 200_000;
  const arrays = `{"a":${"[".repeat(depth)}${"]".repeat(depth)},"b":1}`;
  assert.deepEqual(rows(flattenJsonBytes(enc(arrays))), [["b", 1]]);
  assert.deepEqual(streamed(enc(arrays), 7), oracle(enc(arrays)));
  const objects = nested(depth, "{}");
  assert.equal(
    streamed(enc(objects)),
    `the JSON document nests objects deeper than ${MAX_JSON_DEPTH} levels`,
  );
  assert.equal(oracle(enc(objects)), `the JSON document nests objects deeper than ${MAX_JSON_DEPTH} levels`);
});

Deno.test("flattenJsonBytes() reads tokens longer than a block, in linear time", () => {
  const long = "k".repeat(300_000);
  const text = `{"${long}":1,"s":"${"x".repeat(1_000_000)}","n":${"7".repeat(50_000)},"${long}é":"${
    "9".repeat(20_000)
  }"}`;
  const bytes = enc(text);
  const t0 = performance.now();
  const got = streamed(bytes, 1024);
  assert.ok(performance.now() - t0 < 2000, "a cut token is rescanned O(1) times");
  assert.deepStrictEqual(got, oracle(bytes));
  assert.deepStrictEqual(streamed(bytes), oracle(bytes));
});

Deno.test("flattenJsonBytes() refuses a block size below 1", () => {
  assert.throws(() => flattenJsonBytes(enc("{}"), { blockBytes: 0 }), RangeError);
});

// Random documents, written with what JSON.stringify never writes: repeated and index keys, escapes, spacing.

const ws = fc.array(fc.constantFrom(" ", "\t", "\n", "\r"), { maxLength: 2 }).map((a) => a.join(""));

/** JSON string text for `s`, escaping where `escapes` says (short or \u, either case), raw elsewhere. */
function quote(s: string, escapes: number[]): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const how = escapes.length === 0 ? 0 : escapes[i % escapes.length];
    const hex = c.toString(16).padStart(4, "0");
    if (how === 1 || (how === 0 && (c < 32 || c === 34 || c === 92))) out += `\\u${hex}`;
    else if (how === 2) out += `\\u${hex.toUpperCase()}`;
    else if (how === 3 && JSON.stringify(s[i]).length === 4) out += JSON.stringify(s[i]).slice(1, 3);
    else if (c < 32 || c === 34 || c === 92) out += `\\u${hex}`;
    else out += s[i];
  }
  return out + '"';
}

const KEYS = [
  "a",
  "b",
  "a_b",
  "a.b",
  "",
  "0",
  "1",
  "2",
  "10",
  "01",
  "-1",
  "4294967294",
  "4294967295",
  "__proto__",
  "é",
  "5xx",
];
const key = fc.oneof(fc.constantFrom(...KEYS), fc.string({ unit: "binary", maxLength: 6 }));
const escapes = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });
const stringText = fc.tuple(
  fc.oneof(
    fc.string({ unit: "binary", maxLength: 8 }),
    fc.constantFrom("12", " 1.5 ", "NaN", "+Inf", "-Inf", "Inf", "1e3", "0x10", "-.5", "+7", "", "1_0"),
  ),
  escapes,
).map(([s, e]) => quote(s, e));
const numberText = fc.tuple(
  fc.constantFrom("", "-"),
  fc.oneof(fc.constant("0"), fc.stringMatching(/^[1-9][0-9]{0,24}$/)),
  fc.option(fc.stringMatching(/^\.[0-9]{1,20}$/), { nil: "" }),
  fc.option(fc.stringMatching(/^[eE][+-]?[0-9]{1,3}$/), { nil: "" }),
).map((parts) => parts.join(""));
const leaf = fc.oneof(numberText, stringText, fc.constantFrom("true", "false", "null"));

const { value: valueText, object: objectText } = fc.letrec<{ value: string; object: string; array: string }>((
  tie,
) => ({
  value: fc.oneof({ depthSize: "small" }, leaf, tie("array"), tie("object")),
  array: fc.tuple(fc.array(fc.tuple(ws, tie("value"), ws), { maxLength: 4 }), ws)
    .map(([items, w]) => `[${w}${items.map((t) => t.join("")).join(",")}]`),
  object: fc.tuple(fc.array(fc.tuple(ws, key, escapes, ws, ws, tie("value"), ws), { maxLength: 6 }), ws)
    .map(([members, w]) =>
      `{${w}${
        members.map(([w1, k, e, w2, w3, v, w4]) => `${w1}${quote(k, e)}${w2}:${w3}${v}${w4}`).join(",")
      }}`
    ),
}));

/**
 * An object of many members from few names ("7", "a12"...): repeats after the pairwise check has handed over
 * to a map, with or without array-index names.
 */
const wideObject = fc.tuple(
  fc.oneof(fc.constant(/^[ab][0-9]{1,2}$/), fc.constant(/^[ab]?[0-9]{1,2}$/)).chain((names) =>
    fc.array(fc.tuple(fc.stringMatching(names), valueText), { minLength: 10, maxLength: 80 })
  ),
  fc.boolean(),
).map(([members, nest]) => {
  const o = `{${members.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`;
  return nest ? `{"w":${o},"z":1}` : o;
});

const document = fc.tuple(fc.boolean(), ws, objectText, ws).map(([bom, w1, o, w2]) =>
  (bom ? "\ufeff" : "") + w1 + o + w2
);
const blockBytes = fc.option(fc.integer({ min: 1, max: 48 }), { nil: undefined });

Deno.test("flattenJsonBytes() equals flattenJson() on random documents (property)", () => {
  fc.assert(
    fc.property(fc.oneof(document, wideObject), blockBytes, (text, b) => {
      const bytes = enc(text);
      assert.deepStrictEqual(streamed(bytes, b), oracle(bytes));
    }),
    { numRuns: 3000 },
  );
});

Deno.test("flattenJsonBytes() equals flattenJson() on any JSON value fc.jsonValue() makes (property)", () => {
  const value = fc.oneof(
    fc.dictionary(fc.string({ unit: "binary" }), fc.jsonValue({ maxDepth: 4, stringUnit: "binary" })),
    fc.jsonValue({ maxDepth: 3 }),
  );
  fc.assert(
    fc.property(value, fc.constantFrom(undefined, 0, 2, "\t"), blockBytes, (v, indent, b) => {
      const bytes = enc(JSON.stringify(v, null, indent));
      assert.deepStrictEqual(streamed(bytes, b), oracle(bytes));
    }),
    { numRuns: 2000 },
  );
});

const JSONISH = [...'{}[]:,"\\0123456789-+.eEtrueflsnau \n\t'].map((c) => c.charCodeAt(0));
const byte = fc.oneof(
  fc.constantFrom(...JSONISH, 0x00, 0x80, 0xbf, 0xc3, 0xe2, 0xed, 0xef, 0xf0, 0xff),
  fc.integer({ min: 0, max: 255 }),
);
const mutation = fc.tuple(fc.nat(), fc.constantFrom("delete", "insert", "replace", "cut"), byte);

Deno.test("flattenJsonBytes() and flattenJson() agree on mutated documents: same result or both a ParseError (property)", () => {
  fc.assert(
    fc.property(
      document,
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      blockBytes,
      (text, edits, b) => {
        const bytes = [...enc(text)];
        for (const [at, op, v] of edits) {
          const i = bytes.length === 0 ? 0 : at % bytes.length;
          if (op === "delete") bytes.splice(i, 1);
          else if (op === "insert") bytes.splice(i, 0, v);
          else if (op === "replace") bytes[i] = v;
          else bytes.length = i;
        }
        const body = new Uint8Array(bytes);
        assert.deepStrictEqual(streamed(body, b), oracle(body));
      },
    ),
    { numRuns: 4000 },
  );
});

Deno.test("flattenJsonBytes() and flattenJson() agree on arbitrary bytes (property)", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 24 }),
        fc.array(byte, { maxLength: 24 }).map((a) => new Uint8Array(a)),
      ),
      blockBytes,
      (body, b) => {
        assert.deepStrictEqual(streamed(body, b), oracle(body));
      },
    ),
    { numRuns: 3000 },
  );
});

Deno.test("flattenJsonBytes() reads numbers of every length as JSON.parse does (property)", () => {
  const digits = fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 25 }).map((d) =>
    d.join("")
  );
  const numberOfAnyLength = fc.tuple(
    fc.constantFrom("", "-"),
    fc.integer({ min: 1, max: 9 }),
    digits,
    fc.constantFrom("", ".5", "e3", "E-7"),
  )
    .map(([sign, lead, rest, tail]) => `${sign}${lead}${rest}${tail}`);
  fc.assert(
    fc.property(fc.array(numberOfAnyLength, { minLength: 1, maxLength: 20 }), (numbers) => {
      const text = `{${numbers.map((n, i) => `"n${i}":${n}`).join(",")}}`;
      const got = rows(streamed(enc(text)));
      assert.deepStrictEqual(got.map(([, v]) => v), numbers.map((n) => JSON.parse(n)));
    }),
    { numRuns: 500 },
  );
});
