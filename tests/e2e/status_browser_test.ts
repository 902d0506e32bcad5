/**
 * The status page as a person sees it: Debian's `chromium` (headless) loads `/` of a live exporter (a
 * `main.ts start` subprocess) whose config has a healthy, a failing and a slow target and one module, and we
 * assert what the page shows from the DOM the browser built (`--dump-dom`). A screenshot is taken on every
 * run; `UPDATE_SCREENSHOT=1` also writes it to docs/status-page.png, the one the README shows.
 *
 * Without `chromium` the test is reported as ignored, and fails (saying how to install it) when
 * `REQUIRE_E2E=1`, as CI sets.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runToEnd, startListening } from "../_lib/listening.ts";
import { serveUpstream } from "../_lib/helpers.ts";
import { hasTool, tempDir } from "../_lib/ops_helpers.ts";
import { REQUIRE_E2E } from "../_lib/validators.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const CHROMIUM = "chromium";
const HAVE_CHROMIUM = hasTool(CHROMIUM, ["--version"]);
const SCREENSHOT = `${ROOT}docs/status-page.png`;
/** Bound on each wait for a child process (the exporter's first start compiles; chromium starts slowly). */
const WAIT_MS = 60_000;
/** The slow target's timeout: its upstream answers only after the exporter gave up. */
const SLOW_TIMEOUT = "300ms";

/** The healthy upstream's page (Prometheus text): three series. */
const HEALTHY_BODY = `# HELP orders_total Orders taken.
# TYPE orders_total counter
orders_total{shop="eu"} 42
orders_total{shop="us"} 17
# HELP queue_depth Jobs waiting.
# TYPE queue_depth gauge
queue_depth 3
`;

/** A live exporter started as `deno run main.ts start`. */
interface Exporter {
  /** `http://127.0.0.1:PORT`. */
  base: string;
  /** Everything it wrote to stderr so far. */
  stderr: () => string;
  /** SIGTERM, then its exit code (SIGKILL if it does not exit in time). */
  stop: () => Promise<number>;
}

/** Starts the exporter on 127.0.0.1 port 0 and waits (bounded) for its "listening" log line. */
function startExporterProcess(args: string[]): Promise<Exporter> {
  const permissions = ["--allow-net", "--allow-read", "--allow-env"];
  const argv = ["run", ...permissions, "main.ts", "start", "--web.listen-address", "127.0.0.1:0", ...args];
  return startListening(Deno.execPath(), argv, { cwd: ROOT, env: { NO_COLOR: "1" }, waitMs: WAIT_MS });
}

/** Runs headless chromium with `args` then `url` (own profile in `profile`); its stdout, asserting exit 0. */
async function chromium(profile: string, args: string[], url: string): Promise<string> {
  const flags = ["--headless", "--no-sandbox", "--disable-gpu", `--user-data-dir=${profile}`];
  const out = await runToEnd(CHROMIUM, [...flags, ...args, url], { waitMs: WAIT_MS });
  assert.equal(out.code, 0, `chromium ${args.join(" ")} failed:\n${out.stderr}`);
  return out.stdout;
}

/** The text a person reads in an HTML fragment: tags dropped, entities decoded, whitespace collapsed. */
function text(html: string): string {
  return html
    .replace(/<[^>]*>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

/** The inner HTML of the first `<tag>` whose opening tag matches `attr` (up to the next `</tag>`), if any. */
function element(html: string, tag: string, attr: RegExp): string | undefined {
  const open = new RegExp(`<${tag}\\b[^>]*${attr.source}[^>]*>`, "i");
  const m = open.exec(html);
  if (m === null) return undefined;
  const rest = html.slice(m.index + m[0].length);
  const end = rest.search(new RegExp(`</${tag}>`, "i"));
  assert.ok(end >= 0, `no </${tag}> after ${m[0]}`);
  return rest.slice(0, end);
}

/** The rows of `<table id="targets">`: target name to (cell class to cell text). */
function targetRows(dom: string): Map<string, Record<string, string>> {
  const table = element(dom, "table", /\bid="targets"/);
  assert.ok(table !== undefined, `no <table id="targets"> in the page:\n${dom}`);
  const rows = new Map<string, Record<string, string>>();
  for (const row of table.matchAll(/<tr\b[^>]*\bdata-target="([^"]*)"[^>]*>([\s\S]*?)<\/tr>/gi)) {
    const cells: Record<string, string> = {};
    for (const cell of row[2].matchAll(/<td\b[^>]*\bclass="([^"]*)"[^>]*>([\s\S]*?)<\/td>/gi)) {
      for (const cls of cell[1].split(/\s+/)) if (cls !== "") cells[cls] = text(cell[2]);
    }
    const name = text(row[1]);
    assert.ok(!rows.has(name), `two rows for target ${name}`);
    rows.set(name, cells);
  }
  return rows;
}

/** The first decimal number in `s`, or NaN. */
function firstNumber(s: string): number {
  return Number(/[0-9][0-9,]*(?:\.[0-9]+)?/.exec(s)?.[0].replaceAll(",", "") ?? NaN);
}

