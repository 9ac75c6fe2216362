/**
 * `dupip probe ADDRESS`: a one-shot RFC 5227 probe, like `arping -D` but stricter. An IPv6
 * ADDRESS is probed with Neighbor Discovery (src/cli/probe6.ts), printed alike.
 */
import { parseArgs } from 'node:util';
import { decodeArp, encodeArp, probeFrame } from '../core/arp.js';
import { buildArpFilter } from '../core/bpf.js';
import { parseDuration } from '../core/duration.js';
import { formatIpv4, inSubnet, parseIpv4 } from '../core/ipv4.js';
import { type Ipv6, formatIpv6, isMulticast, isUnspecified, parseIpv6 } from '../core/ipv6.js';
import { BROADCAST_MAC } from '../core/mac.js';
import { ProbeSession, type ProbeResult } from '../core/probe-session.js';
import type { HostInterface } from '../core/watchlist.js';
import { readHostInterfaces } from '../platform/interfaces.js';
import { macDetails } from '../platform/oui-file.js';
import { type ArpSocket, openArpSocket, socketErrorKind } from '../platform/packet-socket.js';
import { PROBE_HELP } from './help.js';
import type { Io } from './io.js';
import { CannotProbe, probeIpv6 } from './probe6.js';

import { EXIT_CANNOT_PROBE, EXIT_DUPLICATE, EXIT_OK } from './exit-codes.js';
import { now, spreadProbes } from './probe-pacing.js';

export { EXIT_CANNOT_PROBE, EXIT_DUPLICATE, EXIT_OK };

interface ProbeOptions {
  address: number;
  /** Set instead of `address` for an IPv6 address. */
  address6: Ipv6 | null;
  interface: string | undefined;
  count: number;
  timeoutMs: number;
  json: boolean;
}

