/**
 * Independent validators for exposition output, shared by test files:
 * - `promtool check metrics` (Go expfmt parser plus promlint) for text 0.0.4;
 * - the Python `prometheus_client` text parser (lenient) and OpenMetrics parser (strict);
 * - {@linkcode assertWellFormed}, our own structural checker for what no tool catches (split families,
 *   repeated metadata, duplicate series, blank lines, the `# EOF` terminator).
 *
 * Tool availability is probed once at import. Register tests that need a tool with {@linkcode toolTest}: when
 * the tool is missing the test is reported as ignored, or fails when `REQUIRE_E2E=1`.
 *
 * @module
 */

/** Path of promtool: env `PROMTOOL`, else the Debian package's. */
export const PROMTOOL = Deno.env.get("PROMTOOL") ?? "/usr/bin/promtool";
/** Python with `prometheus_client`: env `PYTHON3`, else Debian's (not the pyenv shim on PATH, which lacks it). */
export const PYTHON = Deno.env.get("PYTHON3") ?? "/usr/bin/python3";
/** True when tests must fail rather than be ignored for a missing tool. */
export const REQUIRE_E2E = Deno.env.get("REQUIRE_E2E") === "1";

function probe(cmd: string, args: string[]): boolean {
  try {
    return new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).outputSync().success;
  } catch {
    return false;
  }
}

/** Whether promtool runs here. */
export const HAVE_PROMTOOL = probe(PROMTOOL, ["--version"]);
/** Whether the Python parsers are importable here. */
export const HAVE_PYTHON = probe(PYTHON, [
  "-c",
  "import prometheus_client.parser, prometheus_client.openmetrics.parser",
]);

/** An external tool a test needs. */
export type Tool = "promtool" | "python";

/**
 * Registers a test that needs external tools. Missing tool: ignored (reported as such, never as passed), or
 * a failing test when `REQUIRE_E2E=1`.
 */
export function toolTest(name: string, tools: readonly Tool[], fn: () => Promise<void> | void): void {
  const missing = tools.filter((t) => !(t === "promtool" ? HAVE_PROMTOOL : HAVE_PYTHON));
  if (missing.length === 0) {
    Deno.test(name, fn);
  } else if (REQUIRE_E2E) {
    Deno.test(name, () => {
      throw new Error(`Required tool missing: ${missing.join(", ")} (REQUIRE_E2E=1)`);
    });
  } else {
    Deno.test({ name, ignore: true, fn });
  }
}

async function run(cmd: string, args: string[], input: string): Promise<{ code: number; out: string }> {
  const child = new Deno.Command(cmd, { args, stdin: "piped", stdout: "piped", stderr: "piped" }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout) + dec.decode(stderr) };
}

/**
 * Runs `promtool check metrics` on a text 0.0.4 document (stdin). `ok` is true only for exit 0 (no parse
 * error and no lint problem); `output` holds stdout plus stderr.
 */
export async function promtoolCheck(text: string): Promise<{ ok: boolean; code: number; output: string }> {
  const { code, out } = await run(PROMTOOL, ["check", "metrics"], text);
  return { ok: code === 0, code, output: out };
}

/** One sample as a Python parser returned it. Values and timestamps are strings (see {@linkcode parsedValue}). */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  /** `NaN`, `+Inf`, `-Inf`, or Python's repr of the int/float (e.g. `1`, `1.5`, `1e+21`, `-0.0`). */
  value: string;
  /** Seconds as a string (text parser: ms/1000 as a float repr; OM: `sec.nnnnnnnnn` or float), or null. */
  timestamp: string | null;
}

/** One family as a Python parser returned it. */
export interface ParsedFamily {
  name: string;
  type: string;
  help: string;
  unit: string;
  samples: ParsedSample[];
}

/** A Python parse: the families, or the parser's error message. */
export type ParseResult = { ok: true; families: ParsedFamily[] } | { ok: false; error: string };

