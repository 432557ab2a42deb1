#!/usr/bin/env bash
# traceroute (UDP) and tracepath from h1 to h2, IPv4 and IPv6: hop 1 is
# usnet's address on the h1 link (it answers TTL/hop-limit 1 with time
# exceeded), the last hop is h2 (port unreachable from h2's kernel).
. "$(dirname "$0")/lib.sh"
need_env traceroute tracepath
topo_up "sysctl net.ipv4.icmp_ratelimit=0
sysctl net.ipv6.icmp.ratelimit=0"

# check_hops FILE HOP1 DEST: hop 1 is HOP1 and some later hop reached DEST.
check_hops() {
	local f=$1 hop1=$2 dst=$3
	sed 's/^/    /' "$f"
	grep -qE "^ *1:? +$hop1( |$)" "$f" || fail "$(head -1 "$f"): hop 1 is not $hop1"
	grep -qE "^ *[2-9]:? +$dst( |$)" "$f" || fail "$(head -1 "$f"): $dst not reached as a later hop"
}

run_trace() { # name, command...
	local name=$1 out=$TMPD/$1.txt
	shift
	log "$*"
	nsx "$NS_H1" timeout 60 "$@" >"$out" 2>&1 || fail "$* failed (rc $?): $(cat "$out")"
}

run_trace tr4 traceroute -n -w 2 -m 5 10.2.0.2
check_hops "$TMPD/tr4.txt" 10.1.0.1 10.2.0.2
run_trace tr6 traceroute -6 -n -w 2 -m 5 2001:db8:2::2
check_hops "$TMPD/tr6.txt" 2001:db8:1::1 2001:db8:2::2
# No lost probes: every hop answered all 3 queries (no '*').
grep -q '\*' "$TMPD/tr4.txt" "$TMPD/tr6.txt" && fail "traceroute probes went unanswered"

run_trace tp4 tracepath -n -m 5 10.2.0.2
check_hops "$TMPD/tp4.txt" 10.1.0.1 10.2.0.2
grep -q 'reached' "$TMPD/tp4.txt" || fail "tracepath (v4) did not reach h2"
run_trace tp6 tracepath -6 -n -m 5 2001:db8:2::2
check_hops "$TMPD/tp6.txt" 2001:db8:1::1 2001:db8:2::2
grep -q 'reached' "$TMPD/tp6.txt" || fail "tracepath (v6) did not reach h2"

usnet_alive
check_conservation
