/**
 * A real HTTP/1.1 fault server on 127.0.0.1 for the reliability suite. It speaks HTTP over a raw TCP socket
 * (`Deno.listen`), so it can misbehave in ways `Deno.serve` never would: stay silent, stall mid-body, trickle,
 * reset the connection, lie about `Content-Length`, send bytes that are not HTTP at all.
 *
 * Routes (query parameters in brackets):
 * - `/ok[?fmt=text|om|json&series=N&chunks=N&delay=MS]`: a healthy answer; every value is the generation
 *   number, a counter bumped once per healthy answer, so a client can tell which snapshot a value came from.
 *   `chunks` splits the body into writes with a macrotask between them, `delay` waits before the headers.
 * - `/silent`: reads the request and never sends a byte.
 * - `/stall`: headers (`Content-Length: 1000`) and 10 bytes of body, then nothing.
 * - `/trickle[?every=MS]`: headers, then one body byte every `every` ms (default 1000), chunked, forever.
 * - `/truncated`: `Content-Length: 1000`, 10 bytes, then a clean close (FIN).
 * - `/reset`: headers and part of the body, then a TCP reset (RST: the request is left unread, so the
 *   kernel resets on close). `/reset-early`: a reset before any byte of the answer.
 * - `/status/CODE`: that status with a short body; `/status-endless/CODE`: that status with a body that never
 *   ends (the json_exporter `io.Copy` trap).
 * - `/garbage`: 200, `text/plain`, 4 KiB of random bytes. `/garbage-json`: the same as `application/json`.
 *   `/not-http`: random bytes instead of a status line, then close.
 * - `/invalid-utf8`: a text exposition with bytes `\xff\xfe` in a label value and in HELP.
 * - `/big[?declared=N]`: `Content-Length: N` (default 1 GiB) and metric text until the client goes away.
 *   `/big-chunked`: the same without a length (chunked).
 * - `/gzip-bomb`: `Content-Encoding: gzip`, a small body that inflates to {@linkcode FaultServerOptions.bombBytes}.
 * - `/redirect-loop`: 302 to itself. `/redirect?to=URL[&status=302]`: a redirect to any URL.
 * - `/empty`: 200 with an empty body.
 *
 * A URL on a port nobody listens on (connection refused) comes from {@linkcode refusedUrl}.
 *
 * Every request is recorded (method, path, headers), up to a cap; the counts go on past it. `close()` ends
 * every connection and timer, so Deno's op and resource sanitizers stay green in the tests that use it.
 *
 * @module
 */

import zlib from "node:zlib";

/** What the fault server saw of one request. */
export interface FaultRequest {
  /** The method. */
  method: string;
  /** The request target as sent (path and query). */
  target: string;
  /** The path alone. */
  path: string;
  /** Header names lowercased; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Which connection (1-based, in accept order) carried it. */
  connection: number;
}

/** Options of {@linkcode FaultServer.start}. */
export interface FaultServerOptions {
  /** Series in a healthy answer. @default {16} */
  series?: number;
  /** Size the gzip bomb inflates to, in bytes. @default {64 MiB} */
  bombBytes?: number;
  /** Most requests kept in {@linkcode FaultServer.requests}. @default {10000} */
  maxRecorded?: number;
}

const CRLF2 = [13, 10, 13, 10];
const ENC = new TextEncoder();
const MAX_HEAD_BYTES = 64 * 1024;
const MIB = 1024 * 1024;
const REASONS: Record<number, string> = {
  200: "OK",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const bombs = new Map<number, Promise<Uint8Array>>();

/** A gzip stream that inflates to `bytes` zero bytes; built once per size and cached (1 GiB takes ~1.7 s). */
export function gzipBomb(bytes: number): Promise<Uint8Array> {
  let bomb = bombs.get(bytes);
  if (bomb === undefined) {
    bomb = bytes <= 64 * MIB
      ? Promise.resolve(new Uint8Array(zlib.gzipSync(new Uint8Array(bytes), { level: 9 })))
      : streamBomb(bytes);
    bombs.set(bytes, bomb);
  }
  return bomb;
}

async function streamBomb(bytes: number): Promise<Uint8Array> {
  const gz = zlib.createGzip({ level: 9 });
  const parts: Uint8Array[] = [];
  gz.on("data", (c: Uint8Array) => parts.push(c));
  const ended = new Promise((resolve) => gz.on("end", resolve));
  const zeros = new Uint8Array(MIB);
  for (let left = bytes; left > 0; left -= MIB) {
    const piece = left >= MIB ? zeros : zeros.subarray(0, left);
    if (!gz.write(piece)) await new Promise((resolve) => gz.once("drain", resolve));
  }
  gz.end();
  await ended;
  return concat(parts);
}

/** A URL on 127.0.0.1 whose port was just free: connecting to it is refused. */
export function refusedUrl(path = "/"): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `http://127.0.0.1:${port}${path}`;
}

