/**
 * Typed wrapper around the native packet sockets (ARP or IPv6: native/packet-socket.c); the link
 * watcher is src/platform/netlink.ts.
 *
 * Other code depends on the small ArpSocket interface; the policy that the C side leaves out
 * lives here: what an errno means (classifySendErrno, classifyErrorCode), how receive records
 * are decoded (decodeFrameRecords), cumulative statistics.
 *
 * A socket is opened with a drop-everything filter attached before it is bound, so it
 * delivers nothing until setFilter() installs the real program (src/core/bpf.ts).
 */
import type { SendOutcome } from '../core/events.js';
import { dropAllProgram, type BpfProgram } from '../core/bpf.js';
import { parseMac, macBytesShared, type Mac } from '../core/mac.js';
import { ETH_P_IPV6, PROTOCOL_NUMBERS, RECORD_PAYLOAD_MAX, RECORD_PAYLOAD_OFFSET, RECORD_SIZE, type PacketProtocol, type ReceivedFrame, RecordBatch, decodeFrameRecords } from './frame-records.js';
import { loadNative, type NativeBinding, type NativePacketHandle } from './native.js';
import { ERRNO, PacketSocketError, classifySendErrno, errnoError, fromNative } from './socket-error.js';

// ---- packet types (sll_pkttype, linux/if_packet.h) ---------------------------------

export { PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST, PACKET_OUTGOING } from '../core/packet-constants.js';

// ---- receive records and errors (frame-records.ts, socket-error.ts) ---------------------

export * from './frame-records.js';
export * from './socket-error.js';

// ---- the socket ------------------------------------------------------------------------

/** What became of a send (defined with the detector's events, which report it). */
export type { SendOutcome };

/** A packet socket for one protocol on one interface (the name predates IPv6). */
export interface ArpSocket {
  readonly ifindex: number;
  /** What it was opened for: ARP, or IPv6 (ND). */
  readonly protocol: PacketProtocol;
  /** Replaces the kernel filter atomically. Until the first call the socket delivers nothing. */
  setFilter(program: BpfProgram): void;
  /**
   * Sends one payload (from the ARP or IPv6 header on, as opened) to `destination`.
   * EAGAIN/ENOBUFS -> 'dropped'; ENETDOWN/ENXIO -> 'interface-down'; anything else throws a
   * PacketSocketError.
   */
  send(payload: Uint8Array, destination: Mac): SendOutcome;
  /**
   * Sends several payloads at once (one sendmmsg per 64): one result per frame, in order, each
   * what send() would have returned for it, or the PacketSocketError it would have thrown (the
   * other frames still go). A bad MAC throws a TypeError before anything is sent.
   */
  sendBatch?(payloads: readonly Uint8Array[], destinations: readonly Mac[]): (SendOutcome | PacketSocketError)[];
  /**
   * Adds a listener for received batches; the first listener starts reading. Only frames the
   * kernel delivered for this socket's own interface are passed on (see ArpSocketStats.otherDevice).
   * The frames' bytes live in the addon's receive buffer, which the next batch overwrites: read
   * them during the call (`payload` is a copy that may be kept; reading it later throws).
   * An exception thrown by a listener becomes an uncaught exception.
   */
  onFrames(listener: (frames: ReceivedFrame[]) => void): void;
  /**
   * Adds a listener for receive errors (ENETDOWN -> kind 'interface-down'; the socket keeps
   * running and resumes when the interface comes back). A receive error with no listener is
   * thrown (an uncaught exception), like an EventEmitter 'error'.
   */
  onError(listener: (err: PacketSocketError) => void): void;
  /** Cumulative counters (see ArpSocketStats). */
  stats(): ArpSocketStats;
  /** The receive buffer the socket got (see RECEIVE_BUFFER_BYTES). */
  readonly receiveBuffer: ReceiveBuffer;
  /** Idempotent. */
  close(): void;
}

