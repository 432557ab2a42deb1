#!/usr/bin/env bash
# iperf3 through usnet: TCP h1 -> h2 for 10 s (IPv4) and 5 s (IPv6) and UDP
# at 100 Mbit/s for 5 s. Asserts behaviour, not speed (speed is measured by
# bench/e2e.sh): the transfers complete and move data; during TCP usnet drops
# nothing except for congestion (full rings); every UDP datagram iperf3 lost
# is explained by a counted drop, usnet's or the hosts' kernels' (no silent
# loss); conservation holds afterwards. Prints the figures.
. "$(dirname "$0")/lib.sh"
need_env iperf3
topo_up

iperf3_server "$NS_H2"

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

# usnet_drops_between SNAP1 SNAP2: "TOTAL reason n, ..." of drops between them.
usnet_drops_between() {
	"$PY" - "$(snapf "$1")" "$(snapf "$2")" <<'PYEOF'
import json, sys
b, a = (json.load(open(f))["total"] for f in sys.argv[1:3])
d = {}
for k in ("rx_drops", "tx_drops", "orphan_drops"):
    for r, n in a.get(k, {}).items():
        if n - b.get(k, {}).get(r, 0):
            d[r] = d.get(r, 0) + n - b.get(k, {}).get(r, 0)
print(sum(d.values()), ", ".join("%s %d" % x for x in sorted(d.items())) or "none")
PYEOF
}

snap tcp_before
run_iperf tcp4 -c 10.2.0.2 -t 10
tcp4=$(jget "$TMPD/tcp4.json" "round(j['end']['sum_received']['bits_per_second']/1e6, 1)")
retr=$(jget "$TMPD/tcp4.json" "j['end']['sum_sent'].get('retransmits', 0)")
log "TCP IPv4: $tcp4 Mbit/s received, $retr retransmits"
snap tcp_after
tcp_drops=$(usnet_drops_between tcp_before tcp_after)

snap udp_before
kd_before=$(kernel_drops)
run_iperf udp4 -c 10.2.0.2 -u -b 100M -t 5
snap udp_after
kd_after=$(kernel_drops)
udp_mbps=$(jget "$TMPD/udp4.json" "round(j['end']['sum']['bits_per_second']/1e6, 1)")
udp_loss=$(jget "$TMPD/udp4.json" "round(j['end']['sum']['lost_percent'], 3)")
udp_lost=$(jget "$TMPD/udp4.json" "j['end']['sum']['lost_packets']")
udp_pkts=$(jget "$TMPD/udp4.json" "j['end']['sum']['packets']")
udp_drops=$(usnet_drops_between udp_before udp_after)
kdrops=$((${kd_after%% *} - ${kd_before%% *}))
log "UDP IPv4: $udp_mbps Mbit/s, lost $udp_lost of $udp_pkts ($udp_loss%); usnet drops meanwhile: ${udp_drops#* } ($((${udp_drops%% *}))); kernel drops meanwhile: $kdrops"
log "kernel counters before: ${kd_before#* }"
log "kernel counters after:  ${kd_after#* }"

run_iperf tcp6 -c 2001:db8:2::2 -t 5
tcp6=$(jget "$TMPD/tcp6.json" "round(j['end']['sum_received']['bits_per_second']/1e6, 1)")
log "TCP IPv6: $tcp6 Mbit/s received"

echo "FIGURES driver=$DRIVER build=${USNET_BUILD:-build}: tcp4 ${tcp4} Mbit/s (retransmits $retr), udp4 ${udp_mbps} Mbit/s loss ${udp_loss}% (usnet drops: ${udp_drops#* }; kernel drops: $kdrops), tcp6 ${tcp6} Mbit/s"
"$PY" -c "import sys; sys.exit(0 if $tcp4 > 0 else 1)" || fail "TCP IPv4 moved no data"
"$PY" -c "import sys; sys.exit(0 if $tcp6 > 0 else 1)" || fail "TCP IPv6 moved no data"
# Full rings are congestion; multicast and unknown protocols are the hosts'
# background chatter (MLD, ...). Anything else during TCP is a datapath fault.
bad_tcp_drops=$(echo "${tcp_drops#* }" | tr ',' '\n' | sed 's/^ *//' |
	grep -vE '^(none|(rx|tx)_ring_full [0-9]+|ip6_mcast_not_joined [0-9]+|l3_bcast_mcast_local [0-9]+|eth_unknown_proto [0-9]+)$')
[ -z "$bad_tcp_drops" ] ||
	fail "usnet dropped packets during the TCP transfer: $(echo $bad_tcp_drops)"
[ "$udp_lost" -le $((${udp_drops%% *} + kdrops)) ] ||
	fail "silent UDP loss: iperf3 lost $udp_lost datagrams, usnet counted ${udp_drops%% *} drops, the kernels $kdrops"

usnet_alive
ctl stats
check_conservation
