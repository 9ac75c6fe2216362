/**
 * The one place that loads the native addon (native/*.c, built by node-gyp into
 * build/Release/dupip_packet.node). Everything else goes through the typed wrappers in
 * packet-socket.ts.
 *
 * The addon is found relative to the package root, which is two directories above this file
 * both when running from source (src/platform/native.ts under vitest) and after the build
 * (dist/platform/native.js). To be robust against a different layout we walk up to the first
 * directory whose package.json is dupip's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque native packet-socket handle. */
export interface NativePacketHandle {
  readonly __dupipNative: 'packet';
}

/** An opaque native link-watch handle. */
export interface NativeWatchHandle {
  readonly __dupipNative: 'watch';
}

/**
 * Receive callback: `records` holds `countOrErrno` fixed-size records (layout in frame-records.ts
 * and native/dupip.h), or is null and `countOrErrno` is a negative errno. The addon passes the same
 * Buffer for every batch (made by start()): it is valid during the callback only.
 */
export type NativeReceiveCallback = (records: Buffer | null, countOrErrno: number) => void;

export interface NativeBinding {
  /**
   * Opens an AF_PACKET/SOCK_DGRAM socket for `protocol` (ETH_P_ARP when omitted: a tap, ETH_P_ALL
   * with PACKET_AUXDATA, whose filter keeps ARP only; or ETH_P_IPV6) bound to `ifindex`. When
   * `initialProgram` is given it is attached before bind(), so no frame is queued unfiltered.
   * Throws an Error with code (errno name), errno (positive number) and syscall; a TypeError for
   * any other protocol.
   */
  open(ifindex: number, initialProgram?: Uint8Array, protocol?: number): NativePacketHandle;
  /** Attaches (atomically replaces) a classic BPF program: N*8 bytes of struct sock_filter, little-endian. */
  setFilter(handle: NativePacketHandle, program: Uint8Array): void;
  /**
   * Sends one payload (ARP or IPv6, the socket's protocol) to `dstMac` (6 bytes). Returns 0, or a
   * positive errno; never throws for send errors.
   */
  send(handle: NativePacketHandle, payload: Uint8Array, dstMac: Uint8Array): number;
  /**
   * Sends payloads[i] to dstMacs[i] (6 bytes each) with one sendmmsg() per 64 frames; results[i]
   * gets 0 or a positive errno (results has at least one element per frame). Never throws for send
   * errors. Optional only so that test stand-ins need not provide it.
   */
  sendBatch?(handle: NativePacketHandle, payloads: Uint8Array[], dstMacs: Uint8Array[], results: Int32Array): void;
  /** Starts reading: one callback per received batch, or (null, -errno) for a receive error. */
  start(handle: NativePacketHandle, callback: NativeReceiveCallback): void;
  /** Idempotent. */
  close(handle: NativePacketHandle): void;
  /** PACKET_STATISTICS since the previous call (the kernel resets them on read). */
  stats(handle: NativePacketHandle): { packets: number; drops: number };
  /** SO_RCVBUF (SO_RCVBUFFORCE when `force`, which needs CAP_NET_ADMIN). Returns 0 or a positive errno. */
  setReceiveBuffer(handle: NativePacketHandle, bytes: number, force: boolean): number;
  /** SO_RCVBUF as the kernel reports it: twice the size set (it counts its own bookkeeping). */
  receiveBuffer(handle: NativePacketHandle): number;
  /**
   * Watches RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV4_ROUTE: callback(0, bytes, lost) after a burst
   * of notifications (`bytes`: the raw datagrams one after the other, parsed by netlink.ts; `lost`:
   * the kernel dropped some, re-read everything), callback(-errno, null, true) on error.
   */
  watchLinks(callback: (status: number, bytes?: Buffer | null, lost?: boolean) => void, coalesceMs?: number): NativeWatchHandle;
  /** Idempotent. */
  stopWatch(handle: NativeWatchHandle): void;
  /** Reads what is queued on the watch now; the callback runs before it returns (nothing queued: no call). */
  flushWatch(handle: NativeWatchHandle): void;
  /** getifaddrs(): every IPv4 address with its interface label, whatever the interface's state. */
  ipv4Addresses(): Array<{ name: string; address: string; prefixLength: number }>;
  /**
   * One rtnetlink RTM_GETADDR dump for `family` (AF_INET 2, AF_INET6 10): the kernel's messages
   * as received, concatenated, NLMSG_DONE included; parsed by src/platform/rtnetlink-address.ts.
   * Optional only so that test stand-ins need not provide it.
   */
  dumpAddresses?(family: number): Buffer;

  readonly RECORD_SIZE: number;
  readonly RECORD_PAYLOAD_OFFSET: number;
  readonly RECORD_PAYLOAD_MAX: number;
  /** linux/if_ether.h protocol numbers open() accepts (optional for test stand-ins). */
  readonly ETH_P_ARP?: number;
  readonly ETH_P_IPV6?: number;
}

export const ADDON_RELATIVE_PATH = join('build', 'Release', 'dupip_packet.node');

export class NativeAddonMissingError extends Error {
  override name = 'NativeAddonMissingError';
  readonly code = 'ERR_DUPIP_NATIVE_MISSING';
}

/** The package root: the nearest ancestor of this module with dupip's package.json. */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'dupip') return dir;
      } catch {
        /* not ours; keep looking */
      }
    }
    const parent = dirname(dir);
    if (parent === dir) return join(from, '..', '..'); // fall back to the documented layout
    dir = parent;
  }
}

let cached: NativeBinding | undefined;

/** Loads the addon once. Throws NativeAddonMissingError when it has not been built. */
export function loadNative(): NativeBinding {
  if (cached) return cached;
  const path = join(packageRoot(), ADDON_RELATIVE_PATH);
  if (!existsSync(path)) {
    throw new NativeAddonMissingError(`dupip native addon not built: run npm ci / node-gyp rebuild (missing ${path})`);
  }
  const require = createRequire(import.meta.url);
  cached = require(path) as NativeBinding;
  return cached;
}
