#!/usr/bin/env bash
# XdpNet demo: builds everything, creates [gen] gen0 == dut0 [dut] dut1 == sink0 [sink] in fresh network namespaces,
# runs `xdpnet run --config examples/router.json` in the dut (whose kernel does not forward), sends real
# traffic through it (ping IPv4/IPv6, a UDP burst, an iperf3 TCP flow), prints the data plane's counters,
# then stops it and shows the kernel path taking over. Then ILA: two container hosts, each running its own
# `xdpnet run` (examples/ila-host-a.json, examples/ila-host-b.json), containers talking across hosts by SIR address
# while the underlay carries ILA addresses, and a container's identifier moving to the other host with a live reload.
# Then a VXLAN overlay: host A runs `xdpnet run` as the VTEP (examples/overlay-host-a.json), host B is the kernel's own
# VXLAN device on a bridge; two tenant segments (VNI 42, 43) span both hosts, ARP crosses by flooding, both sides learn.
# Then the cluster state in etcd (demo_etcd): two ILA hosts take their mappings from an etcd started in the demo
# topology, and one `xdpnet ctl` write moves a container's identifier. `./scripts/demo.sh --etcd` runs only that part.
# With podman installed (demo_podman): podman starts containers on an xdpnet-cni network, they talk through xdpnet and
# a label policy blocks one. `./scripts/demo.sh --podman` runs only that part.
# Run as root on Debian 12 with the .NET SDK.
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=all
case "${1:-}" in
    "") ;;
    --etcd) MODE=etcd ;;
    --podman) MODE=podman ;;
    *) echo "usage: $0 [--etcd|--podman]" >&2; exit 2 ;;
esac
./scripts/deps.sh

OUT=$(mktemp -d /tmp/xdpnet-demo.XXXXXX)
echo "== building (Release) into $OUT/bin"
dotnet publish src/XdpNet/XdpNet.csproj -c Release -o "$OUT/bin" -nologo -v q >/dev/null
XDPNET=(dotnet "$OUT/bin/xdpnet.dll")

id=$$
GEN=xdpnet-demo-gen-$id DUT=xdpnet-demo-dut-$id SINK=xdpnet-demo-sink-$id
XPID=""
ILA_PIDS="" ILA_NS="" VX_PID="" VX_NS="" ETCD_PID="" ETCD_XPIDS="" ETCD_NS=""
cleanup() {
    [ -n "$XPID" ] && kill "$XPID" 2>/dev/null || true
    for p in $ILA_PIDS $VX_PID $ETCD_XPIDS; do kill -TERM "$p" 2>/dev/null || true; done
    for p in $ILA_PIDS $VX_PID $ETCD_XPIDS; do wait "$p" 2>/dev/null || true; done
    if [ -n "$ETCD_PID" ]; then kill -TERM "$ETCD_PID" 2>/dev/null || true; wait "$ETCD_PID" 2>/dev/null || true; fi
    for ns in "$GEN" "$DUT" "$SINK" $ILA_NS $VX_NS $ETCD_NS; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$OUT"
}
# demo_podman's clean-up (defined with it) runs first: it puts back the podman configuration it changed.
trap 'type pm_cleanup >/dev/null 2>&1 && pm_cleanup; cleanup' EXIT

