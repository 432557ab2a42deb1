#!/usr/bin/env bash
# VRFs (l3mdev), after Linux's selftests (fcnal-test.sh, vrf_route_leaking.sh,
# pmtu.sh) re-targeted with usnet as the router:
#
#   ha1 --a1 [red  t10] a2-- ha2      two tenants with the SAME subnets:
#   hb1 --b1 [blue t20] b2-- hb2      10.1.0.0/24 and 10.2.0.0/24 in each
#   hg  --g1 [green t30]              leaked into red and back
#   ... red a3 -- lr (Linux router) -- hx   (lr's link to hx has MTU 1300)
#
# Checks: each tenant reaches its own hosts only; TTL 1 through a VRF gets
# time exceeded from usnet's VRF address; traceroute shows the VRF hop;
# frag-needed / packet-too-big over a 1400-MTU VRF egress; route leaking
# between two VRFs both ways; a path MTU exception learned in the VRF table
# from the Linux router's frag-needed (IPv4) and packet too big (IPv6),
# shown by `route get ... vrf red`, used by the next replies (IPv6: usnet
# fragments them), absent from the main table, and expiring.
. "$(dirname "$0")/lib.sh"
need_env ping traceroute

NS_HA1=usv-ha1-$ID NS_HA2=usv-ha2-$ID NS_HB1=usv-hb1-$ID NS_HB2=usv-hb2-$ID
NS_HG=usv-hg-$ID NS_LR=usv-lr-$ID NS_HX=usv-hx-$ID

ns_add "$NS_R"
nsx "$NS_R" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
	net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0
for ns in $NS_HA1 $NS_HA2 $NS_HB1 $NS_HB2 $NS_HG $NS_LR $NS_HX; do
	ns_add "$ns"
	nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
done

veth_host va1$ID "$NS_HA1"; veth_host va2$ID "$NS_HA2"; veth_host va3$ID "$NS_LR"
veth_host vb1$ID "$NS_HB1"; veth_host vb2$ID "$NS_HB2"; veth_host vg1$ID "$NS_HG"

# host NS ADDR/PLEN GW [ADDR6/64 GW6]
host() {
	ip -n "$1" addr add "$2" dev eth0
	ip -n "$1" route add default via "$3"
	if [ -n "${4:-}" ]; then
		ip -n "$1" addr add "$4" dev eth0 nodad
		ip -n "$1" -6 route add default via "$5"
	fi
}
host "$NS_HA1" 10.1.0.2/24 10.1.0.1 2001:db8:1::2/64 2001:db8:1::1
host "$NS_HA2" 10.2.0.2/24 10.2.0.1 2001:db8:2::2/64 2001:db8:2::1
host "$NS_HB1" 10.1.0.2/24 10.1.0.1
host "$NS_HB2" 10.2.0.2/24 10.2.0.1
host "$NS_HG" 10.3.0.2/24 10.3.0.1
ip -n "$NS_HA2" addr add 10.2.0.22/24 dev eth0   # only in tenant red
ip -n "$NS_HB2" addr add 10.2.0.33/24 dev eth0   # only in tenant blue
ip -n "$NS_HA2" link set eth0 mtu 1400

# lr: a Linux router between usnet (10.4.0.0/24) and hx (10.5.0.0/24, MTU 1300)
ip -n "$NS_LR" addr add 10.4.0.2/24 dev eth0
ip -n "$NS_LR" link add lx type veth peer name eth0 netns "$NS_HX"
ip -n "$NS_LR" link set lx mtu 1300 up
ip -n "$NS_HX" link set eth0 mtu 1300 up
ip -n "$NS_LR" addr add 10.5.0.1/24 dev lx
nsx "$NS_LR" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip -n "$NS_LR" addr add 2001:db8:4::2/64 dev eth0 nodad
ip -n "$NS_LR" addr add 2001:db8:5::1/64 dev lx nodad
host "$NS_HX" 10.5.0.2/24 10.5.0.1 2001:db8:5::2/64 2001:db8:5::1

cat >"$CFG" <<EOF
link add red type vrf table 10
link add blue type vrf table 20
link add green type vrf table 30
link add a1 type af_packet dev va1$ID
link add a2 type af_packet dev va2$ID
link add a3 type af_packet dev va3$ID
link add b1 type af_packet dev vb1$ID
link add b2 type af_packet dev vb2$ID
link add g1 type af_packet dev vg1$ID
addr add 10.1.0.1/24 dev a1
addr add 2001:db8:1::1/64 dev a1
addr add 10.2.0.1/24 dev a2
addr add 2001:db8:2::1/64 dev a2
addr add 10.4.0.1/24 dev a3
addr add 2001:db8:4::1/64 dev a3
addr add 10.1.0.1/24 dev b1
addr add 10.2.0.1/24 dev b2
addr add 10.3.0.1/24 dev g1
link set a1 master red
link set a2 master red mtu 1400
link set a3 master red
link set b1 master blue
link set b2 master blue
link set g1 master green
route add 10.5.0.0/24 via 10.4.0.2 dev a3 table 10
route add 2001:db8:5::/64 via 2001:db8:4::2 dev a3 table 10
# leaking: red <-> green
route add 10.3.0.0/24 dev g1 table 10
route add 10.1.0.0/24 dev a1 table 30
sysctl net.ipv4.icmp_ratelimit=0
sysctl net.ipv6.icmp.ratelimit=0
sysctl net.ipv4.route.mtu_expires=8
link set red up
link set blue up
link set green up
link set a1 up
link set a2 up
link set a3 up
link set b1 up
link set b2 up
link set g1 up
EOF
usnet_start