export interface ArpSocketStats {
  /** Kernel: frames that passed the filter, the dropped ones included (PACKET_STATISTICS). */
  packets: number;
  /** Kernel: frames dropped because the receive queue was full. */
  drops: number;
  /** Frames received for another device (e.g. a VLAN on top of this interface) and discarded. */
  otherDevice: number;
  /** Frames whose ethertype is not the socket's protocol, discarded (the kernel filter lets none through). */
  otherProtocol: number;
  /**
   * Frames longer than a receive record (RECORD_PAYLOAD_MAX) that were passed on cut: the
   * addon's limit, not the sender's doing (a decoder's own `truncated` counts short frames).
   */
  cutByRecord: number;
}

/** The same socket, named for what it is since it also carries IPv6. */
export type PacketSocket = ArpSocket;
export type PacketSocketStats = ArpSocketStats;

/**
 * The receive buffer asked for: room for a burst while the event loop is busy elsewhere. The
 * kernel charges each queued frame its buffer's true size (~0.7–4 KiB for a 60-byte ARP frame,
 * depending on the driver), so 2 MiB (4 MiB of accounting) holds ~1,000–6,000 frames, against
 * ~150–600 with the usual default of 208 KiB. SO_RCVBUFFORCE is used when the process may
 * (CAP_NET_ADMIN: root); otherwise SO_RCVBUF, which the kernel caps at net.core.rmem_max.
 * Frames that do not fit are dropped by the kernel and counted (stats().drops).
 */
export const RECEIVE_BUFFER_BYTES = 2 * 1024 * 1024;

export interface ReceiveBuffer {
  /** The size asked for. */
  requested: number;
  /** The size the kernel granted (half of what SO_RCVBUF reads back: the rest is its bookkeeping). */
  bytes: number;
  /** Set with SO_RCVBUFFORCE, beyond net.core.rmem_max. */
  forced: boolean;
}

export interface OpenArpSocketOptions {
  /** ETH_P_ARP (default) or ETH_P_IPV6. */
  protocol?: PacketProtocol;
  /** Attached before bind (default: drop everything until setFilter). */
  initialFilter?: BpfProgram;
  /** Receive buffer to ask for (default RECEIVE_BUFFER_BYTES). */
  receiveBufferBytes?: number;
  /** For tests: the binding to use instead of the real addon. */
  binding?: NativeBinding;
}

class NativeArpSocket implements ArpSocket {
  private closed = false;
  private reading = false;
  private readonly frameListeners: Array<(frames: ReceivedFrame[]) => void> = [];
  private readonly errorListeners: Array<(err: PacketSocketError) => void> = [];
  private readonly totals: ArpSocketStats = { packets: 0, drops: 0, otherDevice: 0, otherProtocol: 0, cutByRecord: 0 };
  /** The addon reuses one records buffer for every batch: a batch ends when its listeners returned. */
  private readonly batch = new RecordBatch();
  /** sendBatch's per-frame errnos, reused. */
  private results = new Int32Array(64);
  private lastDestination: string | null = null;
  private lastDestinationBytes: Uint8Array = new Uint8Array(6);

  constructor(
    private readonly native: NativeBinding,
    private readonly handle: NativePacketHandle,
    readonly ifindex: number,
    readonly receiveBuffer: ReceiveBuffer,
    readonly protocol: PacketProtocol = 'arp',
  ) {}

  setFilter(program: BpfProgram): void {
    this.ensureOpen('setFilter');
    try {
      this.native.setFilter(this.handle, program.encode());
    } catch (err) {
      throw fromNative(err, `cannot attach the ${this.label} filter on ifindex ${this.ifindex}`);
    }
  }

  send(payload: Uint8Array, destination: Mac): SendOutcome {
    const mac = this.destinationBytes(destination);
    this.ensureOpen('send');
    const errno = this.native.send(this.handle, payload, mac); // read during the call only
    const outcome = classifySendErrno(errno);
    if (outcome === 'error') throw errnoError(errno, 'sendto', `ifindex ${this.ifindex}`);
    return outcome;
  }

