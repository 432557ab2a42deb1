#!/usr/bin/env bash
# 802.3ad (LACP) between two usnet instances (this kernel has no bonding
# module, so no Linux bond can be the partner), with real hosts behind them:
#
#   h1 eth0 -- p0 [usnet A in ra] bond0 = p1 ====== p1 bond0 [usnet B in rb] p0 -- eth0 h2
#   10.1.0.2                10.12.0.1   p2 =[m]= p2   10.12.0.2            10.2.0.2
#                                       p3 -- eth0 s (scapy)
#
# A.p1 <-> B.p1 is a veth pair; A.p2 <-> B.p2 runs through namespace m
# (two veths joined by tc u32+mirred redirects), so that link 2 can fall
# silent with its carrier up (redirects removed). A.p3 faces a scapy namespace that plays a silent partner.
#  - LACP negotiates: p1 and p2 reach collecting+distributing on both sides,
#    partner system = the other bond's; A.p3 (silent partner) is defaulted,
#    out of the aggregator, and carries no data;
#  - ping v4/v6 h1 <-> h2 across the bond; 64 UDP flows and iperf3 -P 8
#    spread over p1 and p2 (each >= 15% of the UDP frames);
#  - link 1's kernel side down: both sides drop p1, every UDP datagram goes
#    through p2; link 1 up: re-aggregated;
#  - link 2 silent (tc drop in m, carrier up): after the partner timeout
#    both sides take p2 out, every datagram goes through p1; restored:
#    re-aggregated;
#  - scapy on p3: malformed LACPDUs are counted drops (lacp_malformed), a
#    Marker PDU is counted (slow_proto_unhandled), data on the
#    non-collecting p3 is counted (bond_not_collecting), a valid partner
#    from a third system makes p3 current but it stays detached;
#  - both usnets stay up; packet conservation holds on every device.
# Prints FIGURES: the UDP and TCP split.
. "$(dirname "$0")/lib.sh"
need_env ping iperf3 tc
"$PY" -c 'import scapy.all' 2>/dev/null || skip "scapy not importable by $PY"

NS_RA=usn-ra-$ID
NS_RB=usn-rb-$ID
NS_M=usn-m-$ID
NS_S=usn-s-$ID
L1A=xa$ID L1B=xb$ID     # link 1: one veth pair
L2A=ya$ID L2B=yb$ID     # link 2: ya <-> wa (m) mirred wb <-> yb
L3A=za$ID               # A.p3 <-> eth0 in s
PID_A= PID_B=

# use_inst A|B: point lib.sh's usnet variables at that instance.
use_inst() {
	case $1 in
	A) NS_R=$NS_RA USNET_PID=$PID_A ;;
	B) NS_R=$NS_RB USNET_PID=$PID_B ;;
	esac
	SOCK=$TMPD/$1.sock CFG=$TMPD/$1.conf USNET_ERR=$TMPD/$1.stderr
}

# usnetctl on instance $1.
ctl_of() {
	local i=$1
	shift
	"$USNETCTL" -s "$TMPD/$i.sock" "$@"
}

lacp_cleanup() {
	local rc=$?
	trap - EXIT
	if [ -n "$PID_B" ]; then
		use_inst B
		if [ "$rc" != 0 ] && [ "$rc" != 77 ] && pid_alive "$USNET_PID"; then
			echo "---- usnet B state at failure ----"
			timeout 5 "$USNETCTL" -s "$SOCK" stats 2>&1
			timeout 5 "$USNETCTL" -s "$SOCK" link show bond0 2>&1
		fi
		usnet_stop || { [ "$rc" = 0 ] && rc=1; }
	fi
	use_inst A
	(exit "$rc")
	ns_cleanup
}
trap lacp_cleanup EXIT
use_inst A

quiet_ns() {
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0
}

topo() {
	local ns
	for ns in "$NS_H1" "$NS_RA" "$NS_RB" "$NS_H2" "$NS_M" "$NS_S"; do
		ns_add "$ns"
	done
	for ns in "$NS_RA" "$NS_RB" "$NS_M" "$NS_S"; do
		quiet_ns "$ns"
	done
	hosts_quiet "$NS_H1" "$NS_H2"
	ip -n "$NS_RA" link add "$IF_A" type veth peer name eth0 netns "$NS_H1" &&
	ip -n "$NS_RB" link add "$IF_B" type veth peer name eth0 netns "$NS_H2" &&
	ip -n "$NS_RA" link add "$L1A" type veth peer name "$L1B" netns "$NS_RB" &&
	ip -n "$NS_RA" link add "$L2A" type veth peer name wa netns "$NS_M" &&
	ip -n "$NS_RB" link add "$L2B" type veth peer name wb netns "$NS_M" &&
	ip -n "$NS_RA" link add "$L3A" type veth peer name eth0 netns "$NS_S" ||
		fail "cannot create the veths"
	for ns in "$NS_RA:$IF_A" "$NS_RA:$L1A" "$NS_RA:$L2A" "$NS_RA:$L3A" \
		"$NS_RB:$IF_B" "$NS_RB:$L1B" "$NS_RB:$L2B" "$NS_M:wa" "$NS_M:wb" \
		"$NS_S:eth0"; do
		ip -n "${ns%%:*}" link set dev "${ns#*:}" up ||
			fail "cannot bring ${ns#*:} up in ${ns%%:*}"
	done
	nsx "$NS_M" tc qdisc add dev wa ingress &&
	nsx "$NS_M" tc qdisc add dev wb ingress || fail "no ingress qdisc in m"
	wire_on || skip "tc u32/mirred not available"
}

