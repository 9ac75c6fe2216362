/**
 * MAC-overflow sequences against the real daemon (issue "Nothing on the segment takes dupip
 * down", 1): 8 contesting probers then a claim from a 9th MAC, crafted from a peer namespace
 * (test/tools/arp-send.mjs); a delegate held by 10 real peer hosts at once. Each case runs, the
 * daemon restarts on the same state directory, the case runs again: the daemon stays up, reports
 * the conflict naming the listed MACs, and the history survives. Each case ends by planting a
 * real duplicate and seeing it detected.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/control/protocol.js';
import { decodeRecord } from '../../src/journal/records.js';
import { Lab, type LabHost } from '../lab/lab.js';
import { DaemonProc, type LogLine } from '../support/daemon-proc.js';
import { REPO } from '../support/dupip.js';
import { labPrereqs, prereqs, requireBuild } from '../support/prereq.js';
import { status, until } from '../support/scrape.js';

const lab = labPrereqs();
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild());
const SEND = `${REPO}test/tools/arp-send.mjs`;
const A = '192.0.2.10';
const V = '198.51.100.10';
const macsOf = (l: LogLine) => (l.macs as Array<{ mac: string }>).map((m) => m.mac);
const crafted = (i: number) => `02:0e:00:00:00:${i.toString(16).padStart(2, '0')}`;

async function send(host: LabHost, frames: Array<{ op: 1 | 2; senderMac: string; senderIp: string; targetIp: string }>) {
  const r = await host.exec(process.execPath, [SEND, '--interface', host.ifname, '--frames', JSON.stringify(frames)], { timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`arp-send: exit ${r.code}: ${r.stderr}${r.stdout}`);
}

async function report(d: DaemonProc): Promise<StatusReport> {
  const r = await status(['--control-socket', d.controlSocket, '--json']);
  if (r.code === 2) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as StatusReport;
}

/** Every journal line decodes. */
function journalLines(stateDir: string): number {
  const lines = readFileSync(join(stateDir, 'history.jsonl'), 'utf8').split('\n').filter(Boolean);
  for (const l of lines) expect(decodeRecord(l), l).not.toBeNull();
  return lines.length;
}

const alive = (d: DaemonProc) => expect(d.child.exitCode, `daemon exited: ${d.stderr.join('')}`).toBeNull();

