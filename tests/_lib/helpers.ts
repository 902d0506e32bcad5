/**
 * Test helpers: real upstream servers on 127.0.0.1 port 0, and small builders.
 *
 * @module
 */

import { type Flags, parseCommandLine } from "../../src/cli/mod.ts";
import type { TargetConfig } from "../../src/config/types.ts";

/**
 * A target config with test defaults (name `t`, a URL nothing listens on, auto format, no labels or rules,
 * a 5 s timeout and a 64 KiB body cap), with `extra` over them.
 */
export function testTarget(extra: Partial<TargetConfig> = {}): TargetConfig {
  return {
    name: "t",
    url: "http://127.0.0.1:1/",
    labels: {},
    format: "auto",
    namespace: "",
    rules: [],
    metricRelabelConfigs: [],
    onDuplicate: "error",
    timeoutMs: 5_000,
    maxBodyBytes: 64 * 1024,
    ...extra,
  };
}

/** A route: a fixed response, or a function of the request. */
export type Route = Response | ((req: Request) => Response | Promise<Response>);

/** What a test upstream saw of one request. */
export interface SeenRequest {
  /** The method. */
  method: string;
  /** The full URL. */
  url: string;
  /** A copy of the headers. */
  headers: Headers;
}

/** A running upstream; `await using` closes it. */
export interface TestUpstream extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** Requests seen, in order (method, URL and a copy of the headers, readable after the request ended). */
  requests: SeenRequest[];
  /** Closes the server. */
  close(): Promise<void>;
}

/**
 * Serves routes by path on 127.0.0.1 with an OS-chosen port. A route that is a Response is copied per request.
 */
export function serveUpstream(routes: Record<string, Route>): TestUpstream {
  const requests: SeenRequest[] = [];
  const ac = new AbortController();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, signal: ac.signal, onListen: () => {} },
    (req) => {
      requests.push({ method: req.method, url: req.url, headers: new Headers(req.headers) });
      const route = routes[new URL(req.url).pathname];
      if (route === undefined) return new Response("no such route\n", { status: 404 });
      if (!(route instanceof Response)) return route(req);
      // Response.clone() drops the headers under Deno.serve (seen on 2.9.6), so copy them explicitly.
      return new Response(route.clone().body, { status: route.status, headers: new Headers(route.headers) });
    },
  );
  const close = async () => {
    ac.abort();
    await server.finished;
  };
  return { origin: `http://127.0.0.1:${server.addr.port}`, requests, close, [Symbol.asyncDispose]: close };
}

/** A JSON response. */
export function json(value: unknown, init?: ResponseInit): Response {
  return new Response(JSON.stringify(value), {
    ...init,
    headers: { "content-type": "application/json", ...init?.headers },
  });
}

/** The seed's upstream document. */
export const SEED_JSON = {
  requests: 100,
  requests_status_2xx: 90,
  requests_status_4xx: 3,
  requests_status_5xx: 7,
  uptime_sec: 123,
  exclude_me: 1234,
} as const;

/** Replaces the values of samples whose value changes between runs (durations, process metrics). */
export function normalizeVolatile(text: string): string {
  return text.replace(
    /^((?:prom_exporter_scrape_duration_seconds|prom_exporter_last_success_timestamp_seconds|process_[a-z_]+)(?:\{[^}]*\})?) \S+$/gm,
    "$1 <volatile>",
  ).replace(/runtime="deno [^"]+"/g, 'runtime="deno <version>"');
}

/** A port on 127.0.0.1 that was free a moment ago (bound, then released): connections to it are refused. */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The flags of `start --config.file FILE` (the file need not exist): what a config loaded from FILE gets. */
export function configFileFlags(file: string): Flags {
  const inv = parseCommandLine(["start", "--config.file", file], {});
  if (inv.kind !== "run") throw new Error("Cannot build the flags of start --config.file");
  return inv.flags;
}
