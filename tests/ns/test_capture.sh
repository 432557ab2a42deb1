#!/usr/bin/env bash
# Capture on usnet devices (`usnetctl capture`): while h1 pings h2, a pcap
# capture on p0 (-w) holds exactly the ICMP frames tcpdump sees on h1's
# eth0 at the same time (same bytes, seq 1..N both ways), and `tcpdump -r`
# reads it; at once a text capture on p0 stops by itself after -c N packets
# and a JSON capture runs on p1; Ctrl-C (SIGINT) ends a capture with its
# summary; --timeout ends one; a capture on a device that is deleted ends
# with a clear message and status 1; killed clients free their captures
# (16 at once is the limit, a 17th is refused, after killing them 16 more
# start); on a VRF device (when the build has the kind) capture shows
# received echo requests and the locally generated replies, and survives
# the deletion of a member port.
. "$(dirname "$0")/lib.sh"
need_env ping tcpdump timeout
topo_up

NPING=5

# Start a capture in the background: NAME ARGS... (stdout NAME.out, stderr
# NAME.err); waits (10 s at most) for its "listening on" banner. Sets
# CAP_PID.
cap_bg() {
	local name=$1 i
	shift
	bg_start "$USNETCTL" -s "$SOCK" "$@" >"$TMPD/$name.out" 2>"$TMPD/$name.err"
	CAP_PID=$BG_LAST
	for ((i = 0; i < 100; i++)); do
		grep -q '^listening on ' "$TMPD/$name.err" && return 0
		pid_alive "$CAP_PID" || break
		sleep 0.1
	done
	cat "$TMPD/$name.err" >&2
	fail "capture $name ($*) did not start"
}

# Wait (at most $2 s) for background PID $1 to exit; its status in RC.
# Returns 1 when it is still running.
wait_exit() {
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	pid_alive "$pid" && return 1
	wait "$pid" 2>/dev/null
	RC=$?
	return 0
}

# Kill captures abruptly (SIGKILL: the connection just closes) and reap
# them quietly.
kill_all() {
	local p
	{
		kill -KILL "$@"
		for p in "$@"; do
			wait_exit "$p" 5 || fail "killed capture $p still running"
		done
	} 2>/dev/null
}

# ICMP frames of a pcap file: "type id seq hex-of-whole-frame", sorted.
icmp_frames() {
	"$PY" - "$1" <<'EOF'
import struct, sys
data = open(sys.argv[1], 'rb').read()
magic = struct.unpack('<I', data[:4])[0]
assert magic == 0xa1b2c3d4, "not a little-endian microsecond pcap: %#x" % magic
assert struct.unpack('<I', data[20:24])[0] == 1, "link type is not Ethernet"
off, out = 24, []
while off + 16 <= len(data):
    sec, usec, caplen, origlen = struct.unpack('<IIII', data[off:off + 16])
    f = data[off + 16:off + 16 + caplen]
    off += 16 + caplen
    assert caplen == origlen, "truncated record"
    if len(f) < 42 or f[12:14] != b'\x08\x00' or f[23] != 1:
        continue
    ihl = (f[14] & 15) * 4
    icmp = f[14 + ihl:]
    if icmp[0] in (0, 8):
        t, ident, seq = icmp[0], struct.unpack('>H', icmp[4:6])[0], struct.unpack('>H', icmp[6:8])[0]
        out.append("%d %d %d %s" % (t, ident, seq, f.hex()))
assert off == len(data), "trailing bytes in the pcap file"
print("\n".join(sorted(out)))
EOF
}

log "warm-up: neighbors resolved before the captures start"
ping_all "$NS_H1" 1 10.2.0.2

log "three captures at once: p0 to a pcap file, p0 -c 6 as text, p1 as JSON"
bg_start ip netns exec "$NS_H1" tcpdump -i eth0 -n -U --immediate-mode -w "$TMPD/h1.pcap" icmp >"$TMPD/tcpdump.out" 2>"$TMPD/tcpdump.err"
TCPDUMP_PID=$BG_LAST
cap_bg pcap0 capture dev p0 -w "$TMPD/p0.pcap"
PCAP0=$CAP_PID
cap_bg text0 capture dev p0 -c 6
TEXT0=$CAP_PID
cap_bg json1 -j capture dev p1 --timeout 30
JSON1=$CAP_PID
for ((i = 0; i < 50; i++)); do
	grep -q 'listening on' "$TMPD/tcpdump.err" && break
	sleep 0.1
done
[ $i -lt 50 ] || fail "tcpdump in h1 did not start: $(cat "$TMPD/tcpdump.err")"
ping_all "$NS_H1" $NPING 10.2.0.2