/** Asserts `png` is a PNG of `width` x `height` pixels (signature, then the IHDR chunk's size). */
function assertPng(png: Uint8Array, width: number, height: number): void {
  assert.ok(png.length > 1_000, `a ${png.length}-byte screenshot`);
  assert.deepEqual(
    [...png.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    "PNG signature",
  );
  assert.equal(new TextDecoder().decode(png.subarray(12, 16)), "IHDR");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  assert.deepEqual([view.getUint32(16), view.getUint32(20)], [width, height], "PNG size");
}

Deno.test({
  name: "status page in headless chromium: a healthy, a failing and a slow target, the config and a module",
  ignore: !HAVE_CHROMIUM && !REQUIRE_E2E,
  async fn() {
    assert.ok(
      HAVE_CHROMIUM,
      "chromium is required (REQUIRE_E2E=1) and was not found: install it with `apt-get install -y chromium`",
    );
    const release = Promise.withResolvers<void>();
    await using healthy = serveUpstream({
      "/metrics": new Response(HEALTHY_BODY, { headers: { "content-type": "text/plain; version=0.0.4" } }),
    });
    await using failing = serveUpstream({ "/metrics": new Response("upstream broke\n", { status: 500 }) });
    await using slow = serveUpstream({
      // Answers only once the exporter gave up (it aborts the request) or the test ends.
      "/metrics": async (req) => {
        const aborted = new Promise<void>((r) => req.signal.addEventListener("abort", () => r()));
        await Promise.race([release.promise, aborted]);
        return new Response("late_answer 1\n");
      },
    });
    await using dir = await tempDir();
    const file = `${dir.path}/config.yaml`;
    await Deno.writeTextFile(
      file,
      `targets:
  - name: healthy
    url: ${healthy.origin}/metrics
    labels: { team: payments }
    format: prometheus
  - name: failing
    url: ${failing.origin}/metrics
    labels: { team: search }
  - name: slow
    url: ${slow.origin}/metrics
    labels: { team: billing }
    timeout: ${SLOW_TIMEOUT}
modules:
  spring:
    allowed_targets: ["127.0.0.1"]
`,
    );
    const ex = await startExporterProcess(["--config.file", file]);
    try {
      const metrics = await (await fetch(`${ex.base}/metrics`)).text();
      assert.match(metrics, /^prom_exporter_up\{target="healthy",team="payments"\} 1$/m, metrics);
      assert.match(metrics, /^prom_exporter_up\{target="failing",team="search"\} 0$/m, metrics);
      assert.match(metrics, /^prom_exporter_up\{target="slow",team="billing"\} 0$/m, metrics);

      const page = await fetch(`${ex.base}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
      await page.body?.cancel();

      const dom = await chromium(`${dir.path}/profile`, ["--dump-dom"], `${ex.base}/`);
      assert.match(dom, /<body\b/i, `chromium dumped no page:\n${dom}`);
      assert.doesNotMatch(dom, /<script\b/i, "the status page is server-rendered, without JavaScript");

      const rows = targetRows(dom);
      assert.deepEqual([...rows.keys()].sort(), ["failing", "healthy", "slow"]);
      const [h, f, s] = ["healthy", "failing", "slow"].map((n) => rows.get(n)!);
      for (const [name, row] of rows) {
        for (
          const cls of [
            "name",
            "url",
            "labels",
            "up",
            "last-scrape",
            "duration",
            "series-read",
            "series-written",
            "last-error",
            "last-success",
          ]
        ) {
          assert.ok(cls in row, `row ${name} has no <td class="${cls}">: ${JSON.stringify(row)}`);
        }
        assert.ok(row.name.startsWith(name), `${name}: name cell ${row.name}`);
        assert.notEqual(row["last-scrape"], "", `${name}: last scrape shown`);
        assert.notEqual(row.duration, "", `${name}: duration shown`);
      }
      assert.ok(h.url.includes(`${healthy.origin}/metrics`), h.url);
      assert.ok(f.url.includes(`${failing.origin}/metrics`), f.url);
      assert.match(h.labels, /team\W+payments/);

      assert.equal(h.up, "up");
      // HEALTHY_BODY has three series and the target no rules: all three read, all three written.
      assert.equal(firstNumber(h["series-read"]), 3, `healthy series read: ${h["series-read"]}`);
      assert.equal(firstNumber(h["series-written"]), 3, `healthy series written: ${h["series-written"]}`);
      assert.equal(h["last-error"], "");
      assert.notEqual(h["last-success"], "");

      assert.equal(f.up, "down");
      assert.match(f["last-error"], /^status\b.*\b500\b/, "a 500 is reason `status`");

      assert.equal(s.up, "down");
      assert.match(s["last-error"], /^timeout\b/, "past its timeout is reason `timeout`");

      const config = element(dom, "section", /\bid="config"/);
      assert.ok(config !== undefined, 'no <section id="config">');
      assert.ok(text(config).includes(file), `the config section names ${file}: ${text(config)}`);
      assert.match(text(config), /\bsuccess/, "the config section shows the last reload's result");

      const modules = element(dom, "section", /\bid="modules"/);
      assert.ok(modules !== undefined, 'no <section id="modules">');
      const forms = [...modules.matchAll(/<form\b[^>]*>/gi)].map((m) => m[0]);
      assert.equal(forms.length, 1, forms.join("\n"));
      assert.match(forms[0], /\bclass="[^"]*\bprobe\b[^"]*"/);
      assert.match(forms[0], /\bdata-module="spring"/);

      const shot = `${dir.path}/status-page.png`;
      await chromium(
        `${dir.path}/profile`,
        [`--screenshot=${shot}`, "--window-size=1280,800", "--hide-scrollbars"],
        `${ex.base}/`,
      );
      const png = await Deno.readFile(shot);
      assertPng(png, 1280, 800);
      if (Deno.env.get("UPDATE_SCREENSHOT") === "1") await Deno.writeFile(SCREENSHOT, png);
    } finally {
      release.resolve();
      assert.equal(await ex.stop(), 0, ex.stderr());
    }
  },
});
