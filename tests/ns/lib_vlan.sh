# Helpers of the VLAN and macvlan namespace tests (test_vlan*.sh,
# test_macvlan*.sh). Sourced after lib.sh, not run.
#
# The hosts' kernel has no 8021q module, so tagged traffic on the host side
# is made and read by scapy: `vprobe NS CMD ...` runs tests/ns's probe (written
# to $TMPD/vprobe.py) on eth0 of namespace NS. Tags are given outermost
# first as TPID:VID[:PCP] words joined by commas, e.g. 88a8:100,8100:10.
# Commands (exit 0 = as expected, 1 = not, with the reason on stderr):
#   arp    --tags T --src-ip A --target B          tagged who-has B; the answer
#                                                  must carry the same tags;
#                                                  prints the answering MAC
#   silent --tags T --src-ip A --target B          no answer within 1.5 s
#   ping   --tags T --dst-mac M --src-ip A --dst-ip B [--count N] [--v6]
#                                                  N tagged echo requests, all
#                                                  answered with the same tags
#                                                  (prints "replies N ttl T")
# While a probe runs it answers tagged ARP who-has / IPv6 neighbor
# solicitations for its --src-ip with eth0's MAC, so usnet can resolve it.

VPROBE=$TMPD/vprobe.py

vprobe_write() {
	cat >"$VPROBE" <<'EOF'
import argparse, struct, sys, threading, time
from scapy.all import (ARP, Ether, ICMP, IP, IPv6, ICMPv6EchoRequest,
                       ICMPv6EchoReply, ICMPv6ND_NS, ICMPv6ND_NA,
                       ICMPv6NDOptDstLLAddr, AsyncSniffer, conf, get_if_hwaddr)
conf.verb = 0

def parse_tags(s):
    tags = []
    for w in (s.split(",") if s else []):
        f = w.split(":")
        tags.append((int(f[0], 16), int(f[1]) | (int(f[2]) << 13 if len(f) > 2 else 0)))
    return tags

def push_tags(frame, tags):
    """Insert tags (outermost first) after the MAC addresses."""
    tagbytes = b"".join(struct.pack("!HH", t, c) for t, c in tags)
    return frame[:12] + tagbytes + frame[12:]

def pop_tags(raw):
    """(tags as (tpid, vid) outermost first, untagged frame bytes)."""
    tags, off = [], 12
    while len(raw) >= off + 4 and struct.unpack("!H", raw[off:off + 2])[0] in (0x8100, 0x88a8):
        tpid, tci = struct.unpack("!HH", raw[off:off + 4])
        tags.append((tpid, tci & 0xfff))
        off += 4
    return tags, raw[:12] + raw[off:]

class Probe:
    def __init__(self, a):
        self.a = a
        self.tags = parse_tags(a.tags)
        self.vids = [(t, c & 0xfff) for t, c in self.tags]
        self.mac = get_if_hwaddr(a.iface)
        self.got = []
        self.lock = threading.Lock()
        self.sock = conf.L2socket(iface=a.iface)
        ready = threading.Event()
        self.sn = AsyncSniffer(iface=a.iface, store=False, prn=self.on_frame,
                               started_callback=ready.set)
        self.sn.start()
        if not ready.wait(5):
            sys.exit("sniffer did not start")
        time.sleep(0.2)

    def send(self, pkt):
        self.sock.send(Ether(push_tags(bytes(pkt), self.tags)))

    def on_frame(self, p):
        tags, raw = pop_tags(bytes(p))
        e = Ether(raw)
        if e.src == self.mac:
            return
        if tags != self.vids:
            with self.lock:
                self.got.append((tags, e))
            return
        self.answer(e)
        with self.lock:
            self.got.append((tags, e))

    def answer(self, e):
        """Resolve our --src-ip for usnet."""
        a = self.a
        if ARP in e and e[ARP].op == 1 and e[ARP].pdst == a.src_ip:
            self.send(Ether(dst=e.src, src=self.mac) /
                      ARP(op=2, hwsrc=self.mac, psrc=a.src_ip,
                          hwdst=e[ARP].hwsrc, pdst=e[ARP].psrc))
        elif ICMPv6ND_NS in e and e[ICMPv6ND_NS].tgt == a.src_ip:
            self.send(Ether(dst=e.src, src=self.mac) /
                      IPv6(src=a.src_ip, dst=e[IPv6].src) /
                      ICMPv6ND_NA(tgt=a.src_ip, R=0, S=1, O=1) /
                      ICMPv6NDOptDstLLAddr(lladdr=self.mac))

    def wait_for(self, match, timeout, n=1):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                hits = [(t, e) for t, e in self.got if match(t, e)]
            if len(hits) >= n:
                return hits
            time.sleep(0.05)
        with self.lock:
            return [(t, e) for t, e in self.got if match(t, e)]

    def close(self):
        self.sn.stop()
        self.sock.close()

def arp_request(pr, a):
    pr.send(Ether(dst="ff:ff:ff:ff:ff:ff", src=pr.mac) /
            ARP(op=1, hwsrc=pr.mac, psrc=a.src_ip, pdst=a.target))
    return lambda t, e: (ARP in e and e[ARP].op == 2 and
                         e[ARP].psrc == a.target and e[ARP].pdst == a.src_ip)

def cmd_arp(pr, a):
    m = arp_request(pr, a)
    hits = pr.wait_for(m, 3)
    good = [e for t, e in hits if t == pr.vids]
    if not good:
        seen = [(t, e.summary()) for t, e in hits]
        sys.exit("no ARP reply for %s with tags %s (answers seen: %s)" % (a.target, pr.vids, seen))
    e = good[0]
    if e[ARP].hwsrc != e.src:
        sys.exit("ARP reply: hwsrc %s != Ethernet source %s" % (e[ARP].hwsrc, e.src))
    print(e[ARP].hwsrc)

def cmd_silent(pr, a):
    m = arp_request(pr, a)
    hits = pr.wait_for(m, 1.5)
    if hits:
        sys.exit("unexpected ARP reply for %s: %s" % (a.target, [(t, e.summary()) for t, e in hits]))
    print("silent")

def cmd_ping(pr, a):
    ident = 0x4242
    for seq in range(a.count):
        if a.v6:
            pkt = (Ether(dst=a.dst_mac, src=pr.mac) / IPv6(src=a.src_ip, dst=a.dst_ip) /
                   ICMPv6EchoRequest(id=ident, seq=seq, data=b"usnet-vlan" * 4))
        else:
            pkt = (Ether(dst=a.dst_mac, src=pr.mac) / IP(src=a.src_ip, dst=a.dst_ip) /
                   ICMP(type=8, id=ident, seq=seq) / (b"usnet-vlan" * 4))
        pr.send(pkt)
        time.sleep(0.2)
    if a.v6:
        m = lambda t, e: (ICMPv6EchoReply in e and e[IPv6].src == a.dst_ip and
                          e[ICMPv6EchoReply].id == ident)
    else:
        m = lambda t, e: (ICMP in e and e[ICMP].type == 0 and e[IP].src == a.dst_ip and
                          e[ICMP].id == ident)
    hits = pr.wait_for(m, 3, a.count)
    good = [e for t, e in hits if t == pr.vids]
    if len(good) < a.count:
        sys.exit("%d of %d echo replies from %s with tags %s (replies seen: %s)" %
                 (len(good), a.count, a.dst_ip, pr.vids, [(t, e.summary()) for t, e in hits]))
    ttl = good[0][IPv6].hlim if a.v6 else good[0][IP].ttl
    print("replies %d ttl %d from %s" % (len(good), ttl, good[0].src))

ap = argparse.ArgumentParser()
ap.add_argument("cmd", choices=["arp", "silent", "ping"])
ap.add_argument("--iface", default="eth0")
ap.add_argument("--tags", default="")
ap.add_argument("--src-ip", required=True)
ap.add_argument("--target")
ap.add_argument("--dst-ip")
ap.add_argument("--dst-mac")
ap.add_argument("--count", type=int, default=3)
ap.add_argument("--v6", action="store_true")
a = ap.parse_args()
pr = Probe(a)
try:
    {"arp": cmd_arp, "silent": cmd_silent, "ping": cmd_ping}[a.cmd](pr, a)
finally:
    pr.close()
EOF
}

# vprobe NS CMD ARGS...: run the probe on NS's eth0 (bounded to 30 s).
vprobe() {
	local ns=$1
	shift
	nsx "$ns" timeout 30 "$PY" "$VPROBE" --iface eth0 "$@"
}

# Skip unless scapy can be imported.
need_scapy() {
	"$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy is not installed"
}

# MAC address of eth0 in a namespace.
host_mac() {
	ip -n "$1" -br link show eth0 | awk '{print $3}'
}

# Drops of REASON on device DEV (rx and tx) in a fresh stats dump.
dev_drops() {
	snap drops_now
	"$PY" - "$(snapf drops_now)" "$1" "$2" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
d = [x for x in j["devices"] if x["ifname"] == sys.argv[2]][0]
print(d.get("rx_drops", {}).get(sys.argv[3], 0) + d.get("tx_drops", {}).get(sys.argv[3], 0))
EOF
}
