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
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { Mac } from '../../src/core/mac.js';
import { assertDocumentationAddress, assertDocumentationCidr } from './addresses.js';
import { listLabNamespaces, newLabId, netnsName, removeNamespacesSync } from './names.js';
import { TcpdumpParser, type CapturedFrame } from './tcpdump.js';

export { NonDocumentationAddressError, DOCUMENTATION_RANGES } from './addresses.js';
export type { ArpFields, ArpKind, CapturedFrame } from './tcpdump.js';

// ---------------------------------------------------------------------------------------------
// process helpers

export interface ExecOptions {
  /** Killed with SIGKILL after this long (default 30 s); the result then has timedOut = true. */
  timeoutMs?: number;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface ExecResult {
  /** exit code, null when killed by a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export class LabError extends Error {
  override name = 'LabError';
}

function run(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env, cwd: opts.cwd });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].join(' ');
}

async function runOk(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<string> {
  const r = await run(cmd, args, { timeoutMs: 10_000, ...opts });
  if (r.code !== 0) {
    const why = r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`;
    const input = opts.input ? `\n  input:\n${String(opts.input).replace(/^/gm, '    ')}` : '';
    throw new LabError(`lab: "${commandLine(cmd, args)}" failed (${why}): ${r.stderr.trim() || r.stdout.trim()}${input}`);
  }
  return r.stdout;
}

/** `ip [-n ns] args...` */
function ip(ns: string | null, args: readonly string[], input?: string): Promise<string> {
  return runOk('ip', ns === null ? args : ['-n', ns, ...args], input === undefined ? {} : { input });
}

/** `ip [-n ns] -batch -` with one command per line, stopping at the first failure. */
function ipBatch(ns: string | null, lines: readonly string[]): Promise<string> {
  return ip(ns, ['-batch', '-'], lines.map((l) => `${l}\n`).join(''));
}

const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return true;
  const timer = delay(ms).then(() => false);
  return Promise.race([once(child, 'exit').then(() => true), timer]);
}

/** Keys like "net.ipv4.conf.all.arp_ignore" or "net/ipv4/conf/eth0.100/arp_ignore". */
function sysctlPath(key: string): string {
  if (!/^[A-Za-z0-9_.\-/]+$/.test(key) || key.split(/[./]/).includes('..') || key.includes('..')) {
    throw new LabError(`lab: bad sysctl key "${key}"`);
  }
  return key.includes('/') ? key.replace(/^\/+/, '') : key.replace(/\./g, '/');
}

// Written in every new namespace before its interfaces exist, so they inherit it: no IPv6 link-local
// address, DAD, router solicitation or MLD on the segment. Absent when the kernel has no IPv6.
const QUIET_SCRIPT = `
if [ -d /proc/sys/net/ipv6 ]; then
  echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6
  echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6
fi
`;

// ---------------------------------------------------------------------------------------------
// capture

export interface CaptureOptions {
  /** pcap filter expression (default "arp") */
  filter?: string;
  /** interface inside the namespace (default: the host's ifname, or br0 for the bridge) */
  ifname?: string;
  /** put the interface in promiscuous mode (default: only on the bridge, where it is needed to see
   *  unicast between hosts; on a host it would show up as a link change to the code under test) */
  promiscuous?: boolean;
}

export interface Capture {
  /** Frames seen so far (grows while running). */
  readonly frames: readonly CapturedFrame[];
  /** Resolves with the first frame (already seen or future) matching `pred`; rejects after timeoutMs
   *  (default 10 s) listing what was seen. */
  waitFor(pred: (f: CapturedFrame) => boolean, timeoutMs?: number): Promise<CapturedFrame>;
  /** Waits settleMs (default 50) for frames still in flight, stops tcpdump, returns every frame. */
  stop(opts?: { settleMs?: number }): Promise<CapturedFrame[]>;
}

interface Waiter {
  pred: (f: CapturedFrame) => boolean;
  resolve: (f: CapturedFrame) => void;
}

class TcpdumpCapture implements Capture {
  readonly frames: CapturedFrame[] = [];
  #waiters = new Set<Waiter>();
  #stopped: Promise<CapturedFrame[]> | null = null;
  #closed: Promise<void>;

