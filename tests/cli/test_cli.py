#!/usr/bin/python3
"""nestcache-cli end to end against real nestcached daemons on ephemeral ports (issue 15):
exit codes, the server modes, `tree` against a fixture, export -> import round trips of random
trees in both formats, --atomic under concurrent readers (and the mix seen without it), bad
input, a server that dies mid-import.

    NESTCACHED=build/nestcached NESTCACHE_CLI=build/nestcache-cli /usr/bin/python3 tests/cli/test_cli.py
"""

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from nestcached import Daemon, ROOT, read_until  # noqa: E402

CLI = os.environ.get("NESTCACHE_CLI") or os.path.join(ROOT, "build", "nestcache-cli")
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def cli(daemon, *args, stdin=None, timeout=120):
    """Runs nestcache-cli against `daemon`; returns (exit code, stdout bytes, stderr text)."""
    proc = subprocess.run([CLI, "-p", str(daemon.port)] + list(args), input=stdin,
                          capture_output=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr.decode(errors="replace")


def dump(daemon, path=""):
    """Every value below `path` as {path tuple: (flags, exptime, data)}, read with dumptree."""
    sock = daemon.connect()
    sock.sendall(("dumptree " + path).strip().encode() + b"\r\n")
    buf = b""
    out = {}
    while True:
        while b"\r\n" not in buf:
            buf += sock.recv(65536)
        line, buf = buf.split(b"\r\n", 1)
        if line == b"END":
            sock.close()
            return out
        head = line.split(b" ")
        assert head[0] == b"NODE", line
        size = int(head[-2])
        while len(buf) < size + 2:
            buf += sock.recv(65536)
        data, buf = buf[:size], buf[size + 2:]
        out[tuple(head[1:-4])] = (int(head[-4]), int(head[-3]), data)


def random_tree(rng, count, depth=12):
    """{path: (data, flags, ttl)}: binary and UTF-8 values, empty ones, deep paths, flags, TTLs."""
    names = ["a", "b", "cfg", "ü", "@at", "@@x", "x-1", "very_long_" + "n" * 40, "9", "Z"]
    tree = {}
    while len(tree) < count:
        path = tuple(rng.choice(names) for _ in range(rng.randint(1, depth)))
        kind = rng.random()
        if kind < 0.3:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 40)))
        elif kind < 0.4:
            data = b""
        else:
            data = "".join(rng.choice("abc ü€\n\"\\{}") for _ in range(rng.randint(1, 30))).encode()
        tree[path] = (data, rng.choice([0, 0, 7, 4294967295]), rng.choice([0, 0, 0, 3600, 86400]))
    return tree


def load_tree(daemon, tree, root=("r",)):
    sock = daemon.connect()
    out = b""
    for path, (data, flags, ttl) in tree.items():
        out += b"set %s %d %d %d\r\n%s\r\n" % (" ".join(root + path).encode(), flags, ttl,
                                                len(data), data)
    sock.sendall(out)
    expected = b"STORED\r\n" * len(tree)
    got = b""
    while len(got) < len(expected):
        chunk = sock.recv(65536)
        assert chunk, "closed"
        got += chunk
    assert got == expected, got[:200]
    sock.close()


class ExitCodesAndModes(unittest.TestCase):
    def test_exit_codes(self):
        with Daemon() as d:
            self.assertEqual(cli(d, "set", "billing/prod/db_url", "postgres://db1")[0], 0)
            code, out, _ = cli(d, "get", "billing/prod/db_url")
            self.assertEqual((code, out), (0, b"postgres://db1\n"))
            self.assertEqual(cli(d, "get", "billing/nope")[0], 4)
            self.assertEqual(cli(d, "del", "billing/nope")[0], 4)
            self.assertEqual(cli(d, "ls", "nope")[0], 4)
            self.assertEqual(cli(d, "get")[0], 1)
            self.assertEqual(cli(d, "bogus")[0], 1)
            self.assertEqual(cli(d, "set", "a//b", "x")[0], 1)
            code, out, _ = cli(d, "-o", "json", "ls", "billing")
            self.assertEqual(json.loads(out), ["prod"])
            self.assertEqual(cli(d, "set", "k", "--ttl", "x", "v")[0], 1)
            self.assertEqual(cli(d, "del", "billing")[0], 0)
        free = Daemon()
        free.start()
        port = free.port
        free.stop()
        proc = subprocess.run([CLI, "-p", str(port), "get", "a"], capture_output=True)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(b"cannot connect", proc.stderr)

    def test_value_from_stdin_flags_ttl(self):
        with Daemon() as d:
            self.assertEqual(cli(d, "set", "a/b", "--flags", "9", "--ttl", "100",
                                 stdin=b"\x00\xffbin")[0], 0)
            self.assertEqual(cli(d, "get", "--raw", "a/b")[1], b"\x00\xffbin")
            code, out, _ = cli(d, "-o", "json", "get", "a/b")
            got = json.loads(out)
            self.assertEqual((got["flags"], got["value_base64"]), (9, "AP9iaW4="))
            (flags, exptime, data), = dump(d).values()
            self.assertEqual((flags, data), (9, b"\x00\xffbin"))
            self.assertGreater(exptime, time.time())

    def test_modes(self):
        for args in (["--key-separator", ":"], ["--compat", "--key-separator", ":"]):
            with Daemon(args) as d:
                self.assertEqual(cli(d, "set", "u/42/name", "alice")[0], 0, args)
                self.assertEqual(cli(d, "get", "u/42/name")[1], b"alice\n")
                self.assertEqual(cli(d, "ls", "u")[1], b"42\n")
                self.assertEqual(cli(d, "-d", ".", "get", "u.42.name")[1], b"alice\n")
                self.assertEqual(cli(d, "set", "a:b", "x")[0], 1)  # holds the separator
                code, doc, _ = cli(d, "export", "u")
                self.assertEqual(cli(d, "del", "u")[0], 0)
                self.assertEqual(cli(d, "import", "-", stdin=doc)[0], 0)
                self.assertEqual(cli(d, "get", "u/42/name")[1], b"alice\n")
        with Daemon(["--compat"]) as d:
            self.assertEqual(cli(d, "set", "top", "v")[0], 0)
            self.assertEqual(cli(d, "get", "top")[1], b"v\n")
            code, _, err = cli(d, "set", "a/b", "v")
            self.assertEqual(code, 1)
            self.assertIn("only top-level keys", err)


