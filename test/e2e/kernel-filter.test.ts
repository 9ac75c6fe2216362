/**
 * The kernel filter does the work: while another host floods the segment with ARP for unwatched
 * addresses, dupip's socket receives none of them — counted in userspace, with the interface's own
 * counters as the witness that the flood really arrived.
 */
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { Lab, type LabHost } from '../lab/lab.js';
import { labPrereqs } from '../support/prereq.js';
import { REPO } from '../support/dupip.js';

const need = labPrereqs('arping');
const WATCHED = '192.0.2.10';

/** 4,096 addresses at random over 198.18.0.0/16 (RFC 2544, lab only), ascending, as dotted quads. */
function scatteredSixteen(): string[] {
  const out = new Set<number>();
  let s = 41;
  while (out.size < 4096) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out.add((s >>> 8) % 65536);
  }
  return [...out].sort((a, b) => a - b).map((o) => `198.18.${o >> 8}.${o & 255}`);
}

async function rxPackets(host: LabHost): Promise<number> {
  const r = await host.exec('cat', ['/sys/class/net/eth0/statistics/rx_packets']);
  return Number(r.stdout.trim());
}

/**
 * Host 0 listens (test/tools/arp-listen.mjs, its kernel filter for `watch`) while host 1 floods
 * `subnet` with 20,000 requests for unwatched addresses, then host 2 claims `claimed` (a gratuitous
 * ARP, twice) and host 1 probes it. Returns what the listener saw and host 0's rx_packets growth.
 */
async function floodAndClaim(hosts: LabHost[], watch: string[], claimed: string, subnet: string) {
  const [h0, h1, h2] = hosts as [LabHost, LabHost, LabHost];
  const listener = h0.spawn(process.execPath, [`${REPO}test/tools/arp-listen.mjs`, '--interface', 'eth0', '--watch', watch.join(',')]);
  let out = '';
  listener.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
  while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 20));
  const rx0 = await rxPackets(h0);
  const flood = await h1.exec(process.execPath, [`${REPO}test/tools/arp-flood.mjs`, '--interface', 'eth0', '--mode', 'unwatched', '--subnet', subnet, '--count', '20000', '--rate', '20000']);
  // Frames that must pass: the watched address claimed (a gratuitous ARP) and probed.
  await h2.exec('arping', ['-U', '-c', '2', '-I', 'eth0', claimed]);
  await h1.exec('arping', ['-D', '-c', '1', '-w', '1', '-I', 'eth0', claimed]);
  await new Promise((r) => setTimeout(r, 300));
  const rx1 = await rxPackets(h0);
  listener.kill('SIGTERM');
  await once(listener, 'exit');
  return { flood, rxDelta: rx1 - rx0, result: JSON.parse(out.split('\n').find((l) => l.startsWith('{'))!) };
}

describe.skipIf(need.skip)(need.title('kernel filter under an unwatched flood'), () => {
  it('passes only the watched address: 0 of 20,000 flood frames reach userspace', async () => {
    await using lab = await Lab.create({ hosts: 3 });
    const [h0, h1, h2] = [lab.host(0), lab.host(1), lab.host(2)];
    await h0.addAddress('192.0.2.1/24');
    await h1.addAddress('203.0.113.1/24');
    await h2.addAddress(`${WATCHED}/24`);
    const { flood, rxDelta, result } = await floodAndClaim([h0, h1, h2], [WATCHED], WATCHED, '203.0.113.0/24');
    expect(flood.code).toBe(0);
    expect(JSON.parse(flood.stdout).sent).toBe(20000);
    // The flood really reached host 0's interface...
    expect(rxDelta).toBeGreaterThanOrEqual(20000);
    // ...and none of it reached userspace: only the watched address's frames did.
    expect(Object.keys(result.bySenderIp)).toEqual([WATCHED]);
    expect(result.bySenderIp[WATCHED]).toBeGreaterThanOrEqual(2);
    expect(result.probesFor[WATCHED]).toBeGreaterThanOrEqual(1);
    expect(Object.keys(result.probesFor)).toEqual([WATCHED]);
    expect(result.received).toBeLessThan(20);
    expect(result.strategy).toBe('exact');
  });

  it('4,096 scattered addresses (covering strategy): a flood outside their span never reaches userspace', async () => {
    await using lab = await Lab.create({ hosts: 3 });
    const [h0, h1, h2] = [lab.host(0), lab.host(1), lab.host(2)];
    const watched = scatteredSixteen();
    const claimed = watched[1234]!;
    await h0.addAddress('198.18.255.254/15');
    await h1.addAddress('198.19.7.1/15');
    await h2.addAddress(`${claimed}/15`);
    const { flood, rxDelta, result } = await floodAndClaim([h0, h1, h2], watched, claimed, '198.19.7.0/24');
    expect(flood.code).toBe(0);
    expect(result.strategy).toBe('covering');
    expect(rxDelta).toBeGreaterThanOrEqual(20000);
    expect(Object.keys(result.bySenderIp)).toEqual([claimed]);
    expect(result.probesFor[claimed]).toBeGreaterThanOrEqual(1);
    expect(result.received).toBeLessThan(20);
  });
});
