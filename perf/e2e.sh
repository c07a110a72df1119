#!/usr/bin/env bash
# perf/e2e.sh - end-to-end forwarding benchmark on veths, all contenders in one run (root).
#
#   [gen] g0 ==veth== d0 [dut] d1 ==veth== s0 [sink]
#   198.18.1.1  198.18.1.2   198.18.2.1  198.18.2.2      (+ 2001:db8:1::/64, 2001:db8:2::/64)
#
# xdpnet-loadgen gen sends UDP from g0 (BPF_PROG_RUN live frames, pinned to CPU_GEN); xdpnet-loadgen sink
# counts at XDP (per-CPU counter, XDP_DROP) and its steady-state rate is the result. Contenders:
#   gen-ceiling  the sink on d0 itself: no forwarding, the most the generator can offer
#   kernel       ip_forward=1 in the dut namespace, no netfilter rules, counted at s0
#   xdpnet       `xdpnet run --config <generated>` in the dut namespace, worker on CPU_DUT
#   xdpnet-ila   the same with ILA: traffic to a SIR address translated to ILA before routing (FAMILY=6 only)
#   c-ref        the lab's C AF_XDP forwarder ($LAB_BUILD/xskfwd, MAC rewrite), if built
#   kernel-vxlan  the dut is a VXLAN tunnel endpoint made of the kernel's devices (see below)
#   xdpnet-vxlan  the same VTEP job done by `xdpnet run` with a Vxlan section
# veth has no IRQs: the receiver's NAPI runs on the sending CPU, so gen-ceiling and kernel run entirely on
# CPU_GEN; the AF_XDP forwarders run their TX path (and s0's NAPI) on CPU_DUT.
#
# VXLAN cases (kernel-vxlan, xdpnet-vxlan): the same namespaces, but d0 is a container veth, member of the
# L2 segment VNI 42, and d1 the underlay uplink (MTU 1600 on d1/s0, so 1500-byte inner frames fit):
#
#   [gen] g0 ==veth== d0 [dut: VTEP A] d1 ==underlay veth== s0 [sink: VTEP B] vx0
#   198.18.3.1 (segment)              198.18.2.1   VTEPs    198.18.2.2         198.18.3.2 (segment)
#   (IPv6 underlay with UNDERLAY=6: VTEPs 2001:db8:2::1/::2; FAMILY=6: segment 2001:db8:3::1/::2)
#
#   kernel-vxlan: bridge br0 { d0, vxlan0 (id 42, dstport 4789, local VTEP A, nolearning) }, a static FDB
#                 entry for vx0's MAC towards VTEP B (bridge and VXLAN FDB), outer UDP checksum off over IPv4
#                 (noudpcsum, xdpnet's default too; always on over IPv6).
#   xdpnet-vxlan: d0 Role local (segment member), d1 Role uplink, Vxlan { Vtep A, segment 42 [d0], static
#                 FDB entry vx0's MAC -> VTEP B }, VTEP B reached by a static route (no neighbour lookup).
# Both do the same job per frame: take the inner frame from d0, look up the FDB, prepend outer Ethernet +
# IP + UDP + VXLAN (50 B, 70 B over IPv6) and send it out of d1.
#   pps (SIZES, inner frame bytes): the generator sends UDP from g0 to vx0's MAC and address; the sink counts
#       the encapsulated packets at s0 (XDP, dropped before VTEP B sees them): the encapsulation rate.
#   tcp (IPERF_SECONDS > 0): one iperf3 TCP stream g0 -> vx0 (198.18.3.2) through VTEP A (encapsulates
#       data, decapsulates ACKs) and VTEP B, the kernel's vxlan device in the sink namespace; client and
#       server pinned to CPU_GEN, so the data plane under test is alone on CPU_DUT (xdpnet) or, as for the
#       kernel contender, runs in softirq on the sending CPU (kernel-vxlan). Reported as tcp_gbps (receiver).
#       XDP on d0 takes TSO away from g0, so xdpnet carries 1514-byte frames while the kernel's VTEP gets
#       64 KB TSO segments through whole; tcp-nogso (kernel-vxlan only) turns that off for a per-frame match.
#
# Settings (environment):
#   DURATION=10  seconds per run         REPEAT=3  runs per (contender, size); the median is reported
#   SIZES="64 1500"  frame bytes without FCS    FAMILY=4 (or 6)  generator traffic
#   CONTENDERS="gen-ceiling kernel xdpnet c-ref kernel-vxlan xdpnet-vxlan"  CPU_GEN=0  CPU_DUT=1
#   UNDERLAY=$FAMILY  VXLAN underlay family (4 or 6)   IPERF_SECONDS=5  iperf3 run length (0: no tcp runs)
#   BUILD=1 (0: use DLL_LOADGEN / DLL_XDPNET as given; not XDPNET_*: xdpnet reads those as settings)
#   LAB_BUILD=/tmp/xdplab-build
#   QUIET_BUSY=20  wait (up to 30 s) until the machine is below this busy % before each run
#   OVERRIDES_XDPNET="--Rings:Batch=32 ..."  extra xdpnet settings (command-line overrides)
#   E2E_DEBUG=1  print the sink's and the generator's raw JSON of every run
# Output: a table on stdout and perf/results/e2e-<timestamp>.csv (CPU columns from /proc/stat deltas over
# the generator's run: usr/sys/soft/idle % of CPU_GEN and CPU_DUT; tcp rows: size "tcp", pps empty,
# tcp_gbps = iperf3's receiver throughput).
set -euo pipefail

