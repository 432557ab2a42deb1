#!/usr/bin/env bash
# ECMP through usnet over two real paths to h2 (lib_multipath.sh): many
# UDP and TCP flows (distinct source ports, several packets each) from h1
# to h2's service address, captured on h2's two interfaces:
#  1. classic multipath route 1:1 (L3+L4 hash policy), IPv4 and IPv6:
#     every flow on exactly one path, split within +-15% of 50/50;
#  2. nexthop group with weights 2:1 (`nexthop add id 10 group 1,2/2`,
#     route `nhid 10`): split within +-15% of 2/3 : 1/3;
#  3. `link set p2 down`: every flow on p1, the flows that were on p1 did
#     not move; `link set p2 up`: each flow back on its path of step 2;
#  4. hash policy 0 (L3): one IPv4 source/destination pair takes one path
#     whatever the ports; IPv6 policy 0 hashes the flow label (Linux sets
#     one per socket), so IPv6 flows still spread;
#  5. blackhole nexthop / group: ping fails and the drop counter
#     route_blackhole counts it; replacing the object restores forwarding.
# Prints the split figures.
. "$(dirname "$0")/lib_multipath.sh"
need_env ping tcpdump
mp_topo_up "sysctl net.ipv4.fib_multipath_hash_policy=1
sysctl net.ipv6.fib_multipath_hash_policy=1
route add $SVC4/32 nexthop via 10.2.0.2 dev p1 nexthop via 10.3.0.2 dev p2
route add $SVC6/128 nexthop via 2001:db8:2::2 dev p1 nexthop via 2001:db8:3::2 dev p2"
mp_prime_neighbors
mp_sink_start
FIGURES=()

# run_split NAME PROTO DST SPORT0 N PKTS [SRC]: send, capture, analyse.
run_split() {
	local name=$1 proto=$2 dst=$3 sport0=$4 n=$5 pkts=$6 src=${7:-}
	local b1 b2
	b1=$(mp_tx p1)
	b2=$(mp_tx p2)
	mp_cap_start
	mp_flows "$NS_H1" "$proto" "$dst" "$([ "$proto" = udp ] && echo 9000 || echo 9001)" \
		"$sport0" "$n" "$pkts" $src
	mp_cap_stop
	local line
	line=$(mp_cap_flows "$proto" "$sport0" "$n")
	log "$name: $line; usnet tx p1 +$(($(mp_tx p1) - b1)) p2 +$(($(mp_tx p2) - b2)) packets"
	FIGURES+=("$name: $line")
}

log "1. classic multipath, 1:1, L3+L4 hash"
ctl route show $SVC4/32
run_split "udp4 1:1" udp $SVC4 20000 1000 4
mp_expect_split 50 "udp4 1:1"
run_split "tcp4 1:1" tcp $SVC4 30000 400 3
mp_expect_split 50 "tcp4 1:1"
run_split "udp6 1:1" udp $SVC6 21000 600 3
mp_expect_split 50 "udp6 1:1"
run_split "tcp6 1:1" tcp $SVC6 31000 300 3
mp_expect_split 50 "tcp6 1:1"

log "2. nexthop group 2:1"
ctl nexthop add id 1 via 10.2.0.2 dev p1 || fail "nexthop add id 1"
ctl nexthop add id 2 via 10.3.0.2 dev p2 || fail "nexthop add id 2"
ctl nexthop add id 10 group 1,2/2 || fail "nexthop add group 10"
ctl nexthop add id 11 via 2001:db8:2::2 dev p1 || fail "nexthop add id 11"
ctl nexthop add id 12 via 2001:db8:3::2 dev p2 || fail "nexthop add id 12"
ctl nexthop add id 20 group 11,2/12 || fail "nexthop add group 20"
ctl route replace $SVC4/32 nhid 10 || fail "route replace nhid 10"
ctl route replace $SVC6/128 nhid 20 || fail "route replace nhid 20"
ctl nexthop show
ctl route show $SVC4/32
run_split "udp4 2:1" udp $SVC4 22000 1000 4
mp_expect_split 66.67 "udp4 2:1"
cp "$TMPD/flows.json" "$TMPD/flows-2to1.json"
run_split "tcp4 2:1" tcp $SVC4 32000 400 3
mp_expect_split 66.67 "tcp4 2:1"
run_split "udp6 2:1" udp $SVC6 23000 600 3
mp_expect_split 66.67 "udp6 2:1"

