/**
 * The addon reads every batch into one records Buffer that it reuses (native/receive.c), on a real
 * packet socket in the lab: two bursts of ARP announcements from another host arrive in separate
 * batches in the same Buffer, and what the listener kept of the first batch (the frame's fields,
 * its payload copy, the decoded sender) still says the first batch's addresses after the second
 * batch overwrote the records; a kept frame's bytes read after its batch throw.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { labPrereqs } from '../support/prereq.js';
import { REPO } from '../support/dupip.js';

const need = labPrereqs();
const A = Array.from({ length: 20 }, (_, i) => `192.0.2.${100 + i}`);
const B = Array.from({ length: 20 }, (_, i) => `198.51.100.${100 + i}`);

const imports = `
const { openArpSocket } = await import(${JSON.stringify(`${REPO}dist/platform/packet-socket.js`)});
const { buildArpFilter } = await import(${JSON.stringify(`${REPO}dist/core/bpf.js`)});
const { encodeArp, decodeArp, decodeArpAt } = await import(${JSON.stringify(`${REPO}dist/core/arp.js`)});
const { parseIpv4, formatIpv4 } = await import(${JSON.stringify(`${REPO}dist/core/ipv4.js`)});
const { readFileSync } = await import('node:fs');
const ifindex = Number(readFileSync('/sys/class/net/eth0/ifindex', 'utf8'));
const mac = readFileSync('/sys/class/net/eth0/address', 'utf8').trim();
`;

const listener = `${imports}
const socket = openArpSocket(ifindex);
socket.setFilter(buildArpFilter({ ownMac: mac, watched: ${JSON.stringify([...A, ...B])}.map(parseIpv4), ifindex }));
const batches = [];
let buffers = new Set();
socket.onFrames((frames) => {
  buffers.add(frames[0].bytes);
  batches.push(frames.map((f) => {
    const d = decodeArpAt(f.bytes, f.payloadOffset, f.payloadLength);
    return { frame: f, payload: f.payload, seenIp: formatIpv4(d.senderIp), seenMac: f.sourceMac };
  }));
});
process.stdout.write('ready\\n');
process.on('SIGTERM', () => {
  const kept = batches.map((b) => b.map((k) => {
    const r = decodeArp(k.payload);
    let stale = 'none';
    try { void k.frame.bytes; } catch (e) { stale = e.name === 'StaleFrameError' ? 'thrown' : String(e); }
    return { seen: k.seenIp, later: formatIpv4(r.frame.senderIp), mac: k.seenMac === k.frame.sourceMac, stale };
  }));
  process.stdout.write(JSON.stringify({ kept, buffers: buffers.size }) + '\\n');
  socket.close();
  process.exit(0);
});
`;

const sender = (ips: string[]) => `${imports}
const socket = openArpSocket(ifindex);
const ips = ${JSON.stringify(ips)};
const payloads = ips.map((ip) => encodeArp({ op: 1, senderMac: mac, senderIp: parseIpv4(ip), targetMac: '00:00:00:00:00:00', targetIp: parseIpv4(ip) }));
const results = socket.sendBatch(payloads, ips.map(() => 'ff:ff:ff:ff:ff:ff'));
socket.close();
process.stdout.write(JSON.stringify(results) + '\\n');
`;

describe.skipIf(need.skip)(need.title('reused receive records on a packet socket'), () => {
  it('what a listener kept of one batch is not overwritten by the next batch in the same Buffer', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await h0.addAddress('192.0.2.1/24');
    await h1.addAddress('192.0.2.2/24');
    const child = h0.spawn(process.execPath, ['--input-type=module', '-e', listener]);
    let out = '';
    let err = '';
    child.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
    while (!out.includes('ready')) {
      expect(err).toBe('');
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const burst of [A, B]) {
      const r = await h1.exec(process.execPath, ['--input-type=module', '-e', sender(burst)], { timeoutMs: 20_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual(burst.map(() => 'sent'));
      await new Promise((res) => setTimeout(res, 300)); // the next burst comes in a later batch
    }
    child.kill('SIGTERM');
    await once(child, 'exit');
    expect(err).toBe('');
    const { kept, buffers } = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as {
      kept: Array<Array<{ seen: string; later: string; mac: boolean; stale: string }>>;
      buffers: number;
    };
    const all = kept.flat();
    // Both bursts arrived, each address once, in at least two batches, all in one reused Buffer.
    expect(all.map((k) => k.seen).sort()).toEqual([...A, ...B].sort());
    expect(kept.length).toBeGreaterThanOrEqual(2);
    expect(buffers).toBe(1);
    // What was kept still says what the listener saw, after later batches overwrote the records.
    expect(all.filter((k) => k.later !== k.seen || !k.mac)).toEqual([]);
    expect(all.map((k) => k.stale)).toEqual(all.map(() => 'thrown'));
  });
});
