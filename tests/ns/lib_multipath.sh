# Topology and tools of the FIB namespace tests (test_ecmp.sh,
# test_rules.sh, test_route_replace.sh). Sourced, not run; builds on
# lib.sh (same cleanup, usnet start/stop, helpers):
#
#   h1 eth0 10.1.0.2 ----- p0 [usnet in r] p1 ----- eth0 10.2.0.2 h2
#           2001:db8:1::2         10.1.0.1   10.2.0.1      2001:db8:2::2
#                                            p2 ----- eth1 10.3.0.2
#                                            10.3.0.1      2001:db8:3::2
#   h3 eth0 10.4.0.2 ----- p3                              lo 10.9.0.1
#           2001:db8:4::2         10.4.0.1                    2001:db8:9::1
#
# h2 is reachable from usnet over two links, and holds the service
# addresses 10.9.0.1 / 2001:db8:9::1 on its loopback: usnet routes them
# over p1 and/or p2, and on which of h2's interfaces a packet arrives tells
# the path usnet chose. h2 answers through eth0 (its default route;
# rp_filter off so that eth1 accepts what arrives there). h3 is a second
# source on its own usnet port. af_packet driver only.
#
# Tools: a UDP/TCP sink on h2 (mp_sink_start), a flow generator run in a
# host (mp_flows: many flows, distinct source ports, several packets each),
# inbound captures on h2's two interfaces (mp_cap_start / mp_cap_stop) and
# their analysis per flow (mp_cap_flows: which interface(s) each flow used).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS_H3=usn-h3-$ID
IF_C=uc$ID
IF_D=ud$ID
SVC4=10.9.0.1
SVC6=2001:db8:9::1
CAP_PIDS=()

mp_write_config() {
	cat >"$CFG" <<EOF
# usnet config written by tests/ns/lib_multipath.sh
link add p0 type af_packet dev $IF_A
link add p1 type af_packet dev $IF_B
link add p2 type af_packet dev $IF_C
link add p3 type af_packet dev $IF_D
addr add 10.1.0.1/24 dev p0
addr add 2001:db8:1::1/64 dev p0
addr add 10.2.0.1/24 dev p1
addr add 2001:db8:2::1/64 dev p1
addr add 10.3.0.1/24 dev p2
addr add 2001:db8:3::1/64 dev p2
addr add 10.4.0.1/24 dev p3
addr add 2001:db8:4::1/64 dev p3
${1:-}
link set p0 up
link set p1 up
link set p2 up
link set p3 up
EOF
}

# Wait until NS's interface IF is up and no IPv6 address is tentative.
mp_wait_if() {
	local ns=$1 ifn=$2 i
	for ((i = 0; i < 100; i++)); do
		ip -n "$ns" link show "$ifn" | grep -q LOWER_UP &&
			[ -z "$(ip -n "$ns" -6 addr show tentative)" ] && return 0
		sleep 0.1
	done
	fail "$ns: $ifn not up or IPv6 still tentative after 10 s"
}

# The topology with usnet running; $1: extra config lines (routes, ...).
mp_topo_up() {
	[ "$DRIVER" = af_packet ] || skip "the multipath topology uses af_packet only"
	topo_namespaces
	ns_add "$NS_H3"
	nsx "$NS_H3" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.accept_ra=0
	ip -n "$NS_R" link add "$IF_A" type veth peer name eth0 netns "$NS_H1" &&
	ip -n "$NS_R" link add "$IF_B" type veth peer name eth0 netns "$NS_H2" &&
	ip -n "$NS_R" link add "$IF_C" type veth peer name eth1 netns "$NS_H2" &&
	ip -n "$NS_R" link add "$IF_D" type veth peer name eth0 netns "$NS_H3" ||
		fail "cannot create the veth pairs"
	local ifn
	for ifn in "$IF_A" "$IF_B" "$IF_C" "$IF_D"; do
		ip -n "$NS_R" link set "$ifn" up
	done
	mp_write_config "${1:-}"
	usnet_start
	host_config "$NS_H1" eth0 1
	host_config "$NS_H2" eth0 2
	host_config "$NS_H3" eth0 4
	nsx "$NS_H2" sysctl -qw net.ipv6.conf.eth1.disable_ipv6=0 \
		net.ipv6.conf.eth1.accept_dad=0 net.ipv6.conf.eth1.accept_ra=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.eth1.rp_filter=0
	ip -n "$NS_H2" link set eth1 up
	ip -n "$NS_H2" addr add 10.3.0.2/24 dev eth1
	ip -n "$NS_H2" addr add 2001:db8:3::2/64 dev eth1 nodad
	ip -n "$NS_H2" addr add "$SVC4/32" dev lo
	ip -n "$NS_H2" addr add "$SVC6/128" dev lo
	mp_wait_if "$NS_H1" eth0
	mp_wait_if "$NS_H2" eth0
	mp_wait_if "$NS_H2" eth1
	mp_wait_if "$NS_H3" eth0
	log "multipath topology up: usnet pid $USNET_PID, socket $SOCK"
}