# Link 2's wire in m: every frame arriving on wa leaves on wb and back.
# Without it, m's kernel (no address, no forwarding) swallows them.
wire_on() {
	nsx "$NS_M" tc filter add dev wa ingress pref 10 protocol all u32 \
		match u32 0 0 action mirred egress redirect dev wb &&
	nsx "$NS_M" tc filter add dev wb ingress pref 10 protocol all u32 \
		match u32 0 0 action mirred egress redirect dev wa
}
wire_off() {
	nsx "$NS_M" tc filter del dev wa ingress pref 10 &&
	nsx "$NS_M" tc filter del dev wb ingress pref 10
}

# usnet config of instance $1 (A or B): n = 1 or 2 (h1's or h2's side).
write_cfg() {
	local me=$1 n=$2 o=$3 p0=$4 l1=$5 l2=$6 extra=${7:-}
	cat >"$TMPD/$me.conf" <<EOF
# usnet $me, written by tests/ns/test_bond_lacp.sh
link add p0 type af_packet dev $p0
link add p1 type af_packet dev $l1
link add p2 type af_packet dev $l2
$extra
link add bond0 type bond mode 802.3ad lacp_rate fast xmit_hash_policy layer3+4 miimon 100
link set p1 master bond0
link set p2 master bond0
${extra:+link set p3 master bond0}
addr add 10.$n.0.1/24 dev p0
addr add 2001:db8:$n::1/64 dev p0
addr add 10.12.0.$n/24 dev bond0
addr add 2001:db8:12::$n/64 dev bond0
route add 10.$o.0.0/24 via 10.12.0.$o
route add 2001:db8:$o::/64 via 2001:db8:12::$o
link set p0 up
link set bond0 up
EOF
}

# lacp_is INST SLAVE FIELD VALUE: is bond0's SLAVE lacp FIELD VALUE now?
# (booleans are True/False)
lacp_is() {
	ctl_of "$1" -j link show bond0 >"$TMPD/$1.bond.json" 2>/dev/null || return 1
	[ "$(jget "$TMPD/$1.bond.json" "[s for s in j[0]['slaves'] if s['ifname']=='$2'][0]['lacp']['$3']")" = "$4" ]
}

# wait_for SECS WHAT CMD...: poll CMD every 0.2 s for SECS at most.
wait_for() {
	local secs=$1 what=$2 k
	shift 2
	for ((k = 0; k < secs * 5; k++)); do
		"$@" && return 0
		sleep 0.2
	done
	echo "# A:"; ctl_of A link show bond0
	echo "# B:"; ctl_of B link show bond0
	fail "$what: not so within $secs s"
}

both_dist() { # both_dist SLAVE True|False
	lacp_is A "$1" distributing "$2" && lacp_is B "$1" distributing "$2"
}
all_dist() { both_dist p1 True && both_dist p2 True; }

# Counter FIELD of DEV in instance INST now.
counter() { # counter INST DEV FIELD
	ctl_of "$1" -j stats >"$TMPD/$1.stats.json" || fail "usnetctl -j stats on $1 failed"
	dev_counter "$TMPD/$1.stats.json" "$2" "$3"
}
rx_drop() { # rx_drop INST DEV REASON
	ctl_of "$1" -j stats >"$TMPD/$1.stats.json" || fail "usnetctl -j stats on $1 failed"
	jget "$TMPD/$1.stats.json" "[d for d in j['devices'] if d['ifname']=='$2'][0]['rx_drops'].get('$3', 0)"
}

