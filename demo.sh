#!/usr/bin/env bash
# usnet demo: installs dependencies, builds, and routes between two Linux
# hosts (network namespaces h1 and h2) through usnet running in namespace r
# on AF_PACKET ports; pings both ways (IPv4, IPv6), traces the path, runs a
# short iperf3 transfer and prints usnet's counters. Cleans up on exit.
set -eu
cd "$(dirname "$0")"
[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (namespaces)"; exit 1; }
scripts/install-deps.sh
make -s -j"$(nproc)"

S=$$
H1=usd-h1-$S R=usd-r-$S H2=usd-h2-$S
SOCK=/tmp/usnet-demo-$S.sock
CONF=/tmp/usnet-demo-$S.conf
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	for n in $H1 $R $H2; do ip netns del "$n" 2>/dev/null || true; done
	rm -f "$SOCK" "$CONF"
}
trap cleanup EXIT
for n in $H1 $R $H2; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip link add ra$S netns $R type veth peer name eth0 netns $H1
ip link add rb$S netns $R type veth peer name eth0 netns $H2
for i in ra$S rb$S; do
	ip netns exec $R sysctl -qw net.ipv6.conf.$i.disable_ipv6=1
	ip -n $R link set $i up
done
ip -n $H1 addr add 10.1.0.2/24 dev eth0; ip -n $H1 addr add 2001:db8:1::2/64 dev eth0 nodad
ip -n $H2 addr add 10.2.0.2/24 dev eth0; ip -n $H2 addr add 2001:db8:2::2/64 dev eth0 nodad
for h in $H1 $H2; do ip -n $h link set eth0 up; done
ip -n $H1 route add default via 10.1.0.1; ip -n $H1 -6 route add default via 2001:db8:1::1
ip -n $H2 route add default via 10.2.0.1; ip -n $H2 -6 route add default via 2001:db8:2::1

cat >"$CONF" <<CFG
# two AF_PACKET ports on the veths inside namespace r
link add p0 type af_packet dev ra$S
link add p1 type af_packet dev rb$S
link set p0 up
link set p1 up
addr add 10.1.0.1/24 dev p0
addr add 2001:db8:1::1/64 dev p0
addr add 10.2.0.1/24 dev p1
addr add 2001:db8:2::1/64 dev p1
CFG
ip netns exec $R build/usnet -c "$CONF" --ctl "$SOCK" &
PID=$!
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
ctl() { ip netns exec $R build/usnetctl -s "$SOCK" "$@"; }

echo "== usnet links and routes"; ctl link show; ctl route show
echo "== ping h1 -> h2 (IPv4, IPv6)"
ip netns exec $H1 ping -c 3 -i 0.2 10.2.0.2
ip netns exec $H1 ping -6 -c 3 -i 0.2 2001:db8:2::2
echo "== ping h2 -> h1"
ip netns exec $H2 ping -c 3 -i 0.2 10.1.0.2
echo "== tracepath h1 -> h2"
ip netns exec $H1 tracepath -n 10.2.0.2 || true
echo "== iperf3 TCP h1 -> h2 (5 s)"
ip netns exec $H2 iperf3 -s -1 -D
sleep 0.3
ip netns exec $H1 iperf3 -c 10.2.0.2 -t 5 | tail -n 4
echo "== neighbors and counters"
ctl neigh show
ctl stats
