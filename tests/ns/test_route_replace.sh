#!/usr/bin/env bash
# Route and nexthop changes under load lose nothing (lib_multipath.sh
# topology, iperf3 from h1 to h2's service address 10.9.0.1):
#  1. baseline: TCP at a fixed rate and UDP at 100 Mbit/s, nothing changes;
#  2. TCP while `route replace` swaps the route between two versions of the
#     same path every 20 ms, then while `nexthop replace` moves the route's
#     nexthop object between p1 and p2 (path flips): iperf3 completes, its
#     rate stays, and it retransmits no more than in the baseline;
#  3. UDP while the same replaces run: no datagram lost (iperf3's count),
#     and usnet dropped nothing;
#  4. a bulk `route load` of 20000 routes meanwhile does not disturb UDP.
# Prints the figures (rates, retransmits, losses, number of replaces).
. "$(dirname "$0")/lib_multipath.sh"
need_env iperf3
mp_topo_up "nexthop add id 1 via 10.2.0.2 dev p1
route add $SVC4/32 via 10.2.0.2 dev p1"
mp_prime_neighbors
RATE=${REPLACE_TCP_RATE:-300M}
FIGURES=()

# bound to the service address: UDP answers come from it, not from eth0
bg_start ip netns exec "$NS_H2" iperf3 -s -p 5201 -B $SVC4 >"$TMPD/iperf3-server.log" 2>&1
for ((i = 0; i < 50; i++)); do
	nsx "$NS_H2" ss -ltn 2>/dev/null | grep -q ':5201 ' && break
	sleep 0.1
done
[ $i -lt 50 ] || fail "iperf3 server did not start listening in h2"

# iperf NAME ARGS...: client in h1, JSON in $TMPD/NAME.json, must succeed.
iperf() {
	local name=$1 rc
	shift
	sleep 1   # let the server settle after the previous test
	nsx "$NS_H1" timeout 60 iperf3 --connect-timeout 3000 -p 5201 -J -c $SVC4 "$@" \
		>"$TMPD/$name.json" 2>&1
	rc=$?
	"$PY" - "$TMPD/$name.json" <<'PYEOF' || fail "iperf3 $name failed (rc $rc)"
import json, sys
try:
    j = json.load(open(sys.argv[1]))
except Exception as e:
    print("not JSON:", e); print(open(sys.argv[1]).read()[:2000]); sys.exit(1)
if j.get("error"):
    print("iperf3 error:", j["error"]); sys.exit(1)
PYEOF
	[ $rc = 0 ] || fail "iperf3 $name exited with $rc"
}

tcp_mbps() { jget "$TMPD/$1.json" "round(j['end']['sum_received']['bits_per_second']/1e6, 1)"; }
tcp_retr() { jget "$TMPD/$1.json" "j['end']['sum_sent'].get('retransmits', 0)"; }
udp_lost() { jget "$TMPD/$1.json" "j['end']['sum']['lost_packets']"; }
udp_pkts() { jget "$TMPD/$1.json" "j['end']['sum']['packets']"; }

# The replace loops run as their own shell, stopped through a flag file.
# MODE route: route replace between two versions of the p1 route (mtu set
# or not); MODE nexthop: the route uses object 1, which flips p1 <-> p2.
churn_start() { # MODE
	rm -f "$TMPD/churn.stop" "$TMPD/churn.count"
	bg_start bash -c '
		ctlbin=$1 sock=$2 mode=$3 tmpd=$4 svc=$5 n=0
		while [ ! -e "$tmpd/churn.stop" ]; do
			if [ "$mode" = route ]; then
				if [ $((n % 2)) = 0 ]; then
					"$ctlbin" -s "$sock" route replace "$svc/32" via 10.2.0.2 dev p1 mtu 1500 || exit 1
				else
					"$ctlbin" -s "$sock" route replace "$svc/32" via 10.2.0.2 dev p1 || exit 1
				fi
			else
				if [ $((n % 2)) = 0 ]; then
					"$ctlbin" -s "$sock" nexthop replace id 1 via 10.3.0.2 dev p2 || exit 1
				else
					"$ctlbin" -s "$sock" nexthop replace id 1 via 10.2.0.2 dev p1 || exit 1
				fi
			fi
			n=$((n + 1))
			echo $n >"$tmpd/churn.count"
			sleep 0.02
		done' churn "$USNETCTL" "$SOCK" "$1" "$TMPD" "$SVC4"
	CHURN_PID=$BG_LAST
}