# ---------------------------------------------------------------------------------------------------------------
# etcd mode (docs/etcd.md): the cluster state in a real etcd instead of per-host files. The ILA layout of the file
# demo below, with the mappings in etcd: host files hold interfaces and routes only (examples/ila-etcd-host-{a,b}.json,
# an Etcd section each), and c3's move from B to A is one `xdpnet ctl mapping add` with no file change and no signal.
#   [ctl: etcd 198.18.253.1] == control bridge == [A] .2, [B] .3       (an ordinary kernel network, no XDP on it)
#   [c1] [c3'] -- ea-c1/ea-c3 -- [A] ea-up == [underlay bridge] == eb-up [B] -- eb-c3/eb-c4 -- [c3] [c4]
# c3' is the slot c3 moves to, routed on A from the start: while etcd maps 1:0:0:3 to B's locator the mapping wins.
demo_etcd() {
    local sir=2001:db8:5151:: url=http://198.18.253.1:2379
    local ECTL=xdpnet-demo-etcd-$id EA=xdpnet-demo-etcd-a-$id EB=xdpnet-demo-etcd-b-$id EU=xdpnet-demo-etcd-ul-$id
    local EC1=xdpnet-demo-etcd-c1-$id EC3=xdpnet-demo-etcd-c3-$id EC4=xdpnet-demo-etcd-c4-$id EC3N=xdpnet-demo-etcd-c3new-$id
    ETCD_NS="$ECTL $EA $EB $EU $EC1 $EC3 $EC4 $EC3N"
    echo
    echo "== etcd mode: etcd in [$ECTL], ILA hosts A [$EA] with c1 (and c3's future slot), B [$EB] with c3 c4"
    for ns in $ETCD_NS; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
    ip -n "$ECTL" link add kb0 type bridge; ip -n "$ECTL" link set kb0 up; ip -n "$ECTL" addr add 198.18.253.1/24 dev kb0
    ip link add ea-ctl netns "$EA" type veth peer name ka netns "$ECTL"
    ip link add eb-ctl netns "$EB" type veth peer name kb netns "$ECTL"
    for p in ka kb; do ip -n "$ECTL" link set "$p" master kb0 up; done
    ip -n "$EA" addr add 198.18.253.2/24 dev ea-ctl; ip -n "$EA" link set ea-ctl up
    ip -n "$EB" addr add 198.18.253.3/24 dev eb-ctl; ip -n "$EB" link set eb-ctl up
    ip -n "$EU" link add br0 type bridge mcast_snooping 0; ip -n "$EU" link set br0 up
    ip link add ea-up netns "$EA" type veth peer name ul-a netns "$EU"
    ip link add eb-up netns "$EB" type veth peer name ul-b netns "$EU"
    for p in ul-a ul-b; do ip -n "$EU" link set "$p" master br0 up; done
    ip -n "$EA" -6 addr add 2001:db8:ff::a/64 dev ea-up nodad; ip -n "$EA" link set ea-up up
    ip -n "$EB" -6 addr add 2001:db8:ff::b/64 dev eb-up nodad; ip -n "$EB" link set eb-up up
    for h in "$EA" "$EB"; do ip netns exec "$h" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0; done
    # econtainer <ns> <host ns> <host-side name> [identifier]: as container() in the file demo.
    econtainer() {
        ip link add "$3" netns "$2" type veth peer name eth0 netns "$1"
        ip -n "$2" link set "$3" up; ip -n "$1" link set eth0 up
        [ -z "${4:-}" ] || ip -n "$1" -6 addr add "${sir}1:0:0:$4/64" dev eth0 nodad
    }
    econtainer "$EC1" "$EA" ea-c1 1; econtainer "$EC3N" "$EA" ea-c3
    econtainer "$EC3" "$EB" eb-c3 3; econtainer "$EC4" "$EB" eb-c4 4

    echo "== starting etcd (Debian's etcd-server) on $url"
    ip netns exec "$ECTL" etcd --name demo --data-dir "$OUT/etcd" --listen-client-urls "$url" --advertise-client-urls "$url" \
        --listen-peer-urls http://198.18.253.1:2380 --initial-advertise-peer-urls http://198.18.253.1:2380 \
        --initial-cluster demo=http://198.18.253.1:2380 --logger zap --log-level warn > "$OUT/etcd.log" 2>&1 &
    ETCD_PID=$!
    # The operator's side: xdpnet ctl, run next to etcd.
    ctl() { echo "   \$ xdpnet ctl --etcd $url $*"; ip netns exec "$ECTL" "${XDPNET[@]}" ctl --etcd "$url" "$@" | sed 's/^/     /'; }
    for _ in $(seq 1 40); do ip netns exec "$ECTL" "${XDPNET[@]}" ctl --etcd "$url" host list >/dev/null 2>&1 && break; sleep 0.2; done
    ip netns exec "$ECTL" "${XDPNET[@]}" ctl --etcd "$url" host list >/dev/null || { echo "etcd did not start:"; cat "$OUT/etcd.log"; exit 1; }
    echo "== the ILA mappings, written into etcd with xdpnet ctl"
    for i in 1 3 4; do
        loc=2001:db8:b::; [ $i = 1 ] && loc=2001:db8:a::
        ctl mapping add --sir-prefix "$sir" --identifier "1:0:0:$i" --locator "$loc"
    done
    for h in a b; do
        ns=$EA; [ $h = b ] && ns=$EB
        echo "== starting: xdpnet run --config examples/ila-etcd-host-$h.json (in $ns)"
        ip netns exec "$ns" "${XDPNET[@]}" run --config "examples/ila-etcd-host-$h.json" --Stats:Socket="$OUT/etcd-$h.sock" > "$OUT/etcd-$h.log" 2>&1 &
        ETCD_XPIDS="$ETCD_XPIDS $!"
    done
    for h in a b; do
        for _ in $(seq 1 100); do grep -q '^ready' "$OUT/etcd-$h.log" && break; sleep 0.2; done
        grep -q '^ready' "$OUT/etcd-$h.log" || { echo "xdpnet on host $h did not start:"; cat "$OUT/etcd-$h.log"; exit 1; }
        grep -E '^etcd: snapshot|^ready' "$OUT/etcd-$h.log" | sed "s/^/   xdpnet $h | /"
    done
    echo "== each host published itself under a lease"
    ctl host list
    ewarm() { for _ in $(seq 1 10); do ip netns exec "$1" ping -6 -c 1 -W 1 "${sir}1:0:0:$2" >/dev/null 2>&1 && return 0; done; return 1; }
    ewarm "$EC1" 3; ewarm "$EC3" 1; ewarm "$EC4" 1
    echo "== ping6 c1 (A) -> c3 (B) by SIR address, with the mapping from etcd"
    ip netns exec "$EC1" ping -6 -c 3 -i 0.2 "${sir}1:0:0:3" | tail -2

    echo "== moving c3 to host A while c1 keeps pinging it (10 pings a second)"
    ip netns exec "$EC1" ping -6 -c 60 -i 0.1 -W 1 "${sir}1:0:0:3" > "$OUT/etcd-ping.txt" 2>&1 &
    local PING=$!
    sleep 2
    ip -n "$EC3" -6 addr del "${sir}1:0:0:3/64" dev eth0
    ip -n "$EC3N" -6 addr add "${sir}1:0:0:3/64" dev eth0 nodad
    echo "   c3's address now lives in the slot on A; one etcd write tells every host:"
    local applied_a applied_b
    # A mapping change is written to the live tables without a reload; anything else reloads.
    local APPLIED='reload: applied|ILA mappings applied in place'
    applied_a=$(grep -cE "$APPLIED" "$OUT/etcd-a.log" || true); applied_b=$(grep -cE "$APPLIED" "$OUT/etcd-b.log" || true)
    ctl mapping add --sir-prefix "$sir" --identifier 1:0:0:3 --locator 2001:db8:a::
    for h in a b; do
        before=$applied_a; [ $h = b ] && before=$applied_b
        for _ in $(seq 1 50); do [ "$(grep -cE "$APPLIED" "$OUT/etcd-$h.log" || true)" -gt "$before" ] && break; sleep 0.1; done
        grep -E "$APPLIED" "$OUT/etcd-$h.log" | tail -1 | sed "s/^/   xdpnet $h | /"
    done
    wait "$PING" || true
    echo "   c1 -> c3 across the move: $(grep -E 'packets transmitted' "$OUT/etcd-ping.txt")"
    echo "   (lost: the pings sent after c3's address left B and before the write was applied, about the second xdpnet ctl takes to start)"
    ewarm "$EC4" 3
    echo "== ping6 c4 (B) -> c3 (now on A): B translates to A's locator, from etcd"
    ip netns exec "$EC4" ping -6 -c 3 -i 0.2 "${sir}1:0:0:3" | tail -2
    ctl mapping list

    echo "== stopping both hosts' xdpnet (SIGTERM: each revokes its lease) and etcd"
    kill -TERM $ETCD_XPIDS; for p in $ETCD_XPIDS; do wait "$p" || true; done; ETCD_XPIDS=""
    ctl host list
    kill -TERM "$ETCD_PID"; wait "$ETCD_PID" || true; ETCD_PID=""
    for ns in $ETCD_NS; do ip netns del "$ns"; done; ETCD_NS=""
    rm -rf "$OUT/etcd"
}