class Closed extends Error {}

/** A running fault server; `await using` closes it. */
export class FaultServer implements AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** The port. */
  readonly port: number;
  /** Connections accepted so far. */
  connections = 0;
  /** Connections open now. */
  open = 0;
  /** Requests read so far (all of them, past the recording cap too). */
  requestCount = 0;
  /** The last generation number served by `/ok` (0 before the first). */
  generation = 0;
  /** The first {@linkcode FaultServerOptions.maxRecorded} requests. */
  readonly requests: FaultRequest[] = [];

  readonly #listener: Deno.TcpListener;
  readonly #series: number;
  readonly #bombBytes: number;
  readonly #maxRecorded: number;
  readonly #conns = new Set<Deno.Conn>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #stop = new AbortController();
  readonly #accepting: Promise<void>;

  private constructor(listener: Deno.TcpListener, options: FaultServerOptions) {
    this.#listener = listener;
    this.port = (listener.addr as Deno.NetAddr).port;
    this.origin = `http://127.0.0.1:${this.port}`;
    this.#series = options.series ?? 16;
    this.#bombBytes = options.bombBytes ?? 64 * MIB;
    this.#maxRecorded = options.maxRecorded ?? 10_000;
    this.#accepting = this.#acceptLoop();
  }

  /** Starts a fault server on 127.0.0.1 with an OS-chosen port. */
  static start(options: FaultServerOptions = {}): FaultServer {
    return new FaultServer(Deno.listen({ hostname: "127.0.0.1", port: 0 }), options);
  }

  /** The full URL of a route. */
  url(target: string): string {
    return this.origin + target;
  }

  /** Requests whose path is `path`. */
  requestsTo(path: string): FaultRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Stops accepting, ends every connection and timer, and waits for all of it. */
  async close(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    try {
      this.#listener.close();
    } catch {
      // Already closed.
    }
    for (const c of this.#conns) closeQuietly(c);
    await this.#accepting;
    await Promise.allSettled([...this.#tasks]);
  }

  /** Closes the server (`await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return; // listener closed
      }
      if (this.#stop.signal.aborted) {
        closeQuietly(conn);
        return;
      }
      const id = ++this.connections;
      this.open++;
      this.#conns.add(conn);
      const task = this.#serve(conn, id).finally(() => {
        this.open--;
        this.#conns.delete(conn);
        closeQuietly(conn);
        this.#tasks.delete(task);
      });
      this.#tasks.add(task);
    }
  }

  async #serve(conn: Deno.Conn, id: number): Promise<void> {
    let pending: Uint8Array = new Uint8Array(0);
    try {
      for (;;) {
        // Read in small pieces until the request line is in, so /reset can leave the rest unread (which
        // makes the kernel answer our close with RST instead of FIN).
        while (indexOfCrlf(pending) < 0) {
          const more = await readSome(conn, 32);
          if (more === null) return;
          pending = concat([pending, more]);
          if (pending.length > MAX_HEAD_BYTES) {
            return void await this.#simple(conn, 431, "head too large\n", false);
          }
        }
        const line = new TextDecoder().decode(pending.subarray(0, indexOfCrlf(pending)));
        const [method = "", target = "/"] = line.split(" ");
        const path = target.split("?")[0];
        if (path === "/reset-early") return await this.#sleep(20);
        if (path === "/reset") return await this.#reset(conn);
        let end: number;
        while ((end = indexOf(pending, CRLF2)) < 0) {
          const more = await readSome(conn, 16 * 1024);
          if (more === null) return;
          pending = concat([pending, more]);
          if (pending.length > MAX_HEAD_BYTES) {
            return void await this.#simple(conn, 431, "head too large\n", false);
          }
        }
        const headers = parseHeaders(new TextDecoder().decode(pending.subarray(0, end)));
        pending = pending.slice(end + 4);
        // Discard a request body, so the next request on this connection starts where it should.
        let bodyLeft = Number(headers["content-length"] ?? 0) || 0;
        while (bodyLeft > 0) {
          if (pending.length === 0) {
            const more = await readSome(conn, 16 * 1024);
            if (more === null) return;
            pending = more;
          }
          const take = Math.min(bodyLeft, pending.length);
          bodyLeft -= take;
          pending = pending.slice(take);
        }
        this.requestCount++;
        if (this.requests.length < this.#maxRecorded) {
          this.requests.push({ method, target, path, headers, connection: id });
        }
        const keepAlive = await this.#route(conn, method, target, headers);
        if (!keepAlive) return;
      }
    } catch (e) {
      if (e instanceof Closed) return;
      // The peer went away (reset, broken pipe) or close() closed the socket: either ends this connection.
    }
  }

  /** Answers one request; returns whether the connection may carry another. */
  async #route(
    conn: Deno.Conn,
    method: string,
    target: string,
    headers: Record<string, string>,
  ): Promise<boolean> {
    const url = new URL(target, "http://fault.invalid");
    const q = url.searchParams;
    const path = url.pathname;
    const parts = path.split("/");
    switch (parts[1]) {
      case "ok":
        return await this.#ok(conn, method, q);
      case "silent":
        await this.#waitForPeerClose(conn);
        return false;
      case "stall":
        await writeAll(conn, head(200, { "content-type": "text/plain", "content-length": 1000 }));
        await writeAll(conn, ENC.encode("# stalled\n"));
        await this.#waitForPeerClose(conn);
        return false;
      case "trickle": {
        const every = Number(q.get("every") ?? 1000);
        await writeAll(conn, head(200, { "content-type": "text/plain", "transfer-encoding": "chunked" }));
        for (;;) {
          await writeAll(conn, chunk(ENC.encode("#")));
          await this.#sleep(every);
        }
      }
      case "truncated":
        await writeAll(
          conn,
          head(200, { "content-type": "text/plain", "content-length": 1000, connection: "close" }),
        );
        await writeAll(conn, ENC.encode("# cut off\n"));
        return false;
      case "status":
        return await this.#simple(conn, Number(parts[2]) || 500, `status ${parts[2]}\n`, true);
      case "status-endless": {
        await writeAll(
          conn,
          head(Number(parts[2]) || 500, { "content-type": "text/plain", "transfer-encoding": "chunked" }),
        );
        const kib = ENC.encode("error ".repeat(170) + "\n");
        for (;;) {
          await writeAll(conn, chunk(kib));
          await this.#sleep(10);
        }
      }
      case "garbage":
        return await this.#bytes(conn, 200, "text/plain", randomBytes(4096));
      case "garbage-json":
        return await this.#bytes(conn, 200, "application/json", randomBytes(4096));
      case "not-http":
        await writeAll(conn, randomBytes(512));
        return false;
      case "invalid-utf8": {
        const body = concat([
          ENC.encode("# HELP bad_utf8 Help with "),
          new Uint8Array([0xff, 0xfe]),
          ENC.encode('\n# TYPE bad_utf8 gauge\nbad_utf8{v="'),
          new Uint8Array([0xc3, 0x28, 0xff]),
          ENC.encode('"} 1\n'),
        ]);
        return await this.#bytes(conn, 200, "text/plain; version=0.0.4", body);
      }
      case "big":
      case "big-chunked":
        await this.#big(conn, parts[1] === "big" ? Number(q.get("declared") ?? 1024 * MIB) : undefined);
        return false;
      case "gzip-bomb": {
        const bomb = await gzipBomb(this.#bombBytes);
        await writeAll(
          conn,
          head(200, {
            "content-type": "text/plain",
            "content-encoding": "gzip",
            "content-length": bomb.byteLength,
          }),
        );
        await writeAll(conn, bomb);
        return true;
      }
      case "redirect-loop":
        await writeAll(conn, head(302, { location: path, "content-length": 0 }));
        return true;
      case "redirect": {
        const status = Number(q.get("status") ?? 302);
        await writeAll(conn, head(status, { location: q.get("to") ?? "/", "content-length": 0 }));
        return true;
      }
      case "empty":
        return await this.#bytes(conn, 200, "text/plain", new Uint8Array(0));
      default:
        void headers;
        return await this.#simple(conn, 404, `no route ${JSON.stringify(path)}\n`, true);
    }
  }

  async #ok(conn: Deno.Conn, method: string, q: URLSearchParams): Promise<boolean> {
    const delay = Number(q.get("delay") ?? 0);
    if (delay > 0) await this.#sleep(delay);
    const g = ++this.generation;
    const fmt = q.get("fmt") ?? "text";
    const n = Number(q.get("series") ?? this.#series);
    const body = ENC.encode(healthyBody(fmt, g, n));
    const type = fmt === "json"
      ? "application/json"
      : fmt === "om"
      ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
      : "text/plain; version=0.0.4; charset=utf-8";
    await writeAll(conn, head(200, { "content-type": type, "content-length": body.byteLength }));
    if (method === "HEAD") return true;
    const pieces = Math.max(1, Math.min(Number(q.get("chunks") ?? 1), body.byteLength));
    const size = Math.ceil(body.byteLength / pieces);
    for (let at = 0; at < body.byteLength; at += size) {
      if (at > 0) await this.#sleep(0);
      await writeAll(conn, body.subarray(at, at + size));
    }
    return true;
  }

  async #big(conn: Deno.Conn, declared: number | undefined): Promise<void> {
    const headers: Record<string, string | number> = { "content-type": "text/plain; version=0.0.4" };
    if (declared === undefined) headers["transfer-encoding"] = "chunked";
    else headers["content-length"] = declared;
    await writeAll(conn, head(200, headers));
    const line = ENC.encode(`filler_metric{pad="${"x".repeat(1000)}"} 1\n`.repeat(64));
    // Bounded: stop after 1 GiB even if the client never gives up.
    for (let sent = 0; sent < 1024 * MIB; sent += line.byteLength) {
      if (this.#stop.signal.aborted) return;
      await writeAll(conn, declared === undefined ? chunk(line) : line);
    }
  }

  async #reset(conn: Deno.Conn): Promise<void> {
    await writeAll(conn, head(200, { "content-type": "text/plain", "content-length": 100_000 }));
    await writeAll(conn, ENC.encode("# partial body\nreset_metric 1\n"));
    // Let the bytes reach the client, then close with unread request bytes in our buffer: RST.
    await this.#sleep(30);
  }

  async #simple(conn: Deno.Conn, status: number, text: string, keepAlive: boolean): Promise<boolean> {
    const body = ENC.encode(text);
    const h: Record<string, string | number> = {
      "content-type": "text/plain",
      "content-length": body.byteLength,
    };
    if (!keepAlive) h.connection = "close";
    await writeAll(conn, concat([head(status, h), body]));
    return keepAlive;
  }

  async #bytes(conn: Deno.Conn, status: number, type: string, body: Uint8Array): Promise<boolean> {
    await writeAll(
      conn,
      concat([head(status, { "content-type": type, "content-length": body.byteLength }), body]),
    );
    return true;
  }

  /** Resolves when the client closes the connection (or close() does); discards anything it sends. */
  async #waitForPeerClose(conn: Deno.Conn): Promise<void> {
    while ((await readSome(conn, 1024)) !== null) {
      // A client that pipelines more requests here gets no answer either.
    }
  }

  /** Waits `ms`, or throws {@linkcode Closed} as soon as the server closes. */
  #sleep(ms: number): Promise<void> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.reject(new Closed());
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(new Closed());
      };
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/** A healthy body whose every value is `g`. */
export function healthyBody(fmt: string, g: number, series: number): string {
  if (fmt === "json") {
    const items: Record<string, number> = {};
    for (let i = 0; i < series; i++) items[`s${i}`] = g;
    return JSON.stringify({ generation: g, items });
  }
  let out = "# HELP fault_value A value stamped with the generation.\n# TYPE fault_value gauge\n";
  for (let i = 0; i < series; i++) out += `fault_value{i="${i}"} ${g}\n`;
  out += "# HELP fault_generation Healthy answers so far.\n# TYPE fault_generation counter\n";
  out += `fault_generation_total ${g}\n`;
  return fmt === "om" ? out + "# EOF\n" : out;
}

function head(status: number, headers: Record<string, string | number>): Uint8Array {
  let s = `HTTP/1.1 ${status} ${REASONS[status] ?? "Status"}\r\n`;
  for (const [k, v] of Object.entries(headers)) s += `${k}: ${v}\r\n`;
  return ENC.encode(s + "\r\n");
}

function chunk(bytes: Uint8Array): Uint8Array {
  return concat([ENC.encode(bytes.byteLength.toString(16) + "\r\n"), bytes, ENC.encode("\r\n")]);
}

function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

async function readSome(conn: Deno.Conn, size: number): Promise<Uint8Array | null> {
  const buf = new Uint8Array(size);
  const n = await conn.read(buf);
  return n === null ? null : buf.subarray(0, n);
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength;) at += await conn.write(bytes.subarray(at));
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed by the other side of this code.
  }
}

function indexOfCrlf(bytes: Uint8Array): number {
  for (let i = 0; i + 1 < bytes.length; i++) if (bytes[i] === 13 && bytes[i + 1] === 10) return i;
  return -1;
}

function indexOf(bytes: Uint8Array, needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.byteLength;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
