#!/usr/bin/env python3
"""Sends ARP frames, optionally 802.1Q-tagged, on one interface of a lab namespace (for tests).

  ip netns exec NS python3 test/tools/arp-tagged.py --interface eth0 --vlan 200 --op request \
      --sender-ip 192.0.2.10 --target-ip 192.0.2.10 [--sender-mac M] [--dst M] [--count N]

Node has no raw sockets and the addon's SOCK_DGRAM send always writes ethertype ARP, so the tagged
frame is built here whole (dst, src, 0x8100, TCI, 0x0806, ARP) and sent through an AF_PACKET
SOCK_RAW socket. --priority sets the PCP bits of the tag; --vlan 0 sends a priority tag; without --vlan the frame is untagged. The Ethernet
source is the interface's own MAC; --sender-mac sets the ARP sender MAC only.

Prints one JSON line: {"sent": N, "vlan": V}. Refuses to run outside a namespace the lab made
(/run/netns/dupiplab-*, compared by inode) and addresses outside the documentation ranges.
Exit 0 when every frame was sent, 1 otherwise, 2 on a usage error.
"""
import argparse
import json
import os
import socket
import struct
import sys
import time

DOC_RANGES = ('192.0.2.', '198.51.100.', '203.0.113.')


def fail(message):
    sys.stderr.write(f'arp-tagged: {message}\n')
    sys.exit(2)


def assert_lab_namespace():
    mine = os.stat('/proc/self/ns/net').st_ino
    try:
        names = [n for n in os.listdir('/run/netns') if n.startswith('dupiplab-')]
    except FileNotFoundError:
        names = []
    for n in names:
        try:
            if os.stat(f'/run/netns/{n}').st_ino == mine:
                return
        except OSError:
            pass
    fail('not inside a lab namespace (/run/netns/dupiplab-*): refusing to send')


def doc_ip(text, what):
    try:
        packed = socket.inet_aton(text)
    except OSError:
        fail(f'{what} {text!r} is not an IPv4 address')
    if text != '0.0.0.0' and not text.startswith(DOC_RANGES):
        fail(f'{what} {text} is outside the documentation ranges')
    return packed


def mac(text, what):
    parts = text.split(':')
    if len(parts) != 6:
        fail(f'{what} {text!r} is not a MAC address')
    return bytes(int(p, 16) for p in parts)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--interface', required=True)
    p.add_argument('--vlan', type=int, default=None)
    p.add_argument('--priority', type=int, default=0)
    p.add_argument('--op', choices=['request', 'reply'], default='request')
    p.add_argument('--sender-ip', required=True)
    p.add_argument('--target-ip', required=True)
    p.add_argument('--sender-mac')
    p.add_argument('--target-mac', default='00:00:00:00:00:00')
    p.add_argument('--dst', default='ff:ff:ff:ff:ff:ff')
    p.add_argument('--count', type=int, default=1)
    p.add_argument('--gap-ms', type=float, default=20)
    o = p.parse_args()
    if o.vlan is not None and not 0 <= o.vlan <= 4094:
        fail('--vlan must be 0..4094')
    if not 0 <= o.priority <= 7:
        fail('--priority must be 0..7')
    if o.count < 1:
        fail('--count must be positive')
    assert_lab_namespace()
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((o.interface, 0))
    own = s.getsockname()[4]
    sender_mac = mac(o.sender_mac, '--sender-mac') if o.sender_mac else own
    arp = struct.pack('!HHBBH6s4s6s4s', 1, 0x0800, 6, 4, 1 if o.op == 'request' else 2, sender_mac,
                      doc_ip(o.sender_ip, '--sender-ip'), mac(o.target_mac, '--target-mac'),
                      doc_ip(o.target_ip, '--target-ip'))
    tag = b'' if o.vlan is None else struct.pack('!HH', 0x8100, (o.priority << 13) | o.vlan)
    frame = mac(o.dst, '--dst') + own + tag + struct.pack('!H', 0x0806) + arp
    sent = 0
    for i in range(o.count):
        if i:
            time.sleep(o.gap_ms / 1000)
        try:
            if s.send(frame) == len(frame):
                sent += 1
        except OSError as e:
            sys.stderr.write(f'arp-tagged: send: {e}\n')
    print(json.dumps({'sent': sent, 'vlan': o.vlan}))
    sys.exit(0 if sent == o.count else 1)


if __name__ == '__main__':
    main()
