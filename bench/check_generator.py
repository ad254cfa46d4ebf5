#!/usr/bin/env python3
"""Is nestcache-bench the bottleneck? Drive one memcached with it and with memcaslap.

Starts memcached 1.6.18 (-t 2 by default) on a free 127.0.0.1 port and runs the same load
from both generators, alternating, several rounds: 16-byte keys, 100-byte values, 1:9
set:get, 50 connections without pipelining (memcaslap cannot pipeline), the generator on 1
and on 2 threads. Prints the median ops/s of each and the server's CPU use (cores busy), which
is how hard each generator drives the server.

Python 3 standard library only; memcached is stopped on the way out.
"""

import argparse
import os
import pathlib
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from compare import MEMCASLAP_CONFIG, Server, cpu_seconds, free_port  # noqa: E402


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(server, argv, timeout):
    """Runs argv; returns (stdout, server cores busy, generator cores busy) over the run."""
    before, own, start = cpu_seconds(server.proc.pid), children_cpu(), time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    wall = time.monotonic() - start
    busy = (cpu_seconds(server.proc.pid) - before) / wall
    generator = (children_cpu() - own) / wall
    server.check_alive()
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}: {done.stderr}")
    return done.stdout, busy, generator


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default="build/bench/nestcache-bench")
    ap.add_argument("--memcached", default=shutil.which("memcached") or "/usr/bin/memcached")
    ap.add_argument("--memcaslap", default=shutil.which("memcaslap") or "/usr/bin/memcaslap")
    ap.add_argument("-t", "--threads", type=int, default=2, help="memcached -t")
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=5, help="seconds per run")
    args = ap.parse_args()

    port = free_port()
    argv = [args.memcached, "-t", str(args.threads), "-p", str(port), "-l", "127.0.0.1"]
    if os.geteuid() == 0:
        argv += ["-u", "root"]
    conns = str(args.connections)
    # memcaslap: -w keys per connection, so that the key space is 100k as for the bench.
    window = f"{max(1, 100 // args.connections)}k"
    results = {}
    with tempfile.NamedTemporaryFile("w", suffix=".cnf") as config:
        config.write(MEMCASLAP_CONFIG)
        config.flush()
        memcached = Server("memcached", argv, port)
        try:
            subprocess.run([args.bench, "--server", f"127.0.0.1:{port}", "--prefill", "only"],
                           check=True, capture_output=True, timeout=120)
            generators = []
            for threads in ("1", "2"):
                generators.append((f"memcaslap -T {threads}", [
                    args.memcaslap, "-s", f"127.0.0.1:{port}", "-T", threads, "-c", conns,
                    "-w", window, "-t", f"{args.duration}s", "-F", config.name]))
                generators.append((f"nestcache-bench -T {threads}", [
                    args.bench, "--server", f"127.0.0.1:{port}", "-T", threads, "-c", conns,
                    "--prefill", "off", "--warmup", "0", "--duration", str(args.duration)]))
            print(f"memcached: {' '.join(argv)}; {args.rounds} rounds of {args.duration} s, "
                  f"{conns} connections, 1:9 set:get, 16 B keys, 100 B values")
            for i in range(args.rounds):
                for name, command in generators[i % 2:] + generators[:i % 2]:
                    out, busy, own = timed(memcached, command, args.duration + 60)
                    match = re.search(r"TPS: (\d+)", out) or re.search(r"ops/s\s+(\d+)", out)
                    if not match:
                        raise RuntimeError(f"{name}: no ops/s in its output:\n{out}")
                    results.setdefault(name, []).append((float(match.group(1)), busy, own))
        finally:
            memcached.stop()
    print(f"{'generator':22} {'median ops/s':>12} {'server cores':>12} {'generator cores':>15}"
          f" {'generator us/op':>15}   ops/s per round")
    for name, runs in results.items():
        ops = statistics.median(r[0] for r in runs)
        busy = statistics.median(r[1] for r in runs)
        own = statistics.median(r[2] for r in runs)
        per_op = statistics.median(r[2] / r[0] * 1e6 for r in runs)
        rounds = " ".join(f"{r[0]:.0f}" for r in runs)
        print(f"{name:22} {ops:12.0f} {busy:12.2f} {own:15.2f} {per_op:15.2f}   {rounds}")


if __name__ == "__main__":
    main()
