#!/usr/bin/python3
"""Binary protocol differential test: the same frames to a real memcached 1.6.18 and to
nestcached, the reply packets compared field by field.

    /usr/bin/python3 tests/compat/binary_diff.py                    # every scenario, both modes
    /usr/bin/python3 tests/compat/binary_diff.py --show quiet-ops   # one scenario, both streams
    /usr/bin/python3 tests/compat/binary_diff.py --mode nested incr

The text sessions of diff.py compare lines; binary replies are packets, so this runner reads
them as packets (tests/support/binary_client.py) and compares every field of every packet:
magic, opcode, key and extras lengths, datatype, status, body length, opaque, extras, key,
value, and whether and when the connection is closed. Only these are normalised:

- cas uniques: each server's are numbered in order of first appearance (`cas#1`, `cas#2`...;
  0 stays 0), so "the same item's cas", "a new cas" and "no cas" still compare, while the
  numbers themselves (memcached counts from 1 per item stored, we from a server-wide revision)
  do not.
- a run of stat packets (opcode 0x10, status 0, a name): memcached and nestcached report
  different sets of figures (proto-spec/protocol.md 10.1), so the run becomes one marker with
  the values of `version` and `curr_items` when present; the empty packet that ends a stat
  reply is compared as any other.

A scenario is a list of steps; a step is the bytes of one write. Unless a step is raw, a NOOP
with a marker opaque is appended and the step's replies are read up to its reply (or the
connection's close); a raw step (a partial frame, one that closes the connection) is read until
the server has been quiet for a moment. Every scenario must draw at least one packet from
memcached, and `--self-test` checks that the comparison sees a changed status, body, opaque and
cas relation (so that it cannot pass by comparing nothing).

ctest runs it as compat_binary_diff. Modes: compat (nestcached --compat) and nested (no mode
flag: a binary key is one top-level segment); both must match memcached.
"""

import argparse
import os
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))
import nestcached  # noqa: E402
from binary_client import (HEADER, Op, BinaryClient, Packet, arith_extras,  # noqa: E402
                           exptime_extras, request, set_extras, split_packets)
from memcached_ref import Memcached  # noqa: E402

MARK = 0x4E43B000  # opaque of the NOOP appended to a step (plus the step's number)
MODES = ("compat", "nested")


class Raw(bytes):
    """A step sent as it is, without the NOOP that marks its end."""


def R(*frames):
    return Raw(b"".join(frames))


def S(*frames):
    return b"".join(frames)


def get(op, key, **kw):
    return request(op, key=key, **kw)


def store(op, key, value, flags=0, exptime=0, **kw):
    return request(op, key=key, extras=set_extras(flags, exptime), value=value, **kw)


def arith(op, key, delta=1, initial=0, exptime=0, **kw):
    return request(op, key=key, extras=arith_extras(delta, initial, exptime), **kw)


def touch(op, key, exptime, **kw):
    return request(op, key=key, extras=exptime_extras(exptime), **kw)


LIMIT = 1024 * 1024  # -I's default
# The largest value memcached stores for a 3-byte key and flags 0 at -I 1m: its item is the
# header (48), key and NUL, data and "\r\n", and the cas (8); flags add 4 bytes.
EDGE = LIMIT - 48 - 3 - 1 - 2 - 8

