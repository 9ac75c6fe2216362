/**
 * The real daemon out of file descriptors: its open-files limit lowered to 64 (prlimit) and every
 * descriptor taken by idle connections to its metrics port (no HTTP connection cap here), a link is
 * added to the host. Reading it fails (EMFILE); the daemon stays up, logs and counts the fault,
 * keeps its watch list, follows an address added meanwhile from its notification, and once the
 * connections go it re-reads the host by itself (backoff retry) and reports a real duplicate.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { DaemonProc } from '../support/daemon-proc.js';
import { labPrereqs, prereqs, requireBuild, requireTool } from '../support/prereq.js';
import { metricsAddress, scrape, until, value } from '../support/scrape.js';

const lab = labPrereqs('curl');
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild(), requireTool('prlimit'));
const A = '192.0.2.10';
const NEW = '192.0.2.30';

/** Opens `count` TCP connections to host:port and holds them until stdin closes; prints how many opened. */
const HOLDER = `
const net = require('node:net');
const [host, port, count] = process.argv.slice(1);
const held = [];
let settled = 0;
for (let i = 0; i < Number(count); i++) {
  const s = net.connect(Number(port), host);
  s.on('connect', () => { held.push(s); if (++settled === Number(count)) console.log(held.length); });
  s.on('error', () => { if (++settled === Number(count)) console.log(held.length); });
}
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;

describe.skipIf(need.skip)(need.title('out of file descriptors'), () => {
  it('EMFILE on a host re-read: up, counted, last view kept, recovers by itself and detects', { timeout: 90_000 }, async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    // No HTTP connection cap here: the connections are the way to exhaust the descriptors (the cap itself is
    // tested in web-limits-e2e.test.ts); what is under test is the host re-read failing.
    const d = await DaemonProc.start(h0, ['--interface', 'eth0', '--probe-interval', '500ms', '--announce-interval', '0', '--web.max-connections', '10000']);
    try {
      const addr = await metricsAddress(d);
      await d.waitFor(d.state(A, 'ok'), 5000);
      const pid = d.child.pid!;
      const lim = spawnSync('prlimit', ['--pid', String(pid), '--nofile=64:64'], { encoding: 'utf8' });
      expect(lim.status, lim.stderr).toBe(0);

      const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), addr.slice(addr.lastIndexOf(':') + 1)];
      const holder = h0.spawn(process.execPath, ['-e', HOLDER, host, port, '200'], { stdio: ['pipe', 'pipe', 'pipe'] });
      await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 500)); // the daemon accepts until it runs out

      const mark = d.mark;
      // A new bridge must be read from sysfs (an address change, and a veth or tap, are taken from
      // the notification itself, which needs no descriptor): out of descriptors, that read fails.
      await h0.exec('ip', ['link', 'add', 'dpx0', 'type', 'bridge']);
      const fault = await d.waitFor((line) => line.event === 'internal-error' && line.where === 'refresh', 10_000, mark);
      expect(JSON.stringify(fault.err)).toContain('EMFILE');
      expect(d.child.exitCode).toBeNull();
      expect(d.events('watch-removed', mark)).toEqual([]); // the last good view is kept
      // Detection goes on meanwhile: an address added now is followed from its notification.
      await h0.addAddress(`${NEW}/24`);
      await d.waitFor((line) => line.event === 'watch-added' && line.address === NEW, 10_000, mark);

      holder.stdin!.end(); // the descriptors come back; the backoff retry re-reads the host
      const text = await until('metrics answer again', async () => scrape(h0, addr).catch(() => null), 10_000);
      expect(value(text, 'dupip_internal_errors_total{where="refresh"}')).toBeGreaterThan(0);
      // Still monitored (whatever scope the lab's eth0 has: it is the host's only way out).
      expect(text).toMatch(new RegExp(`^dupip_address_info\\{address="${A.replaceAll('.', '\\.')}",interface="eth0",role="own",scope="\\w+"\\} 1$`, 'm'));

      const before = d.mark;
      await h1.addAddress(`${NEW}/24`);
      const conflict = await d.waitFor(d.state(NEW, 'conflict'), 5000, before);
      expect(conflict.macs).toEqual([expect.objectContaining({ mac: h1.mac })]);
      expect(d.child.exitCode).toBeNull();
    } finally {
      await d.stop();
      rmSync(d.stateDir, { recursive: true, force: true });
    }
  });
});
