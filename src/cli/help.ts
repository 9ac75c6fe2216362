import { DAEMON_FLAGS_HELP, DEFAULTS } from '../config/index.js';

export const VERSION = '0.1.0';

export const MAIN_HELP = `dupip ${VERSION} — duplicate IPv4 address detection (RFC 5227)

Usage:
  dupip probe ADDRESS [--interface IF] [--count N] [--timeout DURATION] [--json]
  dupip daemon [--config PATH] [flags]      (dupip daemon --help lists the flags)
  dupip status [--control-socket PATH] [--json]
  dupip --version

Commands:
  probe    Send RFC 5227 ARP probes for ADDRESS and list every other MAC that answers.
           Exit 0: nobody else answered. 1: duplicate. 2: could not probe.
  daemon   Watch this host's own IPv4 addresses and the delegate (floating) addresses it is
           told about, continuously; export Prometheus metrics; serve \`dupip status\`.
  status   Ask the running daemon what it sees. Exit 0: all ok. 1: a conflict, split brain
           or unanswered delegate. 2: the daemon cannot be reached.

Needs CAP_NET_RAW (or root) for probe and daemon. Documentation: README.md, docs/config.md.
`;

export const PROBE_HELP = `Usage: dupip probe ADDRESS [options]

Sends RFC 5227 ARP probes (sender IP 0.0.0.0) for ADDRESS and waits for answers. Stricter than
\`arping -D\`: every foreign MAC is listed with the time to its first answer, frames from this
host's own MACs never count, and if not one probe could be sent the exit code is 2, not 0.

Options:
  -I, --interface IF      interface to probe on (default: the one whose subnet contains ADDRESS)
  -c, --count N           probes to send, spread over the timeout, 1 to 1000 (default 3)
  -w, --timeout DURATION  how long to probe and listen, e.g. 500ms, 3s (default 3s)
      --json              print {address, interface, duplicate, macs, sent, received}
  -h, --help              this help

Exit status: 0 no other host answered, 1 duplicate, 2 could not probe (unknown interface,
interface down, permission denied, nothing sent).
`;

export const STATUS_HELP = `Usage: dupip status [--control-socket PATH] [--json]

Asks the running daemon, over its control socket, what it sees: every monitored address with
its role, interface, state (ok, conflict, contested, split-brain, unanswered, unknown), the
foreign MACs of a conflict, the age of the last probe, the last conflict episode and, from 3
episodes on, how they recur (e.g. "recurs at minutes 0,15,30,45 of the hour").

Options:
      --control-socket PATH  the daemon's control socket (default ${DEFAULTS.controlSocket})
      --json                 print {"addresses":[...],"history":[...]} instead of the table
  -h, --help                 this help

Exit status: 0 every address ok (unknown and contested included), 1 any address in conflict,
split brain or unanswered, 2 the daemon cannot be reached (the message names the socket and why).
`;

export const DAEMON_HELP = `${DAEMON_FLAGS_HELP}
SIGTERM or SIGINT stop within a second; an invalid configuration on SIGHUP is refused and the
running one kept. Exit status: 0 stopped cleanly, 1 fatal error (for example no permission to
open raw sockets: needs CAP_NET_RAW), 78 invalid configuration, 70 an internal error outside the
isolated entry points (logged with its stack; errors at the entry points are counted in
dupip_internal_errors_total and the daemon carries on).
`;
