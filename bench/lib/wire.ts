/**
 * The wire witness: tcpdump on a port of the lab bridge (`tcpdump -l -nn -e -tt -p -B 32768 -i pN
 * arp`), parsed from its one-line text form, which is cheap enough for hundreds of frames a second.
 * Times are the kernel's receive timestamps on that port (CLOCK_REALTIME, microseconds): the moment
 * the frame left the sending host's veth. No --immediate-mode: the timestamps do not need it, and in
 * that mode tcpdump's ring overflowed on bursts of a few hundred frames (the kernel dropped half the
 * probes of a daemon that sends a tick's worth at once). stop() returns tcpdump's own counters, so
 * a witness that missed frames says so.
 */
import type { ChildProcess } from 'node:child_process';
import { tcpdumpListening } from '../../test/lab/capture.js';
import { terminate } from '../../test/lab/exec.js';
import type { LabNamespace } from '../../test/lab/lab.js';
import { eachLine } from './util.js';

export type WireKind = 'probe' | 'claim' | 'request' | 'reply';

export interface WireFrame {
  /** seconds since the epoch */
  time: number;
  src: string;
  kind: WireKind;
  /** probe/claim/request: the target IP; reply: the sender IP */
  ip: string;
  senderIp: string;
}

const LINE =
  /^(\d+\.\d+) ([0-9a-f:]{17}) > ([0-9a-f:]{17}), ethertype ARP \(0x0806\), length \d+: (?:Request who-has (\S+)(?: \([0-9a-f:]+\))? tell (\S+),|Reply (\S+) is-at )/;

export function parseWireLine(line: string): WireFrame | null {
  const m = LINE.exec(line);
  if (!m) return null;
  const time = Number(m[1]);
  const src = m[2]!;
  if (m[6]) return { time, src, kind: 'reply', ip: m[6], senderIp: m[6] };
  const target = m[4]!;
  const sender = m[5]!;
  const kind: WireKind = sender === '0.0.0.0' ? 'probe' : sender === target ? 'claim' : 'request';
  return { time, src, kind, ip: target, senderIp: sender };
}

export interface WireStats {
  /** tcpdump's "packets received by filter" and "packets dropped by kernel" */
  received: number | null;
  droppedByKernel: number | null;
}

export class Wire {
  readonly frames: WireFrame[] = [];
  stderr = '';
  private listeners = new Set<(f: WireFrame) => void>();
  private closed: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    private readonly keep: (f: WireFrame) => boolean,
  ) {
    eachLine(child.stdout, (line) => {
      const f = parseWireLine(line);
      if (!f) return;
      if (this.keep(f)) this.frames.push(f);
      for (const l of this.listeners) l(f);
    });
    this.closed = new Promise((r) => child.once('exit', () => r()));
  }

  /** Starts tcpdump on `ifname` in `ns` and resolves once it listens. `keep` selects what is stored. */
  static async start(ns: LabNamespace, ifname: string, keep: (f: WireFrame) => boolean = () => true): Promise<Wire> {
    const child = ns.spawn('tcpdump', ['-l', '-nn', '-e', '-tt', '-p', '-B', '32768', '-i', ifname, 'arp'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const w = new Wire(child, keep);
    child.stderr!.on('data', (d: Buffer | string) => (w.stderr += String(d)));
    await tcpdumpListening(child, `${ns.name}/${ifname}`);
    return w;
  }

  subscribe(fn: (f: WireFrame) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async stop(): Promise<WireStats> {
    await terminate(this.child, { signal: 'SIGINT', graceMs: 2000 });
    await this.closed;
    await new Promise((r) => setTimeout(r, 50)); // the last stderr chunk
    const count = (what: string) => {
      const m = new RegExp(`(\\d+) packets? ${what}`).exec(this.stderr);
      return m ? Number(m[1]) : null;
    };
    return { received: count('received by filter'), droppedByKernel: count('dropped by kernel') };
  }
}
