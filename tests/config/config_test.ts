import assert from "node:assert/strict";
import { type Flags, parseCommandLine } from "../../src/cli/mod.ts";
import { loadConfigFile, parseConfigText } from "../../src/config/load.ts";
import { configSchemaText } from "../../src/config/schema.ts";
import type { TargetConfig } from "../../src/config/types.ts";
import { ConfigError } from "../../src/errors.ts";
import { compileTarget } from "../../src/scrape/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DIR = ROOT + "tests/testdata/config/";

/** `once` takes the config file and the seed and upstream flags the file combines with. */
function flags(args: string[] = []): Flags {
  const inv = parseCommandLine(["once", "--config.file", "c.yaml", ...args], {});
  if (inv.kind !== "run") throw new Error("unreachable");
  return inv.flags;
}

function problemsOf(text: string, file: string, f = flags()): string[] {
  try {
    parseConfigText(text, file, f, ROOT);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    return [...e.problems];
  }
  return assert.fail("expected a ConfigError");
}

/** One bad config per validation rule, with every problem it must report (`LINE: key.path: message`). */
const INVALID: [string, string[]][] = [
  ["invalid_alias_bomb.yaml", [
    "1: invalid YAML: Excessive alias count indicates a resource exhaustion attack",
  ]],
  ["invalid_duplicate_key.yaml", [
    "3: invalid YAML: Map keys must be unique",
  ]],
  ["invalid_duplicate_target_name.yaml", [
    '4: targets[1].name: duplicate target name "foo" (also targets[0])',
  ]],
  ["invalid_empty_targets.yaml", [
    "1: targets: must not be empty",
  ]],
  ["invalid_enum.yaml", [
    '4: targets[0].format: must be one of "auto", "json", "prometheus", "openmetrics": got "xml"',
    '5: targets[0].on_duplicate: must be one of "error", "first", "last", "sum": got "ignore"',
  ]],
  ["invalid_json_config.json", [
    '4: targets[0].rules[0].match: invalid regular expression "(": Unterminated group',
  ]],
  ["invalid_json_entry_kind.yaml", [
    "5: targets[0].json[0]: a JSON entry needs one of name, name_from, flatten, metrics",
    "7: targets[0].json[1].flatten: a JSON entry takes only one of name, name_from, flatten, metrics: found name, flatten",
  ]],
  ["invalid_json_format.yaml", [
    '6: targets[0].json: a JSON mapping needs format json or auto: format is "prometheus"',
  ]],
  ["invalid_json_metric_options.yaml", [
    '7: targets[0].json[0].value: an info metric has the value 1 and its data in labels: remove "value"',
    '9: targets[0].json[1].type: "states" makes a stateset: remove "type: gauge" or set it to stateset',
    '10: targets[0].json[1].states[1]: duplicate state "x"',
    "13: targets[0].json[2].value_map: a metric takes only one of count, value_map, states, state_label: found count, value_map",
    '13: targets[0].json[2].value_map["/(/"]: invalid regular expression "/(/": Unterminated group',
    '15: targets[0].json[3].type: a stateset needs "states"',
    '16: targets[0].json[4].flatten: invalid name prefix "9x": must match [a-zA-Z_][a-zA-Z0-9_]*',
    '17: targets[0].json[4].state_label: only a metric entry (with "name" or "name_from") takes "state_label"',
  ]],
  ["invalid_json_path.yaml", [
    '6: targets[0].json[0].value: invalid JSONPath "$.a[": at character 5: expected a quoted name, an index, "*" or "?"',
    '8: targets[0].json[1].value: "$..b" may select several values: a value needs a path to one value',
    '10: targets[0].json[2].labels.id: "name" is not a JSONPath: start it with "@." (this node) or "$." (the document), or use "@key" or "@keypath"',
    '12: targets[0].json[2].metrics[0].value: "@.v[*]" may select several values: a value needs a path to one value',
  ]],
  ["invalid_label_name.yaml", [
    '5: targets[0].labels.service-name: invalid label name "service-name": must match [a-zA-Z_][a-zA-Z0-9_]*',
    '6: targets[0].labels.__meta: label name "__meta" is reserved: names starting with "__" are internal',
  ]],
  ["invalid_many.yaml", [
    '8: targets[0].rules[1].match: invalid regular expression "requests_status_(?<code>[0-9]xx": Unterminated group',
    '10: targets[0].rules[1].type: must be one of "counter", "gauge", "untyped", "unknown": got "countr"',
    "12: targets[0].rules[2].extra: unknown key: expected one of include, exclude, rename, match, name, type, help, unit, labels, scale",
  ]],
  ["invalid_match_group_label.yaml", [
    '5: targets[0].rules[0].match: group (?<__code>...) becomes a label: label name "__code" is reserved: names starting with "__" are internal',
  ]],
  ["invalid_match_name.yaml", [
    '6: targets[0].rules[0].name: invalid metric name "requests-x": must match [a-zA-Z_][a-zA-Z0-9_]*',
  ]],
  ["invalid_match_python_group.yaml", [
    '5: targets[0].rules[0].match: invalid regular expression "requests_(?P<code>[0-9]xx)": Invalid group (write named groups as (?<name>...))',
  ]],
  ["invalid_match_regex.yaml", [
    '7: targets[0].rules[2].match: invalid regular expression "(": Unterminated group',
  ]],
  ["invalid_match_template.yaml", [
    '6: targets[0].rules[0].name: "$2" refers to group 2, but the regex has 1 group',
    '7: targets[0].rules[0].labels.kind: "${kind}" refers to no named group of the regex (named groups: none)',
  ]],
  ["invalid_match_unit.yaml", [
    '7: targets[0].rules[0].unit: the name "request_latency" must end with "_seconds" (the unit)',
    "8: targets[0].rules[0].scale: must be a finite number other than 0: got 0",
  ]],
  ["invalid_missing_targets.yaml", [
    '1: targets: the file needs "targets", "modules" or both',
  ]],
  ["invalid_missing_url.yaml", [
    "2: targets[0].url: missing required key",
  ]],
  ["invalid_namespace.yaml", [
    '4: targets[0].namespace: invalid namespace "1app": must match [a-zA-Z_][a-zA-Z0-9_]*',
  ]],
  ["invalid_not_a_map.yaml", [
    '1: the file must be a map with a "targets" list',
  ]],
  ["invalid_pattern_regex.yaml", [
    '5: targets[0].rules[0].include[0]: invalid regular expression "/go_(.*/": Unterminated group',
    "5: targets[0].rules[0].include[1]: must not be empty",
  ]],
  ["invalid_relabel.yaml", [
    '6: targets[0].metric_relabel_configs[0].regex: invalid regular expression "(": missing closing ): "^(?:()$"',
    "8: targets[0].metric_relabel_configs[1].modulus: relabel configuration for hashmod requires non-zero modulus",
    '10: targets[0].metric_relabel_configs[2].action: unknown relabel action "explode"',
    '11: targets[0].metric_relabel_configs[2].sourcelabels: unknown key (did you mean "source_labels"?)',
  ]],
  ["invalid_rename_target.yaml", [
    '5: targets[0].rules[0].rename.uptime_sec: invalid metric name "uptime.seconds": must match [a-zA-Z_][a-zA-Z0-9_]*',
  ]],
  ["invalid_rule_no_kind.yaml", [
    "5: targets[0].rules[0]: a rule needs one of include, exclude, rename, match",
  ]],
  ["invalid_rule_option_without_match.yaml", [
    '6: targets[0].rules[0].type: only a match rule takes "type"',
  ]],
  ["invalid_rule_two_kinds.yaml", [
    "6: targets[0].rules[0].exclude: a rule takes only one of include, exclude, rename, match: found include, exclude",
  ]],
  ["invalid_timeout.yaml", [
    '4: targets[0].timeout: invalid duration "soon": write a number and a unit, such as 10s or 500ms',
    "5: targets[0].max_body_bytes: must be more than 0: got 0",
  ]],
  ["invalid_unknown_key_rule.yaml", [
    "6: targets[0].rules[0].except: unknown key: expected one of include, exclude, rename, match, name, type, help, unit, labels, scale",
  ]],
  ["invalid_unknown_key_target.yaml", [
    '4: targets[0].rulez: unknown key (did you mean "rules"?)',
  ]],
  ["invalid_unknown_key_top.yaml", [
    "4: global: unknown key: expected one of $schema, targets, modules",
  ]],
  ["invalid_url.yaml", [
    '3: targets[0].url: invalid URL "not a url"',
    '5: targets[1].url: unsupported URL scheme "ftp:": use http://, https:// or file://',
  ]],
  ["invalid_wrong_type.yaml", [
    "2: targets[0].name: expected a string, got the number 42",
    "4: targets[0].rules: expected a list, got a map",
  ]],
  ["invalid_yaml_syntax.yaml", [
    '4: invalid YAML: Missing closing "quote',
  ]],
];

