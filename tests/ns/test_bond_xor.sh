#!/usr/bin/env bash
# balance-xor bond (xmit_hash_policy layer3+4) with real hosts (topology in
# lib_bond.sh: usnet bond0 = p1 + p2 on two veths into a Linux bridge in h2):
#  - ping both ways through the bond and to its own addresses;
#  - 64 UDP flows h1 -> h2 (different source ports, 20 datagrams each): every
#    datagram reaches h2 (its UDP NoPorts counter) and both slaves carry a
#    share (usnet's per-device tx counters), each at least 15%;
#  - iperf3 TCP with 8 parallel streams; both slaves carry data;
#  - one slave's kernel link down: all 64 flows on the other, none lost;
#  - packet conservation holds on every device.
# Prints FIGURES: the split of UDP datagrams and of the TCP run.
. "$(dirname "$0")/lib_bond.sh"
need_env ping iperf3
bond_topo_up "mode balance-xor xmit_hash_policy layer3+4 miimon 100"

log "ping through the bond and to its own addresses"
ping_all "$NS_H1" 3 10.2.0.2
ping_all "$NS_H1" 3 -6 2001:db8:2::2
ping_all "$NS_H2" 3 10.2.0.1
ping_all "$NS_H2" 3 -6 2001:db8:2::1
[ "$(bond_field mode)" = balance-xor ] || fail "bond0 is not in balance-xor mode"

# udp_flows NAME: 64 flows x 20 datagrams h1 -> h2:9 (discard, closed);
# sets D1, D2 (tx on p1, p2 meanwhile) and GOT (datagrams h2 saw).
udp_flows() {
	local n0 p1a p2a
	n0=$(udp_noports "$NS_H2")
	snap "$1_before"
	udp_64_flows "$NS_H1" 10.1.0.2 10.2.0.2 || fail "$1: UDP sender failed"
	sleep 1
	snap "$1_after"
	p1a=$(dev_counter "$(snapf "$1_before")" p1 tx_packets)
	p2a=$(dev_counter "$(snapf "$1_before")" p2 tx_packets)
	D1=$(($(dev_counter "$(snapf "$1_after")" p1 tx_packets) - p1a))
	D2=$(($(dev_counter "$(snapf "$1_after")" p2 tx_packets) - p2a))
	GOT=$(($(udp_noports "$NS_H2") - n0))
	log "$1: 1280 datagrams sent, h2 got $GOT; usnet sent $D1 frames on p1, $D2 on p2"
	[ "$GOT" -ge 1280 ] || fail "$1: h2 received $GOT of 1280 datagrams"
}

udp_flows spread
[ "$D1" -ge 192 ] && [ "$D2" -ge 192 ] ||
	fail "flows not spread over both slaves (p1 $D1, p2 $D2 frames; each must be >= 15% of 1280)"
UDP="UDP 64 flows: p1 $D1 / p2 $D2 frames"

log "iperf3 TCP, 8 parallel streams (frames usnet sent on each slave)"
tcp8_two_links 4 bond_tx_of
bond_iperf_ok "$TMPD/tcp8.json"

log "p2's kernel link down: everything on p1"
ip -n "$NS_H2" link set b2 down
for ((i = 0; i < 50; i++)); do
	bond_field mode >/dev/null
	[ "$(jget "$TMPD/bond.json" "j[0]['slaves'][1]['link']")" = down ] && break
	sleep 0.1
done
[ $i -lt 50 ] || { ctl link show bond0; fail "bond0 did not see p2's link go down within 5 s"; }
udp_flows one_slave
[ "$D2" = 0 ] && [ "$D1" -ge 1280 ] || fail "with p2 down: p1 $D1, p2 $D2 frames"
ip -n "$NS_H2" link set b2 up

ctl link show bond0
log "delete bond0 while h1 pings h2 at 100 Hz: the slaves are released"
nsx "$NS_H1" timeout 10 ping -n -q -i 0.01 -c 200 -W 1 10.2.0.2 >"$TMPD/del.ping" 2>&1 &
ppid=$!
BG_PIDS+=("$ppid")
sleep 0.5
ctl link del bond0 || fail "link del bond0 failed"
wait "$ppid"
ctlj link show >"$TMPD/links.json" || fail "usnetctl link show failed"
left=$(jget "$TMPD/links.json" "' '.join(d['ifname'] + ':' + d.get('master', '-') for d in j)")
case " $left " in
*bond0*) fail "bond0 still listed after its deletion: $left" ;;
*" p1:- "*) ;;
*) fail "p1 still enslaved after deleting bond0: $left" ;;
esac
case " $left " in *" p2:- "*) ;; *) fail "p2 still enslaved after deleting bond0: $left" ;; esac
log "links now: $left"

echo "FIGURES bond balance-xor layer3+4: $UDP; $TCP"
usnet_alive
ctl stats
check_conservation
