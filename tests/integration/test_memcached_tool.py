"""memcached's own memcached-tool (Debian's memcached package ships it) against nestcached.

`memcached-tool HOST:PORT dump` sends `lru_crawler metadump all`, reads `key=... exp=...` lines
up to END, then fetches each key and prints it as an `add` command; `keys` prints the metadump
lines. Against a nestcached that did not know metadump the tool waited forever (issue 14). Each
run is bounded by a timeout, and its output must be what the same run prints against a real
memcached 1.6.18 holding the same keys (as a set of records: the tool lists keys in hash order).

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_memcached_tool.py
"""

import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from memcached_ref import Memcached  # noqa: E402
from nestcached import Daemon, request  # noqa: E402

TOOL = "/usr/share/memcached/scripts/memcached-tool"
# Keys with bytes memcached URI-encodes, a value with CRLF, flags, an absolute deadline (2033).
ITEMS = [(b"plain", 0, 0, b"x"), (b"pct%25", 3, 0, b"two\r\nlines"),
         (b"colon:slash/", 0, 2000000000, b"later"), (b"n", 7, 0, b"")]
# metadump needs memcached's LRU crawler, which the reference server (tests/support/
# memcached_ref.py) runs without unless asked; its LRU maintainer stays off (it starts crawls of
# its own, and a metadump asked for meanwhile answers BUSY).
MEMCACHED_ARGS = ["-o", "lru_crawler"]
NESTED_ITEMS = [(b"tenant:user:1", 0, 0, b"alice"), (b"tenant:user:2", 1, 0, b"bob")]


# Values that land in several of memcached's slab classes, one of them a chunked item (over the
# 512 KiB largest chunk): `display` must show the same classes, pages and counts.
SIZED_ITEMS = [(b"s%d" % i, i % 2, 0, b"v" * size)
               for i, size in enumerate([1, 5, 40, 200, 200, 1000, 5000, 100000, 600000])]


def display_rows(output):
    """`display`'s rows (class, item size, pages, count, full?, evicted, evict time, OOM) with
    Max_age (seconds, per-server timing) left out."""
    rows = []
    for line in output.splitlines():
        fields = line.split()
        if fields and fields[0].isdigit():
            rows.append(fields[:2] + fields[3:])
    return rows


def run_tool(address, mode):
    result = subprocess.run(["perl", TOOL, address, mode], capture_output=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError(f"memcached-tool {mode} failed ({result.returncode}): "
                             f"{result.stderr.decode()}")
    return result.stdout


def fill(server, items):
    with server.connect() as sock:
        for key, flags, exptime, data in items:
            line = b"set %s %d %d %d\r\n%s\r\n" % (key, flags, exptime, len(data), data)
            if request(sock, line) != b"STORED\r\n":
                raise AssertionError(f"cannot store {key!r}")


def dump_records(output):
    """The `add` records of a dump, sorted (each is a command line and its data)."""
    records = re.findall(rb"add (\S+) (\d+) (-?\d+) (\d+)\r\n", output)
    return sorted(records)


def key_fields(output):
    """The metadump lines of `keys`, without la and cas (per-server figures), sorted."""
    lines = [re.sub(rb" la=\d+ cas=\d+", b"", line) for line in output.splitlines()]
    return sorted(line for line in lines if line.startswith(b"key="))


class MemcachedToolTest(unittest.TestCase):
    def compare(self, nestcached_args, items):
        with Memcached(MEMCACHED_ARGS) as reference, Daemon(nestcached_args) as ours:
            fill(reference, items)
            fill(ours, items)
            for mode in ("dump", "keys"):
                expected = run_tool(reference.address, mode)
                got = run_tool(ours.address, mode)
                if mode == "dump":
                    self.assertEqual(dump_records(got), dump_records(expected))
                    self.assertEqual(len(dump_records(got)), len(items))
                    for _, _, _, data in items:
                        self.assertIn(data + b"\r\n", got)
                else:
                    self.assertEqual(key_fields(got), key_fields(expected))
            # The server still serves the connection's successors.
            with ours.connect() as sock:
                self.assertEqual(request(sock, b"version\r\n"), b"VERSION 1.6.18\r\n")

    def test_dump_in_compat_mode(self):
        self.compare(["--compat"], ITEMS)

    def test_dump_in_nested_mode(self):
        self.compare([], ITEMS)

    def test_dump_lists_paths_joined_by_the_separator(self):
        self.compare(["--key-separator", ":"], ITEMS + NESTED_ITEMS)

    def test_display_shows_memcacheds_classes_for_the_same_items(self):
        for args in (["--compat"], []):
            with self.subTest(args=args), Memcached(MEMCACHED_ARGS) as reference, \
                    Daemon(args) as ours:
                fill(reference, SIZED_ITEMS)
                fill(ours, SIZED_ITEMS)
                expected = display_rows(run_tool(reference.address, "display"))
                got = display_rows(run_tool(ours.address, "display"))
                self.assertEqual(got, expected)
                # The items are there, in more than one class (not one pseudo class).
                self.assertGreater(len(got), 4)
                self.assertEqual(sum(int(row[3]) for row in got), len(SIZED_ITEMS))

    def test_dump_of_an_empty_cache(self):
        self.compare(["--compat"], [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
