#!/usr/bin/env python3
"""perf/study's report: aggregates OUT/raw.csv (median, min-max over repetitions), writes OUT/summary.csv,
gnuplot data and scripts, PNG plots, and OUT/report.md (with the BenchmarkDotNet tables of OUT/micro if present).

    report.py OUT
"""
import csv
import glob
import math
import os
import re
import statistics
import subprocess
import sys
import time

OUT = os.path.abspath(sys.argv[1])

MAIN = ["kernel-bridge-iptables", "kernel-bridge-nftables", "kernel-vxlan-iptables",
        "xdpnet-local", "xdpnet-local-5tuple", "xdpnet-vxlan", "xdpnet-ila"]
TUNED = ["kernel-bridge-iptables-mtu9000", "kernel-bridge-iptables-nogso", "kernel-vxlan-iptables-gro"]
DESCRIPTION = {
    "gen-ceiling": "xdpnet-loadgen into a dropping XDP sink on the veth peer (no data plane)",
    "kernel-bridge-iptables": "one host, Linux bridge, br_netfilter, iptables-legacy FORWARD (N + 1 rules, policy DROP)",
    "kernel-bridge-nftables": "one host, Linux bridge, br_netfilter, nftables forward chain (N + 1 rules, policy drop)",
    "kernel-vxlan-iptables": "two hosts, kernel VXLAN + bridge on both, iptables on the receiving host",
    "xdpnet-local": "one host, routed through `xdpnet run`, N + 1 Cilium policies selecting the server",
    "xdpnet-local-5tuple": "xdpnet-local plus N + 2 ordered 5-tuple rules (Policy:Rules, RulesDefault deny)",
    "xdpnet-vxlan": "two hosts, kernel VTEP sends, xdpnet VTEP receives with N + 1 Cilium policies",
    "xdpnet-ila": "two ILA hosts, both `xdpnet run` (IPv6 SIR addresses), N + 1 policies on the receiver",
    "kernel-bridge-iptables-mtu9000": "tuned: kernel-bridge-iptables with MTU 9000 on veths and bridge",
    "kernel-bridge-iptables-nogso": "per-frame: kernel-bridge-iptables with TSO/GSO off on the veths",
    "kernel-vxlan-iptables-gro": "tuned: kernel-vxlan-iptables with GRO on the receiver's underlay and bridge port",
}


def read_raw():
    rows = list(csv.DictReader(open(os.path.join(OUT, "raw.csv"))))
    data, tools, per_rep = {}, {}, {}
    for r in rows:
        if r["value"] in ("", None):
            continue
        try:
            v = float(r["value"])
        except ValueError:
            continue
        if math.isnan(v):
            continue
        data.setdefault((r["contender"], int(r["n"]), r["measure"]), []).append(v)
        tools[(r["contender"], r["measure"])] = r["tool"]
        per_rep[(r["contender"], int(r["n"]), r["measure"], int(r["rep"]))] = v
    return data, tools, per_rep


DATA, TOOLS, PER_REP = read_raw()
CONTENDERS = [c for c in ["gen-ceiling"] + MAIN + TUNED if any(k[0] == c for k in DATA)]
NS = sorted({k[1] for k in DATA})


def agg(c, n, m):
    v = DATA.get((c, n, m))
    if not v:
        return None
    return statistics.median(v), min(v), max(v), len(v)


def fmt(a, digits=2, scale=1.0):
    if a is None:
        return "–"
    med, lo, hi, k = a
    if k == 1:
        return f"{med * scale:.{digits}f}"
    return f"{med * scale:.{digits}f} ({lo * scale:.{digits}f}–{hi * scale:.{digits}f})"


def table(measure, title, digits=2, scale=1.0, contenders=None):
    cs = [c for c in (contenders or MAIN + TUNED) if any((c, n, measure) in DATA for n in NS)]
    if not cs:
        return ""
    ns = [n for n in NS if any((c, n, measure) in DATA for c in cs)]
    out = [f"**{title}**", "", "| contender | " + " | ".join(f"N={n}" for n in ns) + " |",
           "|---|" + "---:|" * len(ns)]
    for c in cs:
        out.append(f"| {c} | " + " | ".join(fmt(agg(c, n, measure), digits, scale) for n in ns) + " |")
    return "\n".join(out) + "\n"


