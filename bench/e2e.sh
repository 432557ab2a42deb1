#!/usr/bin/env bash
# End-to-end benchmark: real Linux hosts h1 and h2 in network namespaces,
# joined through a router namespace r by veth pairs:
#
#   h1 eth0 10.0.1.2 --- r1 [r] r2 --- eth0 10.0.2.2 h2
#
# r is first usnet (af_packet ports on r1/r2, addresses 10.0.1.1 and
# 10.0.2.1, one worker), then the Linux kernel (ip_forward=1, the same
# addresses on r1/r2), measured one after the other in this run with the
# same tools: iperf3 TCP throughput, iperf3 UDP with 64-byte frames (-l 18),
# sockperf TCP ping-pong round trip. Prints one table with both and the ratio
# usnet/kernel. The topology is rebuilt between the two so neither inherits
# the other's neighbor caches.
#
# Environment: E2E_SECONDS (default 10) per measurement, USNET_BUILD (build
# or build/san), E2E_WORKERS (usnet workers, default 1), E2E_AFP_ARGS (extra
# af_packet words for diagnosis, e.g. "rx-frames 1024"), LOG_DIR (logs and
# raw JSON, default build/bench-logs). Exit: 0 ok, 1 a measurement failed
# (table printed anyway, failures named), 77 cannot run here (reason last).
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
BUILD=${USNET_BUILD:-build}
DUR=${E2E_SECONDS:-10}
WORKERS=${E2E_WORKERS:-1}
LOG_DIR=${LOG_DIR:-$ROOT/build/bench-logs}
TAG="ube$$"
H1="$TAG-h1" R="$TAG-r" H2="$TAG-h2"
IPERF_PORT=5201
SOCKPERF_PORT=11111
WORK=""
USNET_PID=""
BG_PIDS=()
FAILURES=()
declare -A RES

skip() { echo "SKIP: $*"; exit 77; }

[ "$(id -u)" = 0 ] || skip "e2e needs root (network namespaces)"
for t in ip iperf3 sockperf python3 timeout; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
if [ ! -x "$BUILD/usnet" ] || [ ! -x "$BUILD/usnetctl" ]; then
	skip "$BUILD/usnet or $BUILD/usnetctl not built (run make)"
fi
ip netns add "$TAG-probe" 2>/dev/null || skip "cannot create network namespaces"
ip netns del "$TAG-probe"

mkdir -p "$LOG_DIR"
: >"$LOG_DIR/e2e-usnet-ctl.err"
WORK=$(mktemp -d /tmp/usnet-e2e.XXXXXX)

# Foreground commands only: a backgrounded shell function would leave $!
# pointing at a subshell instead of the process (use ip netns exec there).
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

fail() { FAILURES+=("$*"); echo "  FAILED: $*"; }

# Kill a process we started (by id), give it 3 s, then SIGKILL.
stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

stop_servers() {
	local pid
	for pid in "${BG_PIDS[@]}"; do stop_pid "$pid"; done
	BG_PIDS=()
}

stop_usnet() { # -> sets RES[usnet.exit]
	local rc
	[ -n "$USNET_PID" ] || return 0
	if ! kill -0 "$USNET_PID" 2>/dev/null; then
		wait "$USNET_PID"; rc=$?
		RES[usnet.exit]="died (rc=$rc)"
	else
		kill -TERM "$USNET_PID"
		for _ in $(seq 50); do
			kill -0 "$USNET_PID" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$USNET_PID" 2>/dev/null; then
			kill -KILL "$USNET_PID"
			RES[usnet.exit]="hung on SIGTERM, killed"
		fi
		wait "$USNET_PID"; rc=$?
		[ -n "${RES[usnet.exit]:-}" ] || RES[usnet.exit]="rc=$rc"
	fi
	USNET_PID=""
}

topo_down() {
	local ns pid
	for ns in "$H1" "$R" "$H2"; do
		# Anything still running inside our own namespaces was started here.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
}

