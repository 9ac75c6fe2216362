/**
 * Parses the rtnetlink notifications the addon hands over as raw bytes (native/netlink.c,
 * watchLinks) into what changed: which links (by ifindex, with the name a link message carries),
 * which IPv4 addresses, and whether a default route changed. Malformed messages are counted and
 * make the batch "lost" (the caller re-reads the host): a netlink socket is kernel-written, so this
 * is a guard, not a parser of hostile input.
 */
import { endianness } from 'node:os';
import type { Ipv4 } from '../core/ipv4.js';
import { loadNative, type NativeBinding } from './native.js';

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const AF_INET = 2;
const AF_INET6 = 10;
const IFLA_IFNAME = 3;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const RTA_TABLE = 15;
const RT_TABLE_MAIN = 254;

export interface AddressChange {
  ifindex: number;
  address: Ipv4;
  prefixLength: number;
  deleted: boolean;
}

/** What one batch of notifications changed; `lost` means: details missing, re-read everything. */
export interface HostChanges {
  links: Map<number, { name: string | null; deleted: boolean }>;
  addresses: AddressChange[];
  defaultRoute: boolean;
  lost: boolean;
  malformed: number;
  /** An IPv6 address other than link-local came, went or changed its flags (DAD done, dadfailed): re-read the IPv6 addresses. */
  ipv6?: boolean;
  /**
   * Interfaces whose IPv6 link-local address changed: matters only on a watched interface (the
   * source of ordinary NSs). Every container's veth brings one; they must not cost a re-read each.
   */
  ipv6LinkLocal?: number[];
}

const little = endianness() === 'LE';
const u16 = (b: Buffer, o: number) => (little ? b.readUInt16LE(o) : b.readUInt16BE(o));
const u32 = (b: Buffer, o: number) => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
const align = (n: number) => (n + 3) & ~3;

/** rtattrs in [start, end): type → [offset, length] of the payload (first occurrence). */
function attributes(b: Buffer, start: number, end: number): Map<number, [number, number]> | null {
  const out = new Map<number, [number, number]>();
  for (let o = start; o + 4 <= end; ) {
    const len = u16(b, o);
    const type = u16(b, o + 2) & 0x3fff; // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
    if (len < 4 || o + len > end) return null;
    if (!out.has(type)) out.set(type, [o + 4, len - 4]);
    o += align(len);
  }
  return out;
}

export function emptyChanges(lost = false): HostChanges {
  return { links: new Map(), addresses: [], defaultRoute: false, lost, malformed: 0 };
}

/** Adds the messages in `bytes` to `into` (several batches may be coalesced into one). */
export function parseNotifications(bytes: Buffer, into: HostChanges = emptyChanges()): HostChanges {
  for (let o = 0; o + 16 <= bytes.length; ) {
    const len = u32(bytes, o);
    const type = u16(bytes, o + 4);
    if (len < 16 || o + len > bytes.length) {
      into.malformed++;
      into.lost = true;
      break;
    }
    const body = o + 16;
    const end = o + len;
    if ((type === RTM_NEWLINK || type === RTM_DELLINK) && len >= 32) {
      const ifindex = u32(bytes, body + 4);
      const attrs = attributes(bytes, body + 16, end);
      const n = attrs?.get(IFLA_IFNAME);
      const name = n ? bytes.toString('latin1', n[0], n[0] + n[1]).replace(/\0.*$/s, '') : null;
      if (!attrs) into.malformed++;
      into.links.set(ifindex, { name, deleted: type === RTM_DELLINK });
    } else if ((type === RTM_NEWADDR || type === RTM_DELADDR) && len >= 24) {
      if (bytes[body] === AF_INET6) {
        const a = attributes(bytes, body + 8, end)?.get(IFA_ADDRESS);
        const linkLocal = a !== undefined && a[1] === 16 && bytes[a[0]] === 0xfe && (bytes[a[0] + 1]! & 0xc0) === 0x80;
        if (linkLocal) (into.ipv6LinkLocal ??= []).push(u32(bytes, body + 4));
        else into.ipv6 = true;
      }
      if (bytes[body] === AF_INET) {
        const attrs = attributes(bytes, body + 8, end);
        const a = attrs?.get(IFA_LOCAL) ?? attrs?.get(IFA_ADDRESS);
        if (!attrs || !a || a[1] !== 4) {
          into.malformed++;
          into.lost = true;
        } else {
          into.addresses.push({ ifindex: u32(bytes, body + 4), address: bytes.readUInt32BE(a[0]) as Ipv4, prefixLength: bytes[body + 1]!, deleted: type === RTM_DELADDR });
        }
      }
    } else if ((type === RTM_NEWROUTE || type === RTM_DELROUTE) && len >= 28) {
      // Only an IPv4 default route of the main table changes what faces the network.
      if (bytes[body] === AF_INET && bytes[body + 1] === 0) {
        const t = attributes(bytes, body + 12, end)?.get(RTA_TABLE);
        const table = t && t[1] === 4 ? u32(bytes, t[0]) : bytes[body + 4]!;
        if (table === RT_TABLE_MAIN) into.defaultRoute = true;
      }
    }
    o += align(len);
  }
  return into;
}

/**
 * Calls `onChanges` with what each burst of rtnetlink notifications changed (RTMGRP_LINK,
 * RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_IPV4_ROUTE). A watcher error is passed to `onError` and followed
 * by a `lost` batch, since notifications may have been lost.
 */
export function watchHostChanges(onChanges: (c: HostChanges) => void, onError?: (errno: number) => void, binding?: NativeBinding): { close(): void } {
  const native = binding ?? loadNative();
  let closed = false;
  const handle = native.watchLinks((status, bytes, lost) => {
    if (closed) return;
    if (status < 0) onError?.(-status);
    const c = emptyChanges(status < 0 || lost === true || !bytes);
    if (bytes) parseNotifications(bytes, c);
    if (!closed) onChanges(c);
  });
  return {
    close(): void {
      if (closed) return;
      closed = true;
      native.stopWatch(handle);
    },
  };
}
