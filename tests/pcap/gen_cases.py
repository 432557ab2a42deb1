#!/usr/bin/python3
"""Golden cases for usnet's offline mode, and the comparison of its output.

  gen_cases.py generate [DIR]   write cases/<name>/{usnet.conf, in.pcap,
                                expected_p0.pcap, expected_p1.pcap} (needs scapy)
  gen_cases.py compare EXPECTED ACTUAL
                                compare two pcap files packet by packet, byte
                                for byte; exit 1 with a readable diff (scapy's
                                show() of both when scapy is there)

The expected output of every case is computed here from what the RFCs say a
router does, never by running usnet:
  - forwarding (RFC 1812 5.3.1, RFC 8200 3): TTL / hop limit minus one, the
    IPv4 header checksum recomputed, Ethernet source = usnet's egress port
    MAC, destination = the static neighbor's MAC;
  - ICMP errors (RFC 792, RFC 1812 4.3.2): source = the address of the
    interface the offending packet came in on, TTL 64, precedence 6 (TOS
    0xc0), IP id 0 and DF clear (usnet's choices, allowed by RFC 6864 for
    datagrams this small), the quote = the offending IP packet as received,
    as much as fits in 576 bytes (4.3.2.3); ICMPv6 errors (RFC 4443): from
    the incoming interface's address, hop limit 64, traffic class 0, quote
    up to the 1280-byte minimum MTU;
  - echo replies (RFC 792): addresses swapped, type 0, identifier, sequence
    and data unchanged; usnet keeps the request's TOS and id, TTL 64, and
    sets DF: it does path MTU discovery for its own packets (RFC 1191) and
    fragments them itself only past a path MTU it has learned;
  - fragmentation (RFC 791): data in multiples of 8 bytes, same id, MF on all
    but the last, offsets in 8-byte units, TTL already decremented;
  - frag needed (RFC 1191): type 3 code 4 with the next-hop MTU.
No output is expected for invalid packets (RFC 1812 5.2.2)."""
import os
import struct
import sys

P0_MAC = "02:00:00:00:00:01"
P1_MAC = "02:00:00:00:00:11"
PEER0_MAC = "02:00:00:00:01:02"
PEER1_MAC = "02:00:00:00:02:02"
TS = 1700000000  # fixed pcap timestamps: regenerating gives identical files

BASE_CONF = """# usnet offline golden case: p0 faces 10.1.0.2 / 2001:db8:1::2,
# p1 faces 10.2.0.2 / 2001:db8:2::2; files are relative to the case dir.
link add p0 type pcap in in.pcap out out_p0.pcap
link add p1 type pcap out out_p1.pcap
link set p0 address {p0}
link set p1 address {p1}
{extra}addr add 10.1.0.1/24 dev p0
addr add 10.2.0.1/24 dev p1
addr add 2001:db8:1::1/64 dev p0
addr add 2001:db8:2::1/64 dev p1
link set p0 up
link set p1 up
neigh add 10.1.0.2 lladdr {peer0} dev p0
neigh add 10.2.0.2 lladdr {peer1} dev p1
neigh add 2001:db8:1::2 lladdr {peer0} dev p0
neigh add 2001:db8:2::2 lladdr {peer1} dev p1
route add 10.3.0.0/16 via 10.2.0.2
route add 2001:db8:3::/48 via 2001:db8:2::2
"""


# ---- pcap reading (no scapy needed) -----------------------------------------

