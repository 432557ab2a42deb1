#!/usr/bin/env bash
# Policy rules inside a VRF, with real hosts:
#
#   h1 10.1.0.2 --a1 [red t10] a2-- h2 10.2.0.2  (+ 10.9.0.1 on lo)
#                          [   ] a4-- h4 10.4.0.2  (+ 10.9.0.1 on lo)
#                   [main] m3-- h3 10.3.0.2      (main table only)
#
# Table 10 sends the service address 10.9.0.1 to h2, table 20 to h4; both
# answer from it, so the host whose iperf3 server accepts the test is the
# table usnet used. Checks:
#  - the l3mdev rule (1000) is there with the VRF; `route get` names it;
#  - without rules the VRF is isolated: h1 -> h3 gets net unreachable from
#    usnet (10.1.0.1), TCP/UDP to the service reach h2 (table 10);
#  - `rule add pref 500 iif red from 10.1.0.0/24 dport 5201 lookup 20`
#    moves TCP and UDP to port 5201 onto table 20 (h4), `route get` says
#    rule 500; deleting it puts them back on h2;
#  - leaking by rules (`iif red to 10.3.0.0/24 lookup main` and back
#    `iif m3 to 10.1.0.0/24 lookup 10`): h1 and h3 ping each other; deleted,
#    isolation is back.
. "$(dirname "$0")/lib.sh"
need_env ping iperf3

NS_H1=usvr-h1-$ID NS_H2=usvr-h2-$ID NS_H3=usvr-h3-$ID NS_H4=usvr-h4-$ID
SVC=10.9.0.1

ns_add "$NS_R"
nsx "$NS_R" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0
for ns in $NS_H1 $NS_H2 $NS_H3 $NS_H4; do
	ns_add "$ns"
	nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.icmp_ratelimit=0
done

veth_host vra1$ID "$NS_H1" 10.1.0.2/24 10.1.0.1
veth_host vra2$ID "$NS_H2" 10.2.0.2/24 10.2.0.1
veth_host vra4$ID "$NS_H4" 10.4.0.2/24 10.4.0.1
veth_host vrm3$ID "$NS_H3" 10.3.0.2/24 10.3.0.1
ip -n "$NS_H2" addr add $SVC/32 dev lo
ip -n "$NS_H4" addr add $SVC/32 dev lo

cat >"$CFG" <<EOF
link add red type vrf table 10
link add a1 type af_packet dev vra1$ID
link add a2 type af_packet dev vra2$ID
link add a4 type af_packet dev vra4$ID
link add m3 type af_packet dev vrm3$ID
addr add 10.1.0.1/24 dev a1
addr add 10.2.0.1/24 dev a2
addr add 10.4.0.1/24 dev a4
addr add 10.3.0.1/24 dev m3
link set a1 master red
link set a2 master red
link set a4 master red
route add $SVC/32 via 10.2.0.2 dev a2 table 10
route add $SVC/32 via 10.4.0.2 dev a4 table 20
sysctl net.ipv4.icmp_ratelimit=0
link set red up
link set a1 up
link set a2 up
link set a4 up
link set m3 up
EOF
usnet_start

# iperf3 servers on the service address in h2 and h4
for h in h2 h4; do
	ns=NS_${h^^}
	iperf3_server "${!ns}" -B "$SVC" --forceflush --logfile "$TMPD/iperf-$h.log"
done

accepted() { grep -c "Accepted connection from 10.1.0.2" "$TMPD/iperf-$1.log"; }

# service NAME PROTO WANT: an iperf3 test from h1 to the service over PROTO
# (tcp or udp) completes, moves data, and was accepted by host WANT only.
service() {
	local name=$1 proto=$2 want=$3 h2_0 h4_0 out args=()
	h2_0=$(accepted h2)
	h4_0=$(accepted h4)
	[ "$proto" = udp ] && args=(-u -b 2M)
	out=$(nsx "$NS_H1" timeout 20 iperf3 -c $SVC -p 5201 -t 1 -J "${args[@]}") ||
		{ echo "$out" | tail -20; fail "$name: iperf3 $proto failed"; }
	echo "$out" | "$PY" -c '
import json, sys
s = json.load(sys.stdin)["end"]
if "sum_received" in s:
    got = s["sum_received"]["bytes"]
else:
    got = s["sum"]["packets"] - s["sum"]["lost_packets"]
print("    received:", got)
sys.exit(0 if got > 0 else 1)' || fail "$name: nothing received"
	local h2_1 h4_1
	h2_1=$(accepted h2)
	h4_1=$(accepted h4)
	log "$name: accepted by h2 +$((h2_1 - h2_0)), h4 +$((h4_1 - h4_0))"
	if [ "$want" = h2 ]; then
		[ $((h2_1 - h2_0)) -eq 1 ] && [ "$h4_1" -eq "$h4_0" ] ||
			fail "$name: want h2 (table 10)"
	else
		[ $((h4_1 - h4_0)) -eq 1 ] && [ "$h2_1" -eq "$h2_0" ] ||
			fail "$name: want h4 (table 20)"
	fi
}

