/**
 * The addon reads every batch into the same records Buffer (native/receive.c). What a listener
 * keeps of a frame must survive the next batch: its fields are copied out of the record, its
 * `payload` is a copy, and what the ARP decoder read in place (`bytes`) is plain values; reading a
 * kept frame's bytes after its batch throws (StaleFrameError) instead of returning the next frame.
 */
import { describe, expect, it } from 'vitest';
import { decodeArpAt, encodeArp } from '../../src/core/arp.js';
import { parseIpv4 } from '../../src/core/ipv4.js';
import type { NativeBinding, NativePacketHandle, NativeReceiveCallback } from '../../src/platform/native.js';
import { PACKET_BROADCAST, RECORD_PAYLOAD_OFFSET, RECORD_SIZE, RecordBatch, StaleFrameError, decodeFrameRecords, openArpSocket, type ReceivedFrame } from '../../src/platform/packet-socket.js';

const BATCH = 128;

/** Writes ARP claims (sender `ip` from `mac`) into `records` as the addon would. */
function fill(records: Buffer, claims: Array<{ mac: string; ip: string }>): number {
  records.fill(0);
  claims.forEach((c, i) => {
    const base = i * RECORD_SIZE;
    const payload = encodeArp({ op: 2, senderMac: c.mac, senderIp: parseIpv4(c.ip)!, targetMac: 'ff:ff:ff:ff:ff:ff', targetIp: parseIpv4(c.ip)! });
    records.writeUInt16LE(payload.length, base);
    records[base + 2] = PACKET_BROADCAST;
    records[base + 3] = 0x02; // auxdata, untagged, ARP
    records.writeUInt32LE(3, base + 4);
    Buffer.from(c.mac.split(':').map((h) => parseInt(h, 16))).copy(records, base + 8);
    records.set(payload, base + RECORD_PAYLOAD_OFFSET);
  });
  return claims.length;
}

/** A stand-in for the addon that, like it, hands over the same records Buffer for every batch. */
function reusingBinding(): { binding: NativeBinding; batch: (claims: Array<{ mac: string; ip: string }>) => void } {
  const records = Buffer.alloc(BATCH * RECORD_SIZE);
  let callback: NativeReceiveCallback | null = null;
  const binding = {
    open: () => ({}) as NativePacketHandle,
    setFilter() {},
    send: () => 0,
    start: (_h: NativePacketHandle, cb: NativeReceiveCallback) => void (callback = cb),
    close() {},
    ipv4Addresses: () => [],
    stats: () => ({ packets: 0, drops: 0 }),
    setReceiveBuffer: () => 0,
    receiveBuffer: () => 1 << 20,
    RECORD_SIZE,
    RECORD_PAYLOAD_OFFSET,
    RECORD_PAYLOAD_MAX: RECORD_SIZE - RECORD_PAYLOAD_OFFSET,
  } as unknown as NativeBinding;
  return { binding, batch: (claims) => callback!(records, fill(records, claims)) };
}

const first = [
  { mac: '02:00:00:00:01:01', ip: '192.0.2.10' },
  { mac: '02:00:00:00:01:02', ip: '192.0.2.11' },
];
const second = [
  { mac: '02:00:00:00:02:01', ip: '198.51.100.20' },
  { mac: '02:00:00:00:02:02', ip: '198.51.100.21' },
  { mac: '02:00:00:00:02:03', ip: '198.51.100.22' },
];

describe('receive records reused from batch to batch', () => {
  it('a kept frame, its payload copy and its decoded claim are not overwritten by the next batch', () => {
    const { binding, batch } = reusingBinding();
    const socket = openArpSocket(3, { binding });
    const kept: Array<{ frames: ReceivedFrame[]; payloads: Uint8Array[]; decoded: unknown[]; bytes: Uint8Array }> = [];
    socket.onFrames((frames) => {
      kept.push({
        frames: [...frames],
        payloads: frames.map((f) => f.payload),
        decoded: frames.map((f) => decodeArpAt(f.bytes, f.payloadOffset, f.payloadLength)),
        bytes: frames[0]!.bytes,
      });
    });
    batch(first);
    const payloadsBefore = kept[0]!.payloads.map((p) => Buffer.from(p).toString('hex'));
    batch(second);
    expect(kept).toHaveLength(2);
    // The same buffer under both batches: the second batch really did overwrite the first's records.
    expect(kept[1]!.bytes).toBe(kept[0]!.bytes);
    const [a, b] = kept as [(typeof kept)[number], (typeof kept)[number]];
    expect(a.frames.map((f) => f.sourceMac)).toEqual(first.map((c) => c.mac));
    expect(a.frames.map((f) => [f.length, f.ifindex, f.packetType])).toEqual(first.map(() => [28, 3, PACKET_BROADCAST]));
    expect(a.payloads.map((p) => Buffer.from(p).toString('hex'))).toEqual(payloadsBefore);
    expect(a.decoded.map((d) => (d as { senderMac: string }).senderMac)).toEqual(first.map((c) => c.mac));
    expect(a.decoded.map((d) => (d as { senderIp: number }).senderIp)).toEqual(first.map((c) => parseIpv4(c.ip)));
    expect(b.decoded.map((d) => (d as { senderMac: string }).senderMac)).toEqual(second.map((c) => c.mac));
    // What was not copied in the listener cannot be read as another frame's bytes later.
    expect(() => a.frames[0]!.payload).toThrow(StaleFrameError);
    expect(() => a.frames[1]!.bytes).toThrow(StaleFrameError);
  });

  it('a listener that throws still ends its batch', () => {
    const { binding, batch } = reusingBinding();
    const socket = openArpSocket(3, { binding });
    let frame: ReceivedFrame | null = null;
    socket.onFrames((frames) => {
      frame = frames[0]!;
      throw new Error('listener failed');
    });
    expect(() => batch(first)).toThrow('listener failed');
    expect(() => frame!.payload).toThrow(StaleFrameError);
  });

  it('records without a batch belong to their frames for good', () => {
    const records = Buffer.alloc(RECORD_SIZE);
    fill(records, [first[0]!]);
    const [f] = decodeFrameRecords(records, 1);
    expect(decodeArpAt(f!.payload, 0, f!.payload.length)).toMatchObject({ senderMac: first[0]!.mac });
    const batch = new RecordBatch();
    const [g] = decodeFrameRecords(records, 1, batch);
    expect(g!.payload).toEqual(f!.payload);
    batch.end();
    expect(() => g!.payload).toThrow(StaleFrameError);
    expect(f!.payload).toHaveLength(28);
  });
});