# udp_flows NAME: 64 flows x 20 datagrams h1 -> h2:9 (closed); sets D1, D2:
# the frames B's p1, p2 received and passed up to its bond meanwhile (data
# only: LACPDUs are not passed up; a non-collecting slave passes nothing,
# so a datagram A sends on it never reaches h2). Every datagram must reach h2.
udp_flows() {
	local n0 a1 a2 got k
	n0=$(udp_noports "$NS_H2")
	a1=$(counter B p1 to_upper)
	a2=$(counter B p2 to_upper)
	udp_64_flows "$NS_H1" 10.1.0.2 10.2.0.2 || fail "$1: UDP sender failed"
	for ((k = 0; k < 25; k++)); do
		got=$(($(udp_noports "$NS_H2") - n0))
		[ "$got" -ge 1280 ] && break
		sleep 0.2
	done
	D1=$(($(counter B p1 to_upper) - a1))
	D2=$(($(counter B p2 to_upper) - a2))
	log "$1: 1280 datagrams sent, h2 got $got; $D1 frames crossed link 1, $D2 link 2"
	[ "$got" -ge 1280 ] || fail "$1: h2 received $got of 1280 datagrams"
}

need_env ping
topo
write_cfg A 1 2 "$IF_A" "$L1A" "$L2A" "link add p3 type af_packet dev $L3A"
write_cfg B 2 1 "$IF_B" "$L1B" "$L2B"
use_inst A
usnet_start
PID_A=$USNET_PID
use_inst B
usnet_start
PID_B=$USNET_PID
use_inst A
host_config "$NS_H1" eth0 1
host_config "$NS_H2" eth0 2
hosts_wait_ready
log "two usnets up: A pid $PID_A, B pid $PID_B"

log "LACP negotiation"
wait_for 20 "p1 and p2 collecting+distributing on A and B" all_dist
MAC_A=$(jget "$TMPD/A.bond.json" "j[0]['ad_actor_system']")
wait_for 5 "B's partner is A" lacp_is B p1 partner_system "$MAC_A"
MAC_B=$(jget "$TMPD/B.bond.json" "j[0]['ad_actor_system']")
for s in p1 p2; do
	lacp_is A "$s" partner_system "$MAC_B" || fail "A.$s: partner is not B ($MAC_B)"
	lacp_is A "$s" collecting True || fail "A.$s not collecting"
	lacp_is A "$s" aggregator_id 1 || fail "A.$s not in aggregator 1"
	lacp_is B "$s" partner_state_flags \
		activity,timeout,aggregation,synchronization,collecting,distributing ||
		fail "B.$s: A's state bits not as expected"
done
wait_for 15 "A.p3 (silent partner) defaulted" lacp_is A p3 rx_state defaulted
lacp_is A p3 distributing False || fail "A.p3 distributing with a silent partner"
lacp_is A p3 aggregator_id 0 || fail "A.p3 in the aggregator with a silent partner"
ctl_of A link show bond0
ctl_of B link show bond0

log "ping across the bond"
ping_all "$NS_H1" 3 10.2.0.2
ping_all "$NS_H2" 3 10.1.0.2
ping_all "$NS_H1" 3 -6 2001:db8:2::2
ping_all "$NS_H1" 3 10.12.0.2

log "UDP flows spread over p1 and p2"
udp_flows spread
[ "$D1" -ge 192 ] && [ "$D2" -ge 192 ] ||
	fail "flows not spread over both links (p1 $D1, p2 $D2 frames; each must be >= 15% of 1280)"
UDP="UDP 64 flows: p1 $D1 / p2 $D2 frames"

log "iperf3 TCP, 8 parallel streams (frames h1 -> h2 that crossed each link)"
b_to_upper() { counter B "$1" to_upper; }
tcp8_two_links 3 b_to_upper

log "link 1 down (kernel side of A.p1): everything on p2"
ip -n "$NS_RA" link set dev "$L1A" down
wait_for 10 "p1 out of distribution on A and B" both_dist p1 False
udp_flows link1_down
[ "$D1" = 0 ] && [ "$D2" -ge 1280 ] || fail "with link 1 down: p1 $D1, p2 $D2 frames"
ping_all "$NS_H1" 3 10.2.0.2
ip -n "$NS_RA" link set dev "$L1A" up
wait_for 20 "link 1 re-aggregated" all_dist
udp_flows link1_back
[ "$D1" -ge 192 ] && [ "$D2" -ge 192 ] || fail "after link 1 came back: p1 $D1, p2 $D2 frames"

log "link 2 silent (carrier up): the partner timeout takes p2 out"
wire_off || fail "cannot cut link 2's wire"
p2_timed_out() { lacp_is A p2 rx_state expired || lacp_is A p2 rx_state defaulted; }
wait_for 10 "p2 expired on A" p2_timed_out
[ "$(jget "$TMPD/A.bond.json" "[s for s in j[0]['slaves'] if s['ifname']=='p2'][0]['link']")" = up ] || fail "A.p2's link went down: the test wants a silent link"
wait_for 10 "p2 out of distribution on A and B" both_dist p2 False
udp_flows link2_silent
[ "$D2" = 0 ] && [ "$D1" -ge 1280 ] || fail "with link 2 silent: p1 $D1, p2 $D2 frames"
wire_on || fail "cannot restore link 2's wire"
wait_for 20 "link 2 re-aggregated" all_dist
udp_flows link2_back
[ "$D1" -ge 192 ] && [ "$D2" -ge 192 ] || fail "after link 2 came back: p1 $D1, p2 $D2 frames"

