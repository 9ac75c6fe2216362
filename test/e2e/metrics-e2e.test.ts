/**
 * Metrics and `dupip status` against the real daemon in the lab: a planted duplicate shows on a
 * real scrape and in `dupip status` (exit 1, the intruder's MAC); a real scrape passes promtool.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { DaemonProc } from '../support/daemon-proc.js';
import { labPrereqs, prereqs, requireBuild, requireTool, which } from '../support/prereq.js';
import { fetchIn, metricsAddress, samples, scrape, status, until, value } from '../support/scrape.js';

const lab = labPrereqs('curl');
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild(), requireTool('promtool'));
const A = '192.0.2.10';
const ARGS = ['--interface', 'eth0', '--probe-interval', '500ms', '--clear-after', '2', '--announce-interval', '0'];

describe.skipIf(need.skip)(need.title('metrics and status of the real daemon'), () => {
  it('a planted duplicate: dupip_conflict 1 on a real scrape, `dupip status` exits 1 naming the intruder', async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    const d = await DaemonProc.start(h0, ARGS);
    try {
      const addr = await metricsAddress(d);
      await d.waitFor(d.state(A, 'ok'), 5000);
      const clean = await scrape(h0, addr);
      expect(value(clean, `dupip_conflict{address="${A}",interface="eth0",role="own"}`)).toBe(0);
      expect(value(clean, `dupip_interface_info{interface="eth0",mac="${h0.mac}",kind="veth",scope="network"}`)).toBe(1);
      expect(value(clean, 'dupip_probes_sent_total{interface="eth0"}')).toBeGreaterThan(0);
      const okStatus = await status(['--control-socket', d.controlSocket]);
      expect(okStatus.code).toBe(0);
      expect(okStatus.stdout).toMatch(new RegExp(`^${A.replace(/\./g, '\\.')}\\s+own\\s+eth0\\s+ok\\s`, 'm'));

      await h1.addAddress(`${A}/24`);
      await d.waitFor(d.state(A, 'conflict'), 5000);
      const text = await scrape(h0, addr);
      expect(value(text, `dupip_conflict{address="${A}",interface="eth0",role="own"}`)).toBe(1);
      expect(value(text, `dupip_address_state{address="${A}",interface="eth0",role="own",state="conflict"}`)).toBe(1);
      expect(value(text, `dupip_conflict_macs_info{address="${A}",interface="eth0",mac="${h1.mac}"}`)).toBe(1);
      expect(value(text, `dupip_conflicts_total{address="${A}",interface="eth0",role="own"}`)).toBe(1);
      expect(value(text, `dupip_last_probe_timestamp_seconds{address="${A}"}`)).toBeGreaterThan(Date.now() / 1000 - 10);

      const st = await status(['--control-socket', d.controlSocket]);
      expect(st.code).toBe(1);
      expect(st.stdout).toMatch(new RegExp(`^${A.replace(/\./g, '\\.')}\\s+own\\s+eth0\\s+conflict\\s+${h1.mac}\\s`, 'm'));
      const json = await status(['--control-socket', d.controlSocket, '--json']);
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as { addresses: Array<{ address: string; state: string; macs: string[]; episodes: number }> };
      expect(report.addresses).toEqual([expect.objectContaining({ address: A, state: 'conflict', macs: [h1.mac], episodes: 1 })]);

      // The landing page links the metrics; /healthz is 200 while probes go out.
      const landing = await fetchIn(h0, `http://${addr}/`);
      expect(landing.status).toBe(200);
      expect(landing.body).toMatch(/href="metrics"/);
      expect(await fetchIn(h0, `http://${addr}/healthz`)).toEqual({ status: 200, body: 'ok\n' });
    } finally {
      await d.stop();
      rmSync(d.stateDir, { recursive: true, force: true });
    }
  });

  it('promtool check metrics passes on a real scrape, process metrics included', async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    await h0.addAddress('192.0.2.11/24');
    await h1.addAddress(`${A}/24`);
    const d = await DaemonProc.start(h0, ARGS);
    try {
      const addr = await metricsAddress(d);
      await d.waitFor(d.state(A, 'conflict'), 5000);
      const text = await until('a scrape with the conflict', async () => {
        const t = await scrape(h0, addr);
        return value(t, `dupip_conflict{address="${A}",interface="eth0",role="own"}`) === 1 && t;
      });
      expect(text).toMatch(/^process_resident_memory_bytes /m);
      expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
      expect(samples(text).filter((s) => s.startsWith('dupip_')).length).toBeGreaterThan(30);
      const r = spawnSync(which('promtool')!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
      expect(r.status).toBe(0);
    } finally {
      await d.stop();
      rmSync(d.stateDir, { recursive: true, force: true });
    }
  });

  it('`dupip status` exits 2 naming the socket when no daemon runs', async () => {
    const sock = '/nonexistent/dupip-e2e/dupip.sock';
    const st = await status(['--control-socket', sock]);
    expect(st.code).toBe(2);
    expect(st.stderr).toContain(`cannot reach the dupip daemon at ${sock}: no such socket`);
  });
});
