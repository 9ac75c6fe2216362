#!/usr/bin/env node
// Benchmark trigger: a long-running ARP sender inside a lab namespace, driven line by line on stdin,
// so that a trial costs one write() instead of a process start.
//
//   ip netns exec dupiplab-…-h1 node bench/tools/arp-send.mjs --interface eth0
//   stdin:  claim <id> <ipv4>      a gratuitous ARP request (sender IP = target IP = ipv4), sender MAC
//                                  = the interface's own MAC, broadcast
//           probe <id> <ipv4>      an RFC 5227 probe (sender IP 0.0.0.0) for ipv4
//   stdout: {"id":"<id>","t":<ms since the epoch, µs precision, taken right before send()>,"errno":0}
//
// Refuses to run outside a lab network namespace (/run/netns/dupiplab-*) and refuses addresses outside
// the documentation ranges (test/tools/lab-guard.mjs, shared with test/tools/arp-flood.mjs).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { assertLabNamespace, documentationIpv4 } from '../../test/tools/lab-guard.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function die(message) {
  process.stderr.write(`arp-send: ${message}\n`);
  process.exit(2);
}

const ipv4Bytes = (text) => documentationIpv4(text, 'address', die);

const args = process.argv.slice(2);
const at = args.indexOf('--interface');
const ifname = at >= 0 ? args[at + 1] : undefined;
if (!ifname || !/^[A-Za-z0-9_.-]{1,15}$/.test(ifname)) die('usage: arp-send.mjs --interface IF');
assertLabNamespace(die);

const mac = readFileSync(`/sys/class/net/${ifname}/address`, 'utf8').trim().split(':').map((h) => parseInt(h, 16));
const ifindex = Number(readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8'));
const native = createRequire(import.meta.url)(join(ROOT, 'build', 'Release', 'dupip_packet.node'));
const handle = native.open(ifindex);
const broadcast = Uint8Array.from([255, 255, 255, 255, 255, 255]);
const now = () => performance.timeOrigin + performance.now();

function frame(kind, ip) {
  const f = new Uint8Array(28);
  f.set([0, 1, 8, 0, 6, 4, 0, 1], 0);
  f.set(mac, 8);
  if (kind === 'claim') f.set(ip, 14);
  f.set(ip, 24);
  return f;
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [kind, id, address] = line.trim().split(/\s+/);
  if (!kind) return;
  if (kind !== 'claim' && kind !== 'probe') die(`unknown command ${JSON.stringify(line)}`);
  const f = frame(kind, ipv4Bytes(address));
  const t = now();
  const errno = native.send(handle, f, broadcast);
  process.stdout.write(`${JSON.stringify({ id, t, errno })}\n`);
});
rl.on('close', () => {
  native.close(handle);
  process.exit(0);
});
process.stdout.write(`${JSON.stringify({ ready: true, mac: mac.map((b) => b.toString(16).padStart(2, '0')).join(':') })}\n`);
