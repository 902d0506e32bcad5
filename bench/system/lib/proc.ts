/**
 * Processes for the bench: start a server as a child process, learn its port, wait until it answers, read
 * its CPU time and peak memory from /proc, and stop it by its own pid. Every child binds 127.0.0.1.
 *
 * @module
 */

/** A child server the bench started. */
export interface Server {
  /** A short name for messages (`exporter`, `passthrough`, ...). */
  name: string;
  /** The child's pid (the process that does the work: `deno` or `python3` itself, no shell between). */
  pid: number;
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  /** The last few KiB of the child's stderr, for error messages. */
  stderrTail(): string;
  /** Whether the child has exited. */
  exited(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the child is gone. */
  stop(graceMs?: number): Promise<void>;
}

/** How to start one server. */
export interface SpawnOptions {
  /** Name for messages. */
  name: string;
  /** The executable. */
  cmd: string;
  /** Its arguments. */
  args: string[];
  /** Working directory. */
  cwd?: string;
  /**
   * How to learn the port: a number already given in `args`, or `"stdout-json"` for the bench's own servers,
   * which print `{"port":N}` as their first stdout line.
   */
  port: number | "stdout-json";
  /** Path polled until it answers (any status) to know the server is up. @default {"/"} */
  readyPath?: string;
  /** Give up after this long. @default {30000} */
  startTimeoutMs?: number;
}

const TAIL_BYTES = 8192;

/**
 * The exporter's flags in the bench, for the checkout at `root`: the typical rules for text, the seed's flags
 * for JSON, the upstream at `url`, listening on 127.0.0.1:`port`, no body cap worth the name, errors only.
 */
export function benchExporterFlags(
  root: string,
  format: "text" | "json",
  url: string,
  port: number,
): string[] {
  const target = format === "text"
    ? ["--config.file", `${root}/bench/system/configs/typical.yaml`]
    : ["-s", "bench"];
  return [
    ...target,
    "-u",
    url,
    "--web.listen-address",
    `127.0.0.1:${port}`,
    "--upstream.max-body-bytes",
    String(1 << 30),
    "--log.level",
    "error",
  ];
}

/** Returns a port that was free a moment ago (the OS picks it; the caller binds it right after). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/**
 * How to start the bench upstream (bench/system/upstream.ts) serving `series` series, as a child process.
 *
 * @param generations Generations of the series keys to pre-render for churn (`?churn=C`), text and JSON; 1
 *   (the default) serves steady bodies only, and is what the start time and memory were before churn.
 */
export function benchUpstreamSpawn(
  series: number,
  generations: { text?: number; json?: number } = {},
): SpawnOptions {
  return {
    name: "upstream",
    cmd: Deno.execPath(),
    args: [
      "run",
      "--allow-net=127.0.0.1",
      new URL("../upstream.ts", import.meta.url).pathname,
      "--series",
      String(series),
      "--generations",
      String(generations.text ?? 1),
      "--json-generations",
      String(generations.json ?? 1),
    ],
    port: "stdout-json",
    // 1M series with churn renders 12 text bodies and up to 12 JSON ones (about 20 s on the bench machine).
    startTimeoutMs: 180_000,
  };
}

/** Starts a server and waits until it answers. */
export async function spawnServer(o: SpawnOptions): Promise<Server> {
  const child = new Deno.Command(o.cmd, {
    args: o.args,
    cwd: o.cwd,
    stdin: "null",
    stdout: o.port === "stdout-json" ? "piped" : "null",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const status = child.status.then((s) => {
    exited = true;
    return s;
  });
  let tail = "";
  const drainErr = (async () => {
    const dec = new TextDecoder();
    for await (const chunk of child.stderr) {
      tail = (tail + dec.decode(chunk, { stream: true })).slice(-TAIL_BYTES);
    }
  })().catch(() => {});
  const server: Server = {
    name: o.name,
    pid: child.pid,
    origin: "",
    stderrTail: () => tail,
    exited: () => exited,
    async stop(graceMs = 5000) {
      if (!exited) {
        try {
          child.kill("SIGTERM");
        } catch {
          // Already gone between the check and the kill.
        }
        const timer = setTimeout(() => {
          try {
            if (!exited) child.kill("SIGKILL");
          } catch {
            // Already gone.
          }
        }, graceMs);
        await status;
        clearTimeout(timer);
      }
      await drainErr;
    },
  };
  const timeoutMs = o.startTimeoutMs ?? 30_000;
  try {
    const port = o.port === "stdout-json" ? await readPortLine(child, timeoutMs) : o.port;
    server.origin = `http://127.0.0.1:${port}`;
    await waitReady(server, o.readyPath ?? "/", timeoutMs);
  } catch (e) {
    await server.stop(1000);
    throw new Error(`Cannot start ${o.name}: ${(e as Error).message}\n${tail}`, { cause: e });
  }
  return server;
}

async function readPortLine(child: Deno.ChildProcess, timeoutMs: number): Promise<number> {
  const reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let text = "";
  const deadline = setTimeout(() => void reader.cancel().catch(() => {}), timeoutMs);
  try {
    while (!text.includes("\n")) {
      const { done, value } = await reader.read();
      if (done) throw new Error("it exited before printing its port");
      text += dec.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(deadline);
  }
  // Keep draining stdout so the child never blocks on a full pipe.
  (async () => {
    for (;;) if ((await reader.read()).done) break;
  })().catch(() => {});
  const port = Number(JSON.parse(text.slice(0, text.indexOf("\n"))).port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`bad port line: ${text}`);
  return port;
}

async function waitReady(server: Server, path: string, timeoutMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (server.exited()) throw new Error("it exited while starting");
    try {
      const res = await fetch(server.origin + path, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no answer on ${path} within ${timeoutMs} ms`);
}

/** Kernel clock ticks per second for /proc times (USER_HZ; 100 on Linux x86-64). */
export const CLOCK_TICKS = readClockTicks();

function readClockTicks(): number {
  try {
    const out = new Deno.Command("getconf", { args: ["CLK_TCK"], stdout: "piped", stderr: "null" })
      .outputSync();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    return Number.isInteger(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process (all threads) in ms, from /proc/PID/stat; `NaN` when it is gone. */
export function cpuMs(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    // Fields after the command name (which may hold spaces): index 0 is field 3 (state), so utime (field 14)
    // is index 11 and stime (field 15) index 12.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** A field of /proc/PID/status in MiB (`VmHWM` is the peak RSS); `NaN` when it is gone. */
export function statusMiB(pid: number, field: "VmHWM" | "VmRSS"): number {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    return m === null ? NaN : Number(m[1]) / 1024;
  } catch {
    return NaN;
  }
}
