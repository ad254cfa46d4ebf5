#!/usr/bin/python3
"""Instructions per request of nestcached under callgrind, for one binary or a before/after pair.

Automates the callgrind recipe of bench/README.md ("getn at depth 4"). For each scenario and
each nestcached binary, on a fresh server:

  valgrind --tool=callgrind --instr-atstart=no nestcached -t 2 -p PORT -l 127.0.0.1
  nestcache-bench ... --prefill only           (instrumentation off)
  callgrind_control -z PID; callgrind_control -i on PID
  nestcache-bench ... --prefill off --warmup 0 -d DURATION --json
  callgrind_control -d PID
  instructions per request = the dump's "summary:" Ir / the run's replies_all

then the server is stopped and its dumps deleted. Scenarios (100 000 keys, 100-byte values,
the bench's --seed 1, i.e. the same keys in the same order every run):

  get-p1,   get-p16     flat get, reads only (-r 0:1)
  getn4-p1, getn4-p16   getn at depth 4, reads only (prefilled with -w getn --depth 4)
  set-p1,   set-p16     flat set, writes only (-r 1:0), overwriting the prefilled keys
  -p1: -c 50 -P 1 (no pipelining); -p16: -c 20 -P 16 (pipelined)

With two or more binaries they run alternately within each scenario (the order rotates from
one scenario to the next), and the table gives each one's instructions per request and its
ratio to the first binary's, flagged when outside +-TOLERANCE% (default 3). Before the table,
the first scenario is run twice on the first binary: how far two runs of the same binary land
apart is the noise floor (--repeat N runs every cell N times and reports the median and range).

  bench/callgrind_ops.py --before OLD/nestcached --after NEW/nestcached --bench OLD/nestcache-bench

Python 3 standard library only; needs valgrind (callgrind_control). Linux only.
"""

import argparse
import glob
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Bench, alternate  # noqa: E402
from server_process import Server, free_port  # noqa: E402

SHAPES = {"p1": ["-c", "50", "-P", "1"], "p16": ["-c", "20", "-P", "16"]}
# workload family -> (prefill arguments, run arguments)
FAMILIES = {
    "get": (["-w", "flat"], ["-w", "flat", "-r", "0:1"]),
    "getn4": (["-w", "getn", "--depth", "4"], ["-w", "getn", "--depth", "4", "-r", "0:1"]),
    "set": (["-w", "flat"], ["-w", "flat", "-r", "1:0"]),
    "set4": (["-w", "getn", "--depth", "4"], ["-w", "getn", "--depth", "4", "-r", "1:0"]),
}
SCENARIOS = [f"{family}-{shape}" for family in FAMILIES for shape in SHAPES]
SEED = "1"  # nestcache-bench's default, passed explicitly so that it stays fixed


def scenario_args(name, args):
    family, shape = name.rsplit("-", 1)
    prefill, run = FAMILIES[family]
    common = ["-k", str(args.keys), "-V", str(args.value_size), "--seed", SEED]
    return prefill + common, run + SHAPES[shape] + common


def callgrind_control(pid, *options):
    argv = ["callgrind_control", *options, str(pid)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {done.returncode}: "
                           f"{done.stdout[-300:]} {done.stderr[-300:]}")


def dump_total(path):
    """The Ir total of one callgrind dump ('summary:' line, else 'totals:'); None if unfinished."""
    found = {}
    with open(path, errors="replace") as f:
        for line in f:
            for key in ("summary:", "totals:"):
                if line.startswith(key):
                    found[key] = int(line.split()[1])
    return found.get("summary:", found.get("totals:"))


def wait_for_dump(outdir, before, timeout=120):
    """The dump file that appeared in `outdir` since the set `before`, once it is complete."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = sorted(set(glob.glob(os.path.join(outdir, "cg.*"))) - before)
        for path in new:
            total = dump_total(path)
            if total is not None:
                return path, total
        time.sleep(0.1)
    raise RuntimeError(f"no finished callgrind dump in {outdir} after {timeout} s")


def served_commands(server):
    """cmd_get + cmd_set from the server's stats (a cross-check only; None if unavailable)."""
    try:
        stats = server.stats()
        return int(stats["cmd_get"]) + int(stats["cmd_set"])
    except (OSError, KeyError, ValueError):
        return None