const PY_SCRIPT = `
import sys, json, math
from prometheus_client.parser import text_string_to_metric_families as parse_text
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.samples import Timestamp

def num(v):
    if isinstance(v, int):
        return str(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)

def ts(t):
    if t is None:
        return None
    if isinstance(t, Timestamp):
        return "%s%d.%09d" % ("-" if t.sec < 0 or t.nsec < 0 else "", abs(t.sec), abs(t.nsec))
    return repr(float(t))

req = json.loads(sys.stdin.buffer.read().decode("utf-8"))
out = []
for item in req:
    try:
        parse = parse_om if item["format"] == "openmetrics" else parse_text
        fams = []
        for f in parse(item["text"]):
            fams.append({"name": f.name, "type": f.type, "help": f.documentation, "unit": f.unit,
                         "samples": [{"name": s.name, "labels": s.labels, "value": num(s.value),
                                      "timestamp": ts(s.timestamp)} for s in f.samples]})
        out.append({"ok": True, "families": fams})
    except Exception as e:
        out.append({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
sys.stdout.write(json.dumps(out))
`;

/** Parses many documents in one Python process (one call costs about 100 ms, so batch in property tests). */
export async function pythonParseMany(
  docs: readonly { format: "text" | "openmetrics"; text: string }[],
): Promise<ParseResult[]> {
  const { code, out } = await run(PYTHON, ["-c", PY_SCRIPT], JSON.stringify(docs));
  if (code !== 0) throw new Error(`python3 failed (exit ${code}): ${out}`);
  return JSON.parse(out) as ParseResult[];
}

async function parseOne(format: "text" | "openmetrics", text: string): Promise<ParsedFamily[]> {
  const [result] = await pythonParseMany([{ format, text }]);
  if (!result.ok) throw new Error(`Python ${format} parser rejected the document: ${result.error}`);
  return result.families;
}

/** Parses text 0.0.4 with `prometheus_client.parser`; throws with the parser's message when it rejects. */
export function pythonParseText(text: string): Promise<ParsedFamily[]> {
  return parseOne("text", text);
}

/** Parses OpenMetrics with the strict `prometheus_client.openmetrics.parser`; throws when it rejects. */
export function pythonParseOpenMetrics(text: string): Promise<ParsedFamily[]> {
  return parseOne("openmetrics", text);
}

/** Converts a parsed value string back to a number (`+Inf` included, which `Number()` does not read). */
export function parsedValue(s: string): number {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  return Number(s);
}

// ---------------------------------------------------------------- structural checker

/** Sample-name suffixes each type owns, relative to the metadata name, per format. */
const TEXT_SUFFIXES: Record<string, readonly string[]> = {
  counter: [""],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};
const OM_SUFFIXES: Record<string, readonly string[]> = {
  counter: ["_total", "_created"],
  gauge: [""],
  unknown: [""],
  histogram: ["_bucket", "_sum", "_count", "_created"],
  gaugehistogram: ["_bucket", "_gsum", "_gcount"],
  summary: ["", "_sum", "_count", "_created"],
  info: ["_info"],
  stateset: [""],
};

/** Reads `{n="v",…}` starting at `i` (at `{`); returns the label pairs and the index after `}`. */
function readLabels(line: string, i: number, where: string): { pairs: string[]; end: number } {
  const pairs: string[] = [];
  i++; // '{'
  while (line[i] !== "}") {
    const eq = line.indexOf("=", i);
    if (eq < 0 || line[eq + 1] !== '"') throw new Error(`${where}: malformed label set`);
    const name = line.slice(i, eq);
    let j = eq + 2;
    let value = "";
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] === "\\") {
        const n = line[++j];
        value += n === "n" ? "\n" : n;
      } else {
        value += line[j];
      }
    }
    if (j >= line.length) throw new Error(`${where}: unterminated label value`);
    pairs.push(name, value);
    i = j + 1;
    if (line[i] === ",") i++;
    else if (line[i] !== "}") throw new Error(`${where}: expected , or } after label value`);
  }
  return { pairs, end: i + 1 };
}

