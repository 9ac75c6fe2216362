/**
 * Parses the rtnetlink notifications the addon hands over as raw bytes (native/netlink.c,
 * watchLinks) into what changed: which links (by ifindex, with the name and the link facts a link
 * message carries: flags, MAC, kind, master, operstate), which IPv4 addresses, and whether a default
 * route changed. Attributes are scanned in one pass without allocating per attribute: a NEWLINK
 * carries some fifty, and a container host sees a dozen link messages per veth replaced. Malformed messages are counted and
 * make the batch "lost" (the caller re-reads the host): a netlink socket is kernel-written, so this
 * is a guard, not a parser of hostile input.
 */
import { endianness } from 'node:os';
import type { Ipv4 } from '../core/ipv4.js';
import { type Mac, readMac } from '../core/mac.js';
import { loadNative, type NativeBinding } from './native.js';

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const AF_INET = 2;
const AF_INET6 = 10;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_LINK = 5;
const IFLA_MASTER = 10;
const IFLA_OPERSTATE = 16;
const IFLA_LINKINFO = 18;
const IFLA_INFO_KIND = 1;
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

/** What a NEWLINK message says of its link (ifinfomsg and attributes). */
export interface LinkMessage {
  /** ifi_flags (IFF_UP, IFF_LOOPBACK, IFF_NOARP, …) */
  flags: number;
  /** IFLA_ADDRESS when it is 6 bytes (Ethernet), else null */
  mac: Mac | null;
  /** IFLA_INFO_KIND ("veth", "bridge", "tun", …); null for a link without one (a NIC) */
  kind: string | null;
  /** IFLA_MASTER: the ifindex of its bridge or bond, 0 for none */
  master: number;
  /** IFLA_LINK: the peer (veth) or lower link, 0 when absent */
  link: number;
  /** IFLA_OPERSTATE (RFC 2863: 1 notpresent, 2 down, 3 lowerlayerdown, 6 up, …), 0 when absent */
  operstate: number;
}

export interface LinkChange {
  name: string | null;
  deleted: boolean;
  /** the latest NEWLINK's facts (absent for DELLINK and in fakes) */
  message?: LinkMessage;
}