# usnet's neighbors on both paths to h2, static: no first-packet queueing.
mp_prime_neighbors() {
	ctl neigh add 10.2.0.2 lladdr "$(mp_mac "$NS_H2" eth0)" dev p1 >/dev/null &&
	ctl neigh add 10.3.0.2 lladdr "$(mp_mac "$NS_H2" eth1)" dev p2 >/dev/null &&
	ctl neigh add 2001:db8:2::2 lladdr "$(mp_mac "$NS_H2" eth0)" dev p1 >/dev/null &&
	ctl neigh add 2001:db8:3::2 lladdr "$(mp_mac "$NS_H2" eth1)" dev p2 >/dev/null ||
		fail "cannot add the neighbors of h2"
}

mp_mac() { # NS IF
	ip -n "$1" link show "$2" | awk '/link\/ether/ { print $2 }'
}

# UDP sink (ports 9000, 5000-5099 and 6000) and TCP sink (9001, 5050)
# on h2, both families; waits until they listen.
mp_sink_start() {
	bg_start ip netns exec "$NS_H2" "$PY" -c '
import selectors, socket
sel = selectors.DefaultSelector()
def sock(kind, port):
    s = socket.socket(socket.AF_INET6, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.setblocking(False)
    return s
for p in [9000, 6000] + list(range(5000, 5100)):
    sel.register(sock(socket.SOCK_DGRAM, p), selectors.EVENT_READ, "udp")
for p in (9001, 5050):
    l = sock(socket.SOCK_STREAM, p)
    l.listen(512)
    sel.register(l, selectors.EVENT_READ, "listen")
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if key.data == "udp":
            try:
                s.recv(65536)
            except OSError:
                pass
        elif key.data == "listen":
            try:
                c, _ = s.accept()
            except OSError:
                continue
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ, "conn")
        else:
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if not d:
                sel.unregister(s)
                s.close()
' >"$TMPD/sink.log" 2>&1
	local i
	for ((i = 0; i < 50; i++)); do
		nsx "$NS_H2" ss -ltn 2>/dev/null | grep -q ':9001 ' &&
			nsx "$NS_H2" ss -lun 2>/dev/null | grep -q ':9000 ' && return 0
		sleep 0.1
	done
	fail "the sink did not start listening in h2"
}

# mp_flows NS PROTO DST DPORT SPORT0 N PKTS [SRC]: N flows from NS to
# DST:DPORT with source ports SPORT0.., each carrying PKTS packets (UDP
# datagrams, or TCP segments of 1000 bytes after the handshake). Paced to
# stay far below what the rings hold. Fails when a flow cannot be sent.
mp_flows() {
	local ns=$1
	shift
	nsx "$ns" timeout 120 "$PY" - "$@" <<'PYEOF' || fail "flow generator failed: $*"
import socket, struct, sys, time
proto, dst, dport, sport0, n, pkts = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
src = sys.argv[7] if len(sys.argv) > 7 else ""
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
sent = 0
for i in range(n):
    kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
    s = socket.socket(fam, kind)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport0 + i))
    if proto == "udp":
        for k in range(pkts):
            s.sendto(b"u" * 200, (dst, dport))
            sent += 1
            if sent % 20 == 0:
                time.sleep(0.003)
    else:
        s.settimeout(10)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.connect((dst, dport))
        for k in range(pkts):
            s.send(b"t" * 1000)
            time.sleep(0.0005)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.002)
    s.close()
print("%d %s flows sent to %s:%d" % (n, proto, dst, dport))
PYEOF
}

# Capture what arrives on h2's eth0 and eth1 (to the service addresses).
mp_cap_start() {
	local ifn
	CAP_PIDS=()
	for ifn in eth0 eth1; do
		rm -f "$TMPD/cap-$ifn.pcap" "$TMPD/cap-$ifn.err"
		bg_start ip netns exec "$NS_H2" tcpdump -i "$ifn" -Q in -n -U --immediate-mode -s 96 -B 32768 \
			-w "$TMPD/cap-$ifn.pcap" \
			"dst host $SVC4 or dst host $SVC6 or dst host 10.2.0.2 or dst host 10.3.0.2" \
			2>"$TMPD/cap-$ifn.err"
		CAP_PIDS+=("$BG_LAST")
	done
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q "listening on eth0" "$TMPD/cap-eth0.err" 2>/dev/null &&
			grep -q "listening on eth1" "$TMPD/cap-eth1.err" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "tcpdump did not start on h2 ($(cat "$TMPD"/cap-*.err))"
}