# ---------------------------------------------------------------------------------------------------------------
# podman + xdpnet-cni (examples/cni): a real container runtime attaches containers to xdpnet. Host "pm" runs
# `xdpnet run` on examples/cni/host-ila.json (uplink only; policy-web.json: app=web accepts app=client only); podman
# (CNI backend, runc, cgroupfs) starts three busybox containers on the network of examples/cni/ila.conflist; the
# plugin gives each a SIR address, its veth and default route via fe80::1, and registers it with its labels (CNI_ARGS
# LABELS=app=...). Podman runs in the host's namespace (nsenter --net) with the demo's own image storage; the demo
# puts /etc/containers/containers.conf back and removes its network file when it ends.
#   [web] [client] [other] -- xc... -- [pm: xdpnet] cni-a-up == [pm-ul]
PM_NS="" PM_XPID="" PM_DIR="" PM_CONFLIST="" PM_NEW=""
PM_CONF=/etc/containers/containers.conf
pm_pod() { nsenter --net="/run/netns/$PM_NS" podman --root "$PM_DIR/storage" --runroot "$PM_DIR/run" --storage-driver vfs "$@"; }
pm_cleanup() {
    [ -n "${PM_DIR:-}" ] || return 0
    pm_pod rm -af -t 0 >/dev/null 2>&1 || true
    if [ -n "$PM_XPID" ]; then kill -TERM "$PM_XPID" 2>/dev/null || true; wait "$PM_XPID" 2>/dev/null || true; PM_XPID=""; fi
    if [ -f "$PM_DIR/containers.conf.orig" ]; then cp "$PM_DIR/containers.conf.orig" "$PM_CONF"; else rm -f "$PM_CONF"; fi
    rm -f "$PM_CONFLIST"
    # What podman and libcni created that was not there before (libcni's result cache, podman's lock in net.d).
    for f in $PM_NEW; do rm -rf "$f"; done
    for ns in $PM_NS; do ip netns del "$ns" 2>/dev/null || true; done
    ip netns del "xdpnet-demo-pmul-$id" 2>/dev/null || true
    PM_DIR=""
}
demo_podman() {
    if ! command -v podman >/dev/null || [ ! -x /usr/lib/cni/loopback ] || [ ! -x /bin/busybox ]; then
        echo "== podman: podman, containernetworking-plugins or busybox-static missing, skipped"; return 0
    fi
    echo "== podman + xdpnet-cni: containers started by podman on an xdpnet network"
    dotnet publish src/XdpNet.Cni/XdpNet.Cni.csproj -c Release -o "$OUT/cni" -nologo -v q >/dev/null
    local pmul=xdpnet-demo-pmul-$id net=xdpnet-demo-$id
    PM_NS=xdpnet-demo-pm-$id PM_DIR="$OUT/podman" PM_CONFLIST=/etc/cni/net.d/90-xdpnet-demo-$id.conflist
    mkdir -p "$PM_DIR/plugins" "$PM_DIR/rootfs/bin" "$(dirname "$PM_CONF")" /etc/cni/net.d
    printf '#!/bin/sh\nexec /usr/bin/dotnet %s "$@"\n' "$OUT/cni/xdpnet-cni.dll" > "$PM_DIR/plugins/xdpnet-cni"
    chmod 755 "$PM_DIR/plugins/xdpnet-cni"
    if [ -f "$PM_CONF" ]; then cp "$PM_CONF" "$PM_DIR/containers.conf.orig"; fi
    for f in /var/lib/cni /var/lib/containers /etc/cni/net.d/cni.lock; do [ -e "$f" ] || PM_NEW="$PM_NEW $f"; done
    cat > "$PM_CONF" <<CONF
# Written by scripts/demo.sh (demo_podman); the original comes back when the demo ends.
[containers]
default_ulimits = []
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$PM_DIR/tmp"
[network]
network_backend = "cni"
cni_plugin_dirs = ["$PM_DIR/plugins", "/usr/lib/cni"]
CONF
    # The example network, pointed at this demo's xdpnet socket and allocation directory.
    python3 - "$PM_CONFLIST" "$net" "$OUT/pm.sock" "$PM_DIR/ipam" <<'PY'
import json, sys
c = json.load(open("examples/cni/ila.conflist"))
c["name"] = sys.argv[2]
c["plugins"][0].update(socket=sys.argv[3], dataDir=sys.argv[4])
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
    ip netns add "$PM_NS"; ip netns add "$pmul"
    ip -n "$PM_NS" link set lo up
    ip link add cni-a-up netns "$PM_NS" type veth peer name pm-ul netns "$pmul"
    ip -n "$PM_NS" link set cni-a-up up; ip -n "$pmul" link set pm-ul up
    ip -n "$PM_NS" addr add 2001:db8:ff::a/64 dev cni-a-up nodad
    ip netns exec "$PM_NS" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
    cp examples/cni/host-ila.json examples/cni/policy-web.json "$OUT/"
    ip netns exec "$PM_NS" "${XDPNET[@]}" run --config "$OUT/host-ila.json" --Stats:Socket="$OUT/pm.sock" \
        --Node:StateDirectory="$PM_DIR/state" > "$OUT/pm-xdpnet.log" 2>&1 &
    PM_XPID=$!
    for _ in $(seq 1 100); do grep -q '^ready' "$OUT/pm-xdpnet.log" && break; sleep 0.2; done
    grep -q '^ready' "$OUT/pm-xdpnet.log" || { echo "xdpnet did not start:"; cat "$OUT/pm-xdpnet.log"; exit 1; }

    cp /bin/busybox "$PM_DIR/rootfs/bin/"
    for a in sh ping ip sleep; do ln -sf busybox "$PM_DIR/rootfs/bin/$a"; done
    tar -C "$PM_DIR/rootfs" -cf "$PM_DIR/rootfs.tar" .
    pm_pod import "$PM_DIR/rootfs.tar" localhost/xdpnet-demo-busybox >/dev/null 2>&1
    for c in web client other; do
        echo "   \$ CNI_ARGS=LABELS=app=$c podman run -d --name $c --network $net ..."
        CNI_ARGS="LABELS=app=$c" pm_pod run -d --name "$c" --network "$net" --cap-add NET_RAW localhost/xdpnet-demo-busybox /bin/sleep 600 >/dev/null
    done
    echo "== the endpoints xdpnet got from the plugin (xdpnet endpoint list)"
    ip netns exec "$PM_NS" "${XDPNET[@]}" endpoint list --socket "$OUT/pm.sock" | sed 's/^/   /'
    local web
    web=$(pm_pod exec web ip -6 -o addr show dev eth0 scope global | awk '{print $4}' | cut -d/ -f1)
    echo "== client -> web ($web): allowed by policy-web.json"
    for _ in $(seq 1 10); do pm_pod exec client ping -6 -c 1 -W 1 "$web" >/dev/null 2>&1 && break; done
    pm_pod exec client ping -6 -c 3 -W 1 "$web" | tail -2 | sed 's/^/   /'
    echo "== other -> web: default-denied (app=web accepts app=client only)"
    if pm_pod exec other ping -6 -c 2 -W 1 "$web" >/dev/null 2>&1; then echo "   FAIL: other reached web"; exit 1; else echo "   other cannot reach web"; fi
    echo "== podman rm: CNI DEL unregisters the endpoints and removes the veths"
    pm_pod rm -f -t 0 web client other >/dev/null
    echo "   endpoints left: $(ip netns exec "$PM_NS" "${XDPNET[@]}" endpoint list --socket "$OUT/pm.sock" | wc -l)," \
        "host veths left: $(ip -n "$PM_NS" -o link show | grep -c ': xc' || true)"
    pm_cleanup
}

