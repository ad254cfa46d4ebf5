"""libmemcached's command-line tools (Debian: libmemcached-tools) against nestcached.

memccapable -a (libmemcached's ASCII protocol conformance suite) must pass against --compat.
memccp memccat memcrm memcflush memcstat run the same round trips against real memcached 1.6.18
and against nestcached (--compat and the default nested mode); their outputs and exit codes must
match, and are checked outright too. memcdump lists keys through `stats cachedump`.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_libmemcached_tools.py
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from memcached_ref import Memcached  # noqa: E402
from nestcached import Daemon, request  # noqa: E402

CONTENT = b"line1\r\nline2\x00bin\xff\n"


def tool(name, *args, timeout=60):
    path = shutil.which(name) or f"/usr/bin/{name}"
    result = subprocess.run([path] + list(args), capture_output=True, timeout=timeout)
    return result.returncode, result.stdout


class MemccapableTest(unittest.TestCase):
    def test_ascii_suite_passes_in_compat_mode(self):
        with Daemon(["--compat"]) as d:
            code, out = tool("memccapable", "-h", "127.0.0.1", "-p", str(d.port), "-a",
                             timeout=240)
            text = out.decode(errors="replace")
            failed = [line for line in text.splitlines() if "[FAIL]" in line]
            self.assertEqual(failed, [], text)
            self.assertIn("All tests passed", text)
            self.assertEqual(code, 0, text)
            # The daemon is still serving afterwards.
            with d.connect() as sock:
                self.assertTrue(request(sock, b"version\r\n").startswith(b"VERSION 1.6.18"))


class RoundTripTest(unittest.TestCase):
    """The same tool sequence against memcached and nestcached."""

    def session(self, address, directory):
        servers = f"--servers={address}"
        path = os.path.join(directory, "payload.bin")
        with open(path, "wb") as f:
            f.write(CONTENT)
        steps = []

        def step(label, *args):
            code, out = tool(*args)
            steps.append((label, code, out))
            return code, out

        step("memccp", "memccp", servers, path)
        step("memccat", "memccat", servers, "payload.bin")
        step("memccat miss", "memccat", servers, "missing")
        step("memccp add existing", "memccp", servers, "--add", path)
        step("memccp replace", "memccp", servers, "--replace", "--flag=7", path)
        step("memccat flag", "memccat", servers, "--flag", "payload.bin")
        step("memcrm", "memcrm", servers, "payload.bin")
        step("memcrm again", "memcrm", servers, "payload.bin")
        step("memccat after rm", "memccat", servers, "payload.bin")
        step("memccp again", "memccp", servers, "--set", "--expire=0", path)
        step("memcflush", "memcflush", servers)
        step("memccat after flush", "memccat", servers, "payload.bin")
        code, out = tool("memcstat", servers)
        # Figures vary: only the names are kept.
        names = re.findall(rb"^\t(\w+): ", out, re.M)
        steps.append(("memcstat", code, b" ".join(sorted(set(names)))))
        return steps

    @staticmethod
    def raw_stat_names(server):
        with server.connect() as sock:
            reply = request(sock, b"stats\r\n", b"END\r\n")
        return set(re.findall(rb"^STAT (\S+) ", reply, re.M))

    def run_both(self, nestcached_args):
        with tempfile.TemporaryDirectory() as tmp, Memcached() as m, Daemon(nestcached_args) as d:
            expected = self.session(m.address, tmp)
            got = self.session(d.address, tmp)
            memcached_names = self.raw_stat_names(m)
        by_label = {label: (code, out) for label, code, out in got}
        self.assertEqual(by_label["memccp"][0], 0)
        self.assertEqual(by_label["memccat"], (0, CONTENT + b"\n"))  # memccat adds a newline
        self.assertNotEqual(by_label["memccat miss"][0], 0)
        self.assertEqual(by_label["memccat flag"], (0, b"7\n" + CONTENT + b"\n"))
        self.assertEqual(by_label["memcrm"][0], 0)
        self.assertNotEqual(by_label["memccat after rm"][0], 0)
        self.assertEqual(by_label["memcflush"][0], 0)
        self.assertNotEqual(by_label["memccat after flush"][0], 0)
        stat_names = by_label["memcstat"][1].split()
        for name in (b"pid", b"uptime", b"version", b"curr_items", b"get_hits", b"threads"):
            self.assertIn(name, stat_names)
        for (label, code, out), (_, ref_code, ref_out) in zip(got, expected):
            if label == "memcstat":
                # nestcached lists only the stats that mean something without slabs
                # (protocol.md 10.1): every name it has must be one memcached has too, or ours
                # (tree_*, watch*, nestcache_version). memcached lists idle_kicks only when
                # -o idle_timeout is set.
                extra = [n for n in out.split() if n not in memcached_names
                         and not n.startswith((b"tree_", b"watch"))
                         and n not in (b"idle_kicks", b"nestcache_version")]
                self.assertEqual(extra, [], "memcstat names memcached does not have")
                continue
            self.assertEqual((code, out), (ref_code, ref_out), label)

    def test_compat_mode(self):
        self.run_both(["--compat"])

    def test_nested_mode(self):
        self.run_both([])


class MemcdumpTest(unittest.TestCase):
    # memcdump asks `stats cachedump <id> 0` for every class id below 64 and prints each ITEM's key
    # up to its first space; nestcached answers for its one pseudo class, 1 (protocol.md 8.1).
    def dump(self, args, keys):
        with Daemon(args) as d:
            with d.connect() as sock:
                for key in keys:
                    self.assertEqual(request(sock, b"set %s 0 0 1\r\nx\r\n" % key),
                                     b"STORED\r\n")
            code, out = tool("memcdump", f"--servers={d.address}")
            self.assertEqual(code, 0, out)
            return sorted(out.split())

    def test_lists_stored_keys(self):
        self.assertEqual(self.dump(["--compat"], [b"alpha", b"beta", b"gamma"]),
                         [b"alpha", b"beta", b"gamma"])

    def test_lists_nested_keys_joined_by_the_separator(self):
        self.assertEqual(self.dump(["--key-separator", ":"], [b"users:42:name", b"users", b"x"]),
                         [b"users", b"users:42:name", b"x"])

    def test_lists_only_one_token_keys_without_a_separator(self):
        # `set a b 0 0 1` stores at a -> b, which no plain client can name in one key.
        self.assertEqual(self.dump([], [b"top", b"a b"]), [b"top"])


if __name__ == "__main__":
    unittest.main(verbosity=2)
