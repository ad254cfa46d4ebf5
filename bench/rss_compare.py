#!/usr/bin/env python3
"""Resident memory of nestcached against memcached 1.6.18 holding the same keys (issue 4).

Starts one memcached (`memcached -u root -U 0 -l 127.0.0.1 -p PORT -m 4096`) and one nestcached
(`-m 4096`, plus `--key-separator :` for the nested scenario) on free loopback ports, loads the
same keys into each with pipelined `set <key> 0 0 <n> noreply` (many commands per sendall, then a
`version` round trip so every set has been applied), and reads VmRSS from /proc/PID/status.
Each scenario gets fresh servers. Scenarios (N keys, VALUE-byte values):

  flat    key%07d                                   goal: nestcached RSS <= memcached's
  nested  tenant%03d:user%06d:profile:field%d       goal: nestcached RSS <= 0.8 x memcached's
          100 tenants, N/1000 users each, 10 fields per user profile (a user's profile is
          10 small fields, a tenant has many users); memcached stores the same keys flat,
          nestcached splits them on ':' into tenant -> user -> profile -> field.

Python 3 standard library only. Every server it starts is stopped on the way out.
"""

import argparse
import json
import os
import shutil
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from server_process import Server, free_port  # noqa: E402

TENANTS = 100
FIELDS = 10
BATCH = 2000  # set commands per sendall


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def keys(scenario, count):
    if scenario == "flat":
        for i in range(count):
            yield b"key%07d" % i
        return
    users = max(1, count // (TENANTS * FIELDS))
    n = 0
    for user in range(users):  # user-major: loads interleave tenants, as a live cache would
        for tenant in range(TENANTS):
            for field in range(FIELDS):
                if n == count:
                    return
                yield b"tenant%03d:user%06d:profile:field%d" % (tenant, user, field)
                n += 1
    while n < count:  # a count that is not a multiple of TENANTS * FIELDS
        yield b"tenant%03d:user%06d:profile:field%d" % (n % TENANTS, users, n)
        n += 1


def read_line(sock, buf):
    while b"\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("server closed the connection")
        buf += chunk
    line, _, rest = buf.partition(b"\r\n")
    return line, rest


def load(port, scenario, count, value_size):
    """Stores `count` keys with noreply sets, and waits for them with a version round trip."""
    value = b"v" * value_size
    tail = b" 0 0 %d noreply\r\n" % value_size + value + b"\r\n"
    with socket.create_connection(("127.0.0.1", port)) as sock:
        batch = []
        for key in keys(scenario, count):
            batch.append(b"set " + key + tail)
            if len(batch) == BATCH:
                sock.sendall(b"".join(batch))
                batch.clear()
        sock.sendall(b"".join(batch) + b"version\r\n")
        sock.settimeout(120)
        line, _ = read_line(sock, b"")
        if not line.startswith(b"VERSION"):
            raise RuntimeError(f"expected VERSION after the sets, got {line[:200]!r}")


def measure(command, port, scenario, count, value_size, settle):
    server = Server(command[0], command, port)
    try:
        load(port, scenario, count, value_size)
        stats = server.stats()
        time.sleep(settle)
        rss = vm_rss_kb(server.proc.pid)
    finally:
        server.stop()
    return {"rss_kb": rss, "curr_items": int(stats.get("curr_items", -1)),
            "bytes": int(stats.get("bytes", -1))}


def run(args):
    results = []
    for scenario in args.scenarios:
        goal = 1.0 if scenario == "flat" else 0.8
        port = free_port()
        mc = measure([args.memcached, "-u", "root", "-U", "0", "-l", "127.0.0.1", "-p",
                      str(port), "-m", "4096"], port, scenario, args.keys, args.value_size,
                     args.settle)
        port = free_port()
        nc_cmd = [args.nestcached, "-l", "127.0.0.1", "-p", str(port), "-m", "4096"]
        if scenario == "nested":
            nc_cmd += ["--key-separator", ":"]
        nc = measure(nc_cmd, port, scenario, args.keys, args.value_size, args.settle)
        for name, figures in (("memcached", mc), ("nestcached", nc)):
            if figures["curr_items"] != args.keys:
                raise RuntimeError(f"{scenario}: {name} holds {figures['curr_items']} items, "
                                   f"expected {args.keys}")
        ratio = nc["rss_kb"] / mc["rss_kb"]
        results.append({"scenario": scenario, "keys": args.keys, "value_size": args.value_size,
                        "memcached": mc, "nestcached": nc, "ratio": round(ratio, 3),
                        "goal": goal, "meets_goal": ratio <= goal})
    return results


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--value-size", type=int, default=32)
    parser.add_argument("--scenarios", nargs="+", choices=["flat", "nested"],
                        default=["flat", "nested"])
    parser.add_argument("--nestcached", default=os.environ.get("NESTCACHED") or
                        os.path.join(os.path.dirname(here), "build", "nestcached"))
    parser.add_argument("--memcached", default=os.environ.get("MEMCACHED") or
                        shutil.which("memcached") or "/usr/bin/memcached")
    parser.add_argument("--settle", type=float, default=0.5,
                        help="seconds to wait after loading before reading VmRSS")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()

    results = run(args)
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
        return 0
    for r in results:
        mc, nc = r["memcached"], r["nestcached"]
        print(f"{r['scenario']:7s} {r['keys']} keys, {r['value_size']}-byte values: "
              f"memcached {mc['rss_kb'] / 1024:.1f} MB, nestcached {nc['rss_kb'] / 1024:.1f} MB, "
              f"ratio {r['ratio']:.3f} (goal <= {r['goal']}, "
              f"{'meets' if r['meets_goal'] else 'misses'}); "
              f"stats bytes memcached {mc['bytes']}, nestcached {nc['bytes']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
