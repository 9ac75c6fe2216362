/**
 * The receive record layout of the native packet socket (native/receive.c) and its decoder:
 * the addon hands over fixed-size records, one per frame; decodeFrameRecords turns them into
 * ReceivedFrame objects. Pure: no I/O.
 */
import { receivedMacs, type Mac } from '../core/mac.js';


// ---- receive record layout (must match native/dupip.h and native/receive.c) ------------------------------

/**
 * The addon hands over batches of fixed-size records, one per frame, little-endian:
 *   offset  size  field
 *        0     2  frame length as received (the real length, even if truncated; max 65535)
 *        2     1  packet type (PACKET_*)
 *        3     1  flags: RECORD_FLAG_VLAN_TAG (PACKET_AUXDATA: a VLAN tag is present),
 *                 RECORD_FLAG_AUXDATA (the auxdata came), RECORD_FLAG_NOT_ARP (ethertype not ARP)
 *        4     4  ifindex the frame arrived on
 *        8     6  link-layer source MAC (the Ethernet source, not the ARP sender)
 *       14     2  the VLAN TCI from the auxdata (0 without RECORD_FLAG_VLAN_TAG)
 *       16   128  the first min(length, 128) bytes of the payload, from the ARP or IPv6 header on
 *
 * 128 bytes hold an ARP frame (28), an NS/NA with its options (72-104) and a small hop-by-hop
 * header in front; a longer frame arrives cut, with its real length (counted in
 * ArpSocketStats.cutByRecord). Per batch of 64 frames that is 9 KiB copied, against 4 KiB with
 * the 48-byte records ARP alone needed: measured with both builds side by side in the lab (the raw
 * addon, a pass-all filter, 300,000 ARP frames at ~35,000/s), 5.0-6.3 µs of CPU per frame against
 * 6.4-6.7 µs before — no cost above the noise, with 64 frames per recvmmsg call then (128 since the
 * burst pauses grew to 8 ms, and up to 32 ms since: native/dupip.h BATCH_SIZE).
 */
export const RECORD_SIZE = 144;
export const RECORD_PAYLOAD_OFFSET = 16;
export const RECORD_PAYLOAD_MAX = 128;
export const RECORD_FLAG_VLAN_TAG = 0x01;
export const RECORD_FLAG_AUXDATA = 0x02;
export const RECORD_FLAG_NOT_ARP = 0x04;
/** The VLAN identifier bits of a TCI (VID 0 is a priority tag: the untagged VLAN). */
const VLAN_VID_MASK = 0x0fff;

/** linux/if_ether.h: the two protocols a packet socket is opened for. */
export const ETH_P_ARP = 0x0806;
export const ETH_P_IPV6 = 0x86dd;
export type PacketProtocol = 'arp' | 'ipv6';
export const PROTOCOL_NUMBERS: Readonly<Record<PacketProtocol, number>> = { arp: ETH_P_ARP, ipv6: ETH_P_IPV6 };

export interface ReceivedFrame {
  /**
   * The payload from the ARP or IPv6 header on (at most RECORD_PAYLOAD_MAX bytes): a copy, which
   * may be kept; read it during the listener call (afterwards: StaleFrameError).
   */
  readonly payload: Uint8Array;
  /**
   * The same bytes in place: `payloadLength` bytes at `payloadOffset` in `bytes` (the batch's
   * records, reused for the next batch: valid during the listener call only). The ARP decoder
   * reads them there (decodeArpAt).
   */
  readonly bytes: Uint8Array;
  readonly payloadOffset: number;
  readonly payloadLength: number;
  /** Ethernet source address (sll_addr). May differ from the ARP sender MAC. */
  sourceMac: Mac;
  /** PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST or PACKET_OUTGOING. */
  packetType: number;
  ifindex: number;
  /** The frame's real length; larger than payload.length when it was truncated. */
  length: number;
  /**
   * The VLAN ID when the frame still carries a VLAN tag (not consumed by a VLAN device here) with a
   * non-zero VID: it belongs to another VLAN and says nothing about this one. Undefined otherwise
   * (untagged, or a priority tag with VID 0).
   */
  vlanId?: number;
  /** The ethertype was not ARP (the socket is a tap; the kernel filter should have dropped it). */
  notArp?: boolean;
}