def write_summary():
    with open(os.path.join(OUT, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["contender", "n", "measure", "median", "min", "max", "runs", "tool"])
        for (c, n, m), v in sorted(DATA.items()):
            w.writerow([c, n, m, statistics.median(v), min(v), max(v), len(v), TOOLS.get((c, m), "")])


# ---- plots ------------------------------------------------------------------------------------------------------
def gnuplot(name, script):
    path = os.path.join(OUT, f"{name}.gp")
    with open(path, "w") as f:
        f.write(script)
    try:
        subprocess.run(["gnuplot", path], cwd=OUT, check=True, capture_output=True, timeout=60)
        return True
    except (subprocess.CalledProcessError, FileNotFoundError, subprocess.TimeoutExpired) as e:
        err = getattr(e, "stderr", b"") or b""
        print(f"gnuplot {name}: {e} {err.decode(errors='replace')[:300]}", file=sys.stderr)
        return False


def series_file(measure, contenders, scale=1.0):
    """One data file per measure: N, then median/min/max per contender (NaN where missing)."""
    path = f"{measure}.dat"
    with open(os.path.join(OUT, path), "w") as f:
        f.write("# N " + " ".join(f"{c}_med {c}_min {c}_max" for c in contenders) + "\n")
        for n in NS:
            cells = []
            for c in contenders:
                a = agg(c, n, measure)
                cells += ["NaN"] * 3 if a is None else [f"{a[0] * scale:.6g}", f"{a[1] * scale:.6g}", f"{a[2] * scale:.6g}"]
            f.write(f"{max(n, 0.5) if NS[0] == 0 else n} " + " ".join(cells) + "\n")
    return path


COLORS = ["#d62728", "#ff7f0e", "#8c564b", "#1f77b4", "#17becf", "#2ca02c", "#9467bd", "#e377c2", "#7f7f7f", "#bcbd22"]


def plot_vs_n(name, measures, ylabel, title, scale=1.0, logy=False):
    """measures: list of (measure, label suffix); one line per (contender, measure) with min-max error bars."""
    plots = []
    for k, (measure, suffix) in enumerate(measures):
        cs = [c for c in MAIN + TUNED if any((c, n, measure) in DATA for n in NS)]
        if not cs:
            continue
        dat = series_file(measure, cs, scale)
        for i, c in enumerate(cs):
            col = 2 + 3 * i
            # One colour per contender in every plot; one dash type per measure (solid, dashed, dotted).
            color = COLORS[(MAIN + TUNED).index(c) % len(COLORS)]
            plots.append(f"'{dat}' using 1:{col}:{col + 1}:{col + 2} with yerrorlines lc rgb '{color}' dt {k + 1} lw 1.5 "
                         f"pt {k + 5} title '{c}{suffix}'")
    if not plots:
        return None
    script = f"""set terminal pngcairo size 1200,700 noenhanced font ',10'
set output '{name}.png'
set title '{title}'
set xlabel 'rules / policies N (0 plotted at 0.5)'
set ylabel '{ylabel}'
set logscale x
set xrange [0.4:*]
{"set logscale y" if logy else "set yrange [0:*]"}
set key outside right top
set grid
plot {", ".join(plots)}
"""
    return f"{name}.png" if gnuplot(name, script) else None


def plot_pps():
    cs = [c for c in CONTENDERS if any(k[0] == c and k[2] == "pps" for k in DATA)]
    if not cs:
        return None
    path = os.path.join(OUT, "pps.dat")
    with open(path, "w") as f:
        f.write("# contender median_Mpps min max (N = smallest measured)\n")
        for c in cs:
            n = min(k[1] for k in DATA if k[0] == c and k[2] == "pps")
            a = agg(c, n, "pps")
            f.write(f"\"{c} (N={n})\" {a[0] / 1e6:.4f} {a[1] / 1e6:.4f} {a[2] / 1e6:.4f}\n")
    script = """set terminal pngcairo size 1200,600 noenhanced font ',10'
set output 'pps.png'
set title '64-byte UDP, packets per second at the sink (median, min-max)'
set ylabel 'Mpps'
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.6
set yrange [0:*]
set xtics rotate by -30
set grid y
plot 'pps.dat' using 2:3:4:xtic(1) title 'Mpps'
"""
    return "pps.png" if gnuplot("pps", script) else None


# ---- micro benchmarks -----------------------------------------------------------------------------------------
def micro_tables():
    files = sorted(glob.glob(os.path.join(OUT, "micro", "**", "*-report.csv"), recursive=True))
    if not files:
        return ""
    import time
    out = ["## Microbenchmarks (BenchmarkDotNet, `--job short`)", "",
           "Per suite: the method, its parameters, mean time and allocated bytes per operation. Suites under "
           "`micro/imported/` were not run by this study run: they were folded in with `--micro-from` from an earlier "
           "BenchmarkDotNet run on the same machine (date of the file given).", ""]
    for path in files:
        imported = os.sep + "imported" + os.sep in path
        rows = list(csv.DictReader(open(path), delimiter=","))
        if not rows:
            continue
        suite = os.path.basename(path).replace("-report.csv", "").split(".")[-1]
        skip = {"Method", "Job", "AnalyzeLaunchVariance", "EvaluateOverhead", "MaxAbsoluteError", "MaxRelativeError",
                "MinInvokeCount", "MinIterationTime", "OutlierMode", "Affinity", "EnvironmentVariables", "Jit",
                "LargeAddressAware", "Platform", "PowerPlanMode", "Runtime", "AllowVeryLargeObjects", "Concurrent",
                "CpuGroups", "Force", "HeapAffinitizeMask", "HeapCount", "NoAffinitize", "RetainVm", "Server",
                "Arguments", "BuildConfiguration", "Clock", "EngineFactory", "NuGetReferences", "Toolchain",
                "IsMutator", "InvocationCount", "IterationCount", "IterationTime", "LaunchCount", "MaxIterationCount",
                "MaxWarmupIterationCount", "MemoryRandomization", "MinIterationCount", "MinWarmupIterationCount",
                "RunStrategy", "UnrollFactor", "WarmupCount", "Error", "StdDev", "Median", "Ratio", "RatioSD",
                "Gen0", "Gen1", "Gen2", "Alloc Ratio", "Code Size", "Completed Work Items", "Lock Contentions",
                "Job", "Categories", "Baseline"}
        params = [k for k in rows[0].keys() if k not in skip and k not in ("Mean", "Allocated")]
        when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.path.getmtime(path)))
        out += [f"**{suite}**" + (f" (imported, {when})" if imported else " (this run)"), "", "| method | " + " | ".join(params) + " | mean | allocated |",
                "|---|" + "---|" * len(params) + "---:|---:|"]
        for r in rows:
            out.append(f"| {r.get('Method', '')} | " + " | ".join(r.get(p, "") for p in params)
                       + f" | {r.get('Mean', '')} | {r.get('Allocated', '')} |")
        out.append("")
    return "\n".join(out) + "\n"


