#!/usr/bin/env node
// Sends a few crafted ARP frames on one interface of a lab namespace, for end-to-end tests:
//
//   ip netns exec NS node test/tools/arp-send.mjs --interface eth0 \
//       --frames '[{"op":1,"senderMac":"02:0e:00:00:00:01","senderIp":"0.0.0.0","targetIp":"192.0.2.10"}]' [--gap-ms 2]
//
// Each frame is broadcast; the Ethernet source is the interface's own MAC (SOCK_DGRAM), the ARP
// sender MAC is the frame's. Prints {"sent":n}. Refuses to run outside a lab namespace
// (/run/netns/dupiplab-*) and refuses addresses outside the documentation ranges. Exit 0 when every
// frame was sent, 1 otherwise, 2 on a usage error.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DOC = /^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function usage(message) {
  process.stderr.write(`arp-send: ${message}\n`);
  process.exit(2);
}

function inLabNamespace() {
  const mine = statSync('/proc/self/ns/net').ino;
  let names = [];
  try {
    names = readdirSync('/run/netns').filter((n) => n.startsWith('dupiplab-'));
  } catch {
    /* none */
  }
  return names.some((n) => {
    try {
      return statSync(join('/run/netns', n)).ino === mine;
    } catch {
      return false;
    }
  });
}

const ipBytes = (text, what) => {
  if (text !== '0.0.0.0' && !DOC.test(text)) usage(`${what} ${text} is not a documentation address`);
  const b = text.split('.').map(Number);
  if (b.some((x) => !(x >= 0 && x <= 255))) usage(`${what} ${text} is not an IPv4 address`);
  return b;
};

const argv = process.argv.slice(2);
const arg = (k) => {
  const i = argv.indexOf(k);
  return i >= 0 ? argv[i + 1] : undefined;
};
const ifname = arg('--interface');
if (!ifname || !/^[A-Za-z0-9_.-]{1,15}$/.test(ifname)) usage('--interface is required');
let frames;
try {
  frames = JSON.parse(arg('--frames') ?? '');
} catch {
  usage('--frames must be a JSON array');
}
if (!Array.isArray(frames) || frames.length === 0) usage('--frames must be a non-empty JSON array');
const gapMs = Number(arg('--gap-ms') ?? 2);
if (!inLabNamespace()) usage('not inside a lab network namespace (/run/netns/dupiplab-*); refusing to send');

const ifindex = Number(readFileSync(`/sys/class/net/${ifname}/ifindex`, 'utf8'));
const native = createRequire(import.meta.url)(join(ROOT, 'build', 'Release', 'dupip_packet.node'));
const handle = native.open(ifindex);
const broadcast = Uint8Array.from([255, 255, 255, 255, 255, 255]);
let sent = 0;
for (const f of frames) {
  if (f.op !== 1 && f.op !== 2) usage('op must be 1 or 2');
  if (!MAC.test(f.senderMac)) usage(`bad senderMac ${f.senderMac}`);
  const buf = new Uint8Array(28);
  buf.set([0, 1, 8, 0, 6, 4, 0, f.op], 0);
  buf.set(f.senderMac.split(':').map((h) => parseInt(h, 16)), 8);
  buf.set(ipBytes(f.senderIp, 'senderIp'), 14);
  buf.set(ipBytes(f.targetIp, 'targetIp'), 24);
  if (native.send(handle, buf, broadcast) === 0) sent++;
  if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
}
native.close(handle);
process.stdout.write(`${JSON.stringify({ sent })}\n`);
process.exit(sent === frames.length ? 0 : 1);
