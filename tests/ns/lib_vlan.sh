# Helpers of the VLAN and macvlan namespace tests (test_vlan*.sh,
# test_macvlan*.sh). Sourced after lib.sh, not run.
#
# The hosts' kernel has no 8021q module, so tagged traffic on the host side
# is made and read by scapy: `vprobe NS <<CASES ... CASES` runs the probe
# (written to $TMPD/vprobe.py by vprobe_write) on eth0 of namespace NS with
# one case per input line, `NAME CMD ARGS...`, and prints one line per case,
# `NAME ok RESULT` or `NAME FAIL REASON`; its status is 1 when a case failed.
# One scapy start-up serves all the cases. Tags are given outermost first as
# TPID:VID[:PCP] words joined by commas, e.g. 88a8:100,8100:10.
#   arp    --tags T --src-ip A --target B   tagged who-has B: the answer must
#                                           carry the same tags; RESULT is the
#                                           answering MAC
#   silent --tags T --src-ip A --target B   no answer within 1.5 s
#   ping   --tags T --dst-mac M --src-ip A --dst-ip B [--count N] [--v6]
#          [--reply-tags R|none]            N tagged echo requests, all
#                                           answered with the same tags (or
#                                           with R; none = untagged);
#                                           RESULT "replies N ttl T from MAC"
# While it runs, the probe answers tagged ARP who-has and IPv6 neighbor
# solicitations for every --src-ip of its cases, with eth0's MAC and the
# tags the question came with, so that usnet can resolve them.

VPROBE=$TMPD/vprobe.py

