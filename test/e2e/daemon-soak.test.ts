/**
 * No false positives: five dual-stack hosts with distinct addresses (IPv4 and IPv6, the kernel's own
 * ARP and ND answers), each running the daemon at a 1 s probe interval, for 2 minutes.
 */
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { ndCapture } from '../lab/nd-capture.js';
import { labPrereqs } from '../support/prereq.js';
import { DaemonProc } from '../support/daemon-proc.js';

const need = labPrereqs();
const SOAK_MS = 120_000;

describe.skipIf(need.skip)(need.title('no false positives'), () => {
  it('5 hosts, distinct IPv4 and IPv6 addresses, 1 s probe interval, 2 minutes: zero conflicts', { timeout: SOAK_MS + 60_000 }, async () => {
    await using lab = await Lab.create({ hosts: 5 });
    const daemons: DaemonProc[] = [];
    for (let i = 0; i < 5; i++) {
      const h = lab.host(i);
      await h.addAddress(`203.0.113.${10 + i}/24`);
      await h.enableIpv6();
      const r = await h.exec('ip', ['-6', 'addr', 'add', `2001:db8::${10 + i}/64`, 'dev', h.ifname, 'nodad']);
      expect(r.code, r.stderr).toBe(0);
    }
    for (let i = 0; i < 5; i++) daemons.push(await DaemonProc.start(lab.host(i), ['--probe-interval', '1s', '--announce-interval', '5s']));
    const cap = await lab.bridge.capture({ filter: 'arp' });
    const nd = await ndCapture(lab);
    await new Promise((r) => setTimeout(r, SOAK_MS));
    const frames = await cap.stop();
    const ndFrames = await nd.stop();
    for (const [i, d] of daemons.entries()) {
      const states = d.lines.filter((l) => l.event === 'state').map((l) => `${l.address}:${l.to}`);
      // link-local addresses are not watched by default (ipv6_link_local)
      expect(states.sort()).toEqual([`2001:db8::${10 + i}:ok`, `203.0.113.${10 + i}:ok`]);
      // the daemon really worked the whole time: ~120 probes (1 s ±20%) and ~24 announcements on the wire
      const mine = frames.filter((f) => f.src === lab.host(i).mac);
      expect(mine.filter((f) => f.arp?.kind === 'probe').length).toBeGreaterThan(90);
      expect(mine.filter((f) => f.arp?.kind === 'announcement').length).toBeGreaterThan(15);
      // and for IPv6: DAD-style solicitations from :: for its held address, unsolicited advertisements
      const nd6 = ndFrames.filter((f) => f.src === lab.host(i).mac && f.target === `2001:db8::${10 + i}`);
      expect(nd6.filter((f) => f.kind === 'ns' && f.from === '::').length).toBeGreaterThan(90);
      expect(nd6.filter((f) => f.kind === 'na').length).toBeGreaterThan(15);
      expect(d.child.exitCode).toBeNull();
    }
    const bad = daemons.flatMap((d) => d.lines.filter((l) => l.level >= 40));
    expect(bad).toEqual([]);
  });
});