class TreeFixture(unittest.TestCase):
    def test_tree_output(self):
        with Daemon() as d:
            for path, value in [("billing/prod/db_url", b"postgres://db1.internal:5432/billing"),
                                ("billing/prod/pool", b"20"), ("billing/dev/db_url", b""),
                                ("billing/prod/cert", b"\x00\x01\xfe\xff"),
                                ("billing/prod", b"own value"), ("billing/zz/über", ("ü" * 80).encode())]:
                self.assertEqual(cli(d, "set", path, stdin=value)[0], 0)
            code, out, _ = cli(d, "tree", "--width", "48", "billing")
            with open(os.path.join(FIXTURES, "tree.txt"), "rb") as f:
                self.assertEqual(out.decode(), f.read().decode())
            self.assertEqual(cli(d, "tree", "nope")[0], 4)


class RoundTrip(unittest.TestCase):
    def round_trip(self, flat):
        rng = random.Random(1500 + flat)
        tree = random_tree(rng, 400)
        with Daemon() as a, Daemon() as b:
            load_tree(a, tree)
            before = dump(a)
            self.assertEqual(len(before), len(tree))
            args = ["export", "--flat", "r"] if flat else ["export", "r"]
            code, doc, err = cli(a, *args)
            self.assertEqual(code, 0, err)
            json.loads(doc)
            code, _, err = cli(b, "import", "-", stdin=doc)
            self.assertEqual(code, 0, err)
            self.assertEqual(dump(b), before)  # data, flags and absolute exptime, byte-exact
            # Into a server that holds other values there: afterwards exactly the document.
            with Daemon() as c:
                load_tree(c, random_tree(random.Random(7), 100))
                self.assertEqual(cli(c, "import", "--atomic", "-", stdin=doc)[0], 0)
                self.assertEqual(dump(c), before)

    def test_nested(self):
        self.round_trip(False)

    def test_flat(self):
        self.round_trip(True)

    def test_dry_run_and_to(self):
        with Daemon() as d:
            cli(d, "set", "app/a", "1")
            cli(d, "set", "app/b", "2")
            doc = b'{"@root": ["app"], "app": {"a": "1", "b": "3", "c": "4"}}'
            cli(d, "set", "app/old/x", "5")
            code, out, _ = cli(d, "import", "--dry-run", "-", stdin=doc)
            self.assertEqual(out.decode(), "+ app/c\n~ app/b\n- app/old/x\n"
                                           "1 added, 1 changed, 1 removed\n")
            self.assertEqual(cli(d, "get", "app/b")[1], b"2\n")  # nothing changed
            self.assertEqual(cli(d, "import", "--to", "copy/of/app", "-", stdin=doc)[0], 0)
            self.assertEqual(cli(d, "ls", "copy/of/app")[1], b"a\nb\nc\n")
            self.assertEqual(cli(d, "ls", "app")[1], b"a\nb\nold\n")