# pings NS DST: all 3 echoes answered.
pings() {
	local out
	out=$(nsx "$1" timeout 15 ping -n -c 3 -i 0.2 -W 2 "${@:2}" 2>&1)
	echo "$out" | grep -q " 3 received" ||
		{ echo "$out"; fail "$1: ping ${*:2} not answered"; }
}
# no_pings NS DST: nothing answered.
no_pings() {
	local out
	out=$(nsx "$1" timeout 15 ping -n -c 2 -i 0.2 -W 1 "${@:2}" 2>&1)
	echo "$out" | grep -q " 0 received" ||
		{ echo "$out"; fail "$1: ping ${*:2} crossed into another tenant"; }
}

log "tenants with identical subnets reach their own hosts only"
pings "$NS_HA1" 10.2.0.2
pings "$NS_HB1" 10.2.0.2
pings "$NS_HA1" 10.2.0.22
pings "$NS_HB1" 10.2.0.33
no_pings "$NS_HA1" 10.2.0.33
no_pings "$NS_HB1" 10.2.0.22
pings "$NS_HA1" 2001:db8:2::2
pings "$NS_HA1" 10.1.0.1     # usnet's own address in red (VRF-local)
pings "$NS_HB2" 10.2.0.1

log "TTL 1 through a VRF: time exceeded from usnet's address in the VRF"
out=$(nsx "$NS_HA1" timeout 10 ping -n -c 1 -t 1 -W 2 10.2.0.2 2>&1)
echo "$out" | sed 's/^/    /'
echo "$out" | grep -q "From 10.1.0.1 icmp_seq=1 Time to live exceeded" ||
	fail "no time exceeded from 10.1.0.1"

log "traceroute through the VRF"
out=$(nsx "$NS_HA1" timeout 30 traceroute -n -q 1 -w 2 -m 5 10.2.0.2 2>&1)
echo "$out" | sed 's/^/    /'
echo "$out" | grep -Eq '^ *1 +10\.1\.0\.1 ' || fail "traceroute: hop 1 is not 10.1.0.1"
echo "$out" | grep -Eq '^ *2 +10\.2\.0\.2 ' || fail "traceroute: hop 2 is not 10.2.0.2"

log "1400-MTU VRF egress: frag needed / packet too big"
out=$(nsx "$NS_HA1" timeout 10 ping -n -c 1 -W 2 -M do -s 1450 10.2.0.2 2>&1)
echo "$out" | sed 's/^/    /'
echo "$out" | grep -q "Frag needed and DF set (mtu = 1400)" || fail "no frag needed (mtu 1400)"
out=$(nsx "$NS_HA1" timeout 10 ping -6 -n -c 1 -W 2 -M do -s 1450 2001:db8:2::2 2>&1)
echo "$out" | sed 's/^/    /'
echo "$out" | grep -q "Packet too big: mtu=1400" || fail "no packet too big (mtu 1400)"

log "route leaking between red and green, both ways"
pings "$NS_HA1" 10.3.0.2
pings "$NS_HG" 10.1.0.2
no_pings "$NS_HB1" 10.3.0.2

log "path MTU exception in the VRF table"
ctl route get 10.5.0.2 vrf red | sed 's/^/    /'
ctl route get 10.5.0.2 vrf red | grep -q "cache" && fail "an exception exists before any traffic"
# hx fragments its 1428-byte request (its link has MTU 1300); usnet
# reassembles and answers with DF; lr answers that with frag-needed.
nsx "$NS_HX" timeout 10 ping -n -c 1 -W 2 -M dont -s 1400 10.4.0.1 >/dev/null 2>&1 || true
out=$(ctl route get 10.5.0.2 vrf red)
echo "$out" | sed 's/^/    /'
echo "$out" | grep -Eq "cache expires [0-9]+sec mtu 1300" || fail "no exception with mtu 1300 in vrf red"
echo "$out" | grep -q "table 10" || fail "exception not in table 10"
if ctl route get 10.5.0.2 2>/dev/null | grep -q cache; then
	fail "the exception leaked into the main table"
fi
pings "$NS_HX" -M dont -s 1400 10.4.0.1

log "IPv6 path MTU exception in the VRF table (usnet fragments its own replies)"
ctl route get 2001:db8:5::2 vrf red | grep -q "cache" && fail "an IPv6 exception exists before any traffic"
# hx fragments its 1448-byte request; usnet's reply does not fit lr's link
# and lr answers it with packet too big (mtu 1300).
nsx "$NS_HX" timeout 10 ping -6 -n -c 1 -W 2 -s 1400 2001:db8:4::1 >/dev/null 2>&1 || true
out=$(ctl route get 2001:db8:5::2 vrf red)
echo "$out" | sed 's/^/    /'
echo "$out" | grep -Eq "cache expires [0-9]+sec mtu 1300" || fail "no IPv6 exception with mtu 1300 in vrf red"
echo "$out" | grep -q "table 10" || fail "IPv6 exception not in table 10"
if ctl route get 2001:db8:5::2 2>/dev/null | grep -q cache; then
	fail "the IPv6 exception leaked into the main table"
fi
pings "$NS_HX" -6 -s 1400 2001:db8:4::1

log "exceptions expire (mtu_expires 8 s)"
sleep 9
ctl route get 10.5.0.2 vrf red | grep -q cache && fail "exception did not expire"
ctl route get 2001:db8:5::2 vrf red | grep -q cache && fail "IPv6 exception did not expire"

check_conservation