/** What one batch of notifications changed; `lost` means: details missing, re-read everything. */
export interface HostChanges {
  links: Map<number, LinkChange>;
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

/** Offset of the payload of the first rtattr of `type` in [start, end); -1 when absent, -2 when malformed. */
function attribute(b: Buffer, start: number, end: number, type: number): number {
  for (let o = start; o + 4 <= end; ) {
    const len = u16(b, o);
    if (len < 4 || o + len > end) return -2;
    if ((u16(b, o + 2) & 0x3fff) === type) return o; // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
    o += align(len);
  }
  return -1;
}

const cString = (b: Buffer, o: number, len: number) => {
  let e = o;
  while (e < o + len && b[e] !== 0) e++;
  return b.toString('latin1', o, e);
};

/** One link message: its name and facts, or null when its attributes do not parse. */
function linkMessage(b: Buffer, body: number, end: number): { name: string | null; message: LinkMessage } | null {
  let name: string | null = null;
  const m: LinkMessage = { flags: u32(b, body + 8), mac: null, kind: null, master: 0, link: 0, operstate: 0 };
  for (let o = body + 16; o + 4 <= end; ) {
    const len = u16(b, o);
    if (len < 4 || o + len > end) return null;
    const p = o + 4;
    const n = len - 4;
    switch (u16(b, o + 2) & 0x3fff) {
      case IFLA_IFNAME:
        name = cString(b, p, n);
        break;
      case IFLA_ADDRESS:
        if (n === 6) m.mac = readMac(b, p);
        break;
      case IFLA_MASTER:
        if (n >= 4) m.master = u32(b, p);
        break;
      case IFLA_LINK:
        if (n >= 4) m.link = u32(b, p);
        break;
      case IFLA_OPERSTATE:
        if (n >= 1) m.operstate = b[p]!;
        break;
      case IFLA_LINKINFO: {
        const k = attribute(b, p, p + n, IFLA_INFO_KIND);
        if (k === -2) return null;
        if (k >= 0) m.kind = cString(b, k + 4, u16(b, k) - 4);
        break;
      }
    }
    o += align(len);
  }
  return { name, message: m };
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
      const parsed = linkMessage(bytes, body, end);
      // Malformed attributes: the link is still named as changed (by ifindex), and re-read.
      if (!parsed) into.malformed++;
      if (type === RTM_DELLINK || !parsed) into.links.set(ifindex, { name: parsed?.name ?? null, deleted: type === RTM_DELLINK });
      else into.links.set(ifindex, { name: parsed.name, deleted: false, message: parsed.message });
    } else if ((type === RTM_NEWADDR || type === RTM_DELADDR) && len >= 24) {
      if (bytes[body] === AF_INET6) {
        const a = attribute(bytes, body + 8, end, IFA_ADDRESS);
        const linkLocal = a >= 0 && u16(bytes, a) === 20 && bytes[a + 4] === 0xfe && (bytes[a + 5]! & 0xc0) === 0x80;
        if (linkLocal) (into.ipv6LinkLocal ??= []).push(u32(bytes, body + 4));
        else into.ipv6 = true;
      }
      if (bytes[body] === AF_INET) {
        let a = attribute(bytes, body + 8, end, IFA_LOCAL);
        if (a === -1) a = attribute(bytes, body + 8, end, IFA_ADDRESS);
        if (a < 0 || u16(bytes, a) !== 8) {
          into.malformed++;
          into.lost = true;
        } else {
          into.addresses.push({ ifindex: u32(bytes, body + 4), address: bytes.readUInt32BE(a + 4) as Ipv4, prefixLength: bytes[body + 1]!, deleted: type === RTM_DELADDR });
        }
      }
    } else if ((type === RTM_NEWROUTE || type === RTM_DELROUTE) && len >= 28) {
      // Only an IPv4 default route of the main table changes what faces the network.
      if (bytes[body] === AF_INET && bytes[body + 1] === 0) {
        const t = attribute(bytes, body + 12, end, RTA_TABLE);
        const table = t >= 0 && u16(bytes, t) === 8 ? u32(bytes, t + 4) : bytes[body + 4]!;
        if (table === RT_TABLE_MAIN) into.defaultRoute = true;
      }
    }
    o += align(len);
  }
  return into;
}

/**
 * How long the addon lets a burst of notifications queue on the socket before reading it: one veth
 * replacement is a dozen messages from several commands, which then cost one wakeup, not a dozen.
 */
export const LINK_COALESCE_MS = 50;

/**
 * Calls `onChanges` with what each burst of rtnetlink notifications changed (RTMGRP_LINK,
 * RTMGRP_IPV4_IFADDR, RTMGRP_IPV6_IFADDR, RTMGRP_IPV4_ROUTE), read LINK_COALESCE_MS after the burst began. A watcher
 * error is passed to `onError` and followed by a `lost` batch, since notifications may have been lost.
 */
export function watchHostChanges(onChanges: (c: HostChanges) => void, onError?: (errno: number) => void, binding?: NativeBinding, coalesceMs = LINK_COALESCE_MS): { close(): void; flush(): void } {
  const native = binding ?? loadNative();
  let closed = false;
  const handle = native.watchLinks((status, bytes, lost) => {
    if (closed) return;
    if (status < 0) onError?.(-status);
    const c = emptyChanges(status < 0 || lost === true || !bytes);
    if (bytes) parseNotifications(bytes, c);
    if (!closed) onChanges(c);
  }, coalesceMs);
  return {
    close(): void {
      if (closed) return;
      closed = true;
      native.stopWatch(handle);
    },
    /** What the kernel queued so far, read now (the coalescing delay is for bursts, not for removals). */
    flush(): void {
      if (!closed) native.flushWatch(handle);
    },
  };
}
