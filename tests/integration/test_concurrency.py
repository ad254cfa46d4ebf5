"""Many clients at once against one nestcached -t 4, over raw sockets.

1. 64 threads interleave set/get/delete on private nested paths (each thread owns
   "priv t<i> ...") and on shared ones ("shared ..."), some requests pipelined. Every private key
   must read back exactly what its thread last wrote, no request may fail, and `stats` must
   report sensible connection counts during and after the run.
2. One thread repeatedly builds a 20k-node namespace and drops it with one delete while other
   threads read their own namespaces; every read must be exact. No timing assertions.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_concurrency.py
"""

import os
import random
import re
import sys
import threading
import time
import traceback
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from nestcached import Daemon  # noqa: E402

WORKERS = 64
STEPS = 300
KEYS = 16
GROUPS = 4
SHARED_VALUE = re.compile(rb"T(\d+):(\d+):(x*)\Z")

# The version string of the protocol's `version` reply and of `stats` (protocol-decisions.md).
VERSION = "1.6.18"


class ProtocolError(AssertionError):
    pass


class Conn:
    """A raw text-protocol connection with a read buffer."""

    def __init__(self, daemon, timeout=30.0):
        self.sock = daemon.connect(timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ProtocolError(f"connection closed by server; unread: {self.buf[:200]!r}")
        self.buf += chunk

    def line(self):
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line, self.buf = self.buf[:end], self.buf[end + 2:]
                return line
            self._fill()

    def exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, tail, self.buf = self.buf[:n], self.buf[n:n + 2], self.buf[n + 2:]
        if tail != b"\r\n":
            raise ProtocolError(f"data block not followed by CRLF: {tail!r}")
        return data

    def expect(self, want, context=""):
        got = self.line()
        if got != want:
            raise ProtocolError(f"{context}: expected {want!r}, got {got!r}")

    def read_values(self, context=""):
        """Reads VALUE blocks up to END; returns [(key, flags, data)]."""
        values = []
        while True:
            line = self.line()
            if line == b"END":
                return values
            parts = line.split(b" ")
            if parts[0] != b"VALUE" or len(parts) < 4:
                raise ProtocolError(f"{context}: unexpected line {line!r}")
            values.append((b" ".join(parts[1:-2]), int(parts[-2]), self.exact(int(parts[-1]))))

    def read_children(self, context=""):
        names = []
        while True:
            line = self.line()
            if line == b"END":
                return names
            if not line.startswith(b"CHILD "):
                raise ProtocolError(f"{context}: unexpected line {line!r}")
            names.append(line[6:])

    # One command, one reply.
    def set(self, path, value, flags=0):
        self.send(b"set %s %d 0 %d\r\n%s\r\n" % (path, flags, len(value), value))
        self.expect(b"STORED", b"set " + path)

    def getn(self, path):
        self.send(b"getn " + path + b"\r\n")
        values = self.read_values(b"getn " + path)
        if not values:
            return None
        if len(values) != 1 or values[0][0] != path:
            raise ProtocolError(f"getn {path!r}: {values!r}")
        return values[0][2]

    def delete(self, path):
        self.send(b"delete " + path + b"\r\n")
        line = self.line()
        if line not in (b"DELETED", b"NOT_FOUND"):
            raise ProtocolError(f"delete {path!r}: {line!r}")
        return line == b"DELETED"

    def stats(self):
        self.send(b"stats\r\n")
        result = {}
        while True:
            line = self.line()
            if line == b"END":
                return result
            _, name, value = line.decode().split(" ", 2)
            result[name] = value


def run_threads(targets):
    """Runs the callables in threads; returns the list of failure texts."""
    errors = []
    lock = threading.Lock()

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException:  # noqa: B902 - every failure is reported
                with lock:
                    errors.append(traceback.format_exc())
        return run

    threads = [threading.Thread(target=wrap(fn), daemon=True) for fn in targets]
    for t in threads:
        t.start()
    return threads, errors


class ManyClientsTest(unittest.TestCase):
    def test_64_clients_private_and_shared_paths(self):
        with Daemon(threads=4) as d:
            connected = threading.Barrier(WORKERS + 1, timeout=60)
            go = threading.Barrier(WORKERS + 1, timeout=60)
            finals = [None] * WORKERS

            def worker(i):
                rng = random.Random(1000 + i)
                conn = None
                try:
                    conn = Conn(d)
                    conn.send(b"version\r\n")
                    conn.expect(b"VERSION " + VERSION.encode(), "version")
                    connected.wait()
                    go.wait()
                    expected = {}  # key index -> value

                    def priv(k):
                        return b"priv t%d g%d k%d" % (i, k % GROUPS, k)

                    for step in range(STEPS):
                        op = rng.random()
                        k = rng.randrange(KEYS)
                        if op < 0.30:
                            value = b"t%d:%d:" % (i, step) + b"v" * rng.randrange(300)
                            conn.set(priv(k), value, flags=i)
                            expected[k] = value
                        elif op < 0.55:
                            got = conn.getn(priv(k))
                            if got != expected.get(k):
                                raise ProtocolError(f"t{i} step {step}: getn {priv(k)!r} -> "
                                                    f"{got!r}, expected {expected.get(k)!r}")
                        elif op < 0.63:
                            deleted = conn.delete(priv(k))
                            if deleted != (k in expected):
                                raise ProtocolError(f"t{i}: delete {priv(k)!r} -> {deleted}")
                            expected.pop(k, None)
                        elif op < 0.66:
                            # drop a whole group subtree of this thread's namespace
                            g = rng.randrange(GROUPS)
                            members = [key for key in expected if key % GROUPS == g]
                            deleted = conn.delete(b"priv t%d g%d" % (i, g))
                            if deleted != bool(members):
                                raise ProtocolError(f"t{i}: delete group {g} -> {deleted}, "
                                                    f"members {members}")
                            for key in members:
                                del expected[key]
                        elif op < 0.78:
                            value = b"T%d:%d:" % (i, step) + b"x" * rng.randrange(200)
                            conn.set(b"shared s%d" % (k % 8), value)
                        elif op < 0.90:
                            got = conn.getn(b"shared s%d" % (k % 8))
                            if got is not None and not SHARED_VALUE.match(got):
                                raise ProtocolError(f"t{i}: torn shared value {got[:80]!r}")
                        elif op < 0.93:
                            conn.delete(b"shared s%d" % (k % 8))
                        else:
                            # a pipelined burst: sets and reads of this thread's keys at once
                            keys = [rng.randrange(KEYS) for _ in range(6)]
                            batch = b""
                            for n, key in enumerate(keys):
                                value = b"p%d:%d:%d" % (i, step, n)
                                batch += b"set %s %d 0 %d\r\n%s\r\n" % (priv(key), i, len(value),
                                                                       value)
                                batch += b"getn %s\r\n" % priv(key)
                                expected[key] = value
                            batch += b"get p%d\r\n" % i
                            conn.send(batch)
                            for n, key in enumerate(keys):
                                conn.expect(b"STORED", f"t{i} pipelined set")
                                got = conn.read_values("pipelined getn")
                                want = [(priv(key), i, b"p%d:%d:%d" % (i, step, n))]
                                if got != want:
                                    raise ProtocolError(f"t{i}: pipelined {got!r} != {want!r}")
                            conn.read_values("get")
                    # the final state of this thread's namespace, read back by a walk
                    conn.send(b"gettree priv t%d\r\n" % i)
                    tree = {key: (flags, data) for key, flags, data
                            in conn.read_values("gettree")}
                    want = {priv(k): (i, v) for k, v in expected.items()}
                    if tree != want:
                        raise ProtocolError(f"t{i}: gettree {sorted(tree)} != {sorted(want)}")
                    finals[i] = want
                    conn.send(b"quit\r\n")
                except BaseException:
                    connected.abort()  # let the main thread see the failure at once
                    go.abort()
                    raise
                finally:
                    if conn:
                        conn.close()

            threads, errors = run_threads([lambda i=i: worker(i) for i in range(WORKERS)])
            try:
                connected.wait()
                observer = Conn(d)
                during = observer.stats()
                go.wait()
            except threading.BrokenBarrierError:
                for t in threads:
                    t.join(timeout=10)
                self.fail("a worker failed before the run: " + "\n".join(errors))
            for t in threads:
                t.join(timeout=120)
            self.assertFalse([t for t in threads if t.is_alive()], "workers did not finish")
            self.assertEqual(errors, [])
            self.assertGreaterEqual(int(during["curr_connections"]), WORKERS + 1)
            self.assertLessEqual(int(during["curr_connections"]), WORKERS + 2)
            self.assertGreaterEqual(int(during["total_connections"]), WORKERS + 1)
            self.assertEqual(during["threads"], "4")

            # every private value, read back by a fresh walk of the whole "priv" namespace
            everything = {}
            for want in finals:
                everything.update(want)
            observer.send(b"gettree priv\r\n")
            tree = {key: (flags, data) for key, flags, data in observer.read_values("gettree")}
            self.assertEqual(tree, everything)
            for i in range(WORKERS):
                for k in range(KEYS):
                    path = b"priv t%d g%d k%d" % (i, k % GROUPS, k)
                    self.assertEqual(observer.getn(path),
                                     everything[path][1] if path in everything else None)

            # after the clients have gone, the server still answers and counts sensibly
            deadline = time.monotonic() + 10
            while True:
                after = observer.stats()
                if int(after["curr_connections"]) == 1 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(int(after["curr_connections"]), 1)
            self.assertGreaterEqual(int(after["total_connections"]), WORKERS + 1)
            observer.send(b"gettree shared\r\n")
            shared = observer.read_values("gettree shared")
            self.assertEqual(int(after["curr_items"]), len(everything) + len(shared))
            observer.close()


class NamespaceChurnTest(unittest.TestCase):
    READERS = 8
    ROUNDS = 3
    BIG_GROUPS = 100
    BIG_LEAVES = 200  # 100 * 200 leaves + 100 groups + 1 = 20101 nodes

    def test_drop_and_recreate_20k_node_namespace_while_others_read(self):
        with Daemon(threads=4) as d:
            seed = Conn(d)
            reader_data = {}
            for r in range(self.READERS):
                data = {b"ns%d a%d b%d" % (r, j % 5, j): b"r%d-%d" % (r, j) * (1 + j % 3)
                        for j in range(40)}
                for path, value in data.items():
                    seed.set(path, value)
                reader_data[r] = data
            reader_nodes = self.READERS * (1 + 5 + 40)
            seed.close()

            stop = threading.Event()
            reads = [0] * self.READERS

            def reader(r):
                rng = random.Random(r)
                conn = Conn(d)
                data = reader_data[r]
                paths = sorted(data)
                want_tree = {p: (0, data[p]) for p in paths}
                want_children = [b"a%d" % g for g in range(5)]
                try:
                    while not stop.is_set():
                        choice = rng.random()
                        if choice < 0.8:
                            path = rng.choice(paths)
                            got = conn.getn(path)
                            if got != data[path]:
                                raise ProtocolError(f"reader {r}: {path!r} -> {got!r}")
                        elif choice < 0.9:
                            conn.send(b"getch ns%d\r\n" % r)
                            got = conn.read_children()
                            if got != want_children:
                                raise ProtocolError(f"reader {r}: getch -> {got!r}")
                        else:
                            conn.send(b"gettree ns%d\r\n" % r)
                            got = {k: (f, v) for k, f, v in conn.read_values()}
                            if got != want_tree:
                                raise ProtocolError(f"reader {r}: gettree differs")
                        reads[r] += 1
                finally:
                    conn.close()

            rounds_done = []

            def churner():
                conn = Conn(d, timeout=60)
                try:
                    for rnd in range(self.ROUNDS):
                        self.build_big(conn, rnd)
                        conn.send(b"getch big\r\n")
                        children = conn.read_children("getch big")
                        if children != [b"g%03d" % g for g in range(self.BIG_GROUPS)]:
                            raise ProtocolError(f"round {rnd}: getch big -> {children[:5]!r}...")
                        conn.send(b"gettree big\r\n")
                        walked = conn.read_values("gettree big")
                        want_first = (b"big g000 n000", 0, b"%d.0.0" % rnd)
                        want_last = (b"big g099 n199", 0, b"%d.99.199" % rnd)
                        if (len(walked) != self.BIG_GROUPS * self.BIG_LEAVES
                                or walked[0] != want_first or walked[-1] != want_last):
                            raise ProtocolError(f"round {rnd}: gettree big gave {len(walked)} "
                                                f"values, first {walked[:1]!r}")
                        stats = conn.stats()
                        if int(stats["tree_nodes"]) < 20101 + reader_nodes:
                            raise ProtocolError(f"tree_nodes {stats['tree_nodes']}")
                        conn.send(b"delete big\r\n")
                        conn.expect(b"DELETED", "delete big")
                        for probe in (b"getn big g000 n000", b"getn big g050",
                                      b"gettree big", b"getch big"):
                            conn.send(probe + b"\r\n")
                            conn.expect(b"END", probe.decode() + " after delete")
                        conn.send(b"getch\r\n")
                        top = conn.read_children("getch")
                        if top != sorted(b"ns%d" % r for r in range(self.READERS)):
                            raise ProtocolError(f"top level after delete: {top!r}")
                        rounds_done.append(rnd)
                finally:
                    conn.close()

            threads, errors = run_threads([lambda r=r: reader(r) for r in range(self.READERS)])
            churn_threads, churn_errors = run_threads([churner])
            churn_threads[0].join(timeout=240)
            stop.set()
            for t in threads:
                t.join(timeout=30)
            self.assertFalse(churn_threads[0].is_alive(), "churner did not finish")
            self.assertEqual(churn_errors, [])
            self.assertEqual(errors, [])
            self.assertEqual(rounds_done, list(range(self.ROUNDS)))
            self.assertTrue(all(reads), reads)

            check = Conn(d)
            deadline = time.monotonic() + 10
            while True:
                stats = check.stats()
                if int(stats["tree_nodes"]) == reader_nodes or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(int(stats["tree_nodes"]), reader_nodes)
            self.assertEqual(int(stats["curr_items"]), self.READERS * 40)
            check.close()

    def build_big(self, conn, rnd, batch=1000):
        commands = []
        for g in range(self.BIG_GROUPS):
            for n in range(self.BIG_LEAVES):
                value = b"%d.%d.%d" % (rnd, g, n)
                commands.append(b"set big g%03d n%03d 0 0 %d\r\n%s\r\n" % (g, n, len(value), value))
        for start in range(0, len(commands), batch):
            chunk = commands[start:start + batch]
            conn.send(b"".join(chunk))
            for _ in chunk:
                conn.expect(b"STORED", f"round {rnd}: building big")


if __name__ == "__main__":
    unittest.main(verbosity=2)
