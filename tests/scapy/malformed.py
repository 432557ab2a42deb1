#!/usr/bin/python3
"""Malformed and odd frames sent from h1 to usnet (run inside h1 by
test_malformed.sh). Data-driven: CASES below names, per case, the frame,
how many are sent, the drop reason (src/core/drop.h) whose counter must
grow by exactly that number, and the ICMP errors usnet must send back to
h1 (none unless listed: every other ICMP/ICMPv6 seen on h1 during the case,
neighbor discovery excepted, is a failure).

Frames go out through a raw AF_PACKET socket so that they are sent byte for
byte; scapy builds them and sniffs the answers.

usage: malformed.py --usnetctl PATH --sock PATH --iface eth0 [--only NAME]
Prints one line per case and exits 1 if any case failed."""
import argparse
import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

from scapy.all import (ICMP, IP, UDP, AsyncSniffer, Dot1Q, Ether,  # noqa: E402
                       ICMPv6DestUnreach, ICMPv6EchoRequest, IPv6, Raw,
                       get_if_hwaddr)

H1, US, H2 = "10.1.0.2", "10.1.0.1", "10.2.0.2"
H1_6, US_6, H2_6 = "2001:db8:1::2", "2001:db8:1::1", "2001:db8:2::2"
ND_TYPES = range(133, 138)
OWN_SOURCES = (H1, H1_6, "127.0.0.1")  # what h1 sends itself (sniffed too)
GARBAGE = b"\x00\x11garbage, not an IP header: \xde\xad\xbe\xef" * 2


@dataclass
class Env:
    me: str      # h1's MAC
    us: str      # usnet p0's MAC


@dataclass
class Case:
    name: str
    build: Callable[[Env], bytes]
    reason: str                        # drop counter that must grow by count
    icmp: List[Tuple[int, int]] = field(default_factory=list)
    """ICMP errors expected from usnet per frame sent: (4 or 6, type)."""
    count: int = 3
    may_be_refused: bool = False
    """The kernel may refuse to send the frame at all (then: not run)."""


def eth(env: Env, etype: int) -> Ether:
    return Ether(dst=env.us, src=env.me, type=etype)


def ip4(env: Env, **kw) -> bytes:
    """Ether/IP/ICMP echo toward h2 (or kw dst), IP fields from kw."""
    dst = kw.pop("dst", H2)
    return bytes(eth(env, 0x0800) / IP(src=H1, dst=dst, **kw) / ICMP(id=0x5a5a) / Raw(b"x" * 16))


def ip6(env: Env, **kw) -> bytes:
    dst = kw.pop("dst", H2_6)
    return bytes(eth(env, 0x86DD) / IPv6(src=H1_6, dst=dst, **kw) / ICMPv6EchoRequest(id=0x5a5a) / Raw(b"x" * 16))


def ip4_hdr(env: Env, **kw) -> bytes:
    """Only an IPv4 header (+ 8 bytes) with the given fields, valid checksum."""
    return bytes(eth(env, 0x0800) / IP(src=H1, dst=H2, proto=17, **kw) / Raw(b"\0" * 8))


