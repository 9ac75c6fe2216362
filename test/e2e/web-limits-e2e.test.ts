/**
 * The real daemon's HTTP server against hostile clients in the lab (test/tools/http-load.mjs, to
 * loopback and lab addresses only): a flood of malformed and unknown-path requests barely logs;
 * 200 password guessers do not slow a valid scraper down; with 256 open files and 400 idle metrics
 * connections the daemon still follows an address change. Each case ends by planting a real
 * duplicate (a peer taking an address the daemon's host holds) and seeing the conflict.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import bcrypt from 'bcryptjs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lab, type LabHost } from '../lab/lab.js';
import { DaemonProc } from '../support/daemon-proc.js';
import { labPrereqs, prereqs, requireBuild, requireTool } from '../support/prereq.js';
import { scrape, until, value } from '../support/scrape.js';

const lab = labPrereqs('curl');
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild(), requireTool('prlimit'));
const REPO = new URL('../../', import.meta.url).pathname;
const LOAD = `${REPO}test/tools/http-load.mjs`;
const A = '192.0.2.10';
const ARGS = ['--interface', 'eth0', '--probe-interval', '500ms', '--clear-after', '2', '--announce-interval', '0'];

async function load(host: LabHost, args: string[], timeoutMs = 120_000): Promise<Record<string, unknown>> {
  const r = await host.exec(process.execPath, [LOAD, ...args], { timeoutMs });
  if (r.code !== 0) throw new Error(`http-load ${args[0]}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** The addresses the daemon logged it listens on. */
async function listening(d: DaemonProc): Promise<string[]> {
  return (await d.waitFor((x) => x.event === 'listening')).addresses as string[];
}

/** A peer takes an address h0 holds: the daemon must report the conflict naming the peer. */
async function plantDuplicate(d: DaemonProc, peer: LabHost, address: string): Promise<void> {
  await peer.addAddress(`${address}/24`);
  const line = await d.waitFor(d.state(address, 'conflict'), 10_000);
  expect((line.macs as Array<{ mac: string }>).map((m) => m.mac)).toEqual([peer.mac]);
}

