#!/usr/bin/env python3
"""Sends one IPv6 packet as an Ethernet frame, optionally 802.1Q-tagged, for the kernel acceptance
test of src/core/bpf-ndp.ts (lab namespaces only):

    ip netns exec NS python3 test/tools/nd-send.py IFNAME DST_MAC VLAN_ID PAYLOAD_HEX

VLAN_ID 0 sends the frame untagged. The source MAC is the interface's own.
"""
import socket
import struct
import sys

ifname, dst, vlan, payload = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3]), bytes.fromhex(sys.argv[4])
with open(f"/sys/class/net/{ifname}/address") as f:
    src = bytes.fromhex(f.read().strip().replace(":", ""))
tag = struct.pack("!HH", 0x8100, vlan) if vlan else b""
frame = dst + src + tag + struct.pack("!H", 0x86DD) + payload
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
s.bind((ifname, 0))
s.send(frame)
