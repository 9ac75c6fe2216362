/**
 * Kernel acceptance of the ND filter (src/core/bpf-ndp.ts): the real kernel takes the program on an
 * AF_PACKET/SOCK_DGRAM socket bound to ETH_P_IPV6 (opened by test/tools/nd-listen.py, independent
 * of the addon; test/e2e/nd-socket.test.ts covers the addon's own IPv6 socket) and passes exactly the ND frames of the watched
 * address — the kernel's own DAD probe and answer — while dropping unwatched ND and a VLAN-tagged
 * copy of the same probe (sent raw by test/tools/nd-send.py: this kernel has no 8021q module). A second socket with a pass-everything program is the
 * witness that the dropped frames really arrived. A second test shows that a plain udp6 socket
 * joins a solicited-node group with an MLD report (how the wiring can hear delegates' ND).
 */
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ACCEPT, BPF_RET, BPF_K, encodeInstructions } from '../../src/core/bpf.js';
import { buildNdFilter } from '../../src/core/bpf-ndp.js';
import { formatIpv6, parseIpv6, solicitedNodeGroup } from '../../src/core/ipv6.js';
import { observeNd } from '../../src/core/ndp-observation.js';
import { dadProbe, decodeNd } from '../../src/core/ndp.js';
import { Lab, type LabHost } from '../lab/lab.js';
import { REPO } from '../support/dupip.js';
import { labPrereqs } from '../support/prereq.js';

const need = labPrereqs('python3', 'tcpdump');
const WATCHED = '2001:db8::10';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Heard { payload: string; pkttype: number; source: string }

function listen(host: LabHost, program: Uint8Array): { child: ChildProcess; heard: Heard[]; ready: Promise<void> } {
  const child = host.spawn('python3', [`${REPO}test/tools/nd-listen.py`, host.ifname, Buffer.from(program).toString('hex')]);
  const heard: Heard[] = [];
  let buf = '';
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const ready = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`nd-listen exited ${code}: ${err}`)));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line === 'ready') resolve();
        else if (line.startsWith('{')) heard.push(JSON.parse(line) as Heard);
      }
    });
  });
  return { child, heard, ready };
}

const nd = (h: Heard) => {
  const r = decodeNd(Uint8Array.from(Buffer.from(h.payload, 'hex')));
  return r.ok ? { ...r.frame, observation: observeNd(r.frame, h.source), pkttype: h.pkttype } : null;
};

