/**
 * What the detector's state machines are told about the wire, whatever the address family: a
 * foreign MAC claims an address (it says it has it), or a foreign MAC probes for an address (it
 * wants it). Each family's codec maps its frames onto these (src/core/arp.ts: observeArp), so the
 * machines never see a protocol field.
 */
import type { Ipv4 } from './ipv4.js';
import type { Mac } from './mac.js';

export type Observation =
  /** `mac` says it has `address`; `reply` when it said so in an answer (ARP reply). */
  | { kind: 'claim'; address: Ipv4; mac: Mac; reply: boolean }
  /** `mac` probes for `address` (RFC 5227 probe): it means to take the address. */
  | { kind: 'probe'; address: Ipv4; mac: Mac };

/** The link-layer facts that come with an observation. */
export interface Sender {
  mac: Mac;
  /** The frame's link-layer source, which usually equals mac. */
  ethernetSource: Mac;
}
