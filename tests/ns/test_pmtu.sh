#!/usr/bin/env bash
# Path MTU: usnet's p1 and h2's eth0 have MTU 1400. With DF set, usnet
# answers a 1478-byte packet with frag-needed (v4) / packet-too-big (v6)
# carrying mtu 1400, which ping and tracepath report; with DF clear, usnet
# fragments and h2 reassembles. Each check uses its own destination address
# on h2 so that the PMTU h1 cached in an earlier check does not answer it.
. "$(dirname "$0")/lib.sh"
need_env ping tracepath
topo_up "link set p1 mtu 1400
sysctl net.ipv4.icmp_ratelimit=0
sysctl net.ipv6.icmp.ratelimit=0"
ip -n "$NS_H2" link set eth0 mtu 1400
for n in 3 4; do
	ip -n "$NS_H2" addr add "10.2.0.$n/24" dev eth0
	ip -n "$NS_H2" addr add "2001:db8:2::$n/64" dev eth0 nodad
done
hosts_wait_ready
mtu=$(ctlj link show p1 >"$TMPD/l.json" && jget "$TMPD/l.json" "j[0]['mtu']")
[ "$mtu" = 1400 ] || fail "usnet p1 mtu is '$mtu', not 1400"

# expect_ping NAME PATTERN ping-args...: one DF ping, its output must match.
expect_ping() {
	local name=$1 pat=$2 out
	shift 2
	log "ping $*"
	out=$(nsx "$NS_H1" timeout 10 ping -n -c 1 -W 2 "$@" 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -qF "$pat" || fail "$name: ping output lacks '$pat'"
}
expect_ping "v4 DF" "From 10.1.0.1 icmp_seq=1 Frag needed and DF set (mtu = 1400)" \
	-M do -s 1450 10.2.0.2
expect_ping "v6" "From 2001:db8:1::1 icmp_seq=1 Packet too big: mtu=1400" \
	-6 -M do -s 1450 2001:db8:2::2

for v in 4 6; do
	if [ $v = 4 ]; then dst=10.2.0.3; hop1=10.1.0.1; else dst=2001:db8:2::3; hop1=2001:db8:1::1; fi
	log "tracepath -$v -n $dst"
	nsx "$NS_H1" timeout 60 tracepath -$v -n -m 5 "$dst" >"$TMPD/tp$v.txt" 2>&1
	sed 's/^/    /' "$TMPD/tp$v.txt"
	grep -qE '^ *1\?: \[LOCALHOST\] .*pmtu 1500' "$TMPD/tp$v.txt" ||
		fail "tracepath -$v: did not start from pmtu 1500 (stale PMTU cache?)"
	grep -qE "^ *[0-9]+: +$hop1 .*pmtu 1400" "$TMPD/tp$v.txt" ||
		fail "tracepath -$v: no probe answered by usnet ($hop1) with pmtu 1400"
	grep -q 'Resume: pmtu 1400' "$TMPD/tp$v.txt" || fail "tracepath -$v: final pmtu is not 1400"
done

log "DF clear: usnet fragments, h2 reassembles"
snap before
out=$(nsx "$NS_H1" timeout 20 ping -n -c 3 -i 0.2 -W 2 -M dont -s 1450 10.2.0.4 2>&1)
echo "$out" | sed 's/^/    /'
echo "$out" | grep -q ' 3 received' || fail "DF-clear ping of 1478 bytes: not all 3 answered"
echo "$out" | grep -q 'bytes from 10.2.0.4: icmp_seq=.* ttl=63' || fail "DF-clear ping: no full-size reply"
snap after
delta() { # DEV COUNTER: growth between the two snapshots
	echo $(( $(dev_counter "$(snapf after)" "$1" "$2") - $(dev_counter "$(snapf before)" "$1" "$2") ))
}
fwd=$(delta p0 forwarded)
tx=$(delta p1 tx_packets)
orig=$(delta p1 originated)
split=$(delta p1 split_extra)
log "deltas: p0 forwarded $fwd; p1 tx_packets $tx originated $orig fwd_in $(delta p1 fwd_in) split_extra $split"
# Each 1478-byte echo leaves p1 as 2 fragments: more frames out of p1 than
# packets forwarded into it.
[ $((tx - orig)) -ge $((fwd + 3)) ] ||
	fail "p1 sent $((tx - orig)) non-local frames for $fwd forwarded packets: no fragmentation seen"
# dev.h: split_extra counts the extra packets made by GSO/fragmentation.
[ "$split" -ge 3 ] || fail "p1 split_extra grew by $split, want >= 3 (one extra fragment per echo; dev.h)"
frag_fail=$(( $(drops_of "$(snapf after)" ip4_frag_failed) - $(drops_of "$(snapf before)" ip4_frag_failed) ))
[ "$frag_fail" = 0 ] || fail "ip4_frag_failed drops rose by $frag_fail"

usnet_alive
check_conservation
