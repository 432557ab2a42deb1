#!/usr/bin/env bash
# usnet as a learning bridge between Linux hosts (as Linux's
# selftests/net/forwarding bridge tests do, with usnet as the bridge):
#   h1, h2, h3 on ports p1..p3 of br0 (10.0.0.0/24, br0 = 10.0.0.254);
#   h4 on the routed port p4 (10.4.0.0/24, usnet 10.4.0.1).
# Checks: pings between the hosts, learning seen in `fdb show -j`; flooding
# seen by tcpdump in h3 (the broadcast ARP and the first unknown-unicast
# echo from h1 to h2, then nothing once learnt); br0's address answers every
# host; routing between br0 and p4; aging (ageing_time 2: learnt entries go,
# a static one stays; needs bridge_timer() on usnet's timer); iperf3 TCP
# h1 -> h2 through the bridge moves data (rate printed, not judged);
# conservation on every device.
. "$(dirname "$0")/lib_bridge.sh"
need_env ping tcpdump iperf3

br_topo_up "link add br0 type bridge
link set p1 master br0
link set p2 master br0
link set p3 master br0
addr add 10.0.0.254/24 dev br0
addr add 10.4.0.1/24 dev p4
link set br0 up"

host_addr "$NS_H1" 10.0.0.1/24 10.0.0.254
host_addr "$NS_H2" 10.0.0.2/24 10.0.0.254
host_addr "$NS_H3" 10.0.0.3/24 10.0.0.254
host_addr "$NS_H4" 10.4.0.2/24 10.4.0.1
MAC1=$(host_mac "$NS_H1")
MAC2=$(host_mac "$NS_H2")
MAC3=$(host_mac "$NS_H3")

log "pings between the bridged hosts"
ping_all "$NS_H1" 3 10.0.0.2
ping_all "$NS_H1" 3 10.0.0.3
ping_all "$NS_H2" 3 10.0.0.3

log "learning: fdb show -j maps each host to its port"
ctl fdb show br br0
for pair in "$MAC1:p1" "$MAC2:p2" "$MAC3:p3"; do
	mac=${pair%:*}
	want=${pair##*:}
	got=$(fdb_port_of "$mac")
	[ "$got" = "$want" ] || fail "fdb: $mac is on '$got', expected $want"
done

log "br0's address answers every host"
for ns in "$NS_H1" "$NS_H2" "$NS_H3"; do
	ping_all "$ns" 3 10.0.0.254
done

log "routing between br0 and p4"
ping_all "$NS_H1" 3 10.4.0.2
ping_all "$NS_H4" 3 10.0.0.3

log "flooding: broadcast ARP from h1 reaches h3; unknown unicast once, then not"
ctl fdb flush br br0
for ns in "$NS_H1" "$NS_H2"; do
	ip -n "$ns" neigh flush dev eth0
done
tcpdump_start "$NS_H3" "$TMPD/h3-arp.txt" arp and ether src "$MAC1"
ping_all "$NS_H1" 1 10.0.0.2
tcpdump_stop
sed 's/^/    h3: /' "$TMPD/h3-arp.txt"
grep -q "Request who-has 10.0.0.2 tell 10.0.0.1" "$TMPD/h3-arp.txt" ||
	fail "h3 did not see h1's broadcast ARP request for 10.0.0.2"

# Permanent neighbors first, so that no ARP (or ARP probe) teaches the
# bridge where h2 is before the first echo request.
ip -n "$NS_H1" neigh replace 10.0.0.2 lladdr "$MAC2" dev eth0 nud permanent
ip -n "$NS_H2" neigh replace 10.0.0.1 lladdr "$MAC1" dev eth0 nud permanent
tcpdump_start "$NS_H3" "$TMPD/h3-icmp.txt" icmp and ether dst "$MAC2"
ctl fdb flush br br0
[ -z "$(fdb_port_of "$MAC2")" ] || fail "fdb flush left $MAC2 in the FDB"
ping_all "$NS_H1" 5 10.0.0.2
tcpdump_stop
sed 's/^/    h3: /' "$TMPD/h3-icmp.txt"
n=$(grep -c "echo request" "$TMPD/h3-icmp.txt")
[ "$n" = 1 ] || { ctl fdb show br br0; fail "h3 saw $n echo requests for h2 (expected exactly the first, flooded)"; }
[ "$(fdb_port_of "$MAC2")" = p2 ] || fail "h2 was not learnt on p2"
log "h3 saw exactly 1 of 5 unicast echo requests to h2: flooded once, then forwarded"

log "iperf3 TCP h1 -> h2 through the bridge"
iperf3_server "$NS_H2"
nsx "$NS_H1" timeout 60 iperf3 --connect-timeout 3000 -p 5201 -J -c 10.0.0.2 \
	-t "${BRIDGE_IPERF_SECONDS:-5}" >"$TMPD/tcp.json" 2>&1 ||
	{ head -c 2000 "$TMPD/tcp.json"; fail "iperf3 through the bridge failed"; }
gbps=$(jget "$TMPD/tcp.json" "round(j['end']['sum_received']['bits_per_second']/1e9, 2)")
retr=$(jget "$TMPD/tcp.json" "j['end']['sum_sent'].get('retransmits', 0)")
echo "FIGURES bridge build=${USNET_BUILD:-build}: iperf3 TCP h1 -> h2 through br0 $gbps Gbit/s ($retr retransmits)"
# speed is reported (bench/ measures it); the transfer must move data
"$PY" -c "import sys; sys.exit(0 if $gbps > 0 else 1)" || fail "TCP through the bridge moved no data"

log "aging: ageing_time 2 s; learnt entries go, a static one stays"
ctl fdb add 02:00:00:00:00:99 dev p3 static
ctl bridge set dev br0 ageing_time 2
ping_all "$NS_H1" 1 10.0.0.3
[ -n "$(fdb_port_of "$MAC3")" ] || fail "h3 not learnt before aging"
t0=$SECONDS
while [ -n "$(fdb_port_of "$MAC1")$(fdb_port_of "$MAC3")" ]; do
	[ $((SECONDS - t0)) -lt 10 ] || { ctl fdb show br br0; fail "learnt entries still there 10 s after they stopped talking (ageing_time 2; does usnet call bridge_timer() from its 100 ms timer?)"; }
	sleep 0.2
done
log "learnt entries aged out within $((SECONDS - t0)) s of silence"
ctl fdb show br br0
[ "$(fdb_port_of 02:00:00:00:00:99)" = p3 ] || fail "the static entry aged out"
ctl bridge set dev br0 ageing_time 300

usnet_alive
ctl stats
check_conservation
