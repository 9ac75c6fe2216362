/** The control socket (server, client, report) and `dupip status` against it. */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { statusCommand } from '../../src/cli/status.js';
import { ControlUnreachable, controlRequest, explain } from '../../src/control/client.js';
import type { StatusReport } from '../../src/control/protocol.js';
import { buildStatus } from '../../src/control/report.js';
import { type ControlLimits, type ControlServer, startControlServer } from '../../src/control/server.js';
import { ServerStats } from '../../src/metrics/servers.js';
import { connect, type Socket } from 'node:net';
import type { HistoryEpisode } from '../../src/journal/records.js';
import { FakeView, OFFSET, entry, iface, sighting } from '../support/fake-view.js';

const INTRUDER = '02:00:00:00:00:99';

let dir: string;
let sock: string;
const servers: ControlServer[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'dupip-control-'));
  sock = join(dir, 'run', 'dupip', 'dupip.sock');
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

async function serve(handle: () => unknown, limits?: ControlLimits): Promise<ControlServer> {
  const s = await startControlServer(sock, handle, undefined, limits);
  servers.push(s);
  return s;
}

function episode(address: string, startMs: number, status: HistoryEpisode['status'] = 'ended'): HistoryEpisode {
  return {
    address,
    interface: 'eth0',
    role: 'own',
    kind: 'conflict',
    start: new Date(startMs).toISOString(),
    end: status === 'ended' ? new Date(startMs + 20_000).toISOString() : null,
    status,
    macs: [INTRUDER],
    macOverflow: 0,
  };
}

function world(conflict: boolean) {
  const view = new FakeView(
    [
      entry({ address: '192.0.2.10', state: conflict ? 'conflict' : 'ok', macs: conflict ? [sighting(INTRUDER)] : [], episodeStart: conflict ? 7000 : null }),
      entry({ address: '198.51.100.10', role: 'delegate', held: false, holders: ['02:00:00:00:00:a1'], lastProbe: null, state: 'unknown' }),
    ],
    [iface({ name: 'eth0' })],
  );
  const t0 = Date.UTC(2024, 4, 1, 10, 0, 3);
  const history = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => episode('192.0.2.10', t0 + i * 15 * 60_000 + (i % 3) * 2000));
  if (conflict) history.push(episode('192.0.2.10', t0 + 8 * 15 * 60_000 + 1000, 'open'));
  return { view, history };
}

const report = (conflict: boolean, now = OFFSET + 10_000) => {
  const { view, history } = world(conflict);
  return buildStatus(view, history, { version: '0.1.0', pid: 42, now, tzOffsetMinutes: 0, journal: null });
};

describe('buildStatus', () => {
  it('one row per address with MACs, last probe, episodes and recurrence', () => {
    const r = report(true);
    expect(r.addresses).toHaveLength(2);
    expect(r.addresses[0]).toMatchObject({
      address: '192.0.2.10',
      state: 'conflict',
      macs: [INTRUDER],
      lastProbe: new Date(OFFSET + 5000).toISOString(),
      episodeStart: new Date(OFFSET + 7000).toISOString(),
      episodes: 9,
      recurrence: 'recurs at minutes 0,15,30,45 of the hour',
    });
    expect(r.addresses[0]!.lastEpisode).toMatchObject({ status: 'open' });
    expect(r.addresses[0]!.intruders).toEqual([
      { mac: INTRUDER, locallyAdministered: true, multicast: false, description: 'locally administered', firstSeen: new Date(OFFSET + 1000).toISOString(), lastSeen: new Date(OFFSET + 1000).toISOString(), frames: 1 },
    ]);
    expect(r.addresses[1]!.intruders).toEqual([]);
    expect(r.addresses[1]).toMatchObject({ address: '198.51.100.10', lastProbe: null, episodes: 0, lastEpisode: null, recurrence: null, holders: ['02:00:00:00:00:a1'] });
    expect(r.historyTotal).toBe(9);
    expect(r.daemon).toMatchObject({ version: '0.1.0', pid: 42, healthy: true });
  });
});