churn_stop() {
	touch "$TMPD/churn.stop"
	wait "$CHURN_PID" || fail "a replace command failed during the run"
	CHURN_N=$(cat "$TMPD/churn.count" 2>/dev/null || echo 0)
	[ "$CHURN_N" -ge 20 ] || fail "only $CHURN_N replaces ran"
}

# Drops usnet counted, all reasons, from a stats snapshot.
all_drops() {
	"$PY" - "$1" <<'PYEOF'
import json, sys
t = json.load(open(sys.argv[1]))["total"]
print(sum(sum(t.get(k, {}).values()) for k in ("rx_drops", "tx_drops", "orphan_drops")))
PYEOF
}

log "1. baseline"
iperf tcp_base -t 4 -b "$RATE"
iperf udp_base -u -b 100M -l 1200 -t 4
FIGURES+=("baseline: TCP $(tcp_mbps tcp_base) Mbit/s, $(tcp_retr tcp_base) retransmits; UDP lost $(udp_lost udp_base) of $(udp_pkts udp_base)")
log "${FIGURES[-1]}"
base_retr=$(tcp_retr tcp_base)
base_mbps=$(tcp_mbps tcp_base)

for mode in route nexthop; do
	if [ $mode = nexthop ]; then
		ctl route replace $SVC4/32 nhid 1 || fail "route replace nhid 1"
	fi
	log "2. TCP while ${mode} replace runs every 20 ms"
	churn_start $mode
	iperf "tcp_$mode" -t 4 -b "$RATE"
	churn_stop
	FIGURES+=("TCP with $CHURN_N $mode replaces: $(tcp_mbps tcp_$mode) Mbit/s, $(tcp_retr tcp_$mode) retransmits")
	log "${FIGURES[-1]}"
	[ "$(tcp_retr tcp_$mode)" -le $((base_retr + 2)) ] ||
		fail "TCP with $mode replaces retransmitted $(tcp_retr tcp_$mode) segments (baseline $base_retr)"
	"$PY" -c "import sys; sys.exit(0 if $(tcp_mbps tcp_$mode) >= 0.8 * $base_mbps else 1)" ||
		fail "TCP with $mode replaces ran at $(tcp_mbps tcp_$mode) Mbit/s (baseline $base_mbps)"

	log "3. UDP while ${mode} replace runs every 20 ms"
	snap "u0_$mode"
	churn_start $mode
	iperf "udp_$mode" -u -b 100M -l 1200 -t 4
	churn_stop
	sleep 0.3
	snap "u1_$mode"
	drops=$(($(all_drops "$(snapf u1_$mode)") - $(all_drops "$(snapf u0_$mode)")))
	FIGURES+=("UDP 100M with $CHURN_N $mode replaces: lost $(udp_lost udp_$mode) of $(udp_pkts udp_$mode), usnet drops $drops")
	log "${FIGURES[-1]}"
	[ "$(udp_lost udp_$mode)" = 0 ] || fail "UDP lost datagrams during $mode replaces"
	[ "$drops" = 0 ] || { ctl stats; fail "usnet dropped $drops packets during $mode replaces"; }
done

log "4. route load of 20000 routes during UDP"
"$PY" - "$TMPD/routes.txt" <<'PYEOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(20000):
        f.write("route add 172.%d.%d.0/24 via 10.3.0.2 dev p2\n" % (16 + i // 256 % 16, i % 256))
PYEOF
snap l0
bg_start ip netns exec "$NS_H1" timeout 60 iperf3 --connect-timeout 3000 -p 5201 -J -c $SVC4 \
	-u -b 100M -l 1200 -t 4 >"$TMPD/udp_load.json" 2>&1
IPERF_PID=$BG_LAST
sleep 1
t0=$(date +%s%N)
ctl route load "$TMPD/routes.txt" || fail "route load failed"
t1=$(date +%s%N)
wait "$IPERF_PID" >/dev/null
sleep 0.3
snap l1
n=$(ctl route show | grep -c '^172\.')
[ "$n" = 20000 ] || fail "route load: $n of 20000 routes present"
drops=$(($(all_drops "$(snapf l1)") - $(all_drops "$(snapf l0)")))
FIGURES+=("route load of 20000 routes: $(((t1 - t0) / 1000000)) ms; UDP alongside: lost $(udp_lost udp_load) of $(udp_pkts udp_load), usnet drops $drops")
log "${FIGURES[-1]}"
[ "$drops" = 0 ] || fail "usnet dropped $drops packets during route load"
[ "$(udp_lost udp_load)" = 0 ] || fail "UDP lost datagrams during route load"

usnet_alive
check_conservation
echo "FIGURES:"
for f in "${FIGURES[@]}"; do
	echo "  $f"
done
