/**
 * A lab host made into a Linux router doing proxy ARP on its segment interface: a second interface
 * (one end of a veth pair whose other end stays in the router too: nothing behind it) carries routes for some addresses of the segment's subnet,
 * forwarding is on, and `proxy_arp` is set on the segment side. The kernel then answers ordinary ARP
 * requests for those addresses with the router's own MAC, and RFC 5227 probes (sender IP 0.0.0.0)
 * not at all (net/ipv4/arp.c: arp_fwd_proxy; probes are answered only for local addresses).
 *
 * `proxy_delay` (default 80 jiffies: replies to broadcast requests come up to 0.8 s late) is set to
 * 0 unless asked otherwise, so that the answers come inside a probe's reply window: the harder case.
 */
import type { LabHost } from './namespace.js';

export async function makeProxyArpRouter(host: LabHost, routes: readonly string[], opts: { proxyDelay?: number; via?: string } = {}): Promise<void> {
  const via = opts.via ?? 'up0';
  const ok = async (cmd: string, args: string[]) => {
    const r = await host.exec(cmd, args);
    if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} in ${host.name}: ${r.stderr.trim()}`);
  };
  // A veth pair, not a dummy device: the lab kernel may lack the dummy module.
  await ok('ip', ['link', 'add', via, 'type', 'veth', 'peer', 'name', `${via}p`]);
  await ok('ip', ['link', 'set', via, 'up']);
  await ok('ip', ['link', 'set', `${via}p`, 'up']);
  await host.sysctl('net.ipv4.ip_forward', '1');
  await host.sysctl(`net.ipv4.conf.${host.ifname}.proxy_arp`, '1');
  await host.sysctl(`net.ipv4.neigh.${host.ifname}.proxy_delay`, String(opts.proxyDelay ?? 0));
  for (const r of routes) await ok('ip', ['route', 'add', r, 'dev', via]);
}
