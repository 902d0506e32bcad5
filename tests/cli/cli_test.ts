import assert from "node:assert/strict";
import {
  closestName,
  COMMAND_FLAGS,
  COMMANDS,
  DEMO,
  DEMO_ENV_VAR,
  helpText,
  OPTIONS,
  parseCommandLine,
  UsageError,
} from "../../src/cli/mod.ts";
import { parseDurationMs } from "../../src/duration.ts";

function flags(args: string[], env: Record<string, string> = {}) {
  const inv = parseCommandLine(args, env);
  assert.equal(inv.kind, "run");
  return inv.kind === "run" ? inv.flags : assert.fail();
}

function usageError(args: string[], env: Record<string, string> = {}): string {
  try {
    parseCommandLine(args, env);
  } catch (e) {
    assert.ok(e instanceof UsageError, `expected UsageError, got ${e}`);
    return e.message;
  }
  return assert.fail(`no error for ${args.join(" ")}`);
}

Deno.test("parseCommandLine() reads the seed's command line", () => {
  const f = flags([
    "start",
    "-s",
    "foo",
    "-u",
    "http://127.0.0.1:8080/stats.json",
    "-p",
    "9100",
    "-e",
    "a",
    "-e",
    "b",
  ]);
  assert.equal(f.service, "foo");
  assert.equal(f.url, "http://127.0.0.1:8080/stats.json");
  assert.equal(f.listenPort, 9100);
  assert.equal(f.listenHost, "0.0.0.0");
  assert.deepEqual(f.exclude, ["a", "b"]);
});

Deno.test("parseCommandLine() takes long flags and Prometheus-style defaults", () => {
  const f = flags(["once", "--service=foo", "--url", "https://x.example/"]);
  assert.equal(f.listenPort, 9999);
  assert.equal(f.telemetryPath, "/metrics");
  assert.equal(f.logLevel, "info");
  assert.equal(f.logFormat, "logfmt");
  assert.equal(f.upstreamTimeoutMs, 10_000);
  assert.equal(f.maxBodyBytes, 16 * 1024 * 1024);
  assert.equal(f.timeoutOffsetMs, 500);
});

Deno.test("parseCommandLine() lets -p set the port of --web.listen-address", () => {
  const f = flags(["start", "-u", "http://a/", "--web.listen-address", "127.0.0.1:1234", "-p", "4321"]);
  assert.equal(f.listenHost, "127.0.0.1");
  assert.equal(f.listenPort, 4321);
  const g = flags(["start", "-u", "http://a/", "--web.listen-address", "[::1]:8080"]);
  assert.equal(g.listenHost, "::1");
  assert.equal(g.listenPort, 8080);
});

Deno.test("parseCommandLine() reads environment variables, and flags win", () => {
  const env = {
    PROM_EXPORTER_SERVICE: "envsvc",
    PROM_EXPORTER_URL: "http://env/",
    PROM_EXPORTER_EXCLUDE: "a, b",
  };
  const f = flags(["start"], env);
  assert.equal(f.service, "envsvc");
  assert.equal(f.url, "http://env/");
  assert.deepEqual(f.exclude, ["a", "b"]);
  assert.equal(flags(["start", "-s", "flag"], env).service, "flag");
});

Deno.test("parseCommandLine() answers --help and --version", () => {
  assert.deepEqual(parseCommandLine(["--help"], {}), { kind: "help" });
  assert.deepEqual(parseCommandLine(["start", "--help"], {}), { kind: "help", command: "start" });
  assert.deepEqual(parseCommandLine(["once", "-h"], {}), { kind: "help", command: "once" });
  assert.deepEqual(parseCommandLine(["--version"], {}), { kind: "version" });
});

