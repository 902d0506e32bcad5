/**
 * Every command line the README and docs/*.md show a user runs as written (issue 12, item 5). The lines are
 * read from the markdown: each line of a `sh` block, and each inline code span that is one of our command
 * lines (`prom-exporter ...`, `npx ...`, `deno task start|compile|test ...`, `deno run ... main.ts ...`). Each
 * must be claimed by an entry of {@linkcode HANDLED}, which runs it (placeholders replaced by real fixtures:
 * an upstream on 127.0.0.1 port 0 serving the seed's JSON, the example configs) or says why it is not run
 * here. A new documented command without an entry fails "every documented command line is handled".
 *
 * `prom-exporter` is `deno run -A main.ts`, `npx -y deno@2.9.6` and `deno` are `Deno.execPath()`. Servers
 * listen on 127.0.0.1 port 0 (through `PROM_EXPORTER_WEB_LISTEN_ADDRESS`, which the task grants), are
 * stopped with SIGTERM, and every wait is bounded.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type CommandOutput, runToEnd, startListening } from "../_lib/listening.ts";
import { COMMANDS } from "../../src/cli/mod.ts";
import { json, SEED_JSON, serveUpstream, type TestUpstream } from "../_lib/helpers.ts";
import { hasTool, makePki, tempDir } from "../_lib/ops_helpers.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const DENO = Deno.execPath();
const EXPORTER = [DENO, "run", "-A", "main.ts"];
const LOCAL = "127.0.0.1:0";
const WAIT_MS = 30_000;

// ---------------------------------------------------------------------------------------------------------
// Reading the command lines out of the markdown.

/** One documented command line and where it is shown. */
interface DocLine {
  /** The command, whitespace collapsed, continuation lines joined, trailing `# comment` removed. */
  text: string;
  /** Files that show it. */
  files: string[];
}

const DOC_FILES = [
  "README.md",
  ...[...Deno.readDirSync(`${ROOT}docs`)].filter((e) => e.isFile && e.name.endsWith(".md")).map((e) =>
    `docs/${e.name}`
  ).sort(),
];

/** An inline span that is one of our command lines, rather than a word in a sentence. */
const INLINE_COMMAND_REGEXP =
  /^(prom-exporter\b|npx\s|deno task (start|compile|test)\b|deno run\b.*\bmain\.ts\b)/;