describe.skipIf(need.skip)(need.title('ND filter in the kernel'), () => {
  it('passes the watched address\'s DAD probe and answer, and nothing else', async () => {
    await using lab = await Lab.create({ hosts: 3 });
    const [a, b, c] = [lab.host(0), lab.host(1), lab.host(2)];
    for (const h of [a, b, c]) await h.enableIpv6();
    await a.ip(['-6', 'addr', 'add', '2001:db8::1/64', 'dev', a.ifname]);
    await b.ip(['-6', 'addr', 'add', '2001:db8::20/64', 'dev', b.ifname]);
    await sleep(2500); // link-local and these addresses through DAD

    const program = buildNdFilter({ watched: [parseIpv6(WATCHED)!], ifindex: a.ifindex });
    expect(program.strategy).toBe('exact');
    const filtered = listen(a, program.encode());
    const witness = listen(a, encodeInstructions([{ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: ACCEPT, comment: 'everything' }]));
    await Promise.all([filtered.ready, witness.ready]);

    await b.ip(['-6', 'addr', 'add', `${WATCHED}/64`, 'dev', b.ifname]); // B's DAD probe for the watched address
    await sleep(2500);
    await c.ip(['-6', 'addr', 'add', `${WATCHED}/64`, 'dev', c.ifname]); // C's probe, B's NA to ff02::1
    await c.ip(['-6', 'addr', 'add', '2001:db8::30/64', 'dev', c.ifname]); // unwatched DAD
    await sleep(2500);
    await b.exec('ping', ['-6', '-c1', '-W2', '-I', '2001:db8::20', '2001:db8::1']); // unwatched resolution; A's answer is outgoing
    // the same probe in VLAN 100 (no device for it on A), and once more untagged: only the latter may pass
    const send = (vlan: number, nonce: string) => {
      const t = dadProbe(parseIpv6(WATCHED)!, nonce);
      return b.exec('python3', [`${REPO}test/tools/nd-send.py`, b.ifname, t.destinationMac, String(vlan), Buffer.from(t.payload).toString('hex')]);
    };
    expect((await send(100, '0000000000aa')).code).toBe(0);
    expect((await send(0, '0000000000bb')).code).toBe(0);
    await sleep(3000);
    filtered.child.kill('SIGTERM');
    witness.child.kill('SIGTERM');
    await sleep(200);

    const got = filtered.heard.map(nd);
    const all = witness.heard.map(nd);
    expect(got.every((f) => f !== null), 'every passed frame decodes').toBe(true);
    // only the watched address, only from B and C
    expect(new Set(got.map((f) => formatIpv6(f!.observation.address)))).toEqual(new Set([WATCHED]));
    const probes = got.filter((f) => f!.observation.kind === 'probe');
    expect(new Set(probes.map((f) => f!.observation.mac))).toEqual(new Set([b.mac, c.mac]));
    expect(got.some((f) => f!.type === 136 && f!.observation.mac === b.mac && !f!.solicited && f!.override)).toBe(true);

    // the witness saw what the filter dropped: unwatched ND, the tagged probe
    expect(all.some((f) => f && formatIpv6(f.observation.address) === '2001:db8::30')).toBe(true);
    expect(all.some((f) => f && f.type === 135 && formatIpv6(f.observation.address) === '2001:db8::20')).toBe(true);
    // (a socket bound to ETH_P_IPV6 never sees this host's outgoing frames: the kernel hands those to
    // ETH_P_ALL taps only, so the filter's OUTGOING test is a second line of defence)
    const nonces = (fs: typeof all) => fs.flatMap((f) => (f?.type === 135 && f.nonce !== null ? [`${f.nonce}/${f.pkttype}`] : []));
    expect(nonces(all), 'the VLAN 100 probe reached the socket, as PACKET_OTHERHOST').toContain('0000000000aa/3');
    expect(nonces(got)).toContain('0000000000bb/2');
    expect(nonces(got).some((n) => n.startsWith('0000000000aa'))).toBe(false);
    // and everything ND the witness saw for the watched address outside the VLAN, the filter passed
    const wanted = all.filter((f) => f && f.pkttype !== 3 && f.pkttype !== 4 && formatIpv6(f.observation.address) === WATCHED);
    expect(got.length).toBe(wanted.length);
  });

  it('a udp6 socket joins a delegate\'s solicited-node group with an MLD report, no addon needed', async () => {
    // What the wiring will use to hear ND for a delegate held elsewhere (field notes §6): Node's
    // dgram addMembership is IPV6_ADD_MEMBERSHIP, which sends MLD reports for snooping switches.
    await using lab = await Lab.create({ hosts: 1 });
    const a = lab.host(0);
    await a.enableIpv6();
    await sleep(2500); // the link-local address, the source of MLD reports, is through DAD
    const group = formatIpv6(solicitedNodeGroup(parseIpv6('2001:db8::abcd:10')!));
    expect(group).toBe('ff02::1:ffcd:10');
    const cap = lab.bridge.spawn('tcpdump', ['-l', '-nn', '-i', lab.bridge.ifname, 'ip6 and ip6[6] == 0']); // hop-by-hop: MLD
    let heard = '';
    cap.stdout!.setEncoding('utf8').on('data', (d: string) => (heard += d));
    await sleep(1500);
    // The member stays in the group until the test has looked (it exits when its stdin closes).
    const script = `const s=require('dgram').createSocket({type:'udp6'});s.bind(0,()=>{s.addMembership('${group}','::%${a.ifname}');console.log('joined')});process.stdin.on('end',()=>process.exit(0)).resume()`;
    const member = a.spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let out = '';
      member.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d).includes('joined') && resolve());
      member.on('exit', (code) => reject(new Error(`the member exited ${code} before joining`)));
    });
    const maddr = await a.exec('ip', ['-6', 'maddr', 'show', 'dev', a.ifname]);
    await sleep(1000); // the MLD report is on the wire by now (sent at join, repeated)
    member.stdin!.end();
    cap.kill('SIGINT');
    expect(maddr.stdout).toContain(group);
    expect(heard).toMatch(/multicast listener report v2/);
  });
});
