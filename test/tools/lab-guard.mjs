// The lab guard of the frame-sending tools (test/tools/arp-flood.mjs, bench/tools/arp-send.mjs): they
// run only inside a network namespace the lab made, and only with documentation addresses (or, for
// benchmarks that need thousands, RFC 2544's 198.18.0.0/15). Plain
// JavaScript because the tools run under bare node; the TypeScript side of the same rule, for
// everything the lab itself configures, is test/lab/addresses.ts.

import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** RFC 5737: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 (as the test/lab/addresses.ts list). */
export const DOCUMENTATION_PREFIXES = ['192.0.2.', '198.51.100.', '203.0.113.'];
/** RFC 2544 benchmarking range 198.18.0.0/15 (as BENCHMARK_RANGE in test/lab/addresses.ts): 198.18.x.x and 198.19.x.x. */
export const BENCHMARK_PREFIXES = ['198.18.', '198.19.'];
const LAB_PREFIXES = [...DOCUMENTATION_PREFIXES, ...BENCHMARK_PREFIXES];
const NETNS_DIR = '/run/netns';
const LAB_PREFIX = 'dupiplab-'; // test/lab/names.ts

/**
 * The name of the lab namespace (test/lab/names.ts: /run/netns/dupiplab-*) this process runs in;
 * otherwise calls `fail` (which must not return). The check is positive: this process's network
 * namespace must be one of those, compared by inode, so the machine's own is never taken for one.
 */
export function assertLabNamespace(fail) {
  let mine;
  try {
    mine = statSync('/proc/self/ns/net').ino;
  } catch (err) {
    fail(`cannot tell which network namespace this is (${err.message}); refusing to send`);
  }
  let names = [];
  try {
    names = readdirSync(NETNS_DIR).filter((n) => n.startsWith(LAB_PREFIX));
  } catch {
    /* no namespaces at all */
  }
  const lab = names.find((n) => {
    try {
      return statSync(join(NETNS_DIR, n)).ino === mine;
    } catch {
      return false;
    }
  });
  if (!lab) fail(`not inside a lab network namespace (${NETNS_DIR}/${LAB_PREFIX}*): run me with "ip netns exec ${LAB_PREFIX}…"; refusing to send`);
  return lab;
}

/**
 * The four bytes of a dotted-quad IPv4 address of the documentation ranges or the benchmarking
 * range; otherwise calls `fail`. Only for tools that also call assertLabNamespace.
 */
export function documentationIpv4(text, what, fail) {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text ?? '');
  if (!m || m.slice(1).some((p) => Number(p) > 255)) fail(`${what} ${JSON.stringify(text)} is not an IPv4 address`);
  if (!LAB_PREFIXES.some((r) => text.startsWith(r))) {
    fail(`${what} ${text} is outside the documentation ranges (${DOCUMENTATION_PREFIXES.map((r) => `${r}0/24`).join(', ')}) and the benchmarking range 198.18.0.0/15`);
  }
  return m.slice(1).map(Number);
}
