import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { buildArpFilter } from '../../src/core/bpf.js';
import type { NativeBinding, NativePacketHandle, NativeReceiveCallback } from '../../src/platform/native.js';
import {
  PACKET_BROADCAST,
  PACKET_HOST,
  PACKET_OUTGOING,
  PacketSocketError,
  RECORD_SIZE,
  RECORD_PAYLOAD_MAX,
  ETH_P_IPV6,
  classifyErrorCode,
  classifySendErrno,
  decodeFrameRecords,
  errnoError,
  errnoName,
  openArpSocket,
  openPacketSocket,
  RECEIVE_BUFFER_BYTES,
} from '../../src/platform/packet-socket.js';

const E = constants.errno;

describe('classifySendErrno', () => {
  it('0 is sent', () => {
    expect(classifySendErrno(0)).toBe('sent');
  });

  it('a full queue is a dropped frame, not an error', () => {
    expect(classifySendErrno(E.EAGAIN)).toBe('dropped');
    expect(classifySendErrno(E.EWOULDBLOCK)).toBe('dropped');
    expect(classifySendErrno(E.ENOBUFS)).toBe('dropped');
  });

  it('a down or vanished interface is interface-down', () => {
    expect(classifySendErrno(E.ENETDOWN)).toBe('interface-down');
    expect(classifySendErrno(E.ENXIO)).toBe('interface-down');
  });

  it('anything else is an error', () => {
    for (const errno of [E.EPERM, E.EBADF, E.EINVAL, E.EMSGSIZE, E.EFAULT, E.ENODEV]) {
      expect(classifySendErrno(errno)).toBe('error');
    }
  });
});

describe('classifyErrorCode', () => {
  it('maps permission, device and link errors', () => {
    expect(classifyErrorCode('EPERM')).toBe('permission');
    expect(classifyErrorCode('EACCES')).toBe('permission');
    expect(classifyErrorCode('ENODEV')).toBe('no-device');
    expect(classifyErrorCode('ENXIO')).toBe('no-device');
    expect(classifyErrorCode('ENETDOWN')).toBe('interface-down');
  });

  it('treats everything else as fatal', () => {
    for (const code of ['EBADF', 'EINVAL', 'EAFNOSUPPORT', 'ENOMEM', 'EIO', 'E9999', '']) {
      expect(classifyErrorCode(code)).toBe('fatal');
    }
  });
});

describe('errno names and errors', () => {
  it('names errnos, preferring EAGAIN over EWOULDBLOCK', () => {
    expect(errnoName(E.EPERM)).toBe('EPERM');
    expect(errnoName(E.ENETDOWN)).toBe('ENETDOWN');
    expect(errnoName(E.EAGAIN)).toBe('EAGAIN');
    expect(errnoName(9999)).toBe('E9999');
  });

  it('builds a PacketSocketError carrying code, errno, kind and syscall', () => {
    const err = errnoError(E.ENETDOWN, 'recvmmsg', 'ifindex 3');
    expect(err).toBeInstanceOf(PacketSocketError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'ENETDOWN', errno: E.ENETDOWN, kind: 'interface-down', syscall: 'recvmmsg' });
    expect(err.message).toContain('ENETDOWN');
    expect(err.message).toContain('ifindex 3');
    expect(errnoError(E.EPERM, 'socket').kind).toBe('permission');
    expect(errnoError(E.EINVAL, 'setsockopt').kind).toBe('fatal');
  });
});

