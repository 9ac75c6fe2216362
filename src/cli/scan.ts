/** `dupip scan [CIDR …]`: ask every address of the prefixes with ARP and list those answered by two or more MACs. */
import { parseArgs } from 'node:util';
import { decodeArp, encodeArp } from '../core/arp.js';
import { buildArpFilter } from '../core/bpf.js';
import { parseDuration } from '../core/duration.js';
import { formatIpv4, inSubnet, parseIpv4, type Ipv4 } from '../core/ipv4.js';
import { BROADCAST_MAC } from '../core/mac.js';
import { MAX_SCAN_ADDRESSES, prefixAddresses, requestFrame, ScanSession, type ScanResult } from '../core/scan-session.js';
import type { HostInterface } from '../core/watchlist.js';
import { readHostInterfaces } from '../platform/interfaces.js';
import { macDetails } from '../platform/oui-file.js';
import { openArpSocket, socketErrorKind } from '../platform/packet-socket.js';
import { SCAN_HELP } from './help.js';
import type { Io } from './io.js';
import { now, paced, sleep } from './probe-pacing.js';

export const EXIT_CLEAN = 0;
export const EXIT_DUPLICATES = 1;
export const EXIT_CANNOT_SCAN = 2;

/** Default pace: the daemon's default max_send_rate (docs/config.md). */
export const DEFAULT_RATE = 50;
export const MAX_RATE = 10_000;

class CannotScan extends Error {}

interface ScanOptions {
  prefixes: Array<{ prefix: Ipv4; length: number; text: string }>;
  interface: string | undefined;
  rate: number;
  waitMs: number;
  json: boolean;
}

/** One interface's part of the sweep: who asks (its own address) and whom. */
export interface ScanPlan {
  ifc: HostInterface;
  sender: Ipv4;
  targets: Ipv4[];
  prefixes: string[];
}

function parsePrefix(text: string): { prefix: Ipv4; length: number; text: string } {
  const [addr, len, extra] = text.split('/');
  const prefix = parseIpv4(addr ?? '');
  const length = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (prefix === null || extra !== undefined || !(length >= 0 && length <= 32)) throw new CannotScan(`"${text}" is not an IPv4 prefix (e.g. 192.0.2.0/24)`);
  if (2 ** (32 - length) > MAX_SCAN_ADDRESSES) throw new CannotScan(`${text} has more than ${MAX_SCAN_ADDRESSES} addresses; sweep /16 or smaller prefixes`);
  return { prefix, length, text };
}

