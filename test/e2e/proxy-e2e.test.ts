/**
 * Proxy ARP end to end: a real Linux router namespace with proxy_arp on its segment interface and
 * routes through another interface for a delegate and for other addresses of the subnet (the
 * canary among them), the real daemon on a host of the segment, real kernels as holders and
 * intruders. The router answers ordinary requests for the routed addresses, never probes from
 * 0.0.0.0: it answers dupip's canary requests today and will answer its delegate probes once
 * those are ordinary requests (takeover-safe probing); the assertions hold either way.
 */
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../src/control/protocol.js';
import { Lab } from '../lab/lab.js';
import { makeProxyArpRouter } from '../lab/router.js';
import { DaemonProc, type LogLine } from '../support/daemon-proc.js';
import { labPrereqs, prereqs, requireBuild } from '../support/prereq.js';
import { metricsAddress, scrape, status } from '../support/scrape.js';

const lab = labPrereqs('arping', 'tcpdump', 'curl');
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild());
const OWN = '192.0.2.10';
const PROXIED = '192.0.2.21'; // routed by the router through its other interface: nobody on the segment holds it
const HELD = '192.0.2.22';
const SPLIT = '192.0.2.23';
const CANARY = '192.0.2.254';
const macsOf = (l: LogLine) => (l.macs as Array<{ mac: string }>).map((m) => m.mac).sort();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(need.skip)(need.title('proxy ARP in the lab'), () => {
  it('a proxy_arp router: one finding, the delegate not held by it, no conflict storm; real holder, split brain and duplicate still reported', async () => {
    await using l = await Lab.create({ hosts: 4 });
    const [router, m, b, c] = [l.host(0), l.host(1), l.host(2), l.host(3)];
    await router.addAddress('192.0.2.1/24');
    await m.addAddress(`${OWN}/24`);
    await b.addAddress('192.0.2.11/24');
    await c.addAddress('192.0.2.12/24');
    await makeProxyArpRouter(router, [`${PROXIED}/32`, '192.0.2.128/25']);

    // The lab fact the feature rests on: an ordinary request for a routed address is answered by
    // the router with its own MAC; an RFC 5227 probe for it is not answered at all.
    const ordinary = await b.exec('arping', ['-c', '1', '-w', '2', '-I', 'eth0', PROXIED]);
    expect(ordinary.code).toBe(0);
    expect(ordinary.stdout.toLowerCase()).toContain(router.mac);
    const probe = await b.exec('arping', ['-D', '-c', '1', '-w', '2', '-I', 'eth0', PROXIED]);
    expect(probe.code).toBe(0); // -D: 0 means nobody answered

    // The bridge floods every frame (it learns no MACs), so the router's unicast answers to other
    // hosts' ordinary requests reach dupip's interface too, as on a hub or a flooding switch.
    const flood = await l.bridge.exec('ip', ['link', 'set', l.bridge.ifname, 'type', 'bridge', 'ageing_time', '0']);
    expect(flood.code).toBe(0);

    const cap = await l.bridge.capture({ filter: 'arp' });
    const atM = await m.capture({ filter: 'arp' });
    const d = await DaemonProc.start(m, [
      '--interface', 'eth0', '--probe-interval', '1s', '--announce-interval', '0', '--clear-after', '2',
      '--delegate', PROXIED, '--delegate', HELD, '--delegate', SPLIT, '--proxy-canary', CANARY,
    ]);
    const found = await d.waitFor((x) => x.event === 'proxy-arp', 5000);
    expect(found).toMatchObject({ interface: 'eth0', mac: router.mac, reason: 'canary' });
    expect(found.msg).toContain(`MAC ${router.mac} answers ARP for the subnet on eth0: proxy ARP or a cloud fabric`);
    await d.waitFor(d.state(PROXIED, 'unanswered'), 6000);
    // Five more probe rounds, while a bystander asks for the proxied delegate every 50 ms: the
    // router's answers reach dupip inside every reply window, and must not make it a holder.
    const loop = `for i in $(seq 80); do arping -f -c 1 -w 1 -I eth0 ${PROXIED} >/dev/null; sleep 0.05; done`;
    const asking = b.exec('sh', ['-c', loop], { timeoutMs: 30_000 });
    await sleep(5000);
    await asking;
    const seenAtM = (await atM.stop()).filter((f) => f.src === router.mac && f.arp?.op === 2 && f.arp.senderIp === PROXIED && f.dst === b.mac);
    expect(seenAtM.length).toBeGreaterThan(20);

    const byRouter = (x: LogLine) => JSON.stringify(x).includes(router.mac);
    expect(d.events('proxy-arp')).toHaveLength(1);
    expect(d.lines.filter((x) => x.event === 'state' && x.address === PROXIED).map((x) => x.to)).toEqual(['unanswered']);
    expect(d.lines.filter((x) => x.event !== 'proxy-arp' && byRouter(x))).toEqual([]);
    expect(d.lines.filter((x) => x.event === 'state' && (x.to === 'conflict' || x.to === 'split-brain'))).toEqual([]);
    expect(d.events('conflict-mac')).toEqual([]);

    // Status and metrics say it once, too.
    const r = await status(['--control-socket', d.controlSocket, '--json']);
    const report = JSON.parse(r.stdout) as StatusReport;
    expect(report.proxies?.map((p) => [p.interface, p.mac, p.reason])).toEqual([['eth0', router.mac, 'canary']]);
    expect(report.addresses.find((a) => a.address === PROXIED)).toMatchObject({ state: 'unanswered', holders: [] });
    const table = await status(['--control-socket', d.controlSocket]);
    expect(table.stdout).toContain(`MAC ${router.mac} answers ARP for the subnet on eth0`);
    const text = await scrape(m, await metricsAddress(d));
    expect(text).toContain(`dupip_proxy_arp{interface="eth0",mac="${router.mac}"} 1`);

    // The canary went out as an ordinary request from our own address, never from 0.0.0.0.
    const frames = await cap.stop();
    const canaryRequests = frames.filter((f) => f.src === m.mac && f.arp?.targetIp === CANARY);
    expect(canaryRequests.length).toBeGreaterThanOrEqual(1);
    for (const f of canaryRequests) expect(f.arp).toMatchObject({ op: 1, senderIp: OWN });
    expect(frames.some((f) => f.src === router.mac && f.arp?.op === 2 && f.arp.senderIp === CANARY)).toBe(true);

    // A real holder of another delegate is still its holder.
    let mark = d.mark;
    await b.addAddress(`${HELD}/24`);
    const ok = await d.waitFor(d.state(HELD, 'ok'), 5000, mark);
    expect(ok.holders).toEqual([b.mac]);

    // Two real hosts holding a delegate are a split brain naming both.
    mark = d.mark;
    await b.addAddress(`${SPLIT}/24`);
    await c.addAddress(`${SPLIT}/24`);
    const sb = await d.waitFor(d.state(SPLIT, 'split-brain'), 6000, mark);
    expect(macsOf(sb)).toEqual([b.mac, c.mac].sort());

    // A real duplicate of an own address is a conflict naming the intruder.
    mark = d.mark;
    await c.addAddress(`${OWN}/24`);
    const conflict = await d.waitFor(d.state(OWN, 'conflict'), 5000, mark);
    expect(macsOf(conflict)).toEqual([c.mac]);

    // And the router never became a holder, an intruder or a second proxy finding on the way.
    expect(d.events('proxy-arp')).toHaveLength(1);
    expect(d.lines.filter((x) => x.event !== 'proxy-arp' && byRouter(x))).toEqual([]);
    expect((await d.stop()).code).toBe(0);
  });

  it('without a canary: the router answering for many watched delegates is one finding, not four holders', async () => {
    await using l = await Lab.create({ hosts: 3 });
    const [router, m, b] = [l.host(0), l.host(1), l.host(2)];
    await router.addAddress('192.0.2.1/24');
    await m.addAddress(`${OWN}/24`);
    await b.addAddress('192.0.2.11/24');
    const routed = ['192.0.2.131', '192.0.2.132', '192.0.2.133', '192.0.2.134'];
    await makeProxyArpRouter(router, ['192.0.2.128/25']);
    expect((await l.bridge.exec('ip', ['link', 'set', l.bridge.ifname, 'type', 'bridge', 'ageing_time', '0'])).code).toBe(0);
    const d = await DaemonProc.start(m, [
      '--interface', 'eth0', '--probe-interval', '1s', '--announce-interval', '0', '--no-own-addresses',
      ...routed.flatMap((a) => ['--delegate', a]),
    ]);
    await d.waitStates(routed, 'unanswered', 6000);
    // A bystander asks for each of them in turn (the router's answers reach dupip through the
    // flooding bridge), as delegate probes that are ordinary requests would.
    const loop = `for i in $(seq 15); do for a in ${routed.join(' ')}; do arping -f -c 1 -w 1 -I eth0 $a >/dev/null; done; sleep 0.1; done`;
    const asking = b.exec('sh', ['-c', loop], { timeoutMs: 30_000 });
    const found = await d.waitFor((x) => x.event === 'proxy-arp', 10_000);
    expect(found).toMatchObject({ interface: 'eth0', mac: router.mac, reason: 'many-addresses' });
    expect([...(found.addresses as string[])].sort()).toEqual(routed);
    await asking;
    await sleep(2500); // two more rounds: whatever answered before the finding is over
    expect(d.events('proxy-arp')).toHaveLength(1);
    expect(d.lines.filter((x) => x.event === 'state' && (x.to === 'conflict' || x.to === 'split-brain'))).toEqual([]);
    const r = await status(['--control-socket', d.controlSocket, '--json']);
    const report = JSON.parse(r.stdout) as StatusReport;
    for (const a of report.addresses) expect(a).toMatchObject({ state: 'unanswered', holders: [] });
    expect((await d.stop()).code).toBe(0);
  });
});