if [ "$MODE" = etcd ]; then
    demo_etcd
    echo "== demo done"
    exit 0
fi
if [ "$MODE" = podman ]; then
    demo_podman
    echo "== demo done"
    exit 0
fi

echo "== topology: [$GEN] gen0 == dut0 [$DUT] dut1 == sink0 [$SINK]"
for ns in "$GEN" "$DUT" "$SINK"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add gen0 netns "$GEN" type veth peer name dut0 netns "$DUT"
ip link add dut1 netns "$DUT" type veth peer name sink0 netns "$SINK"
ip -n "$GEN" addr add 198.18.1.1/24 dev gen0;  ip -n "$GEN" -6 addr add 2001:db8:1::1/64 dev gen0 nodad
ip -n "$DUT" addr add 198.18.1.2/24 dev dut0;  ip -n "$DUT" -6 addr add 2001:db8:1::2/64 dev dut0 nodad
ip -n "$DUT" addr add 198.18.2.1/24 dev dut1;  ip -n "$DUT" -6 addr add 2001:db8:2::1/64 dev dut1 nodad
ip -n "$SINK" addr add 198.18.2.2/24 dev sink0; ip -n "$SINK" -6 addr add 2001:db8:2::2/64 dev sink0 nodad
for l in "$GEN gen0" "$DUT dut0" "$DUT dut1" "$SINK sink0"; do set -- $l; ip -n "$1" link set "$2" up; done
ip -n "$GEN" route add 198.18.2.0/24 via 198.18.1.2;   ip -n "$GEN" -6 route add 2001:db8:2::/64 via 2001:db8:1::2
ip -n "$SINK" route add 198.18.1.0/24 via 198.18.2.1;  ip -n "$SINK" -6 route add 2001:db8:1::/64 via 2001:db8:2::1
ip netns exec "$DUT" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
# Offloads stay on: gen's and sink's TCP/UDP leave with partial checksums, which xdpnet completes.

