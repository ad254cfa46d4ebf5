"""Real binary-protocol clients against nestcached: libmemcached's memccapable in its binary mode
(-b) and pylibmc (Debian python3-pylibmc) with binary=True doing its normal operations. The
pylibmc sequence runs against a real memcached 1.6.18 too, and the two result lists must match;
each result is also checked outright.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_binary_protocol.py
"""

import os
import shutil
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

import pylibmc  # noqa: E402  (Debian python3-pylibmc)

from binary_client import BinaryClient, Op, Status, set_extras  # noqa: E402
from memcached_ref import Memcached  # noqa: E402
from nestcached import Daemon  # noqa: E402


def memccapable(port, *args):
    path = shutil.which("memccapable") or "/usr/bin/memccapable"
    result = subprocess.run([path, "-h", "127.0.0.1", "-p", str(port)] + list(args),
                            capture_output=True, timeout=240)
    return result.returncode, result.stdout.decode(errors="replace")


class MemccapableBinaryTest(unittest.TestCase):
    def check(self, args):
        with Daemon(args) as d:
            code, text = memccapable(d.port, "-b")
            self.assertEqual([line for line in text.splitlines() if "[FAIL]" in line], [], text)
            self.assertIn("binary get ", text)  # the binary tests ran
            self.assertIn("All tests passed", text)
            self.assertEqual(code, 0, text)

    def test_binary_suite_passes_in_compat_mode(self):
        self.check(["--compat"])

    def test_binary_suite_passes_in_nested_mode(self):
        self.check([])


def client(port):
    return pylibmc.Client([f"127.0.0.1:{port}"], binary=True,
                          behaviors={"cas": True, "tcp_nodelay": True})


def pylibmc_session(port):
    """A client's everyday operations; returns what each answered (exceptions by class)."""
    mc = client(port)
    results = []

    def step(label, fn, *args, **kw):
        try:
            value = fn(*args, **kw)
        except pylibmc.Error as e:
            value = type(e).__name__
        results.append((label, value))
        return value

    step("set", mc.set, "user:1", "alice")
    step("get", mc.get, "user:1")
    step("set int", mc.set, "count", 10)
    step("incr", mc.incr, "count", 5)
    step("decr", mc.decr, "count", 20)
    step("incr missing", mc.incr, "nocount", 1)
    step("add existing", mc.add, "user:1", "bob")
    step("add new", mc.add, "user:2", "bob")
    step("replace missing", mc.replace, "user:3", "carol")
    step("replace", mc.replace, "user:2", "bobby")
    step("append", mc.append, "user:2", "!")
    step("prepend", mc.prepend, "user:2", "<")
    step("get appended", mc.get, "user:2")
    step("append missing", mc.append, "user:9", "x")
    step("set_multi", mc.set_multi, {"m1": "a", "m2": b"\x00\xff", "m3": [1, 2, 3]})
    step("get_multi", lambda keys: sorted(mc.get_multi(keys).items()),
         ["m1", "m2", "m3", "nope", "user:1"])
    value, cas = step("gets", mc.gets, "user:1")
    step("cas ok", mc.cas, "user:1", "alice2", cas)
    step("cas stale", mc.cas, "user:1", "alice3", cas)
    step("get after cas", mc.get, "user:1")
    step("touch", mc.touch, "user:1", 100)
    step("touch missing", mc.touch, "missing", 100)
    step("delete", mc.delete, "user:1")
    step("delete missing", mc.delete, "user:1")
    step("delete_multi", mc.delete_multi, ["m1", "m2"])
    step("get deleted", mc.get, "m1")
    step("big", mc.set, "big", b"x" * 500000)
    step("get big", lambda k: len(mc.get(k)), "big")
    step("too big", mc.set, "huge", b"x" * (2 * 1024 * 1024))
    step("flush_all", mc.flush_all)
    step("get flushed", mc.get, "user:2")
    stats = mc.get_stats()
    results.append(("stats", sorted(name for name in stats[0][1] if name in (
        "version", "curr_items", "cmd_get", "pid"))))
    results.append(("stats version", stats[0][1].get("version")))
    step("settings", lambda: "item_size_max" in mc.get_stats("settings")[0][1])
    mc.disconnect_all()
    return results


class PylibmcBinaryTest(unittest.TestCase):
    maxDiff = None

    def test_same_answers_as_memcached(self):
        with Memcached() as m:
            reference = pylibmc_session(m.port)
        for args in (["--compat"], []):
            with self.subTest(args=args), Daemon(args) as d:
                self.assertEqual(pylibmc_session(d.port), reference)
        answers = dict(reference)
        self.assertEqual(answers["get"], "alice")
        self.assertEqual(answers["incr"], 15)
        self.assertEqual(answers["decr"], 0)
        self.assertEqual(answers["get appended"], "<bobby!")
        self.assertEqual(answers["get_multi"], [("m1", "a"), ("m2", b"\x00\xff"), ("m3", [1, 2, 3]),
                                                ("user:1", "alice")])
        self.assertTrue(answers["cas ok"])
        self.assertFalse(answers["cas stale"])
        self.assertEqual(answers["get after cas"], "alice2")
        self.assertEqual(answers["get big"], 500000)
        self.assertEqual(answers["too big"], "TooBig")
        self.assertIsNone(answers["get flushed"])
        self.assertEqual(answers["stats version"], b"1.6.18")

    def test_separator_makes_a_namespace_of_binary_keys(self):
        with Daemon(["--key-separator", ":"]) as d:
            mc = client(d.port)
            mc.set_multi({"tenant:1:a": "x", "tenant:1:b": "y", "tenant:2:a": "z"})
            self.assertTrue(mc.delete("tenant:1"))  # the namespace goes in one delete
            self.assertEqual(mc.get_multi(["tenant:1:a", "tenant:1:b", "tenant:2:a"]),
                             {"tenant:2:a": "z"})
            with BinaryClient(d.port) as c:
                # an empty segment is nestcache's own complaint, as Invalid arguments
                p = c.call(Op.SET, key=b"a::b", extras=set_extras(), value=b"v")
                self.assertEqual((p.status, p.value), (Status.EINVAL, b"empty path segment"))
                self.assertEqual(c.call(Op.NOOP).status, Status.SUCCESS)  # still open


if __name__ == "__main__":
    unittest.main()
