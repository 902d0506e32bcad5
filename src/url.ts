/**
 * URL helpers shared by the command line, the upstream client, the logs and the status and debug pages.
 *
 * @module
 */

/**
 * Resolves `file://relative/path` (not a valid file URL, but what people type) against `cwd`; other URLs
 * are returned unchanged.
 */
export function resolveFileUrl(url: string, cwd: string): string {
  if (!url.startsWith("file://") || url.startsWith("file:///")) return url;
  const rel = url.slice("file://".length).replace(/^\.\//, "");
  const base = cwd.endsWith("/") ? cwd : cwd + "/";
  return new URL(rel, "file://" + base).href;
}

/**
 * Removes userinfo (`user:password@`) from a URL for logs and errors, as `<redacted>@`; non-URLs are returned
 * as they are. The userinfo ends at the last `@` of the authority (the text after `://` up to the first `/`,
 * `?`, `#` or `\`), as the URL parser reads it: a password may hold an `@` of its own.
 */
export function redactUrl(url: string): string {
  const scheme = url.indexOf("://");
  if (scheme < 0) return url;
  const start = scheme + 3;
  const end = authorityEnd(url, start);
  const at = url.lastIndexOf("@", end - 1);
  if (at < start) return url;
  return url.slice(0, start) + "<redacted>@" + url.slice(at + 1);
}

/** Where the authority that starts at `start` ends: the first `/`, `?`, `#` or `\` after it, or the end. */
function authorityEnd(url: string, start: number): number {
  for (let i = start; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x5c) return i;
  }
  return url.length;
}

/** Query keys whose values {@linkcode redactQuery} masks: any key holding one of these, in any case. */
const SECRET_KEY_REGEXP = /token|key|secret|pass|sig|auth|credential/i;

/**
 * Masks the values of query parameters whose key looks secret (it holds `token`, `key`, `secret`, `pass`,
 * `password`, `sig`, `signature`, `auth` or `credential`, in any case) as `<redacted>`, for the status page,
 * its JSON and the debug report; the rest of the URL is returned as it is. Keys are compared decoded, so
 * `%74oken` is a `token` too. Logs keep the query (docs/OPERATIONS.md, "Status page").
 *
 * @example
 * ```ts
 * import { redactQuery } from "./url.ts";
 * import assert from "node:assert/strict";
 * assert.equal(redactQuery("http://h/m?token=s3cret&page=2"), "http://h/m?token=<redacted>&page=2");
 * ```
 */
export function redactQuery(url: string): string {
  const q = url.indexOf("?");
  if (q < 0) return url;
  const hash = url.indexOf("#", q);
  const end = hash < 0 ? url.length : hash;
  const query = url.slice(q + 1, end).split("&").map((pair) => {
    const eq = pair.indexOf("=");
    if (eq < 0 || eq === pair.length - 1 || !SECRET_KEY_REGEXP.test(decodeKey(pair.slice(0, eq)))) {
      return pair;
    }
    return pair.slice(0, eq + 1) + "<redacted>";
  });
  return url.slice(0, q + 1) + query.join("&") + url.slice(end);
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replaceAll("+", " "));
  } catch {
    return key;
  }
}

/** A URL as the status page, its JSON and the debug report show it: {@linkcode redactUrl}, then {@linkcode redactQuery}. */
export function displayUrl(url: string): string {
  return redactQuery(redactUrl(url));
}

const URL_IN_TEXT_REGEXP = /[a-z][a-z0-9+.-]*:\/\/[^\s"']+/gi;

/** `text` (an error message) with every URL in it passed through {@linkcode displayUrl}. */
export function displayText(text: string): string {
  return text.includes("://") ? text.replaceAll(URL_IN_TEXT_REGEXP, (u) => displayUrl(u)) : text;
}