const ERRORS: [string[], string][] = [
  [
    ["start", "-u", "http://a/", "--upstream.max-body-bytes", "9007199254740991"],
    'Flag "--upstream.max-body-bytes" must be at most 1073741824: current value is "9007199254740991"',
  ],
  [
    ["start", "-u", "http://a/", "--upstream.timeout", "1000h"],
    'Flag "--upstream.timeout" must be at most 24d: current value is "1000h"',
  ],
  [["serve"], 'Unknown command "serve": expected one of start, once, check, explain, suggest'],
  [["start", "-u", "http://a/", "--bogus"], 'Unknown flag "--bogus"'],
  [["start", "-u", "http://a/", "-x"], 'Unknown flag "-x"'],
  [["start", "-u"], 'Flag "--url" needs a value'],
  [["start", "-u", "http://a/", "--service"], 'Flag "--service" needs a value'],
  [
    ["start", "-u", "http://a/", "-p", "99999"],
    'Flag "--port" needs a port from 0 to 65535: current value is "99999"',
  ],
  [
    ["start", "-u", "http://a/", "-p", "http"],
    'Flag "--port" needs a port from 0 to 65535: current value is "http"',
  ],
  [["start", "-u", "http://a/", "-p", "-1"], 'Flag "--port" needs a value'],
  [["start", "-u", "not a url"], 'Flag "--url" is not a valid URL: current value is "not a url"'],
  [
    ["start", "-u", "ftp://a/"],
    'Flag "--url" must use http://, https:// or file://: current value is "ftp://a/"',
  ],
  [
    ["start", "-u", "ftp://user:secret@a/"],
    'Flag "--url" must use http://, https:// or file://: current value is "ftp://<redacted>@a/"',
  ],
  [["start", "-s", "foo"], 'Flag "--url" is required (or give "--config.file")'],
  [["start", "-u", "http://a/", "-s", ""], 'Flag "--service" must not be empty'],
  [
    ["start", "-u", "http://a/", "--log.level", "loud"],
    'Flag "--log.level" must be one of debug, info, warn, error: current value is "loud"',
  ],
  [
    ["start", "-u", "http://a/", "--log.format", "xml"],
    'Flag "--log.format" must be one of logfmt, json: current value is "xml"',
  ],
  [
    ["start", "-u", "http://a/", "--web.listen-address", "9100"],
    'Flag "--web.listen-address" must be [host]:port: current value is "9100"',
  ],
  [
    ["start", "-u", "http://a/", "--web.telemetry-path", "metrics"],
    'Flag "--web.telemetry-path" must start with "/" and not be "/" or under "/-/": current value is "metrics"',
  ],
  [
    ["start", "-u", "http://a/", "--upstream.timeout", "0s"],
    'Flag "--upstream.timeout" must be > 0: current value is "0s"',
  ],
  [
    ["start", "-u", "http://a/", "--upstream.timeout", "soon"],
    'Flag "--upstream.timeout" needs a duration such as 10s or 500ms: current value is "soon"',
  ],
  [
    ["start", "-u", "http://a/", "--upstream.max-body-bytes", "0"],
    'Flag "--upstream.max-body-bytes" needs a whole number >= 1: current value is "0"',
  ],
  [
    ["start", "-u", "http://a/", "extra"],
    "Unexpected argument: Unexpected argument 'extra'. This command does not take positional arguments",
  ],
  [["check"], 'Flag "--config.file" is required for "check"'],
];

for (const [args, message] of ERRORS) {
  Deno.test(`parseCommandLine() rejects ${JSON.stringify(args.slice(1).join(" "))} naming the flag`, () => {
    assert.equal(usageError(args), message);
  });
}

Deno.test("parseCommandLine() rejects a bad port from the environment", () => {
  assert.equal(
    usageError(["start", "-u", "http://a/"], { PROM_EXPORTER_PORT: "70000" }),
    'Flag "--port" needs a port from 0 to 65535: current value is "70000"',
  );
});

Deno.test("parseDurationMs() reads Prometheus-style durations", () => {
  assert.equal(parseDurationMs("10s"), 10_000);
  assert.equal(parseDurationMs("1.5s"), 1500);
  assert.equal(parseDurationMs("250ms"), 250);
  assert.equal(parseDurationMs("2m"), 120_000);
  assert.equal(parseDurationMs("3"), 3000);
  assert.equal(parseDurationMs("-1s"), undefined);
  assert.equal(parseDurationMs("1d"), undefined);
});