# expect_get WORDS... PATTERN: `route get WORDS` contains PATTERN.
expect_get() {
	local pat=${*: -1} out
	out=$(ctl route get "${@:1:$#-1}" 2>&1) || fail "route get ${*:1:$#-1}: $out"
	echo "    route get ${*:1:$#-1}: $out"
	echo "$out" | grep -qF -- "$pat" || fail "route get ${*:1:$#-1}: want '$pat'"
}

# get_fails WORDS... PATTERN: `route get WORDS` fails naming PATTERN.
get_fails() {
	local pat=${*: -1} out
	out=$(ctl route get "${@:1:$#-1}" 2>&1) && fail "route get ${*:1:$#-1} found a route: $out"
	echo "    route get ${*:1:$#-1}: $out"
	echo "$out" | grep -qF -- "$pat" || fail "route get ${*:1:$#-1}: want '$pat'"
}

# isolated: h1's ping to h3 gets net unreachable from usnet's VRF address.
isolated() {
	local out
	out=$(nsx "$NS_H1" timeout 10 ping -n -c 1 -W 2 10.3.0.2 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -q "From 10.1.0.1 icmp_seq=1 Destination Net Unreachable" ||
		fail "h1 -> h3: no net unreachable from 10.1.0.1"
}

log "the l3mdev rule comes with the VRF"
out=$(ctl rule show)
echo "$out" | sed 's/^/    /'
echo "$out" | grep -qP '^1000:\tfrom all lookup \[l3mdev-table\]$' || fail "no l3mdev rule"
ctlj rule show | grep -q '"l3mdev":true' || fail "no l3mdev in JSON"

log "without rules: isolated, the service is h2 (table 10)"
ping_all "$NS_H1" 2 10.2.0.2 >/dev/null
isolated
get_fails 10.3.0.2 iif a1 "no route to 10.3.0.2 in vrf red"
expect_get $SVC from 10.1.0.2 iif a1 ipproto tcp dport 5201 "via 10.2.0.2 dev a2 table 10"
expect_get $SVC from 10.1.0.2 iif a1 ipproto tcp dport 5201 "rule 1000"
service "tcp, no rule" tcp h2
service "udp, no rule" udp h2

log "rule 500 steers the VRF's port 5201 to table 20 (h4)"
ctl rule add pref 500 iif red from 10.1.0.0/24 dport 5201 lookup 20 || fail "rule add 500"
expect_get $SVC from 10.1.0.2 iif a1 ipproto tcp dport 5201 "via 10.4.0.2 dev a4 table 20"
expect_get $SVC from 10.1.0.2 iif a1 ipproto udp dport 5201 "rule 500"
expect_get $SVC from 10.1.0.2 iif a1 ipproto tcp dport 80 "rule 1000"
service "tcp, rule 500" tcp h4
service "udp, rule 500" udp h4
isolated
ctl rule del pref 500 || fail "rule del 500"
service "tcp, rule 500 deleted" tcp h2

log "leaking to main and back by rules"
ctl rule add pref 600 iif red to 10.3.0.0/24 lookup main || fail "rule add 600"
ctl rule add pref 610 iif m3 to 10.1.0.0/24 lookup 10 || fail "rule add 610"
expect_get 10.3.0.2 iif a1 "dev m3 table main"
expect_get 10.3.0.2 iif a1 "rule 600"
expect_get 10.1.0.2 iif m3 "dev a1 table 10"
expect_get 10.1.0.2 iif m3 "rule 610"
ping_all "$NS_H1" 3 10.3.0.2
ping_all "$NS_H3" 3 10.1.0.2
ctl rule del pref 600 || fail "rule del 600"
ctl rule del pref 610 || fail "rule del 610"
isolated
out=$(nsx "$NS_H3" timeout 10 ping -n -c 1 -W 2 10.1.0.2 2>&1)
echo "$out" | grep -q "From 10.3.0.1 icmp_seq=1 Destination Net Unreachable" ||
	{ echo "$out"; fail "h3 -> h1: no net unreachable from 10.3.0.1"; }

check_conservation