# ---- findings ---------------------------------------------------------------------------------------------------
def ratio_line(measure, a, b, n, unit, scale=1.0, digits=2, higher_better=True):
    x, y = agg(a, n, measure), agg(b, n, measure)
    if not x or not y or y[0] == 0:
        return None
    r = x[0] / y[0]
    better = (r > 1) == higher_better
    return (f"N={n}: {a} {x[0] * scale:.{digits}f} {unit} vs {b} {y[0] * scale:.{digits}f} {unit}: "
            f"**{a if better else b} better** ({a}/{b} = {r:.2f})")


def findings():
    lines = []
    nmax = max(NS) if NS else 0
    nmin = min(NS) if NS else 0
    for measure, unit, scale, hb, label in [("tcp1_gbps", "Gbit/s", 1, True, "TCP 1 stream"),
                                            ("tcp4_gbps", "Gbit/s", 1, True, "TCP 4 streams"),
                                            ("pps", "Mpps", 1e-6, True, "64 B UDP pps"),
                                            ("rr_udp_p50_us", "us", 1, False, "UDP RR p50"),
                                            ("rr_udp_p99_us", "us", 1, False, "UDP RR p99")]:
        for a, b in [("kernel-bridge-iptables", "xdpnet-local"), ("kernel-vxlan-iptables", "xdpnet-vxlan")]:
            for n in sorted({nmin, nmax}):
                s = ratio_line(measure, a, b, n, unit, scale, 3 if scale != 1 else 2, hb)
                if s:
                    lines.append(f"- {label}: {s}")
    # Degradation with N, per contender: value at the largest N relative to N=0.
    deg = []
    for c in MAIN:
        for measure, label in [("pps", "pps"), ("tcp1_gbps", "TCP 1 stream"), ("rr_udp_p50_us", "UDP RR p50")]:
            a, b = agg(c, nmin, measure), agg(c, nmax, measure)
            if a and b and a[0]:
                deg.append(f"| {c} | {label} | {a[0]:.4g} | {b[0]:.4g} | {100 * (b[0] / a[0] - 1):+.0f}% |")
    return lines, deg


