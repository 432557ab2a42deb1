#!/usr/bin/env bash
# usnet as an end host: 3000-byte pings to its own addresses arrive
# fragmented (h1 fragments for the 1400-byte link), usnet reassembles them
# and fragments its 3028-byte replies for the same link (IPv4 and IPv6).
. "$(dirname "$0")/lib.sh"
need_env ping
topo_up "link set p0 mtu 1400"
ip -n "$NS_H1" link set eth0 mtu 1400
hosts_wait_ready
for a in 10.1.0.1 2001:db8:1::1; do
	log "ping -s 3000 $a"
	out=$(nsx "$NS_H1" timeout 15 ping -n -c 3 -i 0.2 -W 2 -s 3000 "$a" 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -q "3 received" || fail "$a: not all 3 large echoes answered"
done
snap st
tx=$(dev_counter "$(snapf st)" p0 tx_packets)
orig=$(dev_counter "$(snapf st)" p0 originated)
extra=$(dev_counter "$(snapf st)" p0 split_extra)
[ "$tx" -ge 12 ] || fail "p0 sent $tx frames for 6 fragmented replies (expected >= 12)"
# each reply counts once as originated, its further fragments as split_extra
[ "$orig" -ge 6 ] || fail "p0 originated $orig (expected >= 6 replies)"
[ "$extra" -ge 6 ] || fail "p0 split_extra $extra (expected >= 6 extra fragments)"
check_conservation
echo PASS
