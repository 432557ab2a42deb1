#!/usr/bin/python3
"""Seed inputs for tests/fuzz/fuzz_input.c, written to tests/fuzz/corpus/.

Each input is a sequence of records: one flags byte (bit0: device p1,
bit1: use the device's own MAC as destination, bit2: deliver as a chain),
a 2-byte big-endian frame length, then the frame. The addresses are the
fuzz target's fixed configuration (see the comment at the top of
fuzz_input.c)."""
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Ether, ICMPv6EchoRequest,
                       ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6,
                       IPv6ExtHdrFragment, Raw, fragment)

P0 = "02:00:00:00:00:01"
P1 = "02:00:00:00:00:11"
PEER = "02:00:00:00:09:09"


def rec(frame, dev=0, chain=False):
    raw = bytes(frame)
    flags = dev | (4 if chain else 0)
    return struct.pack("!BH", flags, len(raw)) + raw


def e0(pkt):
    return Ether(dst=P0, src=PEER) / pkt


def e1(pkt):
    return Ether(dst=P1, src=PEER) / pkt


def seeds():
    pay = bytes(range(256)) * 6
    udp4 = IP(src="10.1.0.2", dst="10.3.0.5", ttl=64) / UDP(sport=1000, dport=2000) / pay[:100]
    yield "ip4_udp_fwd", rec(e0(udp4))
    yield "ip4_udp_fwd_chain", rec(e0(udp4), chain=True)
    yield "ip4_tcp_frag", rec(e0(IP(src="10.1.0.2", dst="10.4.0.5", flags=0) /
                               TCP(sport=1, dport=2, flags="PA") / pay[:1410]))
    yield "ip4_df_too_big", rec(e0(IP(src="10.1.0.2", dst="10.3.0.5", flags="DF") /
                                 UDP() / pay[:1450]))
    yield "ip4_ttl1", rec(e0(IP(src="10.1.0.2", dst="10.3.0.5", ttl=1) / UDP() / (b"x" * 20)))
    yield "ip4_unreachable_route", rec(e0(IP(src="10.1.0.2", dst="10.6.0.1") / UDP() / b"y"))
    yield "ip4_no_route", rec(e0(IP(src="10.1.0.2", dst="192.0.2.1") / TCP()))
    yield "icmp4_echo", rec(e0(IP(src="10.1.0.2", dst="10.1.0.1") / ICMP(id=1, seq=1) / pay[:56]))
    frags = fragment(IP(src="10.1.0.2", dst="10.1.0.1", id=77) / ICMP(id=2) / pay[:1200], fragsize=512)
    yield "icmp4_echo_fragments", b"".join(rec(e0(f)) for f in frags)
    yield "ip4_options_ttl1", rec(e0(IP(src="10.1.0.2", dst="10.3.0.5", ttl=1,
                                        options=b"\x94\x04\x00\x00\x07\x07\x04\x00\x00\x00\x00\x00") /
                                     UDP() / (b"z" * 30)))
    yield "arp_request", rec(Ether(dst="ff:ff:ff:ff:ff:ff", src=PEER) /
                             ARP(op=1, hwsrc=PEER, psrc="10.1.0.9", pdst="10.1.0.1"))
    # a packet to an unresolved neighbor (queued, ARP sent), then its reply
    yield "neigh_resolve", (rec(e0(IP(src="10.1.0.2", dst="10.2.0.77") / UDP() / b"q")) +
                            rec(e1(ARP(op=2, hwsrc="02:00:00:00:07:07", psrc="10.2.0.77",
                                       hwdst=P1, pdst="10.2.0.1")), dev=1))
    udp6 = IPv6(src="2001:db8:1::2", dst="2001:db8:3::5", hlim=64) / UDP() / pay[:200]
    yield "ip6_udp_fwd", rec(e0(udp6))
    yield "ip6_too_big", rec(e0(IPv6(src="2001:db8:1::2", dst="2001:db8:3::5") / UDP() / pay[:1400]))
    yield "ip6_hlim1", rec(e0(IPv6(src="2001:db8:1::2", dst="2001:db8:3::5", hlim=1) / TCP()))
    yield "icmp6_echo", rec(e0(IPv6(src="2001:db8:1::2", dst="2001:db8:1::1") /
                               ICMPv6EchoRequest(id=5, seq=1, data=pay[:32])))
    yield "icmp6_ns", rec(Ether(dst="33:33:ff:00:00:01", src=PEER) /
                          IPv6(src="2001:db8:1::2", dst="ff02::1:ff00:1", hlim=255) /
                          ICMPv6ND_NS(tgt="2001:db8:1::1") / ICMPv6NDOptSrcLLAddr(lladdr=PEER))
    f6 = fragment6_list()
    yield "icmp6_echo_fragments", b"".join(rec(e0(f)) for f in f6)


def fragment6_list():
    """An echo request to 2001:db8:1::1 in two IPv6 fragments."""
    from scapy.all import fragment6
    pkt = (IPv6(src="2001:db8:1::2", dst="2001:db8:1::1") / IPv6ExtHdrFragment(id=9) /
           ICMPv6EchoRequest(id=6, data=bytes(range(256)) * 3))
    return fragment6(pkt, 500)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
