#!/usr/bin/env bash
# VLAN subinterfaces with a real host: usnet's port p0 carries v10
# (10.10.0.1/24, 2001:db8:10::1/64) and v20 (10.20.0.1/24) besides its
# untagged 10.1.0.1; h1 (no 8021q module in its kernel) speaks tagged
# through scapy (lib_vlan.sh). Checks: tagged ARP and ping (v4, v6)
# answered with the same tag by each subinterface, with the lower's MAC; a
# tagged ping from h1 to h2 is routed between v10 and the untagged p1 and
# its reply comes back tagged (TTL 63); an unknown VID is a counted drop
# (eth_vlan_no_device) and unanswered; a priority-tagged (VID 0) ping to
# p0's address is untagged traffic of p0 (untagged reply), as in Linux; QinQ (802.1Q 30 inside 802.1ad 300);
# a macvlan on v10 answers with its own MAC; the untagged path still works;
# `link del` removes them; conservation holds on every device.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vlan.sh"
need_env ping
need_scapy
topo_up
vprobe_write

# Made at run time, after p0 is up, so that they inherit its MAC.
while read -r cmd; do
	ctl $cmd || fail "usnetctl $cmd"
done <<'CMDS'
link add v10 link p0 type vlan id 10
link add v20 link p0 type vlan id 20 proto 802.1Q
addr add 10.10.0.1/24 dev v10
addr add 2001:db8:10::1/64 dev v10
addr add 10.20.0.1/24 dev v20
link set v10 up
link set v20 up
link add s300 link p0 type vlan id 300 proto 802.1ad
link add c30 link s300 type vlan id 30
addr add 10.30.0.1/24 dev c30
link set s300 up
link set c30 up
link add mv10 link v10 type macvlan
addr add 10.11.0.1/24 dev mv10
link set mv10 up
CMDS
ctl link show

P0MAC=$(usnet_mac p0)
MVMAC=$(usnet_mac mv10)
for d in v10 v20 s300 c30; do
	[ "$(usnet_mac $d)" = "$P0MAC" ] ||
		fail "$d should inherit p0's MAC $P0MAC, has $(usnet_mac $d)"
done
[ "$MVMAC" != "$P0MAC" ] || fail "mv10 should have its own MAC"

log "tagged ARP and ping from h1 (scapy): VIDs 10, 20, QinQ 300/30, macvlan on v10"
before=$(dev_drops p0 eth_vlan_no_device)
vprobe "$NS_H1" <<CASES
arp10    arp    --tags 8100:10   --src-ip 10.10.0.2 --target 10.10.0.1
arp20    arp    --tags 8100:20:5 --src-ip 10.20.0.2 --target 10.20.0.1
cross    silent --tags 8100:10   --src-ip 10.10.0.2 --target 10.20.0.1
ping10   ping   --tags 8100:10   --dst-mac $P0MAC --src-ip 10.10.0.2 --dst-ip 10.10.0.1
ping20   ping   --tags 8100:20   --dst-mac $P0MAC --src-ip 10.20.0.2 --dst-ip 10.20.0.1
ping6    ping   --tags 8100:10   --dst-mac $P0MAC --src-ip 2001:db8:10::2 --dst-ip 2001:db8:10::1 --v6
routed   ping   --tags 8100:10   --dst-mac $P0MAC --src-ip 10.10.0.2 --dst-ip 10.2.0.2
vid30    silent --tags 8100:30   --src-ip 10.10.0.2 --target 10.10.0.1
arpqinq  arp    --tags 88a8:300,8100:30 --src-ip 10.30.0.2 --target 10.30.0.1
pingqinq ping   --tags 88a8:300,8100:30 --dst-mac $P0MAC --src-ip 10.30.0.2 --dst-ip 10.30.0.1 --count 2
arpmv    arp    --tags 8100:10   --src-ip 10.11.0.2 --target 10.11.0.1
pingmv   ping   --tags 8100:10   --dst-mac $MVMAC --src-ip 10.11.0.2 --dst-ip 10.11.0.1 --count 2
prio     ping   --tags 8100:0:6  --dst-mac $P0MAC --src-ip 10.1.0.2 --dst-ip 10.1.0.1 --count 2 --reply-tags none
CASES
rc=$?
after=$(dev_drops p0 eth_vlan_no_device)
[ $rc = 0 ] || fail "some tagged cases failed (see above)"

for c in arp10 arp20 arpqinq; do
	[ "$(vprobe_result $c)" = "$P0MAC" ] ||
		fail "$c: answered by $(vprobe_result $c), not p0's MAC $P0MAC"
done
[ "$(vprobe_result arpmv)" = "$MVMAC" ] ||
	fail "arpmv: answered by $(vprobe_result arpmv), not mv10's $MVMAC"
vprobe_result routed | grep -q "ttl 63" ||
	fail "the routed reply from h2 should arrive with TTL 63: $(vprobe_result routed)"
[ "$after" -gt "$before" ] ||
	fail "eth_vlan_no_device on p0 did not grow with VID 30 ($before -> $after)"

log "untagged traffic on p0 is unaffected"
ping_all "$NS_H1" 3 10.2.0.2
ping_all "$NS_H1" 2 10.1.0.1

ctl stats
check_conservation

log "link del: the stacked devices go, p0 keeps working"
for d in mv10 c30 s300 v20 v10; do
	ctl link del "$d" || fail "link del $d"
done
vprobe "$NS_H1" <<CASES || fail "VID 10 is still answered after link del v10"
gone10 silent --tags 8100:10 --src-ip 10.10.0.2 --target 10.10.0.1
CASES
ping_all "$NS_H1" 2 10.2.0.2
usnet_alive
check_conservation
