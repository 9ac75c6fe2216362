/**
 * The daemon's packet sockets, one per watched interface: opened, closed and re-filtered when the
 * watch list changes (syncSockets), and the frame loop that turns a received batch into detector
 * input (frames). The lifecycle (timers, host view, observers' attach/close) stays in daemon.ts.
 */
import type { Logger } from 'pino';
import { decodeArpAt } from '../core/arp.js';
import type { BpfProgram } from '../core/bpf-insn.js';
import type { Detector } from '../core/detector.js';
import type { SendOutcome } from '../core/events.js';
import type { Ipv4 } from '../core/ipv4.js';
import type { Mac } from '../core/mac.js';
import type { WatchList, WatchedInterface } from '../core/watchlist.js';
import { type PacketSocketError, socketErrorKind } from '../platform/socket-error.js';
import type { ChurnLog } from './churn-log.js';
import type { DropAccount } from './drops.js';
import { type ReceivedFrame, receiveBatch } from './frame-loop.js';
import type { Guard } from './guard.js';
import type { Observer } from './observer.js';


/** The slice of the packet socket the daemon uses (src/platform/packet-socket.ts implements it). */
export interface DaemonSocket {
  setFilter(program: BpfProgram): void;
  send(payload: Uint8Array, destination: Mac): SendOutcome;
  /** Several frames at once (one sendmmsg): per frame an outcome or the error send() would throw. */
  sendBatch?(payloads: readonly Uint8Array[], destinations: readonly Mac[]): (SendOutcome | Error)[];
  onFrames(listener: (frames: Array<{ payload: Uint8Array; sourceMac: Mac; packetType: number; vlanId?: number }>) => void): void;
  onError(listener: (err: PacketSocketError) => void): void;
  /** Cumulative kernel counters; `drops`: frames lost to a full receive queue. */
  stats?(): { drops: number };
  /** The receive buffer granted (src/platform/packet-socket.ts RECEIVE_BUFFER_BYTES). */
  readonly receiveBuffer?: { requested: number; bytes: number; forced: boolean };
  close(): void;
}

export interface OpenSocket {
  ifindex: number;
  socket: DaemonSocket;
  filterKey: string;
}

/** What a set of receiving sockets (ARP here, ND in nd-sockets.ts) needs of the daemon. */
export interface FrameDeps {
  logger: Logger;
  observers: Observer[];
  guard: Guard;
  now: () => number;
  /** True once the daemon stopped: frames still queued are ignored. */
  stopped: () => boolean;
  /** Delivers the detector's events and re-arms the timer. */
  pump: () => void;
  /** After a batch threw: deliver the events of the frames before the fault, re-arm the timer. */
  recover: () => void;
}

/** What the socket set needs of the daemon. */
export interface SocketSetDeps extends FrameDeps {
  openSocket: (ifindex: number) => DaemonSocket;
  /** Builds the kernel filter program for one interface. */
  buildFilter: (ownMac: Mac, watched: Ipv4[], ifindex: number) => { program: BpfProgram; strategy: string };
  drops: DropAccount;
  churnLog: ChurnLog;
  detector: Pick<Detector, 'watchedAddresses' | 'handleFrame'>;
}

export class SocketSet {
  readonly sockets = new Map<string, OpenSocket>();
  private readonly guard: Guard;
  private readonly drops: DropAccount;
  private readonly churnLog: ChurnLog;
  private readonly detector: SocketSetDeps['detector'];
  private readonly now: () => number;

  constructor(private readonly deps: SocketSetDeps) {
    ({ guard: this.guard, drops: this.drops, churnLog: this.churnLog, detector: this.detector, now: this.now } = deps);
  }

  private get stopped(): boolean {
    return this.deps.stopped();
  }

  private pump(): void {
    this.deps.pump();
  }

  private recover(): void {
    this.deps.recover();
  }

  /** Closes every socket (the daemon stops). */
  closeAll(): void {
    for (const s of this.sockets.values()) s.socket.close();
    this.sockets.clear();
  }

