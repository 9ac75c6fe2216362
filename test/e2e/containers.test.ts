/**
 * Container hosts (issue 11), the real daemon in the lab: which interfaces it watches by default
 * (the uplink, a bridge that enslaves the uplink; not container veths nor a bridge of containers),
 * that churn of container veths is logged as a summary and does not blind it on the uplink, and that
 * naming host-internal interfaces watches them on purpose; and that the addon's link watcher hands a
 * veth replacement over as one coalesced batch whose NEWLINK carries the link's facts (kind, MAC,
 * flags), which is what spares the host view a sysfs read per container.
 *
 * In the lab every host's eth0 is itself a veth (its peer is in the bridge namespace), so what makes
 * it the uplink here is the default route through it (test/lab/containers.ts); on a real host it is a
 * NIC (/sys/class/net/eth0/device). docs/config.md "Which interfaces face the network".
 */
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { CONTAINER_GATEWAY, makeContainerHost, startChurn, vethName } from '../lab/containers.js';
import { Lab, type LabHost } from '../lab/lab.js';
import { DaemonProc, type LogLine } from '../support/daemon-proc.js';
import { REPO } from '../support/dupip.js';
import { labPrereqs } from '../support/prereq.js';

const need = labPrereqs('arping');
const A = '192.0.2.10';
const B = '192.0.2.20';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const started = (d: DaemonProc) => d.lines.find((l) => l.event === 'started') as LogLine & { interfaces: string[] };

/** h2 takes `address` without answering probes and says so once: a chatty duplicate. */
async function claim(intruder: LabHost, address: string): Promise<void> {
  await intruder.addAddress(`${address}/24`);
  await intruder.exec('arping', ['-U', '-c', '1', '-I', intruder.ifname, address]);
}

/** The lab host's address and default route move onto br0, which enslaves eth0 (the uplink). */
async function bridgeTheUplink(h: LabHost, address: string): Promise<void> {
  await h.ipBatch([
    'link add br0 type bridge stp_state 0 forward_delay 0',
    `addr del ${address}/24 dev ${h.ifname}`,
    `link set ${h.ifname} master br0`,
    `link set br0 address ${h.mac}`,
    'link set br0 up',
    `addr add ${address}/24 dev br0`,
    'route add default via 192.0.2.254 dev br0',
    // A bridge of containers, as docker0 or cni0: its only port is a veth into a container.
    'link add cbr0 type bridge',
    'addr add 198.51.100.1/24 dev cbr0',
    'link add vcbr0 type veth peer name vcbr0c',
    'link set vcbr0 master cbr0 up',
    'link set cbr0 up',
  ]);
}