SCENARIOS = {
    "get": [
        S(store(Op.SET, "k", "hello", flags=7, opaque=1)),
        S(get(Op.GET, "k", opaque=2), get(Op.GETK, "k", opaque=3), get(Op.GETQ, "k", opaque=4),
          get(Op.GETKQ, "k", opaque=5)),
        S(get(Op.GET, "nope", opaque=6), get(Op.GETK, "nope", opaque=7),
          get(Op.GETQ, "nope", opaque=8), get(Op.GETKQ, "nope", opaque=9)),
        # libmemcached's multi-get: getkq per key, then a noop.
        S(store(Op.SETQ, "a", "1"), store(Op.SETQ, "b", "22", flags=1),
          get(Op.GETKQ, "a", opaque=1), get(Op.GETKQ, "x", opaque=2),
          get(Op.GETKQ, "b", opaque=3)),
        # opaque bytes are echoed as sent.
        S(get(Op.GET, "k", opaque=0xDEADBEEF), get(Op.GET, "k", opaque=0x01020304)),
    ],
    "binary-keys": [
        S(store(Op.SET, b"a b\x01\xff", "spaces and bytes"), get(Op.GETK, b"a b\x01\xff"),
          store(Op.SET, "k" * 250, "longest"), get(Op.GETK, "k" * 250)),
    ],
    "storage": [
        S(store(Op.ADD, "s", "one", flags=1, opaque=10), store(Op.ADD, "s", "two", opaque=11),
          store(Op.REPLACE, "s", "three", flags=3, opaque=12),
          store(Op.REPLACE, "missing", "x", opaque=13), get(Op.GET, "s"),
          store(Op.SET, "s", "four", flags=0xFFFFFFFF), get(Op.GET, "s")),
        S(store(Op.ADDQ, "q", "1"), store(Op.ADDQ, "q", "2"), store(Op.REPLACEQ, "qq", "x"),
          store(Op.REPLACEQ, "q", "3"), store(Op.SETQ, "q", "4"), get(Op.GET, "q")),
        S(store(Op.SET, "empty", ""), get(Op.GETK, "empty")),
    ],
    "cas": [
        S(store(Op.SET, "c", "v1"), get(Op.GET, "c")),
        # a wrong cas, a cas on a missing key, the right one (the cas read back by get is the
        # one the set answered: cas#1), and add with a cas (memcached makes it a cas).
        S(store(Op.SET, "c", "v2", cas=0x7FFFFFFF), store(Op.SET, "nokey", "v", cas=5),
          store(Op.ADD, "c", "v3", cas=0x7FFFFFFF), store(Op.REPLACE, "c", "v3", cas=12345),
          get(Op.GET, "c")),
    ],
    "cas-match": [
        # memcached numbers its cas uniques 1, 2, 3...: the first set's is 1 there; ours is a
        # revision. Read it back, then use it through the step after (see run()).
        S(store(Op.SET, "m", "v1"), get(Op.GETK, "m")),
        "use-cas:m",
    ],
    "delete": [
        S(store(Op.SET, "d", "x"), request(Op.DELETE, key="d", opaque=1),
          request(Op.DELETE, key="d", opaque=2), store(Op.SET, "d", "x"),
          request(Op.DELETEQ, key="d", opaque=3), request(Op.DELETEQ, key="d", opaque=4),
          get(Op.GET, "d")),
        S(store(Op.SET, "d", "x"), request(Op.DELETE, key="d", cas=0x7FFFFFFF),
          get(Op.GET, "d")),
    ],
    "incr": [
        S(arith(Op.INCREMENT, "n", 5, 10, 0, opaque=1), arith(Op.INCREMENT, "n", 5, 10, 0),
          arith(Op.DECREMENT, "n", 100, 0, 0), get(Op.GET, "n"),
          arith(Op.INCREMENT, "none", 1, 0, 0xFFFFFFFF, opaque=2),
          arith(Op.DECREMENT, "none", 1, 0, 0xFFFFFFFF), arith(Op.DECREMENT, "dn", 1, 7, 0)),
        S(store(Op.SET, "w", "18446744073709551615"), arith(Op.INCREMENT, "w", 2),
          store(Op.SET, "t", "abc"), arith(Op.INCREMENT, "t", 1), arith(Op.DECREMENT, "t", 1),
          store(Op.SET, "p", "100"), arith(Op.DECREMENT, "p", 91), get(Op.GET, "p"),
          arith(Op.INCREMENT, "p", 1, cas=0x7FFFFFFF)),
        S(arith(Op.INCREMENTQ, "q", 1, 5, 0), arith(Op.INCREMENTQ, "q", 1),
          arith(Op.DECREMENTQ, "q", 2), arith(Op.DECREMENTQ, "qmiss", 2, 0, 0xFFFFFFFF),
          store(Op.SET, "qt", "x"), arith(Op.INCREMENTQ, "qt", 1), get(Op.GET, "q")),
    ],
    "append": [
        S(store(Op.SET, "a", "mid"), request(Op.APPEND, key="a", value="-end"),
          request(Op.PREPEND, key="a", value="start-"), get(Op.GET, "a"),
          request(Op.APPEND, key="nope", value="x"), request(Op.PREPEND, key="nope", value="x"),
          request(Op.APPENDQ, key="a", value="!"), request(Op.PREPENDQ, key="a", value="!"),
          request(Op.APPENDQ, key="nope", value="x"), get(Op.GET, "a"),
          request(Op.APPEND, key="a", value="x", cas=0x7FFFFFFF)),
    ],
    "touch": [
        S(store(Op.SET, "t", "val", flags=3), touch(Op.TOUCH, "t", 100), touch(Op.GAT, "t", 100),
          touch(Op.GATK, "t", 100), touch(Op.GATQ, "t", 0), touch(Op.GATKQ, "t", 0),
          touch(Op.TOUCH, "x", 100), touch(Op.GAT, "x", 1), touch(Op.GATK, "x", 1),
          touch(Op.GATQ, "x", 1), touch(Op.GATKQ, "x", 1)),
    ],
    "expiry": [
        # an absolute time in the past expires at once; one far ahead does not.
        S(store(Op.SET, "e1", "x", exptime=1000000000), store(Op.SET, "e2", "x", exptime=0xFFFFFFF0),
          get(Op.GET, "e1"), get(Op.GET, "e2"), touch(Op.GAT, "e2", 1000000000),
          get(Op.GET, "e2"), arith(Op.INCREMENT, "e3", 1, 1, 1000000000), get(Op.GET, "e3")),
    ],
    "flush": [
        S(store(Op.SET, "f", "x"), request(Op.FLUSH, opaque=1), get(Op.GET, "f"),
          store(Op.SET, "f", "x"), request(Op.FLUSHQ), get(Op.GET, "f"),
          store(Op.SET, "f", "x"), request(Op.FLUSH, extras=exptime_extras(0)), get(Op.GET, "f"),
          store(Op.SET, "f", "x"), request(Op.FLUSH, extras=exptime_extras(100)),
          get(Op.GET, "f")),
    ],
    "noop-version": [
        S(request(Op.NOOP, opaque=5), request(Op.VERSION, opaque=6)),
    ],
    "quit": [
        R(request(Op.QUIT, opaque=3)),
    ],
    "quitq": [
        S(get(Op.GET, "x")),
        R(request(Op.QUITQ, opaque=3)),
    ],
    "stat": [
        S(store(Op.SET, "s1", "x"), store(Op.SET, "s2", "y" * 100)),
        S(request(Op.STAT, opaque=1)),
        S(request(Op.STAT, key="settings", opaque=2)),
        S(request(Op.STAT, key="items", opaque=3)),
        S(request(Op.STAT, key="reset"), request(Op.STAT, key="resetting"),
          request(Op.STAT, key="conns"), request(Op.STAT, key="bogus"),
          request(Op.STAT, key="item")),
        # stat reads no body beyond its key: the rest is the next request.
        S(request(Op.STAT, key="reset", value=request(Op.NOOP, opaque=77))),
    ],
    "unknown-opcodes": [
        # memcached 1.6.18 has no binary verbosity; its body (the extras, read already) is
        # discarded a second time from what follows.
        S(request(Op.VERBOSITY, extras=struct.pack(">I", 1)) + b"\0" * 4),
        S(request(0x40), request(0xFF, opaque=9)),
        # memcached discards a body's worth after the extras and key of an opcode it does not
        # know, so the 3 bytes of key are taken from what follows: 3 filler bytes keep the
        # next frame aligned.
        S(request(0x40, key="abc", value="12345") + b"\0\0\0"),
        S(request(0x30, key="abc", extras=b"\1\2\3\4", value="xyz") + b"\0" * 7),
    ],
    "sasl": [
        S(request(Op.SASL_LIST_MECHS, opaque=1)),
        S(request(Op.SASL_AUTH, key="PLAIN", value=b"\0user\0pass", opaque=2)),
        S(request(Op.SASL_STEP, key="PLAIN", value=b"more", opaque=3)),
    ],
    "protocol-error-keylen": [
        S(get(Op.GET, "before")),
        R(request(Op.GET, key="abc", bodylen=2)),
    ],
    "protocol-error-shape": [
        R(request(Op.GET, key="abc", extras=b"1234")),
    ],
    "protocol-error-long-key": [
        R(request(Op.GET, key="k" * 251)),
    ],
    "protocol-error-incr": [
        R(request(Op.INCREMENT, key="n", extras=b"\0" * 8)),
    ],
    "protocol-error-noop-body": [
        R(request(Op.NOOP, value="x")),
    ],
    "bad-magic": [
        S(request(Op.NOOP)),
        R(b"\x81" + b"\0" * 23),
    ],
    "text-after-binary": [
        S(request(Op.NOOP)),
        R(b"get a b c d e f g h i j k\r\n"),
    ],
    "binary-after-text": [
        R(b"version\r\n" + request(Op.NOOP)),
    ],
    "too-large": [
        S(store(Op.SET, "big", "old"), store(Op.SET, "big", b"x" * (EDGE + 1)), get(Op.GET, "big")),
        S(store(Op.SET, "big", b"x" * EDGE), get(Op.GETK, "big")),
        # flags other than 0 take 4 bytes more.
        S(store(Op.SET, "big", b"y" * (EDGE - 3), flags=1), store(Op.SET, "big", b"y" * (EDGE - 4), flags=1),
          store(Op.ADD, "new", b"x" * LIMIT), store(Op.REPLACE, "big", b"x" * (EDGE - 4), flags=2),
          store(Op.REPLACE, "big", b"x" * (EDGE - 3), flags=2), get(Op.GET, "big")),
        S(request(Op.APPEND, key="big", value=b"z" * 10), request(Op.PREPENDQ, key="big", value=b"z"),
          request(Op.APPEND, key="big", value=b"z" * LIMIT)),
    ],
    "split-value": [
        # a value arriving in pieces, the header first.
        R(store(Op.SET, "sv", b"0123456789" * 1000)[:10]),
        R(store(Op.SET, "sv", b"0123456789" * 1000)[10:30]),
        R(store(Op.SET, "sv", b"0123456789" * 1000)[30:5000]),
        S(store(Op.SET, "sv", b"0123456789" * 1000)[5000:], get(Op.GET, "sv")),
    ],
    "touch-extra-body": [
        # touch reads no value either: the bytes after its key are the next request.
        S(store(Op.SET, "t", "v"),
          request(Op.TOUCH, key="t", extras=exptime_extras(0), value=request(Op.NOOP, opaque=5))),
    ],
}