  constructor(
    readonly child: ChildProcess,
    readonly where: string,
  ) {
    const parser = new TcpdumpParser();
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => parser.push(line).forEach((f) => this.#add(f)));
    this.#closed = once(rl, 'close').then(() => parser.end().forEach((f) => this.#add(f)));
  }

  #add(f: CapturedFrame): void {
    this.frames.push(f);
    for (const w of this.#waiters) {
      if (w.pred(f)) {
        this.#waiters.delete(w);
        w.resolve(f);
      }
    }
  }

  waitFor(pred: (f: CapturedFrame) => boolean, timeoutMs = 10_000): Promise<CapturedFrame> {
    const seen = this.frames.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(w);
        const lines = this.frames.map((f) => `  ${f.line}`).join('\n') || '  (none)';
        reject(new LabError(`lab: no matching frame on ${this.where} within ${timeoutMs} ms; saw:\n${lines}`));
      }, timeoutMs);
      const w: Waiter = {
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      this.#waiters.add(w);
    });
  }

  stop(opts: { settleMs?: number } = {}): Promise<CapturedFrame[]> {
    this.#stopped ??= (async () => {
      await delay(opts.settleMs ?? 50);
      if (!exited(this.child)) this.child.kill('SIGINT');
      if (!(await waitExit(this.child, 2000))) this.child.kill('SIGKILL');
      await this.#closed;
      return [...this.frames];
    })();
    return this.#stopped;
  }
}

// ---------------------------------------------------------------------------------------------
// namespaces

export interface LabSpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** default ['ignore', 'pipe', 'pipe']: read or drain stdout/stderr, or pass 'ignore'/'inherit' */
  stdio?: StdioOptions;
}

/** What hosts and the bridge have in common: a namespace you can run things in. */
export abstract class LabNamespace {
  constructor(
    readonly lab: Lab,
    /** network namespace name */
    readonly name: string,
    /** the namespace's interface on the segment */
    readonly ifname: string,
  ) {}

  /** Runs a command inside the namespace (`ip netns exec`). Never throws on a non-zero exit. */
  async exec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    this.lab.assertLive();
    return run('ip', ['netns', 'exec', this.name, cmd, ...args], opts);
  }

  /** Starts a long-running command inside the namespace; it is killed when the lab is destroyed. */
  spawn(cmd: string, args: readonly string[] = [], opts: LabSpawnOptions = {}): ChildProcess {
    this.lab.assertLive();
    const child = spawn('ip', ['netns', 'exec', this.name, cmd, ...args], {
      stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'],
      env: opts.env,
      cwd: opts.cwd,
    });
    this.lab.track(child);
    return child;
  }

  /** `ip -n NS -batch -`: one command per line, stopping at the first failure (throws). */
  async ipBatch(lines: readonly string[]): Promise<string> {
    this.lab.assertLive();
    return ipBatch(this.name, lines);
  }

  /** Reads a sysctl in this namespace, writing `value` first when given; returns the value read. */
  async sysctl(key: string, value?: string): Promise<string> {
    this.lab.assertLive();
    const path = `/proc/sys/${sysctlPath(key)}`;
    const script = value === undefined ? 'cat "$1"' : 'printf "%s\\n" "$2" > "$1" && cat "$1"';
    const args = ['-c', script, 'sh', path, ...(value === undefined ? [] : [value])];
    const r = await this.exec('sh', args, { timeoutMs: 10_000 });
    if (r.code !== 0) throw new LabError(`lab: sysctl ${key}${value === undefined ? '' : `=${value}`} in ${this.name}: ${r.stderr.trim()}`);
    return r.stdout.trim();
  }

  /**
   * Starts tcpdump inside the namespace (an independent witness of what went on the wire) and
   * resolves once it is listening. Stopped at the latest when the lab is destroyed.
   */
  async capture(opts: CaptureOptions = {}): Promise<Capture> {
    const ifname = opts.ifname ?? this.ifname;
    const promisc = opts.promiscuous ?? this.promiscuousCapture;
    const args = ['-l', '-nn', '-e', '-tt', '-xx', '--immediate-mode', ...(promisc ? [] : ['-p'])];
    const child = this.spawn('tcpdump', [...args, '-i', ifname, opts.filter ?? 'arp'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const cap = new TcpdumpCapture(child, `${this.name}/${ifname}`);
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new LabError(`lab: tcpdump in ${this.name} did not start: ${stderr.trim()}`)), 10_000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(err);
      };
      child.on('error', fail);
      child.on('exit', () => fail(new LabError(`lab: tcpdump in ${this.name} exited: ${stderr.trim()}`)));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        if (/listening on /.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    return cap;
  }

  protected abstract get promiscuousCapture(): boolean;
}