def headline_table():
    """One row per contender: the main measures at the smallest and the largest N (medians)."""
    if not NS:
        return []
    lo, hi = min(NS), max(NS)
    cols = [("tcp1_gbps", "TCP 1 stream Gbit/s", 1, 2), ("tcp4_gbps", "TCP 4 streams Gbit/s", 1, 2),
            ("pps", "64 B UDP Mpps", 1e-6, 3), ("rr_udp_p50_us", "UDP RR p50 µs", 1, 1), ("rr_udp_p99_us", "UDP RR p99 µs", 1, 0)]
    head = "| contender | " + " | ".join(f"{t} N={lo} | N={hi}" for _, t, _, _ in cols) + " |"
    out = [head, "|---|" + "---:|" * (2 * len(cols))]
    ceil = agg("gen-ceiling", 0, "pps")
    if ceil:
        out.append("| gen-ceiling | " + " | ".join(
            (f"{ceil[0] / 1e6:.3f} | –" if m == "pps" else "– | –") for m, _, _, _ in cols) + " |")
    for c in MAIN + TUNED:
        if not any(k[0] == c for k in DATA):
            continue
        cells = []
        for m, _, scale, d in cols:
            for n in (lo, hi):
                a = agg(c, n, m)
                cells.append("–" if a is None else f"{a[0] * scale:.{d}f}")
        out.append(f"| {c} | " + " | ".join(cells) + " |")
    return out + [""]


def med_over(contenders, measure):
    v = [x for (c, n, m), xs in DATA.items() if c in contenders and m == measure for x in xs]
    return statistics.median(v) if v else None


