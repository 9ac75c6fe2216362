/**
 * Takeover-safe probing and split brain only when it is one (issue 10 items 1 and 4), with real
 * hosts: a peer running RFC 5227 probe windows (test/tools/acd-probe.py, gaps shortened to 400 ms
 * so each window listens 1.6 s, more than one of dupip's 1 s probe intervals) is never aborted by
 * dupip, while `arping -D` (the old prober's frames) aborts it; tcpdump on the bridge shows no
 * frame from dupip with sender IP 0.0.0.0 for the delegate; clean failovers in a row are failovers,
 * and two real holders at once are a split brain within 1 s.
 */
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { Lab, type LabHost } from '../lab/lab.js';
import { labPrereqs } from '../support/prereq.js';
import { DaemonProc, type LogLine } from '../support/daemon-proc.js';
import { REPO } from '../support/dupip.js';

const need = labPrereqs('arping', 'tcpdump', 'python3');
const V = '198.51.100.10';
const ms = (l: LogLine) => Date.parse(l.time);
const macsOf = (l: LogLine) => (l.macs as Array<{ mac: string }>).map((m) => m.mac).sort();
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** Runs one probe window on `host`; `whileListening` starts once its socket is open. */
async function probeWindow(host: LabHost, whileListening?: () => Promise<unknown>): Promise<{ result: string; reason?: string; mac?: string }> {
  const child = host.spawn('python3', [`${REPO}test/tools/acd-probe.py`, host.ifname, V, '3', '400']);
  const lines = createInterface({ input: child.stdout! });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit');
  let other: Promise<unknown> | undefined;
  let last = '';
  for await (const line of lines) {
    last = line;
    if (line.includes('"listening"') && whileListening) other = whileListening();
  }
  const [code] = (await exited) as [number | null];
  await other;
  expect(code, stderr).toBe(0);
  return JSON.parse(last) as { result: string };
}

describe.skipIf(need.skip)(need.title('takeover-safe delegate probing in the lab'), () => {
  it('a peer running RFC 5227 probe windows for the VIP is never aborted by dupip; the old prober does abort it', { timeout: 90_000 }, async () => {
    await using lab = await Lab.create({ hosts: 3 });
    const [h0, h1, h2] = [lab.host(0), lab.host(1), lab.host(2)];
    await h0.addAddress('198.51.100.1/24');
    await h1.addAddress('198.51.100.2/24');
    await h2.addAddress('198.51.100.3/24');
    // The control, before dupip runs: an RFC 5227 prober for the same address (dupip's old frames) aborts the window.
    // arping -D starts once the window listens, and probes at once.
    const aborted = await probeWindow(h1, () => h2.exec('arping', ['-D', '-I', h2.ifname, '-c', '2', V]));
    expect(aborted).toMatchObject({ result: 'aborted', reason: 'probe', mac: h2.mac });

    const cap = await lab.bridge.capture();
    const d = await DaemonProc.start(h0, ['--probe-interval', '1s', '--delegate', V, '--no-own-addresses', '--announce-interval', '0']);
    await d.waitFor(d.state(V, 'unanswered'), 6000);

    // Takeovers with address conflict detection while dupip watches the VIP at 1 s.
    const results: string[] = [];
    for (let i = 0; i < 5; i++) {
      const w = await probeWindow(h1);
      results.push(w.result === 'succeeded' ? 'succeeded' : `aborted by ${w.mac} (${w.reason})`);
      if (w.result !== 'succeeded') continue;
      const mark = d.mark;
      await h1.addAddress(`${V}/24`);
      await h1.exec('arping', ['-U', '-c', '1', '-I', h1.ifname, V]);
      const ok = await d.waitFor(d.state(V, 'ok'), 3000, mark);
      expect(ok.holders).toEqual([h1.mac]);
      const gone = d.mark;
      await h1.removeAddress(`${V}/24`);
      await d.waitFor(d.state(V, 'unanswered'), 5000, gone);
    }
    expect(results).toEqual(Array(5).fill('succeeded'));

    // A split brain is still reported.
    const mark = d.mark;
    await h1.addAddress(`${V}/24`);
    await h2.addAddress(`${V}/24`);
    const sb = await d.waitFor(d.state(V, 'split-brain'), 5000, mark);
    expect(macsOf(sb)).toEqual([h1.mac, h2.mac].sort());

    const frames = await cap.stop();
    const fromDupip = frames.filter((f) => f.src === h0.mac && f.arp);
    expect(fromDupip.length).toBeGreaterThanOrEqual(10);
    expect(fromDupip.filter((f) => f.arp!.senderIp === '0.0.0.0')).toEqual([]);
    expect(fromDupip.every((f) => f.arp!.op === 1 && f.arp!.senderIp === '198.51.100.1' && f.arp!.targetIp === V)).toBe(true);
  });

  it('20 clean failovers in a row at 1 s are 20 failovers and no split brain; two holders at once are one within 1 s', { timeout: 120_000 }, async () => {
    await using lab = await Lab.create({ hosts: 3 });
    const [h0, h1, h2] = [lab.host(0), lab.host(1), lab.host(2)];
    await h0.addAddress('198.51.100.1/24');
    await h1.addAddress('198.51.100.2/24');
    await h2.addAddress('198.51.100.3/24');
    await h1.addAddress(`${V}/24`);
    const d = await DaemonProc.start(h0, ['--probe-interval', '1s', '--delegate', V, '--no-own-addresses', '--announce-interval', '0']);
    await d.waitFor(d.state(V, 'ok'), 5000);
    const start = d.mark;

    let [from, to] = [h1, h2];
    for (let i = 0; i < 20; i++) {
      // Anywhere in the probe interval, so that some takeovers fall inside a round the old holder answered.
      await sleep(Math.random() * 1000);
      const mark = d.mark;
      await from.removeAddress(`${V}/24`);
      await to.addAddress(`${V}/24`);
      await to.exec('arping', [i % 2 === 0 ? '-U' : '-A', '-c', '1', '-I', to.ifname, V]);
      const f = await d.waitFor((l) => l.event === 'failover' && l.address === V, 3000, mark);
      expect([f.from, f.to]).toEqual([from.mac, to.mac]);
      [from, to] = [to, from];
    }
    const after = d.lines.slice(start);
    expect(after.filter((l) => l.event === 'failover')).toHaveLength(20);
    expect(after.filter((l) => l.event === 'state' && l.to === 'split-brain')).toEqual([]);

    // Two real holders at once.
    await sleep(500);
    const mark = d.mark;
    const t0 = Date.now();
    await to.addAddress(`${V}/24`);
    const sb = await d.waitFor(d.state(V, 'split-brain'), 3000, mark);
    expect(ms(sb) - t0).toBeLessThan(1000 + 200);
    expect(macsOf(sb)).toEqual([h1.mac, h2.mac].sort());
  });
});
