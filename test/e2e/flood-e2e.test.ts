/**
 * Under a spoofing flood of 100,000 frames from distinct MACs claiming a watched address, the
 * daemon's series stay bounded (at most 8 MACs listed, the rest counted) and its memory flat.
 * An unwatched flood adds no series either; a claim for another address amid the flood is still
 * seen at once. Frames come from test/tools/arp-flood.mjs in a second lab host.
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Lab, type LabHost } from '../lab/lab.js';
import { DaemonProc } from '../support/daemon-proc.js';
import { REPO } from '../support/dupip.js';
import { labPrereqs, prereqs, requireBuild } from '../support/prereq.js';
import { metricsAddress, rssBytes, samples, scrape, status, until, value } from '../support/scrape.js';

const lab = labPrereqs('curl');
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild());
const A = '192.0.2.10';
const FLOOD = `${REPO}test/tools/arp-flood.mjs`;
const MB = 1024 * 1024;

async function flood(host: LabHost, args: string[]) {
  const r = await host.exec(process.execPath, [FLOOD, '--interface', host.ifname, ...args], { timeoutMs: 50_000 });
  if (r.code !== 0) throw new Error(`arp-flood: exit ${r.code}: ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as { sent: number; dropped: number; seconds: number; rate: number };
}

describe.skipIf(need.skip)(need.title('spoofing flood'), () => {
  it('100,000 spoofed MACs: series bounded, RSS flat, status still answers', { timeout: 120_000 }, async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    await h1.addAddress('192.0.2.20/24');
    const d = await DaemonProc.start(h0, ['--interface', 'eth0', '--probe-interval', '500ms', '--announce-interval', '0']);
    try {
      const pid = d.child.pid!;
      const addr = await metricsAddress(d);
      await d.waitFor(d.state(A, 'ok'), 5000);
      const clean = await scrape(h0, addr);
      const dupipSeries = (t: string) => samples(t).filter((s) => s.startsWith('dupip_'));
      const s0 = dupipSeries(clean).length;
      const all0 = samples(clean).length;

      // Warm-up with frames the kernel filter should drop: no new series, few frames reach the daemon.
      const received = (t: string) => value(t, 'dupip_frames_received_total{interface="eth0"}')!;
      const unwatched = await flood(h1, ['--mode', 'unwatched', '--subnet', '198.51.100.0/24', '--count', '10000', '--rate', '20000', '--seed', '7']);
      expect(unwatched.sent).toBe(10_000);
      const afterUnwatched = await scrape(h0, addr);
      expect(dupipSeries(afterUnwatched).length).toBe(s0);
      expect(received(afterUnwatched) - received(clean)).toBeLessThan(100);
      const rss0 = await rssBytes(pid);

      const spoof = await flood(h1, ['--mode', 'spoof', '--address', A, '--count', '100000', '--rate', '25000', '--seed', '11']);
      expect(spoof.sent).toBe(100_000);
      const text = await until('the flood counted', async () => {
        const t = await scrape(h0, addr);
        return (value(t, `dupip_conflict_macs_overflow_total{address="${A}"}`) ?? 0) > 1000 && t;
      });
      const rss1 = await rssBytes(pid);
      const s1 = dupipSeries(text).length;
      const macSeries = samples(text).filter((s) => s.startsWith(`dupip_conflict_macs_info{address="${A}"`));
      const overflow = value(text, `dupip_conflict_macs_overflow_total{address="${A}"}`)!;
      console.log(
        `flood: ${spoof.sent} frames in ${spoof.seconds}s; dupip series ${s0} → ${s1} (all ${all0} → ${samples(text).length}); ` +
          `${macSeries.length} MACs listed, overflow ${overflow}, frames received ${received(text)}; ` +
          `RSS ${(rss0 / MB).toFixed(1)} → ${(rss1 / MB).toFixed(1)} MB`,
      );
      expect(value(text, `dupip_conflict{address="${A}",interface="eth0",role="own"}`)).toBe(1);
      expect(macSeries).toHaveLength(8);
      expect(s1 - s0).toBeLessThanOrEqual(8);
      expect(rss1 - rss0).toBeLessThan(30 * MB);

      const st = await status(['--control-socket', d.controlSocket, '--json']);
      expect(st.code).toBe(1);
      const report = JSON.parse(st.stdout) as { addresses: Array<{ macs: string[]; macOverflow: number }> };
      expect(report.addresses[0]!.macs).toHaveLength(8);
      expect(report.addresses[0]!.macOverflow).toBe(overflow);
    } finally {
      await d.stop();
      rmSync(d.stateDir, { recursive: true, force: true });
    }
  });

  it('a claim for another address amid a flood is still logged within 100 ms of the wire (the burst pauses are ≤ 32 ms)', { timeout: 90_000 }, async () => {
    await using l = await Lab.create({ hosts: 3 });
    const [h0, h1, h2] = [l.host(0), l.host(1), l.host(2)];
    const B = '192.0.2.11';
    await h0.addAddress(`${A}/24`);
    await h0.addAddress(`${B}/24`);
    await h1.addAddress('192.0.2.20/24');
    // The intruder never answers probes (arp_ignore=8): only its gratuitous ARP can give it away.
    await h2.sysctl('net.ipv4.conf.all.arp_ignore', '8');
    await h2.addAddress(`${B}/24`);
    const d = await DaemonProc.start(h0, ['--interface', 'eth0', '--probe-interval', '2s', '--announce-interval', '0']);
    try {
      await d.waitFor(d.state(B, 'ok'), 10_000);
      const cap = await l.bridge.capture({ filter: `arp and ether src ${h2.mac}` });
      const running = flood(h1, ['--mode', 'spoof', '--address', A, '--count', '40000', '--rate', '10000', '--seed', '13']);
      await d.waitFor(d.state(A, 'conflict'), 5000); // the flood is being read
      await new Promise((r) => setTimeout(r, 500));
      await h2.exec('arping', ['-U', '-c', '1', '-I', 'eth0', B]);
      const frame = await cap.waitFor((f) => f.arp?.senderIp === B, 5000);
      const conflict = await d.waitFor(d.state(B, 'conflict'), 5000);
      await cap.stop();
      expect((await running).sent).toBe(40_000);
      const latency = Date.parse(conflict.time) - frame.time * 1000;
      console.log(`claim amid a 10,000 frames/s flood: conflict logged ${latency.toFixed(1)} ms after the wire`);
      expect(latency).toBeLessThan(100);
    } finally {
      await d.stop();
      rmSync(d.stateDir, { recursive: true, force: true });
    }
  });
});
