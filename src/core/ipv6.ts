/**
 * IPv6 addresses in the core (RFC 4291 text forms in, RFC 5952 canonical text out).
 *
 * Representation: an Ipv6 is a branded string of exactly 32 lower-case hex digits, the 16 bytes
 * in network order ("20010db8000000000000000000000010" is 2001:db8::10). Why:
 *   - it is a primitive, so it is a fast Map/Set key and compares with === (a Uint8Array is
 *     compared by identity; a bigint key hashes slower and costs an allocation per frame too);
 *   - reading one from a frame is 16 table look-ups and one concatenation (readIpv6);
 *   - fixed width: prefix tests on whole nibbles are string prefix tests, and sorting the
 *     strings sorts the addresses numerically.
 * Text for people (labels, logs, metrics) comes only from formatIpv6, in RFC 5952 form.
 */
import { parseIpv4 } from './ipv4.js';
import { type Mac, macBytes } from './mac.js';

declare const IPV6_BRAND: unique symbol;
/** 32 lower-case hex digits, network byte order. Build one only with the functions here. */
export type Ipv6 = string & { readonly [IPV6_BRAND]: true };

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const HEX32 = /^[0-9a-f]{32}$/;
const GROUP = /^[0-9a-fA-F]{1,4}$/;

/** :: */
export const UNSPECIFIED = '0'.repeat(32) as Ipv6;
/** ff02::1, the all-nodes link-local multicast group. */
export const ALL_NODES = 'ff020000000000000000000000000001' as Ipv6;
/** 33:33:00:00:00:01, the Ethernet group address of ff02::1 (RFC 2464 §7). */
export const ALL_NODES_MAC: Mac = '33:33:00:00:00:01';

/** The Ipv6 value of 32 hex digits (any case); null if it is not exactly that. */
export function ipv6FromHex(hex: string): Ipv6 | null {
  const h = hex.toLowerCase();
  return HEX32.test(h) ? (h as Ipv6) : null;
}

export function readIpv6(buf: Uint8Array, offset: number): Ipv6 {
  let s = '';
  for (let i = 0; i < 16; i++) s += HEX[buf[offset + i]!];
  return s as Ipv6;
}

export function writeIpv6(buf: Uint8Array, offset: number, a: Ipv6): void {
  for (let i = 0; i < 16; i++) buf[offset + i] = parseInt(a.slice(i * 2, i * 2 + 2), 16);
}

export function ipv6Bytes(a: Ipv6): Uint8Array {
  const b = new Uint8Array(16);
  writeIpv6(b, 0, a);
  return b;
}

/** The i-th 32-bit word (0..3) as an unsigned number, as a BPF `ld` would read it. */
export function ipv6Word(a: Ipv6, i: number): number {
  return parseInt(a.slice(i * 8, i * 8 + 8), 16) >>> 0;
}

/**
 * Parses the text forms of RFC 4291 §2.2: eight groups of 1-4 hex digits, one "::" for one or
 * more zero groups, an embedded dotted-quad IPv4 address as the last 32 bits. Case-insensitive.
 * A zone ("fe80::1%eth0") is refused here; use parseIpv6WithZone to split it off.
 */
export function parseIpv6(text: string): Ipv6 | null {
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 1 || halves[1] === '' ? [] : halves[1]!.split(':');
  const groups: number[] = [];
  const parts = [...head, ...tail];
  const last = parts[parts.length - 1];
  let v4: number | null = null;
  if (last !== undefined && last.includes('.')) {
    if (halves.length === 2 && tail.length === 0) return null; // "1.2.3.4::": the IPv4 part must come last
    v4 = parseIpv4(last);
    if (v4 === null) return null;
    if (tail.length > 0) tail.pop();
    else head.pop();
  }
  for (const g of [...head, ...tail]) if (!GROUP.test(g)) return null;
  const explicit = head.length + tail.length + (v4 === null ? 0 : 2);
  if (halves.length === 1) {
    if (explicit !== 8) return null;
  } else if (explicit > 7) return null; // "::" stands for at least one group
  for (const g of head) groups.push(parseInt(g, 16));
  if (halves.length === 2) for (let i = explicit; i < 8; i++) groups.push(0);
  for (const g of tail) groups.push(parseInt(g, 16));
  if (v4 !== null) groups.push(v4 >>> 16, v4 & 0xffff);
  let s = '';
  for (const g of groups) s += g.toString(16).padStart(4, '0');
  return s as Ipv6;
}

