/**
 * Output for the bench scripts (the lint rule no-console covers the whole repo): whole strings to stdout and
 * stderr, looping because one write may take only part of a large report.
 *
 * @module
 */

const ENC = new TextEncoder();

function writeAll(file: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = ENC.encode(text);
  for (let at = 0; at < bytes.byteLength;) at += file.writeSync(bytes.subarray(at));
}

/** Writes text to stdout. */
export function out(text: string): void {
  writeAll(Deno.stdout, text);
}

/** Writes one line to stderr. */
export function err(line: string): void {
  writeAll(Deno.stderr, line + "\n");
}
