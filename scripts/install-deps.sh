#!/usr/bin/env bash
# Install everything usnet needs to build, test and benchmark (Debian).
set -eu
pkgs=(build-essential clang libclang-rt-14-dev pkg-config
      libpcap-dev libcmocka-dev liburcu-dev libmnl-dev
      python3 python3-scapy iproute2 iputils-ping iputils-tracepath iputils-arping
      traceroute iperf3 sockperf tcpdump ethtool procps psmisc)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
