#!/usr/bin/env bash
# Active-backup bond with real hosts (topology in lib_bond.sh: usnet bond0 =
# p1 + p2 on two veths into a Linux bridge in h2):
#  - ping both ways and bond0's own addresses; p1 is the active slave;
#  A. the kernel link of the active slave goes down (its veth peer in h2 is
#     set down) during an iperf3 TCP run h1 -> h2 and a 100 Hz ping: miimon
#     notices, p2 takes over, the transfer completes;
#  B. the new active slave is set down in usnet (`link set p2 down`; its
#     kernel link stays up, so the bridge keeps sending to it until the
#     bond's gratuitous ARP on p1 moves the MAC): p1 takes over, the
#     transfer completes;
#  - frames the bridge floods to the backup slave are dropped and counted
#    (bond_inactive_slave); packet conservation holds on every device.
# Prints FIGURES: the outage (ping loss at 10 ms intervals), iperf3 rate
# and retransmits of each run. MAX_GAP_MS (default 2000) bounds the outage.
. "$(dirname "$0")/lib_bond.sh"
need_env ping iperf3
bond_topo_up "mode active-backup miimon 100"
MAX_GAP_MS=${MAX_GAP_MS:-2000}

log "ping through the bond and to its own addresses"
ping_all "$NS_H1" 3 10.2.0.2
ping_all "$NS_H1" 3 -6 2001:db8:2::2
ping_all "$NS_H2" 3 10.2.0.1
ping_all "$NS_H2" 3 -6 2001:db8:2::1
bond_wait_active p1

iperf3_server "$NS_H2"

# failover_run NAME ACTION...: 6 s of iperf3 TCP h1 -> h2 and 100 Hz ping;
# ACTION runs 2 s in. Sets GAP_MS, MBPS, RETR, ZERO (0.2 s intervals
# without data).
failover_run() {
	local name=$1 ipid ppid i sent recv
	shift
	nsx "$NS_H1" timeout 30 iperf3 --connect-timeout 3000 -p 5201 -J \
		-c 10.2.0.2 -t 6 -i 0.2 >"$TMPD/$name.json" 2>&1 &
	ipid=$!
	BG_PIDS+=("$ipid")
	nsx "$NS_H1" timeout 30 ping -n -q -i 0.01 -c 600 -W 1 10.2.0.2 \
		>"$TMPD/$name.ping" 2>&1 &
	ppid=$!
	BG_PIDS+=("$ppid")
	sleep 2
	log "$name: $*"
	"$@" || fail "$name: '$*' failed"
	for ((i = 0; i < 300; i++)); do
		pid_alive "$ipid" || pid_alive "$ppid" || break
		sleep 0.1
	done
	wait "$ipid" || { cat "$TMPD/$name.json"; fail "$name: iperf3 failed"; }
	wait "$ppid"
	bond_iperf_ok "$TMPD/$name.json"
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$TMPD/$name.ping")
	recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMPD/$name.ping")
	[ -n "$sent" ] && [ -n "$recv" ] || { cat "$TMPD/$name.ping"; fail "$name: no ping summary"; }
	GAP_MS=$(((sent - recv) * 10))
	MBPS=$(jget "$TMPD/$name.json" "round(j['end']['sum_received']['bits_per_second']/1e6, 1)")
	RETR=$(jget "$TMPD/$name.json" "j['end']['sum_sent'].get('retransmits', 0)")
	ZERO=$(jget "$TMPD/$name.json" "sum(1 for i in j['intervals'] if i['sum']['bytes'] == 0)")
	# the last second after the failover must carry data
	"$PY" - "$TMPD/$name.json" <<'PYEOF' || fail "$name: no data in the last second: the transfer did not continue"
import json, sys
j = json.load(open(sys.argv[1]))
tail = [i["sum"]["bytes"] for i in j["intervals"] if i["sum"]["start"] >= 5.0]
sys.exit(0 if tail and min(tail) > 0 else 1)
PYEOF
	log "$name: ping lost $((sent - recv)) of $sent (outage ~${GAP_MS} ms), iperf3 $MBPS Mbit/s, $RETR retransmits, $ZERO empty 0.2 s intervals"
	[ "$GAP_MS" -le "$MAX_GAP_MS" ] || fail "$name: outage ${GAP_MS} ms exceeds ${MAX_GAP_MS} ms"
}

snap before
failover_run A_kernel_link ip -n "$NS_H2" link set b1 down
bond_wait_active p2
A="outage ${GAP_MS} ms, ${MBPS} Mbit/s, ${RETR} retransmits, ${ZERO} empty intervals"
[ "$(jget "$TMPD/bond.json" "j[0]['slaves'][0]['link']")" = down ] ||
	fail "bond0 does not show p1's link down"
[ "$(jget "$TMPD/bond.json" "j[0]['failovers']")" = 1 ] || fail "bond0 failovers != 1"
ping_all "$NS_H2" 3 10.2.0.1

log "p1's link comes back: no primary, so p2 stays active"
ip -n "$NS_H2" link set b1 up
for ((i = 0; i < 50; i++)); do
	bond_field mode >/dev/null
	[ "$(jget "$TMPD/bond.json" "j[0]['slaves'][0]['link']")" = up ] && break
	sleep 0.1
done
[ $i -lt 50 ] || { ctl link show bond0; fail "p1's link not back up in bond0 within 5 s"; }
bond_wait_active p2

failover_run B_usnet_down "$USNETCTL" -s "$SOCK" link set p2 down
bond_wait_active p1
B="outage ${GAP_MS} ms, ${MBPS} Mbit/s, ${RETR} retransmits, ${ZERO} empty intervals"
ctl link set p2 up
ping_all "$NS_H1" 3 10.2.0.2
ping_all "$NS_H1" 3 -6 2001:db8:2::2

snap after
inactive=$(drops_of "$(snapf after)" bond_inactive_slave)
log "frames dropped on the backup slave (bond_inactive_slave): $inactive"
[ "$inactive" -gt 0 ] || fail "no bond_inactive_slave drops: the bridge floods to the backup, they must be counted"
echo "FIGURES bond active-backup miimon 100: A (kernel link down): $A; B (usnetctl link set down): $B"

usnet_alive
ctl link show bond0
ctl stats
check_conservation