log "scapy on A.p3: malformed LACPDUs, a Marker, data on a non-collecting slave"
BOND_MAC_A=$(ctl_of A -j link show bond0 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
m0=$(rx_drop A p3 lacp_malformed)
u0=$(rx_drop A p3 slow_proto_unhandled)
c0=$(rx_drop A p3 bond_not_collecting)
nsx "$NS_S" "$PY" - "$BOND_MAC_A" <<'PYEOF' || fail "scapy sender failed"
import struct, sys
from scapy.all import Ether, IP, ICMP, Raw, sendp
bond_mac = sys.argv[1]
SLOW = "01:80:c2:00:00:02"
ME = "02:99:00:00:00:01"
def info(t, sys_mac, key, port, state):
    return struct.pack("!BBH6sHHHB3x", t, 20, 1, bytes.fromhex(sys_mac.replace(":", "")),
                       key, 255, port, state)
def lacpdu(state=0x3f, ver=1):
    body = bytes([1, ver]) + info(1, ME, 7, 1, state) + info(2, "00:00:00:00:00:00", 0, 0, 0)
    body += bytes([3, 16]) + bytes(14) + bytes([0, 0]) + bytes(50)
    assert len(body) == 110
    return body
good = lacpdu()
bad = [
    good[:40],                          # truncated
    good[:1] + b"\x00" + good[2:],      # version 0
    good[:3] + b"\x13" + good[4:],      # actor length 19
    good[:58] + b"\x05\x02" + good[60:],  # bad terminator
]
def slow(payload):
    return Ether(dst=SLOW, src=ME, type=0x8809) / Raw(payload)
for b in bad:
    sendp(slow(b), iface="eth0", verbose=False)
sendp(slow(bytes([2, 1, 1, 16]) + bytes(106)), iface="eth0", verbose=False)  # Marker
sendp(Ether(dst=bond_mac, src=ME) / IP(src="10.12.0.99", dst="10.12.0.1") / ICMP(),
      iface="eth0", verbose=False)
# a valid partner from a third system: current, but another aggregator
for i in range(6):
    sendp(slow(good), iface="eth0", verbose=False)
    import time; time.sleep(0.3)
PYEOF
drops_reach() { # drops_reach REASON BASE N
	[ $(($(rx_drop A p3 "$1") - $2)) -ge "$3" ]
}
wait_for 5 "4 lacp_malformed drops on A.p3" drops_reach lacp_malformed "$m0" 4
wait_for 5 "1 slow_proto_unhandled drop on A.p3" drops_reach slow_proto_unhandled "$u0" 1
wait_for 5 "1 bond_not_collecting drop on A.p3" drops_reach bond_not_collecting "$c0" 1
[ $(($(rx_drop A p3 lacp_malformed) - m0)) = 4 ] || fail "A.p3: lacp_malformed is not 4"
[ $(($(rx_drop A p3 slow_proto_unhandled) - u0)) = 1 ] || fail "A.p3: slow_proto_unhandled is not 1"
wait_for 5 "A.p3 current with the scapy partner" lacp_is A p3 rx_state current
lacp_is A p3 partner_system 02:99:00:00:00:01 || fail "A.p3: partner is not scapy's system"
lacp_is A p3 mux_state detached || fail "A.p3 (third system) not detached"
lacp_is A p3 distributing False || fail "A.p3 (third system) distributing"
all_dist || fail "the aggregation suffered from scapy's frames"
# p3 never carried data: everything it sent was LACPDUs
p3tx=$(counter A p3 tx_packets)
ctl_of A -j link show bond0 >"$TMPD/A.bond.json" || fail "link show bond0 on A failed"
p3lacp=$(jget "$TMPD/A.bond.json" "[s for s in j[0]['slaves'] if s['ifname']=='p3'][0]['lacp']['lacpdu_tx']")
[ "$p3tx" -le "$p3lacp" ] || fail "A.p3 sent $p3tx frames, only $p3lacp of them LACPDUs"
log "A.p3: $p3tx frames sent, all LACPDUs"

ping_all "$NS_H1" 3 10.2.0.2
echo "FIGURES bond 802.3ad layer3+4 between two usnets: $UDP; $TCP"
for inst in A B; do
	use_inst "$inst"
	usnet_alive
	check_conservation
done
use_inst A