describe('control socket', () => {
  it('creates the directory 0750 and the socket 0660, answers status, and removes the socket on close', async () => {
    const s = await serve(() => ({ addresses: [], history: [] }));
    expect(statSync(join(dir, 'run', 'dupip')).mode & 0o777).toBe(0o750);
    expect(lstatSync(sock).isSocket()).toBe(true);
    expect(lstatSync(sock).mode & 0o777).toBe(0o660);
    expect(await controlRequest(sock, { command: 'status' })).toEqual({ addresses: [], history: [] });
    await s.close();
    servers.length = 0;
    expect(existsSync(sock)).toBe(false);
  });

  it('stops reading after the request line: a second request is not answered, a flood after it is cut off', async () => {
    let calls = 0;
    await serve(() => ({ n: ++calls }));
    const session = (flood: boolean) =>
      new Promise<{ reply: string; accepted: number }>((resolve) => {
        // allowHalfOpen: the client keeps sending after the daemon's reply and end, as a hostile one would.
        const c = connect({ path: sock, allowHalfOpen: true });
        let reply = '';
        let accepted = 0;
        c.setEncoding('utf8').on('data', (d: string) => (reply += d));
        c.on('error', () => {}); // EPIPE once the daemon has closed
        c.on('close', () => resolve({ reply, accepted }));
        c.write('{"command":"status"}\n{"command":"status"}\n');
        if (!flood) {
          c.on('end', () => c.end());
          return;
        }
        // A server that kept reading (and buffering) would take all 64 MiB.
        const junk = Buffer.alloc(64 * 1024, 0x61);
        const pump = () => {
          if (c.destroyed) return;
          if (accepted >= 64 * 1024 * 1024) return void c.end();
          c.write(junk, (err) => {
            if (err) return;
            accepted += junk.length;
            pump();
          });
        };
        pump();
      });
    expect(JSON.parse((await session(false)).reply)).toEqual({ n: 1 });
    expect(calls).toBe(1);
    const flooded = await session(true);
    expect(flooded.accepted).toBeLessThan(8 * 1024 * 1024);
    expect(calls).toBe(2);
  });

  it('a request line over 4 KiB is refused; a silent client is closed at the deadline', async () => {
    await serve(() => ({ ok: true }), { deadlineMs: 300 });
    const talk = (text: string | null) =>
      new Promise<{ reply: string; ms: number }>((resolve) => {
        const t0 = Date.now();
        const c = connect(sock);
        let reply = '';
        c.setEncoding('utf8').on('data', (d: string) => (reply += d));
        c.on('error', () => {});
        c.on('close', () => resolve({ reply, ms: Date.now() - t0 }));
        if (text !== null) c.write(text);
      });
    expect(JSON.parse((await talk('x'.repeat(5000))).reply)).toEqual({ error: 'request too long' });
    const silent = await talk(null);
    expect(silent.reply).toBe('');
    expect(silent.ms).toBeGreaterThanOrEqual(250);
    expect(silent.ms).toBeLessThan(3000);
  });

  it('takes at most maxConnections at once; the rest are closed at once and counted', async () => {
    const stats = new ServerStats();
    await serve(() => ({ ok: true }), { maxConnections: 3, stats });
    const open = (): Promise<Socket> =>
      new Promise((resolve) => {
        const c = connect(sock, () => resolve(c));
        c.on('error', () => {});
      });
    const held = [await open(), await open(), await open()];
    await vi.waitFor(() => expect(stats.open.control).toBe(3));
    const extra = await open();
    await new Promise<void>((r) => (extra.destroyed ? r() : extra.on('close', () => r())));
    expect(stats.rejected.control).toBe(1);
    for (const c of held) c.destroy();
    await vi.waitFor(() => expect(stats.open.control).toBe(0));
    expect(await controlRequest(sock, { command: 'status' })).toEqual({ ok: true });
  });

  it('answers an unknown command or a non-JSON request with an error', async () => {
    await serve(() => ({ ok: true }));
    expect(await controlRequest(sock, { command: 'reboot' } as never)).toEqual({ error: 'unknown command (known: status)' });
  });

  it('replaces a stale socket left by a killed daemon', async () => {
    spawnSync('mkdir', ['-p', join(dir, 'run', 'dupip')]);
    const r = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(r.signal).toBe('SIGKILL');
    expect(lstatSync(sock).isSocket()).toBe(true);
    await expect(controlRequest(sock, { command: 'status' })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await serve(() => ({ fresh: true }));
    expect(await controlRequest(sock, { command: 'status' })).toEqual({ fresh: true });
  });

  it('refuses to start when another daemon answers on the socket, or the path is not a socket', async () => {
    await serve(() => ({}));
    await expect(startControlServer(sock, () => ({}))).rejects.toThrow(`control socket ${sock} is in use: is another dupip daemon running?`);
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    await expect(startControlServer(file, () => ({}))).rejects.toThrow(`control socket ${file} exists and is not a socket; refusing to replace it`);
  });

  it('the client says which socket and why', async () => {
    const err = await controlRequest(sock, { command: 'status' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ControlUnreachable);
    expect((err as Error).message).toBe(`cannot reach the dupip daemon at ${sock}: no such socket (is "dupip daemon" running? another path can be given with --control-socket)`);
    expect(explain('EACCES', '')).toMatch(/^permission denied/);
  });
});

describe('dupip status', () => {
  const io = (isTty = false) => {
    const o = { out: '', err: '', isTty };
    return { o, io: { out: (t: string) => void (o.out += t), err: (t: string) => void (o.err += t), isTty } };
  };
  const now = () => Date.now() - OFFSET;

  it('exits 1 and shows the intruder when an address is in conflict', async () => {
    const r = report(true, Date.now());
    await serve(() => r);
    const { o, io: cio } = io();
    expect(await statusCommand(['--control-socket', sock], cio)).toBe(1);
    expect(o.out).toMatch(/^ADDRESS\s+ROLE\s+INTERFACE\s+STATE\s+MACS\s+LAST PROBE\s+LAST EPISODE\s+RECURRENCE$/m);
    expect(o.out).toMatch(new RegExp(`^192\\.0\\.2\\.10\\s+own\\s+eth0\\s+conflict\\s+${INTRUDER}\\s+.*ago.*recurs at minutes 0,15,30,45 of the hour$`, 'm'));
    expect(o.out).toMatch(/^198\.51\.100\.10\s+delegate\s+eth0\s+unknown\s+held by 02:00:00:00:00:a1\s+never\s+-\s+-$/m);
    expect(o.out).toMatch(new RegExp(`^Foreign MACs:\n  192\\.0\\.2\\.10 on eth0: ${INTRUDER}  locally administered; first seen .* ago, last seen .* ago, 1 frame\\(s\\)$`, 'm'));
    expect(o.out).not.toMatch(/\u001b\[/);
    expect(now()).toBeGreaterThan(0);
  });

  it('exits 0 when every address is ok or unknown; colour only on a TTY; --json prints the report', async () => {
    const r: StatusReport = report(false, Date.now());
    await serve(() => r);
    const tty = io(true);
    expect(await statusCommand([`--control-socket=${sock}`], tty.io, {})).toBe(0);
    expect(tty.o.out).toMatch(/\u001b\[32mok/);
    expect(await statusCommand([`--control-socket=${sock}`], io(true).io, { NO_COLOR: '1' })).toBe(0);
    const j = io();
    expect(await statusCommand(['--control-socket', sock, '--json'], j.io)).toBe(0);
    const parsed = JSON.parse(j.o.out) as StatusReport;
    expect(parsed.addresses.map((a) => [a.address, a.state])).toEqual([['192.0.2.10', 'ok'], ['198.51.100.10', 'unknown']]);
    expect(Object.keys(parsed.addresses[0]!)).toEqual(expect.arrayContaining(['address', 'interface', 'role', 'held', 'state', 'macs', 'lastProbe', 'episodes']));
    expect(parsed.history).toHaveLength(8);
  });

  it('exits 2 naming the socket when the daemon cannot be reached, or the arguments are wrong', async () => {
    const { o, io: cio } = io();
    expect(await statusCommand(['--control-socket', sock], cio)).toBe(2);
    expect(o.err).toBe(`dupip status: cannot reach the dupip daemon at ${sock}: no such socket (is "dupip daemon" running? another path can be given with --control-socket)\n`);
    expect(await statusCommand(['--bogus'], io().io)).toBe(2);
  });

  it('exits 2 when the daemon answers with an error', async () => {
    await serve(() => ({ error: 'the daemon is starting' }));
    const { o, io: cio } = io();
    expect(await statusCommand(['--control-socket', sock], cio)).toBe(2);
    expect(o.err).toMatch(/answered: the daemon is starting/);
  });
});
