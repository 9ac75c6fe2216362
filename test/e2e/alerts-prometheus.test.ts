/**
 * The shipped alert rules end to end: a real Prometheus (Debian's `prometheus` server, see
 * test/support/prometheus.ts) in a lab host scrapes the real dupip daemons of four other lab hosts
 * across the segment, loads alerts/dupip.alerts.yml (a copy with every `for:` shortened to 2s, the
 * expressions untouched) and evaluates it every second. Each fault is planted on real hosts, the
 * alert it should raise is awaited in Prometheus' /api/v1/alerts with its labels and annotations,
 * then the fault is removed and every alert must go quiet again:
 *   (a) healthy: own addresses unique, each delegate held by exactly one host: nothing fires;
 *   (b) an own address on two hosts that both run dupip: DuplicateIPAddress on each, naming the
 *       other host, and IPAddressOnMultipleHosts;
 *   (c) a delegate held by two hosts: DelegateIPSplitBrain;
 *   (d) a delegate nobody holds: DelegateIPUnanswered.
 * Every rule must stay healthy (no evaluation error, which would silence it) throughout.
 *
 * Run alone (as root, after scripts/install-deps.sh):
 *   npx vitest run --project e2e test/e2e/alerts-prometheus.test.ts
 */
import { readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Lab, type LabHost } from '../lab/lab.js';
import { DaemonProc } from '../support/daemon-proc.js';
import { labPrereqs, prereqs, requireBuild, requireTool } from '../support/prereq.js';
import { PrometheusServer, type ActiveAlert } from '../support/prometheus.js';
import { until } from '../support/scrape.js';

const lab = labPrereqs('curl');
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild(), requireTool('prometheus'));

const RULE_FILE = fileURLToPath(new URL('../../alerts/dupip.alerts.yml', import.meta.url));
const PORT = 10227;
/** Own (and metrics) address of daemon host i. */
const OWN = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13'] as const;
/** A second own address of host 2; host 3 takes it too in case (b). */
const DUP = '192.0.2.30';
/** Delegates every daemon watches: V1 held by host 1, V2 by host 2. */
const V1 = '192.0.2.100';
const V2 = '192.0.2.101';
const PROM = '192.0.2.50';
const ARGS = ['--interface', 'eth0', '--probe-interval', '1s', '--clear-after', '2', '--announce-interval', '0', '--delegate', V1, '--delegate', V2];
const instance = (i: number) => `lab-h${i}`;
/** Alerts of these names are what cases (b)-(d) plant; case (a) and every revert require none at all. */
const PLANTED = ['DuplicateIPAddress', 'IPAddressOnMultipleHosts', 'DelegateIPSplitBrain', 'DelegateIPUnanswered'];

/** The shipped rules, as written. */
const SHIPPED = (parse(readFileSync(RULE_FILE, 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; expr: string; for?: string }> }> }).groups.flatMap(
  (g) => g.rules,
);
/**
 * Fleet-wide holding alerts (issue 10: each host exports whether it holds a delegate): whatever
 * rule of the shipped file reads dupip_delegate_held must fire in case (c) too (DelegateIPHeldOnMultipleHosts).
 */
const HOLDING = SHIPPED.filter((r) => r.alert !== undefined && /\bdupip_delegate_held\b/.test(r.expr)).map((r) => r.alert!);

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const show = (as: readonly ActiveAlert[]) =>
  as.map((a) => `${a.labels.alertname}{${Object.entries(a.labels).filter(([k]) => k !== 'alertname').map(([k, v]) => `${k}="${v}"`).join(',')}} ${a.state}`).join('\n') || '(none)';

