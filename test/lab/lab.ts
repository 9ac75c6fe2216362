/**
 * Network-namespace lab for end-to-end tests: one L2 segment (a bridge in its own namespace) and N
 * hosts, each a namespace with a veth into the bridge. Nothing is created in, or sent on, the
 * machine's own namespace: interfaces are created directly inside the lab namespaces.
 *
 *   await using lab = await Lab.create({ hosts: 3 });
 *   const [a, b] = [lab.host(0), lab.host(1)];
 *   await a.addAddress('192.0.2.10/24');
 *   const cap = await b.capture();
 *   const r = await a.exec('arping', ['-c1', '-w2', '-I', a.ifname, '192.0.2.11']);
 *   const frames = await cap.stop();
 *
 * Teardown: `await using` / `destroy()`; every live lab is also in a process-wide registry that is
 * destroyed synchronously on 'exit', SIGINT, SIGTERM and SIGHUP (and after each e2e file by
 * test/lab/setup.ts); test/global-setup.ts removes namespaces of dead processes before and after a
 * run. Needs root, iproute2, and tcpdump for capture().
 */
import type { ChildProcess } from 'node:child_process';
import { delay, exited, LabError, run, runOk, terminate } from './exec.js';
import { listLabNamespaces, newLabId, netnsName, removeNamespacesSync } from './names.js';
import { ip, ipBatch, LabBridge, LabHost, LabNetns } from './namespace.js';

export { NonDocumentationAddressError, DOCUMENTATION_RANGES } from './addresses.js';
export type { ArpFields, ArpKind, CapturedFrame } from './tcpdump.js';
export type { Capture, CaptureOptions } from './capture.js';
export { LabError, type ExecOptions, type ExecResult } from './exec.js';
export { LabBridge, LabHost, LabNamespace, LabNetns, type LabSpawnOptions, type Neighbour } from './namespace.js';

// Written in every new namespace before its interfaces exist, so they inherit it: no IPv6 link-local
// address, DAD, router solicitation or MLD on the segment. Absent when the kernel has no IPv6.
const QUIET_SCRIPT = `
if [ -d /proc/sys/net/ipv6 ]; then
  echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
  echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
fi
`;

// ---------------------------------------------------------------------------------------------
// the lab

export interface LabOptions {
  /** number of hosts to create (default 2) */
  hosts?: number;
  /** name of each host's interface inside its namespace (default "eth0"); at most 15 characters */
  ifname?: string;
}

const BRIDGE_IF = 'br0';
const live = new Set<Lab>();

export class Lab {
  readonly id: string;
  readonly bridge: LabBridge;
  readonly #hosts: LabHost[] = [];
  readonly #namespaces: string[] = [];
  readonly #children = new Set<ChildProcess>();
  readonly #ifname: string;
  #destroying: Promise<void> | null = null;
  #destroyed = false;