  sendBatch(payloads: readonly Uint8Array[], destinations: readonly Mac[]): (SendOutcome | PacketSocketError)[] {
    if (payloads.length !== destinations.length) throw new TypeError('sendBatch: one destination per payload');
    const macs = destinations.map((d) => this.destinationBytes(d)); // read during the call only
    this.ensureOpen('send');
    if (!this.native.sendBatch) return payloads.map((p, i) => this.outcomeOf(this.native.send(this.handle, p, macs[i]!), 'sendto'));
    if (this.results.length < payloads.length) this.results = new Int32Array(Math.max(payloads.length, 2 * this.results.length));
    this.native.sendBatch(this.handle, payloads as Uint8Array[], macs, this.results);
    return payloads.map((_, i) => this.outcomeOf(this.results[i]!, 'sendmmsg'));
  }

  /** The bytes of a destination MAC, shared; the last one's kept (nearly every frame goes to broadcast). */
  private destinationBytes(destination: Mac): Uint8Array {
    if (destination === this.lastDestination) return this.lastDestinationBytes;
    const mac = parseMac(destination);
    if (mac === null) throw new TypeError(`not a MAC address: ${destination}`);
    this.lastDestinationBytes = macBytesShared(mac);
    this.lastDestination = destination;
    return this.lastDestinationBytes;
  }

  private outcomeOf(errno: number, syscall: string): SendOutcome | PacketSocketError {
    const outcome = classifySendErrno(errno);
    return outcome === 'error' ? errnoError(errno, syscall, `ifindex ${this.ifindex}`) : outcome;
  }

  onFrames(listener: (frames: ReceivedFrame[]) => void): void {
    this.ensureOpen('onFrames');
    this.frameListeners.push(listener);
    if (this.reading) return;
    this.native.start(this.handle, (records, countOrErrno) => this.receive(records, countOrErrno));
    this.reading = true;
  }

  onError(listener: (err: PacketSocketError) => void): void {
    this.errorListeners.push(listener);
  }

  stats(): ArpSocketStats {
    if (!this.closed) this.collectStats();
    return { ...this.totals };
  }

  close(): void {
    if (this.closed) return;
    try {
      this.collectStats();
    } catch {
      /* keep the totals we have */
    }
    this.closed = true;
    this.reading = false;
    this.native.close(this.handle);
  }

  private collectStats(): void {
    let delta: { packets: number; drops: number };
    try {
      delta = this.native.stats(this.handle);
    } catch (err) {
      throw fromNative(err, `cannot read statistics on ifindex ${this.ifindex}`);
    }
    this.totals.packets += delta.packets;
    this.totals.drops += delta.drops;
  }

  private receive(records: Buffer | null, countOrErrno: number): void {
    if (this.closed) return;
    if (records === null) {
      const err = errnoError(-countOrErrno, 'recvmmsg', `ifindex ${this.ifindex}`);
      if (this.errorListeners.length === 0) throw err;
      for (const listener of this.errorListeners) listener(err);
      return;
    }
    // One pass over the batch. A socket bound to a VLAN trunk parent (or a bond slave...) also gets
    // the frames the kernel delivers for the devices stacked on it, with sll_ifindex = that device:
    // not ours. The socket is a tap (ETH_P_ALL), so the ethertype the filter tested is re-checked
    // (RECORD_FLAG_NOT_ARP: not the socket's protocol). VLAN-tagged frames are passed on with
    // vlanId set; the caller drops and counts them (ignored, "vlan-tagged").
    // The decoded array is kept and compacted in place (no second array per batch).
    const frames = decodeFrameRecords(records, countOrErrno, this.batch);
    try {
      this.deliver(frames);
    } finally {
      this.batch.end();
    }
  }