describe.skipIf(need.skip)(need.title('shipped alerts in a real Prometheus scraping real daemons'), () => {
  let l: Lab;
  let hosts: LabHost[];
  let daemons: DaemonProc[] = [];
  let prom: PrometheusServer | undefined;

  beforeAll(async () => {
    l = await Lab.create({ hosts: 5 });
    hosts = [0, 1, 2, 3].map((i) => l.host(i));
    const ph = l.host(4);
    await Promise.all(hosts.map((h, i) => h.addAddress(`${OWN[i]}/24`)));
    await hosts[2]!.addAddress(`${DUP}/24`);
    await hosts[1]!.addAddress(`${V1}/24`);
    await hosts[2]!.addAddress(`${V2}/24`);
    await ph.addAddress(`${PROM}/24`);
    daemons = await Promise.all(hosts.map((h, i) => DaemonProc.start(h, ARGS, { listen: `${OWN[i]}:${PORT}` })));
    prom = await PrometheusServer.start(ph, {
      listen: `${PROM}:9090`,
      targets: hosts.map((_, i) => ({ address: `${OWN[i]}:${PORT}`, instance: instance(i) })),
      ruleFile: RULE_FILE,
    });
    await until('every daemon scraped', async () => {
      const ts = await prom!.targets();
      return ts.length === 4 && ts.every((t) => t.health === 'up') && ts;
    }, 20_000, 500);
  });

  afterAll(async () => {
    await prom?.stop();
    await Promise.all(daemons.map((d) => d.stop()));
    for (const d of daemons) rmSync(d.stateDir, { recursive: true, force: true });
    await l?.destroy();
  });

  const p = () => prom!;

  /** Every loaded rule evaluates without error (an error, e.g. a many-to-many join, silences a rule). */
  async function expectRulesHealthy(): Promise<void> {
    const rules = await p().rules();
    expect(rules.filter((r) => r.type === 'alerting').map((r) => r.name)).toEqual(expect.arrayContaining(PLANTED));
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);
  }

  /** The fleet looks healthy in Prometheus' own data, so "no alert" below is not "no data". */
  async function expectHealthyData(): Promise<void> {
    await until('every daemon reporting one holder per delegate', async () => {
      const held = await p().query('dupip_delegate_holders');
      return held.length === 8 && held.every((s) => s.value === 1);
    }, 20_000, 500);
    const own = await p().query('count by (address) (dupip_address_info{role="own"})');
    expect(own.map((s) => [s.metric.address, s.value]).sort()).toEqual([...OWN, DUP].map((a) => [a, 1]).sort());
    expect(await p().query('dupip_conflict == 1')).toEqual([]);
  }

  /**
   * No alert at all, pending or firing, at any point of `ms` (several evaluation cycles), and rule
   * evaluation demonstrably going on meanwhile.
   */
  async function expectSilentFor(ms: number): Promise<void> {
    await expectHealthyData();
    const evaluated = async () => Math.min(...(await p().rules()).map((r) => Date.parse(r.lastEvaluation)));
    const first = await evaluated();
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const active = await p().alerts();
      expect(show(active)).toBe('(none)');
      await delay(500);
    }
    expect(await evaluated(), 'rule evaluations went on').toBeGreaterThanOrEqual(first + ms - 2000);
    await expectRulesHealthy();
  }

  /** Back to healthy after a revert: every alert resolves, then stays quiet. */
  async function expectQuietAgain(): Promise<void> {
    await until('every alert resolved', async () => (await p().alerts()).length === 0, 20_000, 500);
    await expectSilentFor(3000);
  }

  /**
   * Waits until every alert `want` describes is firing, then checks that nothing outside `allowed`
   * is active; returns the firing alerts.
   */
  async function expectFiring(
    want: Array<{ alertname: string; labels: Record<string, string> }>,
    allowed: (a: ActiveAlert) => boolean,
    timeoutMs = 20_000,
  ): Promise<ActiveAlert[]> {
    let last: ActiveAlert[] = [];
    const matches = (a: ActiveAlert, w: (typeof want)[number]) =>
      a.state === 'firing' && a.labels.alertname === w.alertname && Object.entries(w.labels).every(([k, v]) => a.labels[k] === v);
    try {
      await until('the planted alerts firing', async () => {
        last = await p().alerts();
        return want.every((w) => last.some((a) => matches(a, w)));
      }, timeoutMs, 500);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nactive alerts:\n${show(last)}\nprometheus log:\n${p().log}`);
    }
    expect(show(last.filter((a) => !allowed(a))), 'unexpected alerts').toBe('(none)');
    await expectRulesHealthy();
    const firing = last.filter((a) => a.state === 'firing');
    // Every annotation rendered: a template reading a label the alert lacks prints "<no value>".
    const unrendered = firing.flatMap((a) => Object.entries(a.annotations).filter(([, v]) => v.includes('<no value>')).map(([k]) => `${a.labels.alertname}.${k}`));
    expect(unrendered).toEqual([]);
    return firing;
  }

  it('(a) healthy fleet: unique own addresses, each delegate held once: no alert fires', async () => {
    // Prometheus loaded every shipped rule, with only `for` shortened.
    const loaded = await p().rules();
    expect(loaded.map((r) => r.name)).toEqual(SHIPPED.map((r) => r.alert));
    expect(loaded.map((r) => r.duration)).toEqual(SHIPPED.map((r) => (r.for === undefined ? 0 : 2)));
    await expectSilentFor(6000);
  });

  it('(b) an own address on two dupip hosts: DuplicateIPAddress names the other host, IPAddressOnMultipleHosts fires; quiet once removed', async () => {
    const [h2, h3] = [hosts[2]!, hosts[3]!];
    await h3.addAddress(`${DUP}/24`);
    try {
      const firing = await expectFiring(
        [
          { alertname: 'DuplicateIPAddress', labels: { address: DUP, instance: instance(2), conflicting_instance: instance(3), mac: h3.mac } },
          { alertname: 'DuplicateIPAddress', labels: { address: DUP, instance: instance(3), conflicting_instance: instance(2), mac: h2.mac } },
          { alertname: 'IPAddressOnMultipleHosts', labels: { address: DUP, instance: instance(2) } },
          { alertname: 'IPAddressOnMultipleHosts', labels: { address: DUP, instance: instance(3) } },
        ],
        (a) => ['DuplicateIPAddress', 'IPAddressOnMultipleHosts'].includes(a.labels.alertname!) && a.labels.address === DUP,
      );
      const dup = firing.find((a) => a.labels.alertname === 'DuplicateIPAddress' && a.labels.instance === instance(2))!;
      expect(dup.labels).toMatchObject({ severity: 'critical', role: 'own', interface: 'eth0', job: 'dupip' });
      expect(dup.annotations.summary).toContain(`${DUP} on ${instance(2)}: ${instance(3)} (MAC ${h3.mac})`);
      expect(dup.annotations.description).toContain(`dupip host ${instance(3)}`);
      const multi = firing.filter((a) => a.labels.alertname === 'IPAddressOnMultipleHosts');
      expect(multi.map((a) => [a.labels.instance, Number(a.value)]).sort()).toEqual([
        [instance(2), 2],
        [instance(3), 2],
      ]);
      expect(multi[0]!.annotations.summary).toContain(`${DUP} is configured on 2 dupip hosts`);
    } finally {
      await h3.removeAddress(`${DUP}/24`);
    }
    await expectQuietAgain();
  });

  it('(c) a delegate held by two hosts: DelegateIPSplitBrain fires; quiet once one lets go', async () => {
    const h3 = hosts[3]!;
    await h3.addAddress(`${V1}/24`);
    try {
      const firing = await expectFiring(
        [
          // the hosts that only watch V1 see two MACs answer
          { alertname: 'DelegateIPSplitBrain', labels: { address: V1, instance: instance(0) } },
          { alertname: 'DelegateIPSplitBrain', labels: { address: V1, instance: instance(2) } },
          // the holders see each other answer for a delegate they hold: a conflict naming the other
          { alertname: 'DuplicateIPAddress', labels: { address: V1, instance: instance(1), conflicting_instance: instance(3), role: 'delegate' } },
          { alertname: 'DuplicateIPAddress', labels: { address: V1, instance: instance(3), conflicting_instance: instance(1), role: 'delegate' } },
          ...HOLDING.map((alertname) => ({ alertname, labels: {} })),
        ],
        // alerts about V1 only, and none saying that nobody holds it
        (a) => (a.labels.address === V1 && a.labels.alertname !== 'DelegateIPUnanswered') || HOLDING.includes(a.labels.alertname!),
      );
      const sb = firing.find((a) => a.labels.alertname === 'DelegateIPSplitBrain' && a.labels.instance === instance(0))!;
      expect(sb.labels.severity).toBe('critical');
      expect(Number(sb.value)).toBe(2);
      expect(sb.annotations.summary).toContain(`Floating address ${V1} is held by 2 `);
    } finally {
      await h3.removeAddress(`${V1}/24`);
    }
    await expectQuietAgain();
  });

  it('(d) a delegate nobody holds: DelegateIPUnanswered fires on every watcher; quiet once held again', async () => {
    const h2 = hosts[2]!;
    await h2.removeAddress(`${V2}/24`);
    try {
      const firing = await expectFiring(
        [0, 1, 2, 3].map((i) => ({ alertname: 'DelegateIPUnanswered', labels: { address: V2, instance: instance(i) } })),
        (a) => a.labels.alertname === 'DelegateIPUnanswered' && a.labels.address === V2,
      );
      const un = firing.find((a) => a.labels.instance === instance(0))!;
      expect(un.labels.severity).toBe('critical');
      expect(un.annotations.summary).toBe(`Nobody answers for floating address ${V2}`);
    } finally {
      await h2.addAddress(`${V2}/24`);
    }
    await expectQuietAgain();
  });
});