// Issue 12, item 7: "did you mean" for unknown flags, flags per command, no command is an error.

Deno.test("parseCommandLine() suggests the closest flag of the command for an unknown one", () => {
  assert.equal(
    usageError(["start", "--config-file", "app.yaml"]),
    'Unknown flag "--config-file"; did you mean "--config.file"?',
  );
  assert.equal(
    usageError(["check", "--config-file=app.yaml"]),
    'Unknown flag "--config-file"; did you mean "--config.file"?',
  );
  assert.equal(
    usageError(["explain", "--metrics", "x"]),
    'Unknown flag "--metrics"; did you mean "--metric"?',
  );
  assert.equal(
    usageError(["start", "-u", "http://a/", "--listen-address", ":1"]),
    'Unknown flag "--listen-address"; did you mean "--web.listen-address"?',
  );
  assert.equal(
    usageError(["once", "-u", "http://a/", "--log.levle", "debug"]),
    'Unknown flag "--log.levle"; did you mean "--log.level"?',
  );
  // Nothing close: no guess.
  assert.equal(usageError(["start", "-u", "http://a/", "--bogus"]), 'Unknown flag "--bogus"');
});

Deno.test("parseCommandLine() rejects a flag that does not apply to the command, naming it", () => {
  assert.equal(
    usageError(["check", "--config.file", "c.yaml", "-p", "1"]),
    'Flag "--port" does not apply to "check"',
  );
  assert.equal(
    usageError(["check", "--config.file", "c.yaml", "-u", "http://a/"]),
    'Flag "--url" does not apply to "check"',
  );
  assert.equal(
    usageError(["once", "-u", "http://a/", "--web.listen-address", ":1"]),
    'Flag "--web.listen-address" does not apply to "once"',
  );
  assert.equal(
    usageError(["start", "-u", "http://a/", "--metric", "x"]),
    'Flag "--metric" does not apply to "start"',
  );
  assert.equal(
    usageError(["explain", "--config.file", "c.yaml", "--scrape.no-memo"]),
    'Flag "--scrape.no-memo" does not apply to "explain"',
  );
  // An environment variable of a flag the command does not take is ignored, not an error.
  const f = flags(["check", "--config.file", "c.yaml"], {
    PROM_EXPORTER_URL: "http://env/",
    PROM_EXPORTER_PORT: "x",
  });
  assert.equal(f.url, undefined);
});

Deno.test("parseCommandLine() takes each command's documented flags", () => {
  flags([
    "start",
    "-u",
    "http://a/",
    "--web.disable-exporter-metrics",
    "--scrape.no-memo",
    "--probe.allow-any-target",
  ]);
  assert.equal(
    flags(["once", "-u", "http://a/", "--web.disable-exporter-metrics"]).disableExporterMetrics,
    true,
  );
  assert.equal(
    flags(["check", "--config.file", "c.yaml", "--input", "b.json", "--log.level", "warn"]).input,
    "b.json",
  );
  assert.equal(
    flags(["check", "--config.file", "c.yaml", "--web.config.file", "w.yml"]).webConfigFile,
    "w.yml",
  );
  assert.deepEqual(
    flags(["explain", "--config.file", "c.yaml", "--metric", "a_*", "--metric", "b"]).metrics,
    ["a_*", "b"],
  );
});

Deno.test("helpText() lists only the flags of the command", () => {
  const flagsOf = (text: string) => [...text.matchAll(/--[a-z][\w.-]*/g)].map((m) => m[0]);
  const check = helpText("check");
  assert.deepEqual(
    [...new Set(flagsOf(check.split("\nFlags:\n")[1]))].sort(),
    ["--config.file", "--help", "--input", "--log.format", "--log.level", "--version", "--web.config.file"],
  );
  const explain = helpText("explain");
  assert.match(explain, /--metric NAME/);
  assert.doesNotMatch(explain, /--port|--web\.listen-address|--scrape\.no-memo/);
  const once = helpText("once");
  assert.match(once, /--web\.disable-exporter-metrics/);
  assert.doesNotMatch(once, /--port|--web\.listen-address|--metric /);
  const start = helpText("start");
  for (const flag of COMMAND_FLAGS.start) {
    assert.match(start, new RegExp(`--${flag.replaceAll(".", "\\.")}\\b`));
  }
  for (const command of COMMANDS) {
    for (const flag of COMMAND_FLAGS[command]) {
      assert.ok(flag in OPTIONS, `${command}: ${flag}`);
      assert.match(
        helpText(command),
        new RegExp(`--${flag.replaceAll(".", "\\.")}\\b`),
        `${command}: ${flag}`,
      );
    }
  }
});