  private deliver(frames: ReceivedFrame[]): void {
    let kept = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (f.ifindex !== this.ifindex) this.totals.otherDevice++;
      else if (f.notArp === true) this.totals.otherProtocol++;
      else {
        if (f.length > RECORD_PAYLOAD_MAX) this.totals.cutByRecord++;
        frames[kept++] = f;
      }
    }
    if (kept === 0) return;
    if (kept !== frames.length) frames.length = kept; // a runtime call: only when something was left out
    for (const listener of this.frameListeners) listener(frames);
  }

  private ensureOpen(what: string): void {
    if (this.closed) throw new PacketSocketError(`${what}: the ${this.label} socket on ifindex ${this.ifindex} is closed`, 'EBADF', ERRNO.EBADF ?? 9, 'fatal');
  }

  private get label(): string {
    return this.protocol === 'arp' ? 'ARP' : 'IPv6';
  }
}

/**
 * Opens a packet socket on one interface for ARP (the default) or IPv6. Throws
 * PacketSocketError: kind 'permission' without CAP_NET_RAW, 'no-device' when there is no such
 * interface.
 */
export function openPacketSocket(ifindex: number, options: OpenArpSocketOptions = {}): PacketSocket {
  const protocol = options.protocol ?? 'arp';
  const native = options.binding ?? loadNative();
  checkLayout(native);
  const initial = (options.initialFilter ?? dropAllProgram()).encode();
  const label = protocol === 'arp' ? 'an ARP' : 'an IPv6';
  let handle: NativePacketHandle;
  try {
    // ARP keeps the two-argument call the addon has always had; IPv6 names its protocol.
    handle = protocol === 'arp' ? native.open(ifindex, initial) : native.open(ifindex, initial, PROTOCOL_NUMBERS[protocol]);
  } catch (err) {
    throw fromNative(err, `cannot open ${label} socket on ifindex ${ifindex}`);
  }
  let receiveBuffer: ReceiveBuffer;
  try {
    receiveBuffer = sizeReceiveBuffer(native, handle, options.receiveBufferBytes ?? RECEIVE_BUFFER_BYTES);
  } catch (err) {
    native.close(handle);
    throw fromNative(err, `cannot read the receive buffer size on ifindex ${ifindex}`);
  }
  return new NativeArpSocket(native, handle, ifindex, receiveBuffer, protocol);
}

/** Opens an ARP socket on one interface (openPacketSocket with protocol 'arp'). */
export function openArpSocket(ifindex: number, options: OpenArpSocketOptions = {}): ArpSocket {
  return openPacketSocket(ifindex, { ...options, protocol: 'arp' });
}

/** SO_RCVBUFFORCE if allowed, else SO_RCVBUF (capped by net.core.rmem_max); never fails the open. */
function sizeReceiveBuffer(native: NativeBinding, handle: NativePacketHandle, requested: number): ReceiveBuffer {
  const forced = native.setReceiveBuffer(handle, requested, true) === 0;
  if (!forced) native.setReceiveBuffer(handle, requested, false); // an error leaves the kernel's default
  return { requested, bytes: Math.floor(native.receiveBuffer(handle) / 2), forced };
}

/** The C and TypeScript record layouts must agree; a stale build would garble every frame. */
function checkLayout(native: NativeBinding): void {
  if (
    native.RECORD_SIZE !== RECORD_SIZE ||
    native.RECORD_PAYLOAD_OFFSET !== RECORD_PAYLOAD_OFFSET ||
    native.RECORD_PAYLOAD_MAX !== RECORD_PAYLOAD_MAX ||
    (native.ETH_P_IPV6 !== undefined && native.ETH_P_IPV6 !== ETH_P_IPV6)
  ) {
    throw new Error('dupip native addon does not match this version (record layout differs): rebuild it (node-gyp rebuild)');
  }
}
