#!/usr/bin/env python3
"""What durability costs nestcached (issue 12): writes, group commit, restart.

Runs, in one go (every figure a median over --rounds rounds, alternating which server or
shape goes first; ratios are ratios of medians):

1. Writes, --fsync everysec against no --data-dir. Two nestcached with the same -t, one plain,
   one journaling into a temporary directory under --dir; 1:0 sets of --value-size bytes, (a) 50
   connections without pipelining, (b) 20 connections x pipeline 16.
     ops/s            everysec / plain   goal >= 0.9
     server CPU / op  everysec / plain   goal <= 1.15   (utime+stime deltas of /proc/PID/stat)
2. Group commit under --fsync always. First the disk itself: a 152-byte write + fdatasync in a
   loop for --probe-seconds on a preallocated file in the same directory (median, p99); one
   writer that waits for each would do 1 / median of them a second. Then 50 connections of 1:0
   sets against a nestcached with --fsync always:
     ops/s            >= 20 x that single-writer rate (goal)
     p99 latency      <= the probe's p99 + 1 ms (goal)
   plus, as checks: one connection against the same server (should be near the single-writer
   rate) and the records journaled per fdatasync (persist_records / persist_fsyncs deltas).
3. Restart. --restart-keys values of --value-size bytes are stored (nestcache-bench --prefill
   only) into a nestcached with --data-dir --fsync no, which is stopped with SIGTERM; then it is
   started again --rounds times, page cache warm and cold (posix_fadvise DONTNEED on the
   journal's files first) alternately, timed from exec to the port accepting and `stats`
   answering. Goal < 1 s for 1M values; also the journal's size and the load rate (MB/s, s/GB;
   Redis loads 10-20 s/GB).
4. Snapshot impact. --restart-keys values in a nestcached with --data-dir --fsync everysec; gets
   (0:1, 50 connections) at one fixed offered load (--snapshot-rate, default 20000/s) for
   --duration, without a snapshot and with one asked for (`snapshot`) half a second in, rounds
   alternating; goal: the p99 with the snapshot <= 1.5x the p99 without. Also the snapshot's own
   duration and size (persist_last_snapshot_*).

Python 3 standard library only. Every server it starts is stopped on the way out, and its
temporary directories are removed.
"""

import argparse
import json
import os
import pathlib
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from server_process import Server, ask, free_port, parse_stats  # noqa: E402
from compare import Bench, alternate, cpu_seconds, fmt_values, verdict  # noqa: E402

REPO = os.path.dirname(HERE)
RECORD_BYTES = 152  # one journal record of a 16-byte key and a 100-byte value, framed
SHAPES = {
    "a": (["-c", "50", "-P", "1"], "50 connections, no pipelining"),
    "b": (["-c", "20", "-P", "16"], "20 connections x pipeline 16"),
}
out = sys.stdout  # the human-readable text; stderr when --json takes stdout


def say(text=""):
    print(text, file=out, flush=True)


