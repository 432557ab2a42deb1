# Shared helpers of the namespace tests (tests/ns/test_*.sh, tests/scapy/).
# Sourced, not run. Builds the topology
#
#     h1 (10.1.0.2, 2001:db8:1::2)            h2 (10.2.0.2, 2001:db8:2::2)
#        eth0                                    eth0
#          |                                       |
#          +--- p0 [usnet in namespace r] p1 ------+
#               10.1.0.1                 10.2.0.1
#               2001:db8:1::1            2001:db8:2::1
#
# with DRIVER=af_packet (veth pairs; usnet opens the r-side ends, which the
# kernel of r leaves alone: no addresses, IPv6 disabled, no forwarding) or
# DRIVER=tap (usnet creates TAPs in r whose kernel sides are then moved into
# h1/h2 and renamed eth0). Everything is named with this shell's PID, and an
# EXIT trap stops usnet (checking its exit status and stderr for sanitizer
# reports), kills what the test started and deletes the namespaces, even on
# failure. Exit codes: 0 pass, 77 skip (reason last on stdout), other fail.
set -u

NS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$NS_LIB_DIR/../.." && pwd)
BUILD=${USNET_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
USNET=$BUILD/usnet
USNETCTL=$BUILD/usnetctl
PY=/usr/bin/python3
DRIVER=${DRIVER:-af_packet}

ID=$$
NS_H1=usn-h1-$ID
NS_R=usn-r-$ID
NS_H2=usn-h2-$ID
IF_A=ua$ID                      # r-side veth ends / TAP names (<= 15 chars)
IF_B=ub$ID
TMPD=$(mktemp -d /tmp/usnet-ns.XXXXXX)
SOCK=$TMPD/ctl.sock
CFG=$TMPD/usnet.conf
USNET_PID=
USNET_ERR=$TMPD/usnet.stderr
NS_MADE=()
BG_PIDS=()
SKIP_REASON=

# Sanitizer settings for the ASan build (harmless for the normal one).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

log() { echo "== $*"; }

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

skip() {
	SKIP_REASON="SKIP: $*"
	exit 77
}

# Run a command inside a namespace.
nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

ctl() { "$USNETCTL" -s "$SOCK" "$@"; }
ctlj() { "$USNETCTL" -s "$SOCK" -j "$@"; }

need_env() {
	[ "$(id -u)" = 0 ] || skip "namespace tests need root"
	[ -x "$USNET" ] && [ -x "$USNETCTL" ] ||
		skip "no $USNET or $USNETCTL (build first: make, or make SAN=1)"
	local c
	for c in ip "$@"; do
		command -v "$c" >/dev/null || skip "missing tool '$c'"
	done
}

# Is the process alive (not gone, not a zombie)?
pid_alive() {
	local st
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ]
}

# Stop usnet with SIGTERM; it must exit 0 within 30 s with nothing from the
# sanitizers on stderr. Returns 1 (after printing why) when it did not.
usnet_stop() {
	local pid=$USNET_PID rc i bad=0
	[ -n "$pid" ] || return 0
	USNET_PID=
	if ! pid_alive "$pid"; then
		wait "$pid" 2>/dev/null
		rc=$?
		echo "usnet (pid $pid) had already exited with status $rc" >&2
		bad=1
	else
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 300; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		if pid_alive "$pid"; then
			echo "usnet (pid $pid) did not exit within 30 s of SIGTERM" >&2
			kill -KILL "$pid" 2>/dev/null
			bad=1
		fi
		wait "$pid" 2>/dev/null
		rc=$?
		if [ "$rc" != 0 ]; then
			echo "usnet exited with status $rc after SIGTERM" >&2
			bad=1
		fi
	fi
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer|packets still allocated' "$USNET_ERR" 2>/dev/null; then
		echo "usnet stderr has a sanitizer/leak report" >&2
		bad=1
	fi
	if [ $bad = 1 ]; then
		echo "---- usnet stderr (last 60 lines) ----" >&2
		tail -n 60 "$USNET_ERR" >&2
	fi
	return $bad
}

