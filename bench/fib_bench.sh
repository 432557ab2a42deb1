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
#     --processes N   run the whole benchmark in N fresh processes (each gets
#                     its own hugepages) and end with the per-run speed-ups
#                     of every process side by side: median [min..max] of
#                     the processes' medians (default 1)
#
# Environment: FIB_BENCH_CPU (CPU to pin to; default the last one),
# FIB_BENCH_HUGE=0 (DPDK on 4 KiB pages even when hugepages can be had).
# Exit: 0, 1 when the benchmark failed (e.g. answers differ), 77 when it
# cannot run here (no DPDK and no way to install it).
set -u
cd "$(dirname "$0")/.." || exit 1

procs=1
args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--processes)
		procs=${2:-}
		case "$procs" in
		'' | *[!0-9]* | 0*)
			echo "fib_bench.sh: --processes needs a count of 1 or more, not '$procs'"
			exit 1 ;;
		esac
		shift 2 ;;
	*)
		args+=("$1")
		shift ;;
	esac
done

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

# The speed-up rows of several fib_bench outputs ("usnet speed-up per run"
# blocks), per structure: median [min..max] over the outputs of each
# output's median ratio, in-table and random.
summarize() {
	awk -v n="$#" '
	/usnet speed-up per run/ { inblock = 1; next }
	inblock && $1 != "vs" { inblock = 0 }
	inblock {
		for (i = 2; i <= NF && $i !~ /^[0-9.]+x$/; i++) ;
		if (i > NF)
			next
		label = $2
		for (k = 3; k < i; k++)
			label = label " " $k
		if (!(label in seen)) {
			seen[label] = 1
			order[++nl] = label
		}
		col = 0
		for (; i <= NF; i++)
			if ($i ~ /^[0-9.]+x$/) {
				v[label, col, ++cnt[label, col]] = $i + 0
				col++
			}
	}
	function stat(label, col,    m, a, j, k, t, med) {
		m = cnt[label, col]
		if (!m)
			return sprintf("%-22s", "-")
		for (j = 1; j <= m; j++)
			a[j] = v[label, col, j]
		for (j = 2; j <= m; j++)
			for (k = j; k > 1 && a[k - 1] > a[k]; k--) {
				t = a[k]; a[k] = a[k - 1]; a[k - 1] = t
			}
		med = (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		return sprintf("%5.2fx [%4.2f..%4.2f] %2d", med, a[1], a[m], m)
	}
	END {
		printf "\nusnet speed-up over %d processes: median [min..max] of each process'"'"'s\n", n
		printf "median per-run ratio, and how many processes had the row\n"
		printf "  %-30s %-25s %s\n", "", "in-table", "random"
		for (j = 1; j <= nl; j++)
			printf "  vs %-27s %-25s %s\n", order[j], stat(order[j], 0), stat(order[j], 1)
	}' "$@"
}

echo "fib_bench.sh: load average $(cut -d' ' -f1-3 /proc/loadavg); pinned to CPU $cpu"
if [ "$procs" = 1 ]; then
	"${pin[@]}" build/fib_bench "${huge[@]}" "${args[@]}"
	exit
fi
logs=()
for p in $(seq "$procs"); do
	log=build/fib_bench.$p.log
	echo "== fib_bench.sh: process $p of $procs (output also in $log)"
	"${pin[@]}" build/fib_bench "${huge[@]}" "${args[@]}" | tee "$log"
	rc=${PIPESTATUS[0]}
	[ "$rc" = 0 ] || { echo "fib_bench.sh: process $p failed (exit $rc)"; exit "$rc"; }
	logs+=("$log")
done
summarize "${logs[@]}"
