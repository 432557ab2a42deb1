#!/usr/bin/env bash
# Destinations usnet cannot or will not reach:
#  - no route (usnet has no default route): ICMP net unreachable (v4) /
#    no route (v6) from usnet's address on the h1 link, drop ip4/ip6_no_route
#  - `unreachable` route: host unreachable / v6 no route, drop route_unreachable
#  - `prohibit` route: "Packet filtered" (v4 code 13) / v6 administratively
#    prohibited, drop route_prohibit
#  - `blackhole` route: silence, drop route_blackhole
#  - UDP to usnet's own address on a closed port: port unreachable
#    (ECONNREFUSED on a connected socket), v4 and v6.
# Each drop counter grows by exactly the number of packets sent.
. "$(dirname "$0")/lib.sh"
need_env ping
topo_up "sysctl net.ipv4.icmp_ratelimit=0
sysctl net.ipv6.icmp.ratelimit=0
route add unreachable 10.98.0.0/16
route add prohibit 10.97.0.0/16
route add blackhole 10.96.0.0/16
route add unreachable 2001:db8:98::/48
route add prohibit 2001:db8:97::/48
route add blackhole 2001:db8:96::/48"

N=3
# probe NAME REASON PATTERN DEST [ping args]: N echoes to DEST; the output
# has N lines matching PATTERN (or none at all when PATTERN is "-") and the
# drop counter REASON grows by exactly N.
probe() {
	local name=$1 reason=$2 pat=$3 dst=$4 out b a n
	shift 4
	snap before
	log "$name: ping $* $dst (expect ${pat/#-/silence}, drop $reason)"
	out=$(nsx "$NS_H1" timeout 20 ping -n -c $N -i 0.3 -W 1 "$@" "$dst" 2>&1)
	echo "$out" | sed 's/^/    /'
	if [ "$pat" = - ]; then
		echo "$out" | grep -q '^From ' && fail "$name: expected silence, got an ICMP error"
	else
		n=$(echo "$out" | grep -cF -- "$pat")
		[ "$n" = $N ] || fail "$name: $n of $N echoes got '$pat'"
	fi
	echo "$out" | grep -q ' 0 received' || fail "$name: an echo was answered"
	sleep 0.2
	snap after
	b=$(drops_of "$(snapf before)" "$reason")
	a=$(drops_of "$(snapf after)" "$reason")
	[ $((a - b)) = $N ] || fail "$name: drop counter $reason grew by $((a - b)), want $N"
}

probe "v4 no route" ip4_no_route "From 10.1.0.1 icmp_seq=" 10.99.0.1
probe "v4 no route text" ip4_no_route "Destination Net Unreachable" 10.99.0.2
probe "v4 unreachable route" route_unreachable "From 10.1.0.1 icmp_seq=" 10.98.0.1
probe "v4 unreachable text" route_unreachable "Destination Host Unreachable" 10.98.0.2
probe "v4 prohibit route" route_prohibit "From 10.1.0.1 icmp_seq=" 10.97.0.1
probe "v4 prohibit text" route_prohibit "Packet filtered" 10.97.0.2
probe "v4 blackhole route" route_blackhole - 10.96.0.1

probe "v6 no route" ip6_no_route "From 2001:db8:1::1 icmp_seq=" 2001:db8:99::1 -6
probe "v6 no route text" ip6_no_route "Destination unreachable: No route" 2001:db8:99::2 -6
probe "v6 unreachable route" route_unreachable "Destination unreachable: No route" 2001:db8:98::1 -6
probe "v6 prohibit route" route_prohibit "Destination unreachable: Administratively prohibited" 2001:db8:97::1 -6
probe "v6 blackhole route" route_blackhole - 2001:db8:96::1 -6

# UDP to a closed port of usnet: a connected UDP socket sees ECONNREFUSED
# once the port unreachable arrives.
udp_probe() { # family addr
	nsx "$NS_H1" "$PY" - "$1" "$2" <<'PYEOF'
import socket, sys, time
fam = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((sys.argv[2], 33434))
s.send(b"usnet closed-port probe")
try:
    s.recv(100)
    print("unexpected reply"); sys.exit(1)
except ConnectionRefusedError:
    print("port unreachable (ECONNREFUSED) from", sys.argv[2]); sys.exit(0)
except socket.timeout:
    print("no ICMP port unreachable within 2 s"); sys.exit(1)
PYEOF
}
for a in 4:10.1.0.1 4:10.2.0.1 6:2001:db8:1::1 6:2001:db8:2::1; do
	log "UDP to closed port of ${a#*:}"
	snap before
	udp_probe "${a%%:*}" "${a#*:}" || fail "UDP to usnet ${a#*:}: no port unreachable"
	sleep 0.2
	snap after
	d=$(( $(drops_of "$(snapf after)" l4_no_listener) - $(drops_of "$(snapf before)" l4_no_listener) ))
	[ "$d" = 1 ] || fail "UDP to usnet ${a#*:}: l4_no_listener grew by $d, want 1"
done

usnet_alive
check_conservation
