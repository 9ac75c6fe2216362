/**
 * Proxy ARP and cloud fabric awareness. Pure: no sockets, files or clocks.
 *
 * A Linux router with proxy_arp answers ordinary ARP requests for every address it routes through
 * another interface with its own MAC; OVN and some clouds answer for a whole subnet. Such a MAC
 * is no holder: counted as one, it would make every delegate look "ok, held by the router", hide
 * an unanswered VIP or a split brain, and raise a conflict per address. This module recognises
 * such MACs from two kinds of evidence, both only from ARP *replies* (a proxy never sends a request
 * or an announcement with an address it proxies as sender; a real holder does):
 *
 *   canary   a reply for a canary: an address of the subnet that no host should have
 *            (`proxy_canary`), asked for now and then with an ordinary request from one of this
 *            host's own addresses (never sender IP 0.0.0.0; asking for an unused address harms
 *            nobody and makes no host give anything up);
 *   pattern  replies for `threshold` or more distinct watched addresses of one interface within
 *            the window, none of which the MAC ever claimed with a request or an announcement.
 *
 * A proxy MAC is reported once per interface ('proxy' event, found/gone), at most
 * MAX_PROXIES_PER_INTERFACE of them, and the detector asks isProxy() before counting a reply as
 * a holder. What a proxy MAC means for an address this host holds is the detector's call (see
 * excusedFor()): Linux proxy_arp never answers an RFC 5227 probe (sender IP 0.0.0.0), so a reply
 * from it to our probe of a held address is still a conflict unless the operator said the network
 * is proxied (`proxied_network`: the fabric answers for everything, own addresses included). A
 * request or an announcement claiming a held address is a conflict whoever sends it.
 */
import { OP_REQUEST } from './arp.js';
import type { Transmission } from './entry.js';
import type { DetectorEvent, SendOutcome } from './events.js';
import { type Ipv4, formatIpv4, inSubnet } from './ipv4.js';
import { BROADCAST_MAC, type Mac, ZERO_MAC } from './mac.js';
import type { HostInterface } from './watchlist.js';

/** At most this many proxy MACs are reported (and exported) per interface. */
export const MAX_PROXIES_PER_INTERFACE = 4;
/** At most this many candidate MACs, and addresses per MAC, are remembered per interface. */
export const MAX_CANDIDATES_PER_INTERFACE = 64;
export const MAX_ADDRESSES_PER_CANDIDATE = 64;
/** Default number of watched addresses one MAC must answer for (without ever claiming them) to be a proxy. */
export const DEFAULT_PROXY_THRESHOLD = 4;

export interface ProxyOptions {
  /** Distinct addresses answered within windowMs that make a MAC a proxy; 0 turns the pattern off. */
  threshold: number;
  windowMs: number;
  /** Time between two canary requests on an interface. */
  canaryIntervalMs: number;
  /** A proxy finding with no new evidence for this long is over. */
  expireMs: number;
  /** Interfaces the operator declared proxied: the pattern needs only 2 addresses there. */
  proxied: readonly string[];
}

/** One canary request to send: target `address`, sender `sender` (an address of this host on `ifname`). */
export interface Canary {
  ifname: string;
  address: Ipv4;
  sender: Ipv4;
}

export type ProxyReason = 'canary' | 'many-addresses';

export interface ProxyFinding {
  interface: string;
  mac: Mac;
  reason: ProxyReason;
  since: number;
  lastSeen: number;
  /** Addresses it answered for within the window (at most MAX_ADDRESSES_PER_CANDIDATE), as text. */
  addresses: string[];
}

export interface ProxyEvent {
  type: 'proxy';
  at: number;
  interface: string;
  mac: Mac;
  change: 'found' | 'gone';
  reason: ProxyReason;
  addresses: string[];
}

type SentEvent = Extract<DetectorEvent, { type: 'sent' }>;

interface Candidate {
  /** Reassigned only when an evicted candidate is reused for a new MAC. */
  mac: Mac;
  /** Address → time of the latest reply for it. */
  replies: Map<Ipv4, number> | null;
  /**
   * Addresses the MAC claimed as sender of a request or an announcement: it holds them. Both are
   * made when first needed: a flood of claims from new MACs makes a candidate per frame.
   */
  claimed: Ipv4[];
  lastSeen: number;
  finding: ProxyFinding | null;
}