function parse(argv: string[]): ProbeOptions | 'help' {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      interface: { type: 'string', short: 'I' },
      count: { type: 'string', short: 'c' },
      timeout: { type: 'string', short: 'w' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new CannotProbe(positionals.length ? `one address at a time, not ${positionals.join(' ')}` : 'which address? usage: dupip probe ADDRESS');
  const text = positionals[0]!;
  const address = parseIpv4(text);
  const address6 = address === null && text.includes(':') ? parseIpv6(text) : null;
  if (address6 !== null && (isUnspecified(address6) || isMulticast(address6))) throw new CannotProbe(`"${text}" is not a unicast IPv6 address`);
  if (address6 === null && (address === null || address === 0)) throw new CannotProbe(`"${text}" is not an IPv4 or IPv6 address`);
  // Decimal digits only: Number() would also take "1e2", "0x10", " 5", "5.0".
  const count = values.count === undefined ? 3 : /^[0-9]{1,4}$/.test(values.count) ? Number(values.count) : NaN;
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new CannotProbe(`--count: "${values.count}" is not a whole number from 1 to 1000`);
  let timeoutMs = 3000;
  if (values.timeout !== undefined) {
    try {
      timeoutMs = parseDuration(values.timeout);
    } catch (err) {
      throw new CannotProbe(`--timeout: ${(err as Error).message}`);
    }
    if (timeoutMs < 10) throw new CannotProbe('--timeout: must be at least 10ms');
  }
  return { address: address ?? 0, address6, interface: values.interface, count, timeoutMs, json: values.json ?? false };
}

/** The interface to probe on: the named one, or the one whose subnet contains the address. */
export function chooseInterface(host: HostInterface[], address: number, name: string | undefined): HostInterface {
  if (name !== undefined) {
    const ifc = host.find((i) => i.name === name);
    if (!ifc) throw new CannotProbe(`interface ${name} does not exist`);
    if (ifc.loopback || ifc.noArp) throw new CannotProbe(`interface ${name} does not use ARP`);
    return ifc;
  }
  const candidates = host.filter((i) => !i.loopback && !i.noArp && i.addresses.some((a) => inSubnet(address, a.address, a.prefixLength) && a.prefixLength < 32));
  if (candidates.length === 0) throw new CannotProbe(`no interface has a subnet that contains ${formatIpv4(address)}; name one with --interface`);
  if (candidates.length > 1) throw new CannotProbe(`${formatIpv4(address)} is in the subnets of ${candidates.map((c) => c.name).join(' and ')}; choose one with --interface`);
  return candidates[0]!;
}

function openSocket(ifc: HostInterface): ArpSocket {
  try {
    return openArpSocket(ifc.ifindex);
  } catch (err) {
    const e = err as Error;
    const kind = socketErrorKind(err);
    if (kind === 'permission') throw new CannotProbe(`permission denied opening an ARP socket on ${ifc.name}: needs root or CAP_NET_RAW`);
    if (kind === 'no-device') throw new CannotProbe(`interface ${ifc.name} does not exist`);
    throw new CannotProbe(`cannot open an ARP socket on ${ifc.name}: ${e.message}`);
  }
}


async function probe(opts: ProbeOptions, ifc: HostInterface, ownMacs: Set<string>): Promise<{ result: ProbeResult; sendErrors: string[] }> {
  const socket = openSocket(ifc);
  const session = new ProbeSession(opts.address, ownMacs);
  const sendErrors: string[] = [];
  try {
    socket.setFilter(buildArpFilter({ ownMac: ifc.mac, watched: [opts.address], ifindex: ifc.ifindex }));
    socket.onFrames((frames) => {
      const t = now();
      for (const f of frames) {
        if (f.vlanId !== undefined) continue; // tagged for another VLAN: not an answer on this one
        const r = decodeArp(f.payload);
        if (r.ok) session.frame(r.frame, f.sourceMac, f.packetType, t);
      }
    });
    socket.onError(() => {});
    const payload = encodeArp(probeFrame(ifc.mac, opts.address));
    sendErrors.push(...(await spreadProbes(opts.count, opts.timeoutMs, () => socket.send(payload, BROADCAST_MAC), (t) => session.probeSent(t))));
    return { result: session.result(), sendErrors };
  } finally {
    socket.close();
  }
}

export async function probeCommand(argv: string[], io: Io): Promise<number> {
  let opts: ProbeOptions | 'help';
  try {
    opts = parse(argv);
  } catch (err) {
    io.err(`dupip probe: ${(err as Error).message}\n`);
    return EXIT_CANNOT_PROBE;
  }
  if (opts === 'help') {
    io.out(PROBE_HELP);
    return EXIT_OK;
  }
  const address = opts.address6 !== null ? formatIpv6(opts.address6) : formatIpv4(opts.address);
  let ifname = opts.interface ?? null;
  try {
    let host: HostInterface[];
    try {
      host = readHostInterfaces();
    } catch (err) {
      throw new CannotProbe(`cannot read the host's interfaces: ${(err as Error).message}`);
    }
    let result: ProbeResult;
    let sendErrors: string[];
    let note = '';
    if (opts.address6 !== null) {
      const v6 = await probeIpv6({ ...opts, address: opts.address6 }, host, (name) => (ifname = name));
      ({ result, sendErrors } = v6);
      note = v6.method === 'dad' ? 'DAD-style neighbour solicitation(s) from ::' : 'neighbour solicitation(s)';
    } else {
      const ifc = chooseInterface(host, opts.address, opts.interface);
      ifname = ifc.name;
      if (!ifc.up) throw new CannotProbe(`interface ${ifc.name} is down`);
      const ownMacs = new Set(host.filter((i) => !i.loopback).map((i) => i.mac));
      ({ result, sendErrors } = await probe(opts, ifc, ownMacs));
    }
    const on = ifname!;
    if (result.sent === 0) throw new CannotProbe(`not one probe could be sent on ${on} (${[...new Set(sendErrors)].join(', ')})`);
    if (opts.json) {
      io.out(`${JSON.stringify({ address, interface: on, duplicate: result.duplicate, macs: result.answers.map((a) => ({ ...a, ...macDetails(a.mac), ...(a.ethernetSource ? { ethernetSourceDescription: macDetails(a.ethernetSource).description } : {}) })), sent: result.sent, received: result.received })}\n`);
    } else {
      io.out(describe(address, on, result, opts.timeoutMs, note || 'probe(s)'));
    }
    return result.duplicate ? EXIT_DUPLICATE : EXIT_OK;
  } catch (err) {
    if (!(err instanceof CannotProbe)) throw err;
    io.err(`dupip probe: ${err.message}\n`);
    if (opts.json) io.out(`${JSON.stringify({ address, interface: ifname, duplicate: null, error: err.message, macs: [], sent: 0, received: 0 })}\n`);
    return EXIT_CANNOT_PROBE;
  }
}

function describe(address: string, ifname: string, r: ProbeResult, timeoutMs: number, what: string): string {
  const lines: string[] = [];
  const summary = `${r.sent} ${what} sent on ${ifname} over ${timeoutMs / 1000}s, ${r.received} answer(s)`;
  if (!r.duplicate) {
    lines.push(`${address}: no other host answered (${summary})`);
  } else {
    lines.push(`${address}: DUPLICATE — answered by ${r.answers.length} other MAC(s) (${summary})`);
    for (const a of r.answers) {
      const eth = a.ethernetSource ? `  (Ethernet source ${a.ethernetSource}, ${macDetails(a.ethernetSource).description}, differs from the ${address.includes(':') ? 'link-layer address option' : 'ARP sender MAC'})` : '';
      lines.push(`  ${a.mac}  ${macDetails(a.mac).description}; first answer after ${a.firstAnswerMs.toFixed(1)} ms, ${a.frames} frame(s)${eth}`);
    }
  }
  if (r.probers.length) lines.push(`  note: ${r.probers.join(', ')} probed for ${address} at the same time`);
  return `${lines.join('\n')}\n`;
}
