import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Lab, NonDocumentationAddressError, type CapturedFrame, type LabHost } from '../lab/lab.js';
import { assertDocumentationCidr } from '../lab/addresses.js';
import { listLabNamespaces, netnsName, pidAlive, removeStaleNamespacesSync } from '../lab/names.js';
import { TcpdumpParser } from '../lab/tcpdump.js';
import { labPrereqs } from '../support/prereq.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const need = labPrereqs('arping', 'tcpdump', 'ping');

interface RootLink {
  ifindex: number;
  ifname: string;
  address?: string;
  flags: string[];
}
/** The machine's own interfaces, as `ip -j link` in this process's namespace shows them. */
function rootLinks(): RootLink[] {
  const r = spawnSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' });
  return (JSON.parse(r.stdout) as RootLink[]).map(({ ifindex, ifname, address, flags }) => ({ ifindex, ifname, address, flags }));
}

/** One ARP request; waits up to 2 s for the answer (1 s when `expectSilence`, to keep tests quick). */
function arping(from: LabHost, target: string, expectSilence = false) {
  return from.exec('arping', ['-c1', `-w${expectSilence ? 1 : 2}`, '-I', from.ifname, target], { timeoutMs: 10_000 });
}

const isArp = (f: CapturedFrame, kind: string, senderIp: string) => f.arp?.kind === kind && f.arp.senderIp === senderIp;

async function waitDead(pid: number): Promise<boolean> {
  for (let i = 0; i < 200 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 10));
  return !pidAlive(pid);
}

describe('lab helpers (no root needed)', () => {
  it('parses tcpdump -e -tt -xx ARP output into every field', () => {
    const out = `1795301821.205961 82:4d:15:46:6f:63 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.0.2.11 (ff:ff:ff:ff:ff:ff) tell 0.0.0.0, length 28
\t0x0000:  ffff ffff ffff 824d 1546 6f63 0806 0001
\t0x0010:  0800 0604 0001 824d 1546 6f63 0000 0000
\t0x0020:  ffff ffff ffff c000 020b
1795301821.221973 76:67:93:a8:3c:ce > 82:4d:15:46:6f:63, ethertype ARP (0x0806), length 42: Reply 192.0.2.11 is-at 76:67:93:a8:3c:ce, length 28
\t0x0000:  824d 1546 6f63 7667 93a8 3cce 0806 0001
\t0x0010:  0800 0604 0002 7667 93a8 3cce c000 020b
\t0x0020:  824d 1546 6f63 0000 0000
1795301821.233934 82:4d:15:46:6f:63 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 192.0.2.10 (ff:ff:ff:ff:ff:ff) tell 192.0.2.10, length 28
\t0x0000:  ffff ffff ffff 824d 1546 6f63 0806 0001
\t0x0010:  0800 0604 0001 824d 1546 6f63 c000 020a
\t0x0020:  ffff ffff ffff c000 020a`;
    const p = new TcpdumpParser();
    const frames = out.split('\n').flatMap((l) => p.push(l));
    expect(p.end()).toEqual([]);
    expect(frames).toHaveLength(3);
    expect(frames[0]).toMatchObject({
      time: 1795301821.205961,
      src: '82:4d:15:46:6f:63',
      dst: 'ff:ff:ff:ff:ff:ff',
      ethertype: 0x0806,
      arp: { op: 1, kind: 'probe', senderMac: '82:4d:15:46:6f:63', senderIp: '0.0.0.0', targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: '192.0.2.11' },
    });
    expect(frames[1]!.arp).toEqual({
      op: 2,
      kind: 'reply',
      senderMac: '76:67:93:a8:3c:ce',
      senderIp: '192.0.2.11',
      targetMac: '82:4d:15:46:6f:63',
      targetIp: '0.0.0.0',
    });
    expect(frames[2]!.arp).toMatchObject({ kind: 'announcement', senderIp: '192.0.2.10', targetIp: '192.0.2.10' });
  });

  it('accepts only documentation addresses with prefixes that stay inside them', () => {
    expect(assertDocumentationCidr('192.0.2.10/24').cidr).toBe('192.0.2.10/24');
    expect(assertDocumentationCidr('198.51.100.7').cidr).toBe('198.51.100.7/24');
    expect(assertDocumentationCidr('203.0.113.255/32').cidr).toBe('203.0.113.255/32');
    for (const bad of ['10.0.0.1/24', '192.0.3.1/24', '192.168.1.1', '192.0.2.10/16', '192.0.2.10/33', '192.0.2.010/24', 'eth0', '']) {
      expect(() => assertDocumentationCidr(bad), bad).toThrow(NonDocumentationAddressError);
    }
  });
});