DURATION=${DURATION:-10}
REPEAT=${REPEAT:-3}
SIZES=${SIZES:-"64 1500"}
FAMILY=${FAMILY:-4}
CONTENDERS=${CONTENDERS:-"gen-ceiling kernel xdpnet c-ref kernel-vxlan xdpnet-vxlan"}
UNDERLAY=${UNDERLAY:-$FAMILY}
IPERF_SECONDS=${IPERF_SECONDS:-5}
CPU_GEN=${CPU_GEN:-0}
CPU_DUT=${CPU_DUT:-1}
BUILD=${BUILD:-1}
LAB_BUILD=${LAB_BUILD:-/tmp/xdplab-build}
QUIET_BUSY=${QUIET_BUSY:-20}

REPO=$(cd "$(dirname "$0")/.." && pwd)
STAMP=$(date -u +%Y%m%d-%H%M%S)
RESULTS="$REPO/perf/results"
CSV="$RESULTS/e2e-$STAMP.csv"
WORK=$(mktemp -d /tmp/xdpnet-e2e.XXXXXX)
ID="xe2e-$$-$RANDOM"
NS_GEN=$ID-gen NS_DUT=$ID-dut NS_SINK=$ID-sink
MAC_G0=02:00:00:00:01:01 MAC_D0=02:00:00:00:01:02 MAC_D1=02:00:00:00:02:01 MAC_S0=02:00:00:00:02:02
if [[ $FAMILY == 6 ]]; then SRC=2001:db8:1::1 DST=2001:db8:2::2; else SRC=198.18.1.1 DST=198.18.2.2; fi
# VXLAN cases: VTEP addresses on the underlay d1/s0, the segment's addresses on g0 and vx0 (MAC_VX0).
MAC_VX0=02:00:00:00:03:02 VNI=42 VXLAN_PORT=4789
if [[ $UNDERLAY == 6 ]]; then VTEP_A=2001:db8:2::1 VTEP_B=2001:db8:2::2; else VTEP_A=198.18.2.1 VTEP_B=198.18.2.2; fi
if [[ $FAMILY == 6 ]]; then SEG_SRC=2001:db8:3::1 SEG_DST=2001:db8:3::2; else SEG_SRC=198.18.3.1 SEG_DST=198.18.3.2; fi
PIDS=()

log() { printf '[e2e %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }
nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    topo_down
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) == 0 ]] || die "run as root (namespaces, XDP)"
command -v dotnet >/dev/null || die "dotnet not found"

# ---- build ------------------------------------------------------------------------------------------
if [[ $BUILD == 1 ]]; then
    log "publishing xdpnet-loadgen and xdpnet (Release) into $WORK"
    dotnet publish "$REPO/perf/XdpNet.LoadGen" -c Release -o "$WORK/loadgen" --artifacts-path "$WORK/art" -v q --nologo >"$WORK/build.log" 2>&1 \
        || { cat "$WORK/build.log" >&2; die "loadgen build failed"; }
    if ! dotnet publish "$REPO/src/XdpNet" -c Release -o "$WORK/xdpnet" --artifacts-path "$WORK/art" -v q --nologo >>"$WORK/build.log" 2>&1; then
        log "xdpnet build failed (the xdpnet contender will be skipped)"; tail -5 "$WORK/build.log" >&2
    fi
    DLL_LOADGEN=$WORK/loadgen/xdpnet-loadgen.dll
    DLL_XDPNET=$WORK/xdpnet/xdpnet.dll
fi
DLL_LOADGEN=${DLL_LOADGEN:?set DLL_LOADGEN when BUILD=0}
DLL_XDPNET=${DLL_XDPNET:-}
[[ -f $DLL_LOADGEN ]] || die "no $DLL_LOADGEN"

# ---- topology ---------------------------------------------------------------------------------------
topo_down() {
    local ns
    for ns in "$NS_GEN" "$NS_DUT" "$NS_SINK"; do ip netns del "$ns" 2>/dev/null || true; done
}