for (const [file, expected] of INVALID) {
  Deno.test(`parseConfigText() rejects ${file} with every problem and its line`, () => {
    const got = problemsOf(Deno.readTextFileSync(DIR + file), file);
    assert.deepEqual(got, expected.map((p) => `${file}:${p}`));
  });
}

Deno.test("parseConfigText() reports the example of the issue as FILE:LINE: key.path: what is wrong", () => {
  const text = Deno.readTextFileSync(DIR + "invalid_match_regex.yaml");
  const got = problemsOf(text, "config.yaml");
  assert.deepEqual(got, [
    'config.yaml:7: targets[0].rules[2].match: invalid regular expression "(": Unterminated group',
  ]);
});

Deno.test("parseConfigText() resolves every option of a full config", () => {
  const config = parseConfigText(
    Deno.readTextFileSync(DIR + "valid_full.yaml"),
    "tests/testdata/config/valid_full.yaml",
    flags(),
    ROOT,
  );
  const expected: TargetConfig = {
    name: "full",
    url: `file://${ROOT}tests/testdata/config/stats.json`,
    labels: { service: "full", team: "core" },
    format: "json",
    namespace: "app",
    rules: [
      { kind: "include", patterns: ["*"] },
      { kind: "exclude", patterns: ["debug_*"] },
      { kind: "rename", map: { a: "b" } },
      {
        kind: "match",
        match: "lat_(?<q>p[0-9]+)_ms",
        name: "latency_seconds",
        type: "unknown",
        help: "Latency.",
        unit: "seconds",
        labels: { src: "lat_${q}" },
        scale: 0.001,
      },
    ],
    metricRelabelConfigs: [{ source_labels: ["__name__"], regex: "app_.*", action: "keep" }],
    json: [
      { kind: "flatten", path: "@", labels: {}, skipKeys: ["internal"], prefix: "" },
      {
        kind: "group",
        path: "$.items[*]",
        labels: { id: "@.id", key: "@key" },
        skipKeys: [],
        metrics: [
          {
            kind: "metric",
            path: "@",
            labels: {},
            skipKeys: [],
            name: "item_value",
            type: "counter",
            value: "@.v",
          },
          {
            kind: "metric",
            path: "@",
            labels: {},
            skipKeys: [],
            name: "item_state",
            type: "stateset",
            value: "@.s",
            states: ["a", "b"],
          },
          {
            kind: "metric",
            path: "@",
            labels: {},
            skipKeys: [],
            name: "item_mode",
            type: "gauge",
            value: "@.m",
            stateLabel: "mode",
          },
          {
            kind: "metric",
            path: "@",
            labels: {},
            skipKeys: [],
            name: "item_ok",
            type: "gauge",
            value: "@.ok",
            valueMap: { yes: 1, "*": 0 },
          },
          {
            kind: "metric",
            path: "@",
            labels: { version: "@.ver" },
            skipKeys: [],
            name: "item_version",
            type: "info",
            value: "@",
          },
          {
            kind: "metric",
            path: "@",
            labels: {},
            skipKeys: [],
            name: "item_children",
            type: "gauge",
            value: "@",
            count: "@.children[?@.ok == true]",
          },
        ],
      },
    ],
    onDuplicate: "sum",
    timeoutMs: 2500,
    maxBodyBytes: 1048576,
  };
  assert.deepEqual(config.targets, [expected]);
  compileTarget(config.targets[0]); // compiles without throwing
});

