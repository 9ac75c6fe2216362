/**
 * Property-based tests of the ARP codec: random and mutated frames never throw, and decode to a
 * typed frame with well-formed fields or to one of the documented reasons. Seeded
 * (DUPIP_PROPERTY_SEED), like the detector's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARP_LENGTH, INVALID_REASONS, OP_REPLY, OP_REQUEST, decodeArp, decodeArpAt, encodeArp, observeArp, type ArpFrame, type DecodeResult } from '../../src/core/arp.js';
import { MacCache, readMac } from '../../src/core/mac.js';

const SEED = Number(process.env.DUPIP_PROPERTY_SEED ?? 20261201);
const RUNS = 5000;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const hex = (b: number) => b.toString(16).padStart(2, '0');

function wellTyped(r: DecodeResult): void {
  if (!r.ok) {
    expect(INVALID_REASONS).toContain(r.reason);
    return;
  }
  const f = r.frame;
  expect([OP_REQUEST, OP_REPLY]).toContain(f.op);
  expect(f.senderMac).toMatch(MAC);
  expect(f.senderMac).not.toBe('00:00:00:00:00:00');
  for (const a of [f.senderIp, f.targetIp]) expect(Number.isInteger(a) && a >= 0 && a <= 0xffffffff).toBe(true);
  const obs = observeArp(f);
  if (obs) expect(obs.mac).toBe(f.senderMac);
}

function check(name: string, prop: fc.IProperty<[Uint8Array]> | fc.IProperty<[ArpFrame, number[][]]>): void {
  const details = fc.check(prop as fc.IProperty<unknown[]>, { seed: SEED, numRuns: RUNS });
  if (details.failed) throw new Error(`${name} (seed ${SEED}):\n${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}`);
}

const macBytes = fc.uint8Array({ minLength: 6, maxLength: 6 });
const unicast = macBytes.filter((b) => (b[0]! & 1) === 0 && b.some((x) => x !== 0)).map((b) => Array.from(b, hex).join(':'));
const frame: fc.Arbitrary<ArpFrame> = fc.record({
  op: fc.constantFrom(OP_REQUEST, OP_REPLY),
  senderMac: unicast,
  senderIp: fc.nat({ max: 0xffffffff }),
  targetMac: macBytes.map((b) => Array.from(b, hex).join(':')),
  targetIp: fc.nat({ max: 0xffffffff }),
});
/** Mutations: [offset, value] byte writes, a cut or an extension. */
const mutation = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 255 })),
  fc.tuple(fc.constant(-1), fc.integer({ min: 0, max: 64 })),
);

describe(`ARP codec properties (seed ${SEED}, ${RUNS} frames each)`, () => {
  it('random bytes never throw and decode to a typed frame or a reason', { timeout: 30_000 }, () => {
    check('random', fc.property(fc.uint8Array({ maxLength: 64 }), (b) => wellTyped(decodeArp(b))));
  });

  it('valid frames round-trip; mutated ones never throw', { timeout: 30_000 }, () => {
    check(
      'mutated',
      fc.property(frame, fc.array(mutation, { maxLength: 6 }), (f, muts) => {
        const bytes = encodeArp(f);
        const good = decodeArp(bytes);
        expect(good).toEqual({ ok: true, frame: { op: f.op, senderMac: f.senderMac, senderIp: f.senderIp, targetIp: f.targetIp } });
        let b = new Uint8Array(64);
        b.set(bytes);
        let len = ARP_LENGTH;
        for (const [at, v] of muts) {
          if (at < 0) len = v;
          else b[at] = v;
        }
        b = b.subarray(0, len);
        wellTyped(decodeArp(b));
      }) as fc.IProperty<[ArpFrame, number[][]]>,
    );
  });

  it('in place (a receive record: bytes around the payload) it decodes as the payload alone does', { timeout: 30_000 }, () => {
    const placed = fc.tuple(fc.uint8Array({ maxLength: 48 }), fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 48 }));
    const details = fc.check(
      fc.property(fc.oneof(placed, frame.map((f) => [new Uint8Array(3), encodeArp(f), new Uint8Array(40)] as [Uint8Array, Uint8Array, Uint8Array])), ([before, payload, after]) => {
        const record = new Uint8Array(before.length + payload.length + after.length);
        record.set(before);
        record.set(payload, before.length);
        record.set(after, before.length + payload.length);
        const r = decodeArpAt(record, before.length, payload.length);
        expect(typeof r === 'string' ? { ok: false, reason: r } : { ok: true, frame: r }).toEqual(decodeArp(payload));
      }),
      { seed: SEED, numRuns: RUNS },
    );
    if (details.failed) throw new Error(`in place (seed ${SEED}):\n${fc.defaultReportMessage(details)}`);
  });

  it('MacCache gives the text readMac gives, whatever it read before', { timeout: 30_000 }, () => {
    const cache = new MacCache();
    const reads = fc.array(fc.oneof(macBytes, fc.constant(new Uint8Array([2, 0, 0, 0, 0, 1]))), { minLength: 1, maxLength: 40 });
    const details = fc.check(
      fc.property(reads, (list) => {
        for (const b of list) {
          const buf = new Uint8Array(10);
          buf.set(b, 3);
          const text = cache.read(buf, 3);
          expect(text).toBe(readMac(b, 0));
          expect(cache.read(buf, 3)).toBe(text);
        }
      }),
      { seed: SEED, numRuns: RUNS / 5 },
    );
    if (details.failed) throw new Error(`MacCache (seed ${SEED}):\n${fc.defaultReportMessage(details)}`);
  });
});