topo_up() {
    topo_down
    local ns
    for ns in "$NS_GEN" "$NS_DUT" "$NS_SINK"; do
        ip netns add "$ns"
        nsx "$ns" ip link set lo up
    done
    # g0 sends nothing of its own (router/neighbour solicitations) that the sinks would count.
    nsx "$NS_GEN" sysctl -qw net.ipv6.conf.default.disable_ipv6=1
    ip link add g0 netns "$NS_GEN" address $MAC_G0 type veth peer name d0 netns "$NS_DUT" address $MAC_D0
    ip link add d1 netns "$NS_DUT" address $MAC_D1 type veth peer name s0 netns "$NS_SINK" address $MAC_S0
    nsx "$NS_GEN" ip addr add 198.18.1.1/24 dev g0
    nsx "$NS_DUT" ip addr add 198.18.1.2/24 dev d0
    nsx "$NS_DUT" ip -6 addr add 2001:db8:1::2/64 dev d0 nodad
    nsx "$NS_DUT" ip addr add 198.18.2.1/24 dev d1
    nsx "$NS_DUT" ip -6 addr add 2001:db8:2::1/64 dev d1 nodad
    nsx "$NS_SINK" ip addr add 198.18.2.2/24 dev s0
    nsx "$NS_SINK" ip -6 addr add 2001:db8:2::2/64 dev s0 nodad
    for dev in d0 d1; do nsx "$NS_DUT" ip link set "$dev" up; done
    nsx "$NS_GEN" ip link set g0 up
    nsx "$NS_SINK" ip link set s0 up
    # Static neighbours: nobody has to resolve anything while the generator runs.
    nsx "$NS_DUT" ip neigh replace 198.18.2.2 lladdr $MAC_S0 dev d1 nud permanent
    nsx "$NS_DUT" ip neigh replace 2001:db8:2::2 lladdr $MAC_S0 dev d1 nud permanent
    nsx "$NS_DUT" ip neigh replace 198.18.1.1 lladdr $MAC_G0 dev d0 nud permanent
    nsx "$NS_DUT" ip neigh replace 2001:db8:1::1 lladdr $MAC_G0 dev d0 nud permanent
}

# ---- helpers ----------------------------------------------------------------------------------------
# bg LOG CMD...: start in the background, remember the pid for cleanup.
bg() {
    local out=$1; shift
    "$@" >"$out" 2>&1 &
    BGPID=$!
    PIDS+=("$BGPID")
}

# Background commands of a non-interactive shell start with SIGINT ignored (and a script started in the
# background cannot undo that), so the clean stop is SIGTERM: xdpnet, the sink and xskfwd treat it as SIGINT.
stop_pid() { # stop_pid PID: SIGTERM, then wait up to 10 s, then SIGKILL
    local pid=$1 i
    [[ -n $pid ]] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

wait_line() { # wait_line FILE REGEX SECONDS PID: 0 when the line appears, 1 on timeout or exit of PID
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        kill -0 "$4" 2>/dev/null || { grep -qE "$2" "$1" 2>/dev/null; return; }
        sleep 0.1
    done
    return 1
}

# CPU times of CPU_GEN and CPU_DUT from /proc/stat: "user nice system idle iowait irq softirq steal" each.
cpu_snapshot() { awk -v a="cpu$CPU_GEN" -v b="cpu$CPU_DUT" '$1 == a || $1 == b { print $1, $2 + $3, $4, $5 + $6, $7, $8, $9 }' /proc/stat; }
# cpu_percent BEFORE AFTER CPU -> "usr/sys/soft/idle"
cpu_percent() {
    paste -d' ' <(echo "$1") <(echo "$2") | awk -v c="cpu$3" '$1 == c {
        u = $9 - $2; s = $10 - $3; i = $11 - $4; q = $12 - $5; so = $13 - $6; st = $14 - $7
        t = u + s + i + q + so + st; if (t <= 0) t = 1
        printf "%d/%d/%d/%d", 100 * u / t + 0.5, 100 * s / t + 0.5, 100 * so / t + 0.5, 100 * i / t + 0.5 }'
}

wait_quiet() { # until the machine is below QUIET_BUSY % busy over one second (at most 30 s)
    local i a b busy
    for ((i = 0; i < 30; i++)); do
        a=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
        sleep 1
        b=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
        busy=$(echo "$a $b" | awk '{ t = ($3 - $1) + ($4 - $2); print (t > 0) ? int(100 * ($3 - $1) / t) : 0 }')
        ((busy < QUIET_BUSY)) && { QUIET=$busy; return 0; }
    done
    QUIET=$busy
    log "machine still ${busy}% busy after 30 s; measuring anyway"
}

json() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