def measure(nestcached, scenario, bench, args):
    """One fresh server under callgrind, one scenario: returns a dict with instr_per_req."""
    prefill, run = scenario_args(scenario, args)
    outdir = tempfile.mkdtemp(prefix="callgrind_ops.")
    port = free_port()
    argv = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={outdir}/cg.%p", str(nestcached),
            "-t", str(args.threads), "-p", str(port), "-l", "127.0.0.1"]
    started = time.monotonic()
    server = None
    try:
        server = Server(f"{nestcached} (callgrind)", argv, port, start_timeout=120)
        pid = server.proc.pid  # valgrind runs the client in its own process
        bench.prefill(server, prefill)
        served_before = served_commands(server)
        callgrind_control(pid, "-z")
        callgrind_control(pid, "-i", "on")
        result = bench.run(server, run + ["--prefill", "off"], measure_cpu=False)
        existing = set(glob.glob(os.path.join(outdir, "cg.*")))
        callgrind_control(pid, "-d")
        dump, instructions = wait_for_dump(outdir, existing)
        served_after = served_commands(server)
        served = None if None in (served_before, served_after) else served_after - served_before
        server.check_alive()
    finally:
        if server is not None:
            server.stop(timeout=60)
            # vgdb's FIFOs go with a clean exit; a killed valgrind leaves them behind.
            for leftover in glob.glob(f"{tempfile.gettempdir()}/vgdb-pipe-*-{server.proc.pid}-*"):
                os.unlink(leftover)
        if not os.environ.get("CALLGRIND_KEEP"):  # set: keep the dumps for callgrind_annotate
            shutil.rmtree(outdir, ignore_errors=True)
    replies = result["replies_all"]
    if replies <= 0:
        raise RuntimeError(f"{scenario}: no replies measured")
    if result["errors"] or result["disconnects"]:
        raise RuntimeError(f"{scenario}: {result['errors']} errors, {result['disconnects']} "
                           f"disconnects: the figures would not be comparable")
    if result["reads"] and result["misses"]:
        print(f"  warning: {scenario}: {result['misses']} misses of {result['reads']} reads "
              f"(the prefill should make every read a hit)", file=sys.stderr)
    return {"scenario": scenario, "nestcached": str(nestcached), "instructions": instructions,
            "replies_all": replies, "served": served,
            "instr_per_req": instructions / replies, "seconds": time.monotonic() - started,
            "bench": result}


def fmt_int(value):
    return f"{value:,.0f}".replace(",", " ")