def notes():
    """Why the numbers are what they are: statements computed from this run's data."""
    out = ["### Reading the numbers", ""]
    xdp = [c for c in MAIN if c.startswith("xdpnet")]
    share, wait = med_over(xdp, "dp_cpu_pct"), med_over(xdp, "dp_runq_wait_pct")
    if share is not None and wait is not None and wait < 20:
        out.append(f"- **CPU.** During the pps runs the xdpnet process used a median {share:.0f}% of its core and waited "
                   f"for it {wait:.0f}% of the time (schedstat): the worker had its core to itself. xdpnet's figure "
                   "`dp_cpu_s_per_mpkt` is its own cost per million packets; the veth receive into the AF_XDP socket runs "
                   "in softirq on the sender's core and is in `cpu_s_per_mpkt` (both cores) only.")
    elif share is not None and wait is not None:
        out.append(f"- **CPU contention.** During the pps runs the xdpnet process got a median {share:.0f}% of a core "
                   f"and its threads were runnable but waiting for a CPU {wait:.0f}% of the time (schedstat): the worker, "
                   "an ordinary SCHED_OTHER thread, shares its core with the other jobs on this machine, and its RX ring "
                   "overflows while it waits (`rx_ring_full` in `stats/*.json`). The kernel's bridge, netfilter and VXLAN "
                   "work runs in softirq inside the sender's own system call and is not queued behind other tasks in the "
                   "same way. On a quiet machine `perf/e2e.sh` measured xdpnet at 0.87 Mpps (README); here it is "
                   "the figures below. A dedicated (isolated) core for the worker is the deployment this design assumes.")
    k, x = agg("kernel-bridge-iptables-nogso", 0, "tcp1_gbps"), agg("kernel-bridge-iptables", 0, "tcp1_gbps")
    xl = agg("xdpnet-local", 0, "tcp1_gbps")
    if k and x and xl:
        out.append(f"- **TCP: the kernel wins, by GSO/GRO and by more.** One stream at N=0: kernel bridge {x[0]:.2f} Gbit/s "
                   f"with TSO/GSO super-packets (64 KB per traversal of bridge and netfilter), {k[0]:.2f} Gbit/s with "
                   f"TSO/GSO off (per 1500-byte frame, xdpnet's situation), xdpnet-local {xl[0]:.2f} Gbit/s. An XDP "
                   "program on a veth takes TSO away from its peer, so every TCP segment through xdpnet is one frame, "
                   "copied twice (AF_XDP copy mode on veth: into the UMEM on receive, out of it in `sendto`).")
    m9, g = agg("kernel-bridge-iptables-mtu9000", 0, "rr_udp_p99_us"), agg("kernel-vxlan-iptables-gro", 0, "tcp1_gbps")
    kv = agg("kernel-vxlan-iptables", 0, "tcp1_gbps")
    kb = agg("kernel-bridge-iptables", 0, "tcp1_gbps")
    if g and kv and m9 is not None and kb:
        m9t = agg("kernel-bridge-iptables-mtu9000", 0, "tcp1_gbps")
        out.append(f"- **Tuned kernel cases** (TCP 1 stream, N=0): GRO on the VXLAN receiver {kv[0]:.2f} → {g[0]:.2f} Gbit/s; "
                   f"MTU 9000 on the bridge {kb[0]:.2f} → {m9t[0]:.2f} Gbit/s. On veth the sender's TSO/GSO already hands "
                   "64 KB segments through, so these knobs move the kernel less here than on real NICs.")
    kb0, kb1 = agg("kernel-bridge-iptables", min(NS), "pps"), agg("kernel-bridge-iptables", max(NS), "pps")
    xl0, xl1 = agg("xdpnet-local", min(NS), "pps"), agg("xdpnet-local", max(NS), "pps")
    if kb0 and kb1 and xl0 and xl1:
        out.append(f"- **Rule count.** 64-byte pps through the iptables bridge: {kb0[0] / 1e6:.3f} Mpps at N={min(NS)} → "
                   f"{kb1[0] / 1e6:.3f} at N={max(NS)} ({100 * (kb1[0] / kb0[0] - 1):+.0f}%): every packet walks the "
                   f"chain. xdpnet-local: {xl0[0] / 1e6:.3f} → {xl1[0] / 1e6:.3f} Mpps ({100 * (xl1[0] / xl0[0] - 1):+.0f}%): "
                   "the policy is compiled into a map looked up once per new flow (conntrack hits after that), so N "
                   "changes the load time, not the per-packet work. Single-repetition quick runs on a loaded machine "
                   "vary by tens of percent between neighbouring cells: read trends over N, not single cells.")
    out.append("- **Latency tails.** xdpnet's worker sleeps in `poll()` after ~2000 empty passes; a ping-pong wakes it "
               "for every request, so its p99/p99.9 include wake-up and, on this shared machine, run-queue waits. "
               "ILA's latency is measured with the Python tool (rr.py): compare it only with itself.")
    return out


