/** No false positives: five hosts with distinct addresses, each running the daemon at a 1 s probe interval, for 2 minutes. */
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { labPrereqs } from '../support/prereq.js';
import { DaemonProc } from '../support/daemon-proc.js';

const need = labPrereqs();
const SOAK_MS = 120_000;

describe.skipIf(need.skip)(need.title('no false positives'), () => {
  it('5 hosts, distinct addresses, 1 s probe interval, 2 minutes: zero conflicts', { timeout: SOAK_MS + 60_000 }, async () => {
    await using lab = await Lab.create({ hosts: 5 });
    const daemons: DaemonProc[] = [];
    for (let i = 0; i < 5; i++) {
      const h = lab.host(i);
      await h.addAddress(`203.0.113.${10 + i}/24`);
      daemons.push(await DaemonProc.start(h, ['--probe-interval', '1s', '--announce-interval', '5s']));
    }
    const cap = await lab.bridge.capture({ filter: 'arp' });
    await new Promise((r) => setTimeout(r, SOAK_MS));
    const frames = await cap.stop();
    for (const [i, d] of daemons.entries()) {
      const states = d.lines.filter((l) => l.event === 'state').map((l) => `${l.address}:${l.to}`);
      expect(states).toEqual([`203.0.113.${10 + i}:ok`]);
      // the daemon really worked the whole time: ~120 probes (1 s ±20%) and ~24 announcements on the wire
      const mine = frames.filter((f) => f.src === lab.host(i).mac);
      expect(mine.filter((f) => f.arp?.kind === 'probe').length).toBeGreaterThan(90);
      expect(mine.filter((f) => f.arp?.kind === 'announcement').length).toBeGreaterThan(15);
      expect(d.child.exitCode).toBeNull();
    }
    const bad = daemons.flatMap((d) => d.lines.filter((l) => l.level >= 40));
    expect(bad).toEqual([]);
  });
});