def spread(values):
    """(max - min) / median, in percent."""
    med = statistics.median(values)
    return 100.0 * (max(values) - min(values)) / med if med else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nestcached", action="append", default=[], metavar="BIN",
                    help="a nestcached binary; repeat to compare several (ratios are to the "
                         "first)")
    ap.add_argument("--before", metavar="BIN", help="same as a first --nestcached")
    ap.add_argument("--after", metavar="BIN", help="same as a second --nestcached")
    ap.add_argument("--bench", help="nestcache-bench, one for every binary (default: beside the "
                                    "first nestcached, or in its bench/ folder)")
    ap.add_argument("--scenarios", default=",".join(SCENARIOS),
                    help="comma list of " + ", ".join(SCENARIOS) + "; a bare get, getn4 or set "
                         "means both shapes (default: all six)")
    ap.add_argument("--duration", type=float, default=2.0,
                    help="seconds of load per run, instrumented (default 2)")
    ap.add_argument("--keys", type=int, default=100000, help="key space, all prefilled")
    ap.add_argument("--value-size", type=int, default=100, help="bytes per value (default 100)")
    ap.add_argument("-t", "--threads", type=int, default=2, help="nestcached -t (default 2)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per binary and scenario, alternated; the median is reported")
    ap.add_argument("--tolerance", type=float, default=3.0,
                    help="flag ratios outside +-this many percent (default 3)")
    ap.add_argument("--no-noise-check", action="store_true",
                    help="skip the two extra runs of the first scenario on the first binary")
    ap.add_argument("--json-out", metavar="FILE", help="write every run's figures here")
    args = ap.parse_args()

    binaries = ([args.before] if args.before else []) + args.nestcached + \
        ([args.after] if args.after else [])
    if not binaries:
        ap.error("give --nestcached BIN (repeatable) or --before BIN --after BIN")
    binaries = [pathlib.Path(b).resolve() for b in binaries]
    if args.before and args.after and not args.nestcached:
        labels = ["before", "after"]
    else:
        labels = [f"#{i + 1}" for i in range(len(binaries))]
    if args.bench:
        bench_path = pathlib.Path(args.bench).resolve()
    else:
        first = binaries[0].parent
        bench_path = next((p for p in (first / "nestcache-bench",
                                       first / "bench" / "nestcache-bench") if p.exists()),
                          first / "bench" / "nestcache-bench")
    for path in binaries + [bench_path]:
        if not path.exists():
            sys.exit(f"callgrind_ops.py: {path} not found")
    for tool in ("valgrind", "callgrind_control"):
        if not shutil.which(tool):
            sys.exit(f"callgrind_ops.py: {tool} not found (Debian: apt-get install valgrind)")
    scenarios = []
    for name in filter(None, args.scenarios.split(",")):
        expanded = [f"{name}-{shape}" for shape in SHAPES] if name in FAMILIES else [name]
        for s in expanded:
            if s not in SCENARIOS:
                sys.exit(f"callgrind_ops.py: unknown scenario {s} (one of {', '.join(SCENARIOS)})")
            scenarios.append(s)
    if args.repeat < 1:
        ap.error("--repeat: at least 1")

    # compare.py's runner, with what its run() reads from the arguments.
    bench = Bench(bench_path, types.SimpleNamespace(duration=args.duration, warmup=0,
                                                    bench_threads=1))
    started = time.monotonic()
    print(f"callgrind_ops.py: {len(scenarios)} scenarios x {len(binaries)} binaries x "
          f"{args.repeat}, {args.duration:g} s instrumented each, {args.keys} keys, "
          f"{args.value_size}-byte values, seed {SEED}, nestcached -t {args.threads}")
    for label, path in zip(labels, binaries):
        print(f"  {label:>6}: {path}")
    print(f"  bench : {bench_path}")
    report = {"args": vars(args), "binaries": dict(zip(labels, map(str, binaries))),
              "bench": str(bench_path), "runs": []}

    def one(label, path, scenario):
        res = measure(path, scenario, bench, args)
        res["label"] = label
        report["runs"].append(res)
        print(f"  {scenario:9} {label:>6}: {res['instr_per_req']:8.1f} instr/req  "
              f"({fmt_int(res['instructions'])} Ir / {fmt_int(res['replies_all'])} replies; "
              f"server counted {'?' if res['served'] is None else fmt_int(res['served'])}; "
              f"{res['seconds']:.1f} s)", flush=True)
        return res["instr_per_req"]

    noise = None
    if not args.no_noise_check:
        print(f"noise check: {scenarios[0]} twice on {labels[0]}")
        a = one(labels[0], binaries[0], scenarios[0])
        b = one(labels[0], binaries[0], scenarios[0])
        noise = {"scenario": scenarios[0], "runs": [a, b],
                 "percent": 100.0 * abs(b - a) / min(a, b)}
        report["noise_check"] = noise

    table = {}
    for index, scenario in enumerate(scenarios):
        runners = [(label, lambda label=label, path=path: one(label, path, scenario))
                   for label, path in zip(labels, binaries)]
        shift = index % len(runners)
        table[scenario] = alternate(args.repeat, runners[shift:] + runners[:shift])
    report["table"] = table

    tol = args.tolerance / 100.0
    head = f"{'scenario':10}" + "".join(f"{label + ' instr/req':>20}" for label in labels)
    head += "".join(f"{label + '/' + labels[0]:>16}" for label in labels[1:])
    print("\n" + head)
    flagged = 0
    for scenario in scenarios:
        meds = [statistics.median(table[scenario][label]) for label in labels]
        line = f"{scenario:10}"
        for label, med in zip(labels, meds):
            cell = f"{med:.0f}"
            if args.repeat > 1:
                cell += f" ({spread(table[scenario][label]):.1f}%)"
            line += f"{cell:>20}"
        for med in meds[1:]:
            ratio = med / meds[0]
            bad = abs(ratio - 1) > tol
            flagged += bad
            line += f"{ratio:>12.4f}{' <<<' if bad else '    '}"
        print(line)
    if args.repeat > 1:
        print(f"(medians of {args.repeat} runs; in brackets (max - min) / median of each cell)")
    if len(labels) > 1:
        print(f"{flagged} ratio(s) outside +-{args.tolerance:g}% (marked <<<)")
    if noise:
        print(f"noise floor: {noise['scenario']} on {labels[0]} twice: "
              f"{noise['runs'][0]:.1f} and {noise['runs'][1]:.1f} instr/req, "
              f"{noise['percent']:.2f}% apart")
    elapsed = time.monotonic() - started
    report["seconds"] = elapsed
    print(f"({elapsed:.0f} s in all)")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
