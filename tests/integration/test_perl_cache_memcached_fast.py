"""Perl's Cache::Memcached::Fast (Debian: libcache-memcached-fast-perl) against nestcached.

The client parses the `version` reply as a version number when it connects, so a server that
answers anything but memcached's x.y.z is refused (issue 14). cache_memcached_fast.pl prints one
"name: result" line per operation; the same run against real memcached 1.6.18 and against
nestcached (--compat and nested mode, one server and two) must print the same lines.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_perl_cache_memcached_fast.py
"""

import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from memcached_ref import Memcached  # noqa: E402
from nestcached import Daemon  # noqa: E402

SCRIPT = os.path.join(HERE, "cache_memcached_fast.pl")


def perl(*servers):
    result = subprocess.run(["perl", SCRIPT] + list(servers), capture_output=True, timeout=120)
    if result.returncode != 0:
        raise AssertionError(f"cache_memcached_fast.pl failed ({result.returncode}):\n"
                             f"{result.stderr.decode()}")
    return result.stdout.decode()


class PerlCacheMemcachedFastTest(unittest.TestCase):
    def compare(self, nestcached_args, servers):
        references = [Memcached().start() for _ in range(servers)]
        ours = [Daemon(nestcached_args).start() for _ in range(servers)]
        try:
            expected = perl(*[m.address for m in references])
            got = perl(*[d.address for d in ours])
        finally:
            for s in references + ours:
                s.stop()
        self.assertEqual(got.splitlines(), expected.splitlines())
        r = dict(line.split(": ", 1) for line in got.splitlines())
        self.assertEqual(r["versions"], ",".join(["1.6.18"] * servers))
        self.assertEqual(r["get appended"], "hello world")
        self.assertEqual(r["get binary"], "610d0a620063ff")
        self.assertEqual((r["cas"], r["cas stale"], r["get swapped"]), ("1", "0", "swapped"))
        self.assertEqual((r["incr"], r["decr"]), ("15", "0E0"))  # a true zero
        self.assertEqual(r["get_multi hits"], "20")

    def test_compat_one_server(self):
        self.compare(["--compat"], 1)

    def test_nested_mode_two_servers(self):
        self.compare([], 2)


if __name__ == "__main__":
    unittest.main(verbosity=2)