# EXIT trap: tear everything down; a teardown problem fails a passing test.
ns_cleanup() {
	local rc=$? ns pid bad=0
	trap - EXIT
	set +e
	if [ "$rc" != 0 ] && [ "$rc" != 77 ] && pid_alive "$USNET_PID"; then
		echo "---- usnet state at failure ----"
		for c in "stats" "neigh show" "route show table all" "addr show" "link show"; do
			echo "# usnetctl $c"
			timeout 5 "$USNETCTL" -s "$SOCK" $c 2>&1
		done
	fi
	usnet_stop || bad=1
	for pid in "${BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for ns in "${NS_MADE[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	for pid in "${BG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	for ns in "${NS_MADE[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "${KEEP_TMP:-0}" = 1 ]; then
		echo "kept $TMPD" >&2
	else
		rm -rf "$TMPD"
	fi
	if [ $bad = 1 ] && [ $rc = 0 ]; then
		echo "FAIL: teardown (see above)"
		rc=1
	fi
	if [ $rc = 77 ]; then
		echo "${SKIP_REASON:-SKIP}"
	elif [ $rc = 0 ]; then
		echo "PASS"
	fi
	exit $rc
}
trap ns_cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

# Start a background command (its PID is killed at exit). Sets BG_LAST.
# Give it an executable, not a shell function, so that the PID is its own.
bg_start() {
	"$@" &
	BG_LAST=$!
	BG_PIDS+=("$BG_LAST")
}

# iperf3_server NS [ARGS...]: an iperf3 server on port 5201 in namespace
# NS (ARGS: more iperf3 options, e.g. -B ADDR), its output appended to
# $TMPD/iperf3-server.log; fails the test unless it listens within 5 s.
iperf3_server() {
	local ns=$1 i
	shift
	bg_start ip netns exec "$ns" iperf3 -s -p 5201 "$@" \
		>>"$TMPD/iperf3-server.log" 2>&1
	for ((i = 0; i < 50; i++)); do
		nsx "$ns" ss -ltn 2>/dev/null | grep -q ':5201 ' && return 0
		sleep 0.1
	done
	fail "iperf3 server did not start listening in $ns"
}

# tcp8_two_links SECONDS COUNTER: iperf3 TCP, 8 parallel streams from h1 to
# 10.2.0.2 for SECONDS (server in h2, started here; JSON in
# $TMPD/tcp8.json); `COUNTER p1` / `COUNTER p2` print a frame counter of
# each link. Both links must carry more than 100 frames of it. The client
# ports are fixed, 41000..41007 (iperf3 numbers parallel streams from
# --cport), so that a flow hash places the streams the same way every run;
# with ephemeral ports all eight land on one link 1 run in 128. Sets TCP
# (a line for the FIGURES).
tcp8_two_links() {
	local secs=$1 count=$2 t1 t2 mbps
	iperf3_server "$NS_H2"
	t1=$("$count" p1)
	t2=$("$count" p2)
	nsx "$NS_H1" timeout 60 iperf3 --connect-timeout 3000 -p 5201 -J \
		-c 10.2.0.2 --cport 41000 -t "$secs" -P 8 >"$TMPD/tcp8.json" 2>&1 ||
		{ cat "$TMPD/tcp8.json"; fail "iperf3 -P 8 failed"; }
	t1=$(($("$count" p1) - t1))
	t2=$(($("$count" p2) - t2))
	mbps=$(jget "$TMPD/tcp8.json" "round(j['end']['sum_received']['bits_per_second']/1e6, 1)")
	log "TCP x8: $mbps Mbit/s; link 1 $t1 frames, link 2 $t2 frames"
	[ "$t1" -gt 100 ] && [ "$t2" -gt 100 ] ||
		fail "8 TCP streams did not use both links (p1 $t1, p2 $t2 frames)"
	TCP="TCP 8 streams $mbps Mbit/s: p1 $t1 / p2 $t2 frames"
}

ns_add() {
	ip netns add "$1" || fail "cannot create namespace $1"
	NS_MADE+=("$1")
	ip -n "$1" link set lo up
}

# Namespaces with the kernel of r kept quiet and the hosts without DAD.
topo_namespaces() {
	local ns
	for ns in "$NS_H1" "$NS_R" "$NS_H2"; do
		ns_add "$ns"
	done
	nsx "$NS_R" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0
	hosts_quiet "$NS_H1" "$NS_H2"
}

# Hosts without DAD, router advertisements or ICMP rate limits.
hosts_quiet() {
	local ns
	for ns in "$@"; do
		nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.default.accept_ra=0 \
			net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
	done
}

# veth_host NAME NS [ADDR/PLEN GW]: a veth pair whose end NAME stays in
# $NS_R (for usnet) and whose other end is eth0 in NS, up, optionally
# addressed with a default route via GW.
veth_host() {
	ip -n "$NS_R" link add "$1" type veth peer name eth0 netns "$2" ||
		fail "cannot create veth $1"
	ip -n "$NS_R" link set "$1" up
	ip -n "$2" link set eth0 up
	if [ -n "${3:-}" ]; then
		ip -n "$2" addr add "$3" dev eth0
		ip -n "$2" route add default via "$4"
	fi
}

# UDP datagrams to closed ports that NS's kernel counted (Udp NoPorts).
udp_noports() {
	nsx "$1" awk '/^Udp:/ { if (h) { for (i = 1; i <= NF; i++) if (n[i] == "NoPorts") print $i } else { h = 1; for (i = 1; i <= NF; i++) n[i] = $i } }' /proc/net/snmp
}

# udp_64_flows NS SRC DST: 64 UDP flows (source ports 20000..20063) x 20
# datagrams of 64 bytes from SRC in NS to DST port 9, 5 ms between rounds.
udp_64_flows() {
	nsx "$1" "$PY" - "$2" "$3" <<'PYEOF'
import socket, sys, time
socks = []
for i in range(64):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((sys.argv[1], 20000 + i))
    socks.append(s)
for r in range(20):
    for s in socks:
        s.sendto(b"x" * 64, (sys.argv[2], 9))
    time.sleep(0.005)
PYEOF
}

# The usnet config for the topology; extra lines come from $1 (may be "").
write_config() {
	local dev_a dev_b
	if [ "$DRIVER" = tap ]; then
		dev_a="type tap name $IF_A"
		dev_b="type tap name $IF_B"
	else
		dev_a="type af_packet dev $IF_A"
		dev_b="type af_packet dev $IF_B"
	fi
	cat >"$CFG" <<EOF
# usnet config written by tests/ns/lib.sh (driver $DRIVER)
link add p0 $dev_a
link add p1 $dev_b
addr add 10.1.0.1/24 dev p0
addr add 2001:db8:1::1/64 dev p0
addr add 10.2.0.1/24 dev p1
addr add 2001:db8:2::1/64 dev p1
${1:-}
link set p0 up
link set p1 up
EOF
}

# Start usnet in r on $CFG and wait until its control socket answers.
usnet_start() {
	rm -f "$SOCK"
	# not through nsx: $! must be usnet itself (ip netns exec execs it)
	ip netns exec "$NS_R" "$USNET" -c "$CFG" --ctl "$SOCK" ${USNET_ARGS:-} \
		>"$TMPD/usnet.stdout" 2>"$USNET_ERR" &
	USNET_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		if ! pid_alive "$USNET_PID"; then
			cat "$USNET_ERR"
			fail "usnet exited during start-up (config $CFG)"
		fi
		[ -S "$SOCK" ] && ctl link show >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "usnet control socket $SOCK did not come up within 10 s"
}

# Address a host: NS IF N (N = 1 or 2: 10.N.0.2, 2001:db8:N::2).
host_config() {
	local ns=$1 ifn=$2 n=$3
	nsx "$ns" sysctl -qw "net.ipv6.conf.$ifn.disable_ipv6=0" \
		"net.ipv6.conf.$ifn.accept_dad=0" "net.ipv6.conf.$ifn.accept_ra=0"
	ip -n "$ns" link set "$ifn" up || fail "$ns: cannot bring $ifn up"
	ip -n "$ns" addr add "10.$n.0.2/24" dev "$ifn"
	ip -n "$ns" addr add "2001:db8:$n::2/64" dev "$ifn" nodad
	ip -n "$ns" route add default via "10.$n.0.1"
	ip -n "$ns" -6 route add default via "2001:db8:$n::1"
}

# Wait (at most 10 s) until the hosts' links are up and no IPv6 address is
# tentative.
hosts_wait_ready() {
	local ns i
	for ns in "$NS_H1" "$NS_H2"; do
		for ((i = 0; i < 100; i++)); do
			if ip -n "$ns" link show eth0 | grep -q 'LOWER_UP' &&
				[ -z "$(ip -n "$ns" -6 addr show tentative)" ]; then
				break
			fi
			sleep 0.1
		done
		[ $i -lt 100 ] || fail "$ns: eth0 not up or IPv6 still tentative after 10 s"
	done
}

# The whole topology with usnet running. $1: extra config lines.
topo_up() {
	topo_namespaces
	if [ "$DRIVER" = af_packet ]; then
		ip -n "$NS_R" link add "$IF_A" type veth peer name eth0 netns "$NS_H1" ||
			fail "cannot create veth $IF_A"
		ip -n "$NS_R" link add "$IF_B" type veth peer name eth0 netns "$NS_H2" ||
			fail "cannot create veth $IF_B"
		ip -n "$NS_R" link set "$IF_A" up
		ip -n "$NS_R" link set "$IF_B" up
	elif [ "$DRIVER" != tap ]; then
		fail "unknown DRIVER '$DRIVER' (af_packet or tap)"
	fi
	write_config "${1:-}"
	usnet_start
	if [ "$DRIVER" = tap ]; then
		local pair
		for pair in "$IF_A:$NS_H1" "$IF_B:$NS_H2"; do
			ip -n "$NS_R" link set "${pair%%:*}" netns "${pair#*:}" ||
				fail "cannot move TAP ${pair%%:*} into ${pair#*:}"
			ip -n "${pair#*:}" link set "${pair%%:*}" name eth0 ||
				fail "cannot rename TAP ${pair%%:*} to eth0"
		done
	fi
	host_config "$NS_H1" eth0 1
	host_config "$NS_H2" eth0 2
	hosts_wait_ready
	log "topology up: driver $DRIVER, usnet pid $USNET_PID, socket $SOCK"
}

# --- JSON helpers (python3; the document comes from a file) -------------

# Evaluate a python expression over the JSON file: `j` is the document.
jget() {
	"$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); r=eval(sys.argv[2]); print(r if r is not None else "")' "$1" "$2"
}

# Save `usnetctl -j stats` in $TMPD/$1.json (see snapf).
snap() {
	ctlj stats >"$TMPD/$1.json" || fail "usnetctl -j stats failed"
}
snapf() { echo "$TMPD/$1.json"; }

# Drops of REASON in a stats file: every device's rx and tx plus orphans.
drops_of() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1])); r = sys.argv[2]
n = sum(d.get("rx_drops", {}).get(r, 0) + d.get("tx_drops", {}).get(r, 0)
        for d in j["devices"])
