/**
 * The control socket protocol: one JSON request per connection, terminated by a newline
 * (`{"command":"status"}\n`), answered by one JSON document and a newline, then the daemon closes.
 */
import type { AddressState } from '../core/events.js';
import type { MacDetails } from '../core/mac-info.js';
import type { Role } from '../core/watchlist.js';
import type { HistoryEpisode } from '../journal/records.js';

export const MAX_REQUEST_BYTES = 4096;

export interface ControlRequest {
  command: 'status';
}

export interface StatusAddress {
  address: string;
  interface: string;
  role: Role;
  held: boolean;
  state: AddressState;
  /** Foreign MACs of the current conflict, contest or split brain (at most 8). */
  macs: string[];
  /** The same MACs with what they are (vendor, virtual MAC, U/L and I/G bits) and when they were seen. */
  intruders: Intruder[];
  /** Foreign MACs beyond those 8, counted since the address is monitored. */
  macOverflow: number;
  /** MACs that answered the last probe round for a delegate this host does not hold. */
  holders: string[];
  /** ISO time of the last probe sent, or null before the first. */
  lastProbe: string | null;
  /** Present for a delegate held elsewhere that is only listened for: its interface has no IPv4 address to send ordinary ARP requests from. */
  passive?: true;
  /** ISO start of the current episode (conflict or split brain), or null. */
  episodeStart: string | null;
  /** Episodes of this address in the history. */
  episodes: number;
  lastEpisode: HistoryEpisode | null;
  /** E.g. "recurs at minutes 0,15,30,45 of the hour"; null below 3 episodes. */
  recurrence: string | null;
}

export interface Intruder extends MacDetails {
  firstSeen: string;
  lastSeen: string;
  frames: number;
  /** Present when the Ethernet source differed from the ARP sender MAC. */
  ethernetSource?: MacDetails;
}

export interface StatusReport {
  daemon: { version: string; pid: number; startedAt: string; healthy: boolean; now: string };
  addresses: StatusAddress[];
  /** The most recent episodes, oldest first (at most HISTORY_LIMIT; historyTotal says how many exist). */
  history: HistoryEpisode[];
  historyTotal: number;
  /** `off`: why new episodes are not being written (the last journal error), null while they are. */
  journal: { path: string; corruptLines: number; readErrors: number; writeErrors: number; off: string | null } | null;
  /** MACs answering ARP for the subnet (proxy ARP, cloud fabrics): their answers are not counted as holders. */
  proxies?: StatusProxy[];
  /** What several answering MACs may be besides a split brain or conflict (ARP flux: one host, two interfaces). */
  notes?: string[];
}

export interface StatusProxy {
  interface: string;
  mac: string;
  reason: 'canary' | 'many-addresses';
  since: string;
  lastSeen: string;
  addresses: string[];
}

export interface ControlErrorReply {
  error: string;
}
