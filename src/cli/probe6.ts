/**
 * `dupip probe 2001:db8::10`: the IPv6 run of the one-shot probe (src/cli/probe.ts parses the
 * options and prints the result alike for both families).
 *
 * The interface is the named one or the one with an on-link IPv6 prefix containing the address.
 * The probe is a DAD-style NS (from ::, our nonce) only when this host holds the address with DAD
 * done; for any other address it is an ordinary NS from the interface's link-local address, so
 * that a host taking the address over at that moment is never made to give it up (see
 * src/core/nd-probe-session.ts and the README). While probing an address not configured here,
 * the host joins its solicited-node group with an MLD report (a udp6 socket), so that switches
 * doing MLD snooping forward the traffic for it.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { buildNdFilter } from '../core/bpf-ndp.js';
import { type Ipv6, formatIpv6, inPrefix, isLinkLocal, linkLocalFromMac, solicitedNodeGroup } from '../core/ipv6.js';
import { chooseNdProbeMethod, NdProbeSession, type NdProbeMethod } from '../core/nd-probe-session.js';
import { decodeNd } from '../core/ndp.js';
import type { ProbeResult } from '../core/probe-session.js';
import type { HostInterface } from '../core/watchlist.js';
import { type Ipv6HostAddress, isUsable, linkLocalOf, readIpv6Addresses } from '../platform/ipv6-addresses.js';
import { type PacketSocket, openPacketSocket } from '../platform/packet-socket.js';
import { now, spreadProbes } from './probe-pacing.js';

/** A reason the probe could not be made (exit 2). */
export class CannotProbe extends Error {}

export interface Probe6Options {
  address: Ipv6;
  interface: string | undefined;
  count: number;
  timeoutMs: number;
}

/** The interface to probe on: the named one, or the one with an on-link prefix containing the address. */
export function chooseInterface6(host: HostInterface[], v6: readonly Ipv6HostAddress[], address: Ipv6, name: string | undefined): HostInterface {
  if (name !== undefined) {
    const ifc = host.find((i) => i.name === name);
    if (!ifc) throw new CannotProbe(`interface ${name} does not exist`);
    if (ifc.loopback || ifc.noArp) throw new CannotProbe(`interface ${name} does not use neighbour discovery`);
    return ifc;
  }
  const text = formatIpv6(address);
  if (isLinkLocal(address)) throw new CannotProbe(`${text} is link-local: name the interface with --interface`);
  const onLink = (i: HostInterface) =>
    v6.some((a) => a.ifindex === i.ifindex && !a.dadFailed && a.scope !== 'link' && a.prefixLength < 128 && inPrefix(address, a.address, a.prefixLength));
  const candidates = host.filter((i) => !i.loopback && !i.noArp && onLink(i));
  if (candidates.length === 0) throw new CannotProbe(`no interface has an IPv6 prefix that contains ${text}; name one with --interface`);
  if (candidates.length > 1) throw new CannotProbe(`${text} is in the IPv6 prefixes of ${candidates.map((c) => c.name).join(' and ')}; choose one with --interface`);
  return candidates[0]!;
}

export interface Probe6Outcome {
  ifname: string;
  method: NdProbeMethod;
  result: ProbeResult;
  sendErrors: string[];
}

/** Chooses the interface and the method, probes, listens; `onInterface` learns the interface first. */
export async function probeIpv6(opts: Probe6Options, host: HostInterface[], onInterface: (name: string) => void): Promise<Probe6Outcome> {
  let v6: Ipv6HostAddress[];
  try {
    v6 = readIpv6Addresses();
  } catch (err) {
    throw new CannotProbe(`cannot read the host's IPv6 addresses: ${(err as Error).message}`);
  }
  const ifc = chooseInterface6(host, v6, opts.address, opts.interface);
  onInterface(ifc.name);
  if (!ifc.up) throw new CannotProbe(`interface ${ifc.name} is down`);
  const configured = v6.filter((a) => a.address === opts.address);
  const method = chooseNdProbeMethod({
    held: configured.some(isUsable),
    tentative: configured.some((a) => a.tentative && !a.dadFailed),
  });
  // The source of an ordinary NS: the interface's own link-local address; the EUI-64 one of its
  // MAC when it has none yet (the answer is addressed to our MAC all the same).
  const linkLocal = linkLocalOf(v6, ifc.ifindex) ?? linkLocalFromMac(ifc.mac);
  const ownMacs = new Set(host.filter((i) => !i.loopback).map((i) => i.mac));
  const session = new NdProbeSession(opts.address, method, { mac: ifc.mac, linkLocal }, ownMacs);
  const group = configured.length === 0 ? await joinGroup(solicitedNodeGroup(opts.address), ifc.name) : null;
  try {
    const sendErrors = await run(opts, ifc, session);
    return { ifname: ifc.name, method, result: session.result(), sendErrors };
  } finally {
    group?.close();
  }
}

function openSocket(ifc: HostInterface): PacketSocket {
  try {
    return openPacketSocket(ifc.ifindex, { protocol: 'ipv6' });
  } catch (err) {
    const e = err as Error & { kind?: string };
    if (e.kind === 'permission') throw new CannotProbe(`permission denied opening an IPv6 packet socket on ${ifc.name}: needs root or CAP_NET_RAW`);
    if (e.kind === 'no-device') throw new CannotProbe(`interface ${ifc.name} does not exist`);
    throw new CannotProbe(`cannot open an IPv6 packet socket on ${ifc.name}: ${e.message}`);
  }
}


async function run(opts: Probe6Options, ifc: HostInterface, session: NdProbeSession): Promise<string[]> {
  const socket = openSocket(ifc);
  const sendErrors: string[] = [];
  try {
    socket.setFilter(buildNdFilter({ watched: [opts.address], ifindex: ifc.ifindex }));
    socket.onFrames((frames) => {
      const t = now();
      for (const f of frames) {
        const r = decodeNd(f.payload);
        if (r.ok) session.frame(r.frame, f.sourceMac, f.packetType, t);
      }
    });
    socket.onError(() => {});
    sendErrors.push(
      ...(await spreadProbes(
        opts.count,
        opts.timeoutMs,
        () => {
          const probe = session.nextProbe(randomBytes(6));
          return socket.send(probe.payload, probe.destinationMac);
        },
        (t) => session.probeSent(t),
      )),
    );
    return sendErrors;
  } finally {
    socket.close();
  }
}

/**
 * IPV6_JOIN_GROUP on a udp6 socket: the kernel sends an MLD report, so MLD-snooping switches
 * forward the group's frames to us. Best effort: without it the probe still works on a plain
 * segment (the answers go to ff02::1 or to our MAC), so a failure is not an error.
 */
async function joinGroup(group: Ipv6, ifname: string): Promise<Socket | null> {
  const socket = createSocket({ type: 'udp6' });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '::', () => resolve());
    });
    socket.on('error', () => {});
    socket.addMembership(formatIpv6(group), `::%${ifname}`);
    return socket;
  } catch {
    try {
      socket.close();
    } catch {
      /* never bound */
    }
    return null;
  }
}