describe.skipIf(need.skip)(need.title('namespace lab'), () => {
  it('builds hosts with eth0 in their own namespaces, never touching the machine’s interfaces', async () => {
    const before = rootLinks();
    let names: readonly string[] = [];
    {
      await using lab = await Lab.create({ hosts: 3 });
      names = lab.namespaces;
      expect(lab.hosts).toHaveLength(3);
      expect(names).toEqual([lab.bridge.name, ...lab.hosts.map((h) => h.name)]);
      for (const ns of names) expect(ns).toMatch(new RegExp(`^dupiplab-${process.pid}-[0-9a-z]+-(br|h\\d+)$`));
      expect(listLabNamespaces()).toEqual(expect.arrayContaining([...names]));

      const macs = new Set(lab.hosts.map((h) => h.mac));
      expect(macs.size).toBe(3);
      for (const h of lab.hosts) {
        expect(h.ifname).toBe('eth0');
        expect(h.mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
        const link = await h.exec('ip', ['-j', 'link', 'show']);
        const links = JSON.parse(link.stdout) as Array<{ ifname: string; ifindex: number; address: string; operstate: string }>;
        expect(links.map((l) => l.ifname).sort()).toEqual(['eth0', 'lo']);
        expect(links.find((l) => l.ifname === 'eth0')).toMatchObject({ ifindex: h.ifindex, address: h.mac, operstate: 'UP' });
        expect(JSON.parse((await h.exec('ip', ['-j', 'link', 'show', 'lo'])).stdout)[0].flags).toContain('UP');
        // IPv6 off on the segment: no link-local address, DAD, RS or MLD noise.
        expect(await h.sysctl('net.ipv6.conf.eth0.disable_ipv6')).toBe('1');
        expect(await h.addresses()).toEqual([]);
      }
      // Bridge: STP off, no forward delay, every port forwarding already.
      const br = JSON.parse((await lab.bridge.exec('ip', ['-j', '-d', 'link', 'show', 'br0'])).stdout)[0];
      expect(br.linkinfo.info_data).toMatchObject({ stp_state: 0, forward_delay: 0 });
      const ports = JSON.parse((await lab.bridge.exec('ip', ['-j', '-d', 'link', 'show', 'master', 'br0'])).stdout) as Array<{
        ifname: string;
        linkinfo: { info_slave_data: { state: string } };
      }>;
      expect(ports.map((p) => [p.ifname, p.linkinfo.info_slave_data.state])).toEqual([
        ['p0', 'forwarding'],
        ['p1', 'forwarding'],
        ['p2', 'forwarding'],
      ]);
      for (const p of ['br0', 'p0']) expect(await lab.bridge.sysctl(`net/ipv6/conf/${p}/disable_ipv6`)).toBe('1');

      // The machine's own interfaces: untouched, and none of the lab's appeared among them.
      const labMacs = new Set([
        ...lab.hosts.map((h) => h.mac),
        ...(JSON.parse((await lab.bridge.exec('ip', ['-j', 'link', 'show'])).stdout) as RootLink[]).map((l) => l.address),
      ]);
      const during = rootLinks();
      expect(during).toEqual(expect.arrayContaining(before));
      expect(during.filter((l) => l.address && labMacs.has(l.address) && l.ifname !== 'lo')).toEqual([]);
    }
    expect(listLabNamespaces().filter((n) => names.includes(n))).toEqual([]);
    expect(rootLinks()).toEqual(expect.arrayContaining(before));
  });

  it('hosts see each other’s kernel ARP replies right away, and tcpdump witnesses them', async () => {
    await using lab = await Lab.create({ hosts: 3 });
    const [a, b, c] = [lab.host(0), lab.host(1), lab.host(2)];
    await a.addAddress('192.0.2.10/24');
    await b.addAddress('192.0.2.11/24');
    expect(await b.addresses()).toEqual(['192.0.2.11/24']);
    const onA = await a.capture();
    const onBridge = await lab.bridge.capture();

    // First frame on a brand-new segment: no learning/forwarding delay may swallow it.
    const r = await arping(a, '192.0.2.11');
    expect(r.stdout).toContain(`Unicast reply from 192.0.2.11 [${b.mac.toUpperCase()}]`);
    expect(r.code).toBe(0);
    const reply = await onA.waitFor((f) => isArp(f, 'reply', '192.0.2.11'));
    expect(reply).toMatchObject({ src: b.mac, dst: a.mac, arp: { senderMac: b.mac, targetMac: a.mac, targetIp: '192.0.2.10' } });
    await onBridge.waitFor((f) => f.arp?.kind === 'request' && f.src === a.mac && f.arp.targetIp === '192.0.2.11');
    await onBridge.waitFor((f) => isArp(f, 'reply', '192.0.2.11')); // unicast between ports, seen in promiscuous mode

    // An RFC 5227 probe from the third host (no address at all): the kernel of b defends,
    // unicast to the prober, target IP 0.0.0.0.
    const onC = await c.capture();
    const d = await c.exec('arping', ['-D', '-c1', '-w2', '-I', 'eth0', '192.0.2.11']);
    expect(d.code).toBe(1);
    const probe = await onBridge.waitFor((f) => isArp(f, 'probe', '0.0.0.0') && f.src === c.mac);
    expect(probe.arp).toMatchObject({ senderMac: c.mac, targetIp: '192.0.2.11' });
    const defence = await onC.waitFor((f) => isArp(f, 'reply', '192.0.2.11'));
    expect(defence).toMatchObject({ dst: c.mac, arp: { senderMac: b.mac, targetIp: '0.0.0.0', targetMac: c.mac } });

    const frames = await onA.stop();
    expect(frames.every((f) => f.ethertype === 0x0806)).toBe(true);
  });

  it('sysctl, setLink, neighbour and removeAddress change what the kernel does', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const [a, b] = [lab.host(0), lab.host(1)];
    await a.addAddress('198.51.100.1/24');
    await b.addAddress('198.51.100.2/24');

    expect(await a.neighbour('198.51.100.2')).toBeNull();
    const ping = await a.exec('ping', ['-c1', '-W2', '198.51.100.2']);
    expect(ping.code).toBe(0);
    expect(await a.neighbour('198.51.100.2')).toMatchObject({ mac: b.mac, state: expect.stringMatching(/REACHABLE|STALE|DELAY/) });
    await expect(a.neighbour('10.0.0.1')).rejects.toThrow(NonDocumentationAddressError);

    // arp_ignore=8: b's kernel stops answering ARP at all.
    expect(await b.sysctl('net.ipv4.conf.all.arp_ignore')).toBe('0');
    expect(await b.sysctl('net.ipv4.conf.all.arp_ignore', '8')).toBe('8');
    const cap = await a.capture();
    expect((await arping(a, '198.51.100.2', true)).code).toBe(1);
    await b.sysctl('net.ipv4.conf.all.arp_ignore', '0');
    expect((await arping(a, '198.51.100.2')).code).toBe(0);
    const frames = await cap.stop();
    expect(frames.filter((f) => isArp(f, 'reply', '198.51.100.2'))).toHaveLength(1);

    // Link down: unreachable; up again: answers again.
    await b.setLink('down');
    expect((await arping(a, '198.51.100.2', true)).code).toBe(1);
    await b.setLink('up');
    expect((await arping(a, '198.51.100.2')).code).toBe(0);

    await b.removeAddress('198.51.100.2/24');
    expect(await b.addresses()).toEqual([]);
    expect((await arping(a, '198.51.100.2', true)).code).toBe(1);
  });

  it('refuses a non-documentation address and adds nothing', async () => {
    await using lab = await Lab.create({ hosts: 1 });
    const h = lab.host(0);
    await expect(h.addAddress('10.1.2.3/24')).rejects.toThrow(NonDocumentationAddressError);
    await expect(h.addAddress('192.0.2.10/8')).rejects.toThrow(NonDocumentationAddressError);
    await expect(h.removeAddress('172.16.0.1/24')).rejects.toThrow(NonDocumentationAddressError);
    expect(await h.addresses()).toEqual([]);
  });

  it('adds a host to a running segment', async () => {
    await using lab = await Lab.create({ hosts: 1 });
    await lab.host(0).addAddress('203.0.113.1/24');
    const h = await lab.addHost();
    expect(h.index).toBe(1);
    expect(lab.hosts).toHaveLength(2);
    expect(h.name).toBe(netnsName(lab.id, 'h1'));
    await h.addAddress('203.0.113.2/24');
    const r = await arping(h, '203.0.113.1');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(lab.host(0).mac.toUpperCase());
  });

  it('two labs built at the same time get distinct names and separate segments', async () => {
    const [x, y] = await Promise.all([Lab.create({ hosts: 2 }), Lab.create({ hosts: 2 })]);
    try {
      expect(x.id).not.toBe(y.id);
      expect(x.namespaces.filter((n) => y.namespaces.includes(n))).toEqual([]);
      // The same address in both: a probe in x must only ever hear x's holder.
      await x.host(0).addAddress('192.0.2.50/24');
      await y.host(0).addAddress('192.0.2.50/24');
      const d = await x.host(1).exec('arping', ['-D', '-c2', '-w3', '-I', 'eth0', '192.0.2.50']);
      expect(d.code).toBe(1);
      expect(d.stdout).toContain(x.host(0).mac.toUpperCase());
      expect(d.stdout).not.toContain(y.host(0).mac.toUpperCase());
    } finally {
      await Promise.all([x.destroy(), y.destroy()]);
    }
    expect(listLabNamespaces().filter((n) => x.namespaces.includes(n) || y.namespaces.includes(n))).toEqual([]);
  });

  it('tears everything down when a using-block throws: namespaces, spawned and stray processes', async () => {
    let names: readonly string[] = [];
    let lab!: Lab;
    let tracked = 0;
    let stray = 0;
    await expect(
      (async () => {
        await using l = await Lab.create({ hosts: 2 });
        lab = l;
        names = l.namespaces;
        tracked = l.host(0).spawn('sleep', ['1000']).pid!;
        // A process the lab does not know about, left running inside the namespace.
        const r = await l.host(1).exec('sh', ['-c', 'sleep 1000 >/dev/null 2>&1 & echo $!']);
        stray = Number(r.stdout.trim());
        expect(pidAlive(tracked) && pidAlive(stray)).toBe(true);
        throw new Error('test failure inside the block');
      })(),
    ).rejects.toThrow('test failure inside the block');
    expect(lab.destroyed).toBe(true);
    expect(listLabNamespaces().filter((n) => names.includes(n))).toEqual([]);
    expect(await waitDead(tracked)).toBe(true);
    expect(await waitDead(stray)).toBe(true);
    await expect(lab.host(0).exec('true')).rejects.toThrow(/destroyed/);
    await lab.destroy(); // idempotent
  });

  it('exec times out, and stops the command', async () => {
    await using lab = await Lab.create({ hosts: 1 });
    const r = await lab.host(0).exec('sleep', ['30'], { timeoutMs: 200 });
    expect(r).toMatchObject({ timedOut: true, code: null, signal: 'SIGKILL' });
  });

  describe('when the owning process ends without destroy()', () => {
    const fixture = (mode: string) =>
      spawn(process.execPath, [`${ROOT}node_modules/vite-node/vite-node.mjs`, `${ROOT}test/lab/fixtures/hold-lab.ts`, mode], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    async function started(child: ReturnType<typeof fixture>): Promise<{ namespaces: string[]; sleepPid: number }> {
      const rl = createInterface({ input: child.stdout! });
      const [line] = (await once(rl, 'line')) as [string];
      return JSON.parse(line) as { namespaces: string[]; sleepPid: number };
    }

    it.each(['SIGTERM', 'SIGINT'] as const)('a %s removes its namespaces and processes', async (signal) => {
      const child = fixture('wait');
      const info = await started(child);
      expect(listLabNamespaces()).toEqual(expect.arrayContaining(info.namespaces));
      child.kill(signal);
      const [code, sig] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
      expect(sig ?? code).toBe(signal); // handler cleaned up, then the default action still ended it
      expect(listLabNamespaces().filter((n) => info.namespaces.includes(n))).toEqual([]);
      expect(await waitDead(info.sleepPid)).toBe(true);
    });

    it.each(['exit', 'throw'])('"%s" removes its namespaces on process exit', async (mode) => {
      const child = fixture(mode);
      const info = await started(child);
      await once(child, 'exit');
      expect(listLabNamespaces().filter((n) => info.namespaces.includes(n))).toEqual([]);
      expect(await waitDead(info.sleepPid)).toBe(true);
    });

    it('after SIGKILL, the stale sweep (global setup) removes them, and leaves live owners alone', async () => {
      await using mine = await Lab.create({ hosts: 1 });
      const child = fixture('wait');
      const info = await started(child);
      child.kill('SIGKILL');
      await once(child, 'exit');
      expect(listLabNamespaces()).toEqual(expect.arrayContaining(info.namespaces));
      const report = removeStaleNamespacesSync();
      expect(report.removed).toEqual(expect.arrayContaining(info.namespaces));
      expect(report.failed).toEqual([]);
      expect(listLabNamespaces().filter((n) => info.namespaces.includes(n))).toEqual([]);
      expect(await waitDead(info.sleepPid)).toBe(true);
      expect(listLabNamespaces()).toEqual(expect.arrayContaining([...mine.namespaces]));
    });
  });
});