  private constructor(opts: LabOptions) {
    this.#ifname = opts.ifname ?? 'eth0';
    if (!/^[A-Za-z0-9_\-.]{1,15}$/.test(this.#ifname) || this.#ifname === BRIDGE_IF) {
      throw new LabError(`lab: bad interface name "${this.#ifname}" (1..15 chars of [A-Za-z0-9_.-])`);
    }
    this.id = newLabId();
    this.bridge = new LabBridge(this, netnsName(this.id, 'br'), BRIDGE_IF);
  }

  /** Builds the segment and `hosts` hosts (default 2). Cleans up after itself if that fails. */
  static async create(opts: LabOptions = {}): Promise<Lab> {
    const n = opts.hosts ?? 2;
    if (!Number.isInteger(n) || n < 0 || n > 64) throw new LabError(`lab: hosts must be 0..64, got ${n}`);
    const lab = new Lab(opts);
    live.add(lab);
    installProcessHandlers();
    try {
      await lab.#build(n, true);
    } catch (err) {
      await lab.destroy().catch(() => {});
      throw err;
    }
    return lab;
  }

  get hosts(): readonly LabHost[] {
    return this.#hosts;
  }

  /** lab.hosts[i], throwing when there is no such host (saves `!` under noUncheckedIndexedAccess). */
  host(i: number): LabHost {
    const h = this.#hosts[i];
    if (!h) throw new LabError(`lab: no host ${i} (have ${this.#hosts.length})`);
    return h;
  }

  /** Every namespace this lab created (bridge first). */
  get namespaces(): readonly string[] {
    return this.#namespaces;
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Adds one more host to the segment. */
  async addHost(): Promise<LabHost> {
    this.assertLive();
    await this.#build(1, false);
    return this.#hosts[this.#hosts.length - 1]!;
  }

  /** A namespace of its own, off the segment (no interface but lo), torn down with the lab. */
  async addNamespace(tag: string): Promise<LabNetns> {
    this.assertLive();
    if (!/^[a-z0-9]{1,6}$/.test(tag)) throw new LabError(`lab: bad namespace tag "${tag}"`);
    const ns = netnsName(this.id, tag);
    this.#namespaces.push(ns);
    await ipBatch(null, [`netns add ${ns}`]);
    await runOk('ip', ['netns', 'exec', ns, 'sh', '-c', QUIET_SCRIPT]);
    await ipBatch(ns, ['link set lo up']);
    return new LabNetns(this, ns, 'lo');
  }

  async #build(count: number, withBridge: boolean): Promise<void> {
    const first = this.#hosts.length;
    const hostNs = Array.from({ length: count }, (_, k) => netnsName(this.id, `h${first + k}`));
    const fresh = withBridge ? [this.bridge.name, ...hostNs] : hostNs;
    this.#namespaces.push(...fresh); // before creating, so a half-built lab is still torn down
    await ipBatch(null, fresh.map((ns) => `netns add ${ns}`));
    await Promise.all(fresh.map((ns) => runOk('ip', ['netns', 'exec', ns, 'sh', '-c', QUIET_SCRIPT])));

    const br: string[] = [];
    if (withBridge) {
      // STP off and forward delay 0: ports forward as soon as they are up (no listening/learning
      // phase); no multicast snooping, so the bridge sends no IGMP/MLD queries of its own.
      br.push(`link add ${BRIDGE_IF} type bridge stp_state 0 forward_delay 0 mcast_snooping 0`);
      br.push(`link set ${BRIDGE_IF} up`);
    }
    hostNs.forEach((ns, k) => {
      const port = `p${first + k}`;
      // The peer is created directly in the host namespace: it never exists in the machine's own.
      br.push(`link add ${port} type veth peer name ${this.#ifname} netns ${ns}`);
      br.push(`link set ${port} master ${BRIDGE_IF} up`);
    });
    await ipBatch(this.bridge.name, br);

    const hosts = await Promise.all(
      hostNs.map(async (ns, k) => {
        await ipBatch(ns, ['link set lo up', `link set ${this.#ifname} up`]);
        const [link] = JSON.parse(await ip(ns, ['-j', 'link', 'show', 'dev', this.#ifname])) as Array<{
          ifindex: number;
          address: string;
        }>;
        if (!link) throw new LabError(`lab: ${this.#ifname} missing in ${ns}`);
        return new LabHost(this, ns, this.#ifname, first + k, link.address.toLowerCase(), link.ifindex);
      }),
    );
    this.#hosts.push(...hosts);
    await this.#waitReady(hosts);
  }

  /** Every bridge port forwarding and every new host link operationally up. */
  async #waitReady(hosts: readonly LabHost[]): Promise<void> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const ports = JSON.parse(await ip(this.bridge.name, ['-j', '-d', 'link', 'show', 'master', BRIDGE_IF])) as Array<{
        ifname: string;
        operstate: string;
        linkinfo?: { info_slave_data?: { state?: string } };
      }>;
      const hostStates = await Promise.all(
        hosts.map(async (h) => {
          const [l] = JSON.parse(await ip(h.name, ['-j', 'link', 'show', 'dev', h.ifname])) as Array<{ operstate: string }>;
          return `${h.name}/${h.ifname}=${l?.operstate}`;
        }),
      );
      const notReady = [
        ...ports
          .filter((p) => p.operstate !== 'UP' || p.linkinfo?.info_slave_data?.state !== 'forwarding')
          .map((p) => `${p.ifname}=${p.operstate}/${p.linkinfo?.info_slave_data?.state}`),
        ...hostStates.filter((s) => !s.endsWith('=UP')),
      ];
      if (notReady.length === 0) return;
      if (Date.now() > deadline) throw new LabError(`lab ${this.id}: not ready: ${notReady.join(', ')}`);
      await delay(10);
    }
  }

  /** @internal */
  assertLive(): void {
    if (this.#destroying) throw new LabError(`lab ${this.id} has been destroyed`);
  }

  /** @internal: remember a child so teardown kills it. */
  track(child: ChildProcess): void {
    this.#children.add(child);
    child.once('exit', () => this.#children.delete(child));
    child.once('error', () => this.#children.delete(child));
  }

  /**
   * Stops every process the lab started (SIGTERM, then SIGKILL after graceMs), kills whatever else
   * still runs in the lab's namespaces, deletes them all. Idempotent; throws if anything is left.
   */
  destroy(opts: { graceMs?: number } = {}): Promise<void> {
    this.#destroying ??= this.#teardown(opts.graceMs ?? 2000);
    return this.#destroying;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }

  async #teardown(graceMs: number): Promise<void> {
    // terminate() sends SIGTERM synchronously, so every child gets it before any wait begins.
    await Promise.all([...this.#children].map((c) => terminate(c, { graceMs })));
    // Processes that escaped tracking (forked daemons, exec() still running) die with SIGKILL; the
    // namespace would otherwise outlive `ip netns del` for as long as they run.
    await Promise.all(
      this.#namespaces.map(async (ns) => {
        const r = await run('ip', ['netns', 'pids', ns], { timeoutMs: 5000 });
        for (const pid of r.stdout.split(/\s+/).filter(Boolean).map(Number)) {
          if (pid === process.pid) continue;
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      }),
    );
    if (this.#namespaces.length > 0) {
      await run('ip', ['-force', '-batch', '-'], {
        input: this.#namespaces.map((ns) => `netns del ${ns}\n`).join(''),
        timeoutMs: 10_000,
      });
    }
    this.#destroyed = true;
    live.delete(this);
    const present = new Set(listLabNamespaces());
    const left = this.#namespaces.filter((ns) => present.has(ns));
    if (left.length > 0) throw new LabError(`lab ${this.id}: could not delete ${left.join(', ')}`);
  }

  /** Synchronous last-resort teardown for 'exit' and signal handlers. */
  destroySync(): void {
    for (const c of this.#children) {
      try {
        if (!exited(c)) c.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
    this.#destroying ??= Promise.resolve();
    removeNamespacesSync(this.#namespaces);
    this.#destroyed = true;
    live.delete(this);
  }
}

// ---------------------------------------------------------------------------------------------
// process-wide registry

/** Labs created by this process and not yet destroyed. */
export function liveLabs(): readonly Lab[] {
  return [...live];
}

/** Destroys every live lab of this process (used after each e2e test file). */
export async function destroyAllLabs(): Promise<void> {
  const results = await Promise.allSettled([...live].map((l) => l.destroy()));
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  if (errors.length > 0) throw new AggregateError(errors, 'lab: teardown failed');
}

let handlersInstalled = false;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function destroyAllSync(): void {
  for (const lab of [...live]) lab.destroySync();
}

function onSignal(signal: NodeJS.Signals): void {
  destroyAllSync();
  // If nobody else handles the signal, restore the default action (terminate) and re-raise it.
  if (process.listenerCount(signal) === 1) {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  }
}

function installProcessHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', destroyAllSync);
  for (const s of SIGNALS) process.on(s, onSignal);
}
