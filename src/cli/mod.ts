/**
 * Command-line parsing: pure functions from argument and environment lists to typed {@linkcode Flags}.
 * Nothing here reads `Deno.args` or `Deno.env`; `main.ts` passes them in.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { closestName } from "./_closest.ts";
import { type Command, COMMAND_FLAGS, COMMANDS, type Invocation, OPTIONS, UsageError } from "./_flags.ts";
import { type RawValues, toFlags } from "./_values.ts";

export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../log.ts";
export { closestName } from "./_closest.ts";
export {
  type Command,
  COMMAND_FLAGS,
  COMMANDS,
  DEFAULT_INFLIGHT_BODIES,
  DEMO,
  DEMO_ENV_VAR,
  ENV_VARS,
  type FlagName,
  type Flags,
  type Invocation,
  MAX_BODY_BYTES,
  OPTIONS,
  UsageError,
} from "./_flags.ts";
export { helpText, USAGE } from "./_help.ts";

/**
 * Parses a command line (without the program name) and the named environment variables.
 *
 * @param args The arguments, e.g. `["start", "-s", "foo", "-u", "http://127.0.0.1:8080/stats.json"]`.
 * @param env Environment values by variable name (only {@linkcode ENV_VARS} are read); flags win over them.
 * @returns What to do.
 * @throws {UsageError} For an unknown command or flag, a missing value or a value out of range.
 *
 * @example The seed's command line
 * ```ts
 * import { parseCommandLine } from "./mod.ts";
 * import assert from "node:assert/strict";
 * const inv = parseCommandLine(["start", "-s", "foo", "-u", "http://127.0.0.1:8080/", "-p", "9100"], {});
 * assert.equal(inv.kind === "run" && inv.flags.listenPort, 9100);
 * ```
 */
export function parseCommandLine(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Invocation {
  const [first, ...more] = args;
  if (first === undefined) throw new UsageError(`Missing command: expected one of ${COMMANDS.join(", ")}`);
  if (first === "--help" || first === "-h" || first === "help") return { kind: "help" };
  if (first === "--version" || first === "version") return { kind: "version" };
  if (!(COMMANDS as readonly string[]).includes(first)) {
    throw new UsageError(`Unknown command "${first}": expected one of ${COMMANDS.join(", ")}`);
  }
  const command = first as Command;
  // `deno task start -- ARGS` passes the "--" on; nothing here takes positional arguments, so it can go.
  const rest = more[0] === "--" ? more.slice(1) : more;
  let values: RawValues;
  try {
    values = parseRaw(rest);
  } catch (e) {
    throw new UsageError(describeParseArgsError(e, command), command);
  }
  if (values.help) return { kind: "help", command };
  if (values.version) return { kind: "version" };
  return { kind: "run", command, flags: toFlags(command, values, env) };
}

function parseRaw(args: readonly string[]): RawValues {
  return parseArgs({ args: [...args], options: OPTIONS, strict: true, allowPositionals: false }).values;
}

function describeParseArgsError(e: unknown, command: Command): string {
  const message = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string }).code;
  const flag = /'(-[^']*)'/.exec(message)?.[1] ?? /"(-[^"]*)"/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const guess = flag?.startsWith("--") ? guessFlag(flag.slice(2), command) : undefined;
    return `Unknown flag "${flag ?? message}"${guess === undefined ? "" : `; did you mean "--${guess}"?`}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") return `Flag "${longName(flag)}" needs a value`;
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return `Unexpected argument: ${message}`;
  return message;
}

/** The command's flag an unknown long flag most likely meant: a typo, or the last part of a dotted name. */
function guessFlag(name: string, command: Command): string | undefined {
  const candidates = [...COMMAND_FLAGS[command], "help", "version"];
  return closestName(name, candidates) ?? candidates.find((c) => c.endsWith(`.${name}`));
}

/** `-p`, `-p, --port <value>` and `--port` all become `--port`. */
function longName(flag: string | undefined): string {
  if (flag === undefined) return "?";
  const long = /--[\w.-]+/.exec(flag)?.[0];
  if (long) return long;
  const short = flag.replace(/^-/, "");
  const entry = Object.entries(OPTIONS).find(([, o]) => "short" in o && o.short === short);
  return entry ? `--${entry[0]}` : flag;
}
