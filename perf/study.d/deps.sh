#!/usr/bin/env bash
# Debian packages perf/study needs beyond scripts/deps.sh (as root): installs only what is missing.
# gnuplot-nox draws the plots, sockperf measures request/response latency (netperf is not packaged in Debian 12),
# iptables gives the kernel contenders their FORWARD chain (nftables comes from scripts/deps.sh).
set -euo pipefail
pkgs=(gnuplot-nox sockperf iptables python3 iperf3 ethtool iproute2 util-linux)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi
