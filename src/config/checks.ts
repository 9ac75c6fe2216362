/**
 * Checks of single configuration values, shared by the YAML reader (file.ts) and the flag reader
 * (flags.ts), and the did-you-mean suggestion for keys, flags and choices.
 *
 * Convention for reading user input, in src/config and src/core/duration.ts: a `check*` function
 * returns a Check<T>, `{ ok: true, value }` or `{ ok: false, problem }`; it never throws for bad input
 * and never returns null, and the problem is phrased for the user without the file/field or flag
 * prefix. A `parse*` function of one syntax throws a typed error instead (parseDuration:
 * DurationError), for callers holding a single value; checkDuration turns it into a Check. The one
 * exception left is parseListenAddress (ListenAddress | problem string), kept for web/server.ts and
 * its tests.
 *
 * Pure: no I/O.
 */
import { isIPv6 } from 'node:net';
import type { IpAddress } from '../core/address.js';
import { formatIpv4, parseIpv4, type Ipv4 } from '../core/ipv4.js';
import { isIpv4Mapped, isLinkLocal, isMulticast, isUnspecified, parseIpv6 } from '../core/ipv6.js';
import { parseMac, ZERO_MAC, type Mac } from '../core/mac.js';
import { DurationError, formatDuration, parseDuration } from '../core/duration.js';

export type DefendMode = 'once' | 'never';
export const DEFEND_MODES: readonly DefendMode[] = ['once', 'never'];

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

/** An IPv4 prefix; a single address is length 32. Host bits of `prefix` are always zero. */
export interface Cidr {
  prefix: Ipv4;
  length: number;
}

/** A floating/virtual address the daemon watches even when this host does not hold it. */
export interface Delegate {
  address: IpAddress;
  /** Interface to watch it on; absent: the interface whose subnet contains it (resolved by the daemon). */
  interface?: string;
  /** Cluster peers allowed to hold the address (their replies are not conflicts). Canonical lower-case. */
  allowedMacs: Mac[];
}

export const DEFAULT_METRICS_PORT = 10227;

export const LIMITS = {
  probeIntervalMinMs: 100,
  /** Announcements: 0 (off) or at least this. */
  announceIntervalMinMs: 1_000,
  /** Upper bound of both intervals; also keeps them inside setTimeout's range. */
  intervalMaxMs: 24 * 3_600_000,
  clearAfterMin: 1,
  clearAfterMax: 1_000_000,
  maxSendRateMin: 1,
  maxSendRateMax: 10_000,
  webMaxConnectionsMin: 1,
  webMaxConnectionsMax: 10_000,
  notifyTimeoutMinMs: 100,
  notifyTimeoutMaxMs: 600_000,
  /** sockaddr_un.sun_path is 108 bytes including the terminating NUL. */
  socketPathMaxBytes: 107,
  /** IFNAMSIZ - 1. */
  interfaceNameMaxLength: 15,
} as const;

// ---------------------------------------------------------------------------------------------------
// Checks of single values. Each takes what the YAML parser or a flag produced and returns the typed
// value or a problem phrased for the user (without the file/field prefix).

export type Check<T> = { ok: true; value: T } | { ok: false; problem: string };

const ok = <T>(value: T): Check<T> => ({ ok: true, value });
const bad = <T = never>(problem: string): Check<T> => ({ ok: false, problem });

/** How a YAML value is named in messages: strings quoted, lists and mappings by kind. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

export function checkString(value: unknown, what: string): Check<string> {
  return typeof value === 'string' ? ok(value) : bad(`expected ${what}, got ${describe(value)}`);
}

export function checkBoolean(value: unknown): Check<boolean> {
  return typeof value === 'boolean' ? ok(value) : bad(`expected true or false, got ${describe(value)}`);
}

/** Linux dev_valid_name(): 1..15 bytes, not "." or "..", no "/", ":" or whitespace. */
export function checkInterfaceName(value: unknown): Check<string> {
  const s = checkString(value, 'an interface name');
  if (!s.ok) return s;
  const name = s.value;
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    Buffer.byteLength(name) > LIMITS.interfaceNameMaxLength ||
    /[/:\s\0]/.test(name)
  ) {
    return bad(
      `${JSON.stringify(name)} is not a valid interface name (1 to ${LIMITS.interfaceNameMaxLength} characters, no "/", ":" or spaces)`,
    );
  }
  return ok(name);
}

/** Why an address cannot be watched with ARP, or null when it can. */
export function unusableAddressReason(ip: Ipv4): string | null {
  const first = ip >>> 24;
  if (first === 0) return 'in 0.0.0.0/8 ("this network")';
  if (first === 127) return 'a loopback address';
  if (first >= 224 && first <= 239) return 'a multicast address';
  if (ip === 0xffffffff) return 'the broadcast address';
  return null;
}

