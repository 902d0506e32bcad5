/**
 * The exporter's version, one place for the CLI, the landing page and `prom_exporter_build_info`.
 *
 * @module
 */

/** The version, kept equal to deno.json's `version` (a test checks). */
export const VERSION = "0.1.0";
