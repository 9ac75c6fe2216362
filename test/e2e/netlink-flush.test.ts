// The addon's flushWatch on a real rtnetlink socket (in a lab host's namespace): while the watch waits
// out a long coalescing delay, a flush reads what the kernel queued and hands it over before it returns,
// which is what lets the daemon know of a removed address before its next probe tick.
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { REPO } from '../support/dupip.js';
import { labPrereqs } from '../support/prereq.js';

const prereq = labPrereqs();

describe.skipIf(prereq.skip)(prereq.title('flushWatch on a real rtnetlink socket'), () => {
  it('hands over a queued address removal synchronously, long before the coalescing delay ends', async () => {
    await using lab = await Lab.create({ hosts: 1 });
    const h0 = lab.host(0);
    await h0.addAddress('192.0.2.10/24');
    // A watcher with a 10 s coalescing delay; "flush" on stdin flushes and prints what was handed over meanwhile.
    const script = `import('${REPO}dist/platform/netlink.js').then(({ watchHostChanges }) => {
      let seen = [];
      const w = watchHostChanges((c) => seen.push(...c.addresses.map((a) => ({ deleted: a.deleted, prefix: a.prefixLength }))), undefined, undefined, 10000);
      require('node:readline').createInterface({ input: process.stdin }).on('line', () => {
        seen = [];
        w.flush();
        console.log(JSON.stringify({ during: seen }));
      });
      console.log('{"ready":true}');
    });`;
    const child = h0.spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const replies: Array<{ during: Array<{ deleted: boolean; prefix: number }> }> = [];
    const waiters: Array<() => void> = [];
    createInterface({ input: child.stdout! }).on('line', (t) => {
      const o = JSON.parse(t) as { ready?: boolean };
      if (!o.ready) replies.push(o as (typeof replies)[number]);
      waiters.shift()?.();
    });
    const next = () => new Promise<void>((r) => waiters.push(r));
    try {
      await next(); // ready
      const started = Date.now();
      await h0.exec('ip', ['addr', 'del', '192.0.2.10/24', 'dev', 'eth0']);
      await new Promise((r) => setTimeout(r, 100));
      child.stdin!.write('flush\n');
      await next();
      expect(Date.now() - started).toBeLessThan(5000); // well inside the 10 s delay
      expect(replies[0]!.during).toContainEqual({ deleted: true, prefix: 24 });
      // Nothing queued: a flush hands over nothing.
      child.stdin!.write('flush\n');
      await next();
      expect(replies[1]!.during).toEqual([]);
    } finally {
      child.kill();
    }
  });
});