Deno.test("parseConfigText() reads JSON (with tab indentation) like YAML", () => {
  const config = parseConfigText(
    Deno.readTextFileSync(DIR + "valid_full.json"),
    "valid_full.json",
    flags(),
    ROOT,
  );
  assert.equal(config.targets[0].name, "j");
  assert.deepEqual(config.targets[0].rules, [{
    kind: "match",
    match: "a_(.*)",
    name: "b_$1",
    labels: {},
  }]);
});

Deno.test("parseConfigText() fills defaults: format auto, no namespace, on_duplicate error, flag timeouts", () => {
  const f = flags(["--upstream.timeout", "3s", "--upstream.max-body-bytes", "1000"]);
  const text =
    "targets:\n  - name: a\n    url: http://127.0.0.1:1/\n  - name: b\n    url: http://127.0.0.1:2/\n    timeout: 500ms\n    max_body_bytes: 99\n";
  const [a, b] = parseConfigText(text, "c.yaml", f, ROOT).targets;
  assert.deepEqual(
    [
      a.format,
      a.namespace,
      a.onDuplicate,
      a.timeoutMs,
      a.maxBodyBytes,
      a.rules,
      a.json,
      a.metricRelabelConfigs,
    ],
    ["auto", "", "error", 3000, 1000, [], undefined, []],
  );
  assert.deepEqual([b.timeoutMs, b.maxBodyBytes], [500, 99]);
});