export class LabBridge extends LabNamespace {
  protected get promiscuousCapture(): boolean {
    return true;
  }
}

/** A namespace that is not on the segment (a container's, for tests of host-internal links). */
export class LabNetns extends LabNamespace {
  protected get promiscuousCapture(): boolean {
    return false;
  }
}

export interface Neighbour {
  /** null while INCOMPLETE/FAILED */
  mac: Mac | null;
  /** REACHABLE, STALE, DELAY, PROBE, INCOMPLETE, FAILED, PERMANENT, NOARP... */
  state: string;
}

export class LabHost extends LabNamespace {
  constructor(
    lab: Lab,
    name: string,
    ifname: string,
    /** position in lab.hosts */
    readonly index: number,
    /** MAC of ifname */
    readonly mac: Mac,
    /** ifindex of ifname inside the host namespace */
    readonly ifindex: number,
  ) {
    super(lab, name, ifname);
  }

  protected get promiscuousCapture(): boolean {
    return false;
  }

  /** Adds "192.0.2.10/24" (bare address = /24) to ifname. Documentation ranges only. */
  async addAddress(cidr: string): Promise<void> {
    this.lab.assertLive();
    const c = assertDocumentationCidr(cidr);
    await ip(this.name, ['addr', 'add', c.cidr, 'dev', this.ifname]);
  }

  async removeAddress(cidr: string): Promise<void> {
    this.lab.assertLive();
    const c = assertDocumentationCidr(cidr);
    await ip(this.name, ['addr', 'del', c.cidr, 'dev', this.ifname]);
  }

  /** IPv4 addresses on ifname, as "address/len". */
  async addresses(): Promise<string[]> {
    this.lab.assertLive();
    const out = JSON.parse(await ip(this.name, ['-j', '-4', 'addr', 'show', 'dev', this.ifname])) as Array<{
      addr_info?: Array<{ local: string; prefixlen: number }>;
    }>;
    return out.flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
  }

  async setLink(state: 'up' | 'down'): Promise<void> {
    this.lab.assertLive();
    await ip(this.name, ['link', 'set', 'dev', this.ifname, state]);
  }

  /** The kernel's neighbour entry for `address` on ifname, or null. */
  async neighbour(address: string): Promise<Neighbour | null> {
    this.lab.assertLive();
    const a = assertDocumentationAddress(address);
    const out = JSON.parse(await ip(this.name, ['-j', 'neigh', 'show', 'to', a, 'dev', this.ifname])) as Array<{
      dst: string;
      lladdr?: string;
      state?: string[];
    }>;
    const e = out.find((n) => n.dst === a);
    if (!e) return null;
    return { mac: e.lladdr?.toLowerCase() ?? null, state: e.state?.[0] ?? 'NONE' };
  }
}

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
    const children = [...this.#children];
    for (const c of children) if (!exited(c)) c.kill('SIGTERM');
    await Promise.all(
      children.map(async (c) => {
        if (!(await waitExit(c, graceMs))) {
          c.kill('SIGKILL');
          await waitExit(c, 2000);
        }
      }),
    );
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
