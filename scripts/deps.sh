#!/usr/bin/env bash
# Installs what XdpNet needs on Debian 12 (as root), only what is missing.
set -euo pipefail
pkgs=(clang llvm python3 iputils-ping libxdp-dev libbpf-dev iproute2 iperf3 ethtool gcc libc6-dev linux-libc-dev tcpdump procps sysstat nftables etcd-server
      podman containernetworking-plugins busybox-static runc util-linux)  # the last line: xdpnet-cni and its podman test
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
    # etcd-server's postinst enables (and on a running systemd, starts) etcd.service on 127.0.0.1:2379; the tests
    # start their own etcd inside network namespaces, so a host etcd we installed is stopped and disabled.
    if [[ " ${missing[*]} " == *" etcd-server "* ]] && command -v systemctl >/dev/null; then
        systemctl disable etcd.service >/dev/null 2>&1 || true
        if [ -d /run/systemd/system ]; then systemctl stop etcd.service >/dev/null 2>&1 || true; fi
    fi
fi
command -v dotnet >/dev/null || { echo "the .NET SDK (dotnet) is required on PATH" >&2; exit 1; }
