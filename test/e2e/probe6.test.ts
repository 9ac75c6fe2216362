/**
 * `dupip probe` for IPv6 on real Linux hosts in namespaces (2001:db8::/32 only), the kernels' own
 * ND answers, and `ndisc6` run on the same lab as the reference verdict.
 *
 * Host 0 probes; intruders add the address with `nodad` so that it is usable at once (a normal
 * `ip -6 addr add` would run DAD first, and a second intruder's DAD would fail against the first).
 */
import { describe, expect, it } from 'vitest';
import { parseIpv6 } from '../../src/core/ipv6.js';
import { dadProbe } from '../../src/core/ndp.js';
import { Lab, type LabHost } from '../lab/lab.js';
import { labPrereqs } from '../support/prereq.js';
import { REPO, dupip } from '../support/dupip.js';

const need = labPrereqs('ndisc6', 'tcpdump', 'python3');
const ADDR = '2001:db8::10';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A lab of n hosts with IPv6 on, host 0 holding 2001:db8::1/64, every link-local through DAD. */
async function lab6(n: number): Promise<Lab> {
  const lab = await Lab.create({ hosts: n });
  for (const h of lab.hosts) await h.enableIpv6();
  await lab.host(0).ip(['-6', 'addr', 'add', '2001:db8::1/64', 'dev', 'eth0', 'nodad']);
  for (const h of lab.hosts) await h.ipv6Settled();
  return lab;
}

const hold = (h: LabHost, dev = h.ifname) => h.ip(['-6', 'addr', 'add', `${ADDR}/64`, 'dev', dev, 'nodad']);

async function ndisc6(lab: Lab, ifname: string, address = ADDR) {
  return lab.host(0).exec('ndisc6', ['-n', '-m', '-r', '2', '-w', '500', address, ifname]);
}
const macsIn = (text: string) => [...text.toLowerCase().matchAll(/([0-9a-f]{2}(?::[0-9a-f]{2}){5})/g)].map((m) => m[1]!);

async function probeJson(lab: Lab, args: string[]) {
  const r = await dupip(lab.host(0), ['probe', ...args, '--count', '2', '--timeout', '1s', '--json']);
  return { code: r.code, json: JSON.parse(r.stdout.trim().split('\n').pop()!), stderr: r.stderr };
}

