/** The help texts. Imports only the setting declarations, never the daemon: `dupip --help` stays light. */
import { DAEMON_FLAGS_HELP } from '../config/flags.js';
import { DEFAULTS } from '../config/schema.js';
import { EX_CONFIG, EXIT_CANNOT_PROBE, EXIT_INTERNAL, EXIT_DUPLICATE, EXIT_FATAL, EXIT_OK, EXIT_PROBLEM, EXIT_UNREACHABLE } from './exit-codes.js';

export const VERSION = '0.1.0';

export const MAIN_HELP = `dupip ${VERSION} — duplicate IP address detection (IPv4: RFC 5227; IPv6: neighbour discovery)

Usage:
  dupip probe ADDRESS [--interface IF] [--count N] [--timeout DURATION] [--json]
  dupip scan [CIDR ...] [--interface IF] [--rate N] [--wait DURATION] [--json]
  dupip daemon [--config PATH] [flags]      (dupip daemon --help lists the flags)
  dupip status [--control-socket PATH] [--json]
  dupip --version

Commands:
  probe    Probe ADDRESS (IPv4: RFC 5227 ARP probes; IPv6: neighbour solicitations) and list
           every other MAC that answers.
           Exit ${EXIT_OK}: nobody else answered. ${EXIT_DUPLICATE}: duplicate. ${EXIT_CANNOT_PROBE}: could not probe.
  scan     Ask every address of the prefixes (default: the subnets of this host's interfaces)
           with ordinary ARP requests and list every address answered by two or more MACs.
           Exit ${EXIT_OK}: no duplicate. ${EXIT_DUPLICATE}: duplicates found. ${EXIT_CANNOT_PROBE}: could not scan.
  daemon   Watch this host's own IPv4 and IPv6 addresses and the delegate (floating) addresses
           it is told about, continuously; export Prometheus metrics; serve \`dupip status\`.
  status   Ask the running daemon what it sees. Exit ${EXIT_OK}: all ok. ${EXIT_PROBLEM}: a conflict, split brain
           or unanswered delegate. ${EXIT_UNREACHABLE}: the daemon cannot be reached.

Needs CAP_NET_RAW (or root) for probe, scan and daemon. Documentation: README.md, docs/config.md.
`;

export const PROBE_HELP = `Usage: dupip probe ADDRESS [options]

Sends RFC 5227 ARP probes (sender IP 0.0.0.0) for ADDRESS and waits for answers. Stricter than
\`arping -D\`: every foreign MAC is listed with the time to its first answer, frames from this
host's own MACs never count, each MAC is named (vendor, virtual MAC, locally administered),
and if not one probe could be sent the exit code is 2, not 0. Like any RFC 5227 probe it makes a
host that is taking ADDRESS over with conflict detection give it up: do not probe a floating
address during a failover (the daemon watches delegates with ordinary requests instead).

An IPv6 ADDRESS (printed in RFC 5952 form) is probed with Neighbor Solicitations, like \`ndisc6\`:
an ordinary one from the interface's link-local address, so that a host taking the address over
at that moment is never made to give it up; a DAD-style one (from ::, with a nonce) only when
this host holds ADDRESS itself. Every MAC that advertises ADDRESS counts, this host's never.
While probing an address not configured here, its solicited-node group is joined (MLD report).

Options:
  -I, --interface IF      interface to probe on (default: the one whose subnet, or on-link IPv6
                          prefix, contains ADDRESS; required for a link-local IPv6 address)
  -c, --count N           probes to send, spread over the timeout, 1 to 1000 (default 3)
  -w, --timeout DURATION  how long to probe and listen, e.g. 500ms, 3s (default 3s)
      --json              print {address, interface, duplicate, macs, sent, received}; each MAC
                          with vendor, virtual, locallyAdministered, multicast, description
  -h, --help              this help

Exit status: ${EXIT_OK} no other host answered, ${EXIT_DUPLICATE} duplicate, ${EXIT_CANNOT_PROBE} could not probe (unknown interface,
interface down, permission denied, nothing sent).
`;

export const SCAN_HELP = `Usage: dupip scan [CIDR ...] [options]

Asks every address of the given IPv4 prefixes (default: the subnets of this host's interfaces,
/30 and larger) with ordinary ARP requests, paced at --rate per second, and lists every address
answered by two or more MACs, with what each MAC is (vendor from the IEEE registry, virtual MACs
such as VRRP, VMware or KVM named, locally administered). The requests come from this host's own
address on the interface, never from 0.0.0.0, so a host taking an address over is not disturbed.
This host's own MACs never count; another MAC answering for one of this host's addresses is a
duplicate. A MAC answering for many addresses is named (proxy ARP).

Options:
  -I, --interface IF      sweep on this interface (default: the one whose subnet holds each prefix)
  -r, --rate N            requests per second, 1 to ${10_000} (default 50, the daemon's max_send_rate)
  -w, --wait DURATION     how long to listen after the last request (default 1s)
      --json              print {duplicate, interfaces:[{interface, duplicates:[{address, macs}], proxies}]}
  -h, --help              this help

Exit status: 0 no address answered by two or more MACs, 1 duplicates found, 2 could not scan
(unknown interface, no address of this host in the prefix, permission denied, nothing sent).
`;

export const STATUS_HELP = `Usage: dupip status [--control-socket PATH] [--json]

Asks the running daemon, over its control socket, what it sees: every monitored address with
its role, interface, state (ok, conflict, contested, split-brain, unanswered, unknown), the
foreign MACs of a conflict, the age of the last probe, the last conflict episode and, from 3
episodes on, how they recur (e.g. "recurs at minutes 0,15,30,45 of the hour"). Below the table,
every foreign MAC of a current conflict: its vendor (IEEE registry) or what it is (VRRP, VMware,
KVM, locally administered, ...), when it was first and last seen, and how many frames. Then
notes on MACs answering one address together: a split brain, or one host with two interfaces on
the segment (ARP flux), said outright when they also answer together for other addresses.

Options:
      --control-socket PATH  the daemon's control socket (default ${DEFAULTS.controlSocket})
      --json                 print {"addresses":[...],"history":[...]} instead of the table
  -h, --help                 this help

Exit status: ${EXIT_OK} every address ok (unknown and contested included), ${EXIT_PROBLEM} any address in conflict,
split brain or unanswered, ${EXIT_UNREACHABLE} the daemon cannot be reached (the message names the socket and why).
`;

export const DAEMON_HELP = `${DAEMON_FLAGS_HELP}
SIGTERM or SIGINT stop within a second; an invalid configuration on SIGHUP is refused and the
running one kept. Exit status: ${EXIT_OK} stopped cleanly, ${EXIT_FATAL} fatal error (for example no permission to
open raw sockets: needs CAP_NET_RAW), ${EX_CONFIG} invalid configuration, ${EXIT_INTERNAL} an internal error outside the
isolated entry points (logged with its stack; errors at the entry points are counted in
dupip_internal_errors_total and the daemon carries on).
`;