/** A unicast IPv4 address that ARP can probe (delegates). */
export function checkUnicastIpv4(value: unknown): Check<Ipv4> {
  const s = checkString(value, 'an IPv4 address');
  if (!s.ok) return s;
  const ip = parseIpv4(s.value);
  if (ip === null) return bad(`${JSON.stringify(s.value)} is not an IPv4 address`);
  const why = unusableAddressReason(ip);
  if (why) return bad(`${JSON.stringify(s.value)} cannot be monitored: it is ${why}`);
  return ok(ip);
}

/** A unicast IPv4 address, or a global or unique-local IPv6 address (any RFC 4291 form, no zone). */
export function checkUnicastAddress(value: unknown): Check<IpAddress> {
  if (typeof value !== 'string' || !value.includes(':')) return checkUnicastIpv4(value);
  const a = parseIpv6(value);
  if (a === null) return bad(`${JSON.stringify(value)} is not an IPv4 or IPv6 address`);
  const why = isUnspecified(a) ? 'the unspecified address' : a === parseIpv6('::1') ? 'the loopback address' : isMulticast(a) ? 'a multicast address' : isLinkLocal(a) ? 'link-local (each link has its own; watch link-local addresses with ipv6_link_local)' : isIpv4Mapped(a) ? 'an IPv4-mapped address (write the IPv4 address)' : null;
  if (why) return bad(`${JSON.stringify(value)} cannot be monitored: it is ${why}`);
  return ok(a);
}

/** "198.51.100.7" (→ /32) or "198.51.100.0/24". Host bits must be zero. */
export function checkCidr(value: unknown): Check<Cidr> {
  const s = checkString(value, 'an address or CIDR');
  if (!s.ok) return s;
  const text = s.value;
  const m = /^([^/]*)(?:\/(0|[1-9]\d?))?$/.exec(text);
  const ip = m ? parseIpv4(m[1]!) : null;
  const length = m?.[2] === undefined ? 32 : Number(m[2]);
  if (!m || ip === null || length > 32) {
    return bad(`${JSON.stringify(text)} is not an IPv4 address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24)`);
  }
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  const prefix = (ip & mask) >>> 0;
  if (prefix !== ip) {
    return bad(`${JSON.stringify(text)} has host bits set (did you mean ${formatIpv4(prefix)}/${length}?)`);
  }
  return ok({ prefix, length });
}

export function formatCidr(c: Cidr): string {
  return c.length === 32 ? formatIpv4(c.prefix) : `${formatIpv4(c.prefix)}/${c.length}`;
}

const MAC_EXAMPLE = 'e.g. 02:00:5e:10:00:01';

/** Any MAC, "aa:bb:cc:dd:ee:ff" or "AA-BB-CC-DD-EE-FF"; returned in canonical lower-case colon form. */
export function checkMac(value: unknown): Check<Mac> {
  const s = checkString(value, `a MAC address (${MAC_EXAMPLE})`);
  if (!s.ok) return s;
  const mac = parseMac(s.value);
  return mac === null ? bad(`${JSON.stringify(s.value)} is not a MAC address (${MAC_EXAMPLE})`) : ok(mac);
}

/** A MAC a host can have: not multicast/broadcast (group bit), not all zeros. */
export function checkUnicastMac(value: unknown): Check<Mac> {
  const c = checkMac(value);
  if (!c.ok) return c;
  if (c.value === ZERO_MAC) return bad(`${JSON.stringify(value)} is all zeros, not a host's MAC address`);
  if (parseInt(c.value.slice(0, 2), 16) & 1) {
    return bad(`${JSON.stringify(value)} is a multicast/broadcast MAC address, not a host's MAC address`);
  }
  return c;
}

export interface DurationRule {
  minMs: number;
  maxMs: number;
  /** 0 is accepted as "disabled" even though it is below minMs. */
  zeroDisables?: boolean;
}

/** A duration string ("10s"); in YAML also the number 0 (an unquoted `0`). */
export function checkDuration(value: unknown, rule: DurationRule): Check<number> {
  let ms: number;
  if (typeof value === 'number') {
    if (value !== 0) return bad(`${value} is not a duration: missing unit (e.g. "${value}s")`);
    ms = 0;
  } else if (typeof value === 'string') {
    try {
      ms = parseDuration(value);
    } catch (e) {
      if (e instanceof DurationError) return bad(e.message);
      throw e;
    }
  } else {
    return bad(`expected a duration (e.g. 500ms, 10s, 5m), got ${describe(value)}`);
  }
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  if (ms === 0 && rule.zeroDisables) return ok(0);
  if (ms < rule.minMs) {
    return bad(
      rule.zeroDisables
        ? `${shown} is too short: use 0 (disabled) or at least ${formatDuration(rule.minMs)}`
        : `${shown} is too short: at least ${formatDuration(rule.minMs)}`,
    );
  }
  if (ms > rule.maxMs) return bad(`${shown} is too long: at most ${formatDuration(rule.maxMs)}`);
  return ok(ms);
}

/**
 * An integer in [min, max]. From YAML it must be a number; from a flag (`fromText`) it is decimal text.
 */