SOCK="$OUT/stats.sock"
echo "== starting: xdpnet run --config examples/router.json (in $DUT, worker pinned to CPU 1)"
ip netns exec "$DUT" "${XDPNET[@]}" run --config examples/router.json --Stats:Socket="$SOCK" > "$OUT/xdpnet.log" 2>&1 &
XPID=$!
for _ in $(seq 1 100); do grep -q '^ready' "$OUT/xdpnet.log" && break; sleep 0.2; done
grep -q '^ready' "$OUT/xdpnet.log" || { echo "xdpnet did not start:"; cat "$OUT/xdpnet.log"; exit 1; }
sed 's/^/   xdpnet | /' "$OUT/xdpnet.log"

echo "== first packets: xdpnet drops them as no-neighbour while the dut's kernel resolves the next hops (ARP/NDP)"
for _ in 1 2 3 4 5; do
    ip netns exec "$GEN" ping -c 1 -W 1 198.18.2.2 >/dev/null 2>&1 && ip netns exec "$GEN" ping -c 1 -W 1 2001:db8:2::2 >/dev/null 2>&1 && break
done
echo "== ping gen -> sink across the data plane (the dut's kernel does not forward)"
ip netns exec "$GEN" ping -c 3 -i 0.2 198.18.2.2 | tail -2
ip netns exec "$GEN" ping -c 3 -i 0.2 2001:db8:2::2 | tail -2
echo "== iperf3 TCP, 3 s"
ip netns exec "$SINK" iperf3 -s -1 -D -B 198.18.2.2
sleep 0.5
ip netns exec "$GEN" iperf3 -c 198.18.2.2 -t 3 | grep -E 'sender|receiver'
echo "== iperf3 UDP, 64-byte datagrams at 10 Mbit/s, 2 s"
ip netns exec "$SINK" iperf3 -s -1 -D -B 198.18.2.2
sleep 0.5
ip netns exec "$GEN" iperf3 -c 198.18.2.2 -u -l 64 -b 10M -t 2 | grep -E 'receiver'
echo "== ping the dut itself: not the data plane's traffic, the kernel answers"
ip netns exec "$GEN" ping -c 2 -i 0.2 198.18.1.2 | tail -1

echo "== xdpnet stats (one snapshot)"
ip netns exec "$DUT" "${XDPNET[@]}" stats --socket "$SOCK" --count 1 || true

echo "== stopping xdpnet (SIGTERM): the steering program is detached, the kernel has the interfaces back"
kill -TERM "$XPID"; wait "$XPID" || true; XPID=""
tail -3 "$OUT/xdpnet.log" | sed 's/^/   xdpnet | /'
if ip netns exec "$GEN" ping -c 1 -W 1 198.18.2.2 >/dev/null 2>&1; then echo "   unexpected: gen reached sink without a forwarder"; else echo "   gen -> sink: unreachable (no forwarder, as expected)"; fi
ip netns exec "$DUT" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$GEN" ping -c 2 -i 0.2 198.18.2.2 | tail -1 | sed 's/^/   kernel forwarding on: /'

