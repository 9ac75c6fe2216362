/**
 * `dupip probe` on real Linux hosts in namespaces, the kernel's own ARP answers, and iputils
 * `arping -D` run on the same lab as the reference verdict.
 */
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { labPrereqs } from '../support/prereq.js';
import { dupip } from '../support/dupip.js';

const need = labPrereqs('arping');
const ADDR = '192.0.2.10';

async function arpingD(lab: Lab, ifname: string, address: string) {
  return lab.host(0).exec('arping', ['-D', '-c', '2', '-w', '2', '-I', ifname, address]);
}

async function probeJson(lab: Lab, args: string[]) {
  const r = await dupip(lab.host(0), ['probe', ...args, '--count', '2', '--timeout', '1s', '--json']);
  return { code: r.code, json: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
}

describe.skipIf(need.skip)(need.title('dupip probe against real kernels, with arping -D as the reference'), () => {
  it('no other holder: exit 0, like arping -D', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    await lab.host(0).addAddress('192.0.2.1/24');
    await lab.host(1).addAddress('192.0.2.2/24');
    const r = await probeJson(lab, [ADDR]);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ address: ADDR, interface: 'eth0', duplicate: false, macs: [], sent: 2, received: 0 });
    expect((await arpingD(lab, 'eth0', ADDR)).code).toBe(0);
  });

  it('a second host holding the address: exit 1 naming its MAC, like arping -D', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    await lab.host(0).addAddress('192.0.2.1/24');
    await lab.host(1).addAddress(`${ADDR}/24`);
    const r = await probeJson(lab, [ADDR]);
    expect(r.code).toBe(1);
    expect(r.json.duplicate).toBe(true);
    expect(r.json.macs.map((m: { mac: string }) => m.mac)).toEqual([lab.host(1).mac]);
    expect(r.json.macs[0].firstAnswerMs).toBeGreaterThanOrEqual(0);
    expect(r.json.macs[0].firstAnswerMs).toBeLessThan(500);
    expect(r.json.received).toBeGreaterThanOrEqual(2);
    const a = await arpingD(lab, 'eth0', ADDR);
    expect(a.code).toBe(1);
    expect(a.stdout.toLowerCase()).toContain(lab.host(1).mac);
    // the human output names the MAC too
    const text = await dupip(lab.host(0), ['probe', ADDR, '-c', '1', '-w', '500ms']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(lab.host(1).mac);
  });

  it('two intruders: both MACs (arping -D stops at the first)', async () => {
    await using lab = await Lab.create({ hosts: 3 });
    await lab.host(0).addAddress('192.0.2.1/24');
    await lab.host(1).addAddress(`${ADDR}/24`);
    await lab.host(2).addAddress(`${ADDR}/24`);
    const r = await probeJson(lab, [ADDR]);
    expect(r.code).toBe(1);
    expect(r.json.macs.map((m: { mac: string }) => m.mac).sort()).toEqual([lab.host(1).mac, lab.host(2).mac].sort());
    expect((await arpingD(lab, 'eth0', ADDR)).code).toBe(1);
  });

  it('an intruder with arp_ignore=8 never answers: exit 0 for both tools', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    await lab.host(0).addAddress('192.0.2.1/24');
    await lab.host(1).sysctl('net.ipv4.conf.all.arp_ignore', '8');
    await lab.host(1).sysctl('net.ipv4.conf.eth0.arp_ignore', '8');
    await lab.host(1).addAddress(`${ADDR}/24`);
    const r = await probeJson(lab, [ADDR]);
    expect(r.code).toBe(0);
    expect((await arpingD(lab, 'eth0', ADDR)).code).toBe(0);
  });

  it('interface administratively down: exit 2 for both tools', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    await lab.host(0).addAddress('192.0.2.1/24');
    await lab.host(1).addAddress(`${ADDR}/24`);
    await lab.host(0).setLink('down');
    const r = await probeJson(lab, [ADDR, '--interface', 'eth0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/eth0 is down/);
    expect((await arpingD(lab, 'eth0', ADDR)).code).toBe(2);
  });

  it('no carrier (cable pulled): arping -D sends into the void and exits 0, dupip exits 2', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    await lab.host(0).addAddress('192.0.2.1/24');
    await lab.host(1).addAddress(`${ADDR}/24`);
    // Take the bridge end of host 0's cable down: host 0's eth0 stays UP but loses its carrier.
    const port = (await lab.bridge.exec('ip', ['-o', 'link', 'show', 'master', 'br0'])).stdout
      .split('\n')
      .map((l) => l.split(':')[1]?.trim().split('@')[0])
      .filter(Boolean);
    const hostPort = port.find((p) => p === `p0`) ?? port[0]!;
    await lab.bridge.exec('ip', ['link', 'set', hostPort, 'down']);
    const a = await arpingD(lab, 'eth0', ADDR);
    expect(a.code).toBe(0); // arping's known flaw: "no duplicate" although nothing could be asked
    const r = await probeJson(lab, [ADDR, '--interface', 'eth0']);
    expect(r.code).toBe(2);
  });

  it('unknown interface: exit 2 for both tools', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    await lab.host(0).addAddress('192.0.2.1/24');
    const r = await probeJson(lab, [ADDR, '--interface', 'nosuch0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nosuch0 does not exist/);
    expect((await arpingD(lab, 'nosuch0', ADDR)).code).toBe(2);
  });

  it('without --interface it refuses an address in no local subnet, naming why', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    await lab.host(0).addAddress('192.0.2.1/24');
    const r = await dupip(lab.host(0), ['probe', '203.0.113.5', '-c', '1', '-w', '100ms']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no interface has a subnet that contains 203\.0\.113\.5/);
  });

  it('answers from the host own other interfaces never count (arping -D calls them duplicates)', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const h0 = lab.host(0);
    await h0.addAddress('192.0.2.1/24');
    // A second cable from host 0 into the same segment; host 0 holds the address on it.
    await lab.bridge.exec('ip', ['link', 'add', 'q0', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', h0.name]);
    await lab.bridge.exec('ip', ['link', 'set', 'q0', 'master', 'br0', 'up']);
    await h0.exec('ip', ['link', 'set', 'eth1', 'up']);
    await h0.exec('ip', ['addr', 'add', `${ADDR}/24`, 'dev', 'eth1']);
    const a = await arpingD(lab, 'eth0', ADDR);
    expect(a.code).toBe(1); // arping hears host 0's own eth1 answering
    const r = await probeJson(lab, [ADDR, '--interface', 'eth0']);
    expect(r.code).toBe(0);
    expect(r.json.macs).toEqual([]);
  });
});
