#!/usr/bin/env python3
"""Receives IPv6 packets through an AF_PACKET/SOCK_DGRAM socket bound to ETH_P_IPV6 with a given
classic BPF program attached, for the kernel acceptance test of src/core/bpf-ndp.ts:

    ip netns exec NS python3 test/tools/nd-listen.py IFNAME PROGRAM_HEX

PROGRAM_HEX is struct sock_filter[] (8 bytes each, little-endian), as BpfProgram.encode() gives.
The filter is attached before bind(), so no packet is queued unfiltered. Prints "ready", then one
JSON line per packet: {"payload": hex, "pkttype": n, "source": "aa:bb:.."}. Ends on SIGTERM.
This is how the addon (native/packet.c) would open the socket, with ETH_P_IPV6 for ETH_P_ARP.
"""
import ctypes
import json
import signal
import socket
import struct
import sys

ETH_P_IPV6 = 0x86DD
SO_ATTACH_FILTER = 26

ifname, program = sys.argv[1], bytes.fromhex(sys.argv[2])
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
# protocol 0 receives nothing until bind() names one, so the filter is in place first
s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, 0)
code = ctypes.create_string_buffer(program, len(program))
fprog = struct.pack("HL", len(program) // 8, ctypes.addressof(code))  # struct sock_fprog
s.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
s.bind((ifname, ETH_P_IPV6))
print("ready", flush=True)
while True:
    data, address = s.recvfrom(4096)
    source = ":".join(f"{b:02x}" for b in address[4][:6])
    print(json.dumps({"payload": data.hex(), "pkttype": address[2], "source": source}), flush=True)
