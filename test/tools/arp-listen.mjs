#!/usr/bin/env node
// Counts the ARP frames that reach userspace through dupip's own socket and kernel filter (dist/),
// for the kernel-filter e2e test and benchmarks:
//
//   ip netns exec NS node test/tools/arp-listen.mjs --interface eth0 --watch 192.0.2.10[,192.0.2.11]
//
// Prints "ready" once the filter is attached; on SIGTERM/SIGINT prints one JSON line:
// {received, bySenderIp: {ip: n}, probesFor: {ip: n}, strategy, kernel: {packets, drops}} and exits.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { openArpSocket } = await import(join(ROOT, 'dist/platform/packet-socket.js'));
const { buildArpFilter } = await import(join(ROOT, 'dist/core/bpf.js'));
const { parseIpv4, formatIpv4 } = await import(join(ROOT, 'dist/core/ipv4.js'));
const { decodeArp } = await import(join(ROOT, 'dist/core/arp.js'));

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const ifname = arg('interface') ?? 'eth0';
const watched = (arg('watch') ?? '').split(',').filter(Boolean).map((a) => parseIpv4(a));
const ifindex = Number(readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8'));
const ownMac = readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim();

const socket = openArpSocket(ifindex);
const program = buildArpFilter({ ownMac, watched, ifindex });
socket.setFilter(program);
const bySenderIp = {};
const probesFor = {};
let received = 0;
socket.onFrames((frames) => {
  for (const f of frames) {
    received++;
    const r = decodeArp(f.payload);
    if (!r.ok) continue;
    if (r.frame.senderIp === 0) {
      const t = formatIpv4(r.frame.targetIp);
      probesFor[t] = (probesFor[t] ?? 0) + 1;
    } else {
      const s = formatIpv4(r.frame.senderIp);
      bySenderIp[s] = (bySenderIp[s] ?? 0) + 1;
    }
  }
});
socket.onError(() => {});
process.stdout.write('ready\n');
const done = () => {
  process.stdout.write(`${JSON.stringify({ received, bySenderIp, probesFor, strategy: program.strategy, kernel: socket.stats() })}\n`);
  socket.close();
  process.exit(0);
};
process.on('SIGTERM', done);
process.on('SIGINT', done);