# ---- contenders: setup prints nothing on success; returns 1 with SKIP set when it cannot run ---------
SINK_NS=$NS_SINK SINK_IF=s0 DUTPID="" SKIP=""

setup_gen-ceiling() { SINK_NS=$NS_DUT SINK_IF=d0; }
teardown_gen-ceiling() { :; }

setup_kernel() {
    SINK_NS=$NS_SINK SINK_IF=s0
    nsx "$NS_DUT" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    # Frames from XDP_TX reach d0's stack only through a NAPI instance: GRO creates one (no XDP on d0).
    nsx "$NS_DUT" ethtool -K d0 gro on >/dev/null
}
teardown_kernel() { :; }

write_xdpnet_config() {
    cat >"$1" <<EOF
{
  "Node": { "Name": "$ID", "Cpu": $CPU_DUT },
  "Interfaces": [
    { "Name": "d0", "Role": "uplink", "Queues": [ 0 ], "Bind": "copy", "Attach": "native", "Steering": { "Mode": "routed" } },
    { "Name": "d1", "Role": "uplink", "Queues": [ 0 ], "Bind": "copy", "Attach": "native", "Steering": { "Mode": "routed" } }
  ],
  "Umem": { "FrameSize": 4096, "Frames": 16384, "Headroom": 256 },
  "Rings": { "Rx": 2048, "Tx": 2048, "Fill": 4096, "Completion": 2048, "Batch": 64 },
  "Routes": [
    { "Prefix": "198.18.1.0/24", "Interface": "d0", "NextHopMac": "$MAC_G0" },
    { "Prefix": "198.18.2.0/24", "Interface": "d1", "NextHopMac": "$MAC_S0" },
    { "Prefix": "2001:db8:1::/64", "Interface": "d0", "NextHopMac": "$MAC_G0" },
    { "Prefix": "2001:db8:2::/64", "Interface": "d1", "NextHopMac": "$MAC_S0" }
  ],
  ${2:-}
  "Stats": { "Socket": "$WORK/xdpnet.sock" }
}
EOF
}

# xdpnet-ila: the same router, but the generator sends to a SIR address (2001:db8:5151::1:0:0:2) that xdpnet
# translates to the ILA address of identifier 1:0:0:2 under locator 2001:db8:2:: (neutral-map) before routing it:
# translation on, beside plain forwarding, in the same run. IPv6 only.
setup_xdpnet-ila() {
    [[ $FAMILY == 6 ]] || { SKIP="ILA is IPv6: run with FAMILY=6"; return 1; }
    DST_OVERRIDE=2001:db8:5151::1:0:0:2
    XDPNET_EXTRA='"Ila": { "Domains": [ { "SirPrefix": "2001:db8:5151::/64", "Locator": "2001:db8:ab::/64", "ChecksumMode": "neutral-map", "Mappings": [ { "Identifier": "1:0:0:2", "Locator": "2001:db8:2::" } ] } ] },'
    setup_xdpnet
}
teardown_xdpnet-ila() { teardown_xdpnet; }

setup_xdpnet() {
    SINK_NS=$NS_SINK SINK_IF=s0
    [[ -n $DLL_XDPNET && -f $DLL_XDPNET ]] || { SKIP="xdpnet.dll not built"; return 1; }
    "${XDPNET_CONFIG:-write_xdpnet_config}" "$WORK/xdpnet.json" "${XDPNET_EXTRA:-}"
    # No taskset: xdpnet pins its worker to Node.Cpu itself (and checks it against the CPUs it may use).
    bg "$WORK/xdpnet.log" ip netns exec "$NS_DUT" dotnet "$DLL_XDPNET" run --config "$WORK/xdpnet.json" ${OVERRIDES_XDPNET:-}
    DUTPID=$BGPID
    # Ready when it prints a line starting with "ready" (or its stats endpoint answers).
    local i
    for ((i = 0; i < 300; i++)); do
        grep -qiE '^ready' "$WORK/xdpnet.log" 2>/dev/null && return 0
        if ((i % 10 == 9)) && nsx "$NS_DUT" dotnet "$DLL_XDPNET" stats --socket "$WORK/xdpnet.sock" --json >/dev/null 2>&1 \
            && kill -0 "$DUTPID" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$DUTPID" 2>/dev/null; then
            wait "$DUTPID" 2>/dev/null && rc=0 || rc=$?
            SKIP="xdpnet run exited ($rc) before ready: $(tail -3 "$WORK/xdpnet.log" | tr '\n' ' ' | cut -c1-200)"
            DUTPID=""
            return 1
        fi
        sleep 0.1
    done
    SKIP="xdpnet run not ready after 30 s: $(tail -3 "$WORK/xdpnet.log" | tr '\n' ' ' | cut -c1-200)"
    stop_pid "$DUTPID"; DUTPID=""
    return 1
}
teardown_xdpnet() {
    stop_pid "$DUTPID"; DUTPID=""
    grep -E '^(d0|d1):' "$WORK/xdpnet.log" 2>/dev/null | sed 's/^/    xdpnet /' >&2 || true
}

