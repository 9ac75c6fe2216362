/** What the detector reports. Events are queued and pulled (detector.pullEvents()), never called back mid-transition. */
import type { IpAddress } from './address.js';
import type { Mac } from './mac.js';
import type { ProxyEvent } from './proxy-watch.js';
import type { Role } from './watchlist.js';

export type AddressState = 'unknown' | 'ok' | 'conflict' | 'contested' | 'split-brain' | 'unanswered';
export const ADDRESS_STATES: readonly AddressState[] = ['ok', 'conflict', 'contested', 'split-brain', 'unanswered', 'unknown'];

export type FrameKind = 'probe' | 'announcement' | 'defence';
export type SendOutcome = 'sent' | 'dropped' | 'interface-down';

/** A foreign MAC seen claiming or answering for an address. */
export interface MacSighting {
  mac: Mac;
  firstSeen: number;
  lastSeen: number;
  frames: number;
  /** Set when the Ethernet source differed from the ARP sender MAC (proxies, NLB, some Cisco gear). */
  ethernetSource?: Mac;
}

/** An episode: one contiguous conflict or split brain on one address. */
export interface Episode {
  address: string;
  interface: string;
  role: Role;
  kind: 'conflict' | 'split-brain';
  start: number;
  end?: number;
  macs: Mac[];
}

export interface EntrySnapshot {
  address: string;
  ip: IpAddress;
  interface: string;
  role: Role;
  held: boolean;
  state: AddressState;
  /** Foreign MACs of the current conflict, contest or split brain (at most MAX_MACS_PER_ADDRESS). */
  macs: MacSighting[];
  /** Distinct MACs that answered the last completed probe round (delegates not held here). */
  holders: Mac[];
  /** True when the holder is not one of the delegate's allowed MACs. */
  unexpectedHolder: boolean;
  lastProbe: number | null;
  episodeStart: number | null;
  macOverflow: number;
  /** Set for a delegate held elsewhere that is only listened for: its interface has no address of the family to send ordinary requests from (IPv4, or an IPv6 link-local). */
  passive?: true;
}

export type DetectorEvent =
  | { type: 'state'; at: number; entry: EntrySnapshot; from: AddressState; to: AddressState; reason: string; episode?: Episode }
  | { type: 'conflict-mac'; at: number; entry: EntrySnapshot; mac: MacSighting }
  | { type: 'failover'; at: number; entry: EntrySnapshot; from: Mac | null; to: Mac }
  | { type: 'unexpected-holder'; at: number; entry: EntrySnapshot; mac: Mac }
  | { type: 'summary'; at: number; entry: EntrySnapshot; frames: number; overflow: number }
  | { type: 'sent'; at: number; interface: string; kind: FrameKind; address: string; outcome: SendOutcome }
  | { type: 'watch'; at: number; entry: EntrySnapshot; change: 'added' | 'removed' }
  | { type: 'interface'; at: number; interface: string; up: boolean }
  | { type: 'probe-withheld'; at: number; entry: EntrySnapshot; reason: string }
  | { type: 'send-capped'; at: number; interface: string; addresses: number; neededPerSecond: number; cap: number; roundMs: number }
  | ProxyEvent;
