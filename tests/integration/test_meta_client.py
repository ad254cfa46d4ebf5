"""A meta-protocol client (tests/support/meta_client.py, used as Dalli 5 uses the meta commands)
against a live nestcached: in nested mode, with --compat, and with --key-separator ':', and
against memcached 1.6.18 itself, so that the client is known to be right.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_meta_client.py
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from memcached_ref import Memcached  # noqa: E402
from meta_client import MetaClient  # noqa: E402
from nestcached import Daemon  # noqa: E402

BINARY = bytes(range(256)) + b"\r\nEND\r\nVA 3\r\n\r\n\x00\r" + bytes(range(255, -1, -1))


class MetaClientBehaviour:
    """The client's calls; each subclass runs them against one kind of server."""

    DAEMON = Daemon
    ARGS = []

    @classmethod
    def setUpClass(cls):
        cls.daemon = cls.DAEMON(cls.ARGS).start()

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()

    def setUp(self):
        self.c = MetaClient(self.daemon.port)
        self.c._send(b"flush_all\r\n")
        self.assertEqual(self.c._line(), b"OK")

    def tearDown(self):
        self.c.close()

    def test_set_get_delete_with_flags(self):
        self.assertTrue(self.c.set("greeting", b"hello", client_flags=42))
        self.assertEqual(self.c.get("greeting"), (b"hello", 42))
        self.assertTrue(self.c.delete("greeting"))
        self.assertIsNone(self.c.get("greeting"))
        self.assertFalse(self.c.delete("greeting"))

    def test_binary_values_and_keys(self):
        self.assertTrue(self.c.set("blob", BINARY))
        self.assertEqual(self.c.get("blob"), (BINARY, 0))
        key = "ключ 🔑".encode()  # not a text key: sent in base64
        self.assertTrue(self.c.set(key, b"unicode"))
        self.assertEqual(self.c.get(key), (b"unicode", 0))
        self.assertEqual(self.c.get_multi([key, "blob"]), {key: b"unicode", "blob": BINARY})

    def test_get_multi_is_pipelined_quietly_and_keeps_hits_apart_by_opaque(self):
        keys = [f"k{i}" for i in range(50)]
        for i, key in enumerate(keys):
            if i % 3 != 0:
                self.c.set(key, f"v{i}".encode(), quiet=True)
        self.assertEqual(self.c.noop(), [])  # quiet sets that worked say nothing
        found = self.c.get_multi(keys)
        self.assertEqual(found, {k: f"v{i}".encode() for i, k in enumerate(keys) if i % 3 != 0})

    def test_quiet_failures_still_answer_before_mn(self):
        self.c.set("there", b"x")
        self.c.set("absent", b"y", mode="R", quiet=True)  # replace of nothing: NS
        self.c.set("there", b"z", mode="E", quiet=True)  # add over a value: NS
        self.assertEqual([reply[0] for reply in self.c.noop()], ["NS", "NS"])
        self.assertEqual(self.c.get("there"), (b"x", 0))

    def test_cas(self):
        self.assertTrue(self.c.set("counter", b"1"))
        cas = self.c.last_cas
        self.assertTrue(self.c.set("counter", b"2", cas=cas))
        self.assertFalse(self.c.set("counter", b"3", cas=cas))  # EX: the unique moved on
        self.assertEqual(self.c.get("counter"), (b"2", 0))

    def test_incr_with_autovivify(self):
        self.assertEqual(self.c.incr("hits", 5, initial=10), 10)  # created at J
        self.assertEqual(self.c.incr("hits", 5), 15)
        self.assertEqual(self.c.incr("nohits", 1), None)  # NF without N

    def test_ttl_read_and_touch(self):
        self.c.set("session", b"s", ttl=100)
        self.assertTrue(98 <= self.c.ttl("session") <= 100)
        self.c.set("forever", b"f")
        self.assertEqual(self.c.ttl("forever"), -1)
        self.assertIsNone(self.c.ttl("missing"))
        self.assertTrue(self.c.touch("forever", 50))
        self.assertTrue(48 <= self.c.ttl("forever") <= 50)

    def test_stale_while_revalidate_lets_one_client_recompute(self):
        other = MetaClient(self.daemon.port)
        try:
            value, won = self.c.get_or_lease("report")
            self.assertEqual((value, won), (None, True))  # a miss: this client computes it
            value, won = other.get_or_lease("report")
            self.assertEqual((value, won), (None, False))  # the other waits or serves a default
            self.assertTrue(self.c.set("report", b"v1", ttl=300))
            self.assertEqual(other.get_or_lease("report"), (b"v1", False))
            self.assertTrue(self.c.invalidate("report"))  # the source changed
            self.assertEqual(other.get_or_lease("report"), (b"v1", True))  # stale; other wins
            self.assertEqual(self.c.get_or_lease("report"), (b"v1", False))  # still served
            self.assertTrue(other.set("report", b"v2", ttl=300))
            self.assertEqual(self.c.get_or_lease("report"), (b"v2", False))
        finally:
            other.close()

    def test_expiry(self):
        self.c.set("short", b"s", ttl=1)
        deadline = time.monotonic() + 5
        while self.c.get("short") is not None and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertIsNone(self.c.get("short"))


class NestedModeTest(MetaClientBehaviour, unittest.TestCase):
    """A meta key is one top-level node in nested mode."""

    def test_a_meta_key_is_one_top_level_node(self):
        self.assertTrue(self.c.set("users", b"plain"))
        self.c._send(b"getch\r\n")
        self.assertEqual(self.c._line(), b"CHILD users")
        self.assertEqual(self.c._line(), b"END")


class CompatModeTest(MetaClientBehaviour, unittest.TestCase):
    ARGS = ["--compat"]


class SeparatorModeTest(MetaClientBehaviour, unittest.TestCase):
    """With --key-separator, a meta key is a path: a namespace drops with one text delete."""

    ARGS = ["--key-separator", ":"]

    def test_a_meta_key_is_split_into_a_path(self):
        for i in range(5):
            self.assertTrue(self.c.set(f"tenant7:user{i}:cart", b"c"))
        self.assertTrue(self.c.set("tenant8:user1:cart", b"keep"))
        self.c._send(b"getch tenant7\r\n")
        children = [self.c._line() for _ in range(6)]
        self.assertEqual(children[-1], b"END")
        self.assertTrue(self.c.delete("tenant7"))  # md of a namespace drops the subtree
        self.assertEqual(self.c.get_multi(["tenant7:user1:cart", "tenant8:user1:cart"]),
                         {"tenant8:user1:cart": b"keep"})


class MemcachedTest(MetaClientBehaviour, unittest.TestCase):
    """The same calls against memcached 1.6.18: the client is right where nestcached is."""

    DAEMON = Memcached


if __name__ == "__main__":
    unittest.main()
