#!/usr/bin/env bash
# macvlan with a real host: two macvlans on usnet's port p0 (mv1 in mode
# bridge, 10.11.0.1/24; mv2 in mode private, 10.12.0.1/24), h1 on the same
# wire with addresses in both subnets. Checks: h1 reaches each macvlan and
# p0 itself (ARP through the broadcast copies, then unicast by destination
# MAC), its neighbor table shows three different MACs, equal to usnet's;
# h2 reaches the macvlans' addresses and h1's macvlan-subnet addresses
# through usnet (forwarding out of a macvlan); a macvlan that is down no
# longer answers; `link del` removes them and p0 keeps working;
# conservation holds on every device.
. "$(dirname "$0")/lib.sh"
need_env ping
topo_up

ctl link add mv1 link p0 type macvlan || fail "link add mv1"
ctl link add mv2 link p0 type macvlan mode private || fail "link add mv2"
ctl addr add 10.11.0.1/24 dev mv1 || fail "addr mv1"
ctl addr add 2001:db8:11::1/64 dev mv1 || fail "addr6 mv1"
ctl addr add 10.12.0.1/24 dev mv2 || fail "addr mv2"
ctl link set mv1 up || fail "up mv1"
ctl link set mv2 up || fail "up mv2"
ctl link show mv1
ctl link show mv2

ip -n "$NS_H1" addr add 10.11.0.2/24 dev eth0
ip -n "$NS_H1" addr add 10.12.0.2/24 dev eth0
ip -n "$NS_H1" addr add 2001:db8:11::2/64 dev eth0 nodad

P0MAC=$(usnet_mac p0)
MV1MAC=$(usnet_mac mv1)
MV2MAC=$(usnet_mac mv2)
log "MACs: p0 $P0MAC mv1 $MV1MAC mv2 $MV2MAC"
[ "$MV1MAC" != "$P0MAC" ] && [ "$MV2MAC" != "$P0MAC" ] && [ "$MV1MAC" != "$MV2MAC" ] ||
	fail "the macvlans need their own MACs"

log "h1 reaches each macvlan and p0"
ping_all "$NS_H1" 3 10.11.0.1
ping_all "$NS_H1" 3 10.12.0.1
ping_all "$NS_H1" 3 -6 2001:db8:11::1
ping_all "$NS_H1" 2 10.1.0.1

log "h1's neighbor table has three different MACs, as usnet says"
ip -n "$NS_H1" neigh show dev eth0 | sed 's/^/    /'
nmac() { ip -n "$NS_H1" neigh show "$1" dev eth0 | awk '{for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1)}'; }
[ "$(nmac 10.11.0.1)" = "$MV1MAC" ] || fail "h1: 10.11.0.1 is at $(nmac 10.11.0.1), not mv1's $MV1MAC"
[ "$(nmac 10.12.0.1)" = "$MV2MAC" ] || fail "h1: 10.12.0.1 is at $(nmac 10.12.0.1), not mv2's $MV2MAC"
[ "$(nmac 10.1.0.1)" = "$P0MAC" ] || fail "h1: 10.1.0.1 is at $(nmac 10.1.0.1), not p0's $P0MAC"
[ "$(nmac 2001:db8:11::1)" = "$MV1MAC" ] || fail "h1: 2001:db8:11::1 is at $(nmac 2001:db8:11::1)"

log "h2 reaches the macvlans and, through them, h1's addresses in their subnets"
ping_all "$NS_H2" 3 10.11.0.1
ping_all "$NS_H2" 3 10.11.0.2
ping_all "$NS_H2" 3 10.12.0.2
ping_all "$NS_H2" 2 -6 2001:db8:11::2
snap mv
[ "$(dev_counter "$(snapf mv)" mv1 fwd_in)" -ge 3 ] ||
	fail "mv1 should have forwarded traffic to h1 (fwd_in)"
[ "$(dev_counter "$(snapf mv)" p0 to_upper)" -gt 0 ] ||
	fail "p0 handed nothing up to the macvlans (to_upper)"

log "mv2 down: no longer answers; up again: answers"
ctl link set mv2 down || fail "down mv2"
ip -n "$NS_H1" neigh flush dev eth0
out=$(nsx "$NS_H1" ping -n -c 2 -i 0.2 -W 1 10.12.0.1 2>&1) &&
	fail "10.12.0.1 answered while mv2 is down: $out"
ctl link set mv2 up || fail "up mv2"
ping_all "$NS_H1" 2 10.12.0.1

ctl stats
check_conservation

log "link del: the macvlans go, p0 keeps working"
ctl link del mv1 || fail "link del mv1"
ctl link del mv2 || fail "link del mv2"
out=$(nsx "$NS_H1" ping -n -c 2 -i 0.2 -W 1 10.11.0.1 2>&1) &&
	fail "10.11.0.1 answered after link del mv1: $out"
ping_all "$NS_H1" 2 10.2.0.2
usnet_alive
check_conservation