class Server:
    """One connection to one server, with its replies so far."""

    def __init__(self, port):
        self.client = BinaryClient(port)
        self.packets = []
        self.closed = False
        self.garbage = b""

    def step(self, data, raw, marker):
        if self.closed:
            return
        try:
            self.client.send(data if raw else data + request(Op.NOOP, opaque=marker))
        except OSError:
            self.closed = True
            return
        if raw:
            got, closed = self.client.drain()
            packets, rest = split_packets(got)
            self.packets += packets
            self.client.buf = rest
            self.closed = closed
            return
        try:
            while True:
                p = self.client.packet()
                self.packets.append(p)
                if p.opcode == Op.NOOP and p.opaque == marker:
                    return
        except (ConnectionError, OSError):
            self.closed = True
            self.garbage = self.client.buf

    def finish(self):
        if not self.closed:
            got, closed = self.client.drain(first=0.2)
            packets, rest = split_packets(self.client.buf + got)
            self.packets += packets
            self.garbage += rest
            self.closed = closed
        self.client.close()


def normalise(packets):
    """The packets as comparable tuples (see the module's docstring)."""
    numbers = {0: 0}
    out = []
    stats = None
    for p in packets:
        if p.opcode == Op.STAT and p.status == 0 and p.keylen > 0:
            if stats is None:
                stats = {}
                out.append(("stats", stats))
            if p.key in (b"version", b"curr_items"):
                stats[p.key] = p.value
            continue
        stats = None
        cas = numbers.setdefault(p.cas, f"cas#{len(numbers)}")
        out.append(p.fields(cas=cas))
    return out


