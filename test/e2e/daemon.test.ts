/**
 * `dupip daemon` end to end: the real daemon process in a lab host, real kernels as intruders,
 * peers and bystanders, short intervals. Times come from the daemon's own log and tcpdump on
 * the bridge, both on this machine's clock.
 */
import { describe, expect, it } from 'vitest';
import { Lab, type LabHost } from '../lab/lab.js';
import { labPrereqs } from '../support/prereq.js';
import { DaemonProc, type LogLine } from '../support/daemon-proc.js';

const need = labPrereqs('arping', 'tcpdump', 'ping');
const A = '192.0.2.10';
const V = '198.51.100.10';
const ms = (l: LogLine) => Date.parse(l.time);
const macsOf = (l: LogLine) => (l.macs as Array<{ mac: string }>).map((m) => m.mac).sort();

async function waitNeighbour(host: LabHost, ip: string, mac: string, timeoutMs: number): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const n = await host.neighbour(ip);
    if (n?.mac === mac) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 50));
  }
  return null;
}

describe.skipIf(need.skip)(need.title('dupip daemon in the lab'), () => {
  it('silent intruder: conflict within one probe interval + 1 s, cleared after clear_after clean rounds', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await h0.addAddress(`${A}/24`);
    await h1.addAddress('192.0.2.11/24');
    const d = await DaemonProc.start(h0, ['--probe-interval', '1s', '--clear-after', '2', '--announce-interval', '0']);
    await d.waitFor(d.state(A, 'ok'), 5000);
    const t0 = Date.now();
    await h1.addAddress(`${A}/24`); // says nothing by itself: Linux sends no GARP for a new address
    const conflict = await d.waitFor(d.state(A, 'conflict'), 5000);
    expect(ms(conflict) - t0).toBeLessThan(1000 + 1000);
    expect(macsOf(conflict)).toEqual([h1.mac]);
    expect(conflict.role).toBe('own');
    expect(conflict.level).toBe(50);
    const mark = d.mark;
    const t1 = Date.now();
    await h1.removeAddress(`${A}/24`);
    const cleared = await d.waitFor(d.state(A, 'ok'), 10_000, mark);
    // two clean rounds of 1 s ±20%, plus the round in progress
    expect(ms(cleared) - t1).toBeGreaterThan(1500);
    expect(ms(cleared) - t1).toBeLessThan(4500);
    expect(cleared.from).toBe('conflict');
    expect(cleared.episodeStart).toBe(conflict.episodeStart);
    const stop = await d.stop('SIGTERM');
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(1000);
  });

  it('chatty intruder: conflict within 100 ms of its first frame on the wire', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await h0.addAddress(`${A}/24`);
    // The intruder never answers probes (arp_ignore=8): only what it sends can give it away.
    await h1.sysctl('net.ipv4.conf.all.arp_ignore', '8');
    await h1.addAddress(`${A}/24`);
    const d = await DaemonProc.start(h0, ['--probe-interval', '30s', '--announce-interval', '0']);
    const cap = await lab.bridge.capture({ filter: 'arp' });
    await new Promise((r) => setTimeout(r, 300));
    await h1.exec('arping', ['-U', '-c', '1', '-I', 'eth0', A]);
    const frame = await cap.waitFor((f) => f.arp?.senderIp === A && f.src === h1.mac, 5000);
    const conflict = await d.waitFor(d.state(A, 'conflict'), 5000);
    await cap.stop();
    expect(macsOf(conflict)).toEqual([h1.mac]);
    const latency = ms(conflict) - frame.time * 1000;
    expect(latency).toBeLessThan(100);
  });

  it('healing: a hijacked neighbour entry points back within 1 s with defend once, not with defend never', async () => {
    for (const defend of ['once', 'never'] as const) {
      await using lab = await Lab.create({ hosts: 3 });
      const [h0, h1, h2] = [lab.host(0), lab.host(1), lab.host(2)];
      await h0.addAddress(`${A}/24`);
      await h2.addAddress('192.0.2.12/24');
      await h1.sysctl('net.ipv4.conf.all.arp_ignore', '8');
      await h1.addAddress(`${A}/24`);
      const d = await DaemonProc.start(h0, ['--probe-interval', '30s', '--announce-interval', '0', '--defend', defend]);
      expect((await h2.exec('ping', ['-c', '1', '-W', '1', A])).code).toBe(0);
      expect((await h2.neighbour(A))?.mac).toBe(h0.mac);
      await h1.exec('arping', ['-U', '-c', '1', '-I', 'eth0', A]); // hijack: h2 now sends A's traffic to h1
      await d.waitFor(d.state(A, 'conflict'), 3000);
      const healedIn = await waitNeighbour(h2, A, h0.mac, 1500);
      if (defend === 'once') {
        expect(healedIn).not.toBeNull();
        expect(healedIn!).toBeLessThan(1000);
      } else {
        expect(healedIn).toBeNull();
        expect((await h2.neighbour(A))?.mac).toBe(h1.mac);
      }
    }
  });

  it('delegate: ok with its holder, failover, split brain naming both, unanswered, and held here + by a peer is a conflict', async () => {
    await using lab = await Lab.create({ hosts: 3 });
    const [h0, h1, h2] = [lab.host(0), lab.host(1), lab.host(2)];
    await h0.addAddress('198.51.100.1/24');
    await h1.addAddress('198.51.100.2/24');
    await h2.addAddress('198.51.100.3/24');
    await h1.addAddress(`${V}/24`);
    const d = await DaemonProc.start(h0, ['--probe-interval', '1s', '--delegate', V, '--no-own-addresses', '--announce-interval', '1s']);
    const ok = await d.waitFor((l) => l.event === 'state' && l.address === V && l.to === 'ok', 5000);
    expect(ok.role).toBe('delegate');
    expect(ok.holders).toEqual([h1.mac]);

    let mark = d.mark;
    await h1.removeAddress(`${V}/24`);
    await h2.addAddress(`${V}/24`);
    const failover = await d.waitFor((l) => l.event === 'failover' && l.address === V, 6000, mark);
    expect([failover.from, failover.to]).toEqual([h1.mac, h2.mac]);

    mark = d.mark;
    await h1.addAddress(`${V}/24`);
    const sb = await d.waitFor(d.state(V, 'split-brain'), 5000, mark);
    expect(macsOf(sb)).toEqual([h1.mac, h2.mac].sort());

    mark = d.mark;
    await h1.removeAddress(`${V}/24`);
    await h2.removeAddress(`${V}/24`);
    await d.waitFor(d.state(V, 'unanswered'), 6000, mark);

    mark = d.mark;
    await h1.addAddress(`${V}/24`);
    await h0.addAddress(`${V}/24`);
    const c = await d.waitFor(d.state(V, 'conflict'), 5000, mark);
    expect(c.held).toBe(true);
    expect(macsOf(c)).toEqual([h1.mac]);
    // No conflict was ever raised while the delegate was held elsewhere.
    expect(d.lines.filter((l) => l.event === 'state' && l.to === 'conflict')).toHaveLength(1);
    // And it never announced the delegate while this host did not hold it.
    const announcedBeforeHeld = d.lines.slice(0, mark).filter((l) => l.event === 'sent' && l.kind !== 'probe');
    expect(announcedBeforeHeld).toEqual([]);
  });

  it('an address added at runtime is monitored within 1 s; once removed it is never announced again', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const [h0] = [lab.host(0)];
    await h0.addAddress(`${A}/24`);
    const d = await DaemonProc.start(h0, ['--probe-interval', '1s', '--announce-interval', '1s']);
    await d.waitFor(d.state(A, 'ok'), 5000);
    const cap = await lab.bridge.capture({ filter: 'arp' });
    const B = '192.0.2.20';
    const t0 = Date.now();
    await h0.addAddress(`${B}/24`);
    const added = await d.waitFor((l) => l.event === 'watch-added' && l.address === B, 3000);
    expect(ms(added) - t0).toBeLessThan(1000);
    const probe = await cap.waitFor((f) => f.arp?.kind === 'probe' && f.arp.targetIp === B, 3000);
    expect(probe.time * 1000 - t0).toBeLessThan(1000);
    // it is announced while held (so the capture below could see one)
    await cap.waitFor((f) => f.arp?.kind === 'announcement' && f.arp.senderIp === B && f.src === h0.mac, 6000);
    await h0.removeAddress(`${B}/24`);
    const removedAt = Date.now();
    await d.waitFor((l) => l.event === 'watch-removed' && l.address === B, 3000);
    await new Promise((r) => setTimeout(r, 5000));
    const frames = await cap.stop();
    const after = frames.filter((f) => f.time * 1000 > removedAt + 50 && f.src === h0.mac && (f.arp?.senderIp === B || f.arp?.targetIp === B));
    expect(after).toEqual([]);
    // A is still announced: the capture was live the whole time
    expect(frames.some((f) => f.time * 1000 > removedAt + 1000 && f.arp?.kind === 'announcement' && f.arp.senderIp === A)).toBe(true);
  });

  it('a MAC on the ignore list answering (a proxy-ARP gateway) is no conflict; the same answer unignored is', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await h0.addAddress(`${A}/24`);
    await h1.addAddress(`${A}/24`); // answers every probe for A
    const d = await DaemonProc.start(h0, ['--probe-interval', '500ms', '--ignore-mac', h1.mac.toUpperCase()]);
    await d.waitFor(d.state(A, 'ok'), 3000);
    await new Promise((r) => setTimeout(r, 2500));
    expect(d.lines.filter((l) => l.event === 'state' && l.to === 'conflict')).toEqual([]);
    await d.stop();
    const control = await DaemonProc.start(h0, ['--probe-interval', '500ms']);
    await control.waitFor(control.state(A, 'conflict'), 3000);
  });

  it('interface down then up: reported, and monitoring resumes without a restart', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await h0.addAddress(`${A}/24`);
    await h1.addAddress('192.0.2.11/24');
    const d = await DaemonProc.start(h0, ['--probe-interval', '1s']);
    await d.waitFor(d.state(A, 'ok'), 5000);
    await h0.setLink('down');
    await d.waitFor((l) => l.event === 'interface-down' && l.interface === 'eth0', 3000);
    await new Promise((r) => setTimeout(r, 1000));
    await h0.setLink('up');
    await h0.exec('ip', ['addr', 'replace', `${A}/24`, 'dev', 'eth0']); // addresses survive, routes may not: harmless
    await d.waitFor((l) => l.event === 'interface-up' && l.interface === 'eth0', 3000);
    const mark = d.mark;
    await h1.addAddress(`${A}/24`);
    const c = await d.waitFor(d.state(A, 'conflict'), 5000, mark);
    expect(macsOf(c)).toEqual([h1.mac]);
    expect(d.child.exitCode).toBeNull();
  });

  it('SIGHUP reloads the configuration; an invalid one is refused and the running one kept', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const h0 = lab.host(0);
    await h0.addAddress(`${A}/24`);
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'dupip-hup-'));
    const cfg = join(dir, 'dupip.yml');
    writeFileSync(cfg, 'probe_interval: 1s\nannounce_interval: 0\n');
    const d = await DaemonProc.start(h0, ['--config', cfg]);
    await d.waitFor(d.state(A, 'ok'), 5000);
    writeFileSync(cfg, `probe_interval: 1s\ndelegates:\n  - address: ${V}\n    interface: eth0\n`);
    d.child.kill('SIGHUP');
    await d.waitFor((l) => l.event === 'reloaded', 3000);
    await d.waitFor((l) => l.event === 'watch-added' && l.address === V, 3000);
    writeFileSync(cfg, 'probe_interval: fast\n');
    d.child.kill('SIGHUP');
    const refused = await d.waitFor((l) => l.event === 'reload-refused', 3000);
    expect(String(refused.err)).toMatch(/probe_interval/);
    expect(d.child.exitCode).toBeNull();
    const stop = await d.stop('SIGINT');
    expect(stop.code).toBe(0);
    expect(stop.ms).toBeLessThan(1000);
  });
});
