/**
 * The namespaces of a lab (./lab.ts): the bridge and the hosts, each a network namespace you can
 * run things in, and the `ip` calls that configure them. Addresses go through ./addresses.ts first.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Mac } from '../../src/core/mac.js';
import { assertDocumentationAddress, assertDocumentationCidr } from './addresses.js';
import { TcpdumpCapture, tcpdumpListening, type Capture, type CaptureOptions } from './capture.js';
import { LabError, run, runOk, type ExecOptions, type ExecResult } from './exec.js';
import type { Lab } from './lab.js';

/** `ip [-n ns] args...` */
export function ip(ns: string | null, args: readonly string[], input?: string): Promise<string> {
  return runOk('ip', ns === null ? args : ['-n', ns, ...args], input === undefined ? {} : { input });
}

/** `ip [-n ns] -batch -` with one command per line, stopping at the first failure. */
export function ipBatch(ns: string | null, lines: readonly string[]): Promise<string> {
  return ip(ns, ['-batch', '-'], lines.map((l) => `${l}\n`).join(''));
}

/** Keys like "net.ipv4.conf.all.arp_ignore" or "net/ipv4/conf/eth0.100/arp_ignore". */
function sysctlPath(key: string): string {
  if (!/^[A-Za-z0-9_.\-/]+$/.test(key) || key.split(/[./]/).includes('..') || key.includes('..')) {
    throw new LabError(`lab: bad sysctl key "${key}"`);
  }
  return key.includes('/') ? key.replace(/^\/+/, '') : key.replace(/\./g, '/');
}

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

  /** Reads a sysctl in this namespace, writing `value` first when given; returns the value read. */
  /** `ip -n NS -batch -`: one command per line, stopping at the first failure (throws). */
  async ipBatch(lines: readonly string[]): Promise<string> {
    this.lab.assertLive();
    return ipBatch(this.name, lines);
  }

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
    await tcpdumpListening(child, `${this.name}/${ifname}`);
    return cap;
  }

  protected abstract get promiscuousCapture(): boolean;
}

/** A namespace that is not on the segment (a container's, for tests of host-internal links). */
export class LabNetns extends LabNamespace {
  protected get promiscuousCapture(): boolean {
    return false;
  }
}

export class LabBridge extends LabNamespace {
  protected get promiscuousCapture(): boolean {
    return true;
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

  /** `ip ARGS` in this host's namespace; throws with its stderr when it fails. */
  async ip(args: readonly string[]): Promise<string> {
    this.lab.assertLive();
    return ip(this.name, args);
  }

  /** Turns IPv6 on for `dev` (lab namespaces start with it off), router advertisements ignored. */
  async enableIpv6(dev = this.ifname): Promise<void> {
    await this.sysctl(`net/ipv6/conf/${dev}/accept_ra`, '0');
    await this.sysctl(`net/ipv6/conf/${dev}/disable_ipv6`, '0');
  }

  /** Waits until no IPv6 address of the host is tentative (DAD done), at most `ms`. */
  async ipv6Settled(ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (!(await this.exec('ip', ['-6', 'addr', 'show', 'tentative'])).stdout.includes('inet6')) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new LabError(`lab: ${this.name}: IPv6 addresses still tentative after ${ms} ms`);
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