/**
 * Asserts the structure no parser here enforces (PROMETHEUS.md C.34–36, D.40, D.47):
 * each family is contiguous (a name reappears only right after a line of the same family), HELP/TYPE/UNIT
 * at most once per family and before its samples, no duplicate series (empty label values count as absent,
 * as in Prometheus), the document ends with LF; for OpenMetrics also `# EOF\n` last, no blank lines and
 * no other comment lines. Throws an Error naming the line on the first violation.
 */
export function assertWellFormed(text: string, format: "text" | "openmetrics"): void {
  const om = format === "openmetrics";
  if (om) {
    if (!text.endsWith("# EOF\n")) throw new Error("OpenMetrics document does not end with '# EOF\\n'");
  } else if (text !== "" && !text.endsWith("\n")) {
    throw new Error("Text document does not end with LF");
  }
  const lines = text.split("\n");
  lines.pop(); // after the final LF
  if (om && lines.lastIndexOf("# EOF") !== lines.length - 1) throw new Error("Line after '# EOF'");
  const suffixes = om ? OM_SUFFIXES : TEXT_SUFFIXES;
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | null = null; // metadata name of the family being read
  let allowed: readonly string[] = [];
  let seen = new Set<string>(); // metadata kinds seen for current
  let hasSamples = false;
  const open = (name: string, where: string) => {
    if (current === name) return;
    if (closed.has(name)) throw new Error(`${where}: family "${name}" is split (seen before)`);
    if (current !== null) closed.add(current);
    current = name;
    allowed = [name];
    seen = new Set();
    hasSamples = false;
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n];
    const where = `line ${n + 1}`;
    if (line === "") {
      if (om) throw new Error(`${where}: blank line`);
      continue;
    }
    if (line.startsWith("#")) {
      if (om && line === "# EOF") continue;
      const m = /^# (HELP|TYPE|UNIT) (\S+)(?: (.*))?$/s.exec(line); // s: HELP may hold CR, U+2028
      if (m === null || (m[1] === "UNIT" && !om)) {
        if (om) throw new Error(`${where}: comment line not allowed in OpenMetrics: ${JSON.stringify(line)}`);
        continue; // plain comment in text
      }
      const [, kind, name, rest = ""] = m;
      open(name, where);
      if (hasSamples) throw new Error(`${where}: ${kind} for "${name}" after its samples`);
      if (seen.has(kind)) throw new Error(`${where}: second ${kind} for "${name}"`);
      seen.add(kind);
      if (kind === "TYPE") {
        const sfx = suffixes[rest];
        if (sfx === undefined) throw new Error(`${where}: unknown type "${rest}"`);
        allowed = sfx.map((s) => name + s);
      }
      continue;
    }
    const brace = line.indexOf("{");
    const space = line.indexOf(" ");
    const nameEnd = brace >= 0 && (space < 0 || brace < space) ? brace : space;
    if (nameEnd <= 0) throw new Error(`${where}: malformed sample line`);
    const sampleName = line.slice(0, nameEnd);
    let pairs: string[] = [];
    if (nameEnd === brace) pairs = readLabels(line, brace, where).pairs;
    if (current === null || !allowed.includes(sampleName)) {
      // A sample outside the current family starts an implicit (untyped) family named after it.
      open(sampleName, where);
    }
    hasSamples = true;
    const kv: string[] = [];
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i + 1] !== "") kv.push(pairs[i] + "\u0000" + pairs[i + 1]);
    }
    kv.sort();
    const key = sampleName + "\u0001" + kv.join("\u0001");
    if (series.has(key)) throw new Error(`${where}: duplicate series ${JSON.stringify(line)}`);
    series.add(key);
  }
}
