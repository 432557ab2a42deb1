#!/usr/bin/env bash
# Stacked devices with real hosts: a VRF over a bridge whose ports are a
# plain port and an active-backup bond.
#
#   h1 -- p0 --+
#              br0 (10.1.0.1/24) --[VRF red, table 10]-- p1 (10.2.0.1/24) -- h2
#   h3 -- sw(Linux bridge) == p2,p3 = bond0 --+
#
# h1 and h3 share the bridged segment 10.1.0.0/24 (h3 reached through the
# bond), h2 is routed in the VRF.
. "$(dirname "$0")/lib.sh"
need_env ping

NS_H3=uss-h3-$ID NS_SW=uss-sw-$ID
topo_namespaces
ns_add "$NS_H3"
ns_add "$NS_SW"
for ns in "$NS_H3" "$NS_SW"; do
	nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$NS_R" link add "$IF_A" type veth peer name eth0 netns "$NS_H1"
ip -n "$NS_R" link add "$IF_B" type veth peer name eth0 netns "$NS_H2"
ip -n "$NS_R" link add uc$ID type veth peer name la netns "$NS_SW"
ip -n "$NS_R" link add ud$ID type veth peer name lb netns "$NS_SW"
for i in "$IF_A" "$IF_B" uc$ID ud$ID; do ip -n "$NS_R" link set "$i" up; done
ip -n "$NS_SW" link add sw type bridge || skip "no Linux bridge in this kernel"
ip -n "$NS_SW" link add lh type veth peer name eth0 netns "$NS_H3"
for i in la lb lh; do
	ip -n "$NS_SW" link set "$i" master sw
	ip -n "$NS_SW" link set "$i" up
done
ip -n "$NS_SW" link set sw up

cat >"$CFG" <<EOF
link add red type vrf table 10
link add p0 type af_packet dev $IF_A
link add p1 type af_packet dev $IF_B
link add p2 type af_packet dev uc$ID
link add p3 type af_packet dev ud$ID
link add bond0 type bond mode active-backup miimon 100
link add br0 type bridge
link set p2 master bond0
link set p3 master bond0
link set p0 master br0
link set bond0 master br0
link set br0 master red
link set p1 master red
addr add 10.1.0.1/24 dev br0
addr add 10.2.0.1/24 dev p1
link set red up
link set p0 up
link set p1 up
link set p2 up
link set p3 up
link set bond0 up
link set br0 up
EOF
usnet_start

for h in "$NS_H1:10.1.0.2/24:10.1.0.1" "$NS_H3:10.1.0.3/24:10.1.0.1" "$NS_H2:10.2.0.2/24:10.2.0.1"; do
	IFS=: read -r ns a gw <<<"$h"
	ip -n "$ns" link set eth0 up
	ip -n "$ns" addr add "$a" dev eth0
	ip -n "$ns" route add default via "$gw"
done

pings() {
	local out
	out=$(nsx "$1" timeout 15 ping -n -c 3 -i 0.2 -W 2 "$2" 2>&1)
	echo "$out" | grep -q " 3 received" || { echo "$out"; fail "$1: ping $2 not answered"; }
	log "$1 -> $2: 3/3"
}
log "bridged segment: h1 <-> h3 through br0 and the bond"
pings "$NS_H1" 10.1.0.3
pings "$NS_H3" 10.1.0.2
log "the VRF over the bridge: h1/h3 <-> h2 routed in table 10"
pings "$NS_H1" 10.2.0.2
pings "$NS_H3" 10.2.0.2
pings "$NS_H2" 10.1.0.3
pings "$NS_H2" 10.1.0.1
out=$(ctl route get 10.2.0.2 vrf red)
echo "$out" | sed 's/^/    /'
echo "$out" | grep -q "dev p1 table 10" || fail "route get in vrf red: $out"
ctl route show 2>/dev/null | grep -q "10.1.0.0/24" &&
	fail "br0's connected route is in the main table, not in the VRF's"
ctl fdb show | sed 's/^/    /'
ctl fdb show | grep -q "dev bond0" || fail "no FDB entry learned on the bond port"
check_conservation