def cas_of(server, key):
    for p in reversed(server.packets):
        if p.key == key.encode() and p.status == 0 and p.opcode in (Op.GETK, Op.GATK):
            return p.cas
    raise SystemExit(f"no cas for {key}")


def run(name, steps, mode):
    reference = Memcached()
    ours = nestcached.Daemon(["--compat"] if mode == "compat" else [])
    with reference, ours:
        servers = [Server(reference.port), Server(ours.port)]
        for number, step in enumerate(steps):
            for server in servers:
                if isinstance(step, str) and step.startswith("use-cas:"):
                    key = step.split(":", 1)[1]
                    cas = cas_of(server, key)
                    data = S(store(Op.SET, key, "v2", cas=cas + 1), store(Op.SET, key, "v3", cas=cas),
                             get(Op.GETK, key), store(Op.SET, key, "v4", cas=cas))
                    server.step(data, False, MARK + number)
                else:
                    server.step(step, isinstance(step, Raw), MARK + number)
        for server in servers:
            server.finish()
        return servers


def compare(reference, candidate):
    """A list of differences (empty when the streams match)."""
    problems = []
    ref, cand = normalise(reference.packets), normalise(candidate.packets)
    for i in range(max(len(ref), len(cand))):
        a = ref[i] if i < len(ref) else None
        b = cand[i] if i < len(cand) else None
        if a != b:
            problems.append(f"packet {i}: memcached {a!r}\n{' ' * 12}nestcached {b!r}")
            break
    if reference.closed != candidate.closed:
        problems.append(f"closed: memcached {reference.closed}, nestcached {candidate.closed}")
    if reference.garbage != candidate.garbage:
        problems.append(f"bytes after the packets: {reference.garbage!r} vs {candidate.garbage!r}")
    return problems