CASES: List[Case] = [
    # --- Ethernet
    Case("eth shorter than 14 bytes", lambda e: bytes.fromhex(e.us.replace(":", "")) + b"\x02\0\0\0",
         "eth_truncated", may_be_refused=True),
    Case("eth multicast source MAC",
         lambda e: bytes(Ether(dst=e.us, src="01:00:5e:00:00:01") / IP(src=H1, dst=H2) / ICMP()),
         "eth_bad_src"),
    Case("eth unicast to another MAC",
         lambda e: bytes(Ether(dst="02:00:00:00:99:99", src=e.me) / IP(src=H1, dst=H2) / ICMP()),
         "eth_otherhost"),
    Case("eth unknown ethertype 0x88b5",
         lambda e: bytes(eth(e, 0x88B5) / Raw(b"local experimental ethertype")),
         "eth_unknown_proto"),
    Case("eth 802.1Q tag, no vlan device",
         lambda e: bytes(eth(e, 0x8100) / Dot1Q(vlan=5) / IP(src=H1, dst=H2) / ICMP()),
         "eth_vlan_no_device"),
    # --- IPv4 header
    Case("ip4 truncated header (10 bytes)", lambda e: ip4_hdr(e)[:14 + 10], "ip4_truncated"),
    Case("ip4 header only ethertype", lambda e: bytes(eth(e, 0x0800)), "ip4_truncated"),
    Case("ip4 version 6 in an IPv4 frame", lambda e: ip4(e, version=6), "ip4_bad_version"),
    Case("ip4 IHL 4 (< 5)", lambda e: ip4(e, ihl=4), "ip4_bad_ihl"),
    Case("ip4 IHL 0", lambda e: ip4(e, ihl=0), "ip4_bad_ihl"),
    Case("ip4 IHL 15 beyond the frame", lambda e: ip4_hdr(e, ihl=15)[:14 + 28], "ip4_truncated"),
    Case("ip4 bad header checksum", lambda e: ip4(e, chksum=0x1234), "ip4_bad_csum"),
    Case("ip4 total length > frame", lambda e: ip4(e, len=1000), "ip4_bad_total_len"),
    Case("ip4 total length < header", lambda e: ip4(e, len=12), "ip4_bad_total_len"),
    Case("ip4 martian source 127.0.0.1", lambda e: bytes(eth(e, 0x0800) / IP(src="127.0.0.1", dst=H2) / ICMP()),
         "ip4_martian_src"),
    Case("ip4 TTL 0 toward h2", lambda e: ip4(e, ttl=0), "ip4_ttl_expired", icmp=[(4, 11)]),
    Case("ip4 TTL 1 toward h2", lambda e: ip4(e, ttl=1), "ip4_ttl_expired", icmp=[(4, 11)]),
    # --- IPv6 header
    Case("ip6 truncated header (20 bytes)", lambda e: ip6(e)[:14 + 20], "ip6_truncated"),
    Case("ip6 version 4 in an IPv6 frame", lambda e: ip6(e, version=4), "ip6_bad_version"),
    Case("ip6 payload length > frame", lambda e: ip6(e, plen=1000), "ip6_bad_payload_len"),
    Case("ip6 hop limit 1 toward h2", lambda e: ip6(e, hlim=1), "ip6_hop_limit_expired", icmp=[(6, 3)]),
    Case("ip6 hop limit 0 toward h2", lambda e: ip6(e, hlim=0), "ip6_hop_limit_expired", icmp=[(6, 3)]),
    # --- ICMP / L4 to usnet itself
    Case("icmp error quoting garbage to usnet",
         lambda e: bytes(eth(e, 0x0800) / IP(src=H1, dst=US) / ICMP(type=3, code=1) / Raw(GARBAGE)),
         "icmp_malformed"),
    Case("icmp6 error quoting garbage to usnet",
         lambda e: bytes(eth(e, 0x86DD) / IPv6(src=H1_6, dst=US_6) / ICMPv6DestUnreach(code=3) / Raw(GARBAGE)),
         "icmp_malformed"),
    Case("icmp echo with bad checksum to usnet",
         lambda e: bytes(eth(e, 0x0800) / IP(src=H1, dst=US) / ICMP(type=8, chksum=0xdead) / Raw(b"x" * 16)),
         "icmp_bad_csum"),
    Case("icmp6 echo with bad checksum to usnet",
         lambda e: bytes(eth(e, 0x86DD) / IPv6(src=H1_6, dst=US_6) / ICMPv6EchoRequest(cksum=0xdead) / Raw(b"x" * 16)),
         "icmp_bad_csum"),
    Case("udp with bad checksum to usnet",
         lambda e: bytes(eth(e, 0x0800) / IP(src=H1, dst=US) / UDP(sport=4000, dport=33434, chksum=0xdead) / Raw(b"x" * 16)),
         "l4_bad_csum"),
]


