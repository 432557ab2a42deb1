#!/usr/bin/env bash
# Golden pcap tests: for every tests/pcap/cases/<name>/ run
#   usnet -c usnet.conf --offline
# in a temporary copy of the case directory and compare what it wrote on each
# port (out_p0.pcap, out_p1.pcap) byte for byte with expected_p0.pcap /
# expected_p1.pcap, which gen_cases.py computed from the RFCs. When scapy is
# installed the committed pcaps are first checked against a fresh
# regeneration, so that the cases and the generator cannot drift apart.
# Exit 0 pass, 77 skip (reason on the last line), 1 fail.
# Env: USNET_BUILD (build dir, default build).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${USNET_BUILD:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
usnet="$build/usnet"
py=/usr/bin/python3
gen="$here/gen_cases.py"

if [ ! -x "$usnet" ]; then
	echo "skip: $usnet not built"
	exit 77
fi
if [ ! -x "$py" ]; then
	echo "skip: $py not found"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

if "$py" -c 'import scapy.all' 2>/dev/null; then
	"$py" "$gen" generate "$tmp/regen" >/dev/null 2>&1 || {
		echo "FAIL: gen_cases.py generate failed"
		fail=1
	}
	for f in "$here"/cases/*/*; do
		rel=${f#"$here"/cases/}
		if ! cmp -s "$f" "$tmp/regen/$rel"; then
			echo "FAIL: committed $rel differs from gen_cases.py's output (run: $gen generate)"
			fail=1
		fi
	done
fi

ncases=0
for dir in "$here"/cases/*/; do
	name=$(basename "$dir")
	ncases=$((ncases + 1))
	work="$tmp/run/$name"
	mkdir -p "$work"
	cp "$dir"/usnet.conf "$dir"/in.pcap "$work"/
	if ! (cd "$work" && timeout 60 "$usnet" -c usnet.conf --offline >log 2>&1); then
		echo "FAIL $name: usnet exited with an error:"
		sed 's/^/    /' "$work/log"
		fail=1
		continue
	fi
	ok=1
	for port in p0 p1; do
		if [ ! -f "$work/out_$port.pcap" ]; then
			echo "FAIL $name: usnet wrote no out_$port.pcap"
			ok=0
			continue
		fi
		if ! out=$("$py" "$gen" compare "$dir/expected_$port.pcap" "$work/out_$port.pcap" 2>&1); then
			echo "FAIL $name: port $port:"
			echo "$out" | sed 's/^/    /'
			ok=0
		fi
	done
	if [ $ok = 1 ]; then
		echo "ok   $name"
	else
		fail=1
	fi
done

if [ "$ncases" = 0 ]; then
	echo "FAIL: no cases under $here/cases"
	exit 1
fi
exit $fail
