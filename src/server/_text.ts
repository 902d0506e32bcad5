/**
 * The plain-text answers of the server's handlers, and how they quote a request's values back.
 *
 * @module
 */

/** Longest parameter value quoted back in an error body. */
export const MAX_ECHO = 200;

/** `s` as a JSON string, cut to {@linkcode MAX_ECHO} characters, to quote a request's value in an error. */
export function quote(s: string): string {
  return JSON.stringify(s.length > MAX_ECHO ? s.slice(0, MAX_ECHO) + "…" : s);
}

/**
 * A `text/plain` answer. It says `X-Content-Type-Options: nosniff`: its text may echo a request's or an
 * upstream's, which a browser must never take for markup.
 */
export function plain(status: number, text: string, extra?: Record<string, string>): Response {
  return new Response(text, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff", ...extra },
  });
}
