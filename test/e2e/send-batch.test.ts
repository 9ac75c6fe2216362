/**
 * The batch send (native sendBatch: sendmmsg, 64 frames a call) on a real packet socket in the lab:
 * every frame of a batch larger than one call reaches the other host exactly once, each frame gets
 * its own outcome, and a frame the kernel refuses (larger than the MTU) fails alone: the frames
 * after it in the same call still go.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { labPrereqs } from '../support/prereq.js';
import { REPO } from '../support/dupip.js';

const need = labPrereqs();
const COUNT = 150; // three sendmmsg calls
const targets = Array.from({ length: COUNT }, (_, i) => `192.0.2.${100 + i}`);
const OVERSIZED = 70; // this one's payload exceeds the MTU

const sender = `
const { openArpSocket } = await import(${JSON.stringify(`${REPO}dist/platform/packet-socket.js`)});
const { encodeArp } = await import(${JSON.stringify(`${REPO}dist/core/arp.js`)});
const { parseIpv4 } = await import(${JSON.stringify(`${REPO}dist/core/ipv4.js`)});
const { readFileSync } = await import('node:fs');
const ifindex = Number(readFileSync('/sys/class/net/eth0/ifindex', 'utf8'));
const mac = readFileSync('/sys/class/net/eth0/address', 'utf8').trim();
const targets = ${JSON.stringify(targets)};
const payloads = targets.map((t, i) => i === ${OVERSIZED} ? new Uint8Array(4000) : encodeArp({ op: 1, senderMac: mac, senderIp: 0, targetMac: '00:00:00:00:00:00', targetIp: parseIpv4(t) }));
const socket = openArpSocket(ifindex);
const results = socket.sendBatch(payloads, targets.map(() => 'ff:ff:ff:ff:ff:ff'));
socket.close();
let closed;
try { socket.sendBatch(payloads.slice(0, 2), ['ff:ff:ff:ff:ff:ff', 'ff:ff:ff:ff:ff:ff']); } catch (e) { closed = e.code; }
process.stdout.write(JSON.stringify({ results: results.map((r) => typeof r === 'string' ? r : r.code), closed }) + '\\n');
`;

describe.skipIf(need.skip)(need.title('batch send on a packet socket'), () => {
  it(`${COUNT} frames in one sendBatch: each on the wire once, each with its own outcome; an oversized one fails alone`, async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await h0.addAddress('192.0.2.1/24');
    await h1.addAddress('192.0.2.2/24');
    const listener = h1.spawn(process.execPath, [`${REPO}test/tools/arp-listen.mjs`, '--interface', 'eth0', '--watch', targets.join(',')]);
    let out = '';
    listener.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
    while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 20));

    const r = await h0.exec(process.execPath, ['--input-type=module', '-e', sender], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(0);
    const { results, closed } = JSON.parse(r.stdout) as { results: string[]; closed: string };
    await new Promise((res) => setTimeout(res, 300));
    listener.kill('SIGTERM');
    await once(listener, 'exit');
    const heard = JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) as { probesFor: Record<string, number> };

    expect(results).toHaveLength(COUNT);
    expect(results[OVERSIZED]).toBe('EMSGSIZE');
    expect(results.filter((x, i) => i !== OVERSIZED && x !== 'sent')).toEqual([]);
    const expected = Object.fromEntries(targets.filter((_, i) => i !== OVERSIZED).map((t) => [t, 1]));
    expect(heard.probesFor).toEqual(expected);
    expect(closed).toBe('EBADF');
  });
});