cleanup() {
	stop_servers
	stop_usnet
	topo_down
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

no_ipv6() { # ns: IPv4 only, so no router solicitations or MLD reports
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
}

topo_up() {
	local ns
	for ns in "$H1" "$R" "$H2"; do
		ip netns add "$ns" || return 1
		no_ipv6 "$ns"
		ip -n "$ns" link set lo up
	done
	ip -n "$R" link add r1 type veth peer name eth0 netns "$H1" || return 1
	ip -n "$R" link add r2 type veth peer name eth0 netns "$H2" || return 1
	ip -n "$H1" addr add 10.0.1.2/24 dev eth0
	ip -n "$H2" addr add 10.0.2.2/24 dev eth0
	ip -n "$H1" link set eth0 up
	ip -n "$H2" link set eth0 up
	ip -n "$H1" route add default via 10.0.1.1
	ip -n "$H2" route add default via 10.0.2.1
	ip -n "$R" link set r1 up
	ip -n "$R" link set r2 up
}

kernel_router() {
	ip -n "$R" addr add 10.0.1.1/24 dev r1
	ip -n "$R" addr add 10.0.2.1/24 dev r2
	nsx "$R" sysctl -qw net.ipv4.ip_forward=1
}

usnet_router() { # the kernel in r keeps no address and does not forward
	local conf="$WORK/usnet.conf" sock="$WORK/usnet.sock"
	cat >"$conf" <<-EOF
	link add p1 type af_packet dev r1 ${E2E_AFP_ARGS:-}
	link add p2 type af_packet dev r2 ${E2E_AFP_ARGS:-}
	addr add 10.0.1.1/24 dev p1
	addr add 10.0.2.1/24 dev p2
	link set p1 up
	link set p2 up
	EOF
	nsx "$R" sysctl -qw net.ipv4.ip_forward=0
	ip netns exec "$R" "$ROOT/$BUILD/usnet" -c "$conf" --ctl "$sock" \
		--workers "$WORKERS" >"$LOG_DIR/e2e-usnet.log" 2>&1 &
	USNET_PID=$!
	for _ in $(seq 50); do
		"$BUILD/usnetctl" -s "$sock" link show >/dev/null 2>&1 && return 0
		kill -0 "$USNET_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "  usnet did not come up; log:"; tail -n 20 "$LOG_DIR/e2e-usnet.log" | sed 's/^/    /'
	return 1
}

usnet_alive() {
	[ -z "$USNET_PID" ] || kill -0 "$USNET_PID" 2>/dev/null
}

wait_listen() { # ns port proto(-t|-u)
	for _ in $(seq 50); do
		nsx "$1" ss -Hln "$3" "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

wait_reach() { # h1 reaches h2 through r (also resolves ARP both ways)
	for _ in $(seq 10); do
		nsx "$H1" ping -c 1 -W 1 -q 10.0.2.2 >/dev/null 2>&1 && return 0
	done
	return 1
}

json() { # file python-expression-on-d
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null
}

link_pkts() { # ns dev rx|tx
	ip -n "$1" -j -s link show dev "$2" 2>/dev/null |
		python3 -c "import json,sys; print(json.load(sys.stdin)[0]['stats64']['$3']['packets'])" 2>/dev/null
}

udp_rcvbuf_errors() { # ns
	nsx "$1" awk '/^Udp:/ { n++; for (i = 2; i <= NF; i++)
		if (n == 1) h[i] = $i; else if (h[i] == "RcvbufErrors") print $i }' /proc/net/snmp
}

# Packet counters along the path, one "name value" per line, to see where
# UDP packets are lost (counters include the little ARP/control traffic).
snap_counters() { # mode
	echo "h1_eth0_tx $(link_pkts "$H1" eth0 tx)"
	echo "r_r1_rx $(link_pkts "$R" r1 rx)"
	if [ "$1" = usnet ]; then
		"$BUILD/usnetctl" -s "$WORK/usnet.sock" -j stats 2>>"$LOG_DIR/e2e-usnet-ctl.err" | python3 -c "
import json, sys
d = json.load(sys.stdin)
dev = {x['ifname']: x for x in d['devices']}
print('usnet_p1_rx', dev['p1']['rx_packets'])
print('usnet_drops', d['total']['rx_dropped'] + d['total']['tx_dropped'] + d['total']['orphan_dropped'])
print('usnet_p2_tx', dev['p2']['tx_packets'])" 2>>"$LOG_DIR/e2e-usnet-ctl.err"
	fi
	echo "r_r2_tx $(link_pkts "$R" r2 tx)"
	echo "h2_eth0_rx $(link_pkts "$H2" eth0 rx)"
	echo "h2_udp_rcvbuf_errors $(udp_rcvbuf_errors "$H2")"
}

# "a -> b -> ..." of the counter deltas over the UDP test.
udp_path() { # mode
	[ -f "$WORK/$1-udp-before" ] && [ -f "$WORK/$1-udp-after" ] || return 0
	python3 - "$WORK/$1-udp-before" "$WORK/$1-udp-after" "${RES[$1.udp_rcvd]:-}" "$DUR" <<-'PY'
	import sys
	def load(f):
	    out = []
	    for line in open(f):
	        k, _, v = line.strip().partition(' ')
	        out.append((k, int(v) if v.isdigit() else None))
	    return out
	a, b = dict(load(sys.argv[1])), load(sys.argv[2])
	parts = []
	for k, v in b:
	    d = '?' if v is None or a.get(k) is None else str(v - a[k])
	    parts.append('%s %s' % (k, d))
	if sys.argv[3]:
	    parts.append('iperf3_received %d' % round(float(sys.argv[3]) * 1e3 * float(sys.argv[4])))
	print('    ' + ' -> '.join(parts))
	PY
}

# iperf3 TCP then UDP against one server in h2.
run_iperf() { # mode
	local m=$1 pfx="$LOG_DIR/e2e-$1"
	ip netns exec "$H2" timeout $((3 * DUR + 60)) iperf3 -s -p $IPERF_PORT \
		>"$pfx-iperf3-server.log" 2>&1 &
	BG_PIDS+=($!)
	wait_listen "$H2" $IPERF_PORT -t || { fail "$m: iperf3 server did not start"; return; }

	echo "  iperf3 TCP ${DUR}s"
	nsx "$H1" timeout $((DUR + 30)) iperf3 -c 10.0.2.2 -p $IPERF_PORT -t "$DUR" -J \
		>"$pfx-tcp.json" 2>"$pfx-tcp.err"
	RES[$m.tcp_gbps]=$(json "$pfx-tcp.json" \
		"'%.3f' % (d['end']['sum_received']['bits_per_second'] / 1e9)")
	RES[$m.tcp_retr]=$(json "$pfx-tcp.json" "d['end']['sum_sent']['retransmits']")
	[ -n "${RES[$m.tcp_gbps]}" ] ||
		fail "$m: iperf3 TCP gave no result ($(json "$pfx-tcp.json" "d.get('error')") $(head -c 200 "$pfx-tcp.err"))"

	echo "  iperf3 UDP 64-byte frames, -b 0, ${DUR}s"
	snap_counters "$m" >"$WORK/$m-udp-before"
	nsx "$H1" timeout $((DUR + 30)) iperf3 -c 10.0.2.2 -p $IPERF_PORT -u -l 18 -b 0 \
		-t "$DUR" -J >"$pfx-udp.json" 2>"$pfx-udp.err"
	snap_counters "$m" >"$WORK/$m-udp-after"
	RES[$m.udp_sent]=$(json "$pfx-udp.json" \
		"'%.1f' % (d['end']['sum_sent']['packets'] / d['end']['sum_sent']['seconds'] / 1e3)")
	RES[$m.udp_rcvd]=$(json "$pfx-udp.json" \
		"'%.1f' % ((d['end']['sum_received']['packets'] - d['end']['sum_received']['lost_packets']) / d['end']['sum_received']['seconds'] / 1e3)")
	RES[$m.udp_loss]=$(json "$pfx-udp.json" \
		"'%.2f' % (100.0 * (1 - (d['end']['sum_received']['packets'] - d['end']['sum_received']['lost_packets']) / max(1, d['end']['sum_sent']['packets'])))")
	[ -n "${RES[$m.udp_rcvd]}" ] ||
		fail "$m: iperf3 UDP gave no result ($(json "$pfx-udp.json" "d.get('error')") $(head -c 200 "$pfx-udp.err"))"
	stop_servers
}

run_sockperf() { # mode
	local m=$1 out="$LOG_DIR/e2e-$1-sockperf.log"
	ip netns exec "$H2" timeout $((DUR + 60)) sockperf server --tcp -i 10.0.2.2 -p $SOCKPERF_PORT \
		>"$LOG_DIR/e2e-$m-sockperf-server.log" 2>&1 &
	BG_PIDS+=($!)
	wait_listen "$H2" $SOCKPERF_PORT -t || { fail "$m: sockperf server did not start"; return; }
	echo "  sockperf TCP ping-pong ${DUR}s"
	nsx "$H1" timeout $((DUR + 30)) sockperf ping-pong --tcp -i 10.0.2.2 -p $SOCKPERF_PORT \
		-t "$DUR" --full-rtt 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >"$out"
	RES[$m.rtt_p50]=$(awk '/percentile 50.000 =/ { print $NF }' "$out")
	RES[$m.rtt_p99]=$(awk '/percentile 99.000 =/ { print $NF }' "$out")
	RES[$m.rr_count]=$(sed -n 's/.*\[Valid Duration\].*ReceivedMessages=\([0-9]*\).*/\1/p' "$out")
	[ -n "${RES[$m.rtt_p50]}" ] || fail "$m: sockperf gave no result ($(tail -n 3 "$out" | tr '\n' ' '))"
	stop_servers
}

# usnet's own view after the run: where packets went.
usnet_stats() {
	local sock="$WORK/usnet.sock"
	"$BUILD/usnetctl" -s "$sock" stats >"$LOG_DIR/e2e-usnet-stats.txt" 2>&1
	"$BUILD/usnetctl" -s "$sock" -j stats >"$LOG_DIR/e2e-usnet-stats.json" 2>&1
}

measure() { # mode
	local m=$1
	if ! wait_reach; then
		fail "$m: h1 cannot ping h2 through r"
		return
	fi
	run_iperf "$m"
	usnet_alive || { fail "$m: usnet died during iperf3"; return; }
	run_sockperf "$m"
	usnet_alive || fail "$m: usnet died during sockperf"
}

ratio() { # a b
	python3 -c "import sys
try:
    a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2f' % (a / b) if b else '-')
except ValueError:
    print('-')" "$1" "$2"
}

row() { # label key
	local u=${RES[usnet.$2]:--} k=${RES[kernel.$2]:--}
	printf '%-34s %12s %12s %12s\n' "$1" "$u" "$k" "$(ratio "$u" "$k")"
}

print_table() {
	echo
	echo "e2e: h1 -- r -- h2 over veth, ${DUR} s per measurement, $(nproc) CPUs," \
		"load average at end $(cut -d' ' -f1 /proc/loadavg)"
	echo "usnet = $BUILD/usnet, af_packet ports ${E2E_AFP_ARGS:-(defaults)}, $WORKERS worker(s); kernel = Linux $(uname -r) ip_forward"
	printf '%-34s %12s %12s %12s\n' metric usnet kernel usnet/kernel
	row "TCP throughput (Gbit/s)" tcp_gbps
	row "TCP retransmits" tcp_retr
	row "UDP 64B offered by h1 (kpps)" udp_sent
	row "UDP 64B received by h2 (kpps)" udp_rcvd
	row "UDP 64B loss (%)" udp_loss
	row "TCP ping-pong RTT median (us)" rtt_p50
	row "TCP ping-pong RTT p99 (us)" rtt_p99
	row "TCP ping-pong round trips" rr_count
	echo "(throughput and pps: higher is better; RTT and loss: lower is better)"
	echo "UDP test, packets counted along the path (deltas over the test):"
	echo "  usnet:"; udp_path usnet
	echo "  kernel:"; udp_path kernel
	echo "usnet exit: ${RES[usnet.exit]:-not run}; logs in $LOG_DIR/e2e-*"
}

echo "== e2e: usnet as the router"
if topo_up && usnet_router; then
	measure usnet
	usnet_alive && usnet_stats
else
	fail "usnet: setup failed"
fi
stop_servers
stop_usnet
grep -E "still allocated|ERROR|runtime error" "$LOG_DIR/e2e-usnet.log" >/dev/null &&
	fail "usnet log reports: $(grep -E "still allocated|ERROR|runtime error" "$LOG_DIR/e2e-usnet.log" | head -n 3 | tr '\n' ' ')"
case ${RES[usnet.exit]:-} in
rc=0 | "") ;;
*) fail "usnet exit: ${RES[usnet.exit]}" ;;
esac
topo_down

echo "== e2e: Linux kernel as the router"
if topo_up; then
	kernel_router
	measure kernel
else
	fail "kernel: setup failed"
fi
stop_servers
topo_down

print_table
if [ ${#FAILURES[@]} -gt 0 ]; then
	printf 'e2e failure: %s\n' "${FAILURES[@]}"
	exit 1
fi
exit 0
