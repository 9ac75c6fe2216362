import { describe, expect, it } from 'vitest';
import { parseNotifications } from '../../src/platform/netlink.js';
import { ip } from '../support/fake-world.js';

// Little-endian hosts only (x86, arm64): the test builds host-order netlink messages by hand.
function rta(type: number, payload: Buffer): Buffer {
  const len = 4 + payload.length;
  const b = Buffer.alloc((len + 3) & ~3);
  b.writeUInt16LE(len, 0);
  b.writeUInt16LE(type, 2);
  payload.copy(b, 4);
  return b;
}
function nlmsg(type: number, body: Buffer): Buffer {
  const b = Buffer.alloc(16 + body.length);
  b.writeUInt32LE(16 + body.length, 0);
  b.writeUInt16LE(type, 4);
  body.copy(b, 16);
  return b;
}
function link(type: 16 | 17, ifindex: number, name: string): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(ifindex, 4);
  return nlmsg(type, Buffer.concat([h, rta(3, Buffer.from(`${name}\0`))]));
}
function addr(type: 20 | 21, ifindex: number, address: string, prefix: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 2;
  h[1] = prefix;
  h.writeUInt32LE(ifindex, 4);
  const a = Buffer.alloc(4);
  a.writeUInt32BE(ip(address));
  return nlmsg(type, Buffer.concat([h, rta(2, a), rta(1, a)]));
}
function addr6(ifindex: number, hex: string): Buffer {
  const h = Buffer.alloc(8);
  h[0] = 10;
  h[1] = 64;
  h.writeUInt32LE(ifindex, 4);
  return nlmsg(20, Buffer.concat([h, rta(1, Buffer.from(hex, 'hex'))]));
}
function route(type: 24 | 25, dstLen: number, table = 254): Buffer {
  const h = Buffer.alloc(12);
  h[0] = 2;
  h[1] = dstLen;
  h[4] = table;
  return nlmsg(type, h);
}

describe('rtnetlink notifications', () => {
  it('name the links and addresses that changed, and default routes only', () => {
    const c = parseNotifications(
      Buffer.concat([link(16, 7, 'veth7'), addr(20, 7, '203.0.113.1', 32), link(17, 5, 'veth5'), addr(21, 2, '192.0.2.9', 24), route(24, 32), route(25, 0, 255)]),
    );
    expect([...c.links]).toEqual([
      [7, { name: 'veth7', deleted: false, message: { flags: 0, mac: null, kind: null, master: 0, link: 0, operstate: 0 } }],
      [5, { name: 'veth5', deleted: true }],
    ]);
    expect(c.addresses).toEqual([
      { ifindex: 7, address: ip('203.0.113.1'), prefixLength: 32, deleted: false },
      { ifindex: 2, address: ip('192.0.2.9'), prefixLength: 24, deleted: true },
    ]);
    expect(c.defaultRoute).toBe(false); // a /32 and a local-table default do not count
    expect(parseNotifications(route(24, 0)).defaultRoute).toBe(true);
    expect(c.lost).toBe(false);
  });

  it('a NEWLINK carries the link facts: flags, MAC, kind (nested in IFLA_LINKINFO), master, peer, operstate', () => {
    const h = Buffer.alloc(16);
    h.writeInt32LE(42, 4);
    h.writeUInt32LE(0x1003, 8); // IFF_UP | IFF_BROADCAST | IFF_MULTICAST
    const u32 = (v: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(v);
      return b;
    };
    const body = Buffer.concat([
      h,
      rta(3, Buffer.from('s-000042\0')),
      rta(1, Buffer.from([0x02, 0xab, 0xcd, 0x00, 0x00, 0x2a])),
      rta(13, u32(1000)), // IFLA_TXQLEN: skipped
      rta(10, u32(9)), // IFLA_MASTER
      rta(5, u32(3)), // IFLA_LINK
      rta(16, Buffer.from([6])), // IFLA_OPERSTATE up
      rta(18 | 0x8000, Buffer.concat([rta(1, Buffer.from('veth\0')), rta(2, Buffer.alloc(8))])), // IFLA_LINKINFO (nested)
    ]);
    const c = parseNotifications(nlmsg(16, body));
    expect(c.links.get(42)).toEqual({ name: 's-000042', deleted: false, message: { flags: 0x1003, mac: '02:ab:cd:00:00:2a', kind: 'veth', master: 9, link: 3, operstate: 6 } });
    expect(c.malformed).toBe(0);
    // A nested attribute running past its parent: the link is still named, without facts (it is re-read).
    const bad = Buffer.concat([h, rta(18, Buffer.from([0x40, 0x00, 0x01, 0x00]))]);
    const d = parseNotifications(nlmsg(16, bad));
    expect(d.links.get(42)).toEqual({ name: null, deleted: false });
    expect(d.malformed).toBe(1);
  });

  it('a truncated message is counted and makes the batch lost (re-read everything)', () => {
    const whole = Buffer.concat([link(16, 7, 'veth7'), link(16, 8, 'veth8')]);
    const c = parseNotifications(whole.subarray(0, whole.length - 4));
    expect(c.links.has(7)).toBe(true);
    expect(c.malformed).toBe(1);
    expect(c.lost).toBe(true);
  });

  it('IPv6 address messages: a re-read for any but link-local ones, which only name their interface', () => {
    const ll = parseNotifications(Buffer.concat([addr6(7, 'fe800000000000000000000000000001'), addr6(8, 'febf0000000000000000000000000001')]));
    expect(ll.ipv6).toBeUndefined();
    expect(ll.ipv6LinkLocal).toEqual([7, 8]);
    expect(ll.addresses).toEqual([]);
    const g = parseNotifications(addr6(2, '20010db8000000000000000000000010'));
    expect(g.ipv6).toBe(true);
    expect(g.ipv6LinkLocal).toBeUndefined();
    expect(parseNotifications(addr6(2, 'fec00000000000000000000000000001')).ipv6).toBe(true); // fec0::/10 is not link-local
  });
});