describe.skipIf(need.skip)(need.title('MAC overflow against the real daemon'), () => {
  it('8 contesting probers, then a claim from a 9th MAC: a conflict naming the claimer, before and after a restart', { timeout: 120_000 }, async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    await h1.addAddress('192.0.2.20/24');
    const args = ['--interface', 'eth0', '--probe-interval', '500ms', '--clear-after', '2', '--announce-interval', '0', '--defend', 'never'];
    let d = await DaemonProc.start(h0, args);
    const { stateDir } = d;
    try {
      for (const run of [1, 2]) {
        await d.waitFor(d.state(A, 'ok'), 5000);
        const mark = d.mark;
        const claimer = crafted(0x90 + run);
        const probes = Array.from({ length: 8 }, (_, i) => ({ op: 1 as const, senderMac: crafted(run * 16 + i), senderIp: '0.0.0.0', targetIp: A }));
        await send(h1, [...probes, { op: 1, senderMac: claimer, senderIp: A, targetIp: A }]);
        const conflict = await d.waitFor(d.state(A, 'conflict'), 5000, mark);
        expect(conflict.from).toBe('contested');
        expect(macsOf(conflict)).toEqual([claimer]);
        expect(conflict.episodeMacs).toEqual([claimer]);
        const contested = d.lines.slice(mark).find((x) => x.event === 'state' && x.to === 'contested')!;
        expect(contested).toBeDefined();
        const listed = (await until('the contest listed 8 probers', async () => {
          const lines = d.lines.slice(mark).filter((x) => x.event === 'conflict-mac' || (x.event === 'state' && x.to === 'contested'));
          return lines.length === 8 && lines;
        })).flatMap(macsOf);
        expect(listed.sort()).toEqual(probes.map((p) => p.senderMac).sort());
        await d.waitFor(d.state(A, 'ok'), 10_000, d.lines.indexOf(conflict));
        alive(d);
        const r = await report(d);
        expect(r.history.filter((e) => e.kind === 'conflict').map((e) => [e.status, e.macs])).toEqual(
          Array.from({ length: run }, (_, i) => ['ended', [crafted(0x91 + i)]]),
        );
        expect(journalLines(stateDir)).toBe(2 * run);
        if (run === 1) {
          expect((await d.stop()).code).toBe(0);
          d = await DaemonProc.start(h0, args, { stateDir });
        }
      }
      // A real duplicate: the peer's kernel answers the daemon's probe.
      const mark = d.mark;
      await h1.addAddress(`${A}/24`);
      const real = await d.waitFor(d.state(A, 'conflict'), 5000, mark);
      expect(macsOf(real)).toEqual([h1.mac]);
      alive(d);
    } finally {
      await d.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('a delegate held by 10 peers at once: one split brain of 8 listed MACs, the rest counted, before and after a restart', { timeout: 180_000 }, async () => {
    await using l = await Lab.create({ hosts: 11 });
    const h0 = l.host(0);
    const peers = Array.from({ length: 10 }, (_, i) => l.host(i + 1));
    await h0.addAddress('198.51.100.2/24');
    await Promise.all(peers.map((p, i) => p.addAddress(`198.51.100.${20 + i}/24`)));
    const peerMacs = new Set(peers.map((p) => p.mac));
    const args = ['--interface', 'eth0', '--probe-interval', '500ms', '--clear-after', '2', '--announce-interval', '0', '--delegate', `${V}@eth0`];
    let d = await DaemonProc.start(h0, args);
    const { stateDir } = d;
    try {
      for (const run of [1, 2]) {
        await d.waitFor(d.state(V, 'unanswered'), 5000);
        const mark = d.mark;
        await Promise.all(peers.map((p) => p.addAddress(`${V}/32`)));
        const sb = await d.waitFor(d.state(V, 'split-brain'), 5000, mark);
        for (const m of macsOf(sb)) expect(peerMacs.has(m)).toBe(true);
        // Several rounds with 10 holders: the list fills to 8 and the rest is counted.
        const full = await until('8 MACs listed and the rest counted', async () => {
          const a = (await report(d)).addresses.find((x) => x.address === V)!;
          return a.state === 'split-brain' && a.macs.length === 8 && a.macOverflow > 0 && a;
        }, 15_000);
        for (const m of full.macs) expect(peerMacs.has(m)).toBe(true);
        await new Promise((r) => setTimeout(r, 2000)); // more rounds, answered in a different order each time
        alive(d);
        await Promise.all(peers.slice(1).map((p) => p.removeAddress(`${V}/32`)));
        await d.waitFor(d.state(V, 'ok'), 10_000, d.lines.indexOf(sb));
        await peers[0]!.removeAddress(`${V}/32`);
        const r = await report(d);
        const eps = r.history.filter((e) => e.kind === 'split-brain');
        expect(eps).toHaveLength(run);
        for (const e of eps) {
          expect(e.status).toBe('ended');
          expect(e.macs.length).toBeGreaterThanOrEqual(8);
          for (const m of e.macs) expect(peerMacs.has(m)).toBe(true);
        }
        journalLines(stateDir);
        if (run === 1) {
          expect((await d.stop()).code).toBe(0);
          d = await DaemonProc.start(h0, args, { stateDir });
        }
      }
      // A real duplicate of the daemon's own address.
      const mark = d.mark;
      await peers[3]!.addAddress('198.51.100.2/24');
      const real = await d.waitFor(d.state('198.51.100.2', 'conflict'), 5000, mark);
      expect(macsOf(real)).toEqual([peers[3]!.mac]);
      alive(d);
    } finally {
      await d.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
