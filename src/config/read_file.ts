/**
 * Reads a configuration file (the config, the web config) with one error style for every such file.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";

/**
 * Reads a text file named by a flag.
 *
 * @param path The path as the user gave it (used in the message).
 * @param what What the file is, e.g. `"the config file"`.
 * @param resolved The path to read, when `path` is relative to something else. @default {path}
 * @throws {ConfigError} `PATH: cannot read WHAT: REASON`, e.g. `c.yaml: cannot read the config file: no such file`.
 */
export async function readConfigFile(path: string, what: string, resolved = path): Promise<string> {
  try {
    return await Deno.readTextFile(resolved);
  } catch (e) {
    const reason = e instanceof Deno.errors.NotFound
      ? "no such file"
      : e instanceof Error
      ? e.message
      : String(e);
    throw new ConfigError(`${path}: cannot read ${what}: ${reason}`, { cause: e });
  }
}