class Atomic(unittest.TestCase):
    KEYS = 300

    def readers_see_mix(self, atomic, imports):
        """Alternates two documents over one subtree while readers gettree it; True if a reader
        ever saw values of both (or some missing)."""
        docs = [json.dumps({"@root": ["cfg"], "cfg": {"k%03d" % i: gen for i in range(self.KEYS)}})
                .encode() for gen in ("A", "B")]
        mixed = []
        stop = threading.Event()
        with Daemon() as d:
            self.assertEqual(cli(d, "import", "-", stdin=docs[0])[0], 0)

            def reader():
                sock = d.connect()
                while not stop.is_set():
                    sock.sendall(b"gettree cfg\r\n")
                    reply = read_until(sock, b"END\r\n")
                    values = set(reply.split(b"\r\n")[1::2][:-1])
                    count = reply.count(b"VALUE ")
                    if len(values) > 1 or count != self.KEYS:
                        mixed.append((count, values))
                sock.close()

            threads = [threading.Thread(target=reader) for _ in range(2)]
            for t in threads:
                t.start()
            try:
                for i in range(imports):
                    args = ["import", "--atomic", "-"] if atomic else ["import", "-"]
                    self.assertEqual(cli(d, *args, stdin=docs[(i + 1) % 2])[0], 0)
                    if mixed and not atomic:
                        break
            finally:
                stop.set()
                for t in threads:
                    t.join()
            self.assertEqual(cli(d, "ls", "/")[1], b"cfg\n")  # no staged sibling left
        return bool(mixed)

    def test_readers_never_see_a_mix_with_atomic(self):
        self.assertFalse(self.readers_see_mix(True, 40))

    def test_without_atomic_readers_do_see_a_mix(self):
        # The same test without --atomic fails: the check above can see a mix.
        self.assertTrue(self.readers_see_mix(False, 200))


class Load(unittest.TestCase):
    def test_path_value_lines_and_errors_by_line_number(self):
        with Daemon(["--max-depth", "4"]) as d:
            lines = b"".join(b"app/k%04d v%d\n" % (i, i) for i in range(3000))
            lines += b"bad//path x\na/b/c/d/e too deep\napp/spaced two words\n"
            code, _, err = cli(d, "load", "-", stdin=lines)
            self.assertEqual(code, 3)
            self.assertIn("line 3001: empty path segment", err)
            self.assertIn("line 3002: path too deep for the server", err)
            self.assertIn("loaded 3001 of 3001 requests", err)
            self.assertEqual(cli(d, "get", "app/k2999")[1], b"v2999\n")
            self.assertEqual(cli(d, "get", "app/spaced")[1], b"two words\n")

    def test_raw_commands(self):
        with Daemon() as d:
            raw = (b"set a b 0 0 4\r\nx\r\ny\r\nset c 0 0 1 noreply\r\nz\r\n"
                   b"delete a\r\nincr nothing 1\r\nset d 0 0 1\r\nw\r\n")
            code, _, err = cli(d, "load", "-", stdin=raw)
            self.assertEqual(code, 0, err)
            self.assertEqual(cli(d, "ls")[1], b"c\nd\n")


class BadInput(unittest.TestCase):
    def test_malformed_json_has_line_and_column(self):
        with Daemon() as d:
            code, _, err = cli(d, "import", "-", stdin=b'{\n  "a": {\n    "b": 1,,\n  }\n}')
            self.assertEqual(code, 1)
            self.assertIn("<stdin>:3:12: malformed JSON", err)
            code, _, err = cli(d, "import", "-", stdin=b'{"a": {"@base64": "%%%"}}')
            self.assertEqual(code, 1)
            self.assertIn("not valid base64", err)

    def check_refused(self, daemon_args, doc, message):
        with Daemon(daemon_args) as d:
            cli(d, "set", "app/keep", "old")
            before = dump(d)
            for atomic in ([], ["--atomic"]):
                code, _, err = cli(d, "import", *atomic, "-", stdin=doc)
                self.assertEqual(code, 1, err)
                self.assertIn(message, err)
                self.assertEqual(dump(d), before)  # refused before anything was written
                self.assertEqual(cli(d, "ls", "/")[1], b"app\n")

    def test_path_too_deep(self):
        doc = json.dumps({"@root": ["app"], "app": {"a": {"b": {"c": "x"}}, "keep": "new"}})
        self.check_refused(["--max-depth", "3"], doc.encode(), "path too deep for the server")

    def test_value_past_item_size(self):
        doc = json.dumps({"@root": ["app"], "app": {"big": "x" * 2000, "keep": "new"}})
        self.check_refused(["-I", "1k"], doc.encode(), "past the server's -I")

    def test_server_dying_mid_import_changes_nothing_with_atomic(self):
        with tempfile.TemporaryDirectory() as data_dir:
            d = Daemon(["--data-dir", data_dir, "--fsync", "always"])
            d.start()
            try:
                cli(d, "set", "app/keep", "old")
                before = dump(d)
                doc = json.dumps({"@root": ["app"],
                                  "app": {"k%06d" % i: "v" * 64 for i in range(150000)}}).encode()
                proc = subprocess.Popen([CLI, "-p", str(d.port), "import", "--atomic", "-"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
                proc.stdin.write(doc)
                proc.stdin.close()
                # Kill the server while the staged copy is being written.
                deadline = time.time() + 60
                while time.time() < deadline and len(dump(d, "")) < 1000:
                    time.sleep(0.01)
                d.proc.send_signal(signal.SIGKILL)
                d.proc.wait()
                err = proc.stderr.read().decode()
                self.assertEqual(proc.wait(), 3, err)
                self.assertIn("nothing changed", err)
                d.start()  # again on the same data directory (a new port)
                self.assertEqual(dump(d, "app"), before)
            finally:
                d.stop()


if __name__ == "__main__":
    unittest.main(verbosity=2)
