/**
 * The addon's IPv6 packet socket on real kernels (2001:db8::/32, lab namespaces): bound to
 * ETH_P_IPV6 with the ND filter it receives the kernel's DAD probe and answer whole; it sends an
 * NS that the peer's kernel answers; a frame longer than a receive record (an NS behind a padded
 * hop-by-hop header) is delivered cut and counted in cutByRecord, apart from decode errors.
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseIpv6 } from '../../src/core/ipv6.js';
import { dadProbe } from '../../src/core/ndp.js';
import { RECORD_PAYLOAD_MAX } from '../../src/platform/packet-socket.js';
import { Lab, type LabHost } from '../lab/lab.js';
import { REPO } from '../support/dupip.js';
import { labPrereqs } from '../support/prereq.js';

const need = labPrereqs('python3');
const WATCHED = '2001:db8::10';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Heard { length: number; kept: number; pkttype: number; source: string; ok: boolean; reason?: string; type?: number; target?: string; mac?: string }
interface Report { frames: Heard[]; sent: string | null; protocol: string; kernel: { cutByRecord: number; otherDevice: number } }

async function listen(h: LabHost, extra: string[] = []): Promise<{ child: ChildProcess; report: () => Promise<Report> }> {
  const child = h.spawn(process.execPath, [`${REPO}test/tools/nd-socket.mjs`, '--interface', h.ifname, '--watch', WATCHED, ...extra]);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const end = Date.now() + 10_000;
  while (!out.includes('ready')) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`nd-socket did not start: ${err}`);
    await sleep(20);
  }
  return {
    child,
    report: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out.trim().split('\n').pop()!) as Report;
    },
  };
}

/** The probe behind a hop-by-hop header of `pad` bytes of PadN (the ND filter passes such frames whole). */
function paddedProbe(nonce: string, pad: number): { payload: Buffer; mac: string } {
  const t = dadProbe(parseIpv6(WATCHED)!, nonce);
  const p = Buffer.from(t.payload);
  const ext = Buffer.alloc(pad); // next header, length in 8-octet units beyond the first, PadN
  ext[0] = 58;
  ext[1] = pad / 8 - 1;
  ext[2] = 1;
  ext[3] = pad - 4;
  const out = Buffer.concat([p.subarray(0, 40), ext, p.subarray(40)]);
  out.writeUInt16BE(out.length - 40, 4);
  out[6] = 0; // next header: hop-by-hop
  return { payload: out, mac: t.destinationMac };
}

describe.skipIf(need.skip)(need.title('the addon\'s ETH_P_IPV6 packet socket'), () => {
  it('receives the kernel\'s DAD probe and answer, sends an NS the peer answers, counts frames cut by the record', async () => {
    await using lab = await Lab.create({ hosts: 3 });
    const [a, b, c] = [lab.host(0), lab.host(1), lab.host(2)];
    for (const h of [a, b, c]) await h.enableIpv6();
    await sleep(2500); // link-local addresses through DAD
    const l = await listen(a);
    await b.exec('ip', ['-6', 'addr', 'add', `${WATCHED}/64`, 'dev', b.ifname, 'nodad']);
    await c.exec('ip', ['-6', 'addr', 'add', `${WATCHED}/64`, 'dev', c.ifname]); // C's DAD probe, B's NA
    const long = paddedProbe('0000000000cc', 96);
    expect(long.payload.length).toBeGreaterThan(RECORD_PAYLOAD_MAX);
    const r = await c.exec('python3', [`${REPO}test/tools/nd-send.py`, c.ifname, long.mac, '0', long.payload.toString('hex')]);
    expect(r.code, r.stderr).toBe(0);
    await sleep(1500);
    const got = await l.report();
    expect(got.protocol).toBe('ipv6');
    const probe = got.frames.find((f) => f.ok && f.type === 135 && f.source === c.mac);
    const answer = got.frames.find((f) => f.ok && f.type === 136 && f.mac === b.mac);
    expect(probe, JSON.stringify(got)).toMatchObject({ target: WATCHED, length: 72, kept: 72 }); // with its nonce option
    expect(answer, JSON.stringify(got)).toMatchObject({ target: WATCHED, length: 72, kept: 72 });
    const cut = got.frames.filter((f) => f.length === long.payload.length);
    expect(cut).toEqual([expect.objectContaining({ kept: RECORD_PAYLOAD_MAX, ok: false, reason: 'truncated' })]);
    expect(got.kernel.cutByRecord).toBe(1);

    // sending through the socket: an ordinary NS for the address, answered by both holders' kernels
    const s = await listen(a, ['--solicit']);
    await sleep(1000);
    const sent = await s.report();
    expect(sent.sent).toBe('sent');
    const holders = new Set(sent.frames.filter((f) => f.ok && f.type === 136 && f.target === WATCHED).map((f) => f.mac));
    expect(holders).toEqual(new Set([b.mac]));
    expect(sent.kernel.cutByRecord).toBe(0);
  });
});
