#!/usr/bin/env python3
"""An RFC 5227 address conflict detection client's probe window, as systemd-networkd, NetworkManager
and n-acd run one before they take an address over (lab namespaces only):

    ip netns exec NS python3 test/tools/acd-probe.py IFNAME ADDRESS PROBES GAP_MS

Sends PROBES probes (ARP request, sender IP 0.0.0.0, target IP ADDRESS) GAP_MS apart and listens
from the first probe until GAP_MS after the last (RFC 5227 waits PROBE_MIN..PROBE_MAX = 1-2 s between
probes and ANNOUNCE_WAIT = 2 s after the last; the tests use shorter gaps to stay quick). As RFC
5227 §2.1.1 says, the window aborts on any ARP frame from another MAC whose sender IP is ADDRESS (a
claim), or on another host's probe for ADDRESS (sender IP 0.0.0.0, target IP ADDRESS). Prints one
JSON line {"listening": true} once its socket is open, then one with the outcome: {"result":
"succeeded"} or {"result": "aborted", "reason": ..., "mac": ..., "op": ...}.
"""
import json
import select
import socket
import struct
import sys
import time

ETH_P_ARP = 0x0806
PACKET_OUTGOING = 4

ifname, address, probes, gap = sys.argv[1], socket.inet_aton(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) / 1000
with open(f"/sys/class/net/{ifname}/address") as f:
    own = bytes.fromhex(f.read().strip().replace(":", ""))

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
s.bind((ifname, ETH_P_ARP))
probe = (b"\xff" * 6 + own + struct.pack("!H", ETH_P_ARP)
         + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + own + b"\0" * 4 + b"\0" * 6 + address)
mac = lambda b: ":".join(f"{x:02x}" for x in b)


def verdict(frame):
    arp = frame[14:42]
    if len(arp) < 28 or frame[12:14] != b"\x08\x06":
        return None
    op, smac, sip, tip = struct.unpack("!H", arp[6:8])[0], arp[8:14], arp[14:18], arp[24:28]
    if smac == own:
        return None
    if sip == address:
        return {"result": "aborted", "reason": "claim", "mac": mac(smac), "op": op}
    if op == 1 and sip == b"\0\0\0\0" and tip == address:
        return {"result": "aborted", "reason": "probe", "mac": mac(smac), "op": op}
    return None


print(json.dumps({"listening": True}), flush=True)
start = time.monotonic()
sends = [start + i * gap for i in range(probes)]
end = sends[-1] + gap
while True:
    now = time.monotonic()
    while sends and sends[0] <= now:
        s.send(probe)
        sends.pop(0)
    if now >= end:
        break
    until = min([end] + sends[:1])
    r, _, _ = select.select([s], [], [], max(0, until - now))
    if r:
        data, addr = s.recvfrom(2048)
        if addr[2] == PACKET_OUTGOING:
            continue
        v = verdict(data)
        if v:
            print(json.dumps(v), flush=True)
            sys.exit(0)
print(json.dumps({"result": "succeeded"}), flush=True)