log "-c 6 ends the text capture by itself"
wait_exit "$TEXT0" 10 || fail "capture -c 6 still running after the pings"
cat "$TMPD/text0.out" "$TMPD/text0.err" | sed 's/^/    /'
[ "$RC" = 0 ] || fail "capture -c 6 exited with status $RC"
[ "$(wc -l <"$TMPD/text0.out")" = 6 ] || fail "capture -c 6 printed $(wc -l <"$TMPD/text0.out") lines, not 6"
grep -q '^6 packets captured' "$TMPD/text0.err" || fail "capture -c 6: no '6 packets captured' summary"
grep -qE '^[0-9:.]+ p0 rx len 98 IPv4 10\.1\.0\.2 > 10\.2\.0\.2 ICMP echo request id [0-9]+ seq [1-5]$' "$TMPD/text0.out" ||
	fail "capture -c 6: no decoded echo request received on p0"
grep -qE '^[0-9:.]+ p0 tx len 98 IPv4 10\.2\.0\.2 > 10\.1\.0\.2 ICMP echo reply id [0-9]+ seq [1-5]$' "$TMPD/text0.out" ||
	fail "capture -c 6: no decoded echo reply sent on p0"

log "Ctrl-C (SIGINT) ends the pcap capture with a summary"
sleep 0.3 # let the last reply reach the file
kill -INT "$PCAP0"
wait_exit "$PCAP0" 10 || fail "capture -w did not end within 10 s of SIGINT"
cat "$TMPD/pcap0.err" | sed 's/^/    /'
[ "$RC" = 0 ] || fail "capture -w exited with status $RC after SIGINT"
grep -q 'capture on p0 interrupted' "$TMPD/pcap0.err" || fail "capture -w: no 'interrupted' summary"
grep -q '^0 packets dropped by buffer' "$TMPD/pcap0.err" || fail "capture -w dropped packets"
kill -INT "$TCPDUMP_PID"
wait_exit "$TCPDUMP_PID" 10 || fail "tcpdump in h1 did not stop"

log "tcpdump -r reads the pcap file"
tcpdump -n -r "$TMPD/p0.pcap" >"$TMPD/p0.txt" 2>"$TMPD/p0.rerr" ||
	{ cat "$TMPD/p0.rerr"; fail "tcpdump -r cannot read the capture file"; }
sed 's/^/    /' "$TMPD/p0.txt"
for ((s = 1; s <= NPING; s++)); do
	grep -qE "IP 10\.1\.0\.2 > 10\.2\.0\.2: ICMP echo request, id [0-9]+, seq $s, length 64" "$TMPD/p0.txt" ||
		fail "tcpdump -r: echo request seq $s missing"
	grep -qE "IP 10\.2\.0\.2 > 10\.1\.0\.2: ICMP echo reply, id [0-9]+, seq $s, length 64" "$TMPD/p0.txt" ||
		fail "tcpdump -r: echo reply seq $s missing"
done

log "the ICMP frames on p0 are byte for byte those h1's tcpdump saw"
icmp_frames "$TMPD/p0.pcap" >"$TMPD/p0.icmp" || fail "bad pcap file from usnetctl"
icmp_frames "$TMPD/h1.pcap" >"$TMPD/h1.icmp" || fail "bad pcap file from tcpdump"
[ "$(wc -l <"$TMPD/p0.icmp")" = $((2 * NPING)) ] ||
	fail "p0 capture holds $(wc -l <"$TMPD/p0.icmp") echo frames, not $((2 * NPING))"
if ! cmp -s "$TMPD/h1.icmp" "$TMPD/p0.icmp"; then
	diff "$TMPD/h1.icmp" "$TMPD/p0.icmp" | cut -c1-120
	fail "echo frames differ between h1's tcpdump and usnet's capture on p0"
fi

log "the JSON capture on p1 saw the pings leave and the replies arrive"
kill -INT "$JSON1"
wait_exit "$JSON1" 10 || fail "JSON capture did not end after SIGINT"
[ "$RC" = 0 ] || fail "JSON capture exited with status $RC"
"$PY" - "$TMPD/json1.out" "$NPING" <<'EOF' || fail "JSON capture on p1: wrong content"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
req = [l for l in lines if l["dir"] == "tx" and "ICMP echo request" in l["summary"]]
rep = [l for l in lines if l["dir"] == "rx" and "ICMP echo reply" in l["summary"]]
assert all(l["dev"] == "p1" and l["len"] == l["caplen"] for l in lines), lines
assert len(req) == n and len(rep) == n, (len(req), len(rep))
assert all(l["summary"].startswith("IPv4 10.1.0.2 > 10.2.0.2 ") for l in req), req
print("    p1: %d lines, %d requests out, %d replies in" % (len(lines), len(req), len(rep)))
EOF

