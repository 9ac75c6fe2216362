import { describe, expect, it } from 'vitest';
import {
  ARP_LENGTH,
  INVALID_REASONS,
  OP_REPLY,
  OP_REQUEST,
  announcementFrame,
  decodeArp,
  encodeArp,
  isProbe,
  observeArp,
  probeFrame,
  type ArpFrame,
  type InvalidReason,
  type ReceivedArp,
} from '../../src/core/arp.js';
import { parseIpv4 } from '../../src/core/ipv4.js';

const ip = (s: string) => parseIpv4(s)!;
const MAC_A = '02:00:5e:10:00:01';
const MAC_B = '02:00:5e:10:00:02';

/** What decoding an encoded frame gives back: every field but the target MAC, which is not decoded. */
const received = ({ targetMac: _, ...rest }: ArpFrame): ReceivedArp => rest;

function decoded(bytes: Uint8Array): ReceivedArp {
  const r = decodeArp(bytes);
  if (!r.ok) throw new Error(`decode failed: ${r.reason}`);
  return r.frame;
}

describe('ARP codec', () => {
  it('round-trips a probe with the RFC 5227 field values', () => {
    const frame = probeFrame(MAC_A, ip('192.0.2.10'));
    const bytes = encodeArp(frame);
    expect(bytes.length).toBe(ARP_LENGTH);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0, 1, 8, 0, 6, 4, 0, 1]);
    expect(Array.from(bytes.subarray(14, 18))).toEqual([0, 0, 0, 0]);
    expect(Array.from(bytes.subarray(18, 24))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(bytes.subarray(24, 28))).toEqual([192, 0, 2, 10]);
    expect(decoded(bytes)).toEqual(received(frame));
    expect(isProbe(frame)).toBe(true);
    expect(observeArp(frame)).toEqual({ kind: 'probe', address: ip('192.0.2.10'), mac: MAC_A });
  });

  it('round-trips an announcement with a broadcast target MAC', () => {
    const frame = announcementFrame(MAC_A, ip('198.51.100.10'));
    const bytes = encodeArp(frame);
    expect(Array.from(bytes.subarray(18, 24))).toEqual([255, 255, 255, 255, 255, 255]);
    expect(decoded(bytes)).toEqual(received(frame));
    expect(frame.senderIp).toBe(frame.targetIp);
    expect(isProbe(frame)).toBe(false);
    expect(observeArp(frame)).toEqual({ kind: 'claim', address: ip('198.51.100.10'), mac: MAC_A, reply: false });
  });

  it('round-trips a reply', () => {
    const frame: ArpFrame = { op: OP_REPLY, senderMac: MAC_B, senderIp: ip('203.0.113.5'), targetMac: MAC_A, targetIp: 0 };
    expect(decoded(encodeArp(frame))).toEqual(received(frame));
    expect(observeArp(frame)).toEqual({ kind: 'claim', address: ip('203.0.113.5'), mac: MAC_B, reply: true });
    expect(observeArp({ ...frame, senderIp: 0 })).toBeNull();
  });

  it('ignores Ethernet padding after the 28 ARP octets', () => {
    const padded = new Uint8Array(46);
    padded.set(encodeArp(probeFrame(MAC_A, ip('192.0.2.1'))));
    padded.fill(0xee, ARP_LENGTH);
    expect(decoded(padded).targetIp).toBe(ip('192.0.2.1'));
  });

  it('round-trips every op, address extreme and MAC byte value', () => {
    for (const op of [OP_REQUEST, OP_REPLY] as const) {
      for (const senderIp of [0, 1, 0xffffffff, ip('192.0.2.255')]) {
        const frame: ArpFrame = { op, senderMac: 'fe:dc:ba:98:76:54', senderIp, targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: 0x80000000 };
        expect(decoded(encodeArp(frame))).toEqual(received(frame));
      }
    }
  });

  const good = () => encodeArp(probeFrame(MAC_A, ip('192.0.2.10')));
  const mutations: Array<[InvalidReason, (b: Uint8Array) => Uint8Array]> = [
    ['truncated', (b) => b.subarray(0, 27)],
    ['truncated', () => new Uint8Array(0)],
    ['bad-htype', (b) => ((b[1] = 6), b)],
    ['bad-htype', (b) => ((b[0] = 1), b)],
    ['bad-ptype', (b) => ((b[2] = 0x86), (b[3] = 0xdd), b)],
    ['bad-lengths', (b) => ((b[4] = 8), b)],
    ['bad-lengths', (b) => ((b[5] = 16), b)],
    ['bad-op', (b) => ((b[7] = 3), b)],
    ['bad-op', (b) => ((b[7] = 0), b)],
    ['bad-op', (b) => ((b[6] = 1), b)],
    ['bad-sender-mac', (b) => (b.fill(0, 8, 14), b)],
    ['bad-sender-mac', (b) => ((b[8] = 0x01), b)],
    ['bad-sender-mac', (b) => (b.fill(0xff, 8, 14), b)],
  ];

  it.each(mutations)('refuses a malformed frame with reason %s', (reason, mutate) => {
    expect(decodeArp(mutate(good()))).toEqual({ ok: false, reason });
  });

  it('covers every invalid reason with at least one case', () => {
    expect(new Set(mutations.map(([r]) => r))).toEqual(new Set(INVALID_REASONS));
  });

  it('never throws on random bytes', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed / 0x7fffffff);
    for (let i = 0; i < 5000; i++) {
      const len = Math.floor(rnd() * 64);
      const b = new Uint8Array(len);
      for (let j = 0; j < len; j++) b[j] = Math.floor(rnd() * 256);
      // Bias half of them towards a valid header so deeper checks run.
      if (len >= 8 && rnd() < 0.5) b.set([0, 1, 8, 0, 6, 4, 0, rnd() < 0.5 ? 1 : 2]);
      const r = decodeArp(b);
      expect(typeof r.ok).toBe('boolean');
    }
  });
});
