#!/usr/bin/env python3
"""Server CPU per request of the meta and binary get paths (issue 14's speed checks).

    bench/protocol_cpu.py --nestcached build/nestcached [--memcached /usr/bin/memcached]

Two ratios, each of medians over --rounds rounds that alternate which side goes first:

  mg/get      nestcached's server CPU per `mg <key> v` over its CPU per `get <key>`,
              both pipelined (goal <= 1.05)
  binary get  nestcached's server CPU per binary get over memcached 1.6.18's for the same
              frames (goal <= 1.0)

The load: --connections sockets (default 8), each sending batches of --depth (default 64)
requests for prefilled keys (--keys, 100-byte values) in one write, the batch closed by a no-op
(`mn` for text, a NOOP frame for binary) whose reply marks the batch answered; the next batch
goes when it is. The client is one Python thread (its own speed does not matter: the figure is
the server's CPU, utime + stime of /proc/PID/stat, divided by the requests answered). Both
servers run with -t 2; memcached as the compat tests run it.

Python 3 standard library only.
"""

import argparse
import os
import selectors
import socket
import statistics
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import cpu_seconds  # noqa: E402
from server_process import Server, free_port  # noqa: E402


def key(i):
    return b"key:%08d" % i


def text_batch(keys, meta):
    fmt = b"mg %s v\r\n" if meta else b"get %s\r\n"
    return b"".join(fmt % k for k in keys) + b"mn\r\n", b"MN\r\n"


def binary_frame(opcode, k=b"", extras=b"", value=b"", opaque=0):
    body = extras + k + value
    return struct.pack(">BBHBBHIIQ", 0x80, opcode, len(k), len(extras), 0, 0, len(body), opaque,
                       0) + body


NOOP_REPLY = struct.pack(">BBHBBHIIQ", 0x81, 0x0A, 0, 0, 0, 0, 0, 0xFEED, 0)


def binary_batch(keys):
    return b"".join(binary_frame(0x00, k) for k in keys) + binary_frame(0x0A, opaque=0xFEED), \
        NOOP_REPLY


def prefill(port, keys, value):
    with socket.create_connection(("127.0.0.1", port)) as s:
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            s.sendall(b"".join(b"set %s 0 0 %d noreply\r\n%s\r\n" % (k, len(value), value)
                               for k in chunk) + b"mn\r\n")
            buf = b""
            while not buf.endswith(b"MN\r\n"):
                buf += s.recv(65536)


def run(port, pid, make_batch, keys, args):
    """(server CPU seconds per request, requests) over args.seconds of load."""
    sel = selectors.DefaultSelector()
    conns = []
    for c in range(args.connections):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.setblocking(False)
        batches = []
        for b in range(16):
            start = ((c * 16 + b) * args.depth) % (len(keys) - args.depth)
            batches.append(make_batch(keys[start:start + args.depth]))
        state = {"sock": s, "batches": batches, "next": 0, "buf": b"", "end": None}
        conns.append(state)
        sel.register(s, selectors.EVENT_READ, state)

    def send(state):
        data, end = state["batches"][state["next"] % len(state["batches"])]
        state["next"] += 1
        state["end"] = end
        state["buf"] = b""
        state["sock"].sendall(data)

    for state in conns:  # warm up one batch each
        send(state)
    answered = 0
    cpu0 = None
    start = time.monotonic()
    while True:
        now = time.monotonic()
        if cpu0 is None and now - start > 0.3:
            cpu0, t0, answered = cpu_seconds(pid), now, 0
        if cpu0 is not None and now - t0 > args.seconds:
            break
        for sk, _ in sel.select(timeout=1):
            state = sk.data
            chunk = state["sock"].recv(1 << 20)
            if not chunk:
                raise RuntimeError("server closed a connection")
            state["buf"] = state["buf"][-64:] + chunk
            if state["buf"].endswith(state["end"]):
                answered += args.depth
                send(state)
    cpu = cpu_seconds(pid) - cpu0
    for state in conns:
        state["sock"].close()
    return cpu / answered, answered


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--nestcached", required=True)
    ap.add_argument("--memcached", default="/usr/bin/memcached")
    ap.add_argument("--keys", type=int, default=20000)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--depth", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()

    keys = [key(i) for i in range(args.keys)]
    value = b"v" * 100
    nc_port, mc_port = free_port(), free_port()
    nestcached = Server("nestcached", [args.nestcached, "-p", str(nc_port), "-l", "127.0.0.1",
                                       "-t", "2", "--compat"], nc_port)
    memcached = Server("memcached", [args.memcached, "-u", "root", "-U", "0", "-l", "127.0.0.1",
                                     "-p", str(mc_port), "-t", "2"], mc_port)
    try:
        for port in (nc_port, mc_port):
            prefill(port, keys, value)
        nc_pid, mc_pid = nestcached.proc.pid, memcached.proc.pid
        cells = {"get": [], "mg": [], "bin-nc": [], "bin-mc": []}
        plans = {
            "get": (nc_port, nc_pid, lambda ks: text_batch(ks, False)),
            "mg": (nc_port, nc_pid, lambda ks: text_batch(ks, True)),
            "bin-nc": (nc_port, nc_pid, binary_batch),
            "bin-mc": (mc_port, mc_pid, binary_batch),
        }
        for r in range(args.rounds):
            for pair in (["get", "mg"], ["bin-nc", "bin-mc"]):
                for name in (pair if r % 2 == 0 else pair[::-1]):
                    port, pid, make = plans[name]
                    per_op, n = run(port, pid, make, keys, args)
                    cells[name].append(per_op)
                    print(f"round {r + 1} {name:7s} {per_op * 1e6:7.3f} us CPU/request "
                          f"({n} requests)", flush=True)
        med = {name: statistics.median(v) for name, v in cells.items()}
        mg_ratio = med["mg"] / med["get"]
        bin_ratio = med["bin-nc"] / med["bin-mc"]
        print()
        print(f"mg/get      {mg_ratio:.3f}  (mg {med['mg'] * 1e6:.3f} us, get "
              f"{med['get'] * 1e6:.3f} us; goal <= 1.05) {'ok' if mg_ratio <= 1.05 else 'MISSED'}")
        print(f"binary get  {bin_ratio:.3f}  (nestcached {med['bin-nc'] * 1e6:.3f} us, memcached "
              f"{med['bin-mc'] * 1e6:.3f} us; goal <= 1.0) {'ok' if bin_ratio <= 1.0 else 'MISSED'}")
    finally:
        nestcached.stop()
        memcached.stop()


if __name__ == "__main__":
    main()
