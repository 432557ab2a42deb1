#!/usr/bin/env bash
# iperf3 through usnet: TCP h1 -> h2 for 10 s (IPv4) must exceed 200 Mbit/s
# without error; UDP at 100 Mbit/s for 5 s must lose < 5%; TCP over IPv6
# for 5 s must complete. Prints the figures; conservation holds afterwards.
# MIN_TCP_MBPS overrides the 200 Mbit/s floor.
. "$(dirname "$0")/lib.sh"
need_env iperf3
topo_up

MIN_TCP=${MIN_TCP_MBPS:-200}

bg_start ip netns exec "$NS_H2" iperf3 -s -p 5201 >"$TMPD/iperf3-server.log" 2>&1
for ((i = 0; i < 50; i++)); do
	nsx "$NS_H2" ss -ltn 2>/dev/null | grep -q ':5201 ' && break
	sleep 0.1
done
[ $i -lt 50 ] || fail "iperf3 server did not start listening in h2"

# run_iperf NAME ARGS...: client in h1, JSON to $TMPD/NAME.json.
run_iperf() {
	local name=$1
	shift
	log "iperf3 $*"
	nsx "$NS_H1" timeout 60 iperf3 --connect-timeout 3000 -p 5201 -J "$@" >"$TMPD/$name.json" 2>&1
	local rc=$?
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

run_iperf tcp4 -c 10.2.0.2 -t 10
tcp4=$(jget "$TMPD/tcp4.json" "round(j['end']['sum_received']['bits_per_second']/1e6, 1)")
retr=$(jget "$TMPD/tcp4.json" "j['end']['sum_sent'].get('retransmits', 0)")
log "TCP IPv4: $tcp4 Mbit/s received, $retr retransmits"

snap udp_before
run_iperf udp4 -c 10.2.0.2 -u -b 100M -t 5
snap udp_after
udp_mbps=$(jget "$TMPD/udp4.json" "round(j['end']['sum']['bits_per_second']/1e6, 1)")
udp_loss=$(jget "$TMPD/udp4.json" "round(j['end']['sum']['lost_percent'], 3)")
udp_lost=$(jget "$TMPD/udp4.json" "j['end']['sum']['lost_packets']")
udp_pkts=$(jget "$TMPD/udp4.json" "j['end']['sum']['packets']")
udp_drops=$("$PY" - "$(snapf udp_before)" "$(snapf udp_after)" <<'PYEOF'
import json, sys
b, a = (json.load(open(f))["total"] for f in sys.argv[1:3])
d = {}
for k in ("rx_drops", "tx_drops", "orphan_drops"):
    for r, n in a.get(k, {}).items():
        if n - b.get(k, {}).get(r, 0):
            d[r] = d.get(r, 0) + n - b.get(k, {}).get(r, 0)
print(", ".join("%s %d" % x for x in sorted(d.items())) or "none")
PYEOF
)
log "UDP IPv4: $udp_mbps Mbit/s, lost $udp_lost of $udp_pkts ($udp_loss%); usnet drops meanwhile: $udp_drops"

run_iperf tcp6 -c 2001:db8:2::2 -t 5
tcp6=$(jget "$TMPD/tcp6.json" "round(j['end']['sum_received']['bits_per_second']/1e6, 1)")
log "TCP IPv6: $tcp6 Mbit/s received"

echo "FIGURES driver=$DRIVER build=${USNET_BUILD:-build}: tcp4 ${tcp4} Mbit/s (retransmits $retr), udp4 ${udp_mbps} Mbit/s loss ${udp_loss}% (usnet drops: $udp_drops), tcp6 ${tcp6} Mbit/s"
"$PY" -c "import sys; sys.exit(0 if $tcp4 > $MIN_TCP else 1)" ||
	fail "TCP IPv4 throughput $tcp4 Mbit/s is not above $MIN_TCP Mbit/s"
"$PY" -c "import sys; sys.exit(0 if $udp_loss < 5 else 1)" ||
	fail "UDP loss $udp_loss% is not below 5%"
"$PY" -c "import sys; sys.exit(0 if $tcp6 > 0 else 1)" || fail "TCP IPv6 moved no data"

usnet_alive
ctl stats
check_conservation