# ---------------------------------------------------------------------------------------------------------------
# ILA (draft-herbert-intarea-ila): containers keep their address (SIR 2001:db8:5151::/64, identifier 1:0:0:N in the
# low 64 bits) wherever they run; host A's locator is 2001:db8:a::/64, B's 2001:db8:b::/64. On the way out a host
# swaps the SIR prefix for the locator of the identifier's host, the receiving host swaps it back.
#   [c1] [c2] [c3'] -- ila-a-cN -- [A] ila-a-up == [underlay bridge] == ila-b-up [B] -- ila-b-cN -- [c3] [c4]
# c3' is an empty container slot on A: c3 moves there at the end (interfaces need a restart, routes and mappings not).
SIR=2001:db8:5151:: ; sir() { echo "${SIR}1:0:0:$1"; }
HA=xdpnet-demo-ila-a-$id HB=xdpnet-demo-ila-b-$id UL=xdpnet-demo-ila-ul-$id
C1=xdpnet-demo-c1-$id C2=xdpnet-demo-c2-$id C3=xdpnet-demo-c3-$id C4=xdpnet-demo-c4-$id C3N=xdpnet-demo-c3new-$id
ILA_NS="$HA $HB $UL $C1 $C2 $C3 $C4 $C3N"
echo
echo "== ILA topology: host A [$HA] with c1 c2 (and an empty slot), host B [$HB] with c3 c4, underlay bridge [$UL]"
for ns in $ILA_NS; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$UL" link add br0 type bridge mcast_snooping 0; ip -n "$UL" link set br0 up
ip link add ila-a-up netns "$HA" type veth peer name ul-a netns "$UL"
ip link add ila-b-up netns "$HB" type veth peer name ul-b netns "$UL"
for p in ul-a ul-b; do ip -n "$UL" link set "$p" master br0 up; done
ip -n "$HA" -6 addr add 2001:db8:ff::a/64 dev ila-a-up nodad; ip -n "$HA" link set ila-a-up up
ip -n "$HB" -6 addr add 2001:db8:ff::b/64 dev ila-b-up nodad; ip -n "$HB" link set ila-b-up up
for h in "$HA" "$HB"; do ip netns exec "$h" sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0; done
# container <ns> <host ns> <host-side name> [identifier]: the container gets its SIR address as a /64 and nothing else:
# no route, no static neighbour. It solicits every SIR destination on its link, and xdpnet's neighbour proxy on
# the host end (Role "local") answers for what the host routes or translates.
container() {
    ip link add "$3" netns "$2" type veth peer name eth0 netns "$1"
    ip -n "$2" link set "$3" up; ip -n "$1" link set eth0 up
    [ -z "${4:-}" ] || ip -n "$1" -6 addr add "$(sir "$4")/64" dev eth0 nodad
}
container "$C1" "$HA" ila-a-c1 1; container "$C2" "$HA" ila-a-c2 2; container "$C3N" "$HA" ila-a-c3
container "$C3" "$HB" ila-b-c3 3; container "$C4" "$HB" ila-b-c4 4

# Each host runs on a copy of its example file, so the move below can change it under the running process.
cp examples/ila-host-a.json "$OUT/ila-a.json"; cp examples/ila-host-b.json "$OUT/ila-b.json"
for h in a b; do
    ns=$HA; [ $h = b ] && ns=$HB
    echo "== starting: xdpnet run --config examples/ila-host-$h.json (in $ns)"
    ip netns exec "$ns" "${XDPNET[@]}" run --config "$OUT/ila-$h.json" --Stats:Socket="$OUT/ila-$h.sock" > "$OUT/ila-$h.log" 2>&1 &
    ILA_PIDS="$ILA_PIDS $!"; eval "ILA_PID_$h=$!"
done
for h in a b; do
    for _ in $(seq 1 100); do grep -q '^ready' "$OUT/ila-$h.log" && break; sleep 0.2; done
    grep -q '^ready' "$OUT/ila-$h.log" || { echo "xdpnet on host $h did not start:"; cat "$OUT/ila-$h.log"; exit 1; }
    sed "s/^/   xdpnet $h | /" "$OUT/ila-$h.log"
done
# warm <from ns> <identifier>: the hosts' kernels resolve the next hops (underlay gateway, container addresses) on the
# data plane's first misses, which are dropped as no-neighbour.
warm() { for _ in $(seq 1 10); do ip netns exec "$1" ping -6 -c 1 -W 1 "$(sir "$2")" >/dev/null 2>&1 && return 0; done; return 1; }
warm "$C1" 3; warm "$C3" 1; warm "$C4" 2
echo "== c1's neighbour entry for c3 (on another host): the MAC of its own veth's host end, answered by xdpnet's proxy"
ip -n "$C1" -6 neigh show "$(sir 3)" | sed 's/^/   c1 | /'
ip -n "$HA" link show ila-a-c1 | grep -o 'link/ether [0-9a-f:]*' | sed 's/^/   host A ila-a-c1 | /'

echo "== ping6 c1 (host A) -> c3 (host B) by SIR address, and back; tcpdump on the underlay shows ILA destinations"
ip netns exec "$UL" timeout 10 tcpdump -n -l -i br0 -c 4 'icmp6 and (ip6[40] == 128 or ip6[40] == 129)' > "$OUT/ila-ul.txt" 2>/dev/null &
TCPDUMP=$!; sleep 1
ip netns exec "$C1" ping -6 -c 3 -i 0.2 "$(sir 3)" | tail -2
ip netns exec "$C3" ping -6 -c 3 -i 0.2 "$(sir 1)" | tail -2
wait "$TCPDUMP" || true
sed 's/^/   underlay | /' "$OUT/ila-ul.txt"
echo "   (SIR sources untouched; destinations carry the other host's locator, neutral-map: C-bit set, low 16 bits adjusted)"
echo "== iperf3 TCP c1 (A) -> c3 (B), 2 s"
ip netns exec "$C3" iperf3 -s -1 -D -B "$(sir 3)"; sleep 0.5
ip netns exec "$C1" iperf3 -c "$(sir 3)" -t 2 | grep -E 'sender|receiver'
echo "== iperf3 TCP c4 (B) -> c2 (A), 2 s"
ip netns exec "$C2" iperf3 -s -1 -D -B "$(sir 2)"; sleep 0.5
ip netns exec "$C4" iperf3 -c "$(sir 2)" -t 2 | grep -E 'sender|receiver'
for h in a b; do
    ns=$HA; [ $h = b ] && ns=$HB
    echo "== xdpnet stats, host $h"
    ip netns exec "$ns" "${XDPNET[@]}" stats --socket "$OUT/ila-$h.sock" --count 1 || true