describe.skipIf(need.skip)(need.title('dupip on container hosts'), () => {
  it(
    'default settings: the uplink and a bridge enslaving it are watched, container links not; 60 s of churn is one summary line and the uplink still catches a duplicate',
    async () => {
      await using lab = await Lab.create({ hosts: 3 });
      const [h0, h1, h2] = [lab.host(0), lab.host(1), lab.host(2)];
      await h0.addAddress(`${A}/24`);
      await h1.addAddress(`${B}/24`);
      await h2.addAddress('192.0.2.30/24');
      await h2.sysctl('net.ipv4.conf.all.arp_ignore', '8');
      const c = await makeContainerHost(lab, h0, 50);
      await bridgeTheUplink(h1, B);

      const d0 = await DaemonProc.start(h0, ['--probe-interval', '2s']);
      const d1 = await DaemonProc.start(h1, ['--probe-interval', '2s']);
      expect(started(d0).interfaces).toEqual([h0.ifname]);
      expect(started(d1).interfaces).toEqual(['br0']);
      await d0.waitFor(d0.state(A, 'ok'), 8000);
      await d1.waitFor(d1.state(B, 'ok'), 8000);
      expect(d0.lines.some((l) => l.address === CONTAINER_GATEWAY)).toBe(false);

      const mark = d0.mark;
      const churn = startChurn(h0, c, 5);
      await sleep(3000);
      await claim(h2, A); // during the churn
      const conflict = await d0.waitFor(d0.state(A, 'conflict'), 3000, mark);
      expect(conflict.interface).toBe(h0.ifname);
      await claim(h2, B);
      const bridged = await d1.waitFor(d1.state(B, 'conflict'), 3000);
      expect(bridged.interface).toBe('br0');
      expect((bridged.macs as Array<{ mac: string }>).map((m) => m.mac)).toEqual([h2.mac]);

      // One summary line per minute for the churn, nothing per veth.
      const summary = await d0.waitFor((l) => l.event === 'interfaces-changed', 70_000, mark);
      const replaced = await churn.stop();
      expect(replaced).toBeGreaterThan(200); // ~5/s for a minute on a loaded machine
      expect(summary.linksAdded as number).toBeGreaterThan(150);
      expect(summary.linksRemoved as number).toBeGreaterThan(150);
      expect(summary.socketsOpened).toBe(0);
      expect(summary.watched).toBe(1);
      const during = d0.lines.slice(mark);
      expect(during.filter((l) => /s-\d{6}/.test(l.msg))).toEqual([]);
      expect(during.length).toBeLessThan(60);
      expect(d0.stderr.join('')).toBe('');
      expect((await d0.stop()).code).toBe(0);
      expect((await d1.stop()).code).toBe(0);
    },
    120_000,
  );

  it('interfaces naming container veths watches them through churn, and nothing is missed on the uplink', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    const [h0, h1] = [lab.host(0), lab.host(1)];
    await h0.addAddress(`${A}/24`);
    await h1.addAddress('192.0.2.30/24');
    await h1.sysctl('net.ipv4.conf.all.arp_ignore', '8');
    const c = await makeContainerHost(lab, h0, 20);
    const names = [h0.ifname, ...c.names];
    const d = await DaemonProc.start(h0, ['--probe-interval', '2s', ...names.flatMap((n) => ['--interface', n])]);
    expect(started(d).interfaces).toEqual(names);
    const status = async () => {
      const st = await h0.exec(process.execPath, [new URL('../../bin/dupip', import.meta.url).pathname, 'status', '--control-socket', d.controlSocket, '--json']);
      return { code: st.code, stderr: st.stderr, addresses: (JSON.parse(st.stdout) as { addresses: Array<{ interface: string; state: string }> }).addresses };
    };
    // The veths' first probe rounds (their unknown → ok goes to the summary, not a line each: ask status).
    for (let t = 0; t < 40 && (await status()).addresses.filter((a) => a.interface.startsWith('s-') && a.state === 'ok').length < c.names.length; t++) await sleep(250);
    expect((await status()).addresses.filter((a) => a.interface === vethName(19))).toMatchObject([{ state: 'ok' }]);
    const mark = d.lines.length;
    const churn = startChurn(h0, c, 5);
    await sleep(4000);
    await claim(h1, A);
    const conflict = await d.waitFor(d.state(A, 'conflict'), 3000);
    expect(conflict.interface).toBe(h0.ifname);
    await sleep(2000);
    await churn.stop();
    // Every veth that came back is watched again: a new probe of the gateway address on each.
    await sleep(1500);
    const st = await status();
    expect(st.code, st.stderr).toBe(1); // 1: a conflict is in the report (the one on eth0)
    const watched = new Set(st.addresses.map((a) => a.interface));
    for (const n of names) expect(watched.has(n), n).toBe(true);
    // A veth missing for a moment, unwatched and watched again, down and up: counted for the summary
    // line (a minute on), not logged per veth; the conflict on the uplink was logged.
    const perVeth = d.lines.slice(mark).filter((l) => l.level >= 30 && ((typeof l.interface === 'string' && l.interface.startsWith('s-')) || (l.event === 'problem' && /does not exist/.test(l.msg))));
    expect(perVeth.map((l) => l.msg)).toEqual([]);
    expect((await d.stop()).code).toBe(0);
  }, 60_000);
  it('the link watcher (the real addon): a veth replaced is one coalesced batch whose NEWLINK says it is a veth, no sysfs needed', async () => {
    await using lab = await Lab.create({ hosts: 1 });
    const h0 = lab.host(0);
    await h0.addAddress(`${A}/24`); // the default route's gateway is on this segment
    const c = await makeContainerHost(lab, h0, 1);
    // A watcher in h0's namespace printing each batch it is handed (dist/, as the daemon runs it).
    const script = `import('${REPO}dist/platform/netlink.js').then(({ watchHostChanges }) => {
      watchHostChanges((c) => console.log(JSON.stringify({ lost: c.lost, links: [...c.links].map(([i, l]) => ({ i, ...l })), addresses: c.addresses.length })));
      console.log('{"ready":true}');
    });`;
    const child = h0.spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    const batches: Array<{ lost: boolean; links: Array<{ i: number; name: string | null; deleted: boolean; message?: { kind: string | null; mac: string | null; operstate: number; flags: number } }>; addresses: number }> = [];
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    createInterface({ input: child.stdout! }).on('line', (t) => {
      const o = JSON.parse(t) as { ready?: boolean };
      if (o.ready) ready();
      else batches.push(o as (typeof batches)[number]);
    });
    try {
      await isReady;
      const v = vethName(0);
      // One replacement as the churn does it: delete, create with the peer in the containers' namespace, address, up.
      await h0.ipBatch([`link del ${v}`, `link add ${v} type veth peer name c0 netns ${c.containers.name}`, `addr add ${CONTAINER_GATEWAY}/32 dev ${v}`, `link set ${v} up`]);
      await sleep(1500);
      // A dozen messages (DELLINK, NEWLINKs, address and local routes), read in one wakeup or two under
      // load (without the addon's coalescing: five batches here).
      expect(batches.length).toBeGreaterThanOrEqual(1);
      expect(batches.length).toBeLessThanOrEqual(2);
      expect(batches.some((b) => b.lost)).toBe(false);
      const links = batches.flatMap((b) => b.links).filter((l) => l.name === v);
      expect(links.some((l) => l.deleted)).toBe(true);
      const created = links.filter((l) => !l.deleted).at(-1)!;
      const mac = /link\/ether ([0-9a-f:]{17})/.exec((await h0.exec('ip', ['-o', 'link', 'show', 'dev', v])).stdout)?.[1];
      expect(created.message).toMatchObject({ kind: 'veth', mac });
      expect(created.message!.flags & 1).toBe(1); // IFF_UP
      expect(batches.reduce((n, b) => n + b.addresses, 0)).toBeGreaterThanOrEqual(2); // the old one's DELADDR, the new one's NEWADDR
    } finally {
      child.kill('SIGTERM');
    }
  });
});