function parse(argv: string[]): ScanOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        interface: { type: 'string', short: 'I' },
        rate: { type: 'string', short: 'r' },
        wait: { type: 'string', short: 'w' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new CannotScan((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  const rate = values.rate === undefined ? DEFAULT_RATE : Number(values.rate);
  if (!Number.isInteger(rate) || rate < 1 || rate > MAX_RATE) throw new CannotScan(`--rate: "${values.rate}" is not a whole number from 1 to ${MAX_RATE}`);
  let waitMs = 1000;
  if (values.wait !== undefined) {
    try {
      waitMs = parseDuration(values.wait);
    } catch (err) {
      throw new CannotScan(`--wait: ${(err as Error).message}`);
    }
  }
  return { prefixes: positionals.map(parsePrefix), interface: values.interface, rate, waitMs, json: values.json ?? false };
}

const usable = (i: HostInterface) => !i.loopback && !i.noArp;

/** Which interface asks for which addresses, from which of its own addresses. Pure given the host's interfaces. */
export function planScan(host: HostInterface[], prefixes: ScanOptions['prefixes'], ifname: string | undefined): ScanPlan[] {
  let candidates = host.filter(usable);
  if (ifname !== undefined) {
    const ifc = host.find((i) => i.name === ifname);
    if (!ifc) throw new CannotScan(`interface ${ifname} does not exist`);
    if (!usable(ifc)) throw new CannotScan(`interface ${ifname} does not use ARP`);
    candidates = [ifc];
  }
  const plans = new Map<string, ScanPlan>();
  const add = (ifc: HostInterface, sender: Ipv4, targets: Ipv4[], text: string) => {
    const plan = plans.get(ifc.name) ?? { ifc, sender, targets: [], prefixes: [] };
    plan.targets.push(...targets);
    plan.prefixes.push(text);
    plans.set(ifc.name, plan);
  };
  if (prefixes.length === 0) {
    // Default: the subnets of the interfaces (point-to-point /31 and /32 have nobody to sweep).
    for (const ifc of candidates) {
      for (const a of ifc.addresses) {
        if (a.prefixLength >= 31 || 2 ** (32 - a.prefixLength) > MAX_SCAN_ADDRESSES) continue;
        const net = (a.address & ((0xffffffff << (32 - a.prefixLength)) >>> 0)) >>> 0;
        add(ifc, a.address, prefixAddresses(net, a.prefixLength), `${formatIpv4(net)}/${a.prefixLength}`);
      }
    }
    if (plans.size === 0) throw new CannotScan(ifname ? `interface ${ifname} has no IPv4 subnet to sweep` : 'no interface has an IPv4 subnet to sweep; name prefixes');
  }
  for (const p of prefixes) {
    // The sender is an address of the interface in the same subnet; an interface without one cannot ask politely.
    const matches = candidates.flatMap((ifc) => ifc.addresses.filter((a) => inSubnet(p.prefix, a.address, Math.min(a.prefixLength, p.length)) || inSubnet(a.address, p.prefix, p.length)).map((a) => ({ ifc, a })));
    const names = [...new Set(matches.map((m) => m.ifc.name))];
    if (names.length === 0) {
      const where = ifname ?? 'any interface';
      throw new CannotScan(`${p.text}: ${where} has no IPv4 address in it to ask from (scan requests never use sender 0.0.0.0)`);
    }
    if (names.length > 1) throw new CannotScan(`${p.text} is on ${names.join(' and ')}; choose one with --interface`);
    add(matches[0]!.ifc, matches[0]!.a.address, prefixAddresses(p.prefix, p.length), p.text);
  }
  for (const plan of plans.values()) {
    plan.targets = [...new Set(plan.targets)].sort((a, b) => a - b);
    if (plan.targets.length > MAX_SCAN_ADDRESSES) throw new CannotScan(`more than ${MAX_SCAN_ADDRESSES} addresses on ${plan.ifc.name}`);
  }
  return [...plans.values()];
}


async function sweep(plan: ScanPlan, opts: ScanOptions, ownMacs: Set<string>): Promise<{ result: ScanResult; sendErrors: string[]; ms: number; invalid: number }> {
  const { ifc } = plan;
  if (!ifc.up) throw new CannotScan(`interface ${ifc.name} is down`);
  let socket;
  try {
    socket = openArpSocket(ifc.ifindex);
  } catch (err) {
    const e = err as Error;
    if (socketErrorKind(err) === 'permission') throw new CannotScan(`permission denied opening an ARP socket on ${ifc.name}: needs root or CAP_NET_RAW`);
    throw new CannotScan(`cannot open an ARP socket on ${ifc.name}: ${e.message}`);
  }
  const own = new Set(ifc.addresses.map((a) => a.address));
  const session = new ScanSession(new Set(plan.targets), ownMacs, own);
  const sendErrors: string[] = [];
  let invalid = 0;
  const start = now();
  try {
    socket.setFilter(buildArpFilter({ ownMac: ifc.mac, watched: plan.targets, ifindex: ifc.ifindex }));
    socket.onFrames((frames) => {
      const t = now();
      for (const f of frames) {
        const r = decodeArp(f.payload);
        if (r.ok) session.frame(r.frame, f.sourceMac, f.packetType, t);
        else invalid++; // malformed: counted (in the report) and dropped
      }
    });
    socket.onError(() => {});
    // Paced: request k goes out at start + k/rate, in batches of at most one timer tick.
    const send = (k: number) => socket.send(encodeArp(requestFrame(ifc.mac, plan.sender, plan.targets[k]!)), BROADCAST_MAC);
    sendErrors.push(...(await paced(plan.targets.length, 1000 / opts.rate, send, (t) => session.requestSent(t), 1)));
    await sleep(opts.waitMs);
    return { result: session.result(), sendErrors, ms: now() - start, invalid };
  } finally {
    socket.close();
  }
}

export async function scanCommand(argv: string[], io: Io): Promise<number> {
  let opts: ScanOptions | 'help';
  try {
    opts = parse(argv);
  } catch (err) {
    io.err(`dupip scan: ${(err as Error).message}\n`);
    return EXIT_CANNOT_SCAN;
  }
  if (opts === 'help') {
    io.out(SCAN_HELP);
    return EXIT_CLEAN;
  }
  try {
    const host = readHostInterfaces();
    const plans = planScan(host, opts.prefixes, opts.interface);
    const ownMacs = new Set(host.filter((i) => !i.loopback).map((i) => i.mac));
    const reports = [];
    for (const plan of plans) {
      const { result, sendErrors, ms, invalid } = await sweep(plan, opts, ownMacs);
      if (result.sent === 0) throw new CannotScan(`not one request could be sent on ${plan.ifc.name} (${[...new Set(sendErrors)].join(', ')})`);
      reports.push(report(plan, result, ms, invalid));
    }
    const found = reports.some((r) => r.duplicates.length > 0);
    io.out(opts.json ? `${JSON.stringify({ duplicate: found, interfaces: reports })}\n` : reports.map(describe).join(''));
    return found ? EXIT_DUPLICATES : EXIT_CLEAN;
  } catch (err) {
    if (!(err instanceof CannotScan)) throw err;
    io.err(`dupip scan: ${err.message}\n`);
    if (opts.json) io.out(`${JSON.stringify({ duplicate: null, error: err.message, interfaces: [] })}\n`);
    return EXIT_CANNOT_SCAN;
  }
}

function report(plan: ScanPlan, r: ScanResult, ms: number, invalid: number) {
  return {
    interface: plan.ifc.name,
    prefixes: plan.prefixes,
    sender: formatIpv4(plan.sender),
    addresses: plan.targets.length,
    sent: r.sent,
    answered: r.answered,
    received: r.received,
    /** Malformed ARP frames received (dropped). */
    invalid,
    seconds: Math.round(ms) / 1000,
    duplicates: r.duplicates.map((d) => ({
      address: formatIpv4(d.address),
      ownAddress: d.ownAddress,
      macOverflow: d.overflow,
      macs: d.answers.map((a) => ({
        ...macDetails(a.mac),
        firstAnswerMs: Math.round((a.firstSeen - r.firstSentAt) * 10) / 10,
        frames: a.frames,
        ...(a.ethernetSource ? { ethernetSource: macDetails(a.ethernetSource) } : {}),
      })),
    })),
    proxies: r.proxies.map((p) => ({ ...macDetails(p.mac), addresses: p.addresses })),
  };
}

function describe(r: ReturnType<typeof report>): string {
  const lines = [`${r.interface}: asked ${r.addresses} address(es) in ${r.prefixes.join(', ')} from ${r.sender}, ${r.sent} request(s) in ${r.seconds}s; ${r.answered} answered, ${r.duplicates.length} duplicated`];
  for (const d of r.duplicates) {
    lines.push(`  ${d.address}: DUPLICATE — answered by ${d.macs.length}${d.macOverflow ? `+${d.macOverflow}` : ''} MAC(s)${d.ownAddress ? ' besides this host, which holds it' : ''}`);
    for (const m of d.macs) {
      const eth = m.ethernetSource ? `; Ethernet source ${m.ethernetSource.mac} (${m.ethernetSource.description})` : '';
      lines.push(`    ${m.mac}  ${m.description}; ${m.frames} frame(s)${eth}`);
    }
  }
  for (const p of r.proxies) lines.push(`  note: ${p.mac} (${p.description}) answered for ${p.addresses} addresses: proxy ARP or a host with many addresses`);
  return `${lines.join('\n')}\n`;
}
