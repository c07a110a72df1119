#!/usr/bin/env python3
"""UDP request/response (ping-pong) for IPv6, where Debian 12's sockperf 3.7 has no IPv6 support.

    rr.py server ADDR PORT SECONDS        echo every datagram back (exits after SECONDS)
    rr.py client ADDR PORT SECONDS SIZE   one request in flight at a time; prints JSON with round-trip
                                          percentiles in microseconds (p50, p99, p99.9), count and losses

Python adds its own per-message cost (tens of microseconds) on top of the network path, so its figures are
comparable only with other rr.py figures; the report says which tool produced each latency.
"""
import json
import socket
import sys
import time


def server(addr: str, port: int, seconds: float) -> None:
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    s.settimeout(0.5)
    print("listening", flush=True)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        s.sendto(data, peer)


def client(addr: str, port: int, seconds: float, size: int) -> None:
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((addr, port))
    s.settimeout(0.2)
    payload = bytearray(size)
    rtts = []
    lost = 0
    end = time.monotonic() + seconds
    seq = 0
    while time.monotonic() < end:
        seq += 1
        payload[0:4] = seq.to_bytes(4, "big")
        t0 = time.perf_counter_ns()
        s.send(payload)
        try:
            while True:
                data = s.recv(65535)
                if data[0:4] == payload[0:4]:
                    break
        except socket.timeout:
            lost += 1
            continue
        rtts.append((time.perf_counter_ns() - t0) / 1000.0)
    rtts.sort()

    def pct(p: float) -> float:
        if not rtts:
            return float("nan")
        return rtts[min(len(rtts) - 1, int(p / 100.0 * len(rtts)))]

    print(json.dumps({"count": len(rtts), "lost": lost, "p50": pct(50), "p99": pct(99), "p999": pct(99.9)}))


if __name__ == "__main__":
    if sys.argv[1] == "server":
        server(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    else:
        client(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
