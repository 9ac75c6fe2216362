import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { eventLog } from '../../src/daemon/event-log.js';
import { entry } from '../support/fake-view.js';

function logger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, log: eventLog(pino({ level: 'info' }, sink), (t) => t) };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('event log: who the intruder is', () => {
  it('a conflict names each MAC, its Ethernet source when it differs, first seen and frames', async () => {
    const { lines, log } = logger();
    const e = entry({
      address: '192.0.2.10',
      state: 'conflict',
      macs: [
        { mac: '00:50:56:aa:bb:cc', firstSeen: 1000, lastSeen: 2000, frames: 4 },
        { mac: '00:00:5e:00:01:07', firstSeen: 1500, lastSeen: 1500, frames: 1, ethernetSource: '06:00:00:00:00:01' },
      ],
    });
    log({ type: 'state', at: 2000, entry: e, from: 'ok', to: 'conflict', reason: 'answered by another MAC' });
    log({ type: 'conflict-mac', at: 2000, entry: e, mac: e.macs[1]! });
    await flush();
    expect(lines[0]!.msg).toBe(
      '192.0.2.10 on eth0 (own): ok → conflict: answered by another MAC; answered by 00:50:56:aa:bb:cc (VMware, Inc.; VMware virtual NIC), ' +
        '00:00:5e:00:01:07 (ICANN, IANA Department; VRRP IPv4 virtual router 7; Ethernet source 06:00:00:00:00:01: locally administered)',
    );
    expect(lines[0]!.macs).toEqual([
      { mac: '00:50:56:aa:bb:cc', vendor: 'VMware, Inc.', virtual: 'VMware virtual NIC', locallyAdministered: false, multicast: false, description: 'VMware, Inc.; VMware virtual NIC', firstSeen: new Date(1000).toISOString(), lastSeen: new Date(2000).toISOString(), frames: 4 },
      expect.objectContaining({ mac: '00:00:5e:00:01:07', virtual: 'VRRP IPv4 virtual router 7', ethernetSource: '06:00:00:00:00:01', ethernetSourceDescription: 'locally administered' }),
    ]);
    expect(lines[1]!.msg).toBe(
      `192.0.2.10 on eth0 (own): 00:00:5e:00:01:07 (ICANN, IANA Department; VRRP IPv4 virtual router 7; Ethernet source 06:00:00:00:00:01: locally administered) also claims it, first seen ${new Date(1500).toISOString()}, 1 frame(s)`,
    );
  });

  it('a state change without foreign MACs says nothing about intruders', async () => {
    const { lines, log } = logger();
    log({ type: 'state', at: 2000, entry: entry({ address: '192.0.2.10' }), from: 'unknown', to: 'ok', reason: 'first round clean' });
    await flush();
    expect(lines[0]!.msg).toBe('192.0.2.10 on eth0 (own): unknown → ok: first round clean');
    expect(lines[0]!.macs).toEqual([]);
  });
});