interface IfaceState {
  candidates: Map<Mac, Candidate>;
  /**
   * The same candidates in an array, scanned for the one to evict (iterating the Map allocates an
   * iterator result per entry: a flood of new MACs evicts one per frame).
   */
  slots: Candidate[];
  canaries: Canary[];
  nextCanaryAt: number | null;
  proxies: number;
}

/** The detector's proxy options, derived from its probe interval. */
export function proxyOptions(o: { probeIntervalMs: number; proxyThreshold?: number; proxiedNetworks?: string[] }): ProxyOptions {
  const canaryIntervalMs = Math.min(600_000, Math.max(10_000, 30 * o.probeIntervalMs));
  return {
    threshold: o.proxyThreshold ?? DEFAULT_PROXY_THRESHOLD,
    windowMs: 3 * o.probeIntervalMs,
    canaryIntervalMs,
    expireMs: Math.max(3 * canaryIntervalMs, 10 * o.probeIntervalMs),
    proxied: o.proxiedNetworks ?? [],
  };
}

/**
 * Where to send each canary: on the interface whose subnet contains it, from that interface's
 * address in the subnet. A canary that is an address of this host, or in no subnet of a watched
 * interface, is reported as a problem and not used.
 */
export function planCanaries(canaries: readonly Ipv4[], host: readonly HostInterface[], watched: readonly string[]): { canaries: Canary[]; problems: string[] } {
  const out: Canary[] = [];
  const problems: string[] = [];
  const own = new Set(host.flatMap((i) => i.addresses.map((a) => a.address)));
  for (const address of canaries) {
    if (own.has(address)) {
      problems.push(`proxy canary ${formatIpv4(address)} is an address of this host; choose one no host has`);
      continue;
    }
    let placed = false;
    for (const ifc of host) {
      if (!watched.includes(ifc.name)) continue;
      const a = ifc.addresses.find((x) => inSubnet(address, x.address, x.prefixLength));
      if (!a) continue;
      out.push({ ifname: ifc.name, address, sender: a.address });
      placed = true;
    }
    if (!placed) problems.push(`proxy canary ${formatIpv4(address)}: no monitored interface has a subnet that contains it`);
  }
  return { canaries: out, problems };
}

/** How often probeTick() looks for findings to end. */
const EXPIRE_CHECK_MS = 1000;

export class ProxyWatch {
  private readonly ifaces = new Map<string, IfaceState>();
  private events: ProxyEvent[] = [];
  private readonly options: () => ProxyOptions;
  private expiredAt = -Infinity;

  /** `options` may be a function: the detector's options are read afresh (a reload changes them). */
  constructor(options: ProxyOptions | (() => ProxyOptions)) {
    this.options = typeof options === 'function' ? options : () => options;
  }

  private get opts(): ProxyOptions {
    return this.options();
  }

  /**
   * The detector's hook for a claim (`obs`) from a foreign, not ignored MAC about a watched address
   * (`role` that of its machine) or about none (`role` undefined). True when the frame is set aside
   * as a proxy's: any reply for a canary; a proxy MAC's reply for a delegate; and, on a network
   * declared proxied only, a proxy MAC's reply for an address this host holds.
   */
  setsAside(ifname: string, obs: { address: Ipv4; mac: Mac; reply: boolean }, role: 'held' | 'delegate' | undefined, now: number): boolean {
    const canary = this.isCanary(ifname, obs.address);
    if (!role && !canary) return false;
    const proxy = this.observe(ifname, obs.address, obs.mac, obs.reply, now);
    if (!role) return true;
    return proxy && obs.reply && (role === 'delegate' || this.excusedFor(ifname, obs.mac));
  }