describe('decodeFrameRecords', () => {
  function record(fields: { length: number; pkttype: number; ifindex: number; mac: number[]; payload: number[] }): Uint8Array {
    const r = new Uint8Array(RECORD_SIZE);
    const v = new DataView(r.buffer);
    v.setUint16(0, fields.length, true);
    v.setUint8(2, fields.pkttype);
    v.setUint32(4, fields.ifindex, true);
    r.set(fields.mac, 8);
    r.set(fields.payload.slice(0, RECORD_PAYLOAD_MAX), 16);
    return r;
  }

  it('decodes each record: length, packet type, ifindex, source MAC, payload', () => {
    const arp = Array.from({ length: 28 }, (_, i) => i + 1);
    const long = Array.from({ length: 200 }, (_, i) => 250 - i);
    const buf = new Uint8Array(3 * RECORD_SIZE);
    buf.set(record({ length: 28, pkttype: PACKET_BROADCAST, ifindex: 7, mac: [0x02, 0, 0, 0, 0xbb, 0x02], payload: arp }), 0);
    buf.set(record({ length: 200, pkttype: PACKET_HOST, ifindex: 0x01020304, mac: [0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa], payload: long }), RECORD_SIZE);
    buf.set(record({ length: 0, pkttype: PACKET_OUTGOING, ifindex: 1, mac: [0, 0, 0, 0, 0, 0], payload: [] }), 2 * RECORD_SIZE);

    const frames = decodeFrameRecords(buf, 3);
    expect(frames).toHaveLength(3);
    expect(frames[0]).toMatchObject({ length: 28, packetType: PACKET_BROADCAST, ifindex: 7, sourceMac: '02:00:00:00:bb:02' });
    expect([...frames[0]!.payload]).toEqual(arp);
    // Longer than the record: cut to 128 bytes, real length kept.
    expect(RECORD_PAYLOAD_MAX).toBe(128);
    expect(frames[1]).toMatchObject({ length: 200, packetType: PACKET_HOST, ifindex: 0x01020304, sourceMac: 'ff:ee:dd:cc:bb:aa' });
    expect([...frames[1]!.payload]).toEqual(long.slice(0, 128));
    expect(frames[2]).toMatchObject({ length: 0, packetType: PACKET_OUTGOING });
    expect(frames[2]!.payload).toHaveLength(0);
  });

  it('honours the byte offset of a view and decodes only `count` records', () => {
    const backing = new Uint8Array(8 + 2 * RECORD_SIZE);
    backing.set(record({ length: 4, pkttype: 1, ifindex: 2, mac: [1, 2, 3, 4, 5, 6], payload: [9, 8, 7, 6] }), 8);
    const view = backing.subarray(8);
    const frames = decodeFrameRecords(view, 1);
    expect(frames).toHaveLength(1);
    expect(frames[0]!.sourceMac).toBe('01:02:03:04:05:06');
    expect([...frames[0]!.payload]).toEqual([9, 8, 7, 6]);
  });

  it('rejects a buffer too short for the count', () => {
    expect(() => decodeFrameRecords(new Uint8Array(RECORD_SIZE), 2)).toThrow(RangeError);
  });
});

/** A scripted stand-in for the addon: records calls, returns what the test says. */
function fakeBinding() {
  const calls: string[] = [];
  const state = {
    sendResult: 0,
    openError: null as (Error & { code?: string; errno?: number; syscall?: string }) | null,
    callback: null as NativeReceiveCallback | null,
    initialProgram: null as Uint8Array | null,
    stats: [] as Array<{ packets: number; drops: number }>,
    /** errno of SO_RCVBUFFORCE (EPERM without CAP_NET_ADMIN); SO_RCVBUF is capped at rmemMax. */
    forceErrno: 0,
    rmemMax: 212_992,
    rcvbuf: 212_992 * 2,
  };
  const handle = {} as NativePacketHandle;
  const binding: NativeBinding = {
    open(ifindex, initialProgram, protocol) {
      calls.push(protocol === undefined ? `open ${ifindex}` : `open ${ifindex} 0x${protocol.toString(16)}`);
      if (state.openError) throw state.openError;
      state.initialProgram = initialProgram ?? null;
      return handle;
    },
    setFilter(_h, program) {
      calls.push(`setFilter ${program.length / 8}`);
    },
    send(_h, payload, mac) {
      calls.push(`send ${payload.length} ${[...mac].map((b) => b.toString(16)).join(':')}`);
      return state.sendResult;
    },
    start(_h, cb) {
      calls.push('start');
      state.callback = cb;
    },
    close() {
      calls.push('close');
    },
    ipv4Addresses() {
      return [];
    },
    stats() {
      return state.stats.shift() ?? { packets: 0, drops: 0 };
    },
    setReceiveBuffer(_h, bytes, force) {
      calls.push(`setReceiveBuffer ${bytes} ${force ? 'force' : 'plain'}`);
      if (force && state.forceErrno) return state.forceErrno;
      state.rcvbuf = 2 * (force ? bytes : Math.min(bytes, state.rmemMax));
      return 0;
    },
    receiveBuffer() {
      return state.rcvbuf;
    },
    watchLinks() {
      throw new Error('not used');
    },
    stopWatch() {},
    flushWatch() {},
    RECORD_SIZE: 144,
    RECORD_PAYLOAD_OFFSET: 16,
    RECORD_PAYLOAD_MAX: 128,
  };
  return { binding, calls, state };
}

