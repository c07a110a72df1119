#!/usr/bin/env python3
"""Rule sets for perf/study: N rules that match nothing of the measured traffic, then the one that allows it.

    rules.py iptables N SEGMENT DST      -> iptables-restore input (filter table, FORWARD policy DROP)
    rules.py nft N SEGMENT DST           -> nft -f input (table inet stq, forward hook, policy drop)
    rules.py cilium N FAMILY             -> Cilium policy list (JSON): N rules selecting the server with a
                                            fromCIDR nobody sends from, and the rule allowing the client
    rules.py fivetuple N                 -> JSON list for xdpnet's Policy:Rules (N non-matching denies, one allow)

The non-matching sources are host addresses in 198.19.0.0/16 (IPv4) or 2001:db8:ffff::/64 (IPv6): inside the
benchmarking/documentation ranges, never used by the measured containers (they live in 198.18.0.0/16 and
2001:db8:5151::/64), so every packet is checked against all N rules before the allowing one (no conntrack
shortcut on the kernel side: the studies' Docker case evaluated the FORWARD chain per packet).
"""
import json
import sys


def v4(i: int) -> str:
    return f"198.19.{i // 256 % 256}.{i % 256}"


def v6(i: int) -> str:
    return f"2001:db8:ffff::{i // 65536:x}:{i % 65536:x}"


def iptables(n: int, segment: str, dst: str) -> str:
    out = ["*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]"]
    out += [f"-A FORWARD -s {v4(i)}/32 -d {dst}/32 -j ACCEPT" for i in range(n)]
    out.append(f"-A FORWARD -s {segment} -d {segment} -j ACCEPT")
    out.append("COMMIT")
    return "\n".join(out) + "\n"


def nft(n: int, segment: str, dst: str) -> str:
    out = ["table inet stq {", "  chain forward_stq {", "    type filter hook forward priority 0; policy drop;"]
    out += [f"    ip saddr {v4(i)} ip daddr {dst} accept" for i in range(n)]
    out.append(f"    ip saddr {segment} ip daddr {segment} accept")
    out += ["  }", "}"]
    return "\n".join(out) + "\n"


def cilium(n: int, family: str) -> str:
    cidr = (lambda i: f"{v6(i)}/128") if family == "6" else (lambda i: f"{v4(i)}/32")
    rules = [{
        "description": f"non-matching {i}",
        "endpointSelector": {"matchLabels": {"app": "server"}},
        "ingress": [{"fromCIDR": [cidr(i)]}],
    } for i in range(n)]
    rules.append({
        "description": "the measured traffic: client to server, every port",
        "endpointSelector": {"matchLabels": {"app": "server"}},
        "ingress": [{"fromEndpoints": [{"matchLabels": {"app": "client"}}]}],
    })
    return json.dumps(rules, indent=1) + "\n"


def fivetuple(n: int) -> list:
    rules = [{"Source": f"{v4(i)}/32", "Action": "deny"} for i in range(n)]
    rules.append({"Source": "198.18.0.0/15", "Destination": "198.18.0.0/15", "Action": "allow"})
    rules.append({"Source": "2001:db8::/32", "Destination": "2001:db8::/32", "Action": "allow"})
    return rules


def main() -> None:
    kind, n = sys.argv[1], int(sys.argv[2])
    if kind == "iptables":
        sys.stdout.write(iptables(n, sys.argv[3], sys.argv[4]))
    elif kind == "nft":
        sys.stdout.write(nft(n, sys.argv[3], sys.argv[4]))
    elif kind == "cilium":
        sys.stdout.write(cilium(n, sys.argv[3]))
    elif kind == "fivetuple":
        sys.stdout.write(json.dumps(fivetuple(n)) + "\n")
    else:
        sys.exit(f"unknown kind {kind}")


if __name__ == "__main__":
    main()
