/**
 * The response headers a web config may set (`http_server_config.headers`): the same five the
 * exporter-toolkit allows, with the same value rules, so the Prometheus ecosystem stays consistent.
 *
 * @module
 */

/**
 * Each configurable header and, where the value is an enumeration, its allowed values (matched exactly,
 * as the toolkit does). `null` means any valid header value.
 */
export const CONFIGURABLE_HEADERS: Readonly<Record<string, readonly string[] | null>> = {
  "Content-Security-Policy": null,
  "X-Frame-Options": ["deny", "sameorigin"],
  "X-Content-Type-Options": ["nosniff"],
  "X-XSS-Protection": null,
  "Strict-Transport-Security": null,
};

/**
 * Checks one configured header.
 *
 * @param name The header name as written in the file (case-sensitive, as in the toolkit).
 * @param value Its value; an empty value means "do not set" and is valid.
 * @returns What is wrong, or undefined when the header is acceptable.
 */
export function checkHeader(name: string, value: string): string | undefined {
  if (!Object.hasOwn(CONFIGURABLE_HEADERS, name)) {
    const allowed = Object.keys(CONFIGURABLE_HEADERS).map((h) => `"${h}"`).join(", ");
    return `header cannot be configured; allowed headers are ${allowed}`;
  }
  if (value === "") return undefined;
  const allowedValues = CONFIGURABLE_HEADERS[name];
  if (allowedValues !== null && !allowedValues.includes(value)) {
    const expected = allowedValues.map((v) => `"${v}"`).join(" or ");
    return `must be ${expected}, not ${JSON.stringify(value)}`;
  }
  try {
    // Let the platform judge the value, so a value accepted here never throws when a response is built.
    new Headers().set(name, value);
  } catch {
    return `${JSON.stringify(value)} is not a valid header value`;
  }
  return undefined;
}

/**
 * Sets the configured headers on a response, replacing any the handler set.
 *
 * @param response The handler's response; used as is when its headers are mutable.
 * @param headers Validated headers from the web config.
 * @returns The same response, or a copy when its headers were immutable (e.g. `Response.redirect()`).
 */
export function applySecurityHeaders(
  response: Response,
  headers: Readonly<Record<string, string>>,
): Response {
  const names = Object.keys(headers);
  if (names.length === 0) return response;
  let target = response;
  try {
    for (const name of names) target.headers.set(name, headers[name]);
  } catch {
    target = new Response(response.body, response);
    for (const name of names) target.headers.set(name, headers[name]);
  }
  return target;
}
