/**
 * What the benchmark needs beyond test/lab/lab.ts: many addresses at once (one `ip -batch`),
 * interface counters, and line-protocol helpers (the ARP trigger and the metrics/status poller)
 * living inside lab namespaces.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { assertDocumentationCidr } from '../../test/lab/addresses.js';
import type { LabHost, LabNamespace } from '../../test/lab/lab.js';
import { REPO } from './daemon.js';
import { eachLine, now } from './util.js';

/** Addresses prefix.first … prefix.last, e.g. range('192.0.2', 10, 249). */
export function range(prefix: string, first: number, last: number): string[] {
  const out: string[] = [];
  for (let i = first; i <= last; i++) out.push(`${prefix}.${i}`);
  return out;
}

/** Every address of the three documentation /24s (768), in order. */
export function allDocumentationAddresses(): string[] {
  return ['192.0.2', '198.51.100', '203.0.113'].flatMap((p) => range(p, 0, 255));
}

async function batch(host: LabHost, verb: 'add' | 'del', cidrs: readonly string[]): Promise<{ start: number; end: number }> {
  // Every address goes through the lab's documentation-range check first.
  const lines = cidrs.map((c) => `addr ${verb} ${assertDocumentationCidr(c).cidr} dev ${host.ifname}\n`).join('');
  const start = now();
  const r = await host.exec('ip', ['-batch', '-'], { input: lines, timeoutMs: 60_000 });
  const end = now();
  if (r.code !== 0) throw new Error(`bench: ip addr ${verb} in ${host.name} failed: ${r.stderr.trim()}`);
  return { start, end };
}

/** Adds addresses ("a.b.c.d/len") in one `ip -batch`; returns when it started and ended. */
export const addAddresses = (host: LabHost, cidrs: readonly string[]) => batch(host, 'add', cidrs);
export const removeAddresses = (host: LabHost, cidrs: readonly string[]) => batch(host, 'del', cidrs);

export interface LinkCounters {
  rxPackets: number;
  txPackets: number;
  rxDropped: number;
  txDropped: number;
}

export async function linkCounters(ns: LabNamespace, ifname: string): Promise<LinkCounters> {
  const r = await ns.exec('ip', ['-s', '-j', 'link', 'show', 'dev', ifname]);
  if (r.code !== 0) throw new Error(`bench: ip -s link show ${ifname} in ${ns.name}: ${r.stderr}`);
  const [l] = JSON.parse(r.stdout) as Array<{ stats64: { rx: { packets: number; dropped: number }; tx: { packets: number; dropped: number } } }>;
  if (!l) throw new Error(`bench: no link ${ifname} in ${ns.name}`);
  return { rxPackets: l.stats64.rx.packets, txPackets: l.stats64.tx.packets, rxDropped: l.stats64.rx.dropped, txDropped: l.stats64.tx.dropped };
}

export function counterDelta(a: LinkCounters, b: LinkCounters): LinkCounters {
  return { rxPackets: b.rxPackets - a.rxPackets, txPackets: b.txPackets - a.txPackets, rxDropped: b.rxDropped - a.rxDropped, txDropped: b.txDropped - a.txDropped };
}

/** A line-protocol helper process in a namespace: write a command, get the JSON line with its id back. */
class LineTool {
  private pending = new Map<string, (o: Record<string, unknown>) => void>();
  private seq = 0;
  readonly ready: Promise<Record<string, unknown>>;

  constructor(readonly child: ChildProcess) {
    let onReady: (o: Record<string, unknown>) => void = () => {};
    this.ready = new Promise((r) => (onReady = r));
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.once('exit', (code) => {
      for (const [id, resolve] of this.pending) resolve({ id, error: `helper exited (${code}): ${stderr.trim()}` });
      this.pending.clear();
    });
    eachLine(child.stdout, (line) => {
      let o: Record<string, unknown>;
      try {
        o = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      if (o.ready) return onReady(o);
      const id = String(o.id);
      const resolve = this.pending.get(id);
      if (resolve) {
        this.pending.delete(id);
        resolve(o);
      }
    });
  }

  call(command: string, ...args: string[]): Promise<Record<string, unknown>> {
    const id = `j${++this.seq}`;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin!.write(`${command} ${id} ${args.join(' ')}\n`);
    });
  }

  close(): void {
    this.child.stdin?.end();
  }
}

/** bench/tools/arp-send.mjs in a host: one ARP frame per call, timed right before send(). */
export class ArpSender extends LineTool {
  static async start(host: LabHost): Promise<ArpSender> {
    const child = host.spawn(process.execPath, [join(REPO, 'bench/tools/arp-send.mjs'), '--interface', host.ifname], { stdio: ['pipe', 'pipe', 'pipe'] });
    const s = new ArpSender(child);
    await s.ready;
    return s;
  }

  /** A gratuitous ARP claiming `address` from the host's own MAC; resolves with the send time. */
  async claim(address: string): Promise<number> {
    const r = await this.call('claim', address);
    if (r.errno !== 0) throw new Error(`bench: arp-send claim ${address}: ${JSON.stringify(r)}`);
    return Number(r.t);
  }
}

export interface PollResult {
  ok: boolean;
  t?: number;
  tRequest?: number;
  polls: number;
}

/** bench/tools/poll.mjs in the daemon's host: metric and status flips, and scrapes. */
export class Poller extends LineTool {
  static async start(host: LabHost, port: number, socketPath: string, timeoutMs = 5000): Promise<Poller> {
    const child = host.spawn(process.execPath, [join(REPO, 'bench/tools/poll.mjs'), '--port', String(port), '--socket', socketPath, '--timeout', String(timeoutMs)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const p = new Poller(child);
    await p.ready;
    return p;
  }

  async flip(kind: 'metric' | 'status', address: string): Promise<PollResult> {
    return (await this.call(kind, address)) as unknown as PollResult;
  }

  async scrape(): Promise<string> {
    const r = await this.call('scrape');
    if (typeof r.text !== 'string') throw new Error(`bench: scrape failed: ${JSON.stringify(r)}`);
    return r.text;
  }
}

/** Sum of the samples of a metric (optionally only those whose label text contains `labelPart`). */
export function metricValue(text: string, name: string, labelPart = ''): number | null {
  let sum: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    if (labelPart && !rest.includes(labelPart)) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}
