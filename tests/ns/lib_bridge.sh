# Helpers of the bridge namespace tests (test_bridge*.sh), on top of lib.sh
# (sourced, not run). Topology: four hosts on four af_packet ports of usnet
#
#     h1 eth0 --- p1 \
#     h2 eth0 --- p2  +-- br0 (usnet bridge, in namespace r)
#     h3 eth0 --- p3 /
#     h4 eth0 --- p4        (a routed port, or a VLAN trunk: the test says)
#
# Each test writes the usnet config lines for br0/p4 (br_topo_up "LINES"),
# then configures the hosts itself. IPv6 is off on the hosts so that only
# the traffic a test makes crosses the bridge. lib.sh's EXIT trap stops
# usnet and removes every namespace.
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NS_H3=usn-h3-$ID
NS_H4=usn-h4-$ID
BR_HOSTS=("$NS_H1" "$NS_H2" "$NS_H3" "$NS_H4")

# r-side veth end of host n (1..4).
br_if() { echo "bp$1$ID"; }

# Namespaces, veths, config with the four ports plus $1, usnet running.
br_topo_up() {
	local n ns
	ns_add "$NS_R"
	nsx "$NS_R" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 net.ipv4.ip_forward=0
	for n in 1 2 3 4; do
		ns=${BR_HOSTS[$((n - 1))]}
		ns_add "$ns"
		nsx "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1 \
			net.ipv4.icmp_ratelimit=0
		ip -n "$NS_R" link add "$(br_if $n)" type veth peer name eth0 netns "$ns" ||
			fail "cannot create veth $(br_if $n)"
		ip -n "$NS_R" link set "$(br_if $n)" up
		ip -n "$ns" link set eth0 up
	done
	{
		echo "# usnet config written by tests/ns/lib_bridge.sh"
		for n in 1 2 3 4; do
			echo "link add p$n type af_packet dev $(br_if $n)"
		done
		echo "${1:-}"
		for n in 1 2 3 4; do
			echo "link set p$n up"
		done
	} >"$CFG"
	usnet_start
	for ns in "${BR_HOSTS[@]}"; do
		for ((n = 0; n < 50; n++)); do
			ip -n "$ns" link show eth0 | grep -q LOWER_UP && break
			sleep 0.1
		done
	done
	log "bridge topology up: usnet pid $USNET_PID, socket $SOCK"
}

# host_addr NS ADDR/PLEN [GATEWAY]
host_addr() {
	ip -n "$1" addr add "$2" dev eth0 || fail "$1: cannot add $2"
	[ -n "${3:-}" ] && { ip -n "$1" route add default via "$3" || fail "$1: no default route"; }
	return 0
}

host_mac() { ip -n "$1" -j link show eth0 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])'; }

# ping_none NS ARGS...: no echo may be answered (3 echoes, 2 s wait).
ping_none() {
	local ns=$1 out
	shift
	out=$(nsx "$ns" timeout 20 ping -n -c 3 -i 0.2 -W 1 "$@" 2>&1)
	echo "$out" | sed 's/^/    /'
	echo "$out" | grep -q " 0 received" || fail "ping $* from $ns got an answer (it must not)"
}

# The port usnet's FDB maps MAC (and VLAN, "" = none) to, or "" when none.
fdb_port_of() {
	ctlj fdb show br br0 >"$TMPD/fdb.json" || fail "usnetctl fdb show failed"
	"$PY" - "$TMPD/fdb.json" "$1" "${2:-}" <<'EOF'
import json, sys
j, mac, vlan = json.load(open(sys.argv[1])), sys.argv[2].lower(), sys.argv[3]
for e in j:
    if e["mac"] == mac and str(e.get("vlan", "")) == vlan and e["ifname"] != "br0":
        print(e["ifname"]); break
EOF
}

# Total of drop REASON over every device right now.
drops_now() {
	snap "drops-$1"
	drops_of "$(snapf "drops-$1")" "$1"
}

# Start tcpdump in NS on eth0 with FILTER, writing lines to FILE; waits until
# it listens. Sets TCPDUMP_PID.
tcpdump_start() {
	local ns=$1 file=$2 i
	shift 2
	bg_start ip netns exec "$ns" tcpdump -i eth0 -n -e -l --immediate-mode "$@" >"$file" 2>"$file.err"
	TCPDUMP_PID=$BG_LAST
	for ((i = 0; i < 50; i++)); do
		grep -q "listening on" "$file.err" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "tcpdump in $ns did not start: $(cat "$file.err")"
}

tcpdump_stop() {
	sleep 0.3
	kill -INT "$TCPDUMP_PID" 2>/dev/null
	wait "$TCPDUMP_PID" 2>/dev/null
	return 0
}
