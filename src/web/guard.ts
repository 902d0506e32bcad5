/**
 * Puts a web config's request-side protections in front of a handler, in the exporter-toolkit's order:
 * rate limit (429), then Basic auth (401), then the handler. The configured security headers go on every
 * response, the 401 and 429 included (the toolkit skips them on its 429; sending them costs nothing).
 *
 * Build a new guard from each (re)loaded config: the auth cache and the rate-limit bucket start afresh.
 *
 * @module
 */

import { type BasicAuthOptions, createBasicAuth } from "./basic_auth.ts";
import { createRateLimiter } from "./rate_limit.ts";
import { applySecurityHeaders } from "./security_headers.ts";
import type { WebConfig } from "./web_config.ts";

/** Options of {@linkcode withWebSecurity}. */
export interface WebSecurityOptions {
  /** Passed to {@linkcode createBasicAuth} (realm, and seams for tests). */
  readonly basicAuth?: BasicAuthOptions;
  /** Monotonic clock in milliseconds for the rate limiter; tests pass a fake one. */
  readonly now?: () => number;
}

/**
 * Wraps a request handler with the web config's rate limit, Basic auth and headers.
 *
 * @example
 * ```ts ignore
 * const web = await loadWebConfig(flags.webConfigFile);
 * const handler = withWebSecurity(web, (req, info) => route(req, info));
 * Deno.serve({ port, ...web.tlsOptions }, handler);
 * ```
 * @param config A parsed web config.
 * @param handler The exporter's own handler; it runs only for allowed, authorized requests.
 * @param options Seams for tests.
 * @returns A handler for `Deno.serve` with the same signature.
 */
export function withWebSecurity<I>(
  config: WebConfig,
  handler: (req: Request, info: I) => Response | Promise<Response>,
  options: WebSecurityOptions = {},
): (req: Request, info: I) => Promise<Response> {
  const limit = config.rateLimit === undefined
    ? undefined
    : createRateLimiter(config.rateLimit, { now: options.now });
  const auth = createBasicAuth(config.basicAuthUsers, options.basicAuth);
  const headers = config.headers;
  return async (req, info) => {
    const refused = limit?.() ?? await auth(req);
    const response = refused ?? await handler(req, info);
    return applySecurityHeaders(response, headers);
  };
}
