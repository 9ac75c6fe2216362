/**
 * Intruder details end to end: real hosts in the lab whose MACs are set (`ip link set address`)
 * to a registered OUI, a locally administered MAC and a VRRP MAC; the real daemon's log, `dupip
 * status` and its journal name what each is. And the notify command: start and end of an
 * episode on its stdin; a hanging or failing one killed at its timeout, logged, counted, while
 * detection goes on.
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab, type LabHost } from '../lab/lab.js';
import { DaemonProc, type LogLine } from '../support/daemon-proc.js';
import { dupip } from '../support/dupip.js';
import { labPrereqs } from '../support/prereq.js';
import { metricsAddress, scrape, status, until, value } from '../support/scrape.js';

const need = labPrereqs('curl');
const INTEL = '00:1b:21:aa:bb:01'; // MA-L 00-1B-21, Intel Corporate
const LOCAL = '06:00:00:aa:bb:02';
const VRRP = '00:00:5e:00:01:07';

async function setMac(h: LabHost, mac: string) {
  const r = await h.exec('ip', ['link', 'set', 'dev', h.ifname, 'address', mac]);
  if (r.code !== 0) throw new Error(`ip link set address ${mac}: ${r.stderr}`);
}

function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const conflictOn = (address: string) => (l: LogLine) => l.event === 'state' && l.address === address && l.to === 'conflict';

describe.skipIf(need.skip)(need.title('intruder details and notifications in the lab'), () => {
  it('the vendor of a registered OUI, "locally administered" and a VRRP MAC in the log, status and journal', async () => {
    await using lab = await Lab.create({ hosts: 4 });
    const [h0, h1, h2, h3] = [lab.host(0), lab.host(1), lab.host(2), lab.host(3)];
    await setMac(h1, INTEL);
    await setMac(h2, LOCAL);
    await setMac(h3, VRRP);
    for (const a of ['192.0.2.10', '192.0.2.20', '192.0.2.30']) await h0.addAddress(`${a}/24`);
    const d = await DaemonProc.start(h0, ['--probe-interval', '1s', '--announce-interval', '0', '--clear-after', '2']);
    await d.waitFor((l) => l.event === 'state' && l.to === 'ok' && l.address === '192.0.2.30', 5000);
    await h1.addAddress('192.0.2.10/24');
    await h2.addAddress('192.0.2.20/24');
    await h3.addAddress('192.0.2.30/24');
    const logs = await Promise.all(['192.0.2.10', '192.0.2.20', '192.0.2.30'].map((a) => d.waitFor(conflictOn(a), 8000)));

    // the log: structured fields and the message
    const [intel, local, vrrp] = logs.map((l) => (l.macs as Array<Record<string, unknown>>)[0]!) as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    expect(intel).toMatchObject({ mac: INTEL, vendor: 'Intel Corporate', locallyAdministered: false, multicast: false, frames: expect.any(Number) });
    expect(intel.firstSeen).toMatch(/^\d{4}-/);
    expect(local).toMatchObject({ mac: LOCAL, locallyAdministered: true, description: 'locally administered' });
    expect(local.vendor).toBeUndefined();
    expect(vrrp).toMatchObject({ mac: VRRP, virtual: 'VRRP IPv4 virtual router 7' });
    expect(logs[0]!.msg).toContain(`${INTEL} (Intel Corporate)`);
    expect(logs[1]!.msg).toContain(`${LOCAL} (locally administered)`);
    expect(logs[2]!.msg).toContain('VRRP IPv4 virtual router 7');

    // dupip status: --json and the table
    const json = await status(['--control-socket', d.controlSocket, '--json']);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { addresses: Array<{ address: string; intruders: Array<Record<string, unknown>> }> };
    const intruders = (a: string) => report.addresses.find((x) => x.address === a)!.intruders;
    expect(intruders('192.0.2.10')).toEqual([expect.objectContaining({ mac: INTEL, vendor: 'Intel Corporate', frames: expect.any(Number), firstSeen: expect.any(String), lastSeen: expect.any(String) })]);
    expect(intruders('192.0.2.20')[0]).toMatchObject({ mac: LOCAL, locallyAdministered: true });
    expect(intruders('192.0.2.30')[0]).toMatchObject({ mac: VRRP, virtual: 'VRRP IPv4 virtual router 7' });
    const table = await status(['--control-socket', d.controlSocket]);
    expect(table.stdout).toMatch(new RegExp(`192\\.0\\.2\\.10 on eth0: ${INTEL}  Intel Corporate; first seen .* ago, last seen .* ago, \\d+ frame\\(s\\)`));
    expect(table.stdout).toContain(`192.0.2.20 on eth0: ${LOCAL}  locally administered`);
    expect(table.stdout).toContain(`192.0.2.30 on eth0: ${VRRP}  ICANN, IANA Department; VRRP IPv4 virtual router 7`);

    // the journal: the start records carry what each MAC is
    const records = readFileSync(join(d.stateDir, 'history.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const info = Object.assign({}, ...records.map((r) => r.macInfo ?? {}));
    expect(info).toMatchObject({ [INTEL]: 'Intel Corporate', [LOCAL]: 'locally administered', [VRRP]: 'ICANN, IANA Department; VRRP IPv4 virtual router 7' });

    // dupip probe from the same host names the vendor too
    const probe = await dupip(h0, ['probe', '192.0.2.10', '-c', '1', '-w', '500ms', '--json']);
    expect(probe.code).toBe(1);
    expect(JSON.parse(probe.stdout).macs[0]).toMatchObject({ mac: INTEL, vendor: 'Intel Corporate' });
    expect(await d.stop()).toMatchObject({ code: 0 });
  });

  it('the notify command gets the start and the end of an episode as JSON on stdin', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const [h0, h1] = [lab.host(0), lab.host(1)];
    const dir = mkdtempSync(join(tmpdir(), 'dupip-notify-e2e-'));
    const out = join(dir, 'episodes.jsonl');
    const cmd = script(dir, 'notify.sh', `cat >> ${out}`);
    const config = join(dir, 'dupip.yml');
    writeFileSync(config, `notify:\n  command: [${cmd}]\n  timeout: 2s\n`);
    await h0.addAddress('192.0.2.10/24');
    const d = await DaemonProc.start(h0, ['--config', config, '--probe-interval', '1s', '--announce-interval', '0', '--clear-after', '2']);
    await d.waitFor((l) => l.event === 'state' && l.to === 'ok', 5000);
    await h1.addAddress('192.0.2.10/24');
    await d.waitFor(conflictOn('192.0.2.10'), 5000);
    await h1.removeAddress('192.0.2.10/24');
    await d.waitFor((l) => l.event === 'state' && l.from === 'conflict' && l.to === 'ok', 10_000);
    const lines = await until('two notifications', async () => {
      const got = (() => {
        try {
          return readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        } catch {
          return [];
        }
      })();
      return got.length >= 2 && got;
    });
    expect(lines.map((l) => l.event)).toEqual(['start', 'end']);
    expect(lines[0]).toMatchObject({ address: '192.0.2.10', interface: 'eth0', kind: 'conflict', end: null, macs: [expect.objectContaining({ mac: h1.mac })] });
    expect(lines[1].start).toBe(lines[0].start);
    expect(Date.parse(lines[1].end)).toBeGreaterThan(Date.parse(lines[1].start));
    const text = await scrape(h0, await metricsAddress(d));
    expect(value(text, 'dupip_notify_total{outcome="ok"}')).toBe(2);
    expect(await d.stop()).toMatchObject({ code: 0 });
  });

  it('a hanging or failing notify command is killed at its timeout, logged and counted, and detection goes on', async () => {
    await using lab = await Lab.create({ hosts: 3 });
    const [h0, h1, h2] = [lab.host(0), lab.host(1), lab.host(2)];
    const dir = mkdtempSync(join(tmpdir(), 'dupip-notify-e2e-'));
    // Hangs and ignores SIGTERM on the first address, fails on the second.
    const cmd = script(dir, 'notify.sh', `trap '' TERM; [ "$DUPIP_ADDRESS" = 192.0.2.20 ] && { echo "webhook refused" >&2; exit 4; }; while :; do sleep 1; done`);
    const config = join(dir, 'dupip.yml');
    writeFileSync(config, `notify:\n  command: [${cmd}]\n  timeout: 500ms\n`);
    await h0.addAddress('192.0.2.10/24');
    await h0.addAddress('192.0.2.20/24');
    const d = await DaemonProc.start(h0, ['--config', config, '--probe-interval', '1s', '--announce-interval', '0']);
    await d.waitFor((l) => l.event === 'state' && l.to === 'ok' && l.address === '192.0.2.20', 5000);
    await h1.addAddress('192.0.2.10/24');
    const first = await d.waitFor(conflictOn('192.0.2.10'), 5000);
    const killed = await d.waitFor((l) => l.event === 'notify-failed' && l.failure === 'timeout', 5000);
    // SIGTERM at 500 ms is ignored, SIGKILL 1 s later
    expect(Date.parse(killed.time) - Date.parse(first.time)).toBeGreaterThanOrEqual(1400);
    expect(Date.parse(killed.time) - Date.parse(first.time)).toBeLessThan(4000);
    expect(killed.msg).toContain('killed (SIGKILL)');
    // detection went on meanwhile and after: a second conflict is reported, its notify failure too
    await h2.addAddress('192.0.2.20/24');
    await d.waitFor(conflictOn('192.0.2.20'), 5000);
    const failed = await d.waitFor((l) => l.event === 'notify-failed' && l.failure === 'exit', 5000);
    expect(failed.msg).toContain('exit status 4; stderr: webhook refused');
    const text = await scrape(h0, await metricsAddress(d));
    expect(value(text, 'dupip_notify_total{outcome="timeout"}')).toBe(1);
    expect(value(text, 'dupip_notify_total{outcome="exit"}')).toBe(1);
    expect(value(text, 'dupip_conflicts_total{address="192.0.2.20"')).toBe(1);
    expect(await d.stop()).toMatchObject({ code: 0 });
  });
});