setup_c-ref() {
    SINK_NS=$NS_SINK SINK_IF=s0
    [[ -x $LAB_BUILD/xskfwd ]] || { SKIP="no $LAB_BUILD/xskfwd (build it with /work/shared/lab/build.sh)"; return 1; }
    # Native XDP, copy mode, batch 64, work 1 = MAC rewrite (what xdpnet does too); bounded by -d.
    bg "$WORK/cref.log" ip netns exec "$NS_DUT" taskset -c "$CPU_DUT" "$LAB_BUILD/xskfwd" -i d0 -o d1 \
        -d $((DURATION + 60)) -S $MAC_D1 -D $MAC_S0 -m native -b 64 -w 1
    DUTPID=$BGPID
    wait_line "$WORK/cref.log" '^READY' 10 "$DUTPID" && return 0
    SKIP="xskfwd not ready: $(tail -3 "$WORK/cref.log" | tr '\n' ' ' | cut -c1-200)"
    stop_pid "$DUTPID"; DUTPID=""
    return 1
}
teardown_c-ref() { stop_pid "$DUTPID"; DUTPID=""; }

# ---- VXLAN contenders ---------------------------------------------------------------------------------
# vxlan_common: what both VXLAN contenders share: the underlay MTU, the generator's segment address, and
# VTEP B in the sink namespace (the kernel's vxlan device vx0, the far end of iperf3; the pps sink drops the
# packets at s0's XDP before VTEP B sees them).
vxlan_common() {
    SINK_NS=$NS_SINK SINK_IF=s0
    SRC_OVERRIDE=$SEG_SRC DST_OVERRIDE=$SEG_DST DSTMAC_OVERRIDE=$MAC_VX0
    local csum=noudpcsum
    [[ $UNDERLAY == 6 ]] && csum=udpcsum
    nsx "$NS_DUT" ip link set d1 mtu 1600
    nsx "$NS_SINK" ip link set s0 mtu 1600
    # d0 is a segment port now, not a routed interface: no addresses of its own, no IPv6 chatter.
    nsx "$NS_DUT" ip addr flush dev d0
    nsx "$NS_DUT" sysctl -qw net.ipv6.conf.d0.disable_ipv6=1
    nsx "$NS_GEN" ip addr add 198.18.3.1/24 dev g0
    nsx "$NS_GEN" ip neigh replace 198.18.3.2 lladdr $MAC_VX0 dev g0 nud permanent
    nsx "$NS_SINK" ip link add vx0 address $MAC_VX0 type vxlan id $VNI dstport $VXLAN_PORT local "$VTEP_B" dev s0 nolearning $csum
    nsx "$NS_SINK" ip link set vx0 mtu 1500
    nsx "$NS_SINK" sysctl -qw net.ipv6.conf.vx0.accept_ra=0 net.ipv6.conf.vx0.router_solicitations=0
    nsx "$NS_SINK" ip addr add 198.18.3.2/24 dev vx0
    nsx "$NS_SINK" ip -6 addr add 2001:db8:3::2/64 dev vx0 nodad
    nsx "$NS_SINK" ip link set vx0 up
    nsx "$NS_SINK" bridge fdb append 00:00:00:00:00:00 dev vx0 dst "$VTEP_A"
    nsx "$NS_SINK" ip neigh replace 198.18.3.1 lladdr $MAC_G0 dev vx0 nud permanent
    nsx "$NS_SINK" ip neigh replace 2001:db8:3::1 lladdr $MAC_G0 dev vx0 nud permanent
}

setup_kernel-vxlan() {
    vxlan_common
    local csum=noudpcsum
    [[ $UNDERLAY == 6 ]] && csum=udpcsum
    nsx "$NS_DUT" ip link add vxlan0 type vxlan id $VNI dstport $VXLAN_PORT local "$VTEP_A" dev d1 nolearning $csum
    nsx "$NS_DUT" ip link set vxlan0 mtu 1500
    nsx "$NS_DUT" ip link add br0 type bridge mcast_snooping 0
    nsx "$NS_DUT" sysctl -qw net.ipv6.conf.br0.disable_ipv6=1 net.ipv6.conf.vxlan0.disable_ipv6=1
    nsx "$NS_DUT" ip link set d0 master br0
    nsx "$NS_DUT" ip link set vxlan0 master br0
    nsx "$NS_DUT" ip link set vxlan0 up
    nsx "$NS_DUT" ip link set br0 up
    # Static entries, as xdpnet's Fdb: the bridge sends vx0's MAC to vxlan0, vxlan0 sends it to VTEP B; the
    # all-zero entry sends broadcast and unknown unicast to VTEP B (xdpnet's Flood list).
    nsx "$NS_DUT" bridge fdb replace $MAC_VX0 dev vxlan0 master static
    nsx "$NS_DUT" bridge fdb append $MAC_VX0 dev vxlan0 dst "$VTEP_B"
    nsx "$NS_DUT" bridge fdb append 00:00:00:00:00:00 dev vxlan0 dst "$VTEP_B"
    # As for the kernel contender: generator frames (live XDP frames) reach d0's stack only through NAPI.
    nsx "$NS_DUT" ethtool -K d0 gro on >/dev/null
}
teardown_kernel-vxlan() { :; }

