#!/usr/bin/env bash
# FIB lookup benchmark: builds bench/fib_bench.c against build/libusnet.a
# and DPDK (pkg-config libdpdk; the Debian package libdpdk-dev is installed
# with apt-get when missing and we are root) and runs it pinned to one CPU.
# DPDK is linked here only, never into usnet. See bench/README.md.
#
#   bench/fib_bench.sh [fib_bench options]
#     --runs N        timed runs per structure (median printed; default 7)
#     --addresses N   sample size per run (default 1048576)
#     --churn N       prefixes deleted and re-added (default 50000)
#     --no-rte-lpm    skip rte_lpm (its full-table load is quadratic)
#     --no-fib        skip the usnet FIB rows (route add, FIB lookup)
#     --prefixes F    table file (default ../shared/data/prefixes.txt.gz)
#
# Environment: FIB_BENCH_CPU (CPU to pin to; default the last one),
# FIB_BENCH_HUGE=0 (DPDK on 4 KiB pages even when hugepages can be had).
# Exit: 0, 1 when the benchmark failed (e.g. answers differ), 77 when it
# cannot run here (no DPDK and no way to install it).
set -u
cd "$(dirname "$0")/.." || exit 1

if ! pkg-config --exists libdpdk 2>/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "fib_bench.sh: installing libdpdk-dev (DPDK, for the comparison)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y \
			--no-install-recommends libdpdk-dev >/dev/null ||
			{ echo "fib_bench.sh: apt-get install libdpdk-dev failed"; exit 77; }
	else
		echo "fib_bench.sh: needs DPDK (apt-get install libdpdk-dev)"
		exit 77
	fi
fi
make -s -j"$(nproc)" build/libusnet.a || { echo "fib_bench.sh: make failed"; exit 1; }

# DPDK's headers as system headers: our warning flags are not theirs.
dpdk_cflags=$(pkg-config --cflags libdpdk | sed 's/-I/-isystem /g')
# shellcheck disable=SC2086,SC2046
gcc -std=gnu11 -O2 -g -march=x86-64-v2 -Wall -Wextra -Werror -Wshadow \
	-Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter \
	-Wformat=2 -Wvla -D_GNU_SOURCE -D_LGPL_SOURCE -Isrc -pthread \
	$dpdk_cflags -o build/fib_bench bench/fib_bench.c build/libusnet.a \
	$(pkg-config --libs libdpdk) -lurcu-qsbr -lurcu-cds -lpcap ||
	{ echo "fib_bench.sh: build failed"; exit 1; }

# DPDK as it runs in production: on 2 MiB hugetlbfs pages (--in-memory, no
# mount needed). As root, reserve what is missing for this run and give it
# back afterwards; otherwise (or with FIB_BENCH_HUGE=0) DPDK runs with
# --no-huge on 4 KiB pages, and the first line of the output says which.
huge=()
need=2048   # 4 GiB: rte_fib, rte_fib6 (its tbl8 pool may double), rte_lpm6, rte_lpm
if [ "${FIB_BENCH_HUGE:-1}" != 0 ] && [ "$(id -u)" = 0 ] &&
	[ -w /proc/sys/vm/nr_hugepages ]; then
	old_pages=$(cat /proc/sys/vm/nr_hugepages)
	free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${free:-0}" -lt "$need" ]; then
		echo $((old_pages + need - free)) >/proc/sys/vm/nr_hugepages
		trap 'echo "$old_pages" >/proc/sys/vm/nr_hugepages' EXIT
	fi
	free=$(awk '/^HugePages_Free/ {print $2}' /proc/meminfo)
	if [ "${free:-0}" -ge "$need" ]; then
		huge=(--huge)
	else
		echo "fib_bench.sh: could not reserve $need hugepages; DPDK runs on 4 KiB pages"
	fi
fi

cpu=${FIB_BENCH_CPU:-$(($(nproc) - 1))}
pin=()
command -v taskset >/dev/null && pin=(taskset -c "$cpu")
echo "fib_bench.sh: load average $(cut -d' ' -f1-3 /proc/loadavg); pinned to CPU $cpu"
"${pin[@]}" build/fib_bench "${huge[@]}" "$@"
