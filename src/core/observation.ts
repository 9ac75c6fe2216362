/**
 * What the detector's state machines are told about the wire, whatever the address family: a
 * foreign MAC claims an address (it says it has it), or a foreign MAC probes for an address (it
 * wants it). Each family's codec maps its frames onto these (src/core/arp.ts: observeArp), so the
 * machines never see a protocol field.
 */
import type { IpAddress } from './address.js';
import type { Mac } from './mac.js';

export type Observation =
  /** `mac` says it has `address`; `reply` when it said so in an answer (ARP reply, solicited NA). */
  | { kind: 'claim'; address: IpAddress; mac: Mac; reply: boolean }
  /**
   * `mac` probes for `address` (RFC 5227 probe, RFC 4862 DAD NS): it means to take the address.
   * `nonce`: the DAD NS's RFC 7527 nonce as hex, so that our own looped-back probes are known.
   */
  | { kind: 'probe'; address: IpAddress; mac: Mac; nonce?: string | null };

/** The link-layer facts that come with an observation. */
export interface Sender {
  mac: Mac;
  /** The frame's link-layer source, which usually equals mac. */
  ethernetSource: Mac;
}