  /**
   * Called whenever a probe is due on an interface: sends the canary requests due there through
   * `transmit` (their 'sent' events are returned) and, at most once a second, ends stale findings.
   */
  probeTick(ifname: string, ownMac: Mac, now: number, transmit: (t: Transmission) => SendOutcome): SentEvent[] {
    if (now - this.expiredAt >= EXPIRE_CHECK_MS) {
      this.expiredAt = now;
      this.expire(now);
    }
    return this.canariesDue(ifname, ownMac, now).map((t) => ({ type: 'sent', at: now, interface: ifname, kind: 'probe', address: formatIpv4(t.address), outcome: transmit(t) }));
  }

  /** The canaries to ask for, from planCanaries(); interfaces not listed keep none. First requests go out at once. */
  setCanaries(canaries: readonly Canary[], now: number): void {
    const key = (list: readonly Canary[]) => list.map((c) => `${c.address}<${c.sender}`).join(',');
    const before = new Map([...this.ifaces].map(([name, s]) => [name, key(s.canaries)]));
    for (const s of this.ifaces.values()) s.canaries = [];
    for (const c of canaries) this.state(c.ifname).canaries.push(c);
    // A re-read of the host keeps the schedule; a new or changed set of canaries asks at once.
    for (const [name, s] of this.ifaces) if (key(s.canaries) !== (before.get(name) ?? '')) s.nextCanaryAt = s.canaries.length ? now : null;
  }

  /** Canary addresses of an interface: the kernel filter must pass replies from them. */
  canaryAddresses(ifname: string): Ipv4[] {
    return (this.ifaces.get(ifname)?.canaries ?? []).map((c) => c.address);
  }

  isCanary(ifname: string, address: Ipv4): boolean {
    const canaries = this.ifaces.get(ifname)?.canaries;
    if (!canaries) return false;
    for (const c of canaries) if (c.address === address) return true;
    return false;
  }

  /**
   * The canary requests due on an interface now (each canary once per canaryIntervalMs): ordinary
   * requests from one of this host's addresses, never from 0.0.0.0; only a proxy answers them.
   */
  canariesDue(ifname: string, ownMac: Mac, now: number): Transmission[] {
    const s = this.ifaces.get(ifname);
    if (!s || !s.canaries.length || s.nextCanaryAt === null || now < s.nextCanaryAt) return [];
    s.nextCanaryAt = now + this.opts.canaryIntervalMs;
    return s.canaries.map((c) => ({
      interface: ifname,
      kind: 'probe',
      address: c.address,
      frame: { op: OP_REQUEST, senderMac: ownMac, senderIp: c.sender, targetMac: ZERO_MAC, targetIp: c.address },
      destination: BROADCAST_MAC,
    }));
  }

  /** True when the operator declared this interface's network proxied. */
  isProxiedNetwork(ifname: string): boolean {
    return this.opts.proxied.includes(ifname);
  }

  isProxy(ifname: string, mac: Mac): boolean {
    return this.ifaces.get(ifname)?.candidates.get(mac)?.finding != null;
  }

  /**
   * Whether a reply from `mac` for an address this host holds is the fabric's rather than a
   * conflict: only on a network declared proxied, and only from a recognised proxy MAC.
   */
  excusedFor(ifname: string, mac: Mac): boolean {
    return this.isProxiedNetwork(ifname) && this.isProxy(ifname, mac);
  }