Deno.test("parseCommandLine() without a command is a usage error; help stays an answer", () => {
  assert.equal(usageError([]), "Missing command: expected one of start, once, check, explain, suggest");
  for (const args of [["--help"], ["-h"], ["help"]]) {
    assert.deepEqual(parseCommandLine(args, {}), { kind: "help" });
  }
});

Deno.test("parseCommandLine() takes the '--' that `deno task start -- ARGS` passes", () => {
  const f = flags(["start", "--", "-u", "http://a/", "-s", "x"]);
  assert.equal(f.url, "http://a/");
  assert.equal(f.service, "x");
});

Deno.test("parseCommandLine() serves the demo only when deno task start names no upstream", () => {
  const demoEnv = { [DEMO_ENV_VAR]: "1" };
  const demo = flags(["start"], demoEnv);
  assert.equal(demo.demo, true);
  assert.equal(demo.url, DEMO.url);
  assert.equal(demo.service, DEMO.service);
  assert.deepEqual(demo.exclude, DEMO.exclude);
  assert.equal(demo.listenPort, DEMO.port);
  assert.equal(DEMO.port, 9999);
  // Any upstream, from a flag or the environment, turns the demo off entirely.
  for (
    const [args, env] of [
      [["start", "--config.file", "app.yaml"], {}],
      [["start", "-u", "http://a/", "-s", "x"], {}],
      [["start"], { PROM_EXPORTER_URL: "http://env/" }],
      [["start"], { PROM_EXPORTER_CONFIG_FILE: "app.yaml" }],
    ] as const
  ) {
    const f = flags([...args], { ...demoEnv, ...env });
    assert.equal(f.demo, false, args.join(" "));
    assert.notEqual(f.url, DEMO.url);
    assert.notEqual(f.service, DEMO.service);
    assert.deepEqual(f.exclude, []);
  }
  // Only start serves the demo, and only when the task asks for it.
  assert.equal(usageError(["start"]), 'Flag "--url" is required (or give "--config.file")');
  assert.equal(usageError(["once"], demoEnv), 'Flag "--url" is required (or give "--config.file")');
  // The user's port and service still apply to the demo.
  assert.equal(flags(["start", "-p", "8080"], demoEnv).listenPort, 8080);
  assert.equal(flags(["start", "-s", "mine"], demoEnv).service, "mine");
});

Deno.test("closestName() finds likely typos and nothing else", () => {
  assert.equal(closestName("lables", ["name", "labels", "url"]), "labels");
  assert.equal(closestName("config-file", ["config.file", "url"]), "config.file");
  assert.equal(closestName("xyz", ["labels", "url"]), undefined);
});

Deno.test("parseCommandLine() reads suggest: -u or --input, -s, and nothing else", () => {
  const f = flags(["suggest", "-u", "http://127.0.0.1:8080/stats.json", "-s", "foo"]);
  assert.deepEqual([f.url, f.service, f.input], ["http://127.0.0.1:8080/stats.json", "foo", undefined]);
  assert.equal(flags(["suggest", "--input", "saved.json"]).input, "saved.json");
  assert.equal(usageError(["suggest"]), 'Flag "--url" is required for "suggest" (or give "--input")');
  assert.equal(
    usageError(["suggest", "-u", "http://a/", "-p", "1"]),
    'Flag "--port" does not apply to "suggest"',
  );
  assert.match(
    helpText("suggest"),
    /^Usage: prom-exporter suggest \(-u URL \| --input FILE\) \[-s SERVICE\]/,
  );
  assert.match(helpText(), / {2}suggest {2}fetch the upstream once/);
});
