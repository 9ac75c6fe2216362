/**
 * ARP codec for Ethernet/IPv4 (RFC 826), the only kind dupip speaks.
 * decodeArp validates every field and never throws; observeArp says what a received frame tells
 * the detector; the encoders build the two frames RFC 5227 sends (probe and announcement) and the
 * ordinary request dupip probes delegates held elsewhere with (it cannot abort a takeover).
 */
import { type Ipv4, readIpv4, writeIpv4 } from './ipv4.js';
import { type Mac, BROADCAST_MAC, ZERO_MAC, receivedMacs, writeMac } from './mac.js';
import type { Observation } from './observation.js';

export const ARP_LENGTH = 28;
export const HTYPE_ETHERNET = 1;
export const PTYPE_IPV4 = 0x0800;
export const OP_REQUEST = 1;
export const OP_REPLY = 2;

export type ArpOp = typeof OP_REQUEST | typeof OP_REPLY;

export interface ArpFrame {
  op: ArpOp;
  senderMac: Mac;
  senderIp: Ipv4;
  targetMac: Mac;
  targetIp: Ipv4;
}

/** A received frame: the target MAC is not decoded, because nothing reads it. */
export type ReceivedArp = Omit<ArpFrame, 'targetMac'>;

/** Why a frame was refused; also the `reason` label of dupip_frames_invalid_total. */
export const INVALID_REASONS = [
  'truncated',
  'bad-htype',
  'bad-ptype',
  'bad-lengths',
  'bad-op',
  'bad-sender-mac',
] as const;
export type InvalidReason = (typeof INVALID_REASONS)[number];

export type DecodeResult = { ok: true; frame: ReceivedArp } | { ok: false; reason: InvalidReason };

/**
 * Decodes an ARP payload (the bytes after the Ethernet header). Trailing bytes
 * (Ethernet padding to 60 octets) are ignored.
 */
export function decodeArp(buf: Uint8Array): DecodeResult {
  const r = decodeArpAt(buf, 0, buf.length);
  return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, frame: r };
}

/**
 * decodeArp for a payload of `length` bytes at `offset` in `buf` (a receive record: no view of it
 * is made), answering the frame or why it was refused, without a result wrapper. The sender MAC's
 * text comes from the receive path's cache (mac.ts receivedMacs): the same bytes, the same string.
 */
export function decodeArpAt(buf: Uint8Array, offset: number, length: number): ReceivedArp | InvalidReason {
  if (length < ARP_LENGTH || buf.length < offset + ARP_LENGTH) return 'truncated';
  const o = offset;
  if (((buf[o]! << 8) | buf[o + 1]!) !== HTYPE_ETHERNET) return 'bad-htype';
  if (((buf[o + 2]! << 8) | buf[o + 3]!) !== PTYPE_IPV4) return 'bad-ptype';
  if (buf[o + 4] !== 6 || buf[o + 5] !== 4) return 'bad-lengths';
  const op = (buf[o + 6]! << 8) | buf[o + 7]!;
  if (op !== OP_REQUEST && op !== OP_REPLY) return 'bad-op';
  // A group (multicast/broadcast) or all-zero sender hardware address is never a real station.
  if ((buf[o + 8]! & 1) === 1 || (buf[o + 8]! | buf[o + 9]! | buf[o + 10]! | buf[o + 11]! | buf[o + 12]! | buf[o + 13]!) === 0) return 'bad-sender-mac';
  return { op, senderMac: receivedMacs.read(buf, o + 8), senderIp: readIpv4(buf, o + 14), targetIp: readIpv4(buf, o + 24) };
}

/**
 * Encoded frames are carved out of a shared zeroed block, as Buffer.allocUnsafe does: a typed
 * array with memory of its own costs an allocation outside the JS heap for every probe. Each
 * frame gets its own 28 bytes, never handed out again; a kept frame keeps its block alive.
 */
const BLOCK_BYTES = 8192;
let block = new Uint8Array(BLOCK_BYTES);
let blockUsed = 0;

function frameBytes(): Uint8Array {
  if (blockUsed + ARP_LENGTH > BLOCK_BYTES) {
    block = new Uint8Array(BLOCK_BYTES);
    blockUsed = 0;
  }
  const b = block.subarray(blockUsed, blockUsed + ARP_LENGTH);
  blockUsed += ARP_LENGTH;
  return b;
}

export function encodeArp(frame: ArpFrame): Uint8Array {
  const buf = frameBytes();
  buf[1] = HTYPE_ETHERNET;
  buf[2] = PTYPE_IPV4 >> 8;
  buf[3] = PTYPE_IPV4 & 255;
  buf[4] = 6;
  buf[5] = 4;
  buf[7] = frame.op;
  writeMac(buf, 8, frame.senderMac);
  writeIpv4(buf, 14, frame.senderIp);
  writeMac(buf, 18, frame.targetMac);
  writeIpv4(buf, 24, frame.targetIp);
  return buf;
}

/** RFC 5227 probe: sender IP 0.0.0.0, target MAC zero, target IP the address under test. */
export function probeFrame(ownMac: Mac, address: Ipv4): ArpFrame {
  return { op: OP_REQUEST, senderMac: ownMac, senderIp: 0, targetMac: ZERO_MAC, targetIp: address };
}

/**
 * Ordinary ARP request (RFC 826), as `arping` without -D sends it: sender IP one of our own
 * addresses, target MAC zero. For an address another host holds or may be taking over: an RFC
 * 5227 host probing the address treats only a probe (sender IP 0.0.0.0) or a frame with sender IP
 * = the address as a conflict (RFC 5227 §2.1.1), so this request can never abort its takeover.
 * The holder answers with a unicast reply (sender IP = the address) and, as any RFC 826 host,
 * learns or refreshes its neighbour entry senderIp → ownMac.
 */
export function requestFrame(ownMac: Mac, senderIp: Ipv4, address: Ipv4): ArpFrame {
  return { op: OP_REQUEST, senderMac: ownMac, senderIp, targetMac: ZERO_MAC, targetIp: address };
}

/**
 * Announcement (gratuitous ARP request): sender IP = target IP = the address. The target MAC is
 * ff:ff:ff:ff:ff:ff, as keepalived and arping send it, because some devices ignore a zero one.
 */
export function announcementFrame(ownMac: Mac, address: Ipv4): ArpFrame {
  return { op: OP_REQUEST, senderMac: ownMac, senderIp: address, targetMac: BROADCAST_MAC, targetIp: address };
}

/** An RFC 5227 probe: sender IP 0.0.0.0. */
export function isProbe(frame: ReceivedArp): boolean {
  return frame.op === OP_REQUEST && frame.senderIp === 0;
}

/**
 * What a received frame tells the detector, or null when it tells nothing: a frame with a sender
 * IP claims that address for its sender MAC (request, reply or announcement alike); a probe asks
 * for its target IP; a reply from 0.0.0.0 means nothing.
 */
export function observeArp(frame: ReceivedArp): Observation | null {
  if (frame.senderIp !== 0) return { kind: 'claim', address: frame.senderIp, mac: frame.senderMac, reply: frame.op === OP_REPLY };
  if (isProbe(frame)) return { kind: 'probe', address: frame.targetIp, mac: frame.senderMac };
  return null;
}
