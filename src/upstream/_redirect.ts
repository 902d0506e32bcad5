/**
 * One redirect hop's rules (fetch's, made explicit so every hop is checked): where the next hop goes, which
 * method and body it sends, and whether credentials still go with it. Only {@linkcode nextHop} decides.
 *
 * @module
 */

import type { PinnedAddress } from "../config/allow.ts";
import { UpstreamError } from "../errors.ts";
import { redactUrl } from "../url.ts";

/** The request of the current hop; {@linkcode nextHop} updates it. */
export interface Hop {
  /** The method; a 303 (and a 301 or 302 after a POST) makes it GET. */
  method: string;
  /** The request body; dropped with the method change. */
  body: string | undefined;
  /** False once a redirect has left the configured origin; stays false. */
  credentialed: boolean;
  /** The address the guard checked, to connect to instead of resolving the host again. */
  pin: PinnedAddress | undefined;
}

/** Works out the next hop of a redirect, updating `hop`'s method, body and credentials (fetch's rules). */
export function nextHop(
  url: URL,
  res: Response,
  hop: Hop,
  origin: string,
  policy: "same_origin" | "any",
): URL {
  const shown = redactUrl(url.href);
  const location = res.headers.get("location");
  let next: URL;
  try {
    next = new URL(location ?? "", url);
  } catch {
    throw new UpstreamError("redirect", `Cannot fetch "${shown}": redirect without a valid Location`);
  }
  if (location === null) {
    throw new UpstreamError("redirect", `Cannot fetch "${shown}": redirect without a Location`);
  }
  if (next.username || next.password) {
    throw new UpstreamError("redirect", `Cannot fetch "${shown}": redirect to a URL with credentials`);
  }
  const crossOrigin = next.origin !== origin;
  if (crossOrigin && policy === "same_origin") {
    throw new UpstreamError("redirect", `Cannot fetch "${shown}": redirect to another origin not followed`);
  }
  if (res.status === 303 || ((res.status === 301 || res.status === 302) && hop.method === "POST")) {
    hop.method = "GET";
    hop.body = undefined;
  }
  if (crossOrigin) {
    if (hop.body !== undefined) {
      throw new UpstreamError(
        "redirect",
        `Cannot fetch "${shown}": redirect would resend the body to another origin`,
      );
    }
    hop.credentialed = false;
  }
  return next;
}
