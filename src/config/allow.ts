/**
 * Which targets a `/probe` module may fetch. An allow-list holds host, host:port, URL-prefix and CIDR entries;
 * a target is checked on its URL and on the addresses its host resolves to, and the fetch is then pinned to
 * the address that passed, so a DNS answer that changes between the check and the connect (rebinding) cannot
 * redirect it. The check runs again on every redirect hop.
 *
 * Link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254, and the "this host"
 * addresses 0.0.0.0/8 and ::) are refused unless a CIDR entry names them explicitly, in every spelling: URL
 * parsing already turns `http://2130706433/`, `0x7f.1` and octal forms into dotted quads, and IPv4-mapped
 * (`::ffff:a.b.c.d`) and NAT64 (`64:ff9b::/96`) IPv6 addresses are checked as the IPv4 address they carry.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { UpstreamError } from "../errors.ts";

/** A compiled allow-list; build it once per config load with {@linkcode compileAllowList}. */
export interface AllowList {
  /** The entries as written, for messages. */
  readonly entries: readonly string[];
  /** Host and host:port entries. */
  readonly hosts: readonly HostRule[];
  /** URL-prefix entries, normalized by URL parsing. */
  readonly prefixes: readonly string[];
  /** CIDR entries. */
  readonly cidrs: readonly Cidr[];
}

/** A compiled host or host:port entry. */
export interface HostRule {
  /** Lowercase host without a trailing dot; an IP literal in URL form (`[::1]`); or `*.suffix`. */
  host: string;
  /** The IP, when the host is an IP literal. */
  ip?: Uint8Array;
  /** `undefined` matches any port. */
  port?: number;
}

/** A compiled CIDR entry. */
export interface Cidr {
  /** 16 bytes; IPv4 is stored IPv4-mapped (`::ffff:a.b.c.d`). */
  bytes: Uint8Array;
  /** Prefix length over the 16 bytes (an IPv4 /8 is 104). */
  bits: number;
}

/** The address a checked target connects to. */
export interface PinnedAddress {
  /** The IP, dotted for IPv4. */
  address: string;
  /** 4 or 6. */
  family: 4 | 6;
}

/** Resolves a host name to its addresses, like the system resolver does. */
export type Resolver = (host: string) => Promise<PinnedAddress[]>;

/**
 * The system resolver (`getaddrinfo` through `node:dns`): it reads /etc/hosts and applies resolv.conf search
 * domains, so `http://svc:8080` resolves as it would for any client in a Kubernetes pod. `Deno.resolveDns`
 * does neither.
 */
export async function systemResolver(host: string): Promise<PinnedAddress[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
}

/** Options of {@linkcode checkTarget}. */
export interface CheckOptions {
  /** The allow-list, or `null` when the operator allowed any target (`--probe.allow-any-target`). */
  allow: AllowList | null;
  /** The module's name, for messages. */
  module: string;
  /** Resolves host names; `null` for a unix-socket module, which connects to no address. */
  resolve: Resolver | null;
}

const ALWAYS_REFUSED: readonly Cidr[] = [
  "169.254.0.0/16",
  "0.0.0.0/8",
  "fe80::/10",
  "::/128",
  "fd00:ec2::254/128",
].map(parseCidr);

const NAT64_PREFIX = parseCidr("64:ff9b::/96");

/**
 * Compiles allow-list entries. Forms:
 * - `host` or `*.domain` (any port), `host:port`, `10.0.0.1`, `[2001:db8::1]:9100`;
 * - `http://host:port/path/`: a URL prefix (end it with `/` to match whole path segments);
 * - `10.0.0.0/8`, `fd00::/8`: a CIDR block, matched on the resolved address.
 *
 * @throws {RangeError} Naming the first entry that is none of these.
 */
export function compileAllowList(entries: readonly string[]): AllowList {
  const hosts: HostRule[] = [];
  const prefixes: string[] = [];
  const cidrs: Cidr[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    const bad = (why: string) => new RangeError(`Cannot use allowed_targets entry "${raw}": ${why}`);
    if (entry.includes("://")) {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        throw bad("not a valid URL");
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw bad("a URL prefix must be http or https");
      }
      if (url.username || url.password) throw bad("a URL prefix must not hold credentials");
      prefixes.push(url.href);
    } else if (entry.includes("/")) {
      try {
        cidrs.push(parseCidr(entry));
      } catch (e) {
        throw bad((e as Error).message);
      }
    } else {
      hosts.push(parseHostRule(entry, bad));
    }
  }
  return { entries: [...entries], hosts, prefixes, cidrs };
}

function parseHostRule(entry: string, bad: (why: string) => RangeError): HostRule {
  const wildcard = entry.startsWith("*.");
  // A bare IPv6 address has colons but no brackets; it cannot carry a port.
  const authority = !entry.startsWith("[") && entry.split(":").length > 2 ? `[${entry}]` : entry;
  let url: URL;
  try {
    url = new URL(`http://${wildcard ? authority.slice(2) : authority}/`);
  } catch {
    throw bad("not a host, host:port, URL prefix or CIDR");
  }
  if (url.username || url.password || url.pathname !== "/" || url.search || url.hash) {
    throw bad("not a host, host:port, URL prefix or CIDR");
  }
  const host = stripDot(url.hostname);
  const port = /:\d+$/.test(authority) ? Number(url.port || 80) : undefined;
  return { host: wildcard ? `*.${host}` : host, ip: wildcard ? undefined : parseIp(host) ?? undefined, port };
}

