#!/usr/bin/env bash
# Malformed packets (scapy, from h1) against usnet: each case's drop counter
# grows by exactly the number sent and usnet answers only where it should
# (see the CASES table in malformed.py). Afterwards usnet still forwards
# (ping h1 -> h2), is alive, and every device's conservation holds.
# MALFORMED_ONLY=substring runs a subset of the cases; DRIVER=tap runs them
# over the tap driver (test_malformed_tap.sh).
. "$(dirname "$0")/../ns/lib.sh"
need_env ping
"$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy is not installed"
topo_up "sysctl net.ipv4.icmp_ratelimit=0
sysctl net.ipv6.icmp.ratelimit=0"
# Resolve the neighbors first so that answers are not held up.
ping_all "$NS_H1" 1 10.2.0.2 >/dev/null
ping_all "$NS_H1" 1 -6 2001:db8:2::2 >/dev/null

only=()
[ -n "${MALFORMED_ONLY:-}" ] && only=(--only "$MALFORMED_ONLY")
nsx "$NS_H1" timeout 240 "$PY" "$(dirname "$0")/malformed.py" \
	--usnetctl "$USNETCTL" --sock "$SOCK" --iface eth0 --dev p0 "${only[@]}"
rc=$?
usnet_alive
log "after the malformed packets: h1 -> h2 still works"
ping_all "$NS_H1" 3 10.2.0.2
ping_all "$NS_H1" 3 -6 2001:db8:2::2
ctl stats
check_conservation
[ $rc = 0 ] || fail "malformed.py: some cases failed (rc $rc)"