function documentedLines(): DocLine[] {
  const byText = new Map<string, DocLine>();
  const add = (text: string, file: string) => {
    const t = text.replace(/\s+/g, " ").trim();
    if (t === "") return;
    const entry = byText.get(t) ?? { text: t, files: [] };
    if (!entry.files.includes(file)) entry.files.push(file);
    byText.set(t, entry);
  };
  for (const file of DOC_FILES) {
    const lines = Deno.readTextFileSync(ROOT + file).split("\n");
    let fence: string | undefined;
    const prose: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const open = /^```(\w*)/.exec(line);
      if (fence === undefined && open) {
        fence = open[1];
        continue;
      }
      if (fence !== undefined && line.startsWith("```")) {
        fence = undefined;
        continue;
      }
      if (fence === "sh") {
        let command = line;
        while (command.endsWith("\\") && i + 1 < lines.length) {
          command = command.slice(0, -1) + " " + lines[++i];
        }
        add(command.replace(/\s+#\s.*$/, ""), file);
      } else if (fence === undefined) {
        prose.push(line);
      }
    }
    for (const m of prose.join("\n").matchAll(/`([^`]+)`/g)) {
      const span = m[1].replace(/\s+/g, " ");
      if (INLINE_COMMAND_REGEXP.test(span)) add(span, file);
    }
  }
  return [...byText.values()];
}

// ---------------------------------------------------------------------------------------------------------
// Fixtures and processes.

/** What a documented command runs against. */
interface Fixtures extends AsyncDisposable {
  /** A real upstream on 127.0.0.1 port 0; `/stats.json` serves the seed's JSON plus `docs_upstream: 1`. */
  upstream: TestUpstream;
  /** `${origin}/stats.json`. */
  url: string;
  /** A temp directory. */
  dir: string;
  /** examples/seed.yaml with its URL pointed at the upstream. */
  config: string;
  /** A saved upstream body (the seed's JSON). */
  saved: string;
}

const UPSTREAM_JSON = { ...SEED_JSON, docs_upstream: 1 };

async function fixtures(): Promise<Fixtures> {
  const upstream = serveUpstream({ "/stats.json": json(UPSTREAM_JSON) });
  const dir = await Deno.makeTempDir({ prefix: "prom-exporter-docs-" });
  const url = `${upstream.origin}/stats.json`;
  const seed = await Deno.readTextFile(`${ROOT}examples/seed.yaml`);
  assert.match(seed, /url: http:\/\/127\.0\.0\.1:8080\/stats\.json/);
  const config = `${dir}/seed.yaml`;
  await Deno.writeTextFile(config, seed.replace("http://127.0.0.1:8080/stats.json", url));
  const saved = `${dir}/saved.json`;
  await Deno.writeTextFile(saved, JSON.stringify(SEED_JSON));
  return {
    upstream,
    url,
    dir,
    config,
    saved,
    [Symbol.asyncDispose]: async () => {
      await upstream.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The environment of a child: only what Deno needs to find its cache, so the caller's variables cannot leak in. */
function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
}

type Output = CommandOutput;

/** Runs a command to its end (bounded), in the repository. */
function runCommand(
  argv: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<Output> {
  const env = childEnv(options.env);
  return runToEnd(argv[0], argv.slice(1), { cwd: options.cwd ?? ROOT, env, clearEnv: true, waitMs: WAIT_MS });
}

/** A server started by a documented command. */
interface Server {
  /** `http://127.0.0.1:PORT`. */
  base: string;
  /** Everything the server wrote to stderr so far. */
  stderr: () => string;
  /** GET a path; the body as text, asserting 200. */
  get: (path: string) => Promise<string>;
  /** SIGTERM, then the exit code (SIGKILL if it does not exit in time). */
  stop: () => Promise<number>;
}

/** Starts a server command and waits (bounded) for its "listening" log line. */
async function startServer(argv: readonly string[], env: Record<string, string> = {}): Promise<Server> {
  const server = await startListening(argv[0], argv.slice(1), {
    cwd: ROOT,
    env: childEnv({ PROM_EXPORTER_WEB_LISTEN_ADDRESS: LOCAL, ...env }),
    clearEnv: true,
    waitMs: WAIT_MS,
  });
  const { base, stderr, stop } = server;
  return {
    base,
    stderr,
    get: async (path) => {
      const res = await fetch(base + path, { signal: AbortSignal.timeout(WAIT_MS) });
      const text = await res.text();
      assert.equal(res.status, 200, `${path}: ${text}`);
      return text;
    },
    stop,
  };
}

/** Runs `check` on a server command: starts it, hands it to `check`, and always stops it. */
async function withServer(
  argv: readonly string[],
  check: (s: Server) => Promise<void>,
  env: Record<string, string> = {},
): Promise<void> {
  const server = await startServer(argv, env);
  let code: number;
  try {
    await check(server);
  } finally {
    code = await server.stop();
  }
  assert.equal(code, 0, `exit code after SIGTERM:\n${server.stderr()}`);
}

function assertOk(out: Output, what: string): void {
  assert.equal(out.code, 0, `${what}: exit ${out.code}\n${out.stderr}`);
}

/** The sample output the README shows for `curl -s localhost:9999/metrics`, without its `...` line. */
function readmeSampleOutput(): string[] {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const m = /`curl -s localhost:9999\/metrics` then shows:\n\n```\n([\s\S]*?)\n```/.exec(readme);
  assert.ok(m, "README.md: no sample output after `curl -s localhost:9999/metrics`");
  return m[1].split("\n").filter((l) => l !== "...");
}

/** `deno task start` without an upstream: the demo, as README's first command promises. */
async function demo(): Promise<void> {
  await withServer([DENO, "task", "start"], async (s) => {
    const body = await s.get("/metrics");
    for (const line of readmeSampleOutput()) {
      assert.ok(
        body.split("\n").includes(line),
        `README's sample line ${JSON.stringify(line)} not in:\n${body}`,
      );
    }
    assert.match(body, /^requests_status_2xx\{service="foo"\} 90$/m);
    assert.doesNotMatch(body, /^exclude_me\{/m);
    assert.doesNotMatch(body, /^docs_upstream/m);
  });
}

/** The task's permission flags. */
async function taskPermissions(task: string): Promise<string[]> {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
  const command = config.tasks[task] as string | undefined;
  assert.ok(command, `deno.json has no task "${task}"`);
  return command.split(/\s+/).filter((a) => a.startsWith("--allow-"));
}

// ---------------------------------------------------------------------------------------------------------
// The handled command lines.

/** Documented lines and what this file does with them: run them, or say why not. */
interface Handled {
  /** The exact documented lines (as {@linkcode documentedLines} reads them). */
  lines: string[];
  /** Runs them with real fixtures. */
  run?: (fx: Fixtures) => Promise<void>;
  /** Why they are not run here. */
  skip?: string;
  /** A tool the run needs (the test is ignored without it, unless REQUIRE_E2E=1). */
  tool?: string;
}

const WEB_CERT_RECIPE = [
  'openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -keyout ca.key -out ca.pem -subj "/CN=prom-exporter CA"',
  'openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout server.key -out server.csr -subj "/CN=exporter.example.org"',
  "printf 'subjectAltName=DNS:exporter.example.org,IP:192.0.2.10\\n' > san.ext",
  "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -extfile san.ext -out server.pem",
];

/** docs/OPERATIONS.md, "Alerts and dashboard (deploy/mixin)": in order, from the repository's root. */
const MIXIN_LINES = [
  "promtool check rules deploy/mixin/alerts.yaml",
  "promtool test rules deploy/mixin/alerts_test.yaml",
  "deno run --allow-read=deploy/mixin --allow-write=deploy/mixin deploy/mixin/gen_exprs.ts",
  "promtool check rules deploy/mixin/dashboard_exprs.rules.yaml",
];

/** Runs a documented shell line as written in `cwd`, with `deno` meaning this Deno. */
function sh(line: string, cwd: string): Promise<Output> {
  const withDeno = line.replace(/^deno /, `'${DENO.replaceAll("'", "'\\''")}' `);
  return runCommand(["sh", "-c", withDeno], { cwd });
}

/** `check` accepts a web config: the documented recipes make files the exporter takes. */
async function checkWebConfig(fx: Fixtures, webConfig: string): Promise<void> {
  const file = `${fx.dir}/web.yml`;
  await Deno.writeTextFile(file, webConfig);
  const out = await runCommand([...EXPORTER, "check", "--config.file", fx.config, "--web.config.file", file]);
  assertOk(out, `check --web.config.file with:\n${webConfig}`);
}

const HANDLED: Handled[] = [
  { lines: ["npx -y deno@2.9.6 task start", "deno task start"], run: demo },
  {
    lines: ["npx -y deno@2.9.6 task test", "deno task test"],
    // Running the suite from inside itself would recurse; the task must cover this file and the doc tests.
    run: async () => {
      const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
      assert.match(config.tasks.test, /^deno test --allow-all --doc (.* )?src\/ tests\/ main\.ts$/);
    },
  },
  {
    lines: ["deno task start -- ARGS"],
    run: async (fx) => {
      const args = ["-u", fx.url, "-s", "docs", "--web.listen-address", LOCAL];
      await withServer([DENO, "task", "start", "--", ...args], async (s) => {
        const body = await s.get("/metrics");
        // The user's upstream and flags only: no demo file, no demo exclude, no demo service.
        assert.match(body, /^docs_upstream\{service="docs"\} 1$/m);
        assert.match(body, /^exclude_me\{service="docs"\} 1234$/m);
        assert.match(body, /^prom_exporter_up\{target="docs",service="docs"\} 1$/m);
        assert.doesNotMatch(body, /service="foo"/);
      });
    },
  },
  {
    lines: ["deno task start --help"],
    run: async () => {
      const out = await runCommand([DENO, "task", "start", "--help"]);
      assertOk(out, "deno task start --help");
      assert.match(out.stdout, /^Usage: prom-exporter start /);
      assert.doesNotMatch(out.stderr, /demo/);
    },
  },
  {
    lines: ["deno run --allow-net --allow-read --allow-env main.ts start ARGS"],
    run: async (fx) => {
      const perms = [DENO, "run", "--allow-net", "--allow-read", "--allow-env", "main.ts", "start"];
      await withServer([...perms, "-s", "docs", "-u", fx.url, "--web.listen-address", LOCAL], async (s) => {
        assert.match(await s.get("/metrics"), /^docs_upstream\{service="docs"\} 1$/m);
      });
      // A config file goes through the yaml library, which reads LOG_TOKENS: this is what needs --allow-env.
      await withServer([...perms, "--config.file", fx.config, "--web.listen-address", LOCAL], async (s) => {
        assert.match(await s.get("/metrics"), /^requests_by_status_total\{code="2xx",service="foo"\} 90$/m);
      });
    },
  },
  {
    lines: ["deno task compile"],
    // Building needs denort from Deno's host (tests/e2e/main_test.ts builds and runs it when DENORT_BIN is set);
    // here: it builds ./prom-exporter from main.ts with exactly the permissions of `deno task start`.
    run: async () => {
      assert.deepEqual(await taskPermissions("compile"), await taskPermissions("start"));
      const config = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`));
      assert.match(config.tasks.compile, /^deno compile .*--output prom-exporter main\.ts$/);
    },
  },
  {
    lines: ["prom-exporter start -s SERVICE -u URL [-p PORT] [-e NAME]..."],
    run: async (fx) => {
      await withServer(
        [...EXPORTER, "start", "-s", "foo", "-u", fx.url, "-p", "0", "-e", "exclude_me"],
        async (s) => {
          const body = await s.get("/metrics");
          assert.match(body, /^requests\{service="foo"\} 100$/m);
          assert.match(body, /^docs_upstream\{service="foo"\} 1$/m);
          assert.doesNotMatch(body, /^exclude_me\{/m);
        },
      );
    },
  },
  {
    lines: ["prom-exporter start --config.file examples/seed.yaml"],
    // As written: the example's upstream (127.0.0.1:8080) is whatever runs there, so only the answer's shape.
    run: async () => {
      await withServer([...EXPORTER, "start", "--config.file", "examples/seed.yaml"], async (s) => {
        assert.match(await s.get("/metrics"), /^prom_exporter_up\{target="foo",service="foo"\} [01]$/m);
      });
    },
  },
  {
    lines: ["prom-exporter once -s SERVICE -u URL"],
    run: async (fx) => {
      const out = await runCommand([...EXPORTER, "once", "-s", "foo", "-u", fx.url]);
      assertOk(out, "once");
      assert.match(out.stdout, /^requests\{service="foo"\} 100$/m);
      assert.match(out.stdout, /^prom_exporter_up\{target="foo",service="foo"\} 1$/m);
    },
  },
  {
    lines: [
      "prom-exporter check --config.file FILE [--input saved.json]",
      "prom-exporter check --config.file F",
      "prom-exporter check",
    ],
    run: async (fx) => {
      for (const extra of [[], ["--input", fx.saved]]) {
        const out = await runCommand([...EXPORTER, "check", "--config.file", fx.config, ...extra]);
        assertOk(out, `check ${extra.join(" ")}`);
        assert.match(out.stdout, /^Config ".*seed\.yaml" is valid: 1 target\(s\), 0 module\(s\)$/m);
      }
    },
  },
  {
    lines: [
      "prom-exporter explain --config.file FILE [--input saved.json]",
      "prom-exporter explain --config.file F [--input FILE] [--metric GLOB]...",
      "prom-exporter explain",
    ],
    run: async (fx) => {
      for (const extra of [[], ["--input", fx.saved]]) {
        const out = await runCommand([...EXPORTER, "explain", "--config.file", fx.config, ...extra]);
        assertOk(out, `explain ${extra.join(" ")}`);
        assert.match(out.stdout, /^exclude_me \(untyped, 1 series\)$/m);
        assert.match(out.stdout, /dropped$/m);
      }
      const args = ["--input", fx.saved, "--metric", "requests_status_*", "--metric", "uptime_se?"];
      const only = await runCommand([...EXPORTER, "explain", "--config.file", fx.config, ...args]);
      assertOk(only, `explain ${args.join(" ")}`);
      assert.match(only.stdout, /^requests_status_4xx \(untyped, 1 series\)$/m);
      assert.match(only.stdout, /^uptime_sec \(untyped, 1 series\)$/m);
      assert.doesNotMatch(only.stdout, /^(exclude_me|requests) \(/m);
    },
  },
  {
    lines: ["prom-exporter suggest -u URL [-s SERVICE]"],
    run: async (fx) => {
      const out = await runCommand([...EXPORTER, "suggest", "-u", fx.url, "-s", "foo"]);
      assertOk(out, "suggest -u URL -s foo");
      assert.match(out.stdout, /^ {6}- name: uptime_seconds$/m);
      const file = `${fx.dir}/suggested.yaml`;
      await Deno.writeTextFile(file, out.stdout);
      assertOk(await runCommand([...EXPORTER, "check", "--config.file", file]), "check the suggestion");
      const once = await runCommand([...EXPORTER, "once", "--config.file", file]);
      assertOk(once, "once with the suggestion");
      assert.match(once.stdout, /^requests_status_total\{code="2xx",service="foo"\} 90$/m);
    },
  },
  {
    lines: ["prom-exporter once --config.file F [--input FILE]"],
    run: async (fx) => {
      for (const [extra, marker] of [[[], 1], [["--input", fx.saved], 0]] as const) {
        const out = await runCommand([...EXPORTER, "once", "--config.file", fx.config, ...extra]);
        assertOk(out, `once --config.file ${extra.join(" ")}`);
        assert.match(out.stdout, /^requests_by_status_total\{code="2xx",service="foo"\} 90$/m);
        // The live upstream has docs_upstream, the saved body has not.
        assert.equal(/^docs_upstream\{/m.test(out.stdout), marker === 1, out.stdout);
      }
    },
  },
  {
    lines: ["prom-exporter COMMAND --help"],
    run: async () => {
      for (const command of COMMANDS) {
        const out = await runCommand([...EXPORTER, command, "--help"]);
        assertOk(out, `${command} --help`);
        assert.match(out.stdout, new RegExp(`^Usage: prom-exporter ${command} `));
      }
    },
  },
  {
    lines: ["prom-exporter"],
    run: async () => {
      const out = await runCommand(EXPORTER);
      assert.equal(out.code, 2, out.stderr);
      assert.equal(out.stdout, "");
      assert.match(
        out.stderr,
        /^prom-exporter: Missing command: expected one of start, once, check, explain, suggest\n/,
      );
      assert.match(out.stderr, /^Commands:$/m);
    },
  },
  {
    lines: ["prom-exporter check --config.file /etc/prom-exporter/config.yaml"],
    tool: "openssl",
    // The installed deploy/config.example.yaml, with the CA and secrets it names in place.
    run: async (fx) => {
      const pki = await makePki(fx.dir);
      await Deno.mkdir(`${fx.dir}/etc`);
      await Deno.mkdir(`${fx.dir}/secrets`);
      await Deno.copyFile(pki.caFile, `${fx.dir}/etc/internal-ca.pem`);
      await Deno.writeTextFile(`${fx.dir}/secrets/billing-token`, "t0ken\n");
      await Deno.writeTextFile(`${fx.dir}/secrets/node-password`, "pw\n");
      const example = await Deno.readTextFile(`${ROOT}deploy/config.example.yaml`);
      const installed = example.replaceAll("/etc/prom-exporter/", `${fx.dir}/etc/`).replaceAll(
        "/run/secrets/",
        `${fx.dir}/secrets/`,
      );
      await Deno.writeTextFile(`${fx.dir}/etc/config.yaml`, installed);
      const out = await runCommand([...EXPORTER, "check", "--config.file", `${fx.dir}/etc/config.yaml`]);
      assertOk(out, "check of the installed example");
      assert.match(out.stdout, /is valid: 1 target\(s\), 2 module\(s\)$/m);
      // Before the secrets are in place, check names each missing file at its line.
      await Deno.remove(`${fx.dir}/secrets/billing-token`);
      const missing = await runCommand([...EXPORTER, "check", "--config.file", `${fx.dir}/etc/config.yaml`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /config\.yaml:9: targets\[0\]\.http\.bearer_token_file: cannot read /);
    },
  },
  {
    lines: [
      "sudo install -m 0755 prom-exporter /usr/local/bin/",
      "sudo install -d /etc/prom-exporter && sudo cp deploy/config.example.yaml /etc/prom-exporter/config.yaml",
      "sudo cp deploy/prom-exporter.service /etc/systemd/system/",
      "sudo systemctl daemon-reload && sudo systemctl enable --now prom-exporter",
      "sudo systemctl reload prom-exporter",
    ],
    skip: "installs into the system as root; the binary's flags are checked in tests/e2e/deploy_test.ts",
  },
  {
    lines: [
      "docker build -t prom-exporter:0.1.0 .",
      "docker run -d --name prom-exporter -p 9999:9999 -v /srv/prom-exporter/config.yaml:/etc/prom-exporter/config.yaml:ro -v /srv/prom-exporter/secrets:/etc/prom-exporter-secrets:ro prom-exporter:0.1.0 start --config.file=/etc/prom-exporter/config.yaml",
      "docker kill --signal=HUP prom-exporter",
    ],
    skip: "needs a Docker daemon and Deno's host for denort; tests/e2e/main_test.ts checks the Dockerfile",
  },
  {
    lines: [
      "deno task bench",
      "deno task bench --quick",
      "deno bench --allow-read --allow-env=LOG_TOKENS,LOG_STREAM bench/micro/memo_bench.ts",
      "deno bench --allow-read --allow-env=LOG_TOKENS,LOG_STREAM bench/micro/pipeline_bench.ts",
      "deno run -A bench/system/rss_timeline.ts default --max-semi-space-size=2",
      "deno task bench --runs 1 --sizes 1k,10k,100k,1M --seed ../shared/lab/seed_exporter.py --variant no-memo,no-relay --v8-flags=--max-semi-space-size=2",
      "deno run -A bench/micro/experiments/series_cache_cost.ts",
      "deno run -A --v8-flags=--expose-gc bench/micro/experiments/stream_vs_batch.ts",
      "deno run -A bench/system/experiments/v8_flags.ts --runs 3",
      "deno run -A bench/system/experiments/gc_floor.ts --runs 3",
      "deno run -A bench/system/experiments/first_scrapes.ts --runs 3 --before DIR",
      "deno run --allow-all bench/system/run.ts --sizes 100k --formats text --runs 1 --churn 0 --v8-flags=--max-semi-space-size=2",
      "deno task bench --sizes 100k --formats text --runs 1 --variant no-memo --profile DIR",
      "deno bench --allow-read bench/micro/jsonpath_bench.ts",
      "deno bench --allow-read --allow-env=LOG_TOKENS,LOG_STREAM bench/micro/relay_bench.ts",
      "deno run bench/micro/experiments/copy_cost.ts",
      "deno run -A bench/micro/experiments/json_map_cost.ts --before DIR",
    ],
    skip: "benchmarks run for minutes on the shared cores; tests/e2e/bench_smoke_test.ts runs the harness",
  },
  {
    lines: ["deno run --allow-read bench/system/profile_report.ts DIR/*.cpuprofile"],
    skip:
      "reads the profiles of the benchmark line before it; tests/e2e/bench_smoke_test.ts checks `summarise`",
  },
  {
    lines: ["deno task test:reliability"],
    skip:
      "the full reliability suite runs for many minutes; `deno task test` runs its files in their quick form",
  },
  {
    lines: ["deno run -A main.ts start"],
    skip: "how the benchmark starts the exporter, with the flags bench/system/run.ts appends",
  },
  {
    lines: ["htpasswd -nBC 10 \"\" | tr -d ':\\n'"],
    skip: "asks for the password on a terminal; its non-interactive form below runs",
  },
  {
    lines: ["htpasswd -nbBC 10 prometheus 'the password' | cut -d: -f2"],
    tool: "htpasswd",
    run: async (fx) => {
      const out = await sh("htpasswd -nbBC 10 prometheus 'the password' | cut -d: -f2", fx.dir);
      assertOk(out, "htpasswd");
      const hash = out.stdout.trim();
      assert.match(hash, /^\$2y\$10\$/);
      await checkWebConfig(fx, `basic_auth_users:\n  prometheus: "${hash}"\n`);
    },
  },
  {
    lines: [
      `deno eval 'import b from "npm:bcryptjs@3.0.3"; console.log(b.hashSync(prompt("Password:") ?? "", 10))'`,
    ],
    // Without a terminal, prompt() answers null: the line still runs and hashes the empty password.
    run: async (fx) => {
      const line =
        `deno eval 'import b from "npm:bcryptjs@3.0.3"; console.log(b.hashSync(prompt("Password:") ?? "", 10))'`;
      const out = await sh(line, ROOT);
      assertOk(out, "deno eval");
      const hash = out.stdout.trim().split("\n").at(-1) ?? "";
      assert.match(hash, /^\$2b\$10\$/);
      await checkWebConfig(fx, `basic_auth_users:\n  prometheus: "${hash}"\n`);
    },
  },
  {
    lines: WEB_CERT_RECIPE,
    tool: "openssl",
    // The recipe as a whole, in order, in an empty directory; the exporter takes the certificate it makes.
    run: async (fx) => {
      await using dir = await tempDir();
      for (const line of WEB_CERT_RECIPE) assertOk(await sh(line, dir.path), line);
      await checkWebConfig(
        fx,
        `tls_server_config:\n  cert_file: ${dir.path}/server.pem\n  key_file: ${dir.path}/server.key\n`,
      );
    },
  },
  {
    lines: MIXIN_LINES,
    tool: "promtool",
    // In a copy of deploy/mixin without the generated file: the generator writes it again, byte for byte the
    // committed one, and promtool accepts every file (tests/e2e/mixin_test.ts tests the mixin itself).
    run: async () => {
      await using dir = await tempDir();
      await Deno.mkdir(`${dir.path}/deploy/mixin`, { recursive: true });
      for (const f of ["alerts.yaml", "alerts_test.yaml", "dashboard.json", "gen_exprs.ts"]) {
        await Deno.copyFile(`${ROOT}deploy/mixin/${f}`, `${dir.path}/deploy/mixin/${f}`);
      }
      for (const line of MIXIN_LINES) {
        const out = await sh(line, dir.path);
        assertOk(out, line);
        if (line.startsWith("promtool")) assert.match(out.stdout + out.stderr, /SUCCESS/, line);
      }
      assert.equal(
        await Deno.readTextFile(`${dir.path}/deploy/mixin/dashboard_exprs.rules.yaml`),
        await Deno.readTextFile(`${ROOT}deploy/mixin/dashboard_exprs.rules.yaml`),
      );
    },
  },
];

// ---------------------------------------------------------------------------------------------------------
// The tests.

const DOCUMENTED = documentedLines();
const E2E = Deno.env.get("REQUIRE_E2E") === "1";

Deno.test("every documented command line is handled, and every handled line is still documented", () => {
  const handled = new Map<string, Handled>();
  for (const h of HANDLED) {
    assert.ok((h.run === undefined) !== (h.skip === undefined), `${h.lines[0]}: give run or skip`);
    for (const line of h.lines) handled.set(line, h);
  }
  const unknown = DOCUMENTED.filter((d) => !handled.has(d.text)).map((d) =>
    `${d.files.join(", ")}: ${d.text}`
  );
  assert.deepEqual(
    unknown,
    [],
    "documented command lines without an entry in HANDLED (run them or say why not)",
  );
  const documented = new Set(DOCUMENTED.map((d) => d.text));
  const stale = [...handled.keys()].filter((line) => !documented.has(line));
  assert.deepEqual(stale, [], "entries of HANDLED that no document shows any more");
});

for (const h of HANDLED) {
  if (h.run === undefined) continue;
  const run = h.run;
  const where = DOCUMENTED.filter((d) => h.lines.includes(d.text)).flatMap((d) => d.files);
  Deno.test({
    name: `documented: ${h.lines[0]}${h.lines.length > 1 ? ` (+${h.lines.length - 1})` : ""} [${
      [...new Set(where)].join(", ")
    }]`,
    ignore: h.tool !== undefined && !E2E && !hasTool("sh", ["-c", `command -v ${h.tool}`]),
    fn: async () => {
      await using fx = await fixtures();
      await run(fx);
    },
  });
}

// The bug behind item 5: `deno task start` appended the user's flags to the demo's.
Deno.test("deno task start with an upstream does exactly what it is told, with no demo flag", async () => {
  await using fx = await fixtures();
  const config = `${fx.dir}/app.yaml`;
  await Deno.writeTextFile(config, `targets:\n  - name: app\n    url: ${fx.url}\n    labels: { team: a }\n`);
  await withServer([DENO, "task", "start", "--config.file", config], async (s) => {
    const body = await s.get("/metrics");
    assert.match(body, /^docs_upstream\{team="a"\} 1$/m);
    assert.match(body, /^exclude_me\{team="a"\} 1234$/m);
    assert.match(body, /^prom_exporter_up\{target="app",team="a"\} 1$/m);
    assert.doesNotMatch(body, /service="foo"/);
  });
  await withServer([DENO, "task", "start", "-u", fx.url, "-s", "x"], async (s) => {
    const body = await s.get("/metrics");
    assert.match(body, /^docs_upstream\{service="x"\} 1$/m);
    assert.match(body, /^exclude_me\{service="x"\} 1234$/m);
  });
  // The environment names the upstream just as well.
  await withServer([DENO, "task", "start"], async (s) => {
    assert.match(await s.get("/metrics"), /^docs_upstream\{service="env"\} 1$/m);
  }, { PROM_EXPORTER_URL: fx.url, PROM_EXPORTER_SERVICE: "env" });
});