# Interfaces:N:Mtu is xdpnet's own figure (default 1500, not read from the kernel): d1's must say 1600, or
# 1500-byte inner frames are refused as too big (ICMP Fragmentation Needed back to the sender).
write_xdpnet_vxlan_config() {
    cat >"$1" <<EOF
{
  "Node": { "Name": "$ID", "Cpu": $CPU_DUT },
  "Interfaces": [
    { "Name": "d0", "Role": "local", "Queues": [ 0 ], "Bind": "copy", "Attach": "native", "Mtu": 1500 },
    { "Name": "d1", "Role": "uplink", "Queues": [ 0 ], "Bind": "copy", "Attach": "native", "Mtu": 1600 }
  ],
  "Umem": { "FrameSize": 4096, "Frames": 16384, "Headroom": 256 },
  "Rings": { "Rx": 2048, "Tx": 2048, "Fill": 4096, "Completion": 2048, "Batch": 64 },
  "Routes": [
    { "Prefix": "198.18.2.0/24", "Interface": "d1", "NextHopMac": "$MAC_S0" },
    { "Prefix": "2001:db8:2::/64", "Interface": "d1", "NextHopMac": "$MAC_S0" }
  ],
  "Vxlan": {
    "Vtep": "$VTEP_A", "Port": $VXLAN_PORT,
    "Segments": [ { "Vni": $VNI, "Interfaces": [ "d0" ], "Learning": true, "Flood": [ "$VTEP_B" ],
                    "Fdb": [ { "Mac": "$MAC_VX0", "Vtep": "$VTEP_B" } ] } ]
  },
  "Stats": { "Socket": "$WORK/xdpnet.sock" }
}
EOF
}

setup_xdpnet-vxlan() {
    vxlan_common
    XDPNET_CONFIG=write_xdpnet_vxlan_config
    setup_xdpnet
}
teardown_xdpnet-vxlan() {
    # What the VTEP did (and dropped) during the run, from its stats, before it stops.
    nsx "$NS_DUT" dotnet "$DLL_XDPNET" stats --socket "$WORK/xdpnet.sock" --json 2>/dev/null | python3 -c '
import json, sys
try:
    s = json.load(sys.stdin)
except ValueError:
    sys.exit(0)
v = s.get("stages", {}).get("vxlan", {})
print("    xdpnet stages.vxlan:", ", ".join(f"{k}={x}" for k, x in v.items() if x), file=sys.stderr)
for i in s.get("interfaces", []):
    name, drops = i.get("name"), i.get("drops") or {}
    ring = {k: x for k, x in i.get("xdp", {}).items() if x}
    print(f"    xdpnet {name}: drops {drops} xdp {ring}", file=sys.stderr)
' || true
    teardown_xdpnet
}