log "--timeout ends a capture"
start=$SECONDS
ctl capture dev p0 --timeout 1 >"$TMPD/to.out" 2>"$TMPD/to.err"
rc=$?
sed 's/^/    /' "$TMPD/to.err"
[ $rc = 0 ] || fail "capture --timeout 1 exited with status $rc"
[ $((SECONDS - start)) -le 5 ] || fail "capture --timeout 1 took $((SECONDS - start)) s"
grep -q 'stopped after the 1.000 s timeout' "$TMPD/to.err" || fail "capture --timeout: no timeout summary"

log "-w - writes the pcap to stdout (a pipe into tcpdump -r -)"
bg_start bash -c '"$1" -s "$2" capture dev p0 -c 4 -w - 2>"$3/pipe.err" | tcpdump -n -r - >"$3/pipe.txt" 2>&1' \
	_ "$USNETCTL" "$SOCK" "$TMPD"
PIPE=$BG_LAST
for ((i = 0; i < 100; i++)); do
	grep -q '^listening on ' "$TMPD/pipe.err" 2>/dev/null && break
	sleep 0.1
done
ping_all "$NS_H1" 2 10.2.0.2
wait_exit "$PIPE" 10 || fail "capture -c 4 -w - | tcpdump -r - did not end"
sed 's/^/    /' "$TMPD/pipe.txt"
[ "$RC" = 0 ] || fail "capture -w - | tcpdump -r - failed (status $RC)"
# 4 packets, the echoes and maybe a neighbor probe of h1's or usnet's
[ "$(grep -cE '^[0-9]{2}:[0-9]{2}:' "$TMPD/pipe.txt")" = 4 ] || fail "tcpdump -r - did not read 4 packets from the pipe"
[ "$(grep -c 'ICMP echo re' "$TMPD/pipe.txt")" -ge 2 ] || fail "tcpdump -r - read fewer than 2 echo packets from the pipe"

log "bad capture requests are refused with the bad word named"
ctl capture dev nosuch -c 1 >/dev/null 2>"$TMPD/bad.err" && fail "capture on a missing device succeeded"
grep -q "no device 'nosuch'" "$TMPD/bad.err" || fail "missing device: unclear error: $(cat "$TMPD/bad.err")"
ctl capture dev p0 -c zero >/dev/null 2>"$TMPD/bad.err" && fail "capture -c zero succeeded"
grep -q "invalid count 'zero'" "$TMPD/bad.err" || fail "bad count: unclear error: $(cat "$TMPD/bad.err")"
ctl capture dev p0 -w >/dev/null 2>"$TMPD/bad.err" && fail "capture -w without a file succeeded"
grep -q -- "-w needs a file name" "$TMPD/bad.err" || fail "-w without file: unclear error: $(cat "$TMPD/bad.err")"

log "16 captures at once; the 17th is refused; killed clients free theirs"
pids=()
for ((k = 0; k < 16; k++)); do
	cap_bg "many$k" capture dev p0
	pids+=("$CAP_PID")
done
ctl capture dev p0 -c 1 >/dev/null 2>"$TMPD/17.err" && fail "a 17th capture started"
grep -q 'too many captures running (max 16)' "$TMPD/17.err" || fail "17th capture: unclear error: $(cat "$TMPD/17.err")"
ping_all "$NS_H1" 1 10.1.0.1
sleep 0.3 # the server streams every 20 ms
kill_all "${pids[@]}"
grep -c 'ICMP echo request' "$TMPD/many15.out" >/dev/null || fail "capture 16 of 16 saw no echo request"
ok=0
for ((i = 0; i < 50 && ok == 0; i++)); do # the server notices within ~20 ms
	ctl capture dev p0 --timeout 0.2 >/dev/null 2>&1 && ok=1 || sleep 0.1
done
[ $ok = 1 ] || fail "no capture can start after the clients were killed"
pids=()
for ((k = 0; k < 16; k++)); do
	cap_bg "again$k" capture dev p1
	pids+=("$CAP_PID")
done
kill_all "${pids[@]}"

log "a stopped reader: the capture buffer fills, drops are counted, nothing blocks"
cap_bg slow capture dev p0
SLOW=$CAP_PID
kill -STOP "$SLOW"
nsx "$NS_H1" timeout 20 ping -n -q -f -c 30000 10.2.0.2 | sed 's/^/    /'
kill -CONT "$SLOW"
kill -INT "$SLOW"
wait_exit "$SLOW" 20 || fail "stopped-then-continued capture did not end after SIGINT"
sed 's/^/    /' "$TMPD/slow.err"
[ "$RC" = 0 ] || fail "slow capture exited with status $RC"
"$PY" - "$TMPD/slow.err" "$TMPD/slow.out" <<'EOF2' || fail "slow capture: counts do not add up"
import re, sys
t = open(sys.argv[1]).read()
cap, seen, drop = (int(re.search(r"^(\d+) packets " + w, t, re.M).group(1))
                   for w in ("captured", "received by filter", "dropped by buffer"))
