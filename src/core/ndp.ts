/**
 * Neighbor Discovery codec (RFC 4861 §4.3/§4.4, nonce option of RFC 7527) for Ethernet.
 *
 * The bytes are what an AF_PACKET/SOCK_DGRAM socket bound to ETH_P_IPV6 delivers and sends: the
 * IPv6 header on, the Ethernet header gone. decodeNd validates every field and never throws; it
 * returns a typed Neighbor Solicitation or Advertisement, or the reason it refused the frame.
 * The encoders build the three frames dupip sends, with hop limit 255 and the ICMPv6 checksum
 * over the pseudo-header, and return the Ethernet destination to send them to.
 *
 * Extension headers: Linux accepts ND messages behind hop-by-hop and destination options
 * headers, so a claim hidden behind them is still believed by the kernels on the link. decodeNd
 * therefore walks up to MAX_EXTENSION_HEADERS of them (bounds-checked); a fragment header is
 * refused ('fragmented', RFC 6980 forbids fragmented ND), any other next header too.
 * Bytes after the IPv6 payload length are ignored (like Ethernet padding after ARP).
 */
import {
  type Ipv6,
  ALL_NODES,
  ALL_NODES_MAC,
  UNSPECIFIED,
  isMulticast,
  isSolicitedNode,
  multicastMac,
  readIpv6,
  solicitedNodeGroup,
  writeIpv6,
} from './ipv6.js';
import { type Mac, readMac, writeMac } from './mac.js';

export const IPV6_HEADER_LENGTH = 40;
export const NEXT_HEADER_ICMPV6 = 58;
export const NEXT_HEADER_HOP_BY_HOP = 0;
export const NEXT_HEADER_DESTINATION_OPTIONS = 60;
export const NEXT_HEADER_FRAGMENT = 44;
/** Hop-by-hop/destination options headers walked before giving up. */
export const MAX_EXTENSION_HEADERS = 4;
/** RFC 4861 §7.1: a router would have decremented it, so only 255 proves the sender is on-link. */
export const ND_HOP_LIMIT = 255;
export const TYPE_NEIGHBOR_SOLICITATION = 135;
export const TYPE_NEIGHBOR_ADVERTISEMENT = 136;
/** Type, code, checksum, reserved/flags and target: the fixed part of an NS or NA. */
export const ND_MESSAGE_LENGTH = 24;
export const OPTION_SOURCE_LINK_LAYER = 1;
export const OPTION_TARGET_LINK_LAYER = 2;
export const OPTION_NONCE = 14;
/** The nonce dupip sends: 6 bytes, an option of length 1 (what Linux sends too). */
export const NONCE_LENGTH = 6;

const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

interface NdCommon {
  /** IPv6 source (:: for a DAD probe). */
  source: Ipv6;
  /** IPv6 destination. */
  destination: Ipv6;
  target: Ipv6;
}

export interface NeighborSolicitation extends NdCommon {
  type: typeof TYPE_NEIGHBOR_SOLICITATION;
  /** Source link-layer address option (never present when source is ::). */
  sourceLinkLayer: Mac | null;
  /** Nonce option content as lower-case hex (RFC 7527), null when absent. */
  nonce: string | null;
}

export interface NeighborAdvertisement extends NdCommon {
  type: typeof TYPE_NEIGHBOR_ADVERTISEMENT;
  router: boolean;
  solicited: boolean;
  override: boolean;
  /** Target link-layer address option; may be absent in a solicited unicast NA. */
  targetLinkLayer: Mac | null;
}

export type NdFrame = NeighborSolicitation | NeighborAdvertisement;

/** Why a frame was refused; the `reason` label of an invalid-frame counter. */
export const ND_INVALID_REASONS = [
  'truncated',
  'bad-version',
  'bad-next-header',
  'fragmented',
  'too-many-extension-headers',
  'bad-hop-limit',
  'bad-type',
  'bad-code',
  'bad-length',
  'bad-checksum',
  'bad-option-length',
  'bad-link-layer-option',
  'bad-source',
  'multicast-target',
  'bad-dad-destination',
  'dad-with-source-link-layer',
  'solicited-to-multicast',
] as const;
export type NdInvalidReason = (typeof ND_INVALID_REASONS)[number];

export type NdDecodeResult = { ok: true; frame: NdFrame } | { ok: false; reason: NdInvalidReason };

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const fail = (reason: NdInvalidReason): NdDecodeResult => ({ ok: false, reason });

/**
 * The ones' complement sum of the ICMPv6 pseudo-header (RFC 8200 §8.1) and `length` bytes of
 * the message at `offset`, folded to 16 bits. A message with a correct checksum sums to 0xffff.
 */
