/**
 * Membership of IPv6 multicast groups on an interface, so that the kernel sends the MLD reports
 * (RFC 3810) that make MLD-snooping switches forward a group's traffic to this host: the
 * solicited-node groups of IPv6 delegates held elsewhere, whose NAs and NSs dupip must hear.
 * One udp6 socket bound to [::1]:0 (reachable from this host only; it never reads anything)
 * carries every membership: IPV6_JOIN_GROUP through dgram.addMembership(group, "::%ifname").
 */
import dgram from 'node:dgram';
import { type Ipv6, formatIpv6 } from '../core/ipv6.js';

export class MulticastGroups {
  private readonly socket: dgram.Socket;
  private bound = false;
  /** Joins asked for before the bind completed; applied once it has. */
  private readonly pending = new Set<string>();
  private readonly joined = new Set<string>();

  constructor(private readonly onError: (err: Error) => void = () => {}) {
    this.socket = dgram.createSocket({ type: 'udp6', reuseAddr: false });
    this.socket.on('error', (err) => this.onError(err));
    this.socket.unref();
    this.socket.bind({ address: '::1', port: 0, exclusive: true }, () => {
      this.bound = true;
      for (const k of this.pending) this.apply(k);
      this.pending.clear();
    });
  }

  /** Joins `group` on `ifname`; the returned leave() drops the membership. */
  join(group: Ipv6, ifname: string): { leave(): void } {
    const key = `${formatIpv6(group)} ::%${ifname}`;
    if (this.bound) this.apply(key);
    else this.pending.add(key);
    return { leave: () => this.leave(key) };
  }

  private apply(key: string): void {
    const [group, iface] = key.split(' ') as [string, string];
    try {
      this.socket.addMembership(group, iface);
      this.joined.add(key);
    } catch (err) {
      this.onError(err as Error);
    }
  }

  private leave(key: string): void {
    this.pending.delete(key);
    if (!this.joined.delete(key)) return;
    const [group, iface] = key.split(' ') as [string, string];
    try {
      this.socket.dropMembership(group, iface);
    } catch {
      // the interface went away: the kernel dropped the membership with it
    }
  }

  close(): void {
    this.socket.close();
  }
}
