#!/usr/bin/python3
"""The journal's CPU per pipelined set, for several builds in one run.

    python3 bench/journal_ab.py NEW [OLD ...]   # e.g. build/nestcached /tmp/nestcached-before

Servers: NEW without --data-dir ("plain"), then each build with `--data-dir` (everysec,
automatic snapshots off), all `-t 2`. Each round starts every server in turn (order reversed on
odd rounds), stores the key space, and measures 1:0 sets of 100 B from 20 connections x pipeline
16 for --duration seconds: server CPU per set (utime+stime of /proc/PID/stat across the run, the
fdatasync thread included) and ops/s. Prints the medians and each build's ratio to plain.

Why apart from durability_bench.py: that script compares one build with itself, and its figure
moves +-10% from run to run on this VM; the effect of a change to the journal is only seen with
both builds measured in the same minutes. --dir picks where the journals go (default
$TMPDIR or /tmp; a tmpfs is allowed here: it takes the disk out of the comparison).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile

from server_process import Server, free_port


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_run(binary, journal_dir, args):
    port = free_port()
    argv = [binary, "-p", str(port), "-t", "2"]
    if journal_dir is not None:
        argv += ["--data-dir", journal_dir, "--snapshot-min-journal-mb", "0"]
    server = Server(os.path.basename(binary), argv, port)
    try:
        target = ["-s", f"127.0.0.1:{port}", "-V", "100"]
        subprocess.run([args.bench, *target, "--prefill", "only"], check=True,
                       capture_output=True)
        before = cpu_seconds(server.proc.pid)
        out = subprocess.run([args.bench, *target, "-c", "20", "-P", "16", "-r", "1:0", "-d",
                              str(args.duration), "--warmup", "0", "--prefill", "off", "--json"],
                             check=True, capture_output=True, text=True).stdout
        spent = cpu_seconds(server.proc.pid) - before
        server.check_alive()
    finally:
        server.stop()
        if journal_dir is not None:
            shutil.rmtree(journal_dir, ignore_errors=True)
    ops = json.loads(out)["ops"]
    return spent * 1e6 / ops, ops / args.duration


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("builds", nargs="+", help="nestcached binaries; the first is also plain")
    parser.add_argument("--bench", default="build/bench/nestcache-bench")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--dir", default=os.environ.get("TMPDIR", "/tmp"))
    args = parser.parse_args()

    configs = [("plain", args.builds[0], False)]
    configs += [(f"journal {b}", b, True) for b in args.builds]
    results = {name: [] for name, _, _ in configs}
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="journal-ab-") as root:
        for r in range(args.rounds):
            for i, (name, binary, journaled) in enumerate(configs if r % 2 == 0 else configs[::-1]):
                journal = os.path.join(root, f"{r}-{i}") if journaled else None
                results[name].append(one_run(binary, journal, args))
    plain_cpu = statistics.median(c for c, _ in results["plain"])
    plain_ops = statistics.median(o for _, o in results["plain"])
    for name, runs in results.items():
        cpu = statistics.median(c for c, _ in runs)
        ops = statistics.median(o for _, o in runs)
        rounds = " ".join(f"{c:.2f}" for c, _ in runs)
        print(f"{name:40s} CPU/set {cpu:.3f} us ({cpu / plain_cpu:.3f}x)  "
              f"ops/s {ops:9.0f} ({ops / plain_ops:.3f}x)  rounds: {rounds}")


if __name__ == "__main__":
    main()