log "3. p2 down: its flows move to p1, the others stay; p2 up: all back"
ctl link set p2 down || fail "link set p2 down"
ctl nexthop show | grep -q "id 2 via 10.3.0.2 dev p2 scope global linkdown" ||
	fail "nexthop show does not mark nexthop 2 linkdown"
run_split "udp4 2:1, p2 down" udp $SVC4 22000 1000 4
mp_expect_all_on eth0 "udp4 with p2 down"
ctl link set p2 up || fail "link set p2 up"
run_split "udp4 2:1, p2 up again" udp $SVC4 22000 1000 4
"$PY" - "$TMPD/flows-2to1.json" "$TMPD/flows.json" <<'PYEOF' || fail "flows did not return to their paths"
import json, sys
a, b = (json.load(open(f))["map"] for f in sys.argv[1:3])
moved = [p for p in a if a[p] != b.get(p)]
print("%d of %d flows on another path than before the link went down" % (len(moved), len(a)))
sys.exit(1 if moved or len(a) != len(b) else 0)
PYEOF

log "4. hash policy 0 (L3)"
ctl sysctl net.ipv4.fib_multipath_hash_policy=0 net.ipv6.fib_multipath_hash_policy=0 ||
	fail "sysctl policy 0"
run_split "udp4 policy 0" udp $SVC4 24000 300 2
"$PY" - "$TMPD/flows.json" <<'PYEOF' || fail "policy 0: one address pair must take one path"
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["missing"] == 0 and r["both"] == 0 and 0 in (r["eth0"], r["eth1"]) else 1)
PYEOF
run_split "udp6 policy 0 (flow label)" udp $SVC6 25000 600 3
mp_expect_split 66.67 "udp6 policy 0"
ctl sysctl net.ipv4.fib_multipath_hash_policy=1 >/dev/null

log "5. blackhole nexthop and group"
ctl nexthop add id 3 blackhole || fail "nexthop add blackhole"
ctl route replace $SVC4/32 nhid 3 || fail "route replace nhid 3"
ctl route get $SVC4
snap bh0
out=$(nsx "$NS_H1" ping -n -c 3 -i 0.2 -W 1 $SVC4 2>&1)
echo "$out" | grep -q " 0 received" || fail "ping through a blackhole nexthop was answered"
sleep 0.2
snap bh1
d=$(($(drops_of "$(snapf bh1)" route_blackhole) - $(drops_of "$(snapf bh0)" route_blackhole)))
[ "$d" = 3 ] || fail "route_blackhole grew by $d, want 3"
ctl nexthop replace id 3 via 10.3.0.2 dev p2 || fail "nexthop replace id 3"
ping_all "$NS_H1" 3 $SVC4
ctl route replace $SVC4/32 nhid 10 || fail "route replace nhid 10"
ctl nexthop add id 4 blackhole || fail "nexthop add id 4"
ctl nexthop replace id 10 group 4 || fail "nexthop replace group 10 by a blackhole group"
out=$(nsx "$NS_H1" ping -n -c 3 -i 0.2 -W 1 $SVC4 2>&1)
echo "$out" | grep -q " 0 received" || fail "ping through a blackhole group was answered"
ctl nexthop replace id 10 group 1/2 || fail "nexthop replace group 10"
ping_all "$NS_H1" 3 $SVC4

usnet_alive
check_conservation
echo "FIGURES:"
for f in "${FIGURES[@]}"; do
	echo "  $f"
done