def self_test():
    """The comparison must see what matters: a status, a body, an opaque, a cas relation."""
    def packet(status=0, value=b"", opaque=1, cas=5):
        body = value
        return Packet(HEADER.pack(0x81, 0, 0, 0, 0, status, len(body), opaque, cas), body)

    class Fake:
        def __init__(self, packets):
            self.packets, self.closed, self.garbage = packets, False, b""

    base = [packet(cas=5), packet(cas=5)]
    assert not compare(Fake(base), Fake([packet(cas=9), packet(cas=9)]))
    for changed in ([packet(cas=5), packet(cas=6)], [packet(status=1), packet()],
                    [packet(value=b"x"), packet()], [packet(opaque=2), packet()], base[:1]):
        assert compare(Fake(base), Fake(changed)), changed
    print("self-test: ok")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", help="scenarios (default: all)")
    parser.add_argument("--mode", choices=MODES)
    parser.add_argument("--show", action="store_true", help="print both packet streams")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()
    self_test()
    if args.self_test:
        return 0
    names = args.names or list(SCENARIOS)
    failed = []
    for name in names:
        for mode in ([args.mode] if args.mode else MODES):
            started = time.monotonic()
            reference, candidate = run(name, SCENARIOS[name], mode)
            if not reference.packets and not reference.garbage:
                failed.append(f"{name} [{mode}]: memcached sent nothing (a scenario must draw "
                              "replies)")
            problems = compare(reference, candidate)
            if args.show:
                for label, server in (("memcached", reference), ("nestcached", candidate)):
                    print(f"--- {name} [{mode}] {label} (closed={server.closed})")
                    for p in server.packets:
                        print("   ", p)
                    if server.garbage:
                        print("    bytes:", server.garbage[:200])
            status = "ok" if not problems else "DIFFERS"
            print(f"{name} [{mode}]: {status} ({len(reference.packets)} packets, "
                  f"{time.monotonic() - started:.1f} s)")
            for problem in problems:
                print("    " + problem)
            if problems:
                failed.append(f"{name} [{mode}]")
    if failed:
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
