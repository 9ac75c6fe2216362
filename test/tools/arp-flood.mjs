#!/usr/bin/env node
// Sends a flood of ARP frames on one interface of a lab namespace, for tests and benchmarks:
//
//   ip netns exec NS node test/tools/arp-flood.mjs --interface eth0 --mode spoof --address 192.0.2.10 \
//       --count 100000 [--rate 20000] [--seed 1]
//   ip netns exec NS node test/tools/arp-flood.mjs --interface eth0 --mode unwatched --subnet 198.51.100.0/24 ...
//
// Modes:
//   spoof      gratuitous ARP requests claiming --address (sender IP = target IP = the address), each
//              from a different random, locally administered unicast sender MAC;
//   unwatched  ARP requests for random addresses of --subnet (a /24), from random senders in it.
// The Ethernet source is the interface's own MAC (SOCK_DGRAM); only the ARP sender MAC varies.
//
// Prints one JSON line: {mode, namespace, interface, requested, sent, dropped, errors, seconds, rate}.
// Refuses to run in the machine's own network namespace, and refuses addresses outside the
// documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) and the benchmarking range
// 198.18.0.0/15. Exit 0 when every frame
// was sent, 1 when some could not be, 2 on a usage error.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assertLabNamespace, documentationIpv4 } from './lab-guard.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const EAGAIN = 11;
const ENOBUFS = 105;

function usage(message) {
  process.stderr.write(`arp-flood: ${message}\nusage: arp-flood.mjs --interface IF --mode spoof|unwatched (--address A | --subnet N.N.N.0/24) --count N [--rate FPS] [--seed S]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { rate: 0, seed: Date.now() >>> 0 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (v === undefined) usage(`${k} needs a value`);
    i++;
    if (k === '--interface') o.interface = v;
    else if (k === '--mode') o.mode = v;
    else if (k === '--address') o.address = v;
    else if (k === '--subnet') o.subnet = v;
    else if (k === '--count') o.count = Number(v);
    else if (k === '--rate') o.rate = Number(v);
    else if (k === '--seed') o.seed = Number(v) >>> 0;
    else usage(`unknown option ${k}`);
  }
  if (!o.interface || !/^[A-Za-z0-9_.-]{1,15}$/.test(o.interface)) usage('--interface is required');
  if (o.mode !== 'spoof' && o.mode !== 'unwatched') usage('--mode must be spoof or unwatched');
  if (!Number.isInteger(o.count) || o.count < 1) usage('--count must be a positive integer');
  if (!(o.rate >= 0)) usage('--rate must be a number of frames per second (0: as fast as possible)');
  return o;
}

function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function arpRequest(buf, senderMac, senderIp, targetIp) {
  buf.set([0, 1, 8, 0, 6, 4, 0, 1], 0); // Ethernet, IPv4, lengths 6/4, request
  buf.set(senderMac, 8);
  buf.set(senderIp, 14);
  buf.fill(0, 18, 24); // target MAC unknown
  buf.set(targetIp, 24);
}

const opts = parseArgs(process.argv.slice(2));
const namespace = assertLabNamespace(usage);
let address;
let prefix;
if (opts.mode === 'spoof') address = documentationIpv4(opts.address, '--address', usage);
else {
  const m = /^(.*)\.0\/24$/.exec(opts.subnet ?? '');
  if (!m) usage('--subnet must be a /24 such as 198.51.100.0/24');
  prefix = documentationIpv4(`${m[1]}.0`, '--subnet', usage).slice(0, 3);
}

const ifindex = Number(readFileSync(`/sys/class/net/${opts.interface}/ifindex`, 'utf8'));
const native = createRequire(import.meta.url)(join(ROOT, 'build', 'Release', 'dupip_packet.node'));
const handle = native.open(ifindex);
const broadcast = Uint8Array.from([255, 255, 255, 255, 255, 255]);
const random = mulberry32(opts.seed);
const frame = new Uint8Array(28);
const mac = new Uint8Array(6);

function nextFrame(i) {
  const a = random();
  const b = random();
  // Locally administered unicast (x2:...), distinct for every frame: the counter fills the low 4 bytes.
  mac.set([0x02, a & 0xff, (i >>> 24) & 0xff, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff]);
  if (opts.mode === 'spoof') arpRequest(frame, mac, address, address);
  else arpRequest(frame, mac, [...prefix, 1 + ((a >>> 8) % 254)], [...prefix, 1 + (b % 254)]);
}

const result = { mode: opts.mode, namespace, interface: opts.interface, requested: opts.count, sent: 0, dropped: 0, errors: {}, seconds: 0, rate: 0 };
const started = process.hrtime.bigint();
const elapsed = () => Number(process.hrtime.bigint() - started) / 1e9;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let i = 0;
let retries = 0;
while (i < opts.count) {
  if (opts.rate > 0) {
    const due = Math.floor(elapsed() * opts.rate);
    if (i >= due) {
      await sleep(Math.max(1, Math.ceil(((i - due + 1) / opts.rate) * 1000)));
      continue;
    }
  }
  nextFrame(i);
  const errno = native.send(handle, frame, broadcast);
  if (errno === 0) {
    result.sent++;
    i++;
    retries = 0;
  } else if ((errno === EAGAIN || errno === ENOBUFS) && retries < 1000) {
    retries++; // the queue is full: let it drain, then send the same frame again
    await sleep(1);
  } else {
    const name = errno === EAGAIN || errno === ENOBUFS ? 'queue-full' : `errno-${errno}`;
    result.errors[name] = (result.errors[name] ?? 0) + 1;
    result.dropped++;
    i++;
    retries = 0;
  }
}
native.close(handle);
result.seconds = Math.round(elapsed() * 1000) / 1000;
result.rate = Math.round(result.sent / Math.max(result.seconds, 0.001));
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(result.dropped > 0 ? 1 : 0);
