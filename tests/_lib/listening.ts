/**
 * Processes for tests: a command run to its end, bounded in time, and a server process started and awaited until it logs `msg=listening address=HOST:PORT` (the
 * exporter's own line), bounded in time. Its stderr is drained for its whole life, so a chatty server never
 * blocks on a full pipe, and `stop` ends it with SIGTERM (SIGKILL if it does not exit in time).
 *
 * @module
 */

/** A started server. */
export interface ListeningProcess {
  /** `http://127.0.0.1:PORT`. */
  base: string;
  /** `HOST:PORT` as the server logged it. */
  address: string;
  /** Everything it wrote to stderr so far. */
  stderr: () => string;
  /** SIGTERM, then its exit code (SIGKILL if it does not exit within the wait). */
  stop: () => Promise<number>;
}

/** How to start one. */
export interface ListeningOptions {
  /** The working directory. */
  cwd: string;
  /** Its environment (with `clearEnv`, the whole of it). */
  env?: Record<string, string>;
  /** Start from an empty environment. @default {false} */
  clearEnv?: boolean;
  /** How long to wait for the listening line, and for an exit after SIGTERM. @default {20_000} */
  waitMs?: number;
}

const LISTENING = /msg=listening address=(\S+):(\d+)/;

/** Starts `command args` and resolves once it listens; rejects (after stopping it) when it does not in time. */
export async function startListening(
  command: string,
  args: readonly string[],
  options: ListeningOptions,
): Promise<ListeningProcess> {
  const waitMs = options.waitMs ?? 20_000;
  const child = spawn(command, args, options, "null");
  let seen = "";
  const listening = Promise.withResolvers<[string, string]>();
  const drained = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      seen += chunk;
      const m = LISTENING.exec(seen);
      if (m) listening.resolve([m[1], m[2]]);
    }
    listening.reject(new Error(`exited before listening:\n${seen}`));
  })();
  const stop = async (): Promise<number> => {
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    const kill = setTimeout(() => child.kill("SIGKILL"), waitMs);
    const status = await child.status;
    clearTimeout(kill);
    await drained;
    return status.code;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no listening line within ${waitMs} ms:\n${seen}`)), waitMs);
  });
  try {
    const [host, port] = await Promise.race([listening.promise, late]);
    return { base: `http://127.0.0.1:${port}`, address: `${host}:${port}`, stderr: () => seen, stop };
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** What a command run to its end gave. */
export interface CommandOutput {
  /** Its exit code. */
  code: number;
  /** Its stdout, as text. */
  stdout: string;
  /** Its stderr, as text. */
  stderr: string;
}

/** Runs `command args` to its end, killed (SIGKILL) when it takes longer than `waitMs`. */
export async function runToEnd(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean; waitMs: number },
): Promise<CommandOutput> {
  const child = spawn(command, args, options, "piped");
  const timer = setTimeout(() => child.kill("SIGKILL"), options.waitMs);
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}

/** Spawns `command args` with no stdin and stderr piped. */
function spawn(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; clearEnv?: boolean },
  stdout: "null" | "piped",
): Deno.ChildProcess {
  const { cwd, env, clearEnv = false } = options;
  return new Deno.Command(command, {
    args: [...args],
    cwd,
    env,
    clearEnv,
    stdin: "null",
    stdout,
    stderr: "piped",
  })
    .spawn();
}
