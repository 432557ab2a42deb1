#!/usr/bin/env bash
# Configuration and control errors:
#  - a config file with a bad line: usnet exits non-zero, "FILE:LINE:" on
#    stderr, no sanitizer report (several kinds of bad lines);
#  - bad runtime commands through usnetctl: non-zero exit, a message on
#    stderr, and `route show` / `link show -j` / `addr show -j` unchanged
#    (a failing command changes nothing);
#  - every show command prints valid JSON with -j;
#  - usnetctl with a wrong socket path fails with a clear message.
. "$(dirname "$0")/lib.sh"
need_env

# bad_config LINE-NO TEXT-OF-THAT-LINE [EXPECT]: the config is two good lines
# (a comment and a sysctl), then the lines of array PRE (or blank lines) up
# to LINE-NO, which is bad.
PRE=()
bad_config() {
	local lineno=$1 line=$2 expect=${3:-} f=$TMPD/bad$1.conf rc i
	{
		echo "# config with a bad line at $lineno"
		echo "sysctl net.ipv4.icmp_ratelimit=0"
		for ((i = 3; i < lineno; i++)); do echo "${PRE[i - 3]:-}"; done
		echo "$line"
		echo "sysctl net.ipv6.icmp.ratelimit=0"
	} >"$f"
	timeout 20 "$USNET" -c "$f" --ctl "$TMPD/never.sock" >"$TMPD/bad.out" 2>"$TMPD/bad.err"
	rc=$?
	log "bad line $lineno '$line': exit $rc: $(head -c 300 "$TMPD/bad.err")"
	[ $rc != 0 ] && [ $rc != 124 ] || fail "usnet accepted/hung on config with '$line' (rc $rc)"
	grep -qF "$f:$lineno:" "$TMPD/bad.err" || fail "stderr lacks '$f:$lineno:'"
	[ -z "$expect" ] || grep -qF -- "$expect" "$TMPD/bad.err" || fail "stderr lacks '$expect'"
	! grep -qE 'Sanitizer|runtime error:|packets still allocated' "$TMPD/bad.err" ||
		fail "sanitizer/leak report after a bad config"
	[ ! -e "$TMPD/never.sock" ] || fail "control socket created although the config failed"
}
bad_config 3 "frobnicate everything" "frobnicate"
bad_config 5 "route add 10.0.0.0/33 via 10.0.0.1" "10.0.0.0/33"
bad_config 4 "addr add 10.1.0.1/24 dev nosuchdev" "nosuchdev"
bad_config 7 "link add x0 type nosuchkind" "nosuchkind"
bad_config 3 "sysctl net.ipv4.icmp_ratelimit=banana" "banana"
bad_config 6 'link add "unterminated type null' "quote"
# After devices, addresses and routes were made (all torn down again).
PRE=("link add q0 type null" "link set q0 up" "addr add 192.0.2.1/24 dev q0"
	"route add 198.51.100.0/24 via 192.0.2.2")
bad_config 7 "route add 203.0.113.0/24 via 192.0.2.2 dev q1" "q1"
PRE=()
# A missing config file.
timeout 10 "$USNET" -c "$TMPD/does-not-exist.conf" --ctl "$TMPD/never.sock" 2>"$TMPD/bad.err"
rc=$?
[ $rc != 0 ] && grep -qF "does-not-exist.conf" "$TMPD/bad.err" ||
	fail "missing config file: rc $rc, stderr '$(cat "$TMPD/bad.err")'"

topo_up "route add 10.9.0.0/16 via 10.2.0.2"

show_state() { # FILE: route show (text+JSON), link show -j, addr show -j
	{
		ctl route show table all
		ctlj route show table all
		ctlj link show
		ctlj addr show
	} >"$1" 2>&1
}
show_state "$TMPD/state0"