# run_iperf CONTENDER tcp|tcp-nogso RUN: one iperf3 TCP stream g0 -> vx0 for IPERF_SECONDS (client and server
# on CPU_GEN); appends a CSV row with that size and the receiver's Gbit/s. With XDP attached to d0 the kernel
# turns off segmentation offload on its peer g0, so through xdpnet every TCP segment is one 1514-byte frame;
# through the kernel's VTEP g0 keeps TSO and 64 KB segments cross bridge and vxlan0 whole (GSO). tcp-nogso
# is the kernel's VTEP with that taken away (g0 tso/gso off, d0 gro off): the same per-frame job as xdpnet's.
run_iperf() {
    local c=$1 size=$2 run=$3 srvpid before after gbps retr cg cd
    if [[ $size == tcp-nogso ]]; then
        nsx "$NS_GEN" ethtool -K g0 tso off gso off >/dev/null
        nsx "$NS_DUT" ethtool -K d0 gro off >/dev/null
    fi
    if [[ $FAMILY == 6 ]]; then
        # The generator namespace runs without IPv6 (nothing of its own reaches the pps sink); iperf3 needs it.
        nsx "$NS_GEN" sysctl -qw net.ipv6.conf.g0.disable_ipv6=0
        nsx "$NS_GEN" ip -6 addr add 2001:db8:3::1/64 dev g0 nodad
        nsx "$NS_GEN" ip -6 neigh replace 2001:db8:3::2 lladdr $MAC_VX0 dev g0 nud permanent
    fi
    bg "$WORK/iperf-server.log" ip netns exec "$NS_SINK" taskset -c "$CPU_GEN" iperf3 -s -1 -B "$SEG_DST" -p 5201 --forceflush
    srvpid=$BGPID
    wait_line "$WORK/iperf-server.log" 'listening' 10 "$srvpid" || { cat "$WORK/iperf-server.log" >&2; die "iperf3 server did not start"; }
    before=$(cpu_snapshot)
    if ! timeout $((IPERF_SECONDS + 20)) ip netns exec "$NS_GEN" taskset -c "$CPU_GEN" iperf3 -c "$SEG_DST" -p 5201 \
        -t "$IPERF_SECONDS" --connect-timeout 3000 -J >"$WORK/iperf.json" 2>"$WORK/iperf.err"; then
        cp "$WORK/iperf.json" "$RESULTS/e2e-$STAMP-$c-$size-$run-iperf.json" 2>/dev/null || true
        log "$c $size run $run: iperf3 failed ($(head -c 300 "$WORK/iperf.err"; python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("error",""))' "$WORK/iperf.json" 2>/dev/null)); run not counted"
        stop_pid "$srvpid"
        return 1
    fi
    after=$(cpu_snapshot)
    stop_pid "$srvpid"
    gbps="" retr=""
    read -r gbps retr < <(python3 -c 'import json,sys; e = json.load(open(sys.argv[1]))["end"]; print("%.3f %s" % (e["sum_received"]["bits_per_second"] / 1e9, e["sum_sent"].get("retransmits", "-")))' "$WORK/iperf.json")
    if [[ ! $gbps =~ ^[0-9.]+$ ]]; then
        cp "$WORK/iperf.json" "$RESULTS/e2e-$STAMP-$c-$size-$run-iperf.json" 2>/dev/null || true
        log "$c $size run $run: no throughput in iperf3's report (kept in $RESULTS); run not counted"
        return 1
    fi
    cg=$(cpu_percent "$before" "$after" "$CPU_GEN")
    cd=$(cpu_percent "$before" "$after" "$CPU_DUT")
    echo "$STAMP,$c,$FAMILY,$size,$run,,,,,$cg,$cd,$QUIET,$gbps" >>"$CSV"
    log "$(printf '%-12s %9s run %d: %s Gbit/s iperf3 (1 stream, %s s, %s retransmits)  CPU%s %s  CPU%s %s (usr/sys/soft/idle %%)' \
        "$c" "$size" "$run" "$gbps" "$IPERF_SECONDS" "$retr" "$CPU_GEN" "$cg" "$CPU_DUT" "$cd")"
}

# ---- one measurement --------------------------------------------------------------------------------
# run_one CONTENDER SIZE RUN: sink up, generator for DURATION s, sink stopped; appends a CSV row.
run_one() {
    local c=$1 size=$2 run=$3 sinkpid before after pps sent genpps
    bg "$WORK/sink.json" ip netns exec "$SINK_NS" dotnet "$DLL_LOADGEN" sink -i "$SINK_IF" -d $((DURATION + 20)) --json
    sinkpid=$BGPID
    wait_line "$WORK/sink.json" '^ready' 20 "$sinkpid" || { cat "$WORK/sink.json" >&2; die "sink did not start"; }
    before=$(cpu_snapshot)
    timeout $((DURATION + 30)) ip netns exec "$NS_GEN" dotnet "$DLL_LOADGEN" gen -i g0 --dst-mac ${DSTMAC_OVERRIDE:-$MAC_D0} \
        --src ${SRC_OVERRIDE:-$SRC} --dst ${DST_OVERRIDE:-$DST} --size "$size" --duration "$DURATION" --cpu "$CPU_GEN" --json >"$WORK/gen.json" 2>"$WORK/gen.err" \
        || { cat "$WORK/gen.err" >&2; die "generator failed"; }
    after=$(cpu_snapshot)
    sleep 1 # let the sink close the last whole second
    stop_pid "$sinkpid"
    if ! grep -v '^ready' "$WORK/sink.json" >"$WORK/sink.only.json"; then
        cp "$WORK/sink.json" "$RESULTS/e2e-$STAMP-$c-$size-$run-sink.log"
        log "$c $size B run $run: the sink printed no result (kept its output in $RESULTS); run not counted"
        return 1
    fi
    [[ -n ${E2E_DEBUG:-} ]] && cat "$WORK/sink.json" "$WORK/gen.json" >&2
    pps=$(json "$WORK/sink.only.json" steadyPps)
    sent=$(json "$WORK/gen.json" packets)
    genpps=$(json "$WORK/gen.json" pps)
    local cg cd
    cg=$(cpu_percent "$before" "$after" "$CPU_GEN")
    cd=$(cpu_percent "$before" "$after" "$CPU_DUT")
    echo "$STAMP,$c,$FAMILY,$size,$run,$pps,$genpps,$sent,$(json "$WORK/sink.only.json" totalPackets),$cg,$cd,$QUIET," >>"$CSV"
    log "$(awk -v c="$c" -v s="$size" -v r="$run" -v p="$pps" -v g="$genpps" -v x="CPU$CPU_GEN $cg  CPU$CPU_DUT $cd" \
        'BEGIN { printf "%-12s %5s B run %d: %7.3f Mpps at the sink (offered %.3f Mpps)  %s (usr/sys/soft/idle %%)", c, s, r, p / 1e6, g / 1e6, x }')"
}