function records(entries: Array<{ ifindex: number; len: number; flags?: number; tci?: number }>): Buffer {
  const b = Buffer.alloc(entries.length * RECORD_SIZE);
  entries.forEach((e, i) => {
    b.writeUInt16LE(e.len, i * RECORD_SIZE);
    b[i * RECORD_SIZE + 2] = PACKET_BROADCAST;
    b[i * RECORD_SIZE + 3] = e.flags ?? 0;
    b.writeUInt32LE(e.ifindex, i * RECORD_SIZE + 4);
    b.writeUInt16LE(e.tci ?? 0, i * RECORD_SIZE + 14);
  });
  return b;
}

describe('openArpSocket (with a fake addon)', () => {
  it('asks for a 2 MiB receive buffer, forced when allowed', () => {
    const { binding, calls } = fakeBinding();
    const socket = openArpSocket(3, { binding });
    expect(RECEIVE_BUFFER_BYTES).toBe(2 * 1024 * 1024);
    expect(calls).toContain(`setReceiveBuffer ${RECEIVE_BUFFER_BYTES} force`);
    expect(socket.receiveBuffer).toEqual({ requested: RECEIVE_BUFFER_BYTES, bytes: RECEIVE_BUFFER_BYTES, forced: true });
  });

  it('without CAP_NET_ADMIN falls back to SO_RCVBUF, which the kernel caps at net.core.rmem_max', () => {
    const { binding, calls, state } = fakeBinding();
    state.forceErrno = E.EPERM!;
    const socket = openArpSocket(3, { binding, receiveBufferBytes: 1 << 20 });
    expect(calls.filter((c) => c.startsWith('setReceiveBuffer'))).toEqual([`setReceiveBuffer ${1 << 20} force`, `setReceiveBuffer ${1 << 20} plain`]);
    expect(socket.receiveBuffer).toEqual({ requested: 1 << 20, bytes: 212_992, forced: false });
  });

  it('opens with a drop-everything program attached before bind', () => {
    const { binding, state } = fakeBinding();
    openArpSocket(3, { binding });
    // One instruction: ret #0.
    expect([...state.initialProgram!]).toEqual([0x06, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('turns open errors into PacketSocketErrors with a kind', () => {
    const { binding, state } = fakeBinding();
    state.openError = Object.assign(new Error('socket EPERM: Operation not permitted'), { code: 'EPERM', errno: E.EPERM, syscall: 'socket' });
    let caught: unknown;
    try {
      openArpSocket(3, { binding });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PacketSocketError);
    expect(caught).toMatchObject({ code: 'EPERM', kind: 'permission', syscall: 'socket' });
    state.openError = Object.assign(new Error('bind ENODEV'), { code: 'ENODEV', errno: E.ENODEV, syscall: 'bind' });
    expect(() => openArpSocket(99, { binding })).toThrow(expect.objectContaining({ kind: 'no-device' }));
  });

  it('maps send results to outcomes and throws for anything else', () => {
    const { binding, calls, state } = fakeBinding();
    const socket = openArpSocket(3, { binding });
    expect(socket.send(new Uint8Array(28), 'FF:FF:FF:FF:FF:FF')).toBe('sent');
    expect(calls).toContain('send 28 ff:ff:ff:ff:ff:ff');
    state.sendResult = E.ENOBUFS;
    expect(socket.send(new Uint8Array(28), 'ff:ff:ff:ff:ff:ff')).toBe('dropped');
    state.sendResult = E.ENETDOWN;
    expect(socket.send(new Uint8Array(28), 'ff:ff:ff:ff:ff:ff')).toBe('interface-down');
    state.sendResult = E.EMSGSIZE;
    expect(() => socket.send(new Uint8Array(28), 'ff:ff:ff:ff:ff:ff')).toThrow(expect.objectContaining({ code: 'EMSGSIZE', kind: 'fatal' }));
    expect(() => socket.send(new Uint8Array(28), 'not a mac')).toThrow(TypeError);
  });

  it('passes setFilter the encoded program', () => {
    const { binding, calls } = fakeBinding();
    const socket = openArpSocket(3, { binding });
    const program = buildArpFilter({ ownMac: '02:00:00:00:aa:01', watched: [0xc000020a] });
    socket.setFilter(program);
    expect(calls).toContain(`setFilter ${program.instructions.length}`);
  });

  it('starts reading on the first onFrames, delivers frames of its own device only', () => {
    const { binding, calls, state } = fakeBinding();
    const socket = openArpSocket(3, { binding });
    const got: number[][] = [];
    socket.onFrames((frames) => got.push(frames.map((f) => f.length)));
    socket.onFrames(() => {});
    expect(calls.filter((c) => c === 'start')).toHaveLength(1);
    state.callback!(records([{ ifindex: 3, len: 28 }, { ifindex: 7, len: 29 }, { ifindex: 3, len: 46 }]), 3);
    state.callback!(records([{ ifindex: 7, len: 28 }]), 1); // nothing of ours: no call
    expect(got).toEqual([[28, 46]]);
    expect(socket.stats().otherDevice).toBe(2);
  });

  it('re-checks in userspace: drops what is not ARP, marks frames tagged for another VLAN (not VID 0)', () => {
    const { binding, state } = fakeBinding();
    const socket = openArpSocket(3, { binding });
    const got: Array<Array<number | undefined>> = [];
    socket.onFrames((frames) => got.push(frames.map((f) => f.vlanId)));
    const AUX = 0x02;
    const TAG = 0x01;
    const NOT_ARP = 0x04;
    state.callback!(
      records([
        { ifindex: 3, len: 28, flags: AUX },
        { ifindex: 3, len: 28, flags: AUX | TAG, tci: 200 },
        { ifindex: 3, len: 28, flags: AUX | TAG, tci: 0xe0c8 }, // priority 7, VID 200
        { ifindex: 3, len: 28, flags: AUX | TAG, tci: 0xa000 }, // priority tag: VID 0, the native VLAN
        { ifindex: 3, len: 28, flags: 0, tci: 300 }, // no tag flag: the TCI means nothing
        { ifindex: 3, len: 40, flags: AUX | NOT_ARP },
      ]),
      6,
    );
    expect(got).toEqual([[undefined, 200, 200, undefined, undefined]]);
    expect(socket.stats().otherProtocol).toBe(1);
  });

  it('opens an IPv6 socket for ETH_P_IPV6, an ARP one as before', () => {
    const { binding, calls } = fakeBinding();
    const v6 = openPacketSocket(3, { binding, protocol: 'ipv6' });
    const v4 = openArpSocket(4, { binding });
    expect(calls).toContain(`open 3 0x${ETH_P_IPV6.toString(16)}`);
    expect(calls).toContain('open 4');
    expect([v6.protocol, v4.protocol]).toEqual(['ipv6', 'arp']);
  });

  it('counts frames cut by the record size apart, and still delivers them', () => {
    const { binding, state } = fakeBinding();
    const socket = openPacketSocket(3, { binding, protocol: 'ipv6' });
    const got: number[] = [];
    socket.onFrames((frames) => got.push(...frames.map((f) => f.payload.length)));
    state.callback!(records([{ ifindex: 3, len: 72 }, { ifindex: 3, len: 128 }, { ifindex: 3, len: 129 }, { ifindex: 3, len: 1500 }]), 4);
    expect(got).toEqual([72, 128, 128, 128]);
    expect(socket.stats().cutByRecord).toBe(2);
  });

  it('delivers receive errors to onError with a kind, and throws them when nobody listens', () => {
    const { binding, state } = fakeBinding();
    const socket = openArpSocket(3, { binding });
    socket.onFrames(() => {});
    expect(() => state.callback!(null, -E.ENETDOWN)).toThrow(expect.objectContaining({ code: 'ENETDOWN', kind: 'interface-down' }));
    const errors: string[] = [];
    socket.onError((err) => errors.push(`${err.code}/${err.kind}/${err.syscall}`));
    state.callback!(null, -E.ENETDOWN);
    state.callback!(null, -E.EIO);
    expect(errors).toEqual(['ENETDOWN/interface-down/recvmmsg', 'EIO/fatal/recvmmsg']);
  });

  it('accumulates kernel statistics (they reset on every read), also across close', () => {
    const { binding, state } = fakeBinding();
    const socket = openArpSocket(3, { binding });
    state.stats.push({ packets: 5, drops: 1 }, { packets: 2, drops: 0 }, { packets: 4, drops: 3 });
    expect(socket.stats()).toMatchObject({ packets: 5, drops: 1 });
    expect(socket.stats()).toMatchObject({ packets: 7, drops: 1 });
    socket.close(); // reads the last counters
    expect(socket.stats()).toMatchObject({ packets: 11, drops: 4 });
  });

  it('close is idempotent; a closed socket refuses to send and ignores late callbacks', () => {
    const { binding, calls, state } = fakeBinding();
    const socket = openArpSocket(3, { binding });
    const got: unknown[] = [];
    socket.onFrames((f) => got.push(f));
    socket.close();
    socket.close();
    expect(calls.filter((c) => c === 'close')).toHaveLength(1);
    expect(() => socket.send(new Uint8Array(28), 'ff:ff:ff:ff:ff:ff')).toThrow(expect.objectContaining({ code: 'EBADF' }));
    state.callback!(records([{ ifindex: 3, len: 28 }]), 1);
    expect(got).toEqual([]);
  });
});
