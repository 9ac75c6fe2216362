/**
 * The Neighbor Discovery frame an IPv6 entry's probe round, announcement or defence goes out as
 * (the IPv6 counterpart of request-sender.ts). The rule that keeps a takeover safe (field notes §7):
 * a DAD-style NS (source ::) only for an address this host holds; for one it does not hold an
 * ordinary NS from the interface's link-local address with our source link-layer option, and
 * nothing at all when there is no link-local address to send it from. Pure.
 */
import type { Ipv6 } from './ipv6.js';
import type { Mac } from './mac.js';
import { NONCE_LENGTH, type NdTransmission, dadProbe, solicitation, unsolicitedAdvertisement } from './ndp.js';
import type { Random } from './timing.js';

/**
 * A probe round's NS: `held` (the host holds the address, DAD done): DAD-style from :: with
 * `nonce`, to the solicited-node group; otherwise an ordinary NS from `linkLocal`, or null when
 * the interface has none (never from ::).
 */
export function ndRoundFrame(held: boolean, mac: Mac, target: Ipv6, linkLocal: Ipv6 | null, nonce: string): NdTransmission | null {
  if (held) return dadProbe(target, nonce);
  return linkLocal === null ? null : solicitation(linkLocal, mac, target);
}

/** Announcement and defence of a held address: unsolicited NA, S=0 O=1, our TLLA, to all-nodes. */
export function ndAnnouncementFrame(mac: Mac, target: Ipv6): NdTransmission {
  return unsolicitedAdvertisement(mac, target);
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A fresh RFC 7527 nonce (NONCE_LENGTH bytes as hex) from the injected random source. */
export function newNonce(random: Random): string {
  let s = '';
  for (let i = 0; i < NONCE_LENGTH; i++) s += HEX[Math.floor(random() * 256) & 255];
  return s;
}

/**
 * The nonces of the DAD probes this host sent lately, so that one looped back (a bond, a switch
 * reflecting multicast, another interface of ours) is known as ours (RFC 7527 §4). Bounded: the
 * oldest is forgotten first.
 */
export class OwnNonces {
  private readonly ring: string[] = [];
  private readonly set = new Set<string>();
  private next = 0;

  constructor(private readonly capacity = 256) {}

  add(nonce: string): void {
    if (this.set.has(nonce)) return;
    if (this.ring.length < this.capacity) this.ring.push(nonce);
    else {
      this.set.delete(this.ring[this.next]!);
      this.ring[this.next] = nonce;
      this.next = (this.next + 1) % this.capacity;
    }
    this.set.add(nonce);
  }

  has(nonce: string): boolean {
    return this.set.has(nonce);
  }

  get size(): number {
    return this.set.size;
  }
}