mkdir -p "$RESULTS"
echo "stamp,contender,family,size,run,pps,offered_pps,gen_sent,sink_counted,cpu_gen_usr_sys_soft_idle,cpu_dut_usr_sys_soft_idle,busy_before,tcp_gbps" >"$CSV"
log "contenders: $CONTENDERS; sizes: $SIZES; IPv$FAMILY (VXLAN underlay IPv$UNDERLAY, iperf3 ${IPERF_SECONDS} s); $DURATION s x $REPEAT; gen CPU $CPU_GEN, dut CPU $CPU_DUT; CSV $CSV"

SKIPPED=() FAILED=0
for c in $CONTENDERS; do
    declare -F "setup_$c" >/dev/null || die "unknown contender '$c' (gen-ceiling kernel xdpnet xdpnet-ila c-ref kernel-vxlan xdpnet-vxlan)"
    sizes=$SIZES
    [[ $c == *-vxlan && $IPERF_SECONDS != 0 ]] && sizes+=" tcp"
    [[ $c == kernel-vxlan && $IPERF_SECONDS != 0 ]] && sizes+=" tcp-nogso"
    for size in $sizes; do
        for ((run = 1; run <= REPEAT; run++)); do
            # A fresh topology per run: no XDP program, GRO flag or sysctl leaks from one contender to the next.
            # Quiet check before the DUT starts: a busy-polling forwarder would keep the machine "busy".
            wait_quiet
            topo_up
            SKIP="" DST_OVERRIDE="" SRC_OVERRIDE="" DSTMAC_OVERRIDE="" XDPNET_EXTRA="" XDPNET_CONFIG=""
            if ! "setup_$c"; then
                echo "skipped: $c: $SKIP"
                SKIPPED+=("$c: $SKIP")
                topo_down
                continue 3
            fi
            if [[ $size == tcp* ]]; then
                run_iperf "$c" "$size" "$run" || FAILED=$((FAILED + 1))
            else
                run_one "$c" "$size" "$run" || FAILED=$((FAILED + 1))
            fi
            "teardown_$c"
            topo_down
        done
    done
done

# ---- table ------------------------------------------------------------------------------------------
python3 - "$CSV" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
groups, tcp = {}, {}
for r in rows:
    if r["size"].startswith("tcp"):
        if r["tcp_gbps"]: tcp.setdefault((r["contender"], r["size"]), []).append(float(r["tcp_gbps"]))
    else:
        groups.setdefault((r["contender"], int(r["size"])), []).append(float(r["pps"]) / 1e6)
ceiling = {size: statistics.median(v) for (c, size), v in groups.items() if c == "gen-ceiling"}
print(f"{'contender':<12} {'frame B':>7} {'median Mpps':>11} {'min':>7} {'max':>7} {'gen ceiling':>11}  runs")
for (c, size), v in groups.items():
    ceil = f"{ceiling[size]:.3f}" if size in ceiling else "-"
    print(f"{c:<12} {size:>7} {statistics.median(v):>11.3f} {min(v):>7.3f} {max(v):>7.3f} {ceil:>11}  "
          + " / ".join(f"{x:.3f}" for x in v))
if tcp:
    print(f"{'contender':<12} {'iperf3':>9} {'med Gbit/s':>11} {'min':>7} {'max':>7}  runs")
    for (c, size), v in tcp.items():
        print(f"{c:<12} {size:>9} {statistics.median(v):>11.3f} {min(v):>7.3f} {max(v):>7.3f}  " + " / ".join(f"{x:.3f}" for x in v))
EOF
for s in "${SKIPPED[@]}"; do echo "skipped: $s"; done
((FAILED == 0)) || echo "failed runs (not counted): $FAILED"
echo "csv: $CSV"
