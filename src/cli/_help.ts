/**
 * The help text: one line of usage per command and a synopsis and meaning per flag, laid out for `--help`.
 * The README's flag table is checked against the same rows.
 *
 * @module
 */

import { type Command, COMMAND_FLAGS, type FlagName, OPTIONS } from "./_flags.ts";

/**
 * `SYNOPSIS  MEANING` of each flag for `--help`, as written (two or more spaces between the two); the flag is
 * the synopsis's long name. Kept as text so a row reads as it prints. `input` means something else for `check`.
 */
const FLAG_ROWS = `
-s, --service NAME              value of the service label on every sample ($PROM_EXPORTER_SERVICE)
-u, --url URL                   upstream URL: http://, https:// or file:// ($PROM_EXPORTER_URL)
-p, --port PORT                 listen port, sets the port of --web.listen-address ($PROM_EXPORTER_PORT)
-e, --exclude NAME              drop this upstream name; repeatable ($PROM_EXPORTER_EXCLUDE, comma-separated)
--config.file FILE              YAML or JSON config with targets and rules ($PROM_EXPORTER_CONFIG_FILE)
--web.listen-address ADDR       [host]:port to listen on (default :9999)
--web.telemetry-path PATH       path of the metrics endpoint (default /metrics)
--web.config.file FILE          TLS and basic auth, exporter-toolkit format
--web.max-requests N            in-flight scrapes before answering 503; 0 = no cap (default 40)
--upstream.timeout DUR          cap on one upstream fetch, e.g. 10s (default 10s)
--upstream.max-body-bytes N     cap on the decompressed upstream body (default 16777216)
--scrape.timeout-offset DUR     subtracted from X-Prometheus-Scrape-Timeout-Seconds (default 0.5s)
--scrape.max-inflight-bytes N   bytes of upstream bodies and answers all scrapes in flight may hold; 0 = no cap (default: twice --upstream.max-body-bytes)
--log.level LEVEL               debug, info, warn or error (default info)
--log.format FORMAT             logfmt or json (default logfmt)
--input FILE                    read this saved upstream body instead of fetching
--probe.allow-any-target        /probe modules without allowed_targets may probe any target (never link-local or metadata addresses)
--scrape.no-memo                no scrape memo: decode every body (the series cache still skips known lines)
--scrape.no-relay               no relay: every text body goes through the pipeline (decode, rules, writer)
--web.disable-exporter-metrics  leave out the exporter's process_* metrics and prom_exporter_build_info
--metric NAME                   explain only the upstream metrics matching this glob; repeatable
`;

/** {@linkcode FLAG_ROWS} by flag; every flag must have its row (checked when this module loads). */
const FLAG_HELP: Record<FlagName, readonly [string, string]> = parseRows(FLAG_ROWS);

function parseRows(text: string): Record<FlagName, readonly [string, string]> {
  const help: Partial<Record<string, readonly [string, string]>> = {};
  for (const line of text.split("\n")) {
    const m = /^(\S.*?) {2,}(\S.*)$/.exec(line);
    const flag = m === null ? undefined : /--([\w.-]+)/.exec(m[1])?.[1];
    if (m !== null && flag !== undefined) help[flag] = [m[1], m[2]];
  }
  const missing = Object.keys(OPTIONS).filter((f) => f !== "help" && f !== "version" && !help[f]);
  if (missing.length > 0) throw new Error(`No help for flags ${missing.join(", ")}`);
  return help as Record<FlagName, readonly [string, string]>;
}

/** What a flag means where it differs for `check`, which reads and validates instead of scraping. */
const CHECK_HELP: Partial<Record<FlagName, string>> = {
  "web.config.file": "also validate this web config (TLS and basic auth, exporter-toolkit format)",
  input: "also match the JSON entries against this saved upstream body (warns when one selects nothing)",
};

/** What a flag means for `suggest`, which writes a config rather than scraping. */
const SUGGEST_HELP: Partial<Record<FlagName, string>> = {
  service: "the suggested target's name and service label",
  url: "the upstream to fetch once; written into the suggested config",
  input: "read this saved upstream body instead of fetching (the URL is a placeholder unless -u is given)",
};

/** One line of usage per subcommand, for `--help` and the hint after an error. */
export const USAGE: Record<Command, string> = {
  start: "prom-exporter start (-u URL [-s SERVICE] [-e NAME]... | --config.file FILE) [-p PORT] [flags]",
  once: "prom-exporter once (-u URL [-s SERVICE] [-e NAME]... | --config.file FILE) [--input FILE] [flags]",
  check: "prom-exporter check --config.file FILE [--input FILE] [--web.config.file FILE] [flags]",
  explain: "prom-exporter explain --config.file FILE [--input FILE] [--metric NAME]... [flags]",
  suggest: "prom-exporter suggest (-u URL | --input FILE) [-s SERVICE]",
};

/** The full help text for a subcommand (or the overview when none is given). */
export function helpText(command?: Command): string {
  if (command === undefined) {
    return [
      "prom-exporter: serves any HTTP JSON or Prometheus endpoint as clean, relabelled Prometheus metrics",
      "",
      "Commands:",
      "  start    serve /metrics, fetching the upstream on every scrape",
      "  once     scrape once, print the exposition, exit 0 (1 when the upstream failed)",
      "  check    validate a config file (exit 0 valid, 1 invalid)",
      "  explain  show what the rules did to each upstream metric",
      "  suggest  fetch the upstream once and print a commented first config",
      "",
      "Run 'prom-exporter COMMAND --help' for the flags of a command; 'prom-exporter --version' for the version.",
    ].join("\n");
  }
  const rows: [string, string][] = COMMAND_FLAGS[command].map((f) => {
    const [synopsis, meaning] = FLAG_HELP[f];
    const special = command === "check" ? CHECK_HELP[f] : command === "suggest" ? SUGGEST_HELP[f] : undefined;
    return [synopsis, special ?? meaning];
  });
  rows.push(["-h, --help", "this help"], ["--version", "print the version"]);
  // Long-only flags line up under the long names of "-s, --service".
  const cells = rows.map((
    [synopsis, meaning],
  ) => [synopsis.startsWith("--") ? `    ${synopsis}` : synopsis, meaning]);
  const width = Math.max(...cells.map(([synopsis]) => synopsis.length));
  return [
    `Usage: ${USAGE[command]}`,
    "",
    "Flags:",
    ...cells.map(([synopsis, meaning]) => `  ${synopsis.padEnd(width)}  ${meaning}`),
  ].join("\n");
}
