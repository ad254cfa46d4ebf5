#!/usr/bin/env python3
"""nestcached against memcached 1.6.18 under the same load (issue 5's goal).

Starts one memcached and one nestcached with the same -t on free 127.0.0.1 ports, prefills
both, then runs each scenario several rounds, alternating which server goes first, and prints
ratios of medians (nestcached / memcached):

  ops/s            higher is better   goal >= 1.0
  server CPU / op  lower is better    goal <= 1.0   (utime+stime deltas of /proc/PID/stat)
  p99 latency      lower is better    goal <= 1.1

Scenarios a and b run twice: closed loop (each connection sends when its reply is in, so the
faster server is offered more), then at one fixed offered load for both, 0.7x the slower
server's closed-loop ops/s (--equal-load), where p99 and CPU/op compare like for like.

plus, on nestcached alone: the server CPU of a getn at depth 4 against a flat get (goal
<= 1.1), and a 100k-node subtree delete under load: its reply latency (goal < 1 ms) and the p99
of concurrent gets with the deletes against the same load without them (goal <= 1.1).

With --baseline BIN, a second nestcached (an earlier build) runs beside them in the same rounds,
and every a, b and getn figure is also given as this build / the baseline, with the goal of a
change that must not move the figures: within 3%.

Python 3 standard library only. Every server it starts is stopped on the way out.
"""

import argparse
import json
import os
import pathlib
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import Server, free_port  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")

# name -> (nestcache-bench arguments, goal text); the two load shapes.
LOAD_SCENARIOS = {
    "a": (["-c", "50", "-P", "1"], "50 connections, no pipelining"),
    "b": (["-c", "20", "-P", "16"], "20 connections, pipeline 16"),
}