lines = sum(1 for _ in open(sys.argv[2]))
assert drop > 0, "no drops although the reader was stopped during a flood"
assert cap + drop == seen, (cap, drop, seen)
assert lines == cap, (lines, cap)
EOF2
ping_all "$NS_H1" 2 10.2.0.2

HAVE_VRF=0
if ctl link add red type vrf table 10 2>"$TMPD/vrf.err"; then
	HAVE_VRF=1
	log "VRF device: capture on it shows received and locally generated packets"
	ctl link set red up || fail "link set red up failed"
	ctl link set p1 master red || fail "link set p1 master red failed"
	cap_bg red capture dev red -c $((2 * NPING))
	RED=$CAP_PID
	ping_all "$NS_H2" $NPING 10.2.0.1
	wait_exit "$RED" 10 || fail "capture -c on red still running after the pings"
	sed 's/^/    /' "$TMPD/red.out"
	[ "$RC" = 0 ] || fail "capture on red exited with status $RC"
	for ((s = 1; s <= NPING; s++)); do
		grep -qE "^[0-9:.]+ red rx len 98 IPv4 10\.2\.0\.2 > 10\.2\.0\.1 ICMP echo request id [0-9]+ seq $s\$" "$TMPD/red.out" ||
			fail "capture on the VRF device: echo request seq $s not seen received"
		grep -qE "^[0-9:.]+ red tx len 98 IPv4 10\.2\.0\.1 > 10\.2\.0\.2 ICMP echo reply id [0-9]+ seq $s\$" "$TMPD/red.out" ||
			fail "capture on the VRF device: locally generated echo reply seq $s not seen sent"
	done
else
	grep -q "unknown type 'vrf'" "$TMPD/vrf.err" || fail "link add type vrf: $(cat "$TMPD/vrf.err")"
	log "no vrf device kind in this build: VRF capture not checked"
fi

log "deleting a captured device ends its captures clearly (during a flood)"
cap_bg del1 capture dev p1 -w "$TMPD/del.pcap"
DEL1=$CAP_PID
cap_bg del2 capture dev p1
DEL2=$CAP_PID
if [ $HAVE_VRF = 1 ]; then
	cap_bg del3 capture dev red
	DEL3=$CAP_PID
fi
bg_start ip netns exec "$NS_H2" ping -n -q -f -w 3 10.2.0.1 >/dev/null 2>&1
sleep 0.5
ctl link del p1 || fail "link del p1 failed"
for p in "$DEL1" "$DEL2"; do
	wait_exit "$p" 5 || fail "capture on p1 still running after link del p1"
	[ "$RC" = 1 ] || fail "capture on the deleted p1 exited with status $RC, not 1"
done
sed 's/^/    /' "$TMPD/del1.err"
grep -q 'capture on p1 ended: device p1 was deleted' "$TMPD/del1.err" || fail "no clear message after link del"
grep -q 'capture on p1 ended: device p1 was deleted' "$TMPD/del2.err" || fail "no clear message after link del (2nd capture)"
grep -q '^0 packets dropped by buffer' "$TMPD/del1.err" || log "(the flood overran the p1 capture buffer)"
tcpdump -n -r "$TMPD/del.pcap" >"$TMPD/del.txt" 2>&1 || fail "tcpdump -r cannot read the pcap of the deleted device"
grep -q 'ICMP echo request' "$TMPD/del.txt" || fail "the pcap of the deleted device holds no echo request"
if [ $HAVE_VRF = 1 ]; then
	pid_alive "$DEL3" || fail "capture on red ended when its member p1 was deleted"
	ctl link del red || fail "link del red failed"
	wait_exit "$DEL3" 5 || fail "capture on red still running after link del red"
	[ "$RC" = 1 ] || fail "capture on the deleted red exited with status $RC, not 1"
	grep -q 'capture on red ended: device red was deleted' "$TMPD/del3.err" || fail "no clear message after link del red"
	grep -qE 'red rx len 98 IPv4 10\.2\.0\.2 > 10\.2\.0\.1 ICMP echo request' "$TMPD/del3.out" ||
		fail "capture on red saw nothing of the flood"
fi

log "usnet still serves commands and p0 still forwards to itself"
ctl link show >/dev/null || fail "link show failed after the captures"
ping_all "$NS_H1" 2 10.1.0.1
usnet_alive
check_conservation
