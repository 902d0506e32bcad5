/**
 * HTTP Basic authentication against `basic_auth_users` (user → bcrypt hash), with the exporter-toolkit's
 * protections:
 *
 * - only bcrypt hashes are accepted (checked at load time by {@linkcode checkBcryptHash});
 * - an unknown user still costs one bcrypt compare, against a dummy hash of the highest configured cost,
 *   so response time does not reveal which users exist;
 * - results are cached (at most 100 entries, about 10 % evicted at random when full) because a compare
 *   costs tens of milliseconds; the key is the hex user name, the stored hash and an HMAC of the password
 *   under a per-process random key, so neither the plain password nor a fast unsalted hash of it is kept,
 *   and a user name or password that embeds a hash cannot collide with another entry (CVE-2022-46146);
 *   a cached entry is a success only for a configured user;
 * - compares run one at a time, to bound the CPU an attacker can burn; a waiting request re-reads the
 *   cache first, so a burst of identical logins costs one compare.
 *
 * @module
 */

import { createHmac, randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";

/** A bcrypt hash: `$2a$`, `$2b$` or `$2y$`, a two-digit cost, `$`, then 53 characters of bcrypt base64. */
const BCRYPT_REGEXP = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const BCRYPT_PREFIX_REGEXP = /^\$2[aby]\$/;
const BASE64_REGEXP = /^[A-Za-z0-9+/]*={0,2}$/;
const BASIC_SCHEME_REGEXP = /^basic +/i;

/**
 * The hash an unknown user is checked against when every configured hash has cost 10: a cost-10 hash of a
 * random password that was thrown away, so no password can ever match it.
 */
const DUMMY_HASH_COST_10 = "$2y$10$7jbLOVKfJqeIhCvS66/BIuprgEYeSxEHfVnYo54aiSblralOWib2q";

const DEFAULT_CACHE_SIZE = 100;

/** Options of {@linkcode createBasicAuth}; the defaults are what production uses. */
export interface BasicAuthOptions {
  /** Realm announced in `WWW-Authenticate`. Default `"prom-exporter"`. */
  readonly realm?: string;
  /** The bcrypt compare; tests inject a counting wrapper. Default bcryptjs's async `compare`. */
  readonly compare?: (password: string, hash: string) => Promise<boolean>;
  /** Hash an unknown user is checked against. Default: a hash of a discarded random password, at the
   * highest cost among the users (made on first use when that cost is not 10). */
  readonly dummyHash?: string;
  /** Most cached results. Default 100, as in the toolkit. */
  readonly cacheSize?: number;
}

/**
 * Checks that a configured password hash is a bcrypt hash the checker can verify.
 *
 * @param hash The value of a `basic_auth_users` entry.
 * @returns What is wrong (never quoting the hash), or undefined when it is a usable bcrypt hash.
 */
export function checkBcryptHash(hash: string): string | undefined {
  if (!BCRYPT_PREFIX_REGEXP.test(hash)) {
    return `is not a bcrypt hash: it must start with "$2a$", "$2b$" or "$2y$" ` +
      `(make one with: htpasswd -nBC 10 "" | tr -d ':\\n')`;
  }
  const m = BCRYPT_REGEXP.exec(hash);
  if (m === null) {
    return `is a malformed bcrypt hash: expected "$2y$", a two-digit cost, "$" and 53 characters of ` +
      "[./A-Za-z0-9] (60 in all)";
  }
  const cost = Number(m[1]);
  if (cost < 4 || cost > 31) return `has bcrypt cost ${cost}; it must be between 4 and 31`;
  return undefined;
}

/**
 * Creates the Basic-auth check for a set of users.
 *
 * @param users User name → bcrypt hash; an empty map turns authentication off, as in the toolkit.
 * @param options Realm, and seams for tests.
 * @returns A check: `null` when the request is authorized, otherwise the 401 response to send, with
 *   `WWW-Authenticate: Basic realm="…", charset="UTF-8"`. It never throws on a malformed header.
 * @throws {TypeError} When a hash fails {@linkcode checkBcryptHash} or the realm cannot be quoted.
 */
export function createBasicAuth(
  users: ReadonlyMap<string, string>,
  options: BasicAuthOptions = {},
): (req: Request) => Promise<Response | null> {
  const realm = options.realm ?? "prom-exporter";
  if (!/^[\x20-\x7e]*$/.test(realm) || realm.includes('"') || realm.includes("\\")) {
    throw new TypeError(
      `Cannot use realm ${JSON.stringify(realm)}: it must be printable ASCII without quotes`,
    );
  }
  let maxCost = 0;
  for (const [user, hash] of users) {
    const problem = checkBcryptHash(hash);
    if (problem !== undefined) {
      throw new TypeError(`Cannot use the hash of user ${JSON.stringify(user)}: ${problem}`);
    }
    maxCost = Math.max(maxCost, Number(hash.slice(4, 6)));
  }
  if (users.size === 0) return () => Promise.resolve(null);

  const compare = options.compare ?? ((password: string, hash: string) => bcrypt.compare(password, hash));
  const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
  const cache = new Map<string, boolean>();
  const hmacKey = randomBytes(32);
  const challenge = `Basic realm="${realm}", charset="UTF-8"`;
  let dummy: Promise<string> | undefined = options.dummyHash !== undefined
    ? Promise.resolve(options.dummyHash)
    : maxCost === 10
    ? Promise.resolve(DUMMY_HASH_COST_10)
    : undefined;
  let queue: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every earlier task has settled: one bcrypt computation at a time. */
  const serialized = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  const remember = (key: string, ok: boolean) => {
    if (cache.size >= cacheSize) evictRandom(cache, Math.max(1, Math.floor(cache.size / 10)));
    cache.set(key, ok);
  };

  const unauthorized = () =>
    new Response("Unauthorized\n", {
      status: 401,
      headers: { "www-authenticate": challenge, "content-type": "text/plain; charset=utf-8" },
    });

  return async (req: Request): Promise<Response | null> => {
    const credentials = parseBasicCredentials(req.headers.get("authorization"));
    if (credentials === undefined) return unauthorized();
    const { user, password } = credentials;
    const userHash = users.get(user);
    const known = userHash !== undefined;
    // The dummy's cost matches the users', so an unknown user takes as long as a wrong password.
    dummy ??= serialized(() => bcrypt.hash(randomBytes(32).toString("hex"), maxCost));
    const hash = known ? userHash : await dummy;
    const key = `${hex(user)}:${hash}:${createHmac("sha256", hmacKey).update(password).digest("hex")}`;
    let ok = cache.get(key);
    if (ok === undefined) {
      ok = await serialized(async () => {
        const cached = cache.get(key);
        if (cached !== undefined) return cached;
        // A match against the dummy hash must never count as success, whatever its password.
        const result = (await compare(password, hash)) && known;
        remember(key, result);
        return result;
      });
    }
    return ok && known ? null : unauthorized();
  };
}

/** Decodes `Authorization: Basic base64(user:password)`; undefined for anything malformed. */
function parseBasicCredentials(header: string | null): { user: string; password: string } | undefined {
  if (header === null) return undefined;
  const scheme = BASIC_SCHEME_REGEXP.exec(header);
  if (scheme === null) return undefined;
  const token = header.slice(scheme[0].length).trim();
  if (token.length % 4 !== 0 || !BASE64_REGEXP.test(token)) return undefined;
  let decoded: string;
  try {
    const binary = atob(token);
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    // Invalid UTF-8 is refused rather than replaced, so two byte strings can never map to one password.
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Deletes `count` entries chosen at random (a skewed "oldest first" would be cheap to game). */
function evictRandom(cache: Map<string, boolean>, count: number): void {
  for (let n = 0; n < count && cache.size > 0; n++) {
    let target = Math.floor(Math.random() * cache.size);
    for (const key of cache.keys()) {
      if (target-- === 0) {
        cache.delete(key);
        break;
      }
    }
  }
}

function hex(text: string): string {
  return Array.from(new TextEncoder().encode(text), (b) => b.toString(16).padStart(2, "0")).join("");
}
