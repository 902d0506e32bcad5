/**
 * Writes `schema/config.schema.json` from the config's zod schema (src/config/schema.ts), so editors
 * validate and complete config files. Run: `deno run --allow-write=schema scripts/gen_schema.ts`.
 * tests/config/config_test.ts regenerates it in memory and fails when the committed file is stale.
 *
 * @module
 */

import { configSchemaText } from "../src/config/schema.ts";

if (import.meta.main) {
  const path = new URL("../schema/config.schema.json", import.meta.url);
  await Deno.writeTextFile(path, configSchemaText());
}
