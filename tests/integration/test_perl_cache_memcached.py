"""Perl's Cache::Memcached (Debian: libcache-memcached-perl) against nestcached.

cache_memcached.pl drives the client and prints one "name: result" line per operation. The same
script runs against real memcached 1.6.18 and against nestcached, with one server and with two
(the client hashes keys over them), in --compat mode and in the default nested mode; the outputs
must be identical, and a few results are checked outright. A last test uses the client's
`namespace` with --key-separator ':' so the namespace is a subtree that one raw `delete` drops.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_perl_cache_memcached.py
"""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from memcached_ref import Memcached  # noqa: E402
from nestcached import Daemon, request  # noqa: E402

SCRIPT = os.path.join(HERE, "cache_memcached.pl")


def perl(*args):
    result = subprocess.run(["perl", SCRIPT] + list(args), capture_output=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"cache_memcached.pl {' '.join(args)} failed "
                             f"({result.returncode}):\n{result.stderr.decode()}")
    return result.stdout.decode()


def results(output):
    return dict(line.split(": ", 1) for line in output.splitlines())


class PerlCacheMemcachedTest(unittest.TestCase):
    def compare(self, nestcached_args, servers):
        references = [Memcached().start() for _ in range(servers)]
        ours = [Daemon(nestcached_args).start() for _ in range(servers)]
        try:
            expected = perl("basic", *[m.address for m in references])
            got = perl("basic", *[d.address for d in ours])
        finally:
            for s in references + ours:
                s.stop()
        self.assertEqual(got.splitlines(), expected.splitlines())
        r = results(got)
        # Results a broken server could share with a broken client: checked outright too.
        self.assertEqual(r["get scalar"], "hello")
        self.assertEqual(r["get binary"], "610d0a620063ff")
        self.assertEqual(r["get hash"], "{langs=[perl,c],name=alice}")
        self.assertEqual(r["get big"], "same")
        self.assertEqual(r["get appended"], "abcd")
        self.assertEqual((r["incr"], r["incr 5"], r["decr 100"]), ("11", "16", "0"))
        self.assertEqual((r["add existing"], r["add new"], r["replace missing"]), ("0", "1", "0"))
        self.assertEqual(r["get_multi hits"], "40")
        self.assertEqual(r["stats curr_items"], "47")
        self.assertEqual((r["delete"], r["delete again"], r["get deleted"]), ("1", "0", "undef"))
        self.assertEqual(r["get after flush"], "undef")
        for name in ("curr_items", "total_items", "cmd_get", "cmd_set", "get_hits", "bytes"):
            self.assertEqual(r[f"stats {name} present"], "1", name)

    def test_compat_one_server(self):
        self.compare(["--compat"], 1)

    def test_compat_two_servers(self):
        self.compare(["--compat"], 2)

    def test_nested_mode_two_servers(self):
        self.compare([], 2)

    def test_namespace_is_a_subtree(self):
        with Daemon(["--key-separator", ":"]) as d:
            self.assertEqual(results(perl("fill", "tenant7:", d.address))["filled"], "40")
            self.assertEqual(results(perl("fill", "tenant8:", d.address))["filled"], "40")
            with d.connect() as sock:
                children = request(sock, b"getch tenant7\r\n", b"END\r\n")
                self.assertEqual(children.count(b"CHILD user"), 20, children)
                # Storable's flag (1) on a stored array, as the client set it.
                reply = request(sock, b"get tenant7:user3:cart\r\n", b"END\r\n")
                self.assertTrue(reply.startswith(b"VALUE tenant7:user3:cart 1 "), reply)
                self.assertEqual(request(sock, b"delete tenant7\r\n"), b"DELETED\r\n")
            left = results(perl("check", "tenant7:", d.address))
            self.assertEqual((left["left"], left["cart 7"]), ("0", "undef"))
            kept = results(perl("check", "tenant8:", d.address))
            self.assertEqual((kept["left"], kept["cart 7"]), ("40", "[1,2,3,4,5,6,7]"))


if __name__ == "__main__":
    unittest.main(verbosity=2)