done

echo "== moving c3 to host A: its SIR address $(sir 3) now lives in the slot on A"
ip -n "$C3" -6 addr del "$(sir 3)/64" dev eth0
ip -n "$C3N" -6 addr add "$(sir 3)/64" dev eth0 nodad
echo "   A: mapping 1:0:0:3 removed, route $(sir 3)/128 via ila-a-c3; B: mapping 1:0:0:3 -> 2001:db8:a::, route removed"
echo "   (examples/ila-host-{a,b}-moved.json), reloaded live: SIGHUP to both xdpnet processes"
for h in a b; do cp "examples/ila-host-$h-moved.json" "$OUT/ila-$h.json.new"; mv "$OUT/ila-$h.json.new" "$OUT/ila-$h.json"; done
kill -HUP "$ILA_PID_a" "$ILA_PID_b"
for h in a b; do
    for _ in $(seq 1 50); do grep -q 'reload: applied' "$OUT/ila-$h.log" && break; sleep 0.1; done
    grep 'reload' "$OUT/ila-$h.log" | tail -1 | sed "s/^/   xdpnet $h | /"
done
warm "$C2" 3; warm "$C4" 3
echo "== ping6 c2 (A) -> c3 (now on A), c4 (B) -> c3 (now on A): the same SIR address, reachable"
ip netns exec "$C2" ping -6 -c 3 -i 0.2 "$(sir 3)" | tail -2
ip netns exec "$C4" ping -6 -c 3 -i 0.2 "$(sir 3)" | tail -2

echo "== stopping both ILA hosts' xdpnet (SIGTERM)"
kill -TERM $ILA_PIDS; for p in $ILA_PIDS; do wait "$p" || true; done; ILA_PIDS=""

# ---------------------------------------------------------------------------------------------------------------
# VXLAN (RFC 7348): tenant L2 segments over an IPv4 underlay. Host A's VTEP is xdpnet (198.18.10.1), host B's is the
# kernel (198.18.10.2: `ip link add type vxlan` on a bridge). Segment VNI 42: c1 (A) and c2 (B); VNI 43: c3 (A) and
# c4 (B). All four containers share one IP subnet, 198.18.42.0/24: only the segment keeps tenants apart.
#   [c1] [c3] -- vx-a-c1/c3 -- [A: xdpnet] vx-a-up == [underlay bridge] == vx-b-up [B: vx42/vx43 + br42/br43] -- [c2] [c4]
VA=xdpnet-demo-vx-a-$id VB=xdpnet-demo-vx-b-$id VU=xdpnet-demo-vx-ul-$id
VC1=xdpnet-demo-vc1-$id VC2=xdpnet-demo-vc2-$id VC3=xdpnet-demo-vc3-$id VC4=xdpnet-demo-vc4-$id
VX_NS="$VA $VB $VU $VC1 $VC2 $VC3 $VC4"
echo
echo "== VXLAN topology: host A [$VA] (xdpnet VTEP) with c1 (VNI 42) c3 (VNI 43), host B [$VB] (kernel VTEP) with c2 (42) c4 (43)"
for ns in $VX_NS; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$VU" link add br0 type bridge; ip -n "$VU" link set br0 up
ip link add vx-a-up netns "$VA" type veth peer name ul-a netns "$VU"
ip link add vx-b-up netns "$VB" type veth peer name ul-b netns "$VU"
for p in ul-a ul-b; do ip -n "$VU" link set "$p" master br0 up; done
ip -n "$VA" addr add 198.18.10.1/24 dev vx-a-up; ip -n "$VA" link set vx-a-up up
ip -n "$VB" addr add 198.18.10.2/24 dev vx-b-up; ip -n "$VB" link set vx-b-up up
# vcontainer <ns> <host ns> <host-side name> <address> <mac>: an address on the segment's subnet, MTU 1450 (1500 - 50
# bytes of VXLAN over IPv4), no static neighbours: ARP crosses the overlay.
vcontainer() {
    ip link add "$3" netns "$2" type veth peer name eth0 netns "$1"
    ip -n "$1" link set eth0 address "$5" mtu 1450; ip -n "$1" addr add "$4/24" dev eth0
    ip -n "$2" link set "$3" up; ip -n "$1" link set eth0 up
}
vcontainer "$VC1" "$VA" vx-a-c1 198.18.42.1 02:00:00:42:00:01; vcontainer "$VC3" "$VA" vx-a-c3 198.18.42.3 02:00:00:43:00:03
vcontainer "$VC2" "$VB" vx-b-c2 198.18.42.2 02:00:00:42:00:02; vcontainer "$VC4" "$VB" vx-b-c4 198.18.42.4 02:00:00:43:00:04
for vni in 42 43; do
    ip -n "$VB" link add br$vni type bridge; ip -n "$VB" link set br$vni up
    ip -n "$VB" link add vx$vni type vxlan id $vni dstport 4789 local 198.18.10.2 dev vx-b-up
    ip -n "$VB" link set vx$vni master br$vni up
    ip netns exec "$VB" bridge fdb append 00:00:00:00:00:00 dev vx$vni dst 198.18.10.1