  /** Opens, closes and re-filters sockets of the interfaces whose watch differs from `previous`. */
  /**
   * `canaries` (and `previousCanaries`): the proxy canaries per interface, whose addresses pass the
   * kernel filter too: an interface whose canaries changed is re-filtered.
   */
  syncSockets(previous: WatchList, list: WatchList, previousCanaries: ReadonlyMap<string, string> = new Map(), canaries: ReadonlyMap<string, string> = previousCanaries): void {
    const wanted = new Map(list.interfaces.map((i) => [i.name, i]));
    for (const [name, s] of this.sockets) {
      const w = wanted.get(name);
      if (!w || w.ifindex !== s.ifindex) {
        s.socket.close();
        this.sockets.delete(name);
        this.churnLog.sockets.closed++;
      }
    }
    const signature = (l: WatchList) => {
      const m = new Map<string, string>();
      for (const i of l.interfaces) m.set(i.name, `${i.ifindex}|${i.mac}|${i.up}`);
      for (const sp of l.specs) m.set(sp.ifname, `${m.get(sp.ifname) ?? ''}|${sp.address}:${sp.held}`);
      return m;
    };
    const before = signature(previous);
    const after = signature(list);
    for (const ifc of list.interfaces) {
      const untouched = before.get(ifc.name) === after.get(ifc.name) && previousCanaries.get(ifc.name) === canaries.get(ifc.name);
      if (!this.sockets.has(ifc.name) || !untouched) this.syncInterface(ifc.name, ifc);
    }
  }

  /** One interface's socket: opened, closed (ifc null, or another ifindex) or re-filtered as the detector now watches it. */
  syncInterface(name: string, ifc: WatchedInterface | null): void {
    let s = this.sockets.get(name);
    if (s && (!ifc || ifc.ifindex !== s.ifindex)) {
      s.socket.close();
      this.sockets.delete(name);
      this.churnLog.sockets.closed++;
      s = undefined;
    }
    if (!ifc) return;
    s ??= this.open(ifc) ?? undefined;
    if (!s) return;
    const watched = this.detector.watchedAddresses(ifc.name);
    const key = `${ifc.mac}|${watched.join(',')}`;
    if (key !== s.filterKey) {
      const { program, strategy } = this.deps.buildFilter(ifc.mac, watched, ifc.ifindex);
      s.socket.setFilter(program);
      s.filterKey = key;
      this.deps.logger.debug({ event: 'filter', interface: ifc.name, addresses: watched.length, strategy }, `kernel filter for ${ifc.name}: ${watched.length} address(es), ${strategy}`);
    }
  }

  private open(ifc: WatchedInterface): OpenSocket | null {
    let socket: DaemonSocket;
    try {
      socket = this.deps.openSocket(ifc.ifindex);
    } catch (err) {
      const e = err as Error & { code?: string };
      if (socketErrorKind(err) === 'permission' || e.code === 'EPERM' || e.code === 'EACCES') throw err; // fatal: nothing will ever work
      this.deps.logger.warn({ event: 'socket-error', interface: ifc.name, code: e.code }, `cannot open an ARP socket on ${ifc.name}: ${e.message}`);
      return null;
    }
    socket = this.drops.follow(ifc.name, socket);
    // A batch that threw: deliver the events of the frames before the fault, re-arm the timer.
    socket.onFrames(this.guard.wrap('frames', (frames) => this.frames(ifc.name, frames), () => this.recover()));
    socket.onError(this.guard.wrap('frames', (err) => {
      if (err.kind === 'interface-down') return; // the link watcher reports it; the socket resumes on link-up
      this.deps.logger.error({ event: 'socket-error', interface: ifc.name, err: err.message }, `ARP socket on ${ifc.name}: ${err.message}`);
    }));
    const s = { ifindex: ifc.ifindex, socket, filterKey: '' };
    this.sockets.set(ifc.name, s);
    this.churnLog.sockets.opened++;
    return s;
  }

  private frames(ifname: string, frames: readonly ReceivedFrame[]): void {
    if (this.stopped) return;
    const now = this.now();
    receiveBatch(ifname, frames, this.deps.observers, (f) => {
      // In place when the frame comes from a receive record (no payload view).
      const r = f.bytes !== undefined ? decodeArpAt(f.bytes, f.payloadOffset!, f.payloadLength!) : decodeArpAt(f.payload, 0, f.payload.length);
      if (typeof r === 'string') return r;
      this.detector.handleFrame(ifname, r, f.sourceMac, now);
      return null;
    });
    this.pump();
  }
}
