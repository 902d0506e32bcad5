/**
 * URL helpers shared by the command line, the upstream client and the logs.
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

/** Removes userinfo (`user:password@`) from a URL for logs and errors; non-URLs are returned as they are. */
export function redactUrl(url: string): string {
  const at = url.indexOf("@");
  const scheme = url.indexOf("://");
  if (at < 0 || scheme < 0 || at < scheme) return url;
  const slash = url.indexOf("/", scheme + 3);
  if (slash >= 0 && slash < at) return url;
  return url.slice(0, scheme + 3) + "<redacted>@" + url.slice(at + 1);
}