def machine_busy_seconds():
    """Busy CPU time of the whole machine (all processes and the kernel's own threads, e.g.
    writeback), from /proc/stat: user nice system irq softirq steal, in seconds."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    values = [int(v) for v in fields]
    return (sum(values[0:3]) + sum(values[5:8])) / os.sysconf("SC_CLK_TCK")


def mount_type(path):
    """The file system type of the mount holding `path` (longest mount point prefix)."""
    path = os.path.realpath(path)
    best, kind = "", "?"
    with open("/proc/mounts") as f:
        for line in f:
            parts = line.split()
            mnt = parts[1].replace("\\040", " ")
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best):
                best, kind = mnt, parts[2]
    return kind


def percentile(sorted_values, q):
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def numeric_stats(stats, names):
    return {k: int(stats[k]) for k in names if k in stats}


PERSIST_COUNTERS = ["cmd_set", "persist_records", "persist_journal_bytes", "persist_fsyncs"]


def run_with_stats(bench, server, extra):
    """bench.run plus the deltas of the server's counters and the machine's busy CPU per op."""
    before = numeric_stats(server.stats(), PERSIST_COUNTERS)
    busy = machine_busy_seconds()
    result = bench.run(server, extra)
    busy = machine_busy_seconds() - busy
    stats = server.stats()
    after = numeric_stats(stats, PERSIST_COUNTERS)
    result["delta"] = {k: after[k] - before[k] for k in after if k in before}
    result["persist_fsync_p99_us"] = int(stats.get("persist_fsync_p99_us", 0))
    if result["replies_all"] > 0:
        result["machine_cpu_us_per_op"] = busy * 1e6 / result["replies_all"]
    result.pop("latency_hist", None)
    return result


def pair_table(label, runs_a, runs_b, name_a, name_b, metrics, report_key, report):
    """Medians, ratio b/a and verdict per metric (compare.py's layout); returns {metric: ratio}."""
    say(f"\n== {label}")
    ratios, medians = {}, {}
    for metric, get, unit_fmt, goal, higher in metrics:
        vals_a, vals_b = [get(r) for r in runs_a], [get(r) for r in runs_b]
        med_a, med_b = statistics.median(vals_a), statistics.median(vals_b)
        ratio = med_b / med_a if med_a else float("nan")
        ratios[metric], medians[metric] = ratio, (med_a, med_b)
        say(f"  {metric:20} {name_a} {unit_fmt.format(med_a):>9}  {name_b} "
            f"{unit_fmt.format(med_b):>9}  ratio {ratio:5.3f}  "
            f"{verdict(ratio, goal, higher) if goal else ''}")
        say(f"  {'':20} rounds {name_a}: {fmt_values(vals_a, unit_fmt)} | "
            f"{name_b}: {fmt_values(vals_b, unit_fmt)}")
    report[report_key] = {"label": label, "ratios": ratios,
                          "medians": {m: {name_a: a, name_b: b} for m, (a, b) in medians.items()},
                          name_a: runs_a, name_b: runs_b}
    return ratios


# --- 1. writes, everysec against no --data-dir ----------------------------------------------

def section_writes(bench, server_argv, base, args, report, summary):
    plain = durable = None
    data = tempfile.mkdtemp(prefix="everysec-", dir=base)
    try:
        port = free_port()
        plain = Server("plain", server_argv(port), port)
    except Exception:
        shutil.rmtree(data, ignore_errors=True)
        raise
    try:
        port = free_port()
        durable = Server("everysec", server_argv(port) + ["--data-dir", data, "--fsync",
                                                          "everysec"] + args.durable_args.split(),
                         port)
        for server in (plain, durable):
            bench.prefill(server, ["-k", str(args.keys), "-V", str(args.value_size)])
        metrics = [
            ("ops/s", lambda r: r["ops_per_sec"], "{:.0f}", 0.9, True),
            ("server CPU us/op", lambda r: r["cpu_us_per_op"], "{:.2f}", 1.15, False),
            ("machine CPU us/op", lambda r: r["machine_cpu_us_per_op"], "{:.2f}", None, False),
            ("p99 us", lambda r: r["latency_us"]["p99"], "{:.0f}", None, False),
        ]
        for name, (shape, text) in SHAPES.items():
            extra = shape + ["-k", str(args.keys), "-V", str(args.value_size), "-r", "1:0",
                             "--prefill", "off"]
            res = alternate(args.rounds, [
                ("plain", lambda: run_with_stats(bench, plain, extra)),
                ("everysec", lambda: run_with_stats(bench, durable, extra)),
            ])
            ratios = pair_table(f"(1{name}) 1:0 sets of {args.value_size} B, {text}: "
                                f"--fsync everysec / no --data-dir", res["plain"],
                                res["everysec"], "plain", "everysec", metrics,
                                f"writes_{name}", report)
            fsyncs = sum(r["delta"].get("persist_fsyncs", 0) for r in res["everysec"])
            journal = sum(r["delta"].get("persist_journal_bytes", 0) for r in res["everysec"])
            records = sum(r["delta"].get("persist_records", 0) for r in res["everysec"])
            say(f"  {'journal':20} {records / max(1, sum(r['replies_all'] for r in res['everysec'])):.2f} "
                f"records/op, {journal / max(1, records):.0f} B/record, "
                f"{journal / 1e6 / (args.rounds * (args.duration + args.warmup)):.1f} MB/s, "
                f"{fsyncs} fdatasyncs in {args.rounds} runs")
            plain_ops = statistics.median(r["ops_per_sec"] for r in res["plain"])
            report[f"writes_{name}"]["plain_ops_median"] = plain_ops
            report[f"writes_{name}"]["plain_p99_median"] = statistics.median(
                r["latency_us"]["p99"] for r in res["plain"])
            summary.append((f"1{name} everysec/plain ops/s, {text}", ratios["ops/s"], ">= 0.9",
                            ratios["ops/s"] >= 0.9, "{:.3f}x"))
            summary.append((f"1{name} everysec/plain server CPU/op", ratios["server CPU us/op"],
                            "<= 1.15", ratios["server CPU us/op"] <= 1.15, "{:.3f}x"))
            summary.append((f"1{name} everysec/plain machine CPU/op (info)",
                            ratios["machine CPU us/op"], "", None, "{:.3f}x"))
    finally:
        # The journals stay until the end of the run: deleting a GB on a file system mounted
        # with `discard` makes the next fdatasyncs wait for the discards (section 2's probe
        # measured 4 ms instead of 0.1 ms right after such a delete).
        for server in (durable, plain):
            if server:
                server.stop()


# --- 2. group commit under --fsync always ---------------------------------------------------

def fsync_probe(directory, seconds):
    """write(152 B) + fdatasync in a loop on a preallocated file (posix_fallocate, as the
    journal's segments are): the latency of each pair, in microseconds, sorted."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.posix_fallocate(fd, 0, 64 << 20)
        os.fsync(fd)
        record, offset, lat = b"\x5a" * RECORD_BYTES, 0, []
        cpu = time.process_time()
        end = time.monotonic() + seconds
        while time.monotonic() < end and offset + RECORD_BYTES <= 64 << 20:
            start = time.perf_counter()
            os.pwrite(fd, record, offset)
            os.fdatasync(fd)
            lat.append((time.perf_counter() - start) * 1e6)
            offset += RECORD_BYTES
        cpu = time.process_time() - cpu
    finally:
        os.close(fd)
        os.unlink(path)
    return sorted(lat), cpu * 1e6 / max(1, len(lat))


def section_group_commit(bench, server_argv, base, args, report, summary, plain_c50):
    data = tempfile.mkdtemp(prefix="always-", dir=base)
    server = None
    try:
        settle()
        lat, probe_cpu = fsync_probe(data, args.probe_seconds)
        med, p99 = statistics.median(lat), percentile(lat, 0.99)
        single = 1e6 / med
        say(f"\n== (2) group commit, --fsync always")
        say(f"  disk probe           {len(lat)} x (write {RECORD_BYTES} B + fdatasync) in "
            f"{args.probe_seconds:g} s: median {med:.0f} us, p99 {p99:.0f} us, max {lat[-1]:.0f} us"
            f", CPU {probe_cpu:.0f} us each -> one writer waiting for each: {single:.0f} ops/s")
        port = free_port()
        server = Server("always", server_argv(port) + ["--data-dir", data, "--fsync", "always"],
                        port)
        bench.prefill(server, ["-k", str(args.keys), "-V", str(args.value_size)])
        common = ["-P", "1", "-k", str(args.keys), "-V", str(args.value_size), "-r", "1:0",
                  "--prefill", "off"]
        res = alternate(args.rounds, [
            ("c50", lambda: run_with_stats(bench, server, ["-c", "50"] + common)),
            ("c1", lambda: run_with_stats(bench, server, ["-c", "1"] + common)),
        ])

        def line(name, runs):
            ops = statistics.median(r["ops_per_sec"] for r in runs)
            p50 = statistics.median(r["latency_us"]["p50"] for r in runs)
            p99s = [r["latency_us"]["p99"] for r in runs]
            per_sync = [r["delta"]["persist_records"] / max(1, r["delta"]["persist_fsyncs"])
                        for r in runs]
            cpu = statistics.median(r["cpu_us_per_op"] for r in runs)
            say(f"  {name:20} ops/s {ops:.0f} (rounds {fmt_values([r['ops_per_sec'] for r in runs], '{:.0f}')}), "
                f"p50 {p50:.0f} us, p99 {statistics.median(p99s):.0f} us (rounds "
                f"{fmt_values(p99s, '{:.0f}')}), records/fdatasync "
                f"{statistics.median(per_sync):.1f}, server CPU {cpu:.2f} us/op, server's "
                f"fdatasync p99 {statistics.median(r['persist_fsync_p99_us'] for r in runs):.0f} us")
            return ops, statistics.median(p99s), statistics.median(per_sync)

        server.stop()
        server = None
        lat2, _ = fsync_probe(data, args.probe_seconds)
        med2, p99_2 = statistics.median(lat2), percentile(lat2, 0.99)
        say(f"  disk probe again     after the runs: median {med2:.0f} us, p99 {p99_2:.0f} us "
            f"(the goals use the first; a large change means the disk's latency moved)")
        if not 0.5 <= med2 / med <= 2:
            say(f"  warning: the disk's fdatasync latency moved {med2 / med:.1f}x during the "
                f"runs: the ratios below are not to be trusted; run again")
        ops50, p99_50, per_sync50 = line("50 connections", res["c50"])
        ops1, p99_1, per_sync1 = line("1 connection", res["c1"])
        ratio = ops50 / single
        limit = p99 + 1000
        say(f"  {'ops/s ratio':20} 50 connections / one writer {ratio:.2f}x  "
            f"{verdict(ratio, 20, True)}")
        say(f"  {'p99':20} {p99_50:.0f} us against probe p99 + 1 ms = {limit:.0f} us  "
            f"{'meets' if p99_50 <= limit else 'MISSES'} goal")
        say(f"  {'check':20} 1 connection / one writer {ops1 / single:.2f}x")
        plain_c50_ops = plain_c50[0] if plain_c50 else None
        if plain_c50:
            say(f"  {'ceiling':20} 50 connections without --data-dir (1a): {plain_c50_ops:.0f} "
                f"ops/s = {plain_c50_ops / single:.1f}x one writer, p99 {plain_c50[1]:.0f} us; "
                f"always reaches {ops50 / plain_c50_ops:.2f}x its ops/s, "
                f"{p99_50 / plain_c50[1]:.2f}x its p99")
        report["group_commit"] = {
            "probe_us": {"count": len(lat), "median": med, "p99": p99, "max": lat[-1],
                         "cpu_per_sync": probe_cpu},
            "probe_after_us": {"count": len(lat2), "median": med2, "p99": p99_2},
            "single_writer_ops": single, "ops_c50": ops50, "p99_us_c50": p99_50,
            "records_per_fsync_c50": per_sync50, "ops_c1": ops1, "p99_us_c1": p99_1,
            "records_per_fsync_c1": per_sync1, "ratio_c50_to_single": ratio,
            "p99_limit_us": limit, "plain_c50_ops": plain_c50_ops,
            "plain_c50_p99_us": plain_c50[1] if plain_c50 else None,
            "runs": {k: v for k, v in res.items()}}
        summary.append(("2 write+fdatasync probe median / p99 us", f"{med:.0f} / {p99:.0f}", "",
                        None, "{}"))
        summary.append(("2 always, 50 conns ops/s / one writer", ratio, ">= 20", ratio >= 20,
                        "{:.2f}x"))
        summary.append(("2 always, 50 conns p99 us", p99_50, f"<= {limit:.0f}", p99_50 <= limit,
                        "{:.0f}"))
        summary.append(("2 always, 1 conn ops/s / one writer (check)", ops1 / single, "~1",
                        None, "{:.2f}x"))
        summary.append(("2 always, 50 conns records per fdatasync", per_sync50, "", None,
                        "{:.1f}"))
    finally:
        if server:
            server.stop()


# --- 3. restart -----------------------------------------------------------------------------

def drop_cache(directory):
    """Asks the kernel to drop the (clean, synced) page cache of the journal's files."""
    for entry in os.scandir(directory):
        if entry.is_file():
            fd = os.open(entry.path, os.O_RDONLY)
            try:
                os.fdatasync(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def query(port, request, until=b"END\r\n", timeout=5.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        return ask(s, request, until)


def timed_start(argv, port, timeout):
    """Starts argv; returns (process, log file, seconds to the port accepting, seconds to a
    full `stats` reply, stats)."""
    log = tempfile.TemporaryFile()
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=log)
    try:
        deadline = start + timeout
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited with {proc.returncode} before listening: "
                                   f"{log.read().decode(errors='replace')[-1000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")
            try:
                conn = socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:
                time.sleep(0.001)
                continue
            port_at = time.monotonic()
            with conn:
                data = ask(conn, b"stats\r\n")
            stats_at = time.monotonic()
            return proc, log, port_at - start, stats_at - start, parse_stats(data)
    except BaseException:
        stop_proc(proc)
        log.close()
        raise


def stop_proc(proc, timeout=30.0):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def check_keys(port, keys):
    """Gets the first, middle and last keys of the prefill: all must hit."""
    names = [f"key_{i:012d}" for i in sorted({0, keys // 2, keys - 1})]
    data = query(port, ("get " + " ".join(names) + "\r\n").encode())
    return data.count(b"VALUE "), len(names)


def section_restart(bench, server_argv, base, args, report, summary):
    data = tempfile.mkdtemp(prefix="restart-", dir=base)
    n = args.restart_keys
    memory = max(1024, n * 600 // 1_000_000 + 256)  # MB: room for every value, no evictions
    say(f"\n== (3) restart: {n} values of {args.value_size} B, --fsync no, -m {memory}")
    settle()
    try:
        port = free_port()
        argv = server_argv(port) + ["-m", str(memory), "--data-dir", data, "--fsync", "no"]
        loader = Server("loader", argv, port)
        try:
            started = time.monotonic()
            subprocess.run([str(bench.path), "--server", f"127.0.0.1:{port}", "--prefill",
                            "only", "-k", str(n), "-V", str(args.value_size)], check=True,
                           capture_output=True, timeout=600)
            fill = time.monotonic() - started
            loaded = loader.stats()
        finally:
            loader.stop(timeout=60)
        items = int(loaded["curr_items"])
        journal_bytes = int(loaded["persist_journal_bytes"])
        files = [e for e in os.scandir(data) if e.is_file()]
        on_disk = sum(e.stat().st_size for e in files)
        allocated = sum(e.stat().st_blocks * 512 for e in files)
        say(f"  load                 {n} keys stored in {fill:.1f} s; curr_items {items}, "
            f"evictions {loaded.get('evictions')}, persist_records {loaded['persist_records']}")
        say(f"  journal              {journal_bytes / 1e6:.1f} MB of records "
            f"({journal_bytes / max(1, int(loaded['persist_records'])):.0f} B each), "
            f"{len(files)} files of {on_disk / 1e6:.0f} MB ({allocated / 1e6:.0f} MB allocated)")
        if items != n:
            say(f"  warning: curr_items {items} != {n} keys stored")

        # A plain start of the same binary: what exec-to-ready costs without a journal.
        empty_port = free_port()
        proc, log, _, empty_ready, _ = timed_start(server_argv(empty_port), empty_port, 30)
        stop_proc(proc)
        log.close()

        runs = {"warm": [], "cold": []}
        order = ["cold", "warm"]
        for i in range(args.rounds):
            for kind in (order if i % 2 == 0 else order[::-1]):
                if kind == "cold":
                    drop_cache(data)
                port = free_port()
                argv = server_argv(port) + ["-m", str(memory), "--data-dir", data, "--fsync",
                                            "no", "-v"]
                proc, log, port_s, ready_s, stats = timed_start(argv, port, 120)
                try:
                    hits, asked = check_keys(port, n)
                finally:
                    rc = stop_proc(proc)
                log.seek(0)
                lines = [l for l in log.read().decode(errors="replace").splitlines()
                         if l.startswith("journal:")]
                log.close()
                run = {"port_s": port_s, "ready_s": ready_s,
                       "load_time_us": int(stats["persist_load_time_us"]),
                       "replayed": int(stats["persist_replayed_records"]),
                       "curr_items": int(stats["curr_items"]),
                       "segments": int(stats.get("persist_segments", 0)),
                       "hits": f"{hits}/{asked}", "exit": rc, "log": lines}
                runs[kind].append(run)
                if run["replayed"] < n or run["curr_items"] != items or hits != asked:
                    say(f"  warning: {kind} restart: replayed {run['replayed']}, curr_items "
                        f"{run['curr_items']}, keys found {hits}/{asked}")
        result = {"keys": n, "fill_s": fill, "journal_bytes": journal_bytes,
                  "files_bytes": on_disk, "allocated_bytes": allocated,
                  "empty_start_s": empty_ready, "runs": runs}
        say(f"  plain start          exec -> stats answering without --data-dir: "
            f"{empty_ready * 1000:.0f} ms")
        for kind, rs in runs.items():
            ready = statistics.median(r["ready_s"] for r in rs)
            port_s = statistics.median(r["port_s"] for r in rs)
            load = statistics.median(r["load_time_us"] for r in rs) / 1e6
            mb = journal_bytes / 1e6
            say(f"  {kind + ' restart':20} exec -> port {port_s * 1000:.0f} ms, -> stats "
                f"{ready * 1000:.0f} ms (rounds {fmt_values([r['ready_s'] * 1000 for r in rs], '{:.0f}')}); "
                f"persist_load_time_us {load * 1000:.0f} ms; {mb / ready:.0f} MB/s = "
                f"{ready / (journal_bytes / 1e9):.2f} s/GB exec to ready ({mb / load:.0f} MB/s, "
                f"{load / (journal_bytes / 1e9):.2f} s/GB replay alone); "
                f"{'meets' if ready < 1.0 or n > 1_000_000 else 'MISSES'} goal < 1 s"
                + (f" (goal is for 1M values; scaled: {ready * 1e6 / n:.2f} s/M)"
                   if n != 1_000_000 else ""))
            say(f"  {'':20} {rs[0]['log'][-1] if rs[0]['log'] else '(no journal line in -v log)'}")
            result[kind] = {"ready_s": ready, "port_s": port_s, "load_s": load,
                            "mb_per_s": mb / ready, "s_per_gb": ready / (journal_bytes / 1e9)}
            goal_ok = ready < 1.0 if n <= 1_000_000 else None
            summary.append((f"3 {kind} restart, {n} values: exec -> stats s", ready,
                            "< 1" if n == 1_000_000 else "< 1 (for 1M)", goal_ok, "{:.3f}"))
            summary.append((f"3 {kind} restart s/GB (Redis 10-20)", ready / (journal_bytes / 1e9),
                            "", None, "{:.2f}"))
        summary.append(("3 journal MB (records)", journal_bytes / 1e6, "", None, "{:.1f}"))
        report["restart"] = result
    finally:
        shutil.rmtree(data, ignore_errors=True)


def section_snapshot(bench, server_argv, base, args, report, summary):
    data = tempfile.mkdtemp(prefix="snapshot-", dir=base)
    n = args.restart_keys
    memory = max(1024, n * 600 // 1_000_000 + 256)
    say(f"\n== (4) snapshot of {n} values under gets at {args.snapshot_rate}/s: p99 with / without")
    settle()
    server = None
    try:
        port = free_port()
        server = Server("snapshot", server_argv(port) + ["-m", str(memory), "--data-dir", data,
                                                        "--fsync", "everysec"], port)
        bench.prefill(server, ["-k", str(n), "-V", str(args.value_size)])
        extra = ["-c", "50", "-P", "1", "-k", str(n), "-V", str(args.value_size), "-r", "0:1",
                 "--prefill", "off", "--rate", str(args.snapshot_rate)]

        def plain():
            return bench.run(server, extra)

        def with_snapshot():
            before = int(server.stats()["persist_snapshots"])
            timer = threading.Timer(args.warmup + 0.5, lambda: query(port, b"snapshot\r\n",
                                                                      b"\r\n"))
            timer.start()
            try:
                result = bench.run(server, extra)
            finally:
                timer.join()
            stats = server.stats()
            for _ in range(600):  # the snapshot may outlast the run: wait for it (60 s at most)
                if int(stats["persist_snapshots"]) > before:
                    break
                time.sleep(0.1)
                stats = server.stats()
            result["snapshot_us"] = int(stats["persist_last_snapshot_duration_us"])
            result["snapshot_bytes"] = int(stats["persist_last_snapshot_bytes"])
            result["snapshot_done"] = int(stats["persist_snapshots"]) > before
            return result

        res = alternate(args.rounds, [("without", plain), ("with", with_snapshot)])
        p99_without = statistics.median(r["latency_us"]["p99"] for r in res["without"])
        p99_with = statistics.median(r["latency_us"]["p99"] for r in res["with"])
        snap_ms = statistics.median(r["snapshot_us"] for r in res["with"]) / 1000
        snap_mb = statistics.median(r["snapshot_bytes"] for r in res["with"]) / 1e6
        done = all(r["snapshot_done"] for r in res["with"])
        ratio = p99_with / max(1, p99_without)
        say(f"  p99 without          {fmt_values([r['latency_us']['p99'] for r in res['without']], '{:.0f}')} us")
        say(f"  p99 with a snapshot  {fmt_values([r['latency_us']['p99'] for r in res['with']], '{:.0f}')} us")
        say(f"  snapshot             {snap_ms:.0f} ms, {snap_mb:.1f} MB"
            f"{'' if done else ' (warning: a snapshot did not finish)'}")
        say(f"  ratio                p99 {ratio:.3f} ({'meets' if ratio <= 1.5 else 'MISSES'} "
            f"goal <= 1.5)")
        report["snapshot"] = {"keys": n, "rate": args.snapshot_rate, "p99_without_us": p99_without,
                              "p99_with_us": p99_with, "ratio": ratio, "snapshot_ms": snap_ms,
                              "snapshot_mb": snap_mb, "all_done": done, "runs": res}
        summary.append((f"4 snapshot of {n} values: get p99 with / without", ratio, "<= 1.5",
                        ratio <= 1.5, "{:.3f}"))
        summary.append(("4 snapshot duration ms", snap_ms, "", None, "{:.0f}"))
    finally:
        if server is not None:
            server.stop(timeout=60)
        shutil.rmtree(data, ignore_errors=True)


def settle(seconds=1.0):
    """Flushes what earlier sections left dirty (and lets the discards of deleted journals pass)
    so that the next fdatasync timings are the disk's own."""
    os.sync()
    time.sleep(seconds)


def machine_busy_fraction(seconds=1.0):
    """How busy the machine's CPUs are (0..1) over `seconds` while this script does nothing."""
    before, wall = machine_busy_seconds(), time.monotonic()
    time.sleep(seconds)
    return (machine_busy_seconds() - before) / ((time.monotonic() - wall) * os.cpu_count())


def default_base():
    """A directory on a real disk: $TMPDIR (or /tmp) unless it is a tmpfs, else build/."""
    base = tempfile.gettempdir()
    if mount_type(base) in ("tmpfs", "ramfs"):
        base = os.path.join(REPO, "build")
    return base


def main():
    global out
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nestcached", default="/tmp/nestcached-dur")
    ap.add_argument("--bench", default="/tmp/nestcache-bench-dur", help="nestcache-bench")
    ap.add_argument("--dir", help="where the journals go (a temporary directory is made "
                                  "inside it and removed); must be a real disk, not tmpfs "
                                  "(default: $TMPDIR or /tmp, else the repo's build/)")
    ap.add_argument("-t", "--threads", type=int, default=2, help="server threads, every server")
    ap.add_argument("--bench-threads", type=int, default=1, help="nestcache-bench -T")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=float, default=5, help="seconds measured per run")
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--keys", type=int, default=100000, help="key space of the write runs")
    ap.add_argument("--value-size", type=int, default=100)
    ap.add_argument("--restart-keys", type=int, help="values stored before the restart "
                                                     "(default 1000000; 200000 with --quick)")
    ap.add_argument("--probe-seconds", type=float, default=2.0)
    ap.add_argument("--durable-args", default="",
                    help="more arguments for the --data-dir server of section 1, e.g. "
                         "'--snapshot-min-journal-mb 0' to leave snapshots out of the figures")
    ap.add_argument("--snapshot-rate", type=int, default=20000,
                    help="gets per second offered during the snapshot runs")
    ap.add_argument("--sections", default="writes,commit,restart,snapshot",
                    help="comma list of writes, commit, restart, snapshot")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 1 round, 3 s runs, 200k restart keys")
    ap.add_argument("--json", action="store_true",
                    help="print one JSON object on stdout (the text goes to stderr)")
    ap.add_argument("--json-out", help="also write the JSON here")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.duration = 1, 3
    if args.restart_keys is None:
        args.restart_keys = 200_000 if args.quick else 1_000_000
    if args.json:
        out = sys.stderr

    for path in (args.nestcached, args.bench):
        if not pathlib.Path(path).exists():
            sys.exit(f"durability_bench.py: {path} not found (see bench/README.md, Durability)")
    base_parent = args.dir or default_base()
    kind = mount_type(base_parent)
    if kind in ("tmpfs", "ramfs"):
        sys.exit(f"durability_bench.py: {base_parent} is on {kind}: fdatasync would cost "
                 f"nothing; choose a directory on a disk with --dir")
    base = tempfile.mkdtemp(prefix="nestcache-durability-", dir=base_parent)
    sections = [s for s in args.sections.split(",") if s]
    bench = Bench(pathlib.Path(args.bench), args)

    def server_argv(port):
        return [args.nestcached, "-t", str(args.threads), "-p", str(port), "-l", "127.0.0.1"]

    report = {"args": vars(args), "dir": base, "fs": kind,
              "date": time.strftime("%Y-%m-%d %H:%M:%S"), "cores": os.cpu_count()}
    summary = []
    started = time.monotonic()
    idle_busy = machine_busy_fraction()
    report["busy_before"] = idle_busy
    say(f"nestcached: {args.nestcached} -t {args.threads}\nbench     : {args.bench} -T "
        f"{args.bench_threads}, {args.rounds} rounds of {args.warmup}+{args.duration} s, order "
        f"alternating\njournals  : {base} ({kind}); {os.cpu_count()} cores, "
        f"{idle_busy * 100:.0f}% busy before the start")
    if idle_busy > 0.1:
        say(f"  warning: the machine is {idle_busy * 100:.0f}% busy without us: expect noise")
    try:
        if "writes" in sections:
            section_writes(bench, server_argv, base, args, report, summary)
        plain_c50 = (report["writes_a"]["plain_ops_median"],
                     report["writes_a"]["plain_p99_median"]) if "writes_a" in report else None
        if "commit" in sections:
            section_group_commit(bench, server_argv, base, args, report, summary, plain_c50)
        if "restart" in sections:
            section_restart(bench, server_argv, base, args, report, summary)
        if "snapshot" in sections:
            section_snapshot(bench, server_argv, base, args, report, summary)
    finally:
        shutil.rmtree(base, ignore_errors=True)

    busy_after = machine_busy_fraction()
    report["busy_after"] = busy_after
    say(f"\n== summary ({time.monotonic() - started:.0f} s in all; machine "
        f"{idle_busy * 100:.0f}% busy without us before, {busy_after * 100:.0f}% after)")
    say(f"  {'figure':52} {'measured':>12}  {'goal':>12}  verdict")
    for name, value, goal, ok, fmt in summary:
        verdict_text = "" if ok is None else ("meets" if ok else "MISSES")
        say(f"  {name:52} {fmt.format(value):>12}  {goal:>12}  {verdict_text}")
    report["summary"] = [{"figure": name, "value": value, "goal": goal, "meets": ok}
                         for name, value, goal, ok, _ in summary]
    report["seconds"] = time.monotonic() - started
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(report, f, indent=1)


if __name__ == "__main__":
    main()
