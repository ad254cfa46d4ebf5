#!/usr/bin/python3
"""What watches cost (issue 13), measured side by side in one run.

1. CPU per change with many idle watches elsewhere: flat sets (nestcache-bench -r 1:0) against
   three servers, alternated: one never watched, one with the watch hub attached and no watch
   open, one with --watches idle watches of distinct subtrees (none of them matching the sets).
   Server CPU (utime + stime) per reply, median of --rounds; ratios to the never-watched one.
2. Idle watch memory: the server's RSS before and after opening those watches, per watch.
3. Change-to-event latency with --fanout watchers of one subtree: a writer sets a value holding
   its send time every 20 ms; --probes of the watchers (spread over the others) are read and
   time each event's arrival. p50 / p99 / max over every probe and change.

    bench/watch_bench.py --nestcached build/nestcached --bench build/bench/nestcache-bench
        [--watches 10000] [--fanout 1000] [--probes 20] [--duration 3] [--rounds 3]
"""

import argparse
import os
import resource
import selectors
import socket
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import Bench  # noqa: E402
from server_process import Server, free_port  # noqa: E402


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def start(args, name):
    port = free_port()
    argv = [args.nestcached, "-p", str(port), "-l", "127.0.0.1", "-t", "2", "-c", "30000"]
    return Server(name, argv, port)


def open_watch(port, line):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(line)
    return s


def read_line(s):
    buf = b""
    while not buf.endswith(b"\r\n"):
        chunk = s.recv(1)
        if not chunk:
            raise RuntimeError("closed")
        buf += chunk
    return buf


def open_watches(server, count, path_of):
    socks = []
    for i in range(count):
        socks.append(open_watch(server.port, b"watchtree 0 %s\r\n" % path_of(i)))
    for s in socks:
        if not read_line(s).startswith(b"WATCHING "):
            raise RuntimeError("watch refused")
    return socks


def cost(args, bench):
    plain = start(args, "never watched")
    attached = start(args, "hub attached, no watch")
    watched = start(args, f"{args.watches} idle watches")
    try:
        open_watches(attached, 1, lambda i: b"x")[0].close()
        before = rss_kb(watched.proc.pid)
        held = open_watches(watched, args.watches, lambda i: b"w%d cfg" % i)
        time.sleep(1)
        after = rss_kb(watched.proc.pid)
        per_watch = (after - before) * 1024 / args.watches
        runs = {s.name: [] for s in (plain, attached, watched)}
        extra = ["-w", "flat", "-r", "1:0", "-c", "20", "-P", "1", "-k", "100000", "-V", "100"]
        for s in (plain, attached, watched):
            bench.prefill(s, extra)
        for r in range(args.rounds):
            order = [plain, attached, watched]
            order = order[r % 3:] + order[:r % 3]
            for s in order:
                res = bench.run(s, extra)
                runs[s.name].append((res["cpu_us_per_op"], res["ops_per_sec"]))
        base = statistics.median(c for c, _ in runs[plain.name])
        print(f"\n1. CPU per change, flat sets (-c 20 -P 1), median of {args.rounds}:")
        for name, values in runs.items():
            cpu = statistics.median(c for c, _ in values)
            ops = statistics.median(o for _, o in values)
            print(f"   {name:28s} {cpu:7.2f} us/op  {ops/1000:7.1f}k ops/s  "
                  f"ratio {cpu / base:5.3f}")
        print(f"\n2. Idle watch memory: RSS +{(after - before) / 1024:.1f} MiB for {args.watches} "
              f"watches = {per_watch:.0f} bytes per watch (server user space; the kernel's socket "
              f"buffers are not in RSS)")
        for s in held:
            s.close()
    finally:
        for s in (plain, attached, watched):
            s.stop()


def latency(args):
    server = start(args, "fanout")
    try:
        probes_every = max(1, args.fanout // args.probes)
        socks = open_watches(server, args.fanout, lambda i: b"cfg")
        probes = socks[::probes_every][:args.probes]
        sel = selectors.DefaultSelector()
        for p in probes:
            p.setblocking(False)
            sel.register(p, selectors.EVENT_READ, bytearray())
        writer = socket.create_connection(("127.0.0.1", server.port))
        writer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        samples = []
        for n in range(args.changes):
            stamp = b"%d" % time.monotonic_ns()
            writer.sendall(b"set cfg k 0 0 %d noreply\r\n%s\r\n" % (len(stamp), stamp))
            got = 0
            deadline = time.monotonic() + 2
            while got < len(probes) and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=0.5):
                    now = time.monotonic_ns()
                    buf = key.data
                    buf += key.fileobj.recv(65536)
                    while b"\r\n" in buf:
                        head, _, rest = bytes(buf).partition(b"\r\n")
                        if head.startswith(b"SET "):
                            size = int(head.split()[-1])
                            if len(rest) < size + 2:
                                break
                            samples.append((now - int(rest[:size])) / 1000)
                            got += 1
                            del buf[:len(head) + 2 + size + 2]
                        else:
                            del buf[:len(head) + 2]
            time.sleep(0.02)
        samples.sort()
        p = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
        print(f"\n3. Change-to-event latency, {args.fanout} watchers of one subtree, "
              f"{len(probes)} probes x {args.changes} changes ({len(samples)} samples): "
              f"p50 {p(0.5):.0f} us, p99 {p(0.99):.0f} us, max {samples[-1]:.0f} us")
        for s in socks:
            s.close()
    finally:
        server.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nestcached", required=True)
    ap.add_argument("--bench", required=True)
    ap.add_argument("--watches", type=int, default=10000)
    ap.add_argument("--fanout", type=int, default=1000)
    ap.add_argument("--probes", type=int, default=20)
    ap.add_argument("--changes", type=int, default=100)
    ap.add_argument("--duration", type=float, default=3)
    ap.add_argument("--warmup", type=float, default=0.5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--bench-threads", type=int, default=1)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    cost(args, Bench(args.bench, args))
    latency(args)


if __name__ == "__main__":
    main()