  /**
   * Every claim seen from a foreign MAC on `ifname` for a watched address or a canary: `reply`
   * when it came in an ARP reply. Returns true when the MAC is (now) a proxy on that interface.
   */
  observe(ifname: string, address: Ipv4, mac: Mac, reply: boolean, now: number): boolean {
    const s = this.state(ifname);
    let c = s.candidates.get(mac);
    if (!c) {
      // A flood of claims from new MACs makes a candidate per frame: the evicted one is reused, in its slot.
      if (s.candidates.size >= MAX_CANDIDATES_PER_INTERFACE) {
        c = this.evictOldest(s);
        c.mac = mac;
        c.replies?.clear();
        // A claim's address is written over a list of one (emptying an array and pushing onto it
        // makes a new backing store each time); a reply starts with none.
        if (!reply && c.claimed.length === 1) c.claimed[0] = address;
        else if (c.claimed.length !== 0) c.claimed.length = 0;
      } else {
        c = { mac, replies: null, claimed: [], lastSeen: now, finding: null };
        s.slots.push(c);
      }
      s.candidates.set(mac, c);
    }
    c.lastSeen = now;
    if (!reply) {
      // A request or an announcement from this address: the MAC holds it (or wants it known so).
      if (c.claimed.length < MAX_ADDRESSES_PER_CANDIDATE && !c.claimed.includes(address)) c.claimed.push(address);
      c.replies?.delete(address);
      return c.finding !== null;
    }
    if (c.claimed.includes(address)) return c.finding !== null;
    const replies = (c.replies ??= new Map());
    replies.delete(address);
    replies.set(address, now);
    if (replies.size > MAX_ADDRESSES_PER_CANDIDATE) replies.delete(replies.keys().next().value!);
    for (const [a, at] of replies) {
      if (now - at <= this.opts.windowMs) break;
      replies.delete(a);
    }
    if (c.finding) {
      c.finding.lastSeen = now;
      c.finding.addresses = this.addressList(c);
      return true;
    }
    const canary = this.isCanary(ifname, address);
    const threshold = this.isProxiedNetwork(ifname) ? Math.min(2, this.opts.threshold || 2) : this.opts.threshold;
    const many = threshold > 0 && replies.size >= threshold;
    if (!canary && !many) return false;
    if (s.proxies >= MAX_PROXIES_PER_INTERFACE) return false;
    s.proxies++;
    c.finding = { interface: ifname, mac, reason: canary ? 'canary' : 'many-addresses', since: now, lastSeen: now, addresses: this.addressList(c) };
    this.events.push({ type: 'proxy', at: now, interface: ifname, mac, change: 'found', reason: c.finding.reason, addresses: c.finding.addresses });
    return true;
  }

  /** Ends findings with no evidence for expireMs (the router went away, proxy_arp was turned off). */
  expire(now: number): void {
    for (const [ifname, s] of this.ifaces) {
      for (const [mac, c] of s.candidates) {
        if (c.finding && now - c.finding.lastSeen > this.opts.expireMs) {
          this.events.push({ type: 'proxy', at: now, interface: ifname, mac, change: 'gone', reason: c.finding.reason, addresses: c.finding.addresses });
          c.finding = null;
          c.replies?.clear();
          s.proxies--;
        }
        if (!c.finding && now - c.lastSeen > this.opts.expireMs) s.candidates.delete(mac);
      }
      if (s.slots.length !== s.candidates.size) s.slots = [...s.candidates.values()];
    }
  }

  /** Forgets one interface no longer watched (its findings end silently with it). */
  forget(ifname: string): void {
    this.ifaces.delete(ifname);
  }

  findings(): ProxyFinding[] {
    const out: ProxyFinding[] = [];
    for (const s of this.ifaces.values()) for (const c of s.candidates.values()) if (c.finding) out.push({ ...c.finding, addresses: [...c.finding.addresses] });
    return out;
  }

  pullEvents(): ProxyEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  private addressList(c: Candidate): string[] {
    return [...(c.replies?.keys() ?? [])].sort((a, b) => a - b).map(formatIpv4);
  }

  /**
   * The least recently seen candidate without a finding goes (a flood from new MACs calls this per
   * frame: no allocation); it is returned, still in its slot, for observe() to reuse. (At most
   * MAX_PROXIES_PER_INTERFACE candidates have a finding, so there always is one without.)
   */
  private evictOldest(s: IfaceState): Candidate {
    let oldest: Candidate | null = null;
    for (let i = 0; i < s.slots.length; i++) {
      const c = s.slots[i]!;
      if (!c.finding && (oldest === null || c.lastSeen < oldest.lastSeen)) oldest = c;
    }
    s.candidates.delete(oldest!.mac);
    return oldest!;
  }

  private state(ifname: string): IfaceState {
    let s = this.ifaces.get(ifname);
    if (!s) this.ifaces.set(ifname, (s = { candidates: new Map(), slots: [], canaries: [], nextCanaryAt: null, proxies: 0 }));
    return s;
  }
}