vprobe_write() {
	cat >"$VPROBE" <<'PYEOF'
import argparse, shlex, struct, sys, threading, time
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
    return frame[:12] + b"".join(struct.pack("!HH", t, c) for t, c in tags) + frame[12:]

def pop_tags(raw):
    """(tags as (tpid, vid) outermost first, untagged frame bytes)."""
    tags, off = [], 12
    while len(raw) >= off + 4 and struct.unpack("!H", raw[off:off + 2])[0] in (0x8100, 0x88a8):
        tpid, tci = struct.unpack("!HH", raw[off:off + 4])
        tags.append((tpid, tci & 0xfff))
        off += 4
    return tags, raw[:12] + raw[off:]

class Fail(Exception):
    pass

class Probe:
    def __init__(self, iface, ours):
        self.mac = get_if_hwaddr(iface)
        self.ours = ours            # addresses the probe answers for
        self.got = []               # (tags, untagged frame), in order
        self.lock = threading.Lock()
        self.sock = conf.L2socket(iface=iface)
        ready = threading.Event()
        self.sn = AsyncSniffer(iface=iface, store=False, prn=self.on_frame,
                               started_callback=ready.set)
        self.sn.start()
        if not ready.wait(10):
            sys.exit("sniffer did not start")
        time.sleep(0.2)

    def send(self, pkt, tags):
        self.sock.send(Ether(push_tags(bytes(pkt), tags)))

    def on_frame(self, p):
        tags, raw = pop_tags(bytes(p))
        e = Ether(raw)
        if e.src == self.mac:
            return
        self.answer(tags, e)
        with self.lock:
            self.got.append((tags, e))

    def answer(self, tags, e):
        """Resolve our addresses for usnet, with the question's tags."""
        back = [(t, v) for t, v in tags]
        if ARP in e and e[ARP].op == 1 and e[ARP].pdst in self.ours:
            self.send(Ether(dst=e.src, src=self.mac) /
                      ARP(op=2, hwsrc=self.mac, psrc=e[ARP].pdst,
                          hwdst=e[ARP].hwsrc, pdst=e[ARP].psrc), back)
        elif ICMPv6ND_NS in e and e[ICMPv6ND_NS].tgt in self.ours:
            tgt = e[ICMPv6ND_NS].tgt
            self.send(Ether(dst=e.src, src=self.mac) /
                      IPv6(src=tgt, dst=e[IPv6].src) /
                      ICMPv6ND_NA(tgt=tgt, R=0, S=1, O=1) /
                      ICMPv6NDOptDstLLAddr(lladdr=self.mac), back)

    def mark(self):
        with self.lock:
            return len(self.got)

    def wait_for(self, since, match, timeout, n=1):
        deadline = time.time() + timeout
        while True:
            with self.lock:
                hits = [(t, e) for t, e in self.got[since:] if match(t, e)]
            if len(hits) >= n or time.time() >= deadline:
                return hits
            time.sleep(0.05)

    def close(self):
        self.sn.stop()
        self.sock.close()

def seen(hits):
    return "; ".join("%s %s" % (["%x:%d" % x for x in t], e.summary())
                     for t, e in hits) or "nothing"

def arp_request(pr, a, tags):
    since = pr.mark()
    pr.send(Ether(dst="ff:ff:ff:ff:ff:ff", src=pr.mac) /
            ARP(op=1, hwsrc=pr.mac, psrc=a.src_ip, pdst=a.target), tags)
    return since, lambda t, e: (ARP in e and e[ARP].op == 2 and
                                e[ARP].psrc == a.target and e[ARP].pdst == a.src_ip)

def cmd_arp(pr, a, tags, vids):
    since, m = arp_request(pr, a, tags)
    hits = pr.wait_for(since, m, 3)
    good = [e for t, e in hits if t == vids]
    if not good:
        raise Fail("no ARP reply for %s with tags %s (seen: %s)" % (a.target, vids, seen(hits)))
    if good[0][ARP].hwsrc != good[0].src:
        raise Fail("ARP reply: hwsrc %s != Ethernet source %s" % (good[0][ARP].hwsrc, good[0].src))
    return good[0][ARP].hwsrc

def cmd_silent(pr, a, tags, vids):
    since, m = arp_request(pr, a, tags)
    hits = pr.wait_for(since, m, 1.5)
    if hits:
        raise Fail("unexpected ARP reply for %s: %s" % (a.target, seen(hits)))
    return "silent"

def cmd_ping(pr, a, tags, vids):
    ident = 0x4242
    since = pr.mark()
    for seq in range(a.count):
        if a.v6:
            pkt = (Ether(dst=a.dst_mac, src=pr.mac) / IPv6(src=a.src_ip, dst=a.dst_ip) /
                   ICMPv6EchoRequest(id=ident, seq=seq, data=b"usnet-vlan" * 4))
        else:
            pkt = (Ether(dst=a.dst_mac, src=pr.mac) / IP(src=a.src_ip, dst=a.dst_ip) /
                   ICMP(type=8, id=ident, seq=seq) / (b"usnet-vlan" * 4))
        pr.send(pkt, tags)
        time.sleep(0.1)
    if a.v6:
        m = lambda t, e: (ICMPv6EchoReply in e and e[IPv6].src == a.dst_ip and
                          e[ICMPv6EchoReply].id == ident)
    else:
        m = lambda t, e: (ICMP in e and e[ICMP].type == 0 and e[IP].src == a.dst_ip and
                          e[ICMP].id == ident)
    hits = pr.wait_for(since, m, 3, a.count)
    good = [e for t, e in hits if t == vids]
    if len(good) < a.count:
        raise Fail("%d of %d echo replies from %s with tags %s (seen: %s)" %
                   (len(good), a.count, a.dst_ip, vids, seen(hits)))
    ttl = good[0][IPv6].hlim if a.v6 else good[0][IP].ttl
    return "replies %d ttl %d from %s" % (len(good), ttl, good[0].src)

ap = argparse.ArgumentParser()
ap.add_argument("cmd", choices=["arp", "silent", "ping"])
ap.add_argument("--tags", default="")
ap.add_argument("--src-ip", required=True)
ap.add_argument("--target")
ap.add_argument("--dst-ip")
ap.add_argument("--dst-mac")
ap.add_argument("--count", type=int, default=3)
ap.add_argument("--v6", action="store_true")
ap.add_argument("--reply-tags")

iface = sys.argv[sys.argv.index("--iface") + 1] if "--iface" in sys.argv else "eth0"
cases = []
for line in sys.stdin:
    w = shlex.split(line)
    if w and not w[0].startswith("#"):
        cases.append((w[0], ap.parse_args(w[1:])))
pr = Probe(iface, {a.src_ip for _, a in cases})
failed = 0
try:
    for name, a in cases:
        tags = parse_tags(a.tags)
        want = tags if a.reply_tags is None else \
            parse_tags("" if a.reply_tags == "none" else a.reply_tags)
        vids = [(t, c & 0xfff) for t, c in want]
        try:
            r = {"arp": cmd_arp, "silent": cmd_silent, "ping": cmd_ping}[a.cmd](pr, a, tags, vids)
            print("%s ok %s" % (name, r), flush=True)
        except Fail as e:
            print("%s FAIL %s" % (name, e), flush=True)
            failed += 1
finally:
    pr.close()
sys.exit(1 if failed else 0)
PYEOF
}

# vprobe NS < CASES: run the cases on NS's eth0 (bounded to 120 s). The
# result lines are printed (indented) and kept in $TMPD/vprobe.out.
vprobe() {
	nsx "$1" timeout 120 "$PY" "$VPROBE" --iface eth0 >"$TMPD/vprobe.out"
	local rc=$?
	sed 's/^/    /' "$TMPD/vprobe.out"
	return $rc
}

# The RESULT of case NAME in the last vprobe run (empty if it failed).
vprobe_result() {
	awk -v n="$1" '$1 == n && $2 == "ok" { $1 = ""; $2 = ""; sub(/^ +/, ""); print }' \
		"$TMPD/vprobe.out"
}

# Skip unless scapy can be imported.
need_scapy() {
	"$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy is not installed"
}

# Drops of REASON on device DEV (rx and tx) in a fresh stats dump.
dev_drops() {
	snap drops_now
	"$PY" - "$(snapf drops_now)" "$1" "$2" <<'PYEOF'
import json, sys
j = json.load(open(sys.argv[1]))
d = [x for x in j["devices"] if x["ifname"] == sys.argv[2]][0]
print(d.get("rx_drops", {}).get(sys.argv[3], 0) + d.get("tx_drops", {}).get(sys.argv[3], 0))
PYEOF
}
