/**
 * The daemon's IPv6 side: one ND packet socket (ETH_P_IPV6 with the ND kernel filter of
 * core/bpf-ndp.ts) per watched interface that has IPv6 entries, the host's IPv6 addresses
 * (an rtnetlink dump, re-read when an IPv6 address notification arrives), membership of the
 * solicited-node groups of IPv6 delegates held elsewhere (so that MLD-snooping switches forward
 * their NAs and NSs to this host), the frame loop (ndp.ts decode → observation → the same
 * detector as ARP) and the send path of IPv6 transmissions.
 */
import { formatAddress } from '../core/address.js';
import type { BpfProgram } from '../core/bpf-insn.js';
import type { Detector, Transmission6 } from '../core/detector.js';
import type { SendOutcome } from '../core/events.js';
import { type Ipv6, UNSPECIFIED, solicitedNodeGroup } from '../core/ipv6.js';
import { TYPE_NEIGHBOR_SOLICITATION, decodeNd } from '../core/ndp.js';
import { observeNd, toObservation } from '../core/ndp-observation.js';
import type { HostInterface, WatchList, WatchedInterface } from '../core/watchlist.js';
import { type HostAddress6, type Ipv6WatchPolicy, usable6 } from '../core/watchlist6.js';
import type { DaemonConfig } from '../config/index.js';
import type { HostChanges } from '../platform/netlink.js';
import { type ReceivedFrame, payloadInPlace, receiveBatch } from './frame-loop.js';
import type { DaemonSocket, FrameDeps } from './socket-set.js';

/** What the platform gives the IPv6 side (src/cli/daemon.ts wires the real ones). */
export interface NdPlatform {
  /** An AF_PACKET socket for ETH_P_IPV6 on one interface. */
  openSocket: (ifindex: number) => DaemonSocket;
  buildFilter: (watched: Ipv6[], ifindex: number) => BpfProgram;
  /** Every IPv6 address of the host with its kernel flags (an RTM_GETADDR dump). */
  readAddresses: () => Array<HostAddress6 & { ifindex: number }>;
  /** Joins an IPv6 multicast group on an interface (the kernel sends the MLD reports); absent: no membership. */
  joinGroup?: (group: Ipv6, ifname: string) => { leave(): void };
}

export interface NdSocketDeps extends FrameDeps {
  platform: NdPlatform;
  detector: Pick<Detector, 'watchedIpv6' | 'handleObservation'>;
}

interface NdSocket {
  ifindex: number;
  socket: DaemonSocket;
  filterKey: string;
  /** Solicited-node groups joined on this interface, by group. */
  groups: Map<Ipv6, { leave(): void }>;
}

/** The IPv6 watch settings of the configuration. */
export function ipv6Policy(c: Pick<DaemonConfig, 'ipv6' | 'ipv6LinkLocal' | 'ipv6Temporary' | 'ipv6Deprecated'>): Ipv6WatchPolicy {
  return { enabled: c.ipv6, linkLocal: c.ipv6LinkLocal, temporary: c.ipv6Temporary, deprecated: c.ipv6Deprecated };
}

export class NdSockets {
  readonly sockets = new Map<string, NdSocket>();
  private byIfindex = new Map<number, HostAddress6[]>();
  /** The IPv6 addresses this host holds now (usable): announcements and DAD probes only for these. */
  private held = new Set<Ipv6>();
  private dumpFailed = false;
  /** Interfaces whose IPv6 addresses changed since takeTouched() (by ifindex). */
  private touched = new Set<number>();

  constructor(private readonly deps: NdSocketDeps) {}

  /**
   * Re-reads the host's IPv6 addresses. A failed dump (a kernel without IPv6, an old addon) keeps
   * the last good view and is said once: IPv4 monitoring must not depend on it. Returns the
   * addresses that were held before and are not now (removed, or DAD failed).
   */
  readAddresses(): Ipv6[] {
    let dump: ReturnType<NdPlatform['readAddresses']>;
    try {
      dump = this.deps.platform.readAddresses();
      this.dumpFailed = false;
    } catch (err) {
      if (!this.dumpFailed) this.deps.logger.warn({ event: 'ipv6-addresses', err: (err as Error).message }, `cannot read the IPv6 addresses, IPv6 is not monitored: ${(err as Error).message}`);
      this.dumpFailed = true;
      return [];
    }
    const by = new Map<number, HostAddress6[]>();
    const held = new Set<Ipv6>();
    for (const a of dump) {
      const l = by.get(a.ifindex);
      if (l) l.push(a);
      else by.set(a.ifindex, [a]);
      if (usable6(a)) held.add(a.address);
    }
    for (const i of new Set([...by.keys(), ...this.byIfindex.keys()])) if (JSON.stringify(by.get(i)) !== JSON.stringify(this.byIfindex.get(i))) this.touched.add(i);
    this.byIfindex = by;
    const gone: Ipv6[] = [];
    for (const a of this.held) if (!held.has(a)) gone.push(a);
    this.held = held;
    return gone;
  }

  /** Whether rtnetlink changes call for a re-read: any IPv6 address but a link-local one elsewhere than on a watched interface. */
  concerned(c: Pick<HostChanges, 'ipv6' | 'ipv6LinkLocal'>, list: WatchList): boolean {
    return c.ipv6 === true || (c.ipv6LinkLocal ?? []).some((i) => (list.watching ? list.watching('', i) : list.interfaces.some((w) => w.ifindex === i)));
  }

  /** The host's interfaces with their IPv6 addresses, for deriveWatchList. */
  withIpv6(host: HostInterface[]): HostInterface[] {
    return host.map((i) => ({ ...i, ipv6: this.byIfindex.get(i.ifindex) ?? [] }));
  }

