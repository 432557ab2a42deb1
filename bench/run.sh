#!/usr/bin/env bash
# Benchmarks: builds bench/fwd_bench.c against the product library, runs the
# in-memory forwarding benchmark (bench/fwd_bench.c) and the end-to-end
# comparison with the Linux kernel (bench/e2e.sh), and prints their tables.
# See bench/README.md for what is measured and how to read it.
#
#   bench/run.sh            all parts
#   bench/run.sh fwd|e2e|l2|vrf|fib    one of them (l2: stacked devices,
#                           vrf: VRF request/response cost, fib: FIB lookups
#                           vs DPDK)
#   bench/run.sh check      short runs under ASan/UBSan (build/san): checks
#                           that the benchmarks run cleanly, not speed
#
# Environment: FWD_SECONDS (per run, default 1), FWD_RUNS (default 5),
# FWD_BURSTS (default 1,32,256), FWD_TABLE_BURSTS (bursts of the full
# Internet table rows, default 32; "none" skips them), FWD_CPU (CPU to pin
# fwd_bench to, default the last one), E2E_SECONDS (default 10), LOG_DIR.
# `bench/run.sh fwd` takes about 2.5 minutes with the defaults. Exit status: non-zero if
# any part failed; a part that cannot run here (not root) is reported as
# skipped.
set -u
cd "$(dirname "$0")/.." || exit 2
what=${1:-all}
CFLAGS_BENCH="-std=gnu11 -march=x86-64-v2 -Wall -Wextra -Werror -Wshadow \
-Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 -Wvla \
-D_GNU_SOURCE -Isrc -pthread"
LIBS="-lurcu-qsbr -lurcu-cds -lpcap"
status=0

build_fwd() { # build-dir extra-flags... -> build-dir/fwd_bench
	local b=$1; shift
	[ -f "$b/libusnet.a" ] || { echo "run.sh: $b/libusnet.a missing (run make)"; return 1; }
	# shellcheck disable=SC2086
	gcc $CFLAGS_BENCH "$@" -o "$b/fwd_bench" bench/fwd_bench.c "$b/libusnet.a" $LIBS
}

run_fwd() { # build-dir args...
	local b=$1 cpu=${FWD_CPU:-$(($(nproc) - 1))} pin=()
	shift
	command -v taskset >/dev/null && pin=(taskset -c "$cpu")
	echo "== fwd_bench ($b/fwd_bench $*)"
	timeout --kill-after=10 1800 "${pin[@]}" "$b/fwd_bench" "$@" || {
		echo "fwd_bench: FAILED (rc=$?)"; status=1; }
}

run_e2e() { # build-dir
	local rc
	echo "== e2e ($1)"
	USNET_BUILD=$1 timeout --kill-after=10 900 bench/e2e.sh
	rc=$?
	case $rc in
	0) ;;
	77) echo "e2e: skipped" ;;
	*) echo "e2e: FAILED (rc=$rc)"; status=1 ;;
	esac
}

fwd_args=(--seconds "${FWD_SECONDS:-1}" --runs "${FWD_RUNS:-5}" --bursts "${FWD_BURSTS:-1,32,256}")
if [ "${FWD_TABLE_BURSTS:-32}" = none ]; then
	fwd_args+=(--no-table)
else
	fwd_args+=(--table-bursts "${FWD_TABLE_BURSTS:-32}")
fi

# Stacked-device benchmarks: each bench/l2_bench_*.c measures its device
# against plain port-to-port forwarding in the same run.
run_l2() {
	local src b
	for src in bench/l2_bench_*.c; do
		b=build/$(basename "$src" .c)
		# shellcheck disable=SC2086
		gcc $CFLAGS_BENCH -O2 -g -o "$b" "$src" build/libusnet.a $LIBS || {
			echo "run.sh: cannot build $src"; status=1; continue; }
		echo "== $b"
		timeout --kill-after=10 900 taskset -c "$(($(nproc) - 1))" "$b" || {
			echo "$b: FAILED"; status=1; }
	done
}

run_script() { # script
	echo "== $1"
	"$1" || { rc=$?; [ $rc = 77 ] || status=1; }
}

case $what in
all | fwd | e2e | l2 | vrf | fib)
	if [ "$what" = all ] || [ "$what" = fwd ]; then
		build_fwd build -O2 -g || exit 1
		run_fwd build "${fwd_args[@]}"
	fi
	if [ "$what" = all ] || [ "$what" = e2e ]; then
		run_e2e build
	fi
	if [ "$what" = all ] || [ "$what" = l2 ]; then
		run_l2
	fi
	if [ "$what" = all ] || [ "$what" = vrf ]; then
		run_script bench/vrf_rr.sh
	fi
	if { [ "$what" = all ] || [ "$what" = fib ]; } && [ -x bench/fib_bench.sh ]; then
		run_script bench/fib_bench.sh
	fi
	;;
check)
	make -s -j"$(nproc)" SAN=1 all >/dev/null || { echo "run.sh: make SAN=1 failed"; exit 1; }
	build_fwd build/san -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
		-fno-sanitize-recover=undefined || exit 1
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_fwd build/san --seconds 0.2 --runs 3
	E2E_SECONDS=${E2E_SECONDS:-2} run_e2e build/san
	;;
*)
	echo "usage: bench/run.sh [all|fwd|e2e|l2|vrf|fib|check]"
	exit 2
	;;
esac
exit $status