def repetitions_section():
    """The smallest N's pps and single-stream TCP per repetition, in run order, with the load average the study logged
    after each repetition: on a shared machine the spread between repetitions is mostly other jobs, and this shows
    which repetitions they fell on."""
    per = PER_REP
    reps = sorted({k[3] for k in per})
    if len(reps) < 2:
        return []
    loads = {}
    log = os.path.join(OUT, "study.log")
    if os.path.exists(log):
        for line in open(log):
            m = re.search(r"\[study (\S+) .*repetition (\d+) of \d+ done(?: \(load average ([\d. ]+)\))?", line)
            if m:
                loads[int(m.group(2))] = f"{m.group(1)}" + (f", load {m.group(3).strip()}" if m.group(3) else "")
    out = ["## Repetitions in run order", "",
           "Each repetition visits every contender (repetitions are the outer loop). The smallest N of each contender; "
           "the row under the header is when the repetition ended (and the load average, where the study logged it).", ""]
    for measure, title, scale, digits in (("pps", "64-byte UDP, Mpps at the sink", 1e-6, 3), ("tcp1_gbps", "TCP 1 stream, Gbit/s", 1, 2)):
        cs = [c for c in MAIN + TUNED if any(k[0] == c and k[2] == measure for k in per)]
        if not cs:
            continue
        out += [f"**{title}**", "", "| contender | N | " + " | ".join(f"rep {r}" for r in reps) + " |",
                "|---|---:|" + "---:|" * len(reps),
                "| (ended) | | " + " | ".join(loads.get(r, "") for r in reps) + " |"]
        for c in cs:
            n = min(k[1] for k in per if k[0] == c and k[2] == measure)
            out.append(f"| {c} | {n} | " + " | ".join(
                f"{per[(c, n, measure, r)] * scale:.{digits}f}" if (c, n, measure, r) in per else "–" for r in reps) + " |")
        out.append("")
    return out


