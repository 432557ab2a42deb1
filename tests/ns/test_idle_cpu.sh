#!/usr/bin/env bash
# An idle usnet (ports up, no traffic) uses less than 5% of one core over
# 5 s: utime + stime of the whole process from /proc/PID/stat.
. "$(dirname "$0")/lib.sh"
need_env
topo_up
# One exchange so that neighbors are resolved, then let it settle.
ping_all "$NS_H1" 1 10.2.0.2 >/dev/null
sleep 1

cpu_ticks() { # utime + stime (fields 14, 15; after the ")" of comm)
	sed 's/.*) //' "/proc/$USNET_PID/stat" | awk '{print $12 + $13}'
}
hz=$(getconf CLK_TCK)
t0=$(cpu_ticks)
s0=$(date +%s%N)
sleep 5
t1=$(cpu_ticks)
s1=$(date +%s%N)
usnet_alive
pct=$("$PY" -c "print(round(100.0 * ($t1 - $t0) / $hz / (($s1 - $s0) / 1e9), 2))")
log "usnet used $((t1 - t0)) ticks ($hz/s) in $(( (s1 - s0) / 1000000 )) ms: $pct% of one core"
echo "FIGURES idle cpu: $pct% (driver $DRIVER, build ${USNET_BUILD:-build})"
"$PY" -c "import sys; sys.exit(0 if $pct < 5 else 1)" || fail "idle usnet uses $pct% of a core (limit 5%)"
check_conservation
