import { describe, expect, it } from 'vitest';
import { OP_REPLY, OP_REQUEST, type ArpFrame } from '../../src/core/arp.js';
import { PACKET_OUTGOING } from '../../src/core/packet-constants.js';
import { ProbeSession } from '../../src/core/probe-session.js';
import { ip } from '../support/fake-world.js';

const A = ip('192.0.2.10');
const OWN = '02:00:00:00:00:01';
const OTHER_OWN = '02:00:00:00:00:02';
const reply = (mac: string, from = A): ArpFrame => ({ op: OP_REPLY, senderMac: mac, senderIp: from, targetMac: OWN, targetIp: 0 });

describe('ProbeSession', () => {
  it('no answer is no duplicate', () => {
    const s = new ProbeSession(A, new Set([OWN]));
    s.probeSent(0);
    expect(s.result()).toEqual({ duplicate: false, answers: [], probers: [], sent: 1, received: 0 });
  });

  it('keeps every foreign MAC with the time to its first answer', () => {
    const s = new ProbeSession(A, new Set([OWN]));
    s.probeSent(100);
    expect(s.frame(reply('02:00:00:00:00:aa'), '02:00:00:00:00:aa', 0, 101.5)).toBe('answer');
    s.probeSent(1100);
    s.frame(reply('02:00:00:00:00:bb'), '02:00:00:00:00:bb', 0, 1102);
    s.frame(reply('02:00:00:00:00:aa'), '02:00:00:00:00:aa', 0, 1103);
    const r = s.result();
    expect(r.duplicate).toBe(true);
    expect(r.answers).toEqual([
      { mac: '02:00:00:00:00:aa', firstAnswerMs: 1.5, frames: 2 },
      { mac: '02:00:00:00:00:bb', firstAnswerMs: 1002, frames: 1 },
    ]);
    expect(r.received).toBe(3);
  });

  it('never counts own MACs (any interface) or outgoing frames', () => {
    const s = new ProbeSession(A, new Set([OWN, OTHER_OWN]));
    s.probeSent(0);
    expect(s.frame(reply(OTHER_OWN), OTHER_OWN, 0, 1)).toBe('own');
    expect(s.frame(reply('02:00:00:00:00:aa'), '02:00:00:00:00:aa', PACKET_OUTGOING, 1)).toBe('own');
    expect(s.result().duplicate).toBe(false);
  });

  it('reports an Ethernet source that differs from the ARP sender', () => {
    const s = new ProbeSession(A, new Set([OWN]));
    s.probeSent(0);
    s.frame(reply('02:00:00:00:00:aa'), '02:00:00:00:00:cc', 0, 1);
    expect(s.result().answers[0]!.ethernetSource).toBe('02:00:00:00:00:cc');
  });

  it('notes concurrent probers without calling them duplicates, and ignores other addresses', () => {
    const s = new ProbeSession(A, new Set([OWN]));
    s.probeSent(0);
    expect(s.frame({ op: OP_REQUEST, senderMac: '02:00:00:00:00:dd', senderIp: 0, targetIp: A }, '02:00:00:00:00:dd', 1, 2)).toBe('prober');
    expect(s.frame(reply('02:00:00:00:00:ee', ip('192.0.2.11')), '02:00:00:00:00:ee', 0, 2)).toBe('other');
    expect(s.result()).toMatchObject({ duplicate: false, probers: ['02:00:00:00:00:dd'] });
  });
});
