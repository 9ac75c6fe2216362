/**
 * The RTM_GETADDR parser against dumps this kernel made in a lab namespace
 * (test/fixtures/rtnetlink/capture.ts), and against hand-built messages for what the lab cannot
 * easily produce (a temporary address, a peer address, malformed messages, an error).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIpv6, parseIpv6 } from '../../src/core/ipv6.js';
import { isUsable, linkLocalOf } from '../../src/platform/ipv6-addresses.js';
import { IFA_F, parseAddressDump } from '../../src/platform/rtnetlink-address.js';
const fixture = JSON.parse(readFileSync(new URL('../fixtures/rtnetlink/address-dump.json', import.meta.url), 'utf8')) as {
  ifindex: number;
  ipAddrShow: string[];
  dumps: { tentative: string; settled: string };
};

const dump = (k: 'tentative' | 'settled') => parseAddressDump(Buffer.from(fixture.dumps[k], 'hex'), true);
const byAddress = (k: 'tentative' | 'settled') => new Map(dump(k).addresses.map((a) => [formatIpv6(a.address), a]));

describe('parseAddressDump on the kernel\'s own dumps', () => {
  it('reads every address of the interface with its prefix and scope, and the end of the dump', () => {
    const d = dump('settled');
    expect(d).toMatchObject({ complete: true, malformed: 0, error: 0 });
    expect(d.addresses.every((a) => a.ifindex === fixture.ifindex)).toBe(true);
    const list = d.addresses.map((a) => `${formatIpv6(a.address)}/${a.prefixLength} ${a.scope}`);
    const link = list.find((l) => l.startsWith('fe80::'));
    expect(list.sort()).toEqual(['2001:db8::1/64 global', '2001:db8::10/64 global', '2001:db8::20/64 global', '2001:db8::30/64 global', 'fd00:db8::5/64 global', link].sort());
    expect(link).toMatch(/\/64 link$/);
    // the same addresses `ip -6 addr` printed at capture time
    for (const a of d.addresses) expect(fixture.ipAddrShow.some((l: string) => l.includes(`inet6 ${formatIpv6(a.address)}/`))).toBe(true);
  });

  it('tells the DAD states apart: dadfailed, optimistic while DAD runs, then settled', () => {
    const t = byAddress('tentative');
    expect(t.get('2001:db8::10')).toMatchObject({ tentative: true, dadFailed: true, optimistic: false });
    expect(t.get('2001:db8::20')).toMatchObject({ tentative: true, dadFailed: false, optimistic: true });
    expect(isUsable(t.get('2001:db8::10')!)).toBe(false);
    expect(isUsable(t.get('2001:db8::20')!)).toBe(true); // RFC 4429: optimistic is usable
    const s = byAddress('settled');
    expect(s.get('2001:db8::20')).toMatchObject({ tentative: false, optimistic: false, permanent: true });
    expect(s.get('2001:db8::10')!.dadFailed).toBe(true); // it stays failed
  });

  it('reads the deprecated flag and the lifetimes (preferred 0, valid forever)', () => {
    const s = byAddress('settled');
    expect(s.get('2001:db8::30')).toMatchObject({ deprecated: true, preferredSeconds: 0, validSeconds: null });
    expect(s.get('2001:db8::1')).toMatchObject({ deprecated: false, temporary: false, preferredSeconds: null, flags: IFA_F.PERMANENT | IFA_F.NODAD });
  });

  it('finds the usable link-local address of the interface', () => {
    const addrs = dump('settled').addresses;
    expect(formatIpv6(linkLocalOf(addrs, fixture.ifindex)!)).toMatch(/^fe80::/);
    expect(linkLocalOf(addrs, fixture.ifindex + 100)).toBeNull();
  });
});

// ---- hand-built messages (little-endian) ----------------------------------------------------

function attr(type: number, data: number[]): number[] {
  const len = 4 + data.length;
  const out = [len & 0xff, len >> 8, type & 0xff, type >> 8, ...data];
  while (out.length % 4) out.push(0);
  return out;
}
const u32 = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const addr = (text: string) => [...Buffer.from(parseIpv6(text)!, 'hex')];
function message(type: number, body: number[]): number[] {
  return [...u32(16 + body.length), type & 0xff, type >> 8, 0x02, 0x00, ...u32(1), ...u32(0), ...body];
}
const ifaddrmsg = (family: number, prefix: number, flags: number, scope: number, ifindex: number) => [family, prefix, flags, scope, ...u32(ifindex)];
const DONE = message(3, u32(0));

describe('parseAddressDump on hand-built messages', () => {
  it('a temporary address: IFA_FLAGS wins over the 8-bit ifa_flags', () => {
    const m = message(20, [...ifaddrmsg(10, 64, 0, 0, 7), ...attr(1, addr('2001:db8::abcd')), ...attr(8, u32(IFA_F.TEMPORARY | IFA_F.MANAGETEMPADDR))]);
    const d = parseAddressDump(Uint8Array.from([...m, ...DONE]), true);
    expect(d.addresses).toHaveLength(1);
    expect(d.addresses[0]).toMatchObject({ ifindex: 7, temporary: true, flags: 0x101 });
  });

  it('a point-to-point address: IFA_LOCAL is ours, IFA_ADDRESS the peer', () => {
    const m = message(20, [...ifaddrmsg(10, 128, 0x80, 0, 3), ...attr(1, addr('2001:db8::2')), ...attr(2, addr('2001:db8::1'))]);
    expect(formatIpv6(parseAddressDump(Uint8Array.from([...m, ...DONE]), true).addresses[0]!.address)).toBe('2001:db8::1');
  });

  it('skips IPv4 messages uncounted, counts and skips malformed ones, never throws', () => {
    const v4 = message(20, [...ifaddrmsg(2, 24, 0, 0, 3), ...attr(1, [192, 0, 2, 1])]);
    const shortAddress = message(20, [...ifaddrmsg(10, 64, 0, 0, 3), ...attr(1, [1, 2, 3, 4])]);
    const badPrefix = message(20, [...ifaddrmsg(10, 129, 0, 0, 3), ...attr(1, addr('2001:db8::1'))]);
    const noAddress = message(20, ifaddrmsg(10, 64, 0, 0, 3));
    const overrun = message(20, [...ifaddrmsg(10, 64, 0, 0, 3), 0xff, 0x00, 0x01, 0x00]);
    const good = message(20, [...ifaddrmsg(10, 64, 0, 0, 3), ...attr(1, addr('2001:db8::9'))]);
    const d = parseAddressDump(Uint8Array.from([...v4, ...shortAddress, ...badPrefix, ...noAddress, ...overrun, ...good, ...DONE]), true);
    expect(d).toMatchObject({ malformed: 4, complete: true });
    expect(d.addresses.map((a) => formatIpv6(a.address))).toEqual(['2001:db8::9']);
    // a length that runs past the end stops the walk
    const cut = Uint8Array.from([...good, ...DONE]).subarray(0, 30);
    expect(parseAddressDump(cut, true)).toMatchObject({ complete: false, malformed: 1, addresses: [] });
    for (let n = 0; n < 60; n++) expect(() => parseAddressDump(Uint8Array.from([...good, ...DONE]).subarray(0, n), true)).not.toThrow();
  });

  it('reports an NLMSG_ERROR as its errno', () => {
    const err = message(2, [...u32(-1 >>> 0), ...new Array(16).fill(0)]); // -EPERM
    expect(parseAddressDump(Uint8Array.from(err), true)).toMatchObject({ error: 1, complete: false });
  });
});
