/**
 * Which frame a scheduled send becomes, per address family: the ARP choice of request-sender.ts
 * and arp.ts, the ND choice of nd-sender.ts. One rule for both: probe DAD-style (RFC 5227 probe,
 * NS from ::) only while the host holds the address; otherwise an ordinary request from an address
 * of our own, or nothing; announce and defend only what the host holds. Pure.
 */
import { announcementFrame } from './arp.js';
import type { AnyTransmission, Entry, Iface } from './entry.js';
import type { FrameKind } from './events.js';
import { BROADCAST_MAC } from './mac.js';
import { type OwnNonces, ndAnnouncementFrame, ndRoundFrame, newNonce } from './nd-sender.js';
import { roundFrame } from './request-sender.js';
import type { Random } from './timing.js';

/** The host holds the address now: its machine is the held one and the kernel did not fail its DAD. */
export function holdsNow(entry: Entry): boolean {
  return entry.machine.role === 'held' && !entry.dadFailed;
}

/**
 * The transmission for `kind` on `iface`, or null when nothing may go out: an announcement or a
 * defence of an address the host does not hold, or a probe with no address of our own to ask from.
 * A DAD probe's nonce is remembered in `nonces`.
 */
export function transmissionFor(iface: Iface, entry: Entry, kind: FrameKind, random: Random, nonces: OwnNonces): AnyTransmission | null {
  const held = holdsNow(entry);
  if (kind !== 'probe' && !held) return null;
  const ip = entry.ip;
  if (typeof ip === 'number') {
    const frame = kind === 'probe' ? roundFrame(held, iface.mac, ip, iface.addresses, iface.delegates) : announcementFrame(iface.mac, ip);
    return frame === null ? null : { interface: iface.name, kind, address: ip, frame, destination: BROADCAST_MAC };
  }
  let frame;
  if (kind === 'probe') {
    const nonce = newNonce(random);
    frame = ndRoundFrame(held, iface.mac, ip, iface.linkLocal, nonce);
    if (frame !== null && held) nonces.add(nonce);
  } else frame = ndAnnouncementFrame(iface.mac, ip);
  return frame === null ? null : { interface: iface.name, kind, family: 'ipv6', address: ip, frame, destination: frame.destinationMac };
}

/** Why a probe was withheld (only ever a probe for an address the host does not hold). */
export function withheldReason(entry: Entry): string {
  return typeof entry.ip === 'number'
    ? `${entry.ifname} has no IPv4 address of its own to ask from`
    : `${entry.ifname} has no usable IPv6 link-local address to ask from (an NS from :: could make a host taking it over give it up)`;
}
