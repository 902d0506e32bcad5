/**
 * Graceful shutdown on SIGTERM/SIGINT: stop accepting connections, let the requests in flight finish, and
 * give up after a grace period. Scrapes in flight are already bounded by their own deadline (the scrape
 * timeout header or the target timeout), so a grace period of the longest timeout plus a margin lets every
 * one of them answer.
 *
 * @module
 */

/** The part of `Deno.HttpServer` a shutdown needs. */
export interface Shuttable {
  /** Stops accepting and resolves once the requests in flight have finished. */
  shutdown(): Promise<void>;
}

/** How a shutdown ended. */
export type ShutdownOutcome = "clean" | "forced";

/** Extra time on top of the longest scrape deadline before a shutdown stops waiting. */
export const SHUTDOWN_MARGIN_MS = 1_000;

/**
 * Shuts a server down gracefully: resolves `"clean"` once every request in flight has answered, or
 * `"forced"` after `graceMs` (the caller exits either way; a forced end cuts the slow requests).
 *
 * @param server A `Deno.HttpServer` (or anything with `shutdown()`).
 * @param graceMs The longest wait, e.g. the longest target timeout + {@linkcode SHUTDOWN_MARGIN_MS}.
 *
 * @example
 * ```ts ignore
 * Deno.addSignalListener("SIGTERM", async () => {
 *   const outcome = await shutdownGracefully(server, maxTimeoutMs + SHUTDOWN_MARGIN_MS);
 *   log.info("stopped", { shutdown: outcome });
 * });
 * ```
 */
export async function shutdownGracefully(server: Shuttable, graceMs: number): Promise<ShutdownOutcome> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const forced = new Promise<ShutdownOutcome>((resolve) => {
    timer = setTimeout(() => resolve("forced"), graceMs);
  });
  try {
    return await Promise.race([server.shutdown().then((): ShutdownOutcome => "clean"), forced]);
  } finally {
    clearTimeout(timer);
  }
}