const ONE =
  "targets:\n  - name: svc\n    url: http://127.0.0.1:1/stats.json\n    labels: { service: svc, team: a }\n    rules:\n      - rename: { a: b }\n";

Deno.test("parseConfigText() lays -u, -s and -e over a one-target file", () => {
  const f = flags(["-u", "file://./data/x.json", "-s", "other", "-e", "drop_me", "-e", "go_*"]);
  const [t] = parseConfigText(ONE, "conf/c.yaml", f, "/srv").targets;
  assert.equal(t.url, "file:///srv/data/x.json"); // -u resolves against the cwd
  assert.deepEqual(t.labels, { service: "other", team: "a" });
  assert.equal(t.name, "svc");
  assert.deepEqual(t.rules, [{ kind: "exclude", patterns: ["drop_me", "go_*"] }, {
    kind: "rename",
    map: { a: "b" },
  }]);
});

Deno.test("parseConfigText() rejects -u, -s, -e with a file of several targets", () => {
  const text = ONE + "  - name: two\n    url: http://127.0.0.1:2/\n";
  const got = problemsOf(text, "c.yaml", flags(["-s", "x", "-e", "y"]));
  assert.deepEqual(got, [
    "c.yaml:2: targets: flags -s, -e apply only to a file with one target: the file has 2",
  ]);
});

Deno.test("parseConfigText() resolves relative file:// URLs in the file against the file's directory", () => {
  const text =
    "targets:\n  - name: a\n    url: file://./data/stats.json\n  - name: b\n    url: file:///abs/x.json\n";
  const [a, b] = parseConfigText(text, "conf/c.yaml", flags(), "/srv").targets;
  assert.equal(a.url, "file:///srv/conf/data/stats.json");
  assert.equal(b.url, "file:///abs/x.json");
});

Deno.test("parseConfigText() reads untyped as unknown, and shaped JSON metrics default to gauge", () => {
  const text = `targets:
  - name: a
    url: http://127.0.0.1:1/
    rules: [{ match: x, type: untyped }]
    json:
      - { name: plain }
      - { name: counted, count: "$[*]" }
      - { name: typed, type: untyped }
`;
  const [t] = parseConfigText(text, "c.yaml", flags(), ROOT).targets;
  assert.equal(t.rules[0].kind === "match" && t.rules[0].type, "unknown");
  assert.deepEqual(t.json?.map((e) => e.kind === "metric" && e.type), ["unknown", "gauge", "unknown"]);
});

Deno.test("loadConfigFile() reads a file relative to the cwd and names the file in problems", async () => {
  const config = await loadConfigFile("examples/seed.yaml", flags(), ROOT);
  assert.equal(config.targets[0].name, "foo");
  await assert.rejects(
    loadConfigFile("tests/testdata/config/invalid_missing_url.yaml", flags(), ROOT),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === "tests/testdata/config/invalid_missing_url.yaml:2: targets[0].url: missing required key",
  );
});

Deno.test("loadConfigFile() reports a missing file as a ConfigError", async () => {
  await assert.rejects(
    loadConfigFile("no/such/file.yaml", flags(), ROOT),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === "no/such/file.yaml: cannot read the config file: no such file",
  );
});

Deno.test("schema/config.schema.json is in sync with the zod schema (run scripts/gen_schema.ts)", () => {
  assert.equal(Deno.readTextFileSync(ROOT + "schema/config.schema.json"), configSchemaText());
});

Deno.test("every example config is valid and compiles", async () => {
  const files = ["examples/seed.yaml"];
  for (const e of Deno.readDirSync(ROOT + "examples/cookbook")) {
    files.push(`examples/cookbook/${e.name}/config.yaml`);
  }
  for (const file of files) {
    const config = await loadConfigFile(file, flags(), ROOT);
    for (const t of config.targets) compileTarget(t);
  }
});