describe.skipIf(need.skip)(need.title('dupip probe for IPv6 against real kernels, with ndisc6 as the reference'), () => {
  it('a free address: exit 0, ndisc6 gets no answer', async () => {
    await using lab = await lab6(2);
    const r = await probeJson(lab, [ADDR]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ address: ADDR, interface: 'eth0', duplicate: false, macs: [], sent: 2, received: 0 });
    const n = await ndisc6(lab, 'eth0');
    expect(n.code).not.toBe(0);
    expect(macsIn(n.stdout)).toEqual([]);
  });

  it('an intruder holding it: exit 1 naming its MAC, the MAC ndisc6 prints; an ordinary NS, never one from ::', async () => {
    await using lab = await lab6(2);
    await hold(lab.host(1));
    const tcpdump = lab.bridge.spawn('tcpdump', ['-l', '-nn', '-i', lab.bridge.ifname, 'icmp6 and ip6[40] == 135']);
    let seen = '';
    tcpdump.stdout!.setEncoding('utf8').on('data', (d: string) => (seen += d));
    await sleep(1000);
    const r = await probeJson(lab, [ADDR]);
    await sleep(300);
    tcpdump.kill('SIGINT');
    expect(r.code, r.stderr).toBe(1);
    expect(r.json.duplicate).toBe(true);
    expect(r.json.macs.map((m: { mac: string }) => m.mac)).toEqual([lab.host(1).mac]);
    expect(r.json.macs[0].firstAnswerMs).toBeGreaterThanOrEqual(0);
    expect(r.json.macs[0].firstAnswerMs).toBeLessThan(500);
    expect(r.json.received).toBeGreaterThanOrEqual(2);
    const n = await ndisc6(lab, 'eth0');
    expect(n.code).toBe(0);
    expect(macsIn(n.stdout)).toEqual([lab.host(1).mac]);
    // dupip's two NS for the address it does not hold came from its link-local address, not ::
    const ours = seen.split('\n').filter((l) => l.includes(`who has ${ADDR}`));
    expect(ours.length, seen).toBeGreaterThanOrEqual(2);
    expect(ours.every((l) => / IP6 fe80::/.test(l)), seen).toBe(true);
    const text = await dupip(lab.host(0), ['probe', ADDR, '-c', '1', '-w', '500ms']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`${ADDR}: DUPLICATE`);
    expect(text.stdout).toContain(lab.host(1).mac);
  });

  it('two intruders: exit 1 with both MACs, as ndisc6 -m prints them', async () => {
    await using lab = await lab6(3);
    await hold(lab.host(1));
    await hold(lab.host(2));
    const r = await probeJson(lab, [ADDR]);
    expect(r.code, r.stderr).toBe(1);
    const both = [lab.host(1).mac, lab.host(2).mac].sort();
    expect(r.json.macs.map((m: { mac: string }) => m.mac).sort()).toEqual(both);
    const n = await ndisc6(lab, 'eth0');
    expect(n.code).toBe(0);
    expect([...new Set(macsIn(n.stdout))].sort()).toEqual(both);
  });

  it('an address in a non-canonical spelling is printed in RFC 5952 form', async () => {
    await using lab = await lab6(2);
    await hold(lab.host(1));
    const r = await probeJson(lab, ['2001:0DB8:0:0::0010']);
    expect(r.code).toBe(1);
    expect(r.json.address).toBe(ADDR);
  });

  it('interface down: exit 2 for both tools', async () => {
    await using lab = await lab6(2);
    await hold(lab.host(1));
    await lab.host(0).setLink('down');
    const r = await probeJson(lab, [ADDR, '--interface', 'eth0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/eth0 is down/);
    expect(r.json).toMatchObject({ address: ADDR, interface: 'eth0', duplicate: null });
    expect((await ndisc6(lab, 'eth0')).code).not.toBe(0);
  });

  it('unknown interface, or no on-link prefix: exit 2 naming why', async () => {
    await using lab = await lab6(2);
    const r = await probeJson(lab, [ADDR, '--interface', 'nosuch0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nosuch0 does not exist/);
    expect((await ndisc6(lab, 'nosuch0')).code).not.toBe(0);
    const off = await dupip(lab.host(0), ['probe', '2001:db8:ffff::5', '-c', '1', '-w', '100ms']);
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/no interface has an IPv6 prefix that contains 2001:db8:ffff::5/);
  });

  it('the host\'s own second interface answering never counts (ndisc6 calls it an answer)', async () => {
    await using lab = await lab6(2);
    const h0 = lab.host(0);
    await lab.bridge.exec('ip', ['link', 'add', 'q0', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', h0.name]);
    await lab.bridge.exec('ip', ['link', 'set', 'q0', 'master', 'br0', 'up']);
    await h0.enableIpv6('eth1');
    await h0.ip(['link', 'set', 'eth1', 'up']);
    await hold(h0, 'eth1'); // held here: dupip sends a DAD-style probe, eth1's kernel answers it
    await h0.ipv6Settled();
    const eth1 = (await h0.exec('cat', ['/sys/class/net/eth1/address'])).stdout.trim();
    const n = await ndisc6(lab, 'eth0');
    expect(macsIn(n.stdout)).toContain(eth1);
    const r = await probeJson(lab, [ADDR, '--interface', 'eth0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.macs).toEqual([]);
    // and a foreign holder is still found beside it
    await hold(lab.host(1));
    const both = await probeJson(lab, [ADDR, '--interface', 'eth0']);
    expect(both.code).toBe(1);
    expect(both.json.macs.map((m: { mac: string }) => m.mac)).toEqual([lab.host(1).mac]);
  });

  it('a peer taking the address over while dupip probes it keeps it (a probe from :: would make it dadfailed)', async () => {
    await using lab = await lab6(3);
    const [peer, control] = [lab.host(1), lab.host(2)];
    await peer.sysctl(`net/ipv6/conf/${peer.ifname}/dad_transmits`, '3'); // a 3 s DAD window
    const probing = dupip(lab.host(0), ['probe', ADDR, '--count', '10', '--timeout', '3s', '--json']);
    await sleep(300);
    await peer.ip(['-6', 'addr', 'add', `${ADDR}/64`, 'dev', peer.ifname]);
    const r = await probing;
    await sleep(500);
    expect((await peer.exec('ip', ['-6', 'addr', 'show', 'dev', peer.ifname])).stdout).not.toMatch(/dadfailed/);
    expect(r.code, r.stderr).toBe(0); // the peer was still tentative: it answers nothing yet
    await peer.ipv6Settled();
    expect((await probeJson(lab, [ADDR])).json.macs.map((m: { mac: string }) => m.mac)).toEqual([peer.mac]);

    // the control: the same takeover met by one DAD-style probe from another host fails
    await peer.ip(['-6', 'addr', 'del', `${ADDR}/64`, 'dev', peer.ifname]);
    await peer.ip(['-6', 'addr', 'add', `${ADDR}/64`, 'dev', peer.ifname]);
    await sleep(300);
    const t = dadProbe(parseIpv6(ADDR)!, '0000000000dd');
    const sent = await control.exec('python3', [`${REPO}test/tools/nd-send.py`, control.ifname, t.destinationMac, '0', Buffer.from(t.payload).toString('hex')]);
    expect(sent.code, sent.stderr).toBe(0);
    await sleep(500);
    expect((await peer.exec('ip', ['-6', 'addr', 'show', 'dev', peer.ifname])).stdout).toMatch(/dadfailed/);
  });
});