/**
 * Checks a target URL against a module's allow-list and picks the address to connect to.
 *
 * @returns The first resolved address that passes, or `undefined` for a unix-socket module (no address).
 * @throws {UpstreamError} With reason `forbidden` when the target is refused, or `network` when the host
 *   does not resolve. Messages name the target without userinfo and never the resolved addresses.
 */
export async function checkTarget(url: URL, options: CheckOptions): Promise<PinnedAddress | undefined> {
  const shown = `${url.protocol}//${url.host}${url.pathname}`;
  const refuse = (why: string) => new UpstreamError("forbidden", `Target "${shown}" is refused: ${why}`);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw refuse("only http and https targets are probed");
  }
  if (url.username || url.password) throw refuse("credentials in the target URL are not allowed");
  const { allow } = options;
  const host = stripDot(url.hostname);
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  const byName = allow === null || allow.prefixes.some((p) => url.href.startsWith(p)) ||
    allow.hosts.some((h) =>
      h.ip === undefined && hostMatches(h, host) && (h.port === undefined || h.port === port)
    );
  if (options.resolve === null) {
    if (!byName) throw refuse(`not in allowed_targets of module "${options.module}"`);
    return undefined;
  }
  const literal = parseIp(host);
  let candidates: PinnedAddress[];
  if (literal !== null) {
    candidates = [toPinned(literal)];
  } else {
    try {
      candidates = await options.resolve(host);
    } catch (e) {
      throw new UpstreamError("network", `Cannot resolve "${host}"`, { cause: e });
    }
  }
  let sawSpecial = false;
  for (const c of candidates) {
    const ip = parseIp(c.address);
    if (ip === null) continue;
    const byCidr = allow !== null && allow.cidrs.some((r) => inCidr(ip, r));
    if (isAlwaysRefused(ip) && !byCidr) {
      sawSpecial = true;
      continue;
    }
    const byIp = allow !== null &&
      allow.hosts.some((h) =>
        h.ip !== undefined && equalBytes(h.ip, ip) && (h.port === undefined || h.port === port)
      );
    if (byName || byCidr || byIp) return toPinned(ip);
  }
  if (sawSpecial) throw refuse("it resolves to a link-local, metadata or unspecified address");
  throw refuse(`not in allowed_targets of module "${options.module}"`);
}

function hostMatches(rule: HostRule, host: string): boolean {
  if (rule.host.startsWith("*.")) return host.endsWith(rule.host.slice(1));
  return rule.host === host;
}

function isAlwaysRefused(ip: Uint8Array): boolean {
  if (ALWAYS_REFUSED.some((r) => inCidr(ip, r))) return true;
  if (!inCidr(ip, NAT64_PREFIX)) return false;
  const v4 = new Uint8Array(16);
  v4.set([0xff, 0xff], 10);
  v4.set(ip.subarray(12), 12);
  return ALWAYS_REFUSED.some((r) => inCidr(v4, r));
}

function stripDot(host: string): string {
  return (host.endsWith(".") ? host.slice(0, -1) : host).toLowerCase();
}

function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const addr = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  const v4 = !addr.includes(":");
  const ip = v4 ? parseIpv4(addr) : parseIpv6(addr);
  const max = v4 ? 32 : 128;
  const len = /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (ip === null) throw new RangeError(`"${addr}" is not an IP address`);
  if (!(len >= 0 && len <= max)) throw new RangeError(`prefix length must be 0 to ${max}`);
  return { bytes: ip, bits: v4 ? 96 + len : len };
}

function inCidr(ip: Uint8Array, cidr: Cidr): boolean {
  const full = cidr.bits >> 3;
  for (let i = 0; i < full; i++) if (ip[i] !== cidr.bytes[i]) return false;
  const rest = cidr.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (ip[full] & mask) === (cidr.bytes[full] & mask);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Parses an IP literal (dotted IPv4, IPv6 with or without brackets) into 16 bytes, IPv4 as IPv4-mapped.
 * Returns `null` for anything else, zone ids included.
 *
 * @example
 * ```ts
 * import { parseIp } from "./allow.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseIp("127.0.0.1"), parseIp("[::ffff:7f00:1]"));
 * assert.equal(parseIp("example.com"), null);
 * ```
 */
export function parseIp(text: string): Uint8Array | null {
  if (text.startsWith("[") && text.endsWith("]")) return parseIpv6(text.slice(1, -1));
  return text.includes(":") ? parseIpv6(text) : parseIpv4(text);
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(16);
  out[10] = 0xff;
  out[11] = 0xff;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    out[12 + i] = Number(p);
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | null {
  if (text.includes("%")) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (s: string): number[] | null => {
    if (s === "") return [];
    const out: number[] = [];
    const parts = s.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (v4 === null) return null;
        out.push((v4[12] << 8) | v4[13], (v4[14] << 8) | v4[15]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return null;
  const all = [...head, ...new Array(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

function toPinned(ip: Uint8Array): PinnedAddress {
  const mapped = ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff;
  if (mapped) return { address: `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`, family: 4 };
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((ip[i] << 8) | ip[i + 1]).toString(16));
  return { address: groups.join(":"), family: 6 };
}
