import { describe, expect, it } from 'vitest';
import { OP_REPLY, OP_REQUEST, type ArpFrame } from '../../src/core/arp.js';
import { PACKET_OUTGOING } from '../../src/core/packet-constants.js';
import { MAX_MACS_PER_ADDRESS, PROXY_MIN_ADDRESSES, ScanSession, prefixAddresses, requestFrame } from '../../src/core/scan-session.js';
import { formatIpv4 } from '../../src/core/ipv4.js';
import { ip } from '../support/fake-world.js';

const OWN = '02:00:00:00:00:01';
const OWN_IP = ip('192.0.2.1');
const targets = new Set(prefixAddresses(ip('192.0.2.0'), 24));
const reply = (mac: string, from: string): ArpFrame => ({ op: OP_REPLY, senderMac: mac, senderIp: ip(from), targetMac: OWN, targetIp: OWN_IP });
const mac = (n: number) => `02:00:00:00:01:${n.toString(16).padStart(2, '0')}`;

function session() {
  const s = new ScanSession(targets, new Set([OWN]), new Set([OWN_IP]));
  s.requestSent(0);
  return s;
}

describe('ScanSession', () => {
  it('lists only addresses answered by two or more MACs, every MAC kept', () => {
    const s = session();
    s.frame(reply(mac(1), '192.0.2.10'), mac(1), 0, 1);
    s.frame(reply(mac(2), '192.0.2.20'), mac(2), 0, 2);
    s.frame(reply(mac(3), '192.0.2.20'), mac(3), 0, 3);
    s.frame(reply(mac(4), '192.0.2.30'), mac(4), 0, 4);
    s.frame(reply(mac(5), '192.0.2.30'), mac(5), 0, 5);
    s.frame(reply(mac(6), '192.0.2.30'), mac(6), 0, 6);
    s.frame(reply(mac(6), '192.0.2.30'), mac(6), 0, 7);
    const r = s.result();
    expect(r.duplicates.map((d) => [formatIpv4(d.address), d.answers.map((a) => a.mac)])).toEqual([
      ['192.0.2.20', [mac(2), mac(3)]],
      ['192.0.2.30', [mac(4), mac(5), mac(6)]],
    ]);
    expect(r.duplicates[1]!.answers[2]).toMatchObject({ frames: 2, firstSeen: 6, lastSeen: 7 });
    expect(r).toMatchObject({ answered: 3, received: 7, sent: 1, proxies: [] });
  });

  it("never counts the host's own MACs or outgoing frames; one foreign answer for an own address is a duplicate", () => {
    const s = session();
    expect(s.frame(reply(OWN, '192.0.2.10'), OWN, 0, 1)).toBe('own');
    expect(s.frame(reply(mac(1), '192.0.2.10'), mac(1), PACKET_OUTGOING, 1)).toBe('own');
    expect(s.frame(reply(mac(1), '192.0.2.10'), OWN, 0, 1)).toBe('own');
    s.frame(reply(mac(7), '192.0.2.1'), mac(7), 0, 2);
    const r = s.result();
    expect(r.duplicates).toHaveLength(1);
    expect(r.duplicates[0]).toMatchObject({ address: OWN_IP, ownAddress: true, answers: [{ mac: mac(7) }] });
  });

  it('counts only replies from scanned addresses, after the first request', () => {
    const early = new ScanSession(targets, new Set([OWN]));
    expect(early.frame(reply(mac(1), '192.0.2.10'), mac(1), 0, 0)).toBe('other');
    const s = session();
    expect(s.frame(reply(mac(1), '198.51.100.1'), mac(1), 0, 1)).toBe('other');
    expect(s.frame({ ...reply(mac(1), '192.0.2.10'), op: OP_REQUEST }, mac(1), 0, 1)).toBe('other');
    expect(s.frame(reply(mac(1), '0.0.0.0'), mac(1), 0, 1)).toBe('other');
    expect(s.result().answered).toBe(0);
  });

  it('keeps at most MAX_MACS_PER_ADDRESS MACs per address and counts the rest', () => {
    const s = session();
    for (let i = 0; i < MAX_MACS_PER_ADDRESS + 5; i++) s.frame(reply(mac(i + 10), '192.0.2.40'), mac(i + 10), 0, i);
    const d = s.result().duplicates[0]!;
    expect(d.answers).toHaveLength(MAX_MACS_PER_ADDRESS);
    expect(d.overflow).toBe(5);
  });

  it('names a MAC that answers for many addresses (proxy ARP)', () => {
    const s = session();
    for (let i = 0; i < PROXY_MIN_ADDRESSES; i++) s.frame(reply(mac(0xee), `192.0.2.${100 + i}`), mac(0xee), 0, i);
    s.frame(reply(mac(1), '192.0.2.100'), mac(1), 0, 99);
    const r = s.result();
    expect(r.proxies).toEqual([{ mac: mac(0xee), addresses: PROXY_MIN_ADDRESSES }]);
    expect(r.duplicates.map((d) => formatIpv4(d.address))).toEqual(['192.0.2.100']);
  });

  it('frames its requests from the host address, never from 0.0.0.0', () => {
    expect(requestFrame(OWN, OWN_IP, ip('192.0.2.9'))).toEqual({ op: OP_REQUEST, senderMac: OWN, senderIp: OWN_IP, targetMac: '00:00:00:00:00:00', targetIp: ip('192.0.2.9') });
    expect(() => requestFrame(OWN, 0, ip('192.0.2.9'))).toThrow(/0\.0\.0\.0/);
  });
});

describe('prefixAddresses', () => {
  it('skips the network and broadcast addresses, except in a /31 or /32', () => {
    const a24 = prefixAddresses(ip('192.0.2.77'), 24);
    expect(a24).toHaveLength(254);
    expect(formatIpv4(a24[0]!)).toBe('192.0.2.1');
    expect(formatIpv4(a24.at(-1)!)).toBe('192.0.2.254');
    expect(prefixAddresses(ip('192.0.2.8'), 31).map(formatIpv4)).toEqual(['192.0.2.8', '192.0.2.9']);
    expect(prefixAddresses(ip('192.0.2.8'), 32).map(formatIpv4)).toEqual(['192.0.2.8']);
    expect(prefixAddresses(ip('192.0.2.8'), 30).map(formatIpv4)).toEqual(['192.0.2.9', '192.0.2.10']);
  });
});
