#!/usr/bin/env bash
# Policy rules steering real traffic (lib_multipath.sh topology): main
# routes h2's service address over p1 (h2 eth0), table 100 over p2 (h2
# eth1); the interface a flow arrives on in h2 shows which table usnet
# used. Rules select by
#  - source prefix: h1 sends from 10.1.0.2 and from 10.1.0.200 (and
#    2001:db8:1::200 for IPv6); `from 10.1.0.128/25 lookup 100` moves only
#    the second;
#  - input port: h3 (on p3) and h1 send the same; `iif p3 lookup 100`
#    moves only h3's traffic;
#  - destination port: `ipproto udp dport 5000-5099 lookup 100` moves UDP
#    to port 5050, not UDP to 6000 nor TCP to 5050;
#  - a prohibit rule for one source: ping gets "Packet filtered";
#  - `route get` names the rule and table for each case; deleting the
#    rules puts everything back on main.
. "$(dirname "$0")/lib_multipath.sh"
need_env ping tcpdump
mp_topo_up "route add $SVC4/32 via 10.2.0.2 dev p1
route add $SVC6/128 via 2001:db8:2::2 dev p1
route add $SVC4/32 via 10.3.0.2 dev p2 table 100
route add $SVC6/128 via 2001:db8:3::2 dev p2 table 100
# h3's replies: back to h3 through p3, whatever the table
route add 10.4.0.0/24 dev p3 table 100"
mp_prime_neighbors
mp_sink_start
ip -n "$NS_H1" addr add 10.1.0.200/24 dev eth0
ip -n "$NS_H1" addr add 2001:db8:1::200/64 dev eth0 nodad

# steer NAME NS PROTO DST DPORT SPORT0 SRC WANT_IF: 20 flows, all on WANT_IF.
steer() {
	local name=$1 ns=$2 proto=$3 dst=$4 dport=$5 sport0=$6 src=$7 want=$8
	mp_cap_start
	mp_flows "$ns" "$proto" "$dst" "$dport" "$sport0" 20 2 "$src" >/dev/null
	mp_cap_stop
	log "$name: $(mp_cap_flows "$proto" "$sport0" 20 "$src")"
	mp_expect_all_on "$want" "$name"
}

# expect_get WORDS... -- PATTERN: `route get WORDS` contains PATTERN.
expect_get() {
	local pat=${*: -1} out
	out=$(ctl route get "${@:1:$#-1}") || fail "route get ${*:1:$#-1} failed"
	echo "    route get ${*:1:$#-1}: $out"
	echo "$out" | grep -qF -- "$pat" || fail "route get ${*:1:$#-1}: want '$pat'"
}

log "without rules everything takes main (p1)"
steer "udp4 from .2" "$NS_H1" udp $SVC4 9000 40000 10.1.0.2 eth0
steer "udp4 from .200" "$NS_H1" udp $SVC4 9000 40100 10.1.0.200 eth0

log "by source prefix"
ctl rule add from 10.1.0.128/25 lookup 100 priority 100 || fail "rule add from"
ctl rule -6 add from 2001:db8:1::200/128 lookup 100 priority 100 || fail "rule -6 add from"
ctl rule show
steer "udp4 from 10.1.0.2" "$NS_H1" udp $SVC4 9000 40200 10.1.0.2 eth0
steer "udp4 from 10.1.0.200" "$NS_H1" udp $SVC4 9000 40300 10.1.0.200 eth1
steer "tcp4 from 10.1.0.200" "$NS_H1" tcp $SVC4 9001 40400 10.1.0.200 eth1
steer "udp6 from 2001:db8:1::2" "$NS_H1" udp $SVC6 9000 40500 2001:db8:1::2 eth0
steer "udp6 from 2001:db8:1::200" "$NS_H1" udp $SVC6 9000 40600 2001:db8:1::200 eth1
expect_get $SVC4 from 10.1.0.200 iif p0 "via 10.3.0.2 dev p2 table 100"
expect_get $SVC4 from 10.1.0.200 iif p0 "rule 100"
expect_get $SVC4 from 10.1.0.2 iif p0 "table main"

log "by input port"
ctl rule add iif p3 lookup 100 priority 110 || fail "rule add iif"
steer "udp4 from h3 (p3)" "$NS_H3" udp $SVC4 9000 41000 10.4.0.2 eth1
steer "udp4 from h1 (p0)" "$NS_H1" udp $SVC4 9000 41100 10.1.0.2 eth0
ping_all "$NS_H3" 2 $SVC4 >/dev/null
expect_get $SVC4 from 10.4.0.2 iif p3 "rule 110"

log "by destination port"
ctl rule add ipproto udp dport 5000-5099 lookup 100 priority 120 || fail "rule add dport"
ctl rule -6 add ipproto udp dport 5000-5099 lookup 100 priority 120 || fail "rule -6 add dport"
steer "udp4 to :5050" "$NS_H1" udp $SVC4 5050 42000 10.1.0.2 eth1
steer "udp4 to :6000" "$NS_H1" udp $SVC4 6000 42100 10.1.0.2 eth0
steer "tcp4 to :5050" "$NS_H1" tcp $SVC4 5050 42200 10.1.0.2 eth0
steer "udp6 to :5050" "$NS_H1" udp $SVC6 5050 42300 2001:db8:1::2 eth1
expect_get $SVC4 from 10.1.0.2 iif p0 ipproto udp dport 5050 "rule 120"
expect_get $SVC4 from 10.1.0.2 iif p0 ipproto udp dport 6000 "rule 32766"

log "a prohibit rule"
ctl rule add from 10.1.0.200 to $SVC4 prohibit priority 90 || fail "rule add prohibit"
snap pr0
out=$(nsx "$NS_H1" ping -n -c 2 -i 0.3 -W 1 -I 10.1.0.200 $SVC4 2>&1)
echo "$out" | sed 's/^/    /'
[ "$(echo "$out" | grep -c "Packet filtered")" = 2 ] || fail "prohibit rule: want 'Packet filtered' twice"
sleep 0.2
snap pr1
d=$(($(drops_of "$(snapf pr1)" route_prohibit) - $(drops_of "$(snapf pr0)" route_prohibit)))
[ "$d" = 2 ] || fail "route_prohibit grew by $d, want 2"
expect_get $SVC4 from 10.1.0.200 iif p0 "prohibit $SVC4 from 10.1.0.200 iif p0 rule 90"

log "rules deleted: all back on main"
ctl rule del priority 90 || fail "rule del 90"
ctl rule del priority 100 || fail "rule del 100"
ctl rule -6 del priority 100 || fail "rule -6 del 100"
ctl rule del iif p3 || fail "rule del iif p3"
ctl rule del ipproto udp dport 5000-5099 || fail "rule del dport"
ctl rule -6 del priority 120 || fail "rule -6 del 120"
[ "$(ctl rule show all | wc -l)" = 6 ] || { ctl rule show all; fail "rules left over"; }
steer "udp4 from 10.1.0.200, no rules" "$NS_H1" udp $SVC4 9000 43000 10.1.0.200 eth0
steer "udp4 from h3, no rules" "$NS_H3" udp $SVC4 5050 43100 10.4.0.2 eth0

usnet_alive
check_conservation