def read_pcap(path):
    """List of frames (bytes) of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: not a pcap file (%d bytes)" % (path, len(data)))
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xa1b2c3d4, 0xa1b23c4d):
        end = "<"
    elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
        end = ">"
    else:
        raise ValueError("%s: bad pcap magic %08x" % (path, magic))
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != 1:
        raise ValueError("%s: link type %d is not Ethernet" % (path, linktype))
    frames, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        if caplen != wirelen:
            raise ValueError("%s: truncated record %d" % (path, len(frames)))
        frames.append(data[off:off + caplen])
        off += caplen
    if off != len(data):
        raise ValueError("%s: trailing garbage after record %d" % (path, len(frames)))
    return frames


def describe(frame):
    try:
        from scapy.all import Ether
        return Ether(frame).show(dump=True)
    except ImportError:
        return frame.hex()


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def compare(expected_path, actual_path):
    exp, act = read_pcap(expected_path), read_pcap(actual_path)
    bad = []
    for i in range(max(len(exp), len(act))):
        e = exp[i] if i < len(exp) else None
        a = act[i] if i < len(act) else None
        if e == a:
            continue
        bad.append(i)
        print("packet %d differs (%s vs %s):" % (
            i, "expected %d bytes" % len(e) if e is not None else "no packet expected",
            "got %d bytes" % len(a) if a is not None else "none sent"))
        if e is not None and a is not None:
            d = first_diff(e, a)
            print("  first difference at byte %d: expected %s, got %s" % (
                d, e[d:d + 8].hex(), a[d:d + 8].hex()))
        if e is not None:
            print("  --- expected ---")
            print("    " + describe(e).replace("\n", "\n    "))
        if a is not None:
            print("  --- actual ---")
            print("    " + describe(a).replace("\n", "\n    "))
    if bad:
        print("%s: %d of %d expected packets match, %d sent" % (
            os.path.basename(actual_path), len(exp) - len([i for i in bad if i < len(exp)]),
            len(exp), len(act)))
        return 1
    return 0


# ---- expected packets, from the RFCs -----------------------------------------

def scapy():
    import scapy.all as s
    return s


def fwd4(pkt):
    """What a router sends for pkt (an IP packet) to the p1 neighbor."""
    s = scapy()
    ip = s.IP(bytes(pkt))
    ip.ttl -= 1
    del ip.chksum
    return s.Ether(dst=PEER1_MAC, src=P1_MAC) / s.IP(bytes(ip))


def fwd6(pkt):
    s = scapy()
    ip = s.IPv6(bytes(pkt))
    ip.hlim -= 1
    return s.Ether(dst=PEER1_MAC, src=P1_MAC) / s.IPv6(bytes(ip))


def icmp4_error(orig, icmp_type, code, mtu=None):
    """ICMP error about orig (as received on p0), back to its source."""
    s = scapy()
    raw = bytes(orig)
    quote = raw[:576 - 20 - 8]
    icmp = s.ICMP(type=icmp_type, code=code)
    if mtu is not None:
        icmp.nexthopmtu = mtu
    ip = s.IP(src="10.1.0.1", dst=orig.src, ttl=64, tos=0xc0, id=0, flags=0,
              proto=1)
    return s.Ether(dst=PEER0_MAC, src=P0_MAC) / s.IP(bytes(ip / icmp / s.Raw(quote)))


def icmp6_error(orig, layer):
    s = scapy()
    quote = bytes(orig)[:1280 - 40 - 8]
    ip = s.IPv6(src="2001:db8:1::1", dst=orig.src, hlim=64, tc=0, fl=0)
    return s.Ether(dst=PEER0_MAC, src=P0_MAC) / s.IPv6(bytes(ip / layer / s.Raw(quote)))


def fragments4(pkt, mtu):
    """RFC 791 fragmentation of an IPv4 packet (no options) after TTL - 1."""
    s = scapy()
    ip = s.IP(bytes(pkt))
    payload = bytes(ip.payload)
    chunk = (mtu - 20) // 8 * 8
    out = []
    for off in range(0, len(payload), chunk):
        part = payload[off:off + chunk]
        more = off + len(part) < len(payload)
        f = s.IP(version=4, ihl=5, tos=ip.tos, id=ip.id, flags="MF" if more else 0,
                 frag=off // 8, ttl=ip.ttl - 1, proto=ip.proto, src=ip.src, dst=ip.dst)
        out.append(s.Ether(dst=PEER1_MAC, src=P1_MAC) / s.IP(bytes(f / s.Raw(part))))
    return out


# ---- cases -------------------------------------------------------------------

def payload(n, seed=0):
    return bytes((seed + i * 7) & 0xff for i in range(n))


def from_peer0(pkt):
    s = scapy()
    return s.Ether(dst=P0_MAC, src=PEER0_MAC) / pkt


def case_ipv4_forward():
    s = scapy()
    ins = [
        s.IP(src="10.1.0.2", dst="10.3.0.5", ttl=64) / s.UDP(sport=1000, dport=2000) / payload(18),
        s.IP(src="10.1.0.2", dst="10.3.1.1", ttl=2, tos=0x10, id=4242) /
        s.TCP(sport=40000, dport=80, flags="S", seq=1) ,
        s.IP(src="10.1.0.2", dst="10.2.0.2", ttl=255, flags="DF") /
        s.TCP(sport=5001, dport=40001, flags="PA", seq=7, ack=9) / payload(1000, 3),
        s.IP(src="10.1.0.2", dst="10.3.200.7", ttl=17, id=65535) / s.UDP(sport=53, dport=53) / payload(1472, 5),
        s.IP(src="10.1.0.2", dst="10.3.0.5", ttl=128, tos=0xb8) / s.UDP() / payload(200, 9),
    ]
    return "", [from_peer0(p) for p in ins], [], [fwd4(p) for p in ins]


def case_ipv6_forward():
    s = scapy()
    ins = [
        s.IPv6(src="2001:db8:1::2", dst="2001:db8:3::5", hlim=64) / s.UDP(sport=1, dport=2) / payload(30),
        s.IPv6(src="2001:db8:1::2", dst="2001:db8:2::2", hlim=2, tc=0xb8, fl=0x12345) /
        s.TCP(sport=3, dport=4, flags="PA") / payload(1200, 1),
        s.IPv6(src="2001:db8:1::2", dst="2001:db8:3::9", hlim=255) / s.UDP() / payload(1452, 2),
    ]
    return "", [from_peer0(p) for p in ins], [], [fwd6(p) for p in ins]


def case_ipv4_ttl_expired():
    s = scapy()
    ins = [
        s.IP(src="10.1.0.2", dst="10.3.0.5", ttl=1, id=11) / s.UDP(sport=33434, dport=33435) / payload(32),
        s.IP(src="10.1.0.2", dst="10.3.0.5", ttl=1, id=12) / s.UDP() / payload(1400, 1),
        s.IP(src="10.1.0.2", dst="10.3.0.5", ttl=0, id=13) / s.TCP(flags="S"),
    ]
    outs = [icmp4_error(p, 11, 0) for p in ins]
    return "", [from_peer0(p) for p in ins], outs, []


def case_ipv6_hlim_expired():
    s = scapy()
    ins = [
        s.IPv6(src="2001:db8:1::2", dst="2001:db8:3::5", hlim=1) / s.UDP(sport=1, dport=33434) / payload(40),
        s.IPv6(src="2001:db8:1::2", dst="2001:db8:3::5", hlim=1) / s.UDP() / payload(1400, 4),
    ]
    outs = [icmp6_error(p, s.ICMPv6TimeExceeded(code=0)) for p in ins]
    return "", [from_peer0(p) for p in ins], outs, []


def case_ipv4_no_route():
    s = scapy()
    ins = [s.IP(src="10.1.0.2", dst="192.0.2.1", id=5) / s.UDP() / payload(64)]
    outs = [icmp4_error(p, 3, 0) for p in ins]
    return "", [from_peer0(p) for p in ins], outs, []


def case_ipv4_echo():
    s = scapy()
    reqs = [
        s.IP(src="10.1.0.2", dst="10.1.0.1", id=0x1234, ttl=64) / s.ICMP(type=8, id=0x77, seq=1) / payload(56),
        s.IP(src="10.1.0.2", dst="10.1.0.1", id=0x1235, ttl=9) / s.ICMP(type=8, id=0x77, seq=2) / payload(1000, 2),
    ]
    outs = []
    for r in reqs:
        raw = s.IP(bytes(r))
        reply = s.IP(src=raw.dst, dst=raw.src, ttl=64, tos=raw.tos, id=raw.id, flags="DF") / \
            s.ICMP(type=0, code=0, id=raw[s.ICMP].id, seq=raw[s.ICMP].seq) / bytes(raw[s.ICMP].payload)
        outs.append(s.Ether(dst=PEER0_MAC, src=P0_MAC) / s.IP(bytes(reply)))
    return "", [from_peer0(p) for p in reqs], outs, []


def case_ipv4_fragment():
    s = scapy()
    big = s.IP(src="10.1.0.2", dst="10.3.0.5", id=0x4321, flags=0) / s.UDP(sport=7, dport=9) / payload(1450 - 28)
    small = s.IP(src="10.1.0.2", dst="10.3.0.5", id=0x4322, flags=0) / s.UDP() / payload(1400 - 28, 1)
    ins = [big, small]
    outs = fragments4(big, 1400) + [fwd4(small)]
    return "link set p1 mtu 1400\n", [from_peer0(p) for p in ins], [], outs


def case_ipv4_frag_needed():
    s = scapy()
    ins = [s.IP(src="10.1.0.2", dst="10.3.0.5", id=0x5555, flags="DF") / s.TCP(flags="A") / payload(1410)]
    outs = [icmp4_error(p, 3, 4, mtu=1400) for p in ins]
    return "link set p1 mtu 1400\n", [from_peer0(p) for p in ins], outs, []


def case_ipv6_too_big():
    s = scapy()
    ins = [s.IPv6(src="2001:db8:1::2", dst="2001:db8:3::5") / s.UDP() / payload(1452)]
    outs = [icmp6_error(p, s.ICMPv6PacketTooBig(mtu=1400)) for p in ins]
    return "link set p1 mtu 1400\n", [from_peer0(p) for p in ins], outs, []


def case_ipv4_invalid():
    """Bad header checksums (and other RFC 1812 5.2.2 failures): nothing out."""
    s = scapy()
    good = s.IP(src="10.1.0.2", dst="10.3.0.5", ttl=64) / s.UDP() / payload(40)
    raw = bytearray(bytes(good))
    bad_sum = bytes(raw[:10]) + bytes([raw[10] ^ 0xff, raw[11]]) + bytes(raw[12:])
    bad_ttl1 = bytearray(bytes(s.IP(src="10.1.0.2", dst="10.3.0.5", ttl=1) / s.UDP() / payload(8)))
    bad_ttl1[11] ^= 0x01  # a bad checksum wins over an expired TTL: no ICMP
    bad_version = bytearray(raw)
    bad_version[0] = 0x55
    short_len = bytearray(raw)
    short_len[2:4] = struct.pack("!H", 19)
    frames = [from_peer0(s.Raw(bytes(x))) for x in (bad_sum, bytes(bad_ttl1))]
    for x in (bad_version, short_len):
        frames.append(from_peer0(s.Raw(bytes(x))))
    for f in frames:
        f.type = 0x0800
    return "", frames, [], []


CASES = {
    "ipv4_forward": case_ipv4_forward,
    "ipv6_forward": case_ipv6_forward,
    "ipv4_ttl_expired": case_ipv4_ttl_expired,
    "ipv6_hlim_expired": case_ipv6_hlim_expired,
    "ipv4_no_route": case_ipv4_no_route,
    "ipv4_echo": case_ipv4_echo,
    "ipv4_fragment": case_ipv4_fragment,
    "ipv4_frag_needed": case_ipv4_frag_needed,
    "ipv6_too_big": case_ipv6_too_big,
    "ipv4_invalid": case_ipv4_invalid,
}


def write_pcap(path, frames):
    s = scapy()
    pkts = []
    for i, f in enumerate(frames):
        p = s.Ether(bytes(f))
        p.time = TS + i
        pkts.append(p)
    # linktype given: an empty list still makes a valid Ethernet pcap
    s.wrpcap(path, pkts, linktype=1)


def generate(out_dir):
    for name, fn in CASES.items():
        extra, ins, exp0, exp1 = fn()
        d = os.path.join(out_dir, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "usnet.conf"), "w") as f:
            f.write(BASE_CONF.format(p0=P0_MAC, p1=P1_MAC, peer0=PEER0_MAC,
                                     peer1=PEER1_MAC, extra=extra))
        write_pcap(os.path.join(d, "in.pcap"), ins)
        write_pcap(os.path.join(d, "expected_p0.pcap"), exp0)
        write_pcap(os.path.join(d, "expected_p1.pcap"), exp1)
    return 0


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    if len(argv) >= 2 and argv[1] == "generate":
        return generate(argv[2] if len(argv) > 2 else os.path.join(here, "cases"))
    if len(argv) == 4 and argv[1] == "compare":
        return compare(argv[2], argv[3])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