n += j.get("total", {}).get("orphan_drops", {}).get(r, 0)
print(n)
EOF
}

# Packets the kernels around usnet counted as dropped, as "TOTAL breakdown":
# the hosts' (h1, h2, and h3 when it exists) interfaces' rx/tx drops and
# errors, their UDP input errors (receive buffer full included) and
# send-buffer errors (v4 and v6), and the machine-wide softnet backlog
# drops. Loss that neither usnet nor these counters explain is silent loss.
kernel_drops() {
	local ns f i out=""
	for ns in "$NS_H1" "$NS_H2" ${NS_H3:+"$NS_H3"}; do
		ip netns pids "$ns" >/dev/null 2>&1 || continue
		for i in $(nsx "$ns" ls /sys/class/net); do
			[ "$i" = lo ] && continue
			for f in rx_dropped tx_dropped rx_errors tx_errors; do
				out+="$ns.$i.$f=$(nsx "$ns" cat "/sys/class/net/$i/statistics/$f") "
			done
		done
		out+="$(nsx "$ns" awk -v ns="$ns" '
			/^Udp: [0-9]/ { print ns ".udp.InErrors=" $4, ns ".udp.SndbufErrors=" $7 }' /proc/net/snmp) "
		out+="$(nsx "$ns" awk -v ns="$ns" '
			$1 == "Udp6InErrors" || $1 == "Udp6SndbufErrors" { printf "%s.%s=%s ", ns, $1, $2 }' /proc/net/snmp6) "
	done
	local cpu_line n=0
	while read -r -a cpu_line; do
		n=$((n + 16#${cpu_line[1]}))
	done </proc/net/softnet_stat
	out+="softnet.dropped=$n"
	echo "$(echo "$out" | tr ' ' '\n' | awk -F= 'NF == 2 { n += $2 } END { print n }') $out"
}

# Counter FIELD of device DEV in a stats file.
dev_counter() {
	jget "$1" "[d for d in j['devices'] if d['ifname']=='$2'][0]['$3']"
}

# Fail unless every device (and the total) balances in a fresh stats dump.
check_conservation() {
	snap conservation
	"$PY" - "$(snapf conservation)" <<'EOF' || { ctl stats; fail "packet conservation does not hold"; }
import json, sys
j = json.load(open(sys.argv[1]))
bad = []
for d in j["devices"] + [dict(j["total"], ifname="total")]:
    for k in ("rx_balance_ok", "tx_balance_ok"):
        if d.get(k) is not True:
            bad.append("%s: %s=%s" % (d["ifname"], k, d.get(k)))
if not j["devices"]:
    bad.append("no devices in stats")
for b in bad:
    print("conservation:", b)
sys.exit(1 if bad else 0)
EOF
	log "conservation holds on every device"
}

# MAC address of a usnet device.
usnet_mac() {
	ctlj link show "$1" >"$TMPD/link.json" || fail "usnetctl link show $1 failed"
	jget "$TMPD/link.json" "j[0]['address']"
}

# usnet's IPv6 link-local address on a device.
usnet_ll6() {
	ctlj addr show dev "$1" >"$TMPD/addr.json" || fail "usnetctl addr show dev $1 failed"
	jget "$TMPD/addr.json" "[a['local'] for a in j[0]['addr_info'] if a['scope']=='link'][0]"
}

# ping NS COUNT ARGS...: every echo must be answered (COUNT echoes 0.2 s
# apart, 2 s for the last reply). Prints the output.
ping_all() {
	local ns=$1 count=$2 out rc
	shift 2
	out=$(nsx "$ns" timeout 30 ping -n -c "$count" -i 0.2 -W 2 "$@" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -q " $count received" ||
		fail "ping $* from $ns: not all $count echoes answered (rc $rc)"
}

# Is usnet still running?
usnet_alive() {
	pid_alive "$USNET_PID" || fail "usnet (pid $USNET_PID) is no longer running"
}

# --- test bodies shared by several scripts ------------------------------

# test_ping_afpacket.sh / test_ping_tap.sh: ping v4/v6 across usnet both
# ways, ping usnet's own addresses (global and the IPv6 link-local ones)
# from both hosts; afterwards every device's packet conservation holds.
ping_suite() {
	local ns a ll0 ll1
	need_env ping
	topo_up

	log "h1 -> h2 and h2 -> h1 through usnet"
	ping_all "$NS_H1" 4 10.2.0.2
	ping_all "$NS_H1" 4 -6 2001:db8:2::2
	ping_all "$NS_H2" 4 10.1.0.2
	ping_all "$NS_H2" 4 -6 2001:db8:1::2

	log "usnet's own addresses from both hosts"
	for ns in "$NS_H1" "$NS_H2"; do
		for a in 10.1.0.1 10.2.0.1; do
			ping_all "$ns" 3 "$a"
		done
		for a in 2001:db8:1::1 2001:db8:2::1; do
			ping_all "$ns" 3 -6 "$a"
		done
	done

	ll0=$(usnet_ll6 p0) || exit 1
	ll1=$(usnet_ll6 p1) || exit 1
	case $ll0 in fe80:*) ;; *) fail "p0 link-local address '$ll0' is not in fe80::/10" ;; esac
	case $ll1 in fe80:*) ;; *) fail "p1 link-local address '$ll1' is not in fe80::/10" ;; esac
	log "link-local: $ll0 on p0 (h1 link), $ll1 on p1 (h2 link)"
	ping_all "$NS_H1" 3 -6 -I eth0 "$ll0"
	ping_all "$NS_H2" 3 -6 -I eth0 "$ll1"

	usnet_alive
	ctl stats
	check_conservation
}