describe.skipIf(need.skip)(need.title('the real daemon against hostile HTTP clients'), () => {
  it('10,000 malformed or unknown-path requests: 4xx, fewer than 10 log lines, then a planted duplicate is seen', async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    await h1.addAddress('192.0.2.11/24');
    const d = await DaemonProc.start(h0, ARGS);
    try {
      const [addr] = await listening(d);
      await d.waitFor(d.state(A, 'ok'), 5000);
      const mark = d.mark;
      const r = await load(h0, ['bad', '--target', addr!, '--count', '10000', '--concurrency', '50']);
      const statuses = r.statuses as Record<string, number>;
      expect(Object.keys(statuses).every((s) => /^4\d\d$/.test(s)), JSON.stringify(statuses)).toBe(true);
      expect(Object.values(statuses).reduce((a, b) => a + b, 0)).toBe(10_000);
      const lines = d.lines.slice(mark);
      console.log(`10,000 bad requests: ${JSON.stringify(statuses)}; ${lines.length} log line(s): ${JSON.stringify(lines.map((x) => x.msg))}`);
      expect(lines.length, lines.map((x) => x.msg).join('\n')).toBeLessThan(10);
      expect(lines.filter((x) => x.level >= 50)).toEqual([]);
      const text = await scrape(h0, addr!);
      const refused = ['bad-request', 'not-found', 'method', 'too-large'].map((k) => value(text, `dupip_http_requests_refused_total{reason="${k}"}`) ?? 0);
      expect(refused.reduce((a, b) => a + b, 0)).toBe(10_000);
      await plantDuplicate(d, h1, A);
    } finally {
      await d.stop();
      rmSync(d.stateDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('200 password-guessing clients for 20 s: a valid scraper every second keeps p99 under 1 s, then a planted duplicate is seen', async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    await h1.addAddress('192.0.2.11/24');
    const dir = mkdtempSync(join(tmpdir(), 'dupip-web-limits-'));
    const web = join(dir, 'web.yml');
    writeFileSync(web, `basic_auth_users:\n  prometheus: '${bcrypt.hashSync('s3cret', 10)}'\n`);
    const d = await DaemonProc.start(h0, [...ARGS, '--web.listen-address', `${A}:0`, '--web.config.file', web]);
    try {
      const [local, lan] = await listening(d);
      // The scraper (on the host itself) is already scraping when the guessers (from the peer, over
      // the segment) arrive, as Prometheus would be; it goes on for the 20 s they guess and after.
      const scraping = load(h0, ['scrape', '--target', local!, '--auth', 'prometheus:s3cret', '--seconds', '24', '--every', '1000']);
      await new Promise((r) => setTimeout(r, 2000));
      const guesses = await load(h1, ['guess', '--target', lan!, '--clients', '200', '--seconds', '20']);
      const scraper = await scraping;
      const inOrder = scraper.latenciesMs as number[];
      const latencies = inOrder.slice().sort((a, b) => a - b);
      const p99 = latencies[Math.ceil(latencies.length * 0.99) - 1]!;
      expect(scraper.statuses, JSON.stringify({ scraper, guesses })).toEqual({ 200: latencies.length });
      expect(latencies.length).toBeGreaterThanOrEqual(20);
      expect(p99, JSON.stringify(inOrder)).toBeLessThan(1000);
      console.log(`scrapes (ms, in order): ${JSON.stringify(inOrder)}; p99 ${p99} ms; guesses: ${JSON.stringify(guesses)}`);
      expect(guesses.requests as number).toBeGreaterThan(200);
      const statuses = guesses.statuses as Record<string, number>;
      expect(statuses['200']).toBeUndefined();
      expect((statuses['401'] ?? 0) + (statuses['429'] ?? 0)).toBeGreaterThan(0);
      expect(d.lines.filter((x) => x.level >= 50 && x.event !== 'state' && x.event !== 'conflict-mac')).toEqual([]);
      await plantDuplicate(d, h1, A);
    } finally {
      await d.stop();
      rmSync(d.stateDir, { recursive: true, force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('open-files limit 256 and 400 idle metrics connections: an address change is followed, a planted duplicate is seen', async () => {
    await using l = await Lab.create({ hosts: 2 });
    const [h0, h1] = [l.host(0), l.host(1)];
    await h0.addAddress(`${A}/24`);
    await h1.addAddress('192.0.2.11/24');
    const d = await DaemonProc.start(h0, [...ARGS, '--web.listen-address', `${A}:0`]);
    const pid = d.child.pid!;
    try {
      expect(await readFile(`/proc/${pid}/cmdline`, 'utf8')).toContain('daemon');
      const p = await h0.exec('prlimit', ['--pid', String(pid), '--nofile=256:256']);
      expect(p.code, p.stderr).toBe(0);
      expect(await readFile(`/proc/${pid}/limits`, 'utf8')).toMatch(/^Max open files\s+256\s+256\s/m);
      const [local, lan] = await listening(d);
      await d.waitFor(d.state(A, 'ok'), 5000);

      // 400 idle connections from the peer, reopened as the daemon closes them: the cap (64) holds.
      const idle = h1.spawn(process.execPath, [LOAD, 'idle', '--target', lan!, '--count', '400', '--reconnect']);
      let out = '';
      idle.stdout!.setEncoding('utf8').on('data', (c: string) => (out += c));
      await until('the idle connections', async () => out.includes('ready'), 30_000);
      const ready = JSON.parse(/ready (.*)/.exec(out)![1]!) as { open: number };
      expect(ready.open).toBeLessThanOrEqual(64);
      const fds = (await h0.exec('ls', [`/proc/${pid}/fd`])).stdout.trim().split('\n').length;
      expect(fds).toBeLessThan(200);

      // An address change while the connections are held: the daemon reads the interfaces again.
      const B = '192.0.2.20';
      await h0.addAddress(`${B}/24`);
      await d.waitFor((x) => x.event === 'watch-added' && x.address === B, 10_000);
      await d.waitFor(d.state(B, 'ok'), 10_000);
      // The scraper on loopback still gets in: the flood's oldest connection makes room.
      const text = await scrape(h0, local!);
      const fdsNow = (await h0.exec('ls', [`/proc/${pid}/fd`])).stdout.trim().split('\n').length;
      expect(fdsNow).toBeLessThan(200);
      console.log(`idle flood: ${out.trim()}; fds ${fds} then ${fdsNow}; ${text.split('\n').filter((x) => x.startsWith('dupip_conn')).join(', ')}`);
      expect(value(text, 'dupip_connections_rejected_total{listener="http"}'), `${out}\n${text.split('\n').filter((x) => x.startsWith('dupip_conn')).join('\n')}`).toBeGreaterThanOrEqual(400 - 64);
      expect(value(text, 'dupip_connections{listener="http"}')).toBeLessThanOrEqual(64);
      await plantDuplicate(d, h1, B);
      expect(d.child.exitCode).toBeNull();
      idle.kill('SIGTERM');
    } finally {
      await d.stop();
      rmSync(d.stateDir, { recursive: true, force: true });
    }
  }, 180_000);
});
