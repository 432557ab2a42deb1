#!/usr/bin/env bash
# The whole test suite: unit tests (cmocka), the same under ASan/UBSan,
# namespace tests with real Linux hosts, scapy malformed-packet tests, pcap
# golden tests and a bounded fuzz run. Prints "N passed, N failed" last and
# exits non-zero on any failure.
#
# Conventions: tests/*/test_*.c are cmocka binaries; tests/ns/test_*.sh,
# tests/scapy/test_*.sh and tests/pcap/test_*.sh are scripts that exit 0 on
# pass, 77 on skip (with the reason on stdout), anything else on failure.
# USNET_BUILD selects the build dir (build or build/san) for scripts.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
pass=0 fail=0 skip=0
failed=()
LOG_DIR=${LOG_DIR:-$ROOT/build/test-logs}
mkdir -p "$LOG_DIR"

run_one() { # name, command...
	local name=$1; shift
	local log="$LOG_DIR/$(echo "$name" | tr '/ ' '__').log"
	local start=$SECONDS rc
	timeout --kill-after=10 "${TEST_TIMEOUT:-300}" "$@" >"$log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1)); echo "PASS $name ($((SECONDS - start))s)"
	elif [ $rc -eq 77 ]; then
		skip=$((skip + 1)); echo "SKIP $name: $(tail -n 1 "$log")"
	else
		fail=$((fail + 1)); failed+=("$name"); echo "FAIL $name (rc=$rc, log $log)"
		# the reason first (scripts say "FAIL: ..."), then the log's end
		grep -m 5 -E '^FAIL:|ERROR:|Sanitizer|runtime error:|\[  FAILED  \]' "$log" | sed 's/^/    reason: /'
		tail -n 30 "$log" | sed 's/^/    /'
	fi
}

only=${1:-all}

if [ "$only" = all ] || [ "$only" = unit ]; then
	for b in build/tests/*/test_*; do
		[ -x "$b" ] && run_one "unit ${b#build/tests/}" "$b"
	done
fi

if [ "$only" = all ] || [ "$only" = san ]; then
	make -s -j"$(nproc)" SAN=1 >"$LOG_DIR/san-build.log" 2>&1 ||
		{ echo "FAIL san build"; tail -20 "$LOG_DIR/san-build.log"; fail=$((fail + 1)); failed+=("san-build"); }
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	for b in build/san/tests/*/test_*; do
		[ -x "$b" ] && run_one "asan ${b#build/san/tests/}" "$b"
	done
fi

run_scripts() { # dir, build
	for t in tests/$1/test_*.sh; do
		[ -x "$t" ] || continue
		USNET_BUILD=$2 run_one "$1 $(basename "$t" .sh)${3:-}" "$t"
	done
}

if [ "$only" = all ] || [ "$only" = pcap ]; then
	run_scripts pcap build
fi
if [ "$only" = all ] || [ "$only" = ns ]; then
	if [ "$(id -u)" = 0 ]; then
		run_scripts ns build
		run_scripts scapy build
	else
		echo "SKIP namespace tests: not root"; skip=$((skip + 1))
	fi
fi
if [ "$only" = all ] || [ "$only" = ns-san ]; then
	if [ "$(id -u)" = 0 ]; then
		run_scripts ns build/san " (asan)"
		run_scripts scapy build/san " (asan)"
	fi
fi
if [ "$only" = all ] || [ "$only" = fuzz ]; then
	if command -v clang >/dev/null; then
		run_one "fuzz build" make -s fuzz
		for f in build/fuzz/fuzz_*; do
			[ -x "$f" ] && run_one "fuzz $(basename "$f")" "$f" \
				-max_total_time="${FUZZ_SECONDS:-60}" -rss_limit_mb=2048 \
				-artifact_prefix="$LOG_DIR/" "$(mktemp -d)" tests/fuzz/corpus
		done
	fi
fi

[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[@]}"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
