/**
 * One pass over a received batch, whatever the address family: outgoing copies skipped, VLAN-tagged
 * frames counted and ignored, each payload decoded by the family's codec and handed on, malformed
 * ones counted and dropped. The sockets (socket-set.ts for ARP, nd-sockets.ts for ND) differ only in
 * `take`.
 */
import type { Mac } from '../core/mac.js';
import { PACKET_OUTGOING } from '../core/packet-constants.js';
import type { Observer } from './observer.js';

export interface ReceivedFrame {
  payload: Uint8Array;
  /** The payload in place, when it came from a receive record (frame-records.ts): no view made. */
  bytes?: Uint8Array;
  payloadOffset?: number;
  payloadLength?: number;
  sourceMac: Mac;
  packetType: number;
  vlanId?: number;
}

/** The payload to decode during the listener call: a view of the record in place when there is one (no copy). */
export const payloadInPlace = (f: ReceivedFrame): Uint8Array =>
  f.bytes !== undefined && f.payloadOffset !== undefined && f.payloadLength !== undefined ? f.bytes.subarray(f.payloadOffset, f.payloadOffset + f.payloadLength) : f.payload;

type InvalidReason = Parameters<NonNullable<Observer['frameInvalid']>>[1];

/** `take` decodes and delivers one frame; it returns why the frame is malformed, or null. */
export function receiveBatch(ifname: string, frames: readonly ReceivedFrame[], observers: readonly Observer[], take: (f: ReceivedFrame) => InvalidReason | null): void {
  for (const o of observers) o.framesReceived?.(ifname, frames.length);
  for (const f of frames) {
    if (f.packetType === PACKET_OUTGOING) continue;
    if (f.vlanId !== undefined) {
      for (const o of observers) o.frameIgnored?.(ifname, 'vlan-tagged');
      continue;
    }
    const invalid = take(f);
    if (invalid !== null) for (const o of observers) o.frameInvalid?.(ifname, invalid);
  }
}