/** Splits "fe80::1%eth0" into the address and its zone (RFC 4007 §11); zone null when absent. */
export function parseIpv6WithZone(text: string): { address: Ipv6; zone: string | null } | null {
  const at = text.indexOf('%');
  const zone = at < 0 ? null : text.slice(at + 1);
  if (zone !== null && !/^[A-Za-z0-9_.\-@:]{1,64}$/.test(zone)) return null;
  const address = parseIpv6(at < 0 ? text : text.slice(0, at));
  return address === null ? null : { address, zone };
}

/**
 * RFC 5952 §4 canonical text: lower case, no leading zeros in a group, the longest run of two or
 * more zero groups shortened to "::" (the leftmost on a tie), a single zero group written "0".
 * IPv4-mapped addresses (::ffff:0:0/96) end in dotted quad (§5).
 */
export function formatIpv6(a: Ipv6): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(parseInt(a.slice(i * 4, i * 4 + 4), 16));
  if (isIpv4Mapped(a)) {
    return `::ffff:${g[6]! >>> 8}.${g[6]! & 255}.${g[7]! >>> 8}.${g[7]! & 255}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a run must be at least two groups long
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** True when `a` lies in `prefix`/`len` (0..128). */
export function inPrefix(a: Ipv6, prefix: Ipv6, len: number): boolean {
  const nibbles = len >> 2;
  if (a.slice(0, nibbles) !== prefix.slice(0, nibbles)) return false;
  const rest = len & 3;
  if (rest === 0) return true;
  const mask = (0xf << (4 - rest)) & 0xf;
  return (parseInt(a[nibbles]!, 16) & mask) === (parseInt(prefix[nibbles]!, 16) & mask);
}

export const isUnspecified = (a: Ipv6): boolean => a === UNSPECIFIED;
/** 2001:db8::/32 (RFC 3849), the only range dupip's tests use. */
export const isDocumentation = (a: Ipv6): boolean => a.startsWith('20010db8');
/** fe80::/10 */
export const isLinkLocal = (a: Ipv6): boolean => a.startsWith('fe') && '89ab'.includes(a[2]!);
/** fc00::/7 (RFC 4193) */
export const isUniqueLocal = (a: Ipv6): boolean => a[0] === 'f' && (a[1] === 'c' || a[1] === 'd');
/** ff00::/8 */
export const isMulticast = (a: Ipv6): boolean => a.startsWith('ff');
/** ::ffff:0:0/96 */
export const isIpv4Mapped = (a: Ipv6): boolean => a.startsWith('00000000000000000000ffff');
/** ff02::1:ff00:0/104, a solicited-node group. */
export const isSolicitedNode = (a: Ipv6): boolean => a.startsWith('ff0200000000000000000001ff');

/** The solicited-node group of `a`: ff02::1:ff followed by the low 24 bits of `a` (RFC 4291 §2.7.1). */
export function solicitedNodeGroup(a: Ipv6): Ipv6 {
  return `ff0200000000000000000001ff${a.slice(26)}` as Ipv6;
}

/** The Ethernet group address of an IPv6 multicast group: 33:33 and its low 32 bits (RFC 2464 §7). */
export function multicastMac(group: Ipv6): Mac {
  const t = group.slice(24);
  return `33:33:${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}:${t.slice(6, 8)}`;
}

/** 33:33:ff:XX:XX:XX for the solicited-node group of `a`. */
export function solicitedNodeMac(a: Ipv6): Mac {
  return multicastMac(solicitedNodeGroup(a));
}

/**
 * The link-local address fe80::/64 with the modified EUI-64 interface identifier of `mac`
 * (RFC 4291 appendix A): ff:fe in the middle, the universal/local bit inverted.
 */
export function linkLocalFromMac(mac: Mac): Ipv6 {
  const m = macBytes(mac);
  const id = [m[0]! ^ 0x02, m[1]!, m[2]!, 0xff, 0xfe, m[3]!, m[4]!, m[5]!];
  return `fe80000000000000${id.map((b) => HEX[b]).join('')}` as Ipv6;
}

/** Numeric order of two addresses (the fixed-width hex strings sort as the numbers do). */
export function compareIpv6(a: Ipv6, b: Ipv6): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