mp_cap_stop() {
	local pid
	sleep 0.3
	for pid in "${CAP_PIDS[@]}"; do
		kill -INT "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if grep -h "dropped by kernel" "$TMPD"/cap-*.err | grep -qv "^0 "; then
		cat "$TMPD"/cap-*.err
		fail "tcpdump lost packets"
	fi
	return 0
}

# mp_cap_flows PROTO SPORT0 N [SRC]: which interface each of the N flows
# (source ports SPORT0.., protocol PROTO, from SRC when given) arrived on.
# Writes JSON to $TMPD/flows.json: {"eth0": flows, "eth1": flows, "both":
# flows seen on both, "missing": flows never seen, "map": {sport: iface}}
# and prints a summary line.
mp_cap_flows() {
	"$PY" - "$TMPD" "$@" <<'PYEOF'
import json, socket, struct, sys
tmpd, proto, sport0, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
src = sys.argv[5] if len(sys.argv) > 5 else None
pnum = {"udp": 17, "tcp": 6, "icmp": 1}[proto]

def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        yield data[off + 16:off + 16 + incl]
        off += 16 + incl

def parse(frame):
    et = struct.unpack("!H", frame[12:14])[0]
    ip = frame[14:]
    if et == 0x0800:
        p, saddr, l4 = ip[9], socket.inet_ntop(socket.AF_INET, ip[12:16]), ip[(ip[0] & 15) * 4:]
    elif et == 0x86dd:
        p, saddr, l4 = ip[6], socket.inet_ntop(socket.AF_INET6, ip[8:24]), ip[40:]
    else:
        return None
    if p != pnum or len(l4) < 4:
        return None
    return saddr, struct.unpack("!H", l4[:2])[0]

seen = {}
for ifn in ("eth0", "eth1"):
    for fr in packets("%s/cap-%s.pcap" % (tmpd, ifn)):
        k = parse(fr)
        if not k or (src and k[0] != src) or not sport0 <= k[1] < sport0 + n:
            continue
        seen.setdefault(k[1], set()).add(ifn)
res = {"eth0": 0, "eth1": 0, "both": 0, "missing": n - len(seen), "map": {}}
for port, ifs in seen.items():
    if len(ifs) > 1:
        res["both"] += 1
        res["map"][port] = "both"
    else:
        i = ifs.pop()
        res[i] += 1
        res["map"][port] = i
json.dump(res, open(tmpd + "/flows.json", "w"))
tot = max(1, res["eth0"] + res["eth1"])
print("%d %s flows: eth0(p1) %d (%.1f%%), eth1(p2) %d (%.1f%%), on both %d, missing %d"
      % (n, proto, res["eth0"], 100.0 * res["eth0"] / tot, res["eth1"],
         100.0 * res["eth1"] / tot, res["both"], res["missing"]))
PYEOF
}

# Fail unless the last mp_cap_flows saw every flow, each on one interface,
# with a share of eth0 within +-15% (relative) of WANT (percent).
mp_expect_split() { # WANT_ETH0_PERCENT WHAT
	"$PY" - "$TMPD/flows.json" "$1" <<'PYEOF' || fail "$2: flows not split as expected"
import json, sys
r = json.load(open(sys.argv[1])); want = float(sys.argv[2])
bad = []
if r["missing"]:
    bad.append("%d flows never arrived" % r["missing"])
if r["both"]:
    bad.append("%d flows took both paths" % r["both"])
tot = r["eth0"] + r["eth1"]
share = 100.0 * r["eth0"] / tot if tot else 0
for w, s, name in ((want, share, "p1"), (100 - want, 100 - share, "p2")):
    if w and abs(s - w) > 0.15 * w:
        bad.append("%s got %.1f%% of the flows, want %.1f%% +-15%%" % (name, s, w))
    if not w and s:
        bad.append("%s got %.1f%% of the flows, want none" % (name, s))
for b in bad:
    print("split:", b)
sys.exit(1 if bad else 0)
PYEOF
}

# Every flow of the last analysis on interface IF (eth0 or eth1).
mp_expect_all_on() { # IF WHAT
	"$PY" - "$TMPD/flows.json" "$1" <<'PYEOF' || fail "$2: not every flow arrived on $1"
import json, sys
r = json.load(open(sys.argv[1])); want = sys.argv[2]
n = r["eth0"] + r["eth1"] + r["both"]
ok = r["missing"] == 0 and r["both"] == 0 and r[want] == n and n > 0
if not ok:
    print("flows:", {k: v for k, v in r.items() if k != "map"})
sys.exit(0 if ok else 1)
PYEOF
}

# tx_packets of usnet device DEV now.
mp_tx() {
	ctlj stats dev "$1" >"$TMPD/tx.json" || fail "usnetctl stats dev $1 failed"
	jget "$TMPD/tx.json" "j['devices'][0]['tx_packets']"
}
