#!/usr/bin/env node
// Listens for Neighbor Discovery through dupip's own IPv6 packet socket (the addon, ETH_P_IPV6)
// and the ND kernel filter (dist/), for test/e2e/nd-socket.test.ts (lab namespaces only):
//
//   ip netns exec NS node test/tools/nd-socket.mjs --interface eth0 --watch 2001:db8::10 [--solicit]
//
// Prints "ready" once the filter is attached. With --solicit it then sends, through the same
// socket, an ordinary NS for the watched address from the interface's EUI-64 link-local address.
// On SIGTERM/SIGINT prints one JSON line and exits:
// {frames: [{length, kept, pkttype, source, ok, reason?, type?, target?, mac?}], sent, kernel: stats()}
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { openPacketSocket } = await import(join(ROOT, 'dist/platform/packet-socket.js'));
const { buildNdFilter } = await import(join(ROOT, 'dist/core/bpf-ndp.js'));
const { parseIpv6, formatIpv6, linkLocalFromMac } = await import(join(ROOT, 'dist/core/ipv6.js'));
const { decodeNd, solicitation } = await import(join(ROOT, 'dist/core/ndp.js'));
const { observeNd } = await import(join(ROOT, 'dist/core/ndp-observation.js'));

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ifname = arg('interface') ?? 'eth0';
const watched = parseIpv6(arg('watch') ?? '');
const ifindex = Number(readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8'));
const ownMac = readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim();

const socket = openPacketSocket(ifindex, { protocol: 'ipv6' });
socket.setFilter(buildNdFilter({ watched: [watched], ifindex }));
const frames = [];
socket.onFrames((batch) => {
  for (const f of batch) {
    const r = decodeNd(f.payload);
    const entry = { length: f.length, kept: f.payload.length, pkttype: f.packetType, source: f.sourceMac, ok: r.ok };
    if (r.ok) Object.assign(entry, { type: r.frame.type, target: formatIpv6(r.frame.target), mac: observeNd(r.frame, f.sourceMac).mac });
    else entry.reason = r.reason;
    frames.push(entry);
  }
});
socket.onError(() => {});
process.stdout.write('ready\n');
let sent = null;
if (process.argv.includes('--solicit')) {
  const t = solicitation(linkLocalFromMac(ownMac), ownMac, watched);
  sent = socket.send(t.payload, t.destinationMac);
}
const done = () => {
  process.stdout.write(`${JSON.stringify({ frames, sent, protocol: socket.protocol, kernel: socket.stats() })}\n`);
  socket.close();
  process.exit(0);
};
process.on('SIGTERM', done);
process.on('SIGINT', done);