export function checkInteger(value: unknown, min: number, max: number, fromText = false): Check<number> {
  let n: number;
  if (fromText && typeof value === 'string') {
    if (!/^[+-]?\d+$/.test(value)) return bad(`${JSON.stringify(value)} is not an integer`);
    n = Number(value);
  } else if (typeof value === 'number') {
    if (!Number.isInteger(value)) return bad(`${value} is not an integer`);
    n = value;
  } else {
    return bad(`expected an integer, got ${describe(value)}`);
  }
  if (n < min) return bad(`${n} is too small: at least ${min}`);
  if (n > max) return bad(`${n} is too large: at most ${max}`);
  return ok(n);
}

function checkChoice<T extends string>(value: unknown, choices: readonly T[], what: string): Check<T> {
  const s = checkString(value, `one of ${choices.join(', ')}`);
  if (!s.ok) return s;
  if ((choices as readonly string[]).includes(s.value)) return ok(s.value as T);
  const guess = closest(s.value, choices);
  return bad(
    `${JSON.stringify(s.value)} is not ${what} (${choices.join(', ')})${guess ? `; did you mean ${JSON.stringify(guess)}?` : ''}`,
  );
}

export function checkDefend(value: unknown): Check<DefendMode> {
  return checkChoice(value, DEFEND_MODES, 'a defend mode');
}

export function checkLogLevel(value: unknown): Check<LogLevel> {
  return checkChoice(value, LOG_LEVELS, 'a log level');
}

/** An absolute path (the daemon runs with cwd "/" under systemd, and reloads must not depend on cwd). */
export function checkAbsolutePath(value: unknown, maxBytes?: number): Check<string> {
  const s = checkString(value, 'an absolute path');
  if (!s.ok) return s;
  const p = s.value;
  if (p.includes('\0')) return bad(`${JSON.stringify(p)} contains a NUL character`);
  if (!p.startsWith('/')) return bad(`${JSON.stringify(p)} is not an absolute path (it must start with "/")`);
  if (maxBytes !== undefined && Buffer.byteLength(p) > maxBytes) {
    return bad(`${JSON.stringify(p)} is too long for a Unix socket path (${Buffer.byteLength(p)} bytes, at most ${maxBytes})`);
  }
  return ok(p);
}

export interface ListenAddress {
  /** "" = every address; an IPv4 address, a host name, or an IPv6 address without brackets. */
  host: string;
  /** 0 = any free port (useful in tests). */
  port: number;
}

const HOST_NAME = /^(?=.{1,253}$)[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** Parses "host:port", "[v6]:port" or ":port"; returns the problem as a string when invalid. */
export function parseListenAddress(text: string): ListenAddress | string {
  const shape = '(host:port, [::]:port or :port)';
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (!m) {
    if (/^[^[]*:.*:\d+$/.test(text)) {
      return `${JSON.stringify(text)} is not a listen address: put an IPv6 address in brackets, e.g. [::1]:${DEFAULT_METRICS_PORT}`;
    }
    if (/^\d+$/.test(text)) return `${JSON.stringify(text)} is not a listen address ${shape}; did you mean ":${text}"?`;
    return `${JSON.stringify(text)} is not a listen address ${shape}`;
  }
  const port = Number(m[3]);
  if (port > 65535) return `${JSON.stringify(text)}: port ${port} is out of range (0-65535)`;
  if (m[1] !== undefined) {
    if (!isIPv6(m[1])) return `${JSON.stringify(text)}: ${JSON.stringify(m[1])} is not an IPv6 address`;
    return { host: m[1], port };
  }
  const host = m[2]!;
  if (host !== '') {
    const numeric = /^[\d.]+$/.test(host);
    if (numeric ? parseIpv4(host) === null : !HOST_NAME.test(host)) {
      return `${JSON.stringify(text)}: ${JSON.stringify(host)} is not an IPv4 address or host name`;
    }
  }
  return { host, port };
}

export function checkListenAddress(value: unknown): Check<string> {
  const s = checkString(value, 'a listen address (host:port, [::]:port or :port)');
  if (!s.ok) return s;
  const parsed = parseListenAddress(s.value);
  return typeof parsed === 'string' ? bad(parsed) : ok(s.value);
}

function normalizeKey(k: string): string {
  return k
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[-.\s]/g, '_');
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The candidate closest to `input` (spelling, camelCase/kebab-case, singular/plural), or null when none is
 * plausibly meant.
 */
export function closest(input: string, candidates: readonly string[]): string | null {
  const norm = normalizeKey(input);
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const nc = normalizeKey(c);
    let d = editDistance(norm, nc);
    // "warning" → "warn", "interface" → "interfaces": one is a prefix of the other.
    if (Math.min(norm.length, nc.length) >= 3 && (norm.startsWith(nc) || nc.startsWith(norm))) d = Math.min(d, 1);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const allowed = Math.max(1, Math.floor(norm.length / 3));
  return bestDistance <= allowed ? best : null;
}

