#!/usr/bin/env bash
# Neighbor cache behaviour seen from real hosts:
#  A. h2 changes its MAC and announces it (the kernel's gratuitous ARP and
#     unsolicited NA via arp_notify/ndisc_notify, plus `arping -U`): usnet
#     updates 10.2.0.2 and 2001:db8:2::2 and h1 -> h2 works again.
#  B. h2 changes its MAC silently, then pings usnet (ARP request / NS
#     carrying the new MAC): usnet learns it from there.
#  C. a neighbor that does not exist (10.2.0.99, 2001:db8:2::99) ends up
#     FAILED and the packets queued for it are dropped as neigh_failed.
. "$(dirname "$0")/lib.sh"
need_env ping
topo_up "sysctl net.neigh.retrans_time_ms=200"

h2_mac() { ip -n "$NS_H2" -br link show eth0 | awk '{print $3}'; }

# wait_neigh ADDR WANT-LLADDR|WANT-STATE: poll `neigh show -j` for 5 s.
wait_neigh() {
	local addr=$1 want=$2 i got
	for ((i = 0; i < 50; i++)); do
		ctlj neigh show >"$TMPD/neigh.json" || fail "usnetctl neigh show failed"
		got=$(jget "$TMPD/neigh.json" "' '.join(e.get('lladdr','-') + '/' + e['state'] for e in j if e['dst'] == '$addr')")
		case " $got" in *" $want/"* | *"/$want") return 0 ;; esac
		sleep 0.1
	done
	ctl neigh show
	fail "neighbor $addr: want $want, have '${got:-no entry}'"
}

both_ways() {
	ping_all "$NS_H1" 3 10.2.0.2
	ping_all "$NS_H1" 3 -6 2001:db8:2::2
}

both_ways
old=$(h2_mac)
wait_neigh 10.2.0.2 "$old"
wait_neigh 2001:db8:2::2 "$old"
log "usnet knows h2 as $old"

log "A: h2 changes its MAC and announces it"
nsx "$NS_H2" sysctl -qw net.ipv4.conf.eth0.arp_notify=1 net.ipv6.conf.eth0.ndisc_notify=1
new=02:00:00:aa:bb:01
ip -n "$NS_H2" link set eth0 address $new
[ "$(h2_mac)" = $new ] || fail "h2 MAC did not change"
if command -v arping >/dev/null; then
	nsx "$NS_H2" timeout 10 arping -q -U -c 2 -w 3 -I eth0 10.2.0.2
fi
wait_neigh 10.2.0.2 $new
wait_neigh 2001:db8:2::2 $new
log "usnet updated both entries to $new"
both_ways

log "B: h2 changes its MAC silently, then talks to usnet"
nsx "$NS_H2" sysctl -qw net.ipv4.conf.eth0.arp_notify=0 net.ipv6.conf.eth0.ndisc_notify=0
new2=02:00:00:aa:bb:02
ip -n "$NS_H2" link set eth0 address $new2
ip -n "$NS_H2" neigh flush dev eth0
ip -n "$NS_H2" -6 neigh flush dev eth0
ping_all "$NS_H2" 1 10.2.0.1
ping_all "$NS_H2" 1 -6 2001:db8:2::1
wait_neigh 10.2.0.2 $new2
wait_neigh 2001:db8:2::2 $new2
log "usnet learnt $new2 from h2's ARP request and NS"
both_ways

log "C: neighbors that do not exist"
snap before
for dst in 10.2.0.99 2001:db8:2::99; do
	out=$(nsx "$NS_H1" timeout 20 ping -n -c 3 -i 0.2 -W 2 "$dst" 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -q ' 0 received' || fail "$dst answered"
	# RFC 1812 4.3.3.1 / RFC 4861 7.2.2: host / address unreachable
	echo "$out" | grep -q 'Destination Host Unreachable\|Address unreachable' ||
		fail "no ICMP unreachable for $dst after address resolution failed"
done
wait_neigh 10.2.0.99 FAILED
wait_neigh 2001:db8:2::99 FAILED
for ((i = 0; i < 50; i++)); do
	snap after
	[ "$(jget "$(snapf after)" "j['total']['neigh_queued']")" = 0 ] && break
	sleep 0.1
done
failed=$(( $(drops_of "$(snapf after)" neigh_failed) - $(drops_of "$(snapf before)" neigh_failed) ))
others=0
for r in neigh_queue_full neigh_no_entry; do
	others=$(( others + $(drops_of "$(snapf after)" $r) - $(drops_of "$(snapf before)" $r) ))
done
log "neigh_failed grew by $failed, neigh_queue_full+neigh_no_entry by $others"
[ "$failed" -ge 1 ] || fail "neigh_failed did not grow"
[ $((failed + others)) = 6 ] || fail "6 echoes to missing neighbors, $((failed + others)) counted as neighbor drops"

both_ways
usnet_alive
check_conservation