done
ip -n "$VB" link set vx-b-c2 master br42; ip -n "$VB" link set vx-b-c4 master br43
echo "== starting: xdpnet run --config examples/overlay-host-a.json (in $VA)"
ip netns exec "$VA" "${XDPNET[@]}" run --config examples/overlay-host-a.json --Stats:Socket="$OUT/vx-a.sock" > "$OUT/vx-a.log" 2>&1 &
VX_PID=$!
for _ in $(seq 1 100); do grep -q '^ready' "$OUT/vx-a.log" && break; sleep 0.2; done
grep -q '^ready' "$OUT/vx-a.log" || { echo "xdpnet on host A did not start:"; cat "$OUT/vx-a.log"; exit 1; }
sed 's/^/   xdpnet a | /' "$OUT/vx-a.log"
# The first flooded ARP request may meet an unresolved underlay neighbour (no-neighbour): ping until it answers.
for _ in $(seq 1 10); do ip netns exec "$VC1" ping -c 1 -W 1 198.18.42.2 >/dev/null 2>&1 && break; done
echo "== ping c1 (A, VNI 42) -> c2 (B, VNI 42); tcpdump on the underlay shows the VXLAN encapsulation"
ip netns exec "$VU" timeout 10 tcpdump -n -l -i br0 -c 2 'udp dst port 4789 and src host 198.18.10.1' > "$OUT/vx-ul.txt" 2>/dev/null &
TCPDUMP=$!; sleep 1
ip netns exec "$VC1" ping -c 3 -i 0.2 198.18.42.2 | tail -2
wait "$TCPDUMP" || true
sed 's/^/   underlay | /' "$OUT/vx-ul.txt"
echo "== c1's ARP entry for c2, resolved across the overlay (the request was flooded to B's VTEP)"
ip -n "$VC1" neigh show 198.18.42.2 | sed 's/^/   c1 | /'
echo "== ping c3 (A, VNI 43) -> c4 (B, VNI 43)"
for _ in $(seq 1 5); do ip netns exec "$VC3" ping -c 1 -W 1 198.18.42.4 >/dev/null 2>&1 && break; done
ip netns exec "$VC3" ping -c 3 -i 0.2 198.18.42.4 | tail -2
echo "== isolation: c1 (VNI 42) -> c4 (VNI 43, same IP subnet) must fail"
if ip netns exec "$VC1" ping -c 2 -W 1 198.18.42.4 >/dev/null 2>&1; then echo "   FAIL: c1 reached c4 across segments"; exit 1; else echo "   c1 cannot reach c4: segments are isolated"; fi
echo "== iperf3 TCP c1 (A) -> c2 (B) and c2 -> c1, 2 s each"
ip netns exec "$VC2" iperf3 -s -1 -D -B 198.18.42.2; sleep 0.5
ip netns exec "$VC1" iperf3 -c 198.18.42.2 -t 2 | grep -E 'receiver'
ip netns exec "$VC1" iperf3 -s -1 -D -B 198.18.42.1; sleep 0.5
ip netns exec "$VC2" iperf3 -c 198.18.42.1 -t 2 | grep -E 'receiver'
echo "== too big for the overlay: c3 at MTU 1500 sends a 1500-byte packet with DF; xdpnet answers Fragmentation Needed"
ip -n "$VC3" link set eth0 mtu 1500
ip netns exec "$VC3" ping -c 1 -W 1 -M do -s 1472 198.18.42.4 2>&1 | grep -iE 'frag|mtu' | head -1 | sed 's/^/   c3 | /' || true
ip -n "$VC3" link set eth0 mtu 1450
echo "== learning: the kernel VTEP learned c1/c3 behind 198.18.10.1; xdpnet learned c2/c4 behind 198.18.10.2"
ip netns exec "$VB" bridge fdb show | grep -E 'dst 198.18.10.1' | grep -v '00:00:00:00:00:00' | sed 's/^/   kernel B | /'
ip netns exec "$VA" "${XDPNET[@]}" stats --socket "$OUT/vx-a.sock" --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
for e in d["vxlan"]["fdb"]:
    print("   xdpnet A | vni %d %s %s" % (e["vni"], e["mac"], ("dev " + e["interface"]) if e.get("interface") else "dst " + e["vtep"]))
print("   xdpnet A | stage vxlan:", ", ".join("%s %d" % kv for kv in d["stages"]["vxlan"].items() if kv[1]))'
echo "== stopping host A's xdpnet (SIGTERM)"
kill -TERM "$VX_PID"; wait "$VX_PID" || true; VX_PID=""

demo_podman
demo_etcd
echo "== demo done"