  /** The interfaces (ifindexes) whose IPv6 addresses changed since the last call. */
  takeTouched(): Set<number> {
    const t = this.touched;
    this.touched = new Set();
    return t;
  }

  /** One interface's IPv6 addresses. */
  ipv6Of(ifindex: number): HostAddress6[] {
    return this.byIfindex.get(ifindex) ?? [];
  }

  /** One interface's ND socket and groups after the detector took its part of the list (null: not watched). */
  syncInterface(name: string, ifc: WatchedInterface | null): void {
    const s = this.sockets.get(name);
    const wanted = ifc !== null && this.deps.detector.watchedIpv6(name).length > 0 ? ifc : null;
    if (s && wanted?.ifindex !== s.ifindex) {
      this.close(s);
      this.sockets.delete(name);
    }
    if (wanted) this.syncOne(wanted);
  }

  /** Opens, closes and re-filters ND sockets and group memberships after the detector took `list`. */
  sync(list: WatchList): void {
    const wanted = new Map<string, WatchedInterface>();
    for (const i of list.interfaces) if (this.deps.detector.watchedIpv6(i.name).length > 0) wanted.set(i.name, i);
    for (const [name, s] of this.sockets) {
      if (wanted.get(name)?.ifindex === s.ifindex) continue;
      this.close(s);
      this.sockets.delete(name);
    }
    for (const ifc of wanted.values()) this.syncOne(ifc);
  }

  private syncOne(ifc: WatchedInterface): void {
    const s = this.sockets.get(ifc.name) ?? this.open(ifc);
    if (!s) return;
    const watched = this.deps.detector.watchedIpv6(ifc.name);
    const key = watched.map((w) => w.address).sort().join(',');
    if (key !== s.filterKey) {
      s.socket.setFilter(this.deps.platform.buildFilter(watched.map((w) => w.address), ifc.ifindex));
      s.filterKey = key;
      this.deps.logger.debug({ event: 'filter', interface: ifc.name, family: 'ipv6', addresses: watched.length }, `ND kernel filter for ${ifc.name}: ${watched.length} address(es)`);
    }
    this.syncGroups(ifc.name, s, watched.filter((w) => !w.held).map((w) => solicitedNodeGroup(w.address)));
  }

  /** Joins the solicited-node groups of delegates held elsewhere (our own ones the kernel joins itself). */
  private syncGroups(ifname: string, s: NdSocket, groups: Ipv6[]): void {
    const join = this.deps.platform.joinGroup;
    if (!join) return;
    const want = new Set(groups);
    for (const [g, m] of s.groups) if (!want.has(g)) (m.leave(), s.groups.delete(g));
    for (const g of want) {
      if (s.groups.has(g)) continue;
      try {
        s.groups.set(g, join(g, ifname));
      } catch (err) {
        this.deps.logger.warn({ event: 'multicast-join', interface: ifname, group: formatAddress(g), err: (err as Error).message }, `cannot join ${formatAddress(g)} on ${ifname}: ${(err as Error).message}`);
      }
    }
  }

  private open(ifc: WatchedInterface): NdSocket | null {
    let socket: DaemonSocket;
    try {
      socket = this.deps.platform.openSocket(ifc.ifindex);
    } catch (err) {
      this.deps.logger.warn({ event: 'socket-error', interface: ifc.name, family: 'ipv6', err: (err as Error).message }, `cannot open an IPv6 socket on ${ifc.name}: ${(err as Error).message}`);
      return null;
    }
    socket.onFrames(this.deps.guard.wrap('frames', (frames) => this.frames(ifc.name, frames), () => this.deps.recover()));
    socket.onError(this.deps.guard.wrap('frames', (err) => {
      if (err.kind === 'interface-down') return;
      this.deps.logger.error({ event: 'socket-error', interface: ifc.name, family: 'ipv6', err: err.message }, `IPv6 socket on ${ifc.name}: ${err.message}`);
    }));
    const s: NdSocket = { ifindex: ifc.ifindex, socket, filterKey: '', groups: new Map() };
    this.sockets.set(ifc.name, s);
    return s;
  }

  private close(s: NdSocket): void {
    for (const m of s.groups.values()) m.leave();
    s.groups.clear();
    s.socket.close();
  }

  closeAll(): void {
    for (const s of this.sockets.values()) this.close(s);
    this.sockets.clear();
  }

  private frames(ifname: string, frames: readonly ReceivedFrame[]): void {
    if (this.deps.stopped()) return;
    const now = this.deps.now();
    receiveBatch(ifname, frames, this.deps.observers, (f) => {
      const r = decodeNd(payloadInPlace(f)); // decodeNd keeps no view of it
      if (!r.ok) return r.reason;
      const obs = observeNd(r.frame, f.sourceMac);
      this.deps.detector.handleObservation(ifname, toObservation(obs), obs.ethernetSource, now);
      return null;
    });
    this.deps.pump();
  }

  /**
   * Sends one ND transmission. The last line of defence, whatever the detector asked: no NA and
   * no NS from :: for an address this host does not hold (a peer taking it over would give it up).
   */
  transmit(t: Transmission6): SendOutcome {
    const s = this.sockets.get(t.interface);
    if (!s) return 'interface-down';
    const dad = t.frame.frame.type === TYPE_NEIGHBOR_SOLICITATION && t.frame.frame.source === UNSPECIFIED;
    if ((t.kind !== 'probe' || dad) && !this.held.has(t.address)) {
      this.deps.logger.error({ event: 'refused-send', address: formatAddress(t.address), kind: t.kind }, `refused to send ${dad ? 'a DAD probe' : 'an advertisement'} for ${formatAddress(t.address)}: this host does not hold it`);
      return 'dropped';
    }
    return s.socket.send(t.frame.payload, t.destination);
  }
}