// Issue 12, item 7: "did you mean" at every level of the file.
const TYPOS: [string, string][] = [
  ["modules: {}\ntarget: []\n", '2: target: unknown key (did you mean "targets"?)'],
  [
    "targets:\n  - name: a\n    url: http://x/\n    lables: { a: b }\n",
    '4: targets[0].lables: unknown key (did you mean "labels"?)',
  ],
  [
    "targets:\n  - name: a\n    url: http://x/\n    rules:\n      - match: x\n        nmae: y\n",
    '6: targets[0].rules[0].nmae: unknown key (did you mean "name"?)',
  ],
  [
    "targets:\n  - name: a\n    url: http://x/\n    json:\n      - name: x\n        vaule: '@'\n",
    '6: targets[0].json[0].vaule: unknown key (did you mean "value"?)',
  ],
  [
    "targets:\n  - name: a\n    url: http://x/\n    json:\n      - metrics:\n          - name: x\n            lables: {}\n",
    '7: targets[0].json[0].metrics[0].lables: unknown key (did you mean "labels"?)',
  ],
  [
    "targets:\n  - name: a\n    url: http://x/\n    http:\n      bearer_tokn: x\n",
    '5: targets[0].http.bearer_tokn: unknown key (did you mean "bearer_token"?)',
  ],
  [
    "targets:\n  - name: a\n    url: http://x/\n    http:\n      tls_config: { ca_fiel: x }\n",
    '5: targets[0].http.tls_config.ca_fiel: unknown key (did you mean "ca_file"?)',
  ],
  [
    "targets:\n  - name: a\n    url: http://x/\n    http:\n      basic_auth: { username: u, pasword: p }\n",
    '5: targets[0].http.basic_auth.pasword: unknown key (did you mean "password"?)',
  ],
  [
    "targets:\n  - name: a\n    url: http://x/\n    metric_relabel_configs:\n      - target_lable: x\n",
    '5: targets[0].metric_relabel_configs[0].target_lable: unknown key (did you mean "target_label"?)',
  ],
  [
    "modules:\n  m:\n    allowed_target: [x]\n",
    '3: modules.m.allowed_target: unknown key (did you mean "allowed_targets"?)',
  ],
  ["modules:\n  m:\n    lables: {}\n", '3: modules.m.lables: unknown key (did you mean "labels"?)'],
  [
    "modules:\n  m:\n    http: { timeot: 1s }\n",
    '3: modules.m.http.timeot: unknown key (did you mean "timeout"?)',
  ],
  [
    "modules:\n  m:\n    metric_relabel_configs:\n      - sourc_labels: [a]\n",
    '4: modules.m.metric_relabel_configs[0].sourc_labels: unknown key (did you mean "source_labels"?)',
  ],
];

for (const [text, expected] of TYPOS) {
  Deno.test(`parseConfigText() guesses the key meant at ${expected.split(": ")[1]}`, () => {
    assert.deepEqual(problemsOf(text, "c.yaml"), [`c.yaml:${expected}`]);
  });
}

// Issue 12, item 7: a file the config names and that cannot be read is reported at the line naming it.
Deno.test("loadConfigFile() names the config line of every file it cannot read", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/token`, "t0ken\n");
    await Deno.mkdir(`${dir}/a-directory`);
    const text = `targets:
  - name: a
    url: http://127.0.0.1:1/
    http:
      bearer_token_file: token
  - name: b
    url: http://127.0.0.1:2/
    http:
      tls_config:
        ca_file: missing-ca.pem
        cert_file: /nonexistent/cert.pem
        key_file: a-directory
modules:
  m:
    http:
      basic_auth: { username: u, password_file: missing-password }
    allowed_targets: [127.0.0.1]
`;
    await Deno.writeTextFile(`${dir}/c.yaml`, text);
    const error = await loadConfigFile(`${dir}/c.yaml`, flags(), ROOT).then(
      () => assert.fail("expected a ConfigError"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigError, String(error));
    assert.deepEqual([...error.problems], [
      `${dir}/c.yaml:10: targets[1].http.tls_config.ca_file: cannot read "missing-ca.pem" (${dir}/missing-ca.pem): no such file`,
      `${dir}/c.yaml:11: targets[1].http.tls_config.cert_file: cannot read "/nonexistent/cert.pem": no such file`,
      `${dir}/c.yaml:12: targets[1].http.tls_config.key_file: cannot read "a-directory" (${dir}/a-directory): not a file`,
      `${dir}/c.yaml:16: modules.m.http.basic_auth.password_file: cannot read "missing-password" (${dir}/missing-password): no such file`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