def cpu_seconds(pid):
    """utime + stime of the whole process (all threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


class Bench:
    def __init__(self, path, args):
        self.path, self.args = path, args

    def run(self, server, extra, measure_cpu=True):
        """One bench run against `server`; returns its JSON plus server CPU per reply."""
        argv = [str(self.path), "--server", f"127.0.0.1:{server.port}", "--json",
                "--duration", str(self.args.duration), "--warmup", str(self.args.warmup),
                "-T", str(self.args.bench_threads)] + extra
        before = cpu_seconds(server.proc.pid)
        limit = self.args.duration + self.args.warmup + 60
        done = subprocess.run(argv, capture_output=True, text=True, timeout=limit)
        after = cpu_seconds(server.proc.pid)
        server.check_alive()
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr}")
        result = json.loads(done.stdout)
        if measure_cpu and result["replies_all"] > 0:
            # Warm-up replies are in replies_all as the CPU spent on them is in the delta.
            result["cpu_us_per_op"] = (after - before) * 1e6 / result["replies_all"]
        if result["errors"] or result["disconnects"]:
            print(f"  warning: {server.name}: {result['errors']} errors, "
                  f"{result['disconnects']} disconnects", file=sys.stderr)
        return result

    def prefill(self, server, extra):
        argv = [str(self.path), "--server", f"127.0.0.1:{server.port}", "--prefill", "only"]
        subprocess.run(argv + extra, check=True, capture_output=True, timeout=120)


def median_of(runs, key):
    values = [key(r) for r in runs]
    return statistics.median(values), values


def fmt_values(values, unit_fmt):
    return " ".join(unit_fmt.format(v) for v in values)


def verdict(ratio, goal, higher_is_better):
    ok = ratio >= goal if higher_is_better else ratio <= goal
    return f"{'meets' if ok else 'MISSES'} goal {'>=' if higher_is_better else '<='} {goal}"


METRICS = [
    # label, getter, format, goal, higher is better
    ("ops/s", lambda r: r["ops_per_sec"], "{:.0f}", 1.0, True),
    ("server CPU us/op", lambda r: r["cpu_us_per_op"], "{:.2f}", 1.0, False),
    ("p99 us", lambda r: r["latency_us"]["p99"], "{:.0f}", 1.1, False),
]


# At an offered rate both servers serve the same ops/s by construction: no goal on it.
AT_RATE_METRICS = [(m[0], m[1], m[2], None, m[4]) if m[0] == "ops/s" else m for m in METRICS]

# This build against --baseline: a change that must not move the figures, within 3%.
SAME_AS_BASELINE = {"ops/s": 0.97, "server CPU us/op": 1.03, "p99 us": 1.03}


def against_baseline(metrics):
    return [(m[0], m[1], m[2], SAME_AS_BASELINE[m[0]] if m[3] else None, m[4]) for m in metrics]


def compare_pair(label, runs_a, runs_b, name_a, name_b, metrics, report):
    """Prints medians and ratio b/a for each metric; returns {metric: ratio}."""
    print(f"\n== {label}")
    ratios = {}
    for metric, get, unit_fmt, goal, higher in metrics:
        med_a, vals_a = median_of(runs_a, get)
        med_b, vals_b = median_of(runs_b, get)
        ratio = med_b / med_a if med_a else float("nan")
        ratios[metric] = ratio
        print(f"  {metric:17} {name_a} {unit_fmt.format(med_a):>9}  {name_b} "
              f"{unit_fmt.format(med_b):>9}  ratio {ratio:5.3f}  "
              f"{verdict(ratio, goal, higher) if goal else ''}")
        print(f"  {'':17} rounds {name_a}: {fmt_values(vals_a, unit_fmt)} | "
              f"{name_b}: {fmt_values(vals_b, unit_fmt)}")
    report[label] = {"ratios": ratios, name_a: runs_a, name_b: runs_b}
    return ratios


def alternate(rounds, runners):
    """Runs each (name, fn) once per round, rotating who goes first; returns name -> [results]."""
    results = {name: [] for name, _ in runners}
    for i in range(rounds):
        order = runners[i % len(runners):] + runners[:i % len(runners)]
        for name, fn in order:
            results[name].append(fn())
    return results


def scenario_load(name, bench, memcached, nestcached, baseline, args, report):
    extra, text = LOAD_SCENARIOS[name]
    extra = extra + ["-k", str(args.keys), "-V", str(args.value_size), "-r", args.ratio,
                     "--prefill", "off"]
    if args.rate:
        extra += ["--rate", str(args.rate)]
        text += f", {args.rate:.0f} requests/s offered"
    def both(argv):
        runners = [("memcached", lambda: bench.run(memcached, argv)),
                   ("nestcached", lambda: bench.run(nestcached, argv))]
        if baseline:
            runners.append(("baseline", lambda: bench.run(baseline, argv)))
        return alternate(args.rounds, runners)

    def report_pairs(label, res, metrics):
        compare_pair(f"{label}: nestcached / memcached", res["memcached"], res["nestcached"],
                     "memcached", "nestcached", metrics, report)
        if baseline:
            compare_pair(f"{label}: nestcached / baseline", res["baseline"], res["nestcached"],
                         "baseline", "nestcached", against_baseline(metrics), report)

    res = both(extra)
    report_pairs(f"({name}) flat {args.ratio} set:get, {text}", res,
                 AT_RATE_METRICS if args.rate else METRICS)
    if args.rate or not args.equal_load:
        return
    # Closed loop, the server that answers faster is offered more requests, and with the
    # generator on the same cores both p99s sit at a scheduler tick (bench/README.md, "p99
    # without pipelining"). So latency is also compared at one offered load both servers carry.
    slower = min(statistics.median(r["ops_per_sec"] for r in runs) for runs in res.values())
    rate = round(args.equal_load * slower, -3)
    res = both(extra + ["--rate", str(rate)])
    report_pairs(f"({name}) the same, {rate:.0f} requests/s offered to each ({args.equal_load} x "
                 f"the slowest one's ops/s above)", res, AT_RATE_METRICS)


def scenario_getn(bench, nestcached, baseline, args, report):
    servers = [("", nestcached)] + ([("baseline ", baseline)] if baseline else [])
    for _, server in servers:
        bench.prefill(server, ["-w", "getn", "--depth", "4", "-k", str(args.keys),
                               "-V", str(args.value_size)])
    for name in ("a", "b"):
        extra, text = LOAD_SCENARIOS[name]
        common = extra + ["-k", str(args.keys), "-V", str(args.value_size), "--prefill", "off"]
        runners = []
        for prefix, server in servers:
            runners += [
                (prefix + "get",
                 lambda s=server: bench.run(s, common + ["-w", "flat", "-r", "0:1"])),
                (prefix + "getn4",
                 lambda s=server: bench.run(s, common + ["-w", "getn", "--depth", "4"])),
            ]
        res = alternate(args.rounds, runners)
        metrics = [("server CPU us/op", METRICS[1][1], "{:.2f}", 1.1, False),
                   ("ops/s", METRICS[0][1], "{:.0f}", None, True)]
        compare_pair(f"(getn) nestcached, reads only, {text}: getn depth 4 / flat get",
                     res["get"], res["getn4"], "get", "getn4", metrics, report)
        if baseline:
            for kind in ("get", "getn4"):
                compare_pair(f"(getn) {kind}, reads only, {text}: nestcached / baseline",
                             res["baseline " + kind], res[kind], "baseline", "nestcached",
                             against_baseline(metrics), report)


def scenario_delete(bench, nestcached, args, report):
    # Gets on other keys, light enough that the machine is not saturated by them alone.
    common = ["-c", str(args.delete_connections), "-P", "1", "-k", str(args.keys),
              "-V", str(args.value_size), "-r", "0:1", "--prefill", "off"]
    churn = ["-w", "subtree-delete", "--subtree-nodes", str(args.subtree_nodes),
             "--churn-period", str(args.churn_period)]
    res = alternate(args.rounds, [
        ("quiet", lambda: bench.run(nestcached, common + ["-w", "flat"])),
        ("no_delete", lambda: bench.run(nestcached, common + churn + ["--no-delete"])),
        ("delete", lambda: bench.run(nestcached, common + churn)),
    ])
    print(f"\n== (delete) nestcached, subtree of {args.subtree_nodes} nodes built every "
          f"{args.churn_period} s, {args.delete_connections} connections of gets on other keys")
    deletes = res["delete"]
    p50s = [r["subtree"]["delete_us"]["p50"] for r in deletes]
    p99s = [r["subtree"]["delete_us"]["p99"] for r in deletes]
    maxes = [r["subtree"]["delete_us"]["max"] for r in deletes]
    count = sum(r["subtree"]["deletes"] for r in deletes)
    builds = [r["subtree"]["build_us"]["p50"] / 1000 for r in deletes]
    p50 = statistics.median(p50s)
    print(f"  delete reply      {count} deletes: median p50 {p50:.0f} us "
          f"({'meets' if p50 < 1000 else 'MISSES'} goal < 1000 us), median p99 "
          f"{statistics.median(p99s):.0f} us, worst {max(maxes):.0f} us "
          f"({'meets' if max(maxes) < 1000 else 'MISSES'} goal < 1000 us for every delete)")
    print(f"  {'':17} per round p50: {fmt_values(p50s, '{:.0f}')}; max: "
          f"{fmt_values(maxes, '{:.0f}')}; build median {statistics.median(builds):.0f} ms")
    p99 = {k: statistics.median(r["latency_us"]["p99"] for r in v) for k, v in res.items()}
    ratio = p99["delete"] / p99["no_delete"]
    print(f"  gets p99 us       quiet {p99['quiet']:.0f}  building, no deletes "
          f"{p99['no_delete']:.0f}  building + deletes {p99['delete']:.0f}")
    print(f"  {'':17} rounds: " + " | ".join(
        f"{k}: {fmt_values([r['latency_us']['p99'] for r in v], '{:.0f}')}"
        for k, v in res.items()))
    print(f"  p99 ratio         with / without deletes {ratio:5.3f}  "
          f"{verdict(ratio, 1.1, False)}; with deletes / quiet {p99['delete'] / p99['quiet']:.3f}")
    report["delete"] = {"p99_ratio": ratio, "runs": res}


# memcaslap -F: 16-byte keys, 100-byte values, set 0.1 / get 0.9 (check_generator.py too).
MEMCASLAP_CONFIG = "key\n16 16 1\nvalue\n100 100 1\ncmd\n0 0.1\n1 0.9\n"


def memcaslap_run(server, args, config):
    """One memcaslap run (libmemcached-tools: a generator nobody here wrote) against `server`:
    50 connections without pipelining, 16-byte keys, 100-byte values, set 0.1 / get 0.9."""
    window = f"{max(1, args.keys // 1000 // 50)}k"  # keys per connection: the same key space
    argv = [args.memcaslap, "-s", f"127.0.0.1:{server.port}", "-T", str(args.bench_threads),
            "-c", "50", "-w", window, "-t", f"{int(args.duration)}s", "-F", config]
    stats_before = server.stats()
    before = cpu_seconds(server.proc.pid)
    done = subprocess.run(argv, capture_output=True, text=True, timeout=args.duration + 60)
    after = cpu_seconds(server.proc.pid)
    server.check_alive()
    stats_after = server.stats()
    match = re.search(r"Ops: (\d+) TPS: (\d+)", done.stdout)
    if done.returncode != 0 or not match:
        raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}: {done.stdout[-500:]}")
    ops, tps = int(match.group(1)), int(match.group(2))
    # memcaslap does not count error replies: check with the server that the ops were served.
    served = sum(int(stats_after[k]) - int(stats_before[k]) for k in ("cmd_get", "cmd_set"))
    hits = int(stats_after["get_hits"]) - int(stats_before["get_hits"])
    gets = int(stats_after["cmd_get"]) - int(stats_before["cmd_get"])
    if served < 0.95 * ops or hits < 0.95 * gets:
        raise RuntimeError(f"{server.name}: memcaslap counted {ops} ops but the server served "
                           f"{served} ({hits} hits of {gets} gets)")
    return {"ops_per_sec": tps, "cpu_us_per_op": (after - before) * 1e6 / max(ops, 1)}


def scenario_memcaslap(memcached, nestcached_argv, args, report):
    """Case (a) driven by memcaslap. memcaslap's keys hold control bytes, which memcached takes as
    key bytes; so does nestcached in --compat (plain clients unchanged), while nested mode refuses
    them as segments. So this drives its own `nestcached --compat` (`nestcached_argv(port)`: the
    command line of a nestcached), on a fresh port."""
    if not args.memcaslap or not pathlib.Path(args.memcaslap).exists():
        sys.exit("compare.py: memcaslap not found (Debian: libmemcached-tools)")
    port = free_port()
    nestcached = Server("nestcached --compat", nestcached_argv(port) + ["--compat"], port)
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".cnf") as config:
            config.write(MEMCASLAP_CONFIG)
            config.flush()
            res = alternate(args.rounds, [
                ("memcached", lambda: memcaslap_run(memcached, args, config.name)),
                ("nestcached", lambda: memcaslap_run(nestcached, args, config.name)),
            ])
    finally:
        nestcached.stop()
    # memcaslap reports no percentiles (only a power-of-two histogram): ops/s and CPU only.
    compare_pair("(memcaslap) flat 1:9 set:get, 50 connections, no pipelining, memcaslap as the "
                 "generator: nestcached / memcached", res["memcached"], res["nestcached"],
                 "memcached", "nestcached", METRICS[:2], report)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nestcached", default="build/nestcached")
    ap.add_argument("--baseline", help="an earlier nestcached build to run beside it, for "
                                       "before/after ratios (scenarios a, b, getn)")
    ap.add_argument("--memcached", default=shutil.which("memcached") or "/usr/bin/memcached")
    ap.add_argument("--bench", help="nestcache-bench (default: bench/nestcache-bench beside "
                                    "the nestcached binary's build directory)")
    ap.add_argument("-t", "--threads", type=int, default=2, help="server threads, both servers")
    ap.add_argument("--bench-threads", type=int, default=1, help="nestcache-bench -T")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--duration", type=float, default=3, help="seconds measured per run")
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--keys", type=int, default=100000)
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--ratio", default="1:9")
    ap.add_argument("--rate", type=float, default=0,
                    help="a and b: offer this many requests/s on a fixed schedule (the same load "
                         "for both servers: compares latency at equal ops/s) instead of as many "
                         "as the servers answer")
    ap.add_argument("--equal-load", type=float, default=0.7, metavar="FRACTION",
                    help="a and b without --rate: also run each at FRACTION of the slower "
                         "server's closed-loop ops/s, offered to both (p99 at equal load); 0: "
                         "closed loop only")
    ap.add_argument("--subtree-nodes", type=int, default=100000)
    ap.add_argument("--churn-period", type=float, default=1.0)
    ap.add_argument("--delete-connections", type=int, default=20)
    ap.add_argument("--memcaslap", default=shutil.which("memcaslap") or "/usr/bin/memcaslap")
    ap.add_argument("--scenarios", default="a,b,getn,delete",
                    help="comma list of a, b, getn, delete, memcaslap (case a's shape driven "
                         "by memcaslap, the independent generator)")
    ap.add_argument("--json-out", help="write every run's figures here")
    ap.add_argument("--nestcached-env", action="append", default=[], metavar="NAME=VALUE",
                    help="extra environment for nestcached only (e.g. GLIBC_TUNABLES=...)")
    args = ap.parse_args()

    nestcached = pathlib.Path(args.nestcached).resolve()
    baseline_path = pathlib.Path(args.baseline).resolve() if args.baseline else None
    bench_path = pathlib.Path(args.bench) if args.bench else \
        nestcached.parent / "bench" / "nestcache-bench"
    for path in [nestcached, bench_path, pathlib.Path(args.memcached)] + \
            ([baseline_path] if baseline_path else []):
        if not path.exists():
            sys.exit(f"compare.py: {path} not found (build nestcached and nestcache-bench first)")
    scenarios = [s for s in args.scenarios.split(",") if s]
    bench = Bench(bench_path, args)

    mc_port, nc_port = free_port(), free_port()
    mc_argv = [args.memcached, "-t", str(args.threads), "-p", str(mc_port), "-l", "127.0.0.1",
               "-U", "0"]
    if os.geteuid() == 0:
        mc_argv += ["-u", "root"]
    def nestcached_argv(port):
        return [str(nestcached), "-t", str(args.threads), "-p", str(port), "-l", "127.0.0.1"]

    nc_argv = nestcached_argv(nc_port)
    servers = []
    report = {"args": vars(args)}
    started = time.monotonic()
    try:
        memcached = Server("memcached", mc_argv, mc_port)
        servers.append(memcached)
        nc_env = dict(os.environ)
        nc_env.update(item.split("=", 1) for item in args.nestcached_env)
        nestcached_server = Server("nestcached", nc_argv, nc_port, nc_env)
        servers.append(nestcached_server)
        baseline = None
        if baseline_path:
            bl_port = free_port()
            bl_argv = [str(baseline_path)] + nestcached_argv(bl_port)[1:]
            baseline = Server("baseline", bl_argv, bl_port, nc_env)
            servers.append(baseline)
            print(f"baseline  : {' '.join(bl_argv)}")
        print(f"memcached : {' '.join(mc_argv)}\nnestcached: "
              f"{' '.join(args.nestcached_env + nc_argv)}\n"
              f"bench     : {bench_path} -T {args.bench_threads}, {args.rounds} rounds of "
              f"{args.warmup}+{args.duration} s, order alternating")
        flat = ["-k", str(args.keys), "-V", str(args.value_size)]
        for server in servers:
            bench.prefill(server, flat)
        for name in scenarios:
            if name in LOAD_SCENARIOS:
                scenario_load(name, bench, memcached, nestcached_server, baseline, args, report)
            elif name == "getn":
                scenario_getn(bench, nestcached_server, baseline, args, report)
            elif name == "delete":
                scenario_delete(bench, nestcached_server, args, report)
            elif name == "memcaslap":
                scenario_memcaslap(memcached, nestcached_argv, args, report)
            else:
                sys.exit(f"compare.py: unknown scenario {name}")
            sys.stdout.flush()
    finally:
        for server in servers:
            server.stop()
    print(f"\n({time.monotonic() - started:.0f} s in all)")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
