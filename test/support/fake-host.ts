/**
 * The real Daemon (src/daemon/daemon.ts) on fake edges, for unit tests of what happens at those
 * edges: a host reader, ARP sockets and a link watcher the test drives, a logger that keeps its
 * lines, an observer that records what reaches it. Timers are vitest's fake timers; the daemon's
 * clock is Date.now, which they move.
 */
import pino from 'pino';
import { OP_REQUEST, encodeArp } from '../../src/core/arp.js';
import { dropAllProgram } from '../../src/core/bpf.js';
import type { DetectorEvent } from '../../src/core/events.js';
import type { Mac } from '../../src/core/mac.js';
import type { HostInterface } from '../../src/core/watchlist.js';
import { defaultConfig, type DaemonConfig } from '../../src/config/index.js';
import { Daemon, type DaemonSocket } from '../../src/daemon/daemon.js';
import type { PacketSocketError } from '../../src/platform/socket-error.js';
import type { Observer } from '../../src/daemon/observer.js';
import { ip } from './fake-world.js';

export const OWN_MAC = '02:00:00:00:00:01';
export const INTRUDER = '02:00:00:00:00:99';
export const ADDRESS = '192.0.2.10';

export interface LogRecord {
  level: number;
  event?: string;
  msg: string;
  [k: string]: unknown;
}

export class FakeSocket implements DaemonSocket {
  frameListeners: Array<(frames: Array<{ payload: Uint8Array; sourceMac: Mac; packetType: number }>) => void> = [];
  errorListeners: Array<(err: PacketSocketError) => void> = [];
  sent = 0;
  closed = false;
  drops = 0;
  readonly receiveBuffer = { requested: 2 * 1024 * 1024, bytes: 212_992, forced: false };
  constructor(readonly ifindex: number) {}
  setFilter(): void {}
  send(): 'sent' {
    this.sent++;
    return 'sent';
  }
  onFrames(l: (typeof this.frameListeners)[number]): void {
    this.frameListeners.push(l);
  }
  onError(l: (typeof this.errorListeners)[number]): void {
    this.errorListeners.push(l);
  }
  stats(): { drops: number } {
    return { drops: this.drops };
  }
  close(): void {
    this.closed = true;
  }
  /** Delivers a batch as the addon would: to every listener, whatever they do. */
  deliver(frames: Array<{ payload: Uint8Array; sourceMac: Mac; packetType: number }>): void {
    for (const l of this.frameListeners) l(frames);
  }
  /** A foreign host claiming `address` (an ARP request with it as sender IP). */
  claim(mac: Mac = INTRUDER, address = ADDRESS): void {
    const payload = encodeArp({ op: OP_REQUEST, senderMac: mac, senderIp: ip(address), targetMac: '00:00:00:00:00:00', targetIp: ip('192.0.2.254') });
    this.deliver([{ payload, sourceMac: mac, packetType: 1 }]);
  }
}

export function hostWith(address = ADDRESS): HostInterface[] {
  return [{ name: 'eth0', ifindex: 2, mac: OWN_MAC, up: true, loopback: false, noArp: false, addresses: [{ address: ip(address), prefixLength: 24 }] }];
}

export function emfile(syscall = 'getifaddrs'): Error {
  return Object.assign(new Error(`${syscall} EMFILE: too many open files`), { code: 'EMFILE', errno: 24, syscall });
}

export class FakeHost {
  readonly logs: LogRecord[] = [];
  readonly events: DetectorEvent[] = [];
  readonly sockets: FakeSocket[] = [];
  readonly dropped: Array<[string, number]> = [];
  /** What readHost returns, or throws when it is an Error. */
  host: HostInterface[] | Error = hostWith();
  hostReads = 0;
  linkChange: (() => void) | null = null;
  openError: Error | null = null;
  readonly config: DaemonConfig;
  readonly daemon: Daemon;

  constructor(opts: { observers?: Observer[]; now?: () => number } = {}) {
    const c = defaultConfig();
    c.interfaces = ['eth0'];
    c.probeIntervalMs = 1000;
    c.announceIntervalMs = 0;
    this.config = c;
    const logger = pino({ level: 'debug' }, { write: (line: string) => void this.logs.push(JSON.parse(line) as LogRecord) });
    const recorder: Observer = {
      event: (e) => void this.events.push(e),
      framesDropped: (ifname, n) => void this.dropped.push([ifname, n]),
    };
    this.daemon = new Daemon({
      config: c,
      readHost: () => {
        this.hostReads++;
        if (this.host instanceof Error) throw this.host;
        return this.host;
      },
      openSocket: (ifindex) => {
        if (this.openError) throw this.openError;
        const s = new FakeSocket(ifindex);
        this.sockets.push(s);
        return s;
      },
      buildFilter: () => ({ program: dropAllProgram(), strategy: 'fake' }),
      watchLinks: (onChange) => {
        this.linkChange = onChange;
        return { close: () => void (this.linkChange = null) };
      },
      logger,
      observers: [...(opts.observers ?? []), recorder],
      now: opts.now ?? (() => Date.now()),
      random: () => 0.5,
    });
  }

  get socket(): FakeSocket {
    return this.sockets.at(-1)!;
  }

  conflicts(): DetectorEvent[] {
    return this.events.filter((e) => e.type === 'state' && e.to === 'conflict');
  }

  faults(where: string): number {
    return this.daemon.view().internalErrors!().find((f) => f.where === where)!.count;
  }

  logsOf(event: string): LogRecord[] {
    return this.logs.filter((l) => l.event === event);
  }
}
