/**
 * The HTTP connection cap, shared fairly between clients. Every open connection costs a file
 * descriptor; without a cap, ~1,800 idle connections exhaust a 1,024 limit and the next
 * getifaddrs fails. With the cap reached, a new connection from a client holding fewer
 * connections than the heaviest client closes that client's oldest connection and is accepted;
 * otherwise the new one is closed at once. So a flood of connections from one address (or one
 * IPv6 /64) cannot lock Prometheus out: it takes as many distinct clients as the cap to do that.
 */
import { isIPv6, type Socket } from 'node:net';

/** The client a connection counts against: its IPv4 address, or the /64 of an IPv6 address. */
export function clientKey(remote: string | undefined): string {
  if (remote === undefined) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(remote);
  if (mapped) return mapped[1]!;
  if (!isIPv6(remote)) return remote;
  const [head, tail = ''] = remote.split('::');
  const left = head!.split(':').filter(Boolean);
  const right = tail.split(':').filter(Boolean);
  const groups = remote.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

export interface GateEvents {
  opened(): void;
  closed(): void;
  rejected(client: string): void;
  evicted(client: string): void;
}

export class ConnectionGate {
  private readonly byClient = new Map<string, Set<Socket>>();
  private count = 0;

  constructor(
    readonly max: number,
    private readonly events: GateEvents,
  ) {}

  get open(): number {
    return this.count;
  }

  /** Decides on a new connection: true if accepted (tracked until it closes), false if closed. */
  admit(socket: Socket): boolean {
    const client = clientKey(socket.remoteAddress);
    const mine = this.byClient.get(client);
    if (this.count >= this.max) {
      const victim = this.heaviest();
      if (!victim || victim.sockets.size <= (mine?.size ?? 0) + 1) {
        this.events.rejected(client);
        socket.destroy();
        return false;
      }
      const oldest = victim.sockets.values().next().value!;
      this.forget(victim.client, oldest);
      this.events.evicted(victim.client);
      oldest.destroy();
    }
    const set = mine ?? new Set<Socket>();
    set.add(socket);
    this.byClient.set(client, set);
    this.count++;
    this.events.opened();
    socket.once('close', () => this.forget(client, socket));
    return true;
  }

  private forget(client: string, socket: Socket): void {
    const set = this.byClient.get(client);
    if (!set?.delete(socket)) return;
    if (set.size === 0) this.byClient.delete(client);
    this.count--;
    this.events.closed();
  }

  private heaviest(): { client: string; sockets: Set<Socket> } | null {
    let best: { client: string; sockets: Set<Socket> } | null = null;
    for (const [client, sockets] of this.byClient) if (!best || sockets.size > best.sockets.size) best = { client, sockets };
    return best;
  }
}