def controlplane_section():
    """Issue 7's control-plane figures (perf/study-results/controlplane.md), measured by their own commands, folded in
    so the benchmark report has them beside the data-plane figures; marked as not measured by this run."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "study-results", "controlplane.md")
    if not os.path.exists(path):
        return []
    out = ["## Control plane (imported: measured separately, not by this run)", "",
           f"From `perf/study-results/controlplane.md` (modified {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(os.path.getmtime(path)))}).", ""]
    for line in open(path).read().splitlines():
        if line.startswith("# "):
            continue
        out.append("#" + line if line.startswith("#") else line)
    return out + [""]


def main():
    write_summary()
    env = open(os.path.join(OUT, "env.txt")).read() if os.path.exists(os.path.join(OUT, "env.txt")) else ""
    failed = [l for l in open(os.path.join(OUT, "failed.txt")).read().splitlines() if l.strip()] \
        if os.path.exists(os.path.join(OUT, "failed.txt")) else []
    plots = [
        plot_vs_n("throughput", [("tcp1_gbps", ""), ("tcp4_gbps", " -P4")], "Gbit/s (iperf3 receiver)",
                  "TCP throughput vs rule count (median, min-max)"),
        plot_vs_n("latency", [("rr_udp_p50_us", " p50"), ("rr_udp_p99_us", " p99"), ("rr_udp_p999_us", " p99.9")],
                  "round trip, microseconds", "UDP request/response latency vs rule count", logy=True),
        plot_vs_n("pps_vs_n", [("pps", "")], "Mpps at the sink", "64-byte UDP pps vs rule count", scale=1e-6),
        plot_pps(),
    ]
    md = ["# XdpNet container-networking study", ""]
    md += ["Produced by `perf/study`. **The machine is shared with other jobs (builds, tests): numbers are noisy**; "
           "the load average at start and end is below. Every value is the median over the repetitions, with "
           "min–max in parentheses when there was more than one.", "", "```", env.strip(), "```", ""]
    md += ["## Contenders", "", "| contender | what |", "|---|---|"]
    md += [f"| {c} | {DESCRIPTION.get(c, '')} |" for c in CONTENDERS]
    md += ["", "Client/generator and server/sink processes are pinned to CPU_GEN; xdpnet's worker to CPU_DUT. "
           "On veth the kernel's forwarding (bridge, netfilter, VXLAN) runs in softirq on the sending CPU, so the "
           "kernel contenders use one core where xdpnet also uses its worker's core: compare the CPU columns.", ""]
    md += ["## Headline", ""]
    md += headline_table()
    lines, deg = findings()
    md += lines or ["(not enough data)"]
    md += ["", "Change from the smallest to the largest N (median):", "",
           "| contender | measure | smallest N | largest N | change |", "|---|---|---:|---:|---:|"] + deg + [""]
    md += notes() + [""]
    md += ["## Throughput and latency", ""]
    md.append(table("tcp1_gbps", "iperf3 TCP, 1 stream, Gbit/s"))
    md.append(table("tcp4_gbps", "iperf3 TCP, 4 streams (-P 4), Gbit/s"))
    md.append(table("tcp1_retransmits", "TCP 1 stream: retransmits", 0))
    md.append(table("tcp1_cpu_pct", "TCP 1 stream: CPU busy, % of one core (both cores summed)", 0))
    md.append(table("rr_udp_p50_us", "UDP request/response round trip p50, µs (sockperf; rr.py for IPv6)", 1))
    md.append(table("rr_udp_p99_us", "UDP request/response round trip p99, µs", 1))
    md.append(table("rr_udp_p999_us", "UDP request/response round trip p99.9, µs", 1))
    md.append(table("rr_tcp_p50_us", "TCP request/response round trip p50, µs (sockperf --tcp)", 1))
    md.append(table("rr_tcp_p99_us", "TCP request/response round trip p99, µs", 1))
    md += ["## Packets per second (64-byte UDP, xdpnet-loadgen)", ""]
    ceil = agg("gen-ceiling", 0, "pps")
    if ceil:
        md += [f"Generator ceiling (into a dropping sink on its veth peer, no data plane): **{ceil[0] / 1e6:.3f} Mpps**"
               f" ({ceil[3]} runs, {ceil[1] / 1e6:.3f}–{ceil[2] / 1e6:.3f}).", ""]
    md.append(table("pps", "Mpps at the sink", 3, 1e-6))
    md.append(table("offered_pps", "Mpps offered by the generator (it slows down when the kernel's forwarding shares its core)", 3, 1e-6))
    md.append(table("cpu_s_per_mpkt", "CPU seconds per million delivered packets, both cores (generator included)", 2))
    md.append(table("dp_cpu_s_per_mpkt", "xdpnet process CPU seconds per million delivered packets", 2))
    md.append(table("dp_cpu_pct", "Share of one core the xdpnet process(es) got while the generator ran, %", 0))
    md.append(table("dp_runq_wait_pct", "Time the xdpnet threads were runnable but waiting for a CPU (schedstat), % of the run (summed over threads)", 0))
    md.append(table("load_s", "Rule load time, seconds (iptables-restore / nft -f / xdpnet SIGHUP reload incl. compile)", 3))
    md += ["## Plots", ""] + [f"![{p}]({p})" for p in plots if p] + [""]
    md += ["## Offloads and MTU of every case", "", "From `offloads.csv` (ethtool -k, at set-up time):", "",
           "| contender | ns | interface | MTU | GRO | GSO | TSO | tx csum |", "|---|---|---|---:|---|---|---|---|"]
    if os.path.exists(os.path.join(OUT, "offloads.csv")):
        for r in csv.DictReader(open(os.path.join(OUT, "offloads.csv"))):
            md.append(f"| {r['contender']} | {r['namespace']} | {r['interface']} | {r['mtu']} | {r['gro']} | {r['gso']} | {r['tso']} | {r['tx_checksum']} |")
    md.append("")
    md.append("With an XDP program attached to a veth (xdpnet's interfaces, the pps sink), the kernel takes TSO/GSO away "
              "from its peer: TCP through xdpnet is carried as 1514-byte frames (1450 in the overlays), while the kernel's "
              "bridge passes 64 KB TSO super-packets through whole. The pps runs turn GRO on on the kernel bridge port "
              "that receives the generator's XDP frames (they reach the stack only through NAPI) and off again after.")
    md.append("")
    if failed:
        md += ["## Failures", ""] + [f"- {f}" for f in failed] + [""]
    md += repetitions_section()
    md.append(micro_tables())
    md += controlplane_section()
    with open(os.path.join(OUT, "report.md"), "w") as f:
        f.write("\n".join(md))


main()
