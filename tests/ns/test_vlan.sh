#!/usr/bin/env bash
# VLAN subinterfaces with a real host: usnet's port p0 carries v10
# (10.10.0.1/24, 2001:db8:10::1/64) and v20 (10.20.0.1/24) besides its
# untagged 10.1.0.1; h1 (no 8021q module in its kernel) speaks tagged
# through scapy. Checks: tagged ARP and ping (v4, v6) answered with the same
# tag by each subinterface, with the lower's MAC; a tagged ping from h1 to h2
# is routed between v10 and the untagged p1 and its reply comes back tagged;
# an unknown VID is a counted drop (eth_vlan_no_device) and unanswered;
# QinQ (802.1Q 30 inside 802.1ad 300) and a macvlan on v10 (its own MAC);
# the plain untagged path still works; `link del` of the VLAN devices;
# conservation holds on every device.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vlan.sh"
need_env ping
need_scapy
topo_up
vprobe_write

# Created at run time, after p0 is up, so that they inherit its MAC.
ctl link add v10 link p0 type vlan id 10 || fail "link add v10"
ctl link add v20 link p0 type vlan id 20 proto 802.1Q || fail "link add v20"
ctl addr add 10.10.0.1/24 dev v10 || fail "addr v10"
ctl addr add 2001:db8:10::1/64 dev v10 || fail "addr6 v10"
ctl addr add 10.20.0.1/24 dev v20 || fail "addr v20"
ctl link set v10 up || fail "up v10"
ctl link set v20 up || fail "up v20"
ctl link show v10

P0MAC=$(usnet_mac p0)
V10MAC=$(usnet_mac v10)
V20MAC=$(usnet_mac v20)
[ "$V10MAC" = "$P0MAC" ] && [ "$V20MAC" = "$P0MAC" ] ||
	fail "VLAN devices should inherit p0's MAC $P0MAC (v10 $V10MAC, v20 $V20MAC)"

log "tagged ARP on VID 10 and 20 answered with the same tag and p0's MAC"
mac=$(vprobe "$NS_H1" arp --tags 8100:10 --src-ip 10.10.0.2 --target 10.10.0.1) ||
	fail "no tagged ARP reply on VID 10"
[ "$mac" = "$P0MAC" ] || fail "VID 10 ARP reply has MAC $mac, not $P0MAC"
mac=$(vprobe "$NS_H1" arp --tags 8100:20:5 --src-ip 10.20.0.2 --target 10.20.0.1) ||
	fail "no tagged ARP reply on VID 20 (priority 5)"
[ "$mac" = "$P0MAC" ] || fail "VID 20 ARP reply has MAC $mac"

log "v10 does not answer for v20's address, nor VID 20 for v10's"
vprobe "$NS_H1" silent --tags 8100:10 --src-ip 10.10.0.2 --target 10.20.0.1 ||
	fail "v10 answered ARP for v20's address"

log "tagged ping to the subinterfaces (IPv4, IPv6)"
vprobe "$NS_H1" ping --tags 8100:10 --dst-mac "$P0MAC" --src-ip 10.10.0.2 \
	--dst-ip 10.10.0.1 --count 3 || fail "ping v10"
vprobe "$NS_H1" ping --tags 8100:20 --dst-mac "$P0MAC" --src-ip 10.20.0.2 \
	--dst-ip 10.20.0.1 --count 3 || fail "ping v20"
vprobe "$NS_H1" ping --v6 --tags 8100:10 --dst-mac "$P0MAC" \
	--src-ip 2001:db8:10::2 --dst-ip 2001:db8:10::1 --count 3 || fail "ping6 v10"

log "tagged ping from h1 (VID 10) to h2 (untagged, behind p1): routed, reply tagged"
out=$(vprobe "$NS_H1" ping --tags 8100:10 --dst-mac "$P0MAC" --src-ip 10.10.0.2 \
	--dst-ip 10.2.0.2 --count 3) || fail "routed tagged ping to h2: $out"
echo "    $out"
echo "$out" | grep -q "ttl 63" || fail "routed reply should have TTL 63: $out"

log "unknown VID 30: no answer, counted as eth_vlan_no_device on p0"
before=$(dev_drops p0 eth_vlan_no_device)
vprobe "$NS_H1" silent --tags 8100:30 --src-ip 10.10.0.2 --target 10.10.0.1 ||
	fail "an ARP on VID 30 was answered"
after=$(dev_drops p0 eth_vlan_no_device)
[ "$after" -gt "$before" ] || fail "eth_vlan_no_device on p0 did not grow ($before -> $after)"

log "QinQ: 802.1Q 30 inside 802.1ad 300"
ctl link add s300 link p0 type vlan id 300 proto 802.1ad || fail "link add s300"
ctl link add c30 link s300 type vlan id 30 || fail "link add c30"
ctl addr add 10.30.0.1/24 dev c30 || fail "addr c30"
ctl link set s300 up && ctl link set c30 up || fail "up s300/c30"
mac=$(vprobe "$NS_H1" arp --tags 88a8:300,8100:30 --src-ip 10.30.0.2 --target 10.30.0.1) ||
	fail "no double-tagged ARP reply"
vprobe "$NS_H1" ping --tags 88a8:300,8100:30 --dst-mac "$P0MAC" --src-ip 10.30.0.2 \
	--dst-ip 10.30.0.1 --count 2 || fail "QinQ ping"

log "macvlan on v10: its own MAC, reached with tag 10"
ctl link add mv10 link v10 type macvlan || fail "link add mv10"
ctl addr add 10.11.0.1/24 dev mv10 || fail "addr mv10"
ctl link set mv10 up || fail "up mv10"
MVMAC=$(usnet_mac mv10)
[ "$MVMAC" != "$P0MAC" ] || fail "mv10 should have its own MAC"
mac=$(vprobe "$NS_H1" arp --tags 8100:10 --src-ip 10.11.0.2 --target 10.11.0.1) ||
	fail "no tagged ARP reply from mv10"
[ "$mac" = "$MVMAC" ] || fail "mv10 ARP reply has MAC $mac, not $MVMAC"
vprobe "$NS_H1" ping --tags 8100:10 --dst-mac "$MVMAC" --src-ip 10.11.0.2 \
	--dst-ip 10.11.0.1 --count 2 || fail "ping mv10 over VID 10"

log "untagged traffic on p0 is unaffected"
ping_all "$NS_H1" 3 10.2.0.2
ping_all "$NS_H1" 2 10.1.0.1

ctl stats
check_conservation

log "link del: the stacked devices go, p0 keeps working"
for d in mv10 c30 s300 v20 v10; do
	ctl link del "$d" || fail "link del $d"
done
vprobe "$NS_H1" silent --tags 8100:10 --src-ip 10.10.0.2 --target 10.10.0.1 ||
	fail "VID 10 still answered after link del v10"
ping_all "$NS_H1" 2 10.2.0.2
usnet_alive
check_conservation
