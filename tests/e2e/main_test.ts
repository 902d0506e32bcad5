import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { run, type RunIO } from "../../main.ts";
import { DEMO_ENV_VAR, ENV_VARS } from "../../src/cli/mod.ts";
import { VERSION } from "../../src/version.ts";
import { json, normalizeVolatile, SEED_JSON, serveUpstream } from "../_lib/helpers.ts";
import { startExporter } from "../_lib/run.ts";

const ROOT = new URL("../../", import.meta.url);
const DENO = Deno.execPath();

function io(extra: Partial<RunIO> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: RunIO = {
    env: {},
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    cwd: ROOT.pathname,
    ...extra,
  };
  return { io: value, out, err };
}

Deno.test("run() once prints the seed's exposition and exits 0", async () => {
  await using up = serveUpstream({ "/stats.json": json(SEED_JSON) });
  const t = io();
  const code = await run(["once", "-s", "foo", "-u", `${up.origin}/stats.json`, "-e", "exclude_me"], t.io);
  assert.equal(code, 0, t.err.join(""));
  const golden = await Deno.readTextFile(new URL("tests/testdata/core/seed_once.prom", ROOT));
  assert.equal(normalizeVolatile(t.out.join("")), golden);
});

Deno.test("run() answers an --input it cannot read, or one over the body cap, with one line and exit 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const big = `${dir}/big.json`;
    await Deno.writeTextFile(big, JSON.stringify({ a: "x".repeat(2000) }));
    const cases: [string[], RegExp][] = [
      [["suggest", "--input", dir], /^prom-exporter: Cannot read ".+": not a file\n$/],
      [
        ["once", "-s", "foo", "-u", "http://127.0.0.1:1/", "--input", `${dir}/none.json`],
        /Cannot read ".+none\.json": /,
      ],
      [
        [
          "once",
          "-s",
          "foo",
          "-u",
          "http://127.0.0.1:1/",
          "--input",
          big,
          "--upstream.max-body-bytes",
          "100",
        ],
        /Cannot read ".+big\.json": \d+ bytes, more than --upstream.max-body-bytes 100\n$/,
      ],
    ];
    for (const [args, message] of cases) {
      const t = io();
      assert.equal(await run(args, t.io), 1, args.join(" "));
      assert.match(t.err.join(""), message);
      assert.doesNotMatch(t.err.join(""), /\n\s+at /, "no stack trace");
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("run() once exits 1 and still prints prom_exporter_up 0 when the upstream fails", async () => {
  await using up = serveUpstream({ "/500": new Response("", { status: 500 }) });
  const t = io();
  const code = await run(["once", "-s", "foo", "-u", `${up.origin}/500`], t.io);
  assert.equal(code, 1);
  assert.match(t.out.join(""), /^prom_exporter_up\{target="foo",service="foo"\} 0$/m);
  assert.match(t.err.join(""), /level=error msg="scrape failed" target=foo reason=status/);
});

Deno.test("run() once reads a file:// URL relative to the working directory", async () => {
  const t = io();
  const code = await run(["once", "-s", "foo", "-u", "file://examples/seed.json", "-e", "exclude_me"], t.io);
  assert.equal(code, 0, t.err.join(""));
  assert.match(t.out.join(""), /^requests_status_2xx\{service="foo"\} 90$/m);
  assert.doesNotMatch(t.out.join(""), /exclude_me\{/);
});

Deno.test("run() exits 2 with one line naming the flag, then the usage hint", async () => {
  for (
    const [args, line] of [
      [["start", "-u", "http://a/", "--nope"], 'prom-exporter: Unknown flag "--nope"'],
      [
        ["start", "-u", "http://a/", "-p", "70000"],
        'prom-exporter: Flag "--port" needs a port from 0 to 65535',
      ],
      [["start", "-u", "::"], 'prom-exporter: Flag "--url" is not a valid URL'],
      [["once", "-s"], 'prom-exporter: Flag "--service" needs a value'],
    ] as const
  ) {
    const t = io();
    assert.equal(await run(args, t.io), 2, args.join(" "));
    const lines = t.err.join("").split("\n");
    assert.ok(lines[0].startsWith(line), lines[0]);
    assert.match(lines[1], /^Usage: prom-exporter (start|once) /);
    assert.deepEqual(t.out, []);
  }
});

Deno.test("run() prints --version and --help for each command", async () => {
  const v = io();
  assert.equal(await run(["--version"], v.io), 0);
  assert.match(v.out.join(""), new RegExp(`^prom-exporter ${VERSION.replaceAll(".", "\\.")} \\(deno `));
  for (const cmd of ["start", "once", "check", "explain"]) {
    const h = io();
    assert.equal(await run([cmd, "--help"], h.io), 0);
    assert.match(h.out.join(""), new RegExp(`^Usage: prom-exporter ${cmd} `));
  }
});

Deno.test("VERSION equals deno.json's version, and the tasks grant every documented env var", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.equal(config.version, VERSION);
  for (const task of ["start", "compile"]) {
    for (const name of [...Object.values(ENV_VARS), DEMO_ENV_VAR]) {
      assert.match(config.tasks[task], new RegExp(name), `${task}: ${name}`);
    }
  }
});

Deno.test("main.ts start serves over TCP and exits 0 on SIGTERM", async () => {
  await using up = serveUpstream({ "/stats.json": json(SEED_JSON) });
  const child = new Deno.Command(DENO, {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-env",
      "main.ts",
      "start",
      "-s",
      "foo",
      "-u",
      `${up.origin}/stats.json`,
      "-e",
      "exclude_me",
      "--web.listen-address",
      "127.0.0.1:0",
    ],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  let port = 0;
  const deadline = Date.now() + 30_000;
  while (port === 0 && Date.now() < deadline) {
    const { value, done } = await stderr.read();
    if (done) break;
    seen += value;
    port = Number(/msg=listening address=127\.0\.0\.1:([0-9]+)/.exec(seen)?.[1] ?? 0);
  }
  try {
    assert.ok(port > 0, `no listening line in: ${seen}`);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.match(body, /^requests\{service="foo"\} 100$/m);
    assert.match(body, /^prom_exporter_up\{target="foo",service="foo"\} 1$/m);
  } finally {
    child.kill("SIGTERM");
  }
  const status = await child.status;
  stderr.releaseLock();
  await child.stderr.cancel().catch(() => {});
  await child.stdout.cancel();
  assert.equal(status.code, 0);
});

const DENORT_BIN = Deno.env.get("DENORT_BIN");
if (DENORT_BIN === undefined) {
  // deno-lint-ignore no-console
  console.log(
    "compile test not run: DENORT_BIN is not set (deno compile downloads its runtime from Deno's host; " +
      "point DENORT_BIN at a denort binary to run it)",
  );
}

Deno.test({
  name: DENORT_BIN
    ? "deno task compile builds a binary that runs once"
    : "deno task compile (needs DENORT_BIN)",
  ignore: DENORT_BIN === undefined,
  fn: async () => {
    const binary = new URL("prom-exporter", ROOT).pathname;
    const build = await new Deno.Command(DENO, {
      args: ["task", "compile"],
      cwd: ROOT.pathname,
      env: { DENORT_BIN: DENORT_BIN as string },
    }).output();
    assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
    const once = await new Deno.Command(binary, {
      args: ["once", "-s", "foo", "-u", "file://examples/seed.json", "-e", "exclude_me"],
      cwd: ROOT.pathname,
    }).output();
    assert.equal(once.code, 0, new TextDecoder().decode(once.stderr));
    assert.match(new TextDecoder().decode(once.stdout), /^requests\{service="foo"\} 100$/m);
    await Deno.remove(binary);
  },
});

Deno.test("Dockerfile pins Deno 2.9.6, compiles with least privilege, runs as non-root on 9999", async () => {
  const docker = await Deno.readTextFile(new URL("Dockerfile", ROOT));
  assert.match(docker, /^FROM denoland\/deno:bin-2\.9\.6 AS deno$/m);
  assert.match(docker, /^USER nonroot:nonroot$/m);
  assert.match(docker, /^EXPOSE 9999$/m);
  assert.match(docker, /^ENTRYPOINT \["\/usr\/local\/bin\/prom-exporter"\]$/m);
  assert.match(docker, /--allow-read=\/etc\/prom-exporter,\/etc\/prom-exporter-secrets /);
  assert.doesNotMatch(docker, /--allow-(all|write|run|ffi|sys)|\s-A\s/);
  for (const name of Object.values(ENV_VARS)) assert.match(docker, new RegExp(name));
  const ci = await Deno.readTextFile(new URL(".ci/run", ROOT));
  assert.match(ci, /^DENO_VERSION=2\.9\.6$/m);
  const readme = await Deno.readTextFile(new URL("README.md", ROOT));
  assert.match(readme, /npx -y deno@2\.9\.6 task start/);
  assert.match(readme, /npx -y deno@2\.9\.6 task test/);
});

Deno.test("run() check exits 0 for a valid file and 1 listing every problem with its line", async () => {
  const ok = io();
  assert.equal(await run(["check", "--config.file", "examples/seed.yaml"], ok.io), 0, ok.err.join(""));
  assert.match(ok.out.join(""), /^Config "examples\/seed\.yaml" is valid: 1 target\(s\), 0 module\(s\)$/m);
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/bad.yaml`,
    "targets:\n  - name: foo\n    url: ftp://x/\n    rules:\n      - match: '('\n    bogus: 1\n",
  );
  const bad = io();
  assert.equal(await run(["check", "--config.file", `${dir}/bad.yaml`], bad.io), 1);
  const lines = bad.err.join("").trim().split("\n");
  assert.ok(lines.length >= 3, lines.join("\n"));
  assert.match(bad.err.join(""), /bad\.yaml:3: targets\[0\]\.url: /);
  assert.match(
    bad.err.join(""),
    /bad\.yaml:5: targets\[0\]\.rules\[0\]\.match: invalid regular expression "\(": /,
  );
  assert.match(bad.err.join(""), /bad\.yaml:6: targets\[0\]\.bogus: unknown key/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("run() explain and once --input read a saved upstream body through the config's rules", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/body.json`, JSON.stringify({ ...SEED_JSON, request_p99: 0.25 }));
  const explain = io();
  const args = ["--config.file", "examples/seed.yaml", "--input", `${dir}/body.json`];
  assert.equal(await run(["explain", ...args], explain.io), 0, explain.err.join(""));
  const report = explain.out.join("");
  assert.match(
    report,
    /^exclude_me \(untyped, 1 series\)\n {2}rules\[0\] exclude: "exclude_me" matches "exclude_me": dropped$/m,
  );
  assert.match(report, /=> request_latency_seconds\{latency="p99",service="foo"\} 0\.25/);
  const once = io();
  assert.equal(await run(["once", ...args], once.io), 0, once.err.join(""));
  assert.match(once.out.join(""), /^requests_by_status_total\{code="2xx",service="foo"\} 90$/m);
  await Deno.remove(dir, { recursive: true });
});

// Issue 12, item 7: no command is a usage error; help is an answer.
Deno.test("run() without a command exits 2 with the usage on stderr; --help, -h and help exit 0", async () => {
  const none = io();
  assert.equal(await run([], none.io), 2);
  assert.deepEqual(none.out, []);
  const lines = none.err.join("").split("\n");
  assert.equal(
    lines[0],
    "prom-exporter: Missing command: expected one of start, once, check, explain, suggest",
  );
  assert.match(none.err.join(""), /^Commands:$/m);
  assert.match(none.err.join(""), /^ {2}check {4}validate a config file/m);
  for (const args of [["--help"], ["-h"], ["help"]]) {
    const h = io();
    assert.equal(await run(args, h.io), 0, args[0]);
    assert.match(h.out.join(""), /^Commands:$/m);
    assert.deepEqual(h.err, []);
  }
});

Deno.test("run() names a mistyped flag with a guess, and a flag of another command, then exits 2", async () => {
  const typo = io();
  assert.equal(await run(["start", "--config-file", "app.yaml"], typo.io), 2);
  assert.equal(
    typo.err.join("").split("\n")[0],
    'prom-exporter: Unknown flag "--config-file"; did you mean "--config.file"?',
  );
  const other = io();
  assert.equal(await run(["check", "--config.file", "examples/seed.yaml", "-p", "9100"], other.io), 2);
  const lines = other.err.join("").split("\n");
  assert.equal(lines[0], 'prom-exporter: Flag "--port" does not apply to "check"');
  assert.match(lines[1], /^Usage: prom-exporter check --config\.file FILE/);
});

Deno.test("run() check --help lists only check's flags", async () => {
  const h = io();
  assert.equal(await run(["check", "--help"], h.io), 0);
  const text = h.out.join("");
  assert.match(text, /--config\.file FILE/);
  assert.match(text, /--input FILE/);
  for (const other of ["--service", "--url", "--port", "--exclude", "--web.listen-address", "--metric "]) {
    assert.ok(!text.includes(other), `check --help shows ${other}:\n${text}`);
  }
});

// Issue 12, item 7: a file named by a config that cannot be read is reported at FILE:LINE.
Deno.test("run() check reports an unreadable file at the line of the key naming it, config and web config", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/c.yaml`,
      "targets:\n  - name: a\n    url: http://127.0.0.1:1/\n    http:\n      bearer_token_file: /nonexistent/token\n",
    );
    const bad = io();
    assert.equal(await run(["check", "--config.file", `${dir}/c.yaml`], bad.io), 1);
    assert.equal(
      bad.err.join(""),
      `prom-exporter: ${dir}/c.yaml:5: targets[0].http.bearer_token_file: cannot read "/nonexistent/token": no such file\n`,
    );
    await Deno.writeTextFile(
      `${dir}/web.yml`,
      "tls_server_config:\n  cert_file: /nonexistent/cert.pem\n  key_file: /nonexistent/key.pem\n",
    );
    const web = io();
    const args = ["check", "--config.file", "examples/seed.yaml", "--web.config.file", `${dir}/web.yml`];
    assert.equal(await run(args, web.io), 1);
    assert.match(
      web.err.join(""),
      new RegExp(`${dir}/web\\.yml:2: tls_server_config\\.cert_file: cannot read`),
    );
    assert.match(
      web.err.join(""),
      new RegExp(`${dir}/web\\.yml:3: tls_server_config\\.key_file: cannot read`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// Issue 12, item 7: what /-/healthy answers under basic auth (docs/OPERATIONS.md states it).
Deno.test("run() start: /-/healthy requires the basic auth credentials like every other path", async () => {
  const dir = await Deno.makeTempDir();
  const hash = await bcrypt.hash("pw", 4);
  await Deno.writeTextFile(`${dir}/web.yml`, `basic_auth_users:\n  alice: "${hash}"\n`);
  const exporter = await startExporter([
    "-s",
    "foo",
    "-u",
    "file://examples/seed.json",
    "--web.config.file",
    `${dir}/web.yml`,
  ]);
  try {
    const anon = await fetch(`${exporter.base}/-/healthy`);
    assert.equal(anon.status, 401);
    await anon.body?.cancel();
    const authed = await fetch(`${exporter.base}/-/healthy`, {
      headers: { authorization: `Basic ${btoa("alice:pw")}` },
    });
    assert.equal(authed.status, 200);
    assert.equal(await authed.text(), "Healthy\n");
  } finally {
    assert.equal(await exporter.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

// Issue 12, item 5: the permissions the README's `deno run` line needs.
Deno.test("main.ts without --allow-env says which permission it lacks in one line, then exits 1", async () => {
  const out = await new Deno.Command(DENO, {
    args: ["run", "--allow-net", "--allow-read", "main.ts", "check", "--config.file", "examples/seed.yaml"],
    cwd: ROOT.pathname,
    env: { NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 1, stderr);
  assert.match(
    stderr,
    /^prom-exporter: Cannot load the configuration: Requires env access to "LOG_TOKENS".*--allow-env/,
  );
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
});

Deno.test("deno task start and deno task compile grant the same permissions", async () => {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const permissions = (task: string) =>
    (config.tasks[task] as string).split(/\s+/).filter((a) => a.startsWith("--allow-"));
  assert.deepEqual(permissions("compile"), permissions("start"));
  assert.match(config.tasks.start, new RegExp(`(^| )${DEMO_ENV_VAR}=1 `));
  assert.match(config.tasks.start, /main\.ts start$/);
});
