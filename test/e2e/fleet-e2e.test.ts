/**
 * Holders counted by host, and fleet-wide holding, in a real Prometheus (test/support/prometheus.ts,
 * the shipped alerts/dupip.alerts.yml with `for:` shortened to 2s) scraping real dupip daemons on
 * real lab hosts (issue 10, items 3 and 5):
 *   (a) ARP flux: host A holds V1 on eth0 and has a macvlan on the same segment; with arp_ignore=0
 *       (Linux's default) it answers for V1 with both MACs. The watchers see two MACs (the old
 *       MAC-count rule would fire) but both are A's (its dupip exports them in
 *       dupip_interface_info): no DelegateIPSplitBrain; A also holds V3, and `dupip status` on a
 *       watcher says the two MACs answer together for both: one host (ARP flux), with the
 *       arp_ignore/arp_announce advice. Then B, a different host, takes V1 too:
 *       DelegateIPSplitBrain fires.
 *   (b) Shared virtual MAC: B, master, has V2 on a macvlan with MAC 00:00:5e:00:01:33 (keepalived
 *       use_vmac) and arp_ignore=1: nothing fires. D becomes master too (the same macvlan, the
 *       same MAC, V2 on it): the wire still shows one MAC (no split brain seen by anyone), and
 *       DelegateIPHeldOnMultipleHosts fires naming B and D; once D lets go it goes quiet.
 *
 * Run alone (as root, after scripts/install-deps.sh):
 *   npx vitest run --project e2e test/e2e/fleet-e2e.test.ts
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab, type LabHost } from '../lab/lab.js';
import { DaemonProc } from '../support/daemon-proc.js';
import { labPrereqs, prereqs, requireBuild, requireTool } from '../support/prereq.js';
import { PrometheusServer, type ActiveAlert } from '../support/prometheus.js';
import { status, until } from '../support/scrape.js';

const lab = labPrereqs('curl');
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild(), requireTool('prometheus'), requireTool('arping'));

const RULE_FILE = fileURLToPath(new URL('../../alerts/dupip.alerts.yml', import.meta.url));
const PORT = 10227;
/** Daemon hosts: 0 C (watches only), 1 A (ARP flux), 2 B and 3 D (shared virtual MAC). */
const OWN = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13'] as const;
const NAME = ['lab-c', 'lab-a', 'lab-b', 'lab-d'] as const;
const V1 = '192.0.2.100';
const V2 = '192.0.2.101';
/** A second delegate A holds: A's two MACs answer together for V1 and V3. */
const V3 = '192.0.2.102';
const PROM = '192.0.2.50';
/** A's second interface on the segment (ARP flux). */
const FLUX_MAC = '02:00:5e:10:00:0a';
/** keepalived use_vmac for VRID 51. */
const VMAC = '00:00:5e:00:01:33';
const ARGS = ['--interface', 'eth0', '--probe-interval', '1s', '--clear-after', '2', '--announce-interval', '0', '--delegate', V1, '--delegate', V2, '--delegate', V3];
const name = (i: number) => NAME[i]!;
const WATCH = ['DelegateIPSplitBrain', 'DelegateIPHeldOnMultipleHosts'];

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const show = (as: readonly ActiveAlert[]) =>
  as.map((a) => `${a.labels.alertname}{${Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}="${v}"`).join(',')}} ${a.state}`).join('\n') || '(none)';

describe.skipIf(need.skip)(need.title('holders by host and fleet-wide holding in a real Prometheus'), () => {
  let l: Lab;
  let hosts: LabHost[];
  let daemons: DaemonProc[] = [];
  let prom: PrometheusServer | undefined;
  const p = () => prom!;
  const [c, a, b, d] = [0, 1, 2, 3];

  async function ip(h: LabHost, args: string[]): Promise<void> {
    const r = await h.exec('ip', args);
    if (r.code !== 0) throw new Error(`ip ${args.join(' ')} in ${h.name}: ${r.stderr}`);
  }

  /** What keepalived does on a transition to master with use_vmac: the virtual MAC's macvlan up, V2 on it. */
  async function becomeMaster(h: LabHost): Promise<void> {
    await ip(h, ['link', 'add', 'vrrp.51', 'link', h.ifname, 'address', VMAC, 'type', 'macvlan', 'mode', 'bridge']);
    await ip(h, ['link', 'set', 'vrrp.51', 'up']);
    await ip(h, ['addr', 'add', `${V2}/32`, 'dev', 'vrrp.51']);
  }

  beforeAll(async () => {
    l = await Lab.create({ hosts: 5 });
    hosts = [0, 1, 2, 3].map((i) => l.host(i));
    await Promise.all(hosts.map((h, i) => h.addAddress(`${OWN[i]}/24`)));
    // A: a macvlan on the segment, no address of its own; arp_ignore=0 (the default) everywhere.
    const ha = hosts[a]!;
    await ip(ha, ['link', 'add', 'mv0', 'link', ha.ifname, 'address', FLUX_MAC, 'type', 'macvlan', 'mode', 'bridge']);
    await ip(ha, ['link', 'set', 'mv0', 'up']);
    expect(await ha.sysctl('net.ipv4.conf.all.arp_ignore')).toBe('0');
    await ha.addAddress(`${V1}/24`);
    await ha.addAddress(`${V3}/24`);
    // B and D: arp_ignore=1 (only the interface holding an address answers for it), as keepalived
    // use_vmac wants. B is master of VRID 51: the virtual MAC's macvlan, V2 on it; D becomes one in (b).
    for (const h of [hosts[b]!, hosts[d]!]) await h.sysctl('net.ipv4.conf.all.arp_ignore', '1');
    await becomeMaster(hosts[b]!);
    await l.host(4).addAddress(`${PROM}/24`);
    daemons = await Promise.all(hosts.map((h, i) => DaemonProc.start(h, ARGS, { listen: `${OWN[i]}:${PORT}` })));
    prom = await PrometheusServer.start(l.host(4), {
      listen: `${PROM}:9090`,
      targets: hosts.map((_, i) => ({ address: `${OWN[i]}:${PORT}`, instance: name(i) })),
      ruleFile: RULE_FILE,
    });
    await until('every daemon scraped', async () => {
      const ts = await p().targets();
      return ts.length === 4 && ts.every((t) => t.health === 'up') && ts;
    }, 20_000, 500);
  });

  afterAll(async () => {
    await prom?.stop();
    await Promise.all(daemons.map((x) => x.stop()));
    for (const x of daemons) rmSync(x.stateDir, { recursive: true, force: true });
    await l?.destroy();
  });

  const watched = async () => (await p().alerts()).filter((x) => WATCH.includes(x.labels.alertname!));

  /** Every rule evaluates without error (an error, e.g. a many-to-many join, silences a rule). */
  async function expectRulesHealthy(): Promise<void> {
    const rules = await p().rules();
    expect(rules.map((r) => r.name)).toEqual(expect.arrayContaining(WATCH));
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  }

  /** None of WATCH active, pending or firing, for `ms` (several evaluations with `for: 2s`), rules evaluated meanwhile. */
  async function expectSilentFor(ms: number): Promise<void> {
    const evaluated = async () => Math.min(...(await p().rules()).map((r) => Date.parse(r.lastEvaluation)));
    const first = await evaluated();
    const end = Date.now() + ms;
    while (Date.now() < end) {
      expect(show(await watched())).toBe('(none)');
      await delay(500);
    }
    expect(await evaluated(), 'rule evaluations went on').toBeGreaterThanOrEqual(first + ms - 2000);
    await expectRulesHealthy();
  }

  async function expectFiring(want: Array<{ alertname: string; labels: Record<string, string> }>): Promise<ActiveAlert[]> {
    let last: ActiveAlert[] = [];
    const matches = (x: ActiveAlert, w: (typeof want)[number]) =>
      x.state === 'firing' && x.labels.alertname === w.alertname && Object.entries(w.labels).every(([k, v]) => x.labels[k] === v);
    try {
      await until('the alerts firing', async () => {
        last = await p().alerts();
        return want.every((w) => last.some((x) => matches(x, w)));
      }, 20_000, 500);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nactive alerts:\n${show(last)}\nprometheus log:\n${p().log}`);
    }
    await expectRulesHealthy();
    return last.filter((x) => x.state === 'firing');
  }

  /** Prometheus' own view of what a watcher sees for an address: the MACs it lists as holders. */
  async function holderMacs(instance: string, address: string): Promise<string[]> {
    const s = await p().query(`dupip_delegate_holder_info{instance="${instance}",address="${address}"}`);
    return s.map((x) => x.metric.mac!).sort();
  }

  /** The MACs that answer ARP requests for `address` from C, as arping sees them. */
  async function wireMacs(address: string): Promise<string[]> {
    const r = await hosts[c]!.exec('arping', ['-c', '3', '-w', '4', '-I', hosts[c]!.ifname, address], { timeoutMs: 10_000 });
    return [...new Set([...r.stdout.matchAll(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1]!.toLowerCase()))].sort();
  }

  it('(a) ARP flux: one dupip host answering with two MACs is no split brain; two hosts are', async () => {
    const ha = hosts[a]!;
    // The flux is real: the watchers see both of A's MACs answer, and Prometheus has them.
    await until('C and D list both of A\'s MACs for V1', async () => {
      const [fc, fd] = [await holderMacs(name(c), V1), await holderMacs(name(d), V1)];
      const want = [ha.mac, FLUX_MAC].sort();
      return JSON.stringify(fc) === JSON.stringify(want) && JSON.stringify(fd) === JSON.stringify(want);
    }, 20_000, 500);
    const holders = await p().query(`dupip_delegate_holders{address="${V1}",instance=~"${name(c)}|${name(d)}"}`);
    expect(holders.map((x) => x.value)).toEqual([2, 2]); // the MAC count: what the old rule alerted on
    const owned = await p().query(`dupip_interface_info{instance="${name(a)}",mac="${FLUX_MAC}"}`);
    expect(owned).toHaveLength(1);
    // The rules see what Prometheus has one evaluation later: an alert that went pending while A's
    // macvlan was not yet in dupip_interface_info must first be re-evaluated; then it stays silent.
    await until('no alert pending once A owns both MACs', async () => show(await watched()) === '(none)', 10_000, 500);
    await expectSilentFor(6000);
    // On C, the on-box report says what the two MACs look like: one host, answering for V1 and V3.
    const r = await status(['--control-socket', daemons[c]!.controlSocket, '--json']);
    const notes = (JSON.parse(r.stdout) as { notes?: string[] }).notes ?? [];
    const pair = [ha.mac, FLUX_MAC].sort();
    expect(notes).toContain(`MACs ${pair[0]} and ${pair[1]} answer together for ${V1}, ${V3}: may be one host with two interfaces on the segment (ARP flux): set net.ipv4.conf.all.arp_ignore=1 and net.ipv4.conf.all.arp_announce=2 on it`);
    const table = await status(['--control-socket', daemons[c]!.controlSocket]);
    expect(table.stdout).toMatch(/^Notes:$/m);

    // A different host takes V1 too: a real split brain.
    const hb = hosts[b]!;
    await hb.addAddress(`${V1}/24`);
    try {
      const firing = await expectFiring([
        { alertname: 'DelegateIPSplitBrain', labels: { address: V1, instance: name(c) } },
        { alertname: 'DelegateIPSplitBrain', labels: { address: V1, instance: name(d) } },
        { alertname: 'DelegateIPHeldOnMultipleHosts', labels: { address: V1, instance: name(a) } },
        { alertname: 'DelegateIPHeldOnMultipleHosts', labels: { address: V1, instance: name(b) } },
      ]);
      const sb = firing.find((x) => x.labels.alertname === 'DelegateIPSplitBrain' && x.labels.instance === name(c))!;
      // three MACs answer (A's two and B's), two hosts hold it
      expect(await holderMacs(name(c), V1)).toEqual([ha.mac, FLUX_MAC, hb.mac].sort());
      expect(Number(sb.value)).toBe(2);
      expect(sb.annotations.summary).toBe(`Floating address ${V1} is held by 2 hosts at once`);
      expect(show(firing.filter((x) => WATCH.includes(x.labels.alertname!) && x.labels.address !== V1))).toBe('(none)');
    } finally {
      await hb.removeAddress(`${V1}/24`);
    }
    await until('the split brain resolved', async () => (await watched()).length === 0, 20_000, 500);
    await expectSilentFor(3000);
  });

  it('(b) a shared virtual MAC: one holder is silent; two holders raise DelegateIPHeldOnMultipleHosts naming both', async () => {
    // One holder, and the wire shows one MAC (arping from C, an independent witness).
    expect(await wireMacs(V2)).toEqual([VMAC]);
    const held = await p().query(`dupip_delegate_held{address="${V2}"} == 1`);
    expect(held.map((x) => x.metric.instance)).toEqual([name(b)]);
    await expectSilentFor(4000);

    const hd = hosts[d]!;
    await becomeMaster(hd); // without a peer to hear from (a partition): two masters
    try {
      const firing = await expectFiring([
        { alertname: 'DelegateIPHeldOnMultipleHosts', labels: { address: V2, instance: name(b) } },
        { alertname: 'DelegateIPHeldOnMultipleHosts', labels: { address: V2, instance: name(d) } },
      ]);
      const one = firing.find((x) => x.labels.alertname === 'DelegateIPHeldOnMultipleHosts' && x.labels.instance === name(d))!;
      expect(one.labels.severity).toBe('critical');
      expect(Number(one.value)).toBe(2);
      expect(one.annotations.summary).toBe(`Floating address ${V2} is configured on 2 hosts at once, ${name(d)} among them`);
      expect(one.annotations.description).toContain(`configured at the same time: ${name(b)}, ${name(d)}.`);
      // Both masters answer, and the wire still shows one MAC: no split brain seen by anyone.
      const wire = await hosts[c]!.exec('arping', ['-b', '-c', '3', '-w', '4', '-I', hosts[c]!.ifname, V2], { timeoutMs: 10_000 });
      const [sent, received] = [/Sent (\d+) probe/, /Received (\d+) response/].map((re) => Number(re.exec(wire.stdout)?.[1]));
      expect(received, wire.stdout).toBeGreaterThan(sent!); // more answers than requests: both masters answer
      expect(await wireMacs(V2)).toEqual([VMAC]);
      expect(show(firing.filter((x) => x.labels.alertname === 'DelegateIPSplitBrain'))).toBe('(none)');
    } finally {
      await ip(hd, ['link', 'del', 'vrrp.51']);
    }
    await until('the holding alert resolved', async () => (await watched()).length === 0, 20_000, 500);
    await expectSilentFor(3000);
  });
});