export function icmpv6Sum(buf: Uint8Array, source: number, destination: number, offset: number, length: number): number {
  let sum = NEXT_HEADER_ICMPV6 + (length >>> 16) + (length & 0xffff);
  for (let i = 0; i < 16; i += 2) {
    sum += (buf[source + i]! << 8) | buf[source + i + 1]!;
    sum += (buf[destination + i]! << 8) | buf[destination + i + 1]!;
  }
  const end = offset + length;
  let i = offset;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** A usable station address in a link-layer option: not a group address, not all zero. */
function stationMac(buf: Uint8Array, o: number): boolean {
  return (buf[o]! & 1) === 0 && (buf[o]! | buf[o + 1]! | buf[o + 2]! | buf[o + 3]! | buf[o + 4]! | buf[o + 5]!) !== 0;
}

/** Decodes an IPv6 packet carrying an NS or NA. Never throws. */
export function decodeNd(buf: Uint8Array): NdDecodeResult {
  if (buf.length < IPV6_HEADER_LENGTH) return fail('truncated');
  if (buf[0]! >> 4 !== 6) return fail('bad-version');
  const end = IPV6_HEADER_LENGTH + ((buf[4]! << 8) | buf[5]!);
  if (buf.length < end) return fail('truncated');
  if (buf[7] !== ND_HOP_LIMIT) return fail('bad-hop-limit');

  let next = buf[6]!;
  let at = IPV6_HEADER_LENGTH;
  for (let walked = 0; next !== NEXT_HEADER_ICMPV6; walked++) {
    if (next === NEXT_HEADER_FRAGMENT) return fail('fragmented');
    const isOptions = next === NEXT_HEADER_DESTINATION_OPTIONS || (next === NEXT_HEADER_HOP_BY_HOP && walked === 0);
    if (!isOptions) return fail('bad-next-header');
    if (walked === MAX_EXTENSION_HEADERS) return fail('too-many-extension-headers');
    if (at + 8 > end) return fail('truncated');
    next = buf[at]!;
    at += (buf[at + 1]! + 1) * 8;
    if (at > end) return fail('truncated');
  }

  const length = end - at;
  if (length < ND_MESSAGE_LENGTH) return fail('bad-length');
  const type = buf[at]!;
  if (type !== TYPE_NEIGHBOR_SOLICITATION && type !== TYPE_NEIGHBOR_ADVERTISEMENT) return fail('bad-type');
  if (buf[at + 1] !== 0) return fail('bad-code');
  if (icmpv6Sum(buf, 8, 24, at, length) !== 0xffff) return fail('bad-checksum');

  let sourceLinkLayer: Mac | null = null;
  let targetLinkLayer: Mac | null = null;
  let nonce: string | null = null;
  for (let o = at + ND_MESSAGE_LENGTH; o < end; ) {
    if (o + 2 > end) return fail('bad-option-length');
    const optionLength = buf[o + 1]! * 8;
    if (optionLength === 0 || o + optionLength > end) return fail('bad-option-length');
    const optionType = buf[o]!;
    if (optionType === OPTION_SOURCE_LINK_LAYER || optionType === OPTION_TARGET_LINK_LAYER) {
      if (optionLength !== 8 || !stationMac(buf, o + 2)) return fail('bad-link-layer-option');
      // RFC 4861 §4.6: the first occurrence counts; later ones are ignored.
      if (optionType === OPTION_SOURCE_LINK_LAYER) sourceLinkLayer ??= readMac(buf, o + 2);
      else targetLinkLayer ??= readMac(buf, o + 2);
    } else if (optionType === OPTION_NONCE && nonce === null) {
      let hex = '';
      for (let i = o + 2; i < o + optionLength; i++) hex += HEX[buf[i]!];
      nonce = hex;
    }
    o += optionLength;
  }

  const source = readIpv6(buf, 8);
  const destination = readIpv6(buf, 24);
  const target = readIpv6(buf, at + 8);
  if (isMulticast(source)) return fail('bad-source');
  if (isMulticast(target)) return fail('multicast-target');
  if (type === TYPE_NEIGHBOR_SOLICITATION) {
    if (source === UNSPECIFIED) {
      if (!isSolicitedNode(destination)) return fail('bad-dad-destination');
      if (sourceLinkLayer !== null) return fail('dad-with-source-link-layer');
    }
    return { ok: true, frame: { type, source, destination, target, sourceLinkLayer, nonce } };
  }
  const flags = buf[at + 4]!;
  const solicited = (flags & FLAG_SOLICITED) !== 0;
  if (solicited && isMulticast(destination)) return fail('solicited-to-multicast');
  return {
    ok: true,
    frame: {
      type,
      source,
      destination,
      target,
      router: (flags & FLAG_ROUTER) !== 0,
      solicited,
      override: (flags & FLAG_OVERRIDE) !== 0,
      targetLinkLayer,
    },
  };
}

/**
 * Encodes an NS or NA without extension headers: hop limit 255, options in the order SLLA, nonce
 * (NS) or TLLA (NA), checksum filled in. Throws RangeError for a nonce that is not 8k+6 bytes.
 */
export function encodeNd(frame: NdFrame): Uint8Array {
  let options = 0;
  let nonceBytes = 0;
  if (frame.type === TYPE_NEIGHBOR_SOLICITATION) {
    if (frame.sourceLinkLayer !== null) options += 8;
    if (frame.nonce !== null) {
      nonceBytes = frame.nonce.length / 2;
      if (!/^[0-9a-f]*$/.test(frame.nonce) || frame.nonce.length % 2 !== 0 || nonceBytes < NONCE_LENGTH || (nonceBytes + 2) % 8 !== 0) {
        throw new RangeError(`ndp: a nonce is 6 + 8k bytes of lower-case hex, got "${frame.nonce}"`);
      }
      options += nonceBytes + 2;
    }
  } else if (frame.targetLinkLayer !== null) options += 8;

  const length = ND_MESSAGE_LENGTH + options;
  const buf = new Uint8Array(IPV6_HEADER_LENGTH + length);
  buf[0] = 0x60;
  buf[4] = length >> 8;
  buf[5] = length & 0xff;
  buf[6] = NEXT_HEADER_ICMPV6;
  buf[7] = ND_HOP_LIMIT;
  writeIpv6(buf, 8, frame.source);
  writeIpv6(buf, 24, frame.destination);
  const m = IPV6_HEADER_LENGTH;
  buf[m] = frame.type;
  writeIpv6(buf, m + 8, frame.target);
  let o = m + ND_MESSAGE_LENGTH;
  if (frame.type === TYPE_NEIGHBOR_SOLICITATION) {
    if (frame.sourceLinkLayer !== null) {
      buf[o] = OPTION_SOURCE_LINK_LAYER;
      buf[o + 1] = 1;
      writeMac(buf, o + 2, frame.sourceLinkLayer);
      o += 8;
    }
    if (frame.nonce !== null) {
      buf[o] = OPTION_NONCE;
      buf[o + 1] = (nonceBytes + 2) / 8;
      for (let i = 0; i < nonceBytes; i++) buf[o + 2 + i] = parseInt(frame.nonce.slice(i * 2, i * 2 + 2), 16);
    }
  } else {
    buf[m + 4] = (frame.router ? FLAG_ROUTER : 0) | (frame.solicited ? FLAG_SOLICITED : 0) | (frame.override ? FLAG_OVERRIDE : 0);
    if (frame.targetLinkLayer !== null) {
      buf[o] = OPTION_TARGET_LINK_LAYER;
      buf[o + 1] = 1;
      writeMac(buf, o + 2, frame.targetLinkLayer);
    }
  }
  const checksum = 0xffff - icmpv6Sum(buf, 8, 24, m, length);
  buf[m + 2] = checksum >> 8;
  buf[m + 3] = checksum & 0xff;
  return buf;
}

/** A frame ready for the wire: the IPv6 packet and the Ethernet destination to send it to. */
export interface NdTransmission {
  frame: NdFrame;
  payload: Uint8Array;
  destinationMac: Mac;
}

function multicastTransmission(frame: NdFrame): NdTransmission {
  return { frame, payload: encodeNd(frame), destinationMac: multicastMac(frame.destination) };
}

/**
 * Duplicate Address Detection probe (RFC 4862 §5.4.2, RFC 7527): from ::, to the target's
 * solicited-node group, no source link-layer option, our nonce. ONLY for an address this host
 * holds: a peer taking the address over would mark it dadfailed (field notes §7).
 */
export function dadProbe(target: Ipv6, nonce: string): NdTransmission {
  if (nonce.length !== NONCE_LENGTH * 2) throw new RangeError(`ndp: a probe nonce is ${NONCE_LENGTH} bytes`);
  return multicastTransmission({
    type: TYPE_NEIGHBOR_SOLICITATION,
    source: UNSPECIFIED,
    destination: solicitedNodeGroup(target),
    target,
    sourceLinkLayer: null,
    nonce,
  });
}

/**
 * Ordinary address resolution (RFC 4861 §7.2.2): from our link-local address with our source
 * link-layer option, to the target's solicited-node group. Safe for addresses we do not hold.
 */
export function solicitation(ownLinkLocal: Ipv6, ownMac: Mac, target: Ipv6): NdTransmission {
  return multicastTransmission({
    type: TYPE_NEIGHBOR_SOLICITATION,
    source: ownLinkLocal,
    destination: solicitedNodeGroup(target),
    target,
    sourceLinkLayer: ownMac,
    nonce: null,
  });
}

/**
 * Unsolicited advertisement (RFC 4861 §7.2.6) for an address this host holds: from the address
 * itself to ff02::1, S=0, O=1, our target link-layer option. The announcement and the defence.
 */
export function unsolicitedAdvertisement(ownMac: Mac, target: Ipv6): NdTransmission {
  const t = multicastTransmission({
    type: TYPE_NEIGHBOR_ADVERTISEMENT,
    source: target,
    destination: ALL_NODES,
    target,
    router: false,
    solicited: false,
    override: true,
    targetLinkLayer: ownMac,
  });
  return { ...t, destinationMac: ALL_NODES_MAC };
}