/**
 * Says whether the records a frame was decoded from still hold it. The addon reads every batch into
 * the same Buffer (native/receive.c), so a frame's bytes are valid only during the listener call
 * that got it; the socket ends the batch (`end()`) once its listeners returned.
 */
export class RecordBatch {
  /** Counts the batches that ended. */
  generation = 0;

  end(): void {
    this.generation++;
  }
}

/** Thrown when a frame's bytes are read after its batch ended (the records have been reused). */
export class StaleFrameError extends Error {
  override readonly name = 'StaleFrameError';

  constructor() {
    super('a received frame was read after its batch: the receive records are reused; copy the payload (frame.payload) in the listener');
  }
}

/**
 * One record's frame. Its fields are copied out of the record when it is decoded; the payload is
 * read from the record: `bytes` in place (the ARP decoder, during the listener call), `payload` as
 * a copy that may be kept (the ND decoder). Either read after the batch ended throws
 * StaleFrameError instead of returning another frame's bytes.
 */
class RecordFrame implements ReceivedFrame {
  vlanId: number | undefined = undefined;
  notArp: boolean | undefined = undefined;

  constructor(
    private readonly records: Uint8Array,
    private readonly batch: RecordBatch | undefined,
    private readonly generation: number,
    readonly payloadOffset: number,
    readonly payloadLength: number,
    public sourceMac: Mac,
    public packetType: number,
    public ifindex: number,
    public length: number,
  ) {}

  get bytes(): Uint8Array {
    if (this.batch !== undefined && this.batch.generation !== this.generation) throw new StaleFrameError();
    return this.records;
  }

  get payload(): Uint8Array {
    // A copy (a Buffer's slice() would be a view of the reused records).
    const copy = new Uint8Array(this.payloadLength);
    copy.set(this.bytes.subarray(this.payloadOffset, this.payloadOffset + this.payloadLength));
    return copy;
  }
}

/**
 * Decodes `count` records (pure). With a `batch`, the records are a reused buffer: the frames read
 * their bytes only until `batch.end()` (see RecordFrame); without one, the records belong to the
 * frames for good. The Ethernet source's text is shared with earlier frames from the same MAC
 * (mac.ts receivedMacs).
 */
export function decodeFrameRecords(records: Uint8Array, count: number, batch?: RecordBatch): ReceivedFrame[] {
  if (count < 0 || records.length < count * RECORD_SIZE) {
    throw new RangeError(`record buffer of ${records.length} bytes cannot hold ${count} records`);
  }
  const generation = batch === undefined ? 0 : batch.generation;
  const frames: ReceivedFrame[] = [];
  for (let i = 0; i < count; i++) {
    const base = i * RECORD_SIZE;
    const length = records[base]! | (records[base + 1]! << 8);
    const flags = records[base + 3]!;
    const ifindex = (records[base + 4]! | (records[base + 5]! << 8) | (records[base + 6]! << 16) | (records[base + 7]! << 24)) >>> 0;
    const frame = new RecordFrame(records, batch, generation, base + RECORD_PAYLOAD_OFFSET, Math.min(length, RECORD_PAYLOAD_MAX), receivedMacs.read(records, base + 8), records[base + 2]!, ifindex, length);
    const vid = (records[base + 14]! | (records[base + 15]! << 8)) & VLAN_VID_MASK;
    if ((flags & RECORD_FLAG_VLAN_TAG) !== 0 && vid !== 0) frame.vlanId = vid;
    if ((flags & RECORD_FLAG_NOT_ARP) !== 0) frame.notArp = true;
    frames.push(frame);
  }
  return frames;
}