class Usnet:
    def __init__(self, usnetctl: str, sock: str):
        self.cmd = [usnetctl, "-s", sock, "-j"]

    def stats(self) -> dict:
        out = subprocess.run(self.cmd + ["stats"], check=True, capture_output=True, timeout=10)
        return json.loads(out.stdout)

    def drops(self, reason: str) -> int:
        j = self.stats()
        n = sum(d.get("rx_drops", {}).get(reason, 0) + d.get("tx_drops", {}).get(reason, 0)
                for d in j["devices"])
        return n + j.get("total", {}).get("orphan_drops", {}).get(reason, 0)

    def mac(self, dev: str) -> str:
        out = subprocess.run(self.cmd + ["link", "show", dev], check=True, capture_output=True, timeout=10)
        return json.loads(out.stdout)[0]["address"]


def icmp_kind(pkt) -> Optional[Tuple[int, int, str]]:
    """(family, type, source) of an ICMP/ICMPv6 packet, None for others and ND."""
    if IP in pkt and pkt[IP].proto == 1 and ICMP in pkt:
        return (4, pkt[ICMP].type, pkt[IP].src)
    if IPv6 in pkt and pkt[IPv6].nh == 58:
        t = bytes(pkt[IPv6].payload)[:1]
        if t and t[0] not in ND_TYPES:
            return (6, t[0], pkt[IPv6].src)
    return None


def run_case(c: Case, env: Env, us: Usnet, raw: socket.socket, iface: str) -> Tuple[Optional[bool], str]:
    """(True, why) passed, (False, why) failed, (None, why) not run."""
    frame = c.build(env)
    before = us.drops(c.reason)
    sniffer = AsyncSniffer(iface=iface, filter="icmp or icmp6", store=True)
    sniffer.start()
    time.sleep(0.2)  # let the capture start
    try:
        for _ in range(c.count):
            raw.send(frame)
    except OSError as e:
        sniffer.stop()
        if c.may_be_refused:
            return None, "NOT RUN: the kernel refuses to send it (%s); cannot reach usnet over this link" % e
        return False, "send failed: %s" % e
    want = before + c.count
    deadline = time.monotonic() + 3.0
    now = us.drops(c.reason)
    while now < want and time.monotonic() < deadline:
        time.sleep(0.05)
        now = us.drops(c.reason)
    time.sleep(1.0)  # late counts and ICMP answers (>= 1 s of sniffing)
    now = us.drops(c.reason)
    got = sniffer.stop() or []
    seen = [k for k in map(icmp_kind, got) if k and k[2] not in OWN_SOURCES]
    expect = sorted((fam, typ) for fam, typ in c.icmp for _ in range(c.count))
    from_us = sorted((f, t) for f, t, src in seen if src in (US, US_6))
    others = [k for k in seen if k[2] not in (US, US_6)]
    msgs = []
    ok = True
    if now - before != c.count:
        ok = False
        msgs.append("%s grew by %d, want %d" % (c.reason, now - before, c.count))
    if from_us != expect:
        ok = False
        msgs.append("ICMP from usnet %s, want %s" % (from_us, expect))
    if others:
        ok = False
        msgs.append("other ICMP seen: %s" % others)
    if ok:
        msgs.append("%s +%d%s" % (c.reason, c.count, ", ICMP back %s" % from_us if from_us else ", no ICMP back"))
    return ok, "; ".join(msgs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--usnetctl", required=True)
    ap.add_argument("--sock", required=True)
    ap.add_argument("--iface", default="eth0")
    ap.add_argument("--dev", default="p0", help="usnet device on the link")
    ap.add_argument("--only", help="run only cases whose name contains this")
    a = ap.parse_args()

    us = Usnet(a.usnetctl, a.sock)
    env = Env(me=get_if_hwaddr(a.iface), us=us.mac(a.dev))
    raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    raw.bind((a.iface, 0))
    failed = 0
    print("h1 %s -> usnet %s %s" % (env.me, a.dev, env.us))
    for c in CASES:
        if a.only and a.only not in c.name:
            continue
        ok, msg = run_case(c, env, us, raw, a.iface)
        label = "skip" if ok is None else "ok" if ok else "FAIL"
        print("%-4s %-40s x%d  %s" % (label, c.name, c.count, msg), flush=True)
        failed += ok is False
    raw.close()
    print("%d case(s) failed" % failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