# bad_cmd EXPECT WORDS...: usnetctl fails (exit 1), prints EXPECT on stderr,
# nothing on stdout, and the state is unchanged.
bad_cmd() {
	local expect=$1 rc
	shift
	ctl "$@" >"$TMPD/cmd.out" 2>"$TMPD/cmd.err"
	rc=$?
	log "usnetctl $*: exit $rc: $(cat "$TMPD/cmd.err")"
	[ $rc = 1 ] || fail "usnetctl $*: exit $rc, want 1"
	grep -qF -- "$expect" "$TMPD/cmd.err" || fail "usnetctl $*: stderr lacks '$expect'"
	[ ! -s "$TMPD/cmd.out" ] || fail "usnetctl $*: printed on stdout: $(cat "$TMPD/cmd.out")"
	show_state "$TMPD/state1"
	cmp -s "$TMPD/state0" "$TMPD/state1" || {
		diff "$TMPD/state0" "$TMPD/state1"
		fail "usnetctl $*: failed but changed the state"
	}
}
bad_cmd "unknown command" frobnicate
bad_cmd "10.0.0.0/33" route add 10.0.0.0/33 via 10.1.0.2
bad_cmd "10.9.0.1/16" route add 10.9.0.1/16 via 10.1.0.2
bad_cmd "nosuchdev" route add 10.8.0.0/16 via 10.1.0.2 dev nosuchdev
bad_cmd "10.9.0.0/16" route add 10.9.0.0/16 via 10.1.0.3
bad_cmd "route" route del 10.7.0.0/16
bad_cmd "nosuchdev" link set nosuchdev up
bad_cmd "zz:00" link set p0 mtu 1400 address zz:00:00:00:00:01
bad_cmd "mtu" link set p0 mtu 20
bad_cmd "p0" link add p0 type af_packet dev "$IF_A"
bad_cmd "addr" addr add 300.1.0.1/24 dev p0
bad_cmd "lladdr" neigh add 10.1.0.9 dev p0
bad_cmd "sysctl" sysctl net.nosuch=1

# A good runtime command does change the state (the comparison can fail).
ctl route add 10.8.0.0/16 via 10.1.0.2 || fail "a good route add failed"
show_state "$TMPD/state2"
! cmp -s "$TMPD/state0" "$TMPD/state2" || fail "route add changed nothing in route show"
ctl route del 10.8.0.0/16 via 10.1.0.2 || fail "route del failed"
show_state "$TMPD/state3"
cmp -s "$TMPD/state0" "$TMPD/state3" || fail "route add + del did not restore the state"

# JSON output of every show command.
ping_all "$NS_H1" 1 10.2.0.2 >/dev/null
for c in "link show" "link show p0" "addr show" "addr show dev p1" "route show" \
	"route show table all" "route -6 show" "route get 10.2.0.2" "route get 2001:db8:2::2" \
	"neigh show" "stats" "stats dev p0" "sysctl -a" "sysctl net.ipv4.icmp_ratelimit"; do
	ctlj $c >"$TMPD/out.json" 2>"$TMPD/out.err" || fail "usnetctl -j $c failed: $(cat "$TMPD/out.err")"
	"$PY" -m json.tool "$TMPD/out.json" >/dev/null 2>"$TMPD/json.err" || {
		cat "$TMPD/out.json"
		fail "usnetctl -j $c: invalid JSON: $(cat "$TMPD/json.err")"
	}
	log "usnetctl -j $c: valid JSON ($(wc -c <"$TMPD/out.json") bytes)"
done
# Spot-check the contents.
ctlj route show >"$TMPD/r.json"
[ "$(jget "$TMPD/r.json" "[r.get('gateway') for r in j if r['dst']=='10.9.0.0/16'][0]")" = 10.2.0.2 ] ||
	fail "route show -j lacks 10.9.0.0/16 via 10.2.0.2"
ctlj neigh show >"$TMPD/n.json"
[ "$(jget "$TMPD/n.json" "len([e for e in j if e['dst']=='10.2.0.2'])")" = 1 ] ||
	fail "neigh show -j lacks 10.2.0.2"
ctlj stats >"$TMPD/s.json"
[ "$(jget "$TMPD/s.json" "sorted(d['ifname'] for d in j['devices'])")" = "['p0', 'p1']" ] ||
	fail "stats -j devices are not p0, p1"

# Wrong socket paths.
for s in "$TMPD/no-such.sock" /nonexistent-dir/usnet.sock; do
	"$USNETCTL" -s "$s" link show >"$TMPD/cmd.out" 2>"$TMPD/cmd.err"
	rc=$?
	log "usnetctl -s $s: exit $rc: $(cat "$TMPD/cmd.err")"
	[ $rc != 0 ] || fail "usnetctl with a wrong socket path succeeded"
	grep -qF "$s" "$TMPD/cmd.err" && grep -qi "connect" "$TMPD/cmd.err" ||
		fail "usnetctl -s $s: message does not name the socket and the failure"
done

usnet_alive
check_conservation
