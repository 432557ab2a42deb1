# shellcheck shell=bash
# Topology of the bond namespace tests (test_bond*.sh), on top of lib.sh.
# Sourced, not run. No Linux host can bond here (no bonding module), so the
# far side is a Linux bridge in h2 with h2's addresses on it:
#
#   h1 eth0 ---- p0 [usnet in r]  bond0 = p1 + p2 ---- b1 \
#   10.1.0.2          10.1.0.1    10.2.0.1        ---- b2 -- br0 (h2)
#   2001:db8:1::2     2001:db8:1::1  2001:db8:2::1            10.2.0.2
#                                                             2001:db8:2::2
#
# p0, p1, p2 are af_packet ports on the r-side veth ends ua$ID, ub$ID, uc$ID;
# b1/b2 are their peers in h2, enslaved to br0 (STP off, no forward delay,
# no multicast snooping). bond_topo_up MODE_ARGS starts it all.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

IF_C=uc$ID

# The usnet config; $1: bond0's arguments after `type bond`.
bond_write_config() {
	cat >"$CFG" <<EOF
# usnet config written by tests/ns/lib_bond.sh
link add p0 type af_packet dev $IF_A
link add p1 type af_packet dev $IF_B
link add p2 type af_packet dev $IF_C
link add bond0 type bond $1
link set p1 master bond0
link set p2 master bond0
addr add 10.1.0.1/24 dev p0
addr add 2001:db8:1::1/64 dev p0
addr add 10.2.0.1/24 dev bond0
addr add 2001:db8:2::1/64 dev bond0
link set p0 up
link set bond0 up
EOF
}

# Wait (10 s at most) until DEV in NS says LOWER_UP and nothing is tentative.
bond_wait_link() {
	local ns=$1 dev=$2 i
	for ((i = 0; i < 100; i++)); do
		if ip -n "$ns" link show "$dev" | grep -q 'LOWER_UP' &&
			[ -z "$(ip -n "$ns" -6 addr show tentative)" ]; then
			return 0
		fi
		sleep 0.1
	done
	fail "$ns: $dev not up or IPv6 still tentative after 10 s"
}

bond_topo_up() {
	local ifn peer
	topo_namespaces
	ip -n "$NS_R" link add "$IF_A" type veth peer name eth0 netns "$NS_H1" ||
		fail "cannot create veth $IF_A"
	ip -n "$NS_H2" link add br0 type bridge forward_delay 0 stp_state 0 \
		mcast_snooping 0 || skip "no Linux bridge in a namespace"
	for peer in "$IF_B:b1" "$IF_C:b2"; do
		ifn=${peer%%:*}
		ip -n "$NS_R" link add "$ifn" type veth peer name "${peer#*:}" \
			netns "$NS_H2" || fail "cannot create veth $ifn"
		ip -n "$NS_R" link set "$ifn" up
		ip -n "$NS_H2" link set "${peer#*:}" master br0 up
	done
	ip -n "$NS_R" link set "$IF_A" up
	bond_write_config "$1"
	usnet_start
	host_config "$NS_H1" eth0 1
	host_config "$NS_H2" br0 2
	bond_wait_link "$NS_H1" eth0
	bond_wait_link "$NS_H2" br0
	log "bond topology up ($1): usnet pid $USNET_PID, socket $SOCK"
}

# `usnetctl -j link show bond0` into $TMPD/bond.json; echo a field of it.
bond_field() {
	ctlj link show bond0 >"$TMPD/bond.json" || fail "usnetctl link show bond0 failed"
	jget "$TMPD/bond.json" "j[0]['$1']"
}

# Wait (5 s at most) until bond0's active slave is $1.
bond_wait_active() {
	local i got
	for ((i = 0; i < 50; i++)); do
		got=$(bond_field active_slave)
		[ "$got" = "$1" ] && return 0
		sleep 0.1
	done
	ctl link show bond0
	fail "bond0: active slave is '$got', expected '$1'"
}

# tx_packets of a usnet device now.
bond_tx_of() {
	snap txof
	dev_counter "$(snapf txof)" "$1" tx_packets
}

# Check an iperf3 JSON result file: no error.
bond_iperf_ok() {
	"$PY" - "$1" <<'PYEOF' || fail "iperf3 run $1 failed"
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print("not JSON:", e); print(open(sys.argv[1]).read()[:2000]); sys.exit(1)
if j.get("error"):
    print("iperf3 error:", j["error"]); sys.exit(1)
PYEOF
}
