"""pymemcache (Client and HashClient) against a live nestcached.

Every client behaviour runs three times: in the default nested mode, with --compat, and with
--key-separator ':'. Each mode gets two daemons, so HashClient really spreads keys. Mode-specific
behaviour (namespaces dropped by one delete, legacy delete forms, multi-segment paths next to
plain keys) has its own classes.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_pymemcache.py
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from nestcached import DaemonPair  # noqa: E402

from pymemcache.client.base import Client  # noqa: E402
from pymemcache.client.hash import HashClient  # noqa: E402
from pymemcache.exceptions import MemcacheClientError, MemcacheServerError  # noqa: E402

BINARY_VALUE = (bytes(range(256)) + b"\r\nEND\r\nVALUE x 0 1\r\n\r\n\x00\r"
                + bytes(range(255, -1, -1)))
KB100 = bytes((i * 7 + i // 251) % 256 for i in range(100 * 1024))
# The `version` reply and `stats` version (protocol-decisions.md).
VERSION = b"1.6.18"


ERROR_WORDS = (b"ERROR", b"CLIENT_ERROR ", b"SERVER_ERROR ")


def exchange(sock, data, terminator=b"\r\n", timeout=5.0):
    """Sends data; reads until the reply ends with terminator, an error line, EOF or timeout,
    so a wrong reply fails the assertion with what the server said instead of hanging."""
    sock.sendall(data)
    sock.settimeout(timeout)
    buf = b""
    try:
        while not buf.endswith(terminator):
            if buf.endswith(b"\r\n") and buf[:-2].rsplit(b"\r\n", 1)[-1].startswith(ERROR_WORDS):
                break
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
    except TimeoutError:
        pass
    return buf


def raw(daemon, data, terminator=b"\r\n"):
    """One request on a fresh raw connection; returns the reply bytes."""
    with daemon.connect() as sock:
        return exchange(sock, data, terminator)


class ClientBehaviour(DaemonPair):
    """Mixed into one TestCase per daemon mode; DAEMON_ARGS picks the mode."""

    def setUp(self):
        super().setUp()
        # default_noreply=False: every storage call waits for and reports the server's answer.
        self.mc = Client(("127.0.0.1", self.d.port), default_noreply=False, timeout=5,
                         connect_timeout=5)

    def tearDown(self):
        self.mc.close()

    # --- storage and retrieval -------------------------------------------------------------

    def test_set_get(self):
        self.assertTrue(self.mc.set("alpha", b"one"))
        self.assertEqual(self.mc.get("alpha"), b"one")
        self.assertTrue(self.mc.set("alpha", "two"))  # overwrite, str value
        self.assertEqual(self.mc.get("alpha"), b"two")
        self.assertIsNone(self.mc.get("missing"))
        self.assertEqual(self.mc.get("missing", default=b"dflt"), b"dflt")
        self.assertTrue(self.mc.set("empty", b""))
        self.assertEqual(self.mc.get("empty"), b"")

    def test_flags_are_kept(self):
        self.assertTrue(self.mc.set("flagged", b"v", flags=4294967295))
        self.assertEqual(raw(self.d, b"get flagged\r\n", b"END\r\n"),
                         b"VALUE flagged 4294967295 1\r\nv\r\nEND\r\n")

    def test_get_many(self):
        self.assertEqual(self.mc.set_many({"m1": b"a", "m2": b"bb", "m3": b"ccc"}), [])
        got = self.mc.get_many(["m1", "nope", "m3", "m2", "nope2"])
        self.assertEqual(got, {"m1": b"a", "m2": b"bb", "m3": b"ccc"})
        self.assertEqual(self.mc.get_many(["x1", "x2"]), {})
        gm = self.mc.gets_many(["m1", "m2"])
        self.assertEqual(set(gm), {"m1", "m2"})
        self.assertEqual(gm["m1"][0], b"a")
        self.assertNotEqual(gm["m1"][1], gm["m2"][1])  # distinct cas uniques

    def test_add(self):
        self.assertTrue(self.mc.add("added", b"first"))
        self.assertFalse(self.mc.add("added", b"second"))
        self.assertEqual(self.mc.get("added"), b"first")

    def test_replace(self):
        self.assertFalse(self.mc.replace("repl", b"x"))
        self.assertIsNone(self.mc.get("repl"))
        self.mc.set("repl", b"old")
        self.assertTrue(self.mc.replace("repl", b"new"))
        self.assertEqual(self.mc.get("repl"), b"new")

    def test_append_prepend(self):
        self.assertFalse(self.mc.append("ap", b"x"))
        self.assertFalse(self.mc.prepend("ap", b"x"))
        self.assertIsNone(self.mc.get("ap"))
        self.mc.set("ap", b"mid", flags=3)
        self.assertTrue(self.mc.append("ap", b"-end"))
        self.assertTrue(self.mc.prepend("ap", b"start-"))
        self.assertEqual(self.mc.get("ap"), b"start-mid-end")
        # append/prepend ignore their flags: the stored flags stay 3
        self.assertEqual(raw(self.d, b"get ap\r\n", b"END\r\n"),
                         b"VALUE ap 3 13\r\nstart-mid-end\r\nEND\r\n")

    def test_cas(self):
        self.assertIsNone(self.mc.cas("casd", b"x", 1))  # NOT_FOUND
        self.mc.set("casd", b"v1")
        value, token = self.mc.gets("casd")
        self.assertEqual(value, b"v1")
        self.assertTrue(token.isdigit())
        self.assertTrue(self.mc.cas("casd", b"v2", token))
        self.assertEqual(self.mc.get("casd"), b"v2")
        self.assertFalse(self.mc.cas("casd", b"v3", token))  # stale token -> EXISTS
        self.assertEqual(self.mc.get("casd"), b"v2")
        value2, token2 = self.mc.gets("casd")
        self.assertEqual(value2, b"v2")
        self.assertNotEqual(token, token2)
        self.mc.set("casd", b"v4")  # any store changes the unique
        self.assertFalse(self.mc.cas("casd", b"v5", token2))
        self.assertEqual(self.mc.gets("missing"), (None, None))

    def test_incr_decr(self):
        self.assertIsNone(self.mc.incr("ctr", 1))
        self.assertIsNone(self.mc.decr("ctr", 1))
        self.mc.set("ctr", b"10")
        self.assertEqual(self.mc.incr("ctr", 5), 15)
        self.assertEqual(self.mc.decr("ctr", 6), 9)
        # memcached's in-place update pads a shorter result with spaces to the old length
        self.assertEqual(self.mc.get("ctr"), b"9 ")
        self.assertEqual(self.mc.decr("ctr", 100), 0)  # floors at 0
        self.mc.set("big", b"18446744073709551615")
        self.assertEqual(self.mc.incr("big", 2), 1)  # wraps at 2^64
        self.mc.set("text", b"abc")
        with self.assertRaises(MemcacheClientError) as cm:
            self.mc.incr("text", 1)
        self.assertIn(b"cannot increment or decrement non-numeric value", cm.exception.args[0])
        with self.assertRaises(MemcacheClientError) as cm:
            self.mc.incr("ctr", -1)
        self.assertIn(b"invalid numeric delta argument", cm.exception.args[0])
        self.assertEqual(self.mc.get("ctr"), b"0 ")  # the connection is still in sync

    def test_touch(self):
        self.assertFalse(self.mc.touch("tt", 10))
        self.mc.set("tt", b"v")
        self.mc.set("keep", b"k")
        self.assertTrue(self.mc.touch("tt", 1))
        self.assertEqual(self.mc.get("tt"), b"v")
        time.sleep(2.2)
        self.assertIsNone(self.mc.get("tt"))
        self.assertEqual(self.mc.get("keep"), b"k")
        self.assertFalse(self.mc.touch("tt", 0))

    def test_expired_on_store(self):
        self.assertTrue(self.mc.set("neg", b"v", expire=-1))
        self.assertIsNone(self.mc.get("neg"))

    def test_delete(self):
        self.mc.set("del", b"x")
        self.assertTrue(self.mc.delete("del"))
        self.assertIsNone(self.mc.get("del"))
        self.assertFalse(self.mc.delete("del"))
        self.mc.set_many({"dm1": b"1", "dm2": b"2"})
        self.assertTrue(self.mc.delete_many(["dm1", "dm2", "dm3"]))
        self.assertEqual(self.mc.get_many(["dm1", "dm2"]), {})

    def test_flush_all(self):
        self.mc.set_many({"f1": b"1", "f2": b"2"})
        self.assertTrue(self.mc.flush_all())
        self.assertEqual(self.mc.get_many(["f1", "f2"]), {})
        self.assertTrue(self.mc.set("f3", b"3"))  # storing works again right after
        self.assertEqual(self.mc.get("f3"), b"3")

    def test_stats(self):
        before = self.mc.stats()
        for name in (b"pid", b"uptime", b"time", b"version", b"curr_connections",
                     b"total_connections", b"cmd_get", b"cmd_set", b"get_hits", b"get_misses",
                     b"delete_hits", b"delete_misses", b"curr_items", b"total_items", b"bytes",
                     b"limit_maxbytes", b"evictions", b"threads", b"tree_nodes",
                     b"tree_max_depth"):
            self.assertIn(name, before)
        self.assertEqual(before[b"pid"], self.d.proc.pid)
        self.assertEqual(before[b"version"], VERSION)
        self.assertEqual(before[b"nestcache_version"], b"0.1.0")
        self.assertEqual(before[b"threads"], 2)
        self.assertEqual(before[b"limit_maxbytes"], 64 * 1024 * 1024)
        self.assertEqual(before[b"curr_items"], 0)
        self.assertLess(abs(before[b"time"] - time.time()), 5)
        self.mc.set("s1", b"x")
        self.mc.set("s2", b"y")
        self.mc.get("s1")
        self.mc.get("nope")
        self.mc.delete("s2")
        after = self.mc.stats()
        self.assertEqual(after[b"cmd_set"] - before[b"cmd_set"], 2)
        self.assertEqual(after[b"cmd_get"] - before[b"cmd_get"], 2)
        self.assertEqual(after[b"get_hits"] - before[b"get_hits"], 1)
        self.assertEqual(after[b"get_misses"] - before[b"get_misses"], 1)
        self.assertEqual(after[b"delete_hits"] - before[b"delete_hits"], 1)
        self.assertEqual(after[b"curr_items"], 1)
        self.assertGreaterEqual(after[b"tree_nodes"], 1)
        settings = self.mc.stats("settings")
        self.assertIn(b"maxconns", settings)
        self.assertIn(b"item_size_max", settings)
        self.assertEqual(settings[b"item_size_max"], 1024 * 1024)

    def test_version(self):
        self.assertEqual(self.mc.version(), VERSION)

    # --- noreply ---------------------------------------------------------------------------

    def test_noreply_default_paths(self):
        # pymemcache's default: default_noreply=True. The server must send nothing back for
        # these, or the following reads would see stray STORED/DELETED lines.
        nr = Client(("127.0.0.1", self.d.port), timeout=5, connect_timeout=5)
        try:
            self.assertTrue(nr.set("nr", b"1"))
            self.assertTrue(nr.add("nr", b"ignored"))  # NOT_STORED, but not sent
            self.assertTrue(nr.replace("nr", b"2"))
            self.assertTrue(nr.append("nr", b"3"))
            self.assertTrue(nr.prepend("nr", b"1"))
            self.assertEqual(nr.set_many({"nr2": b"a", "nr3": b"b"}), [])
            self.assertIsNone(nr.incr("nr", 1, noreply=True))
            self.assertIsNone(nr.decr("nr", 2, noreply=True))
            self.assertTrue(nr.touch("nr", 0))
            self.assertTrue(nr.touch("absent", 0))
            self.assertTrue(nr.delete("nr3"))
            self.assertTrue(nr.delete("absent"))
            self.assertEqual(nr.get("nr"), b"122")  # "123" + 1 - 2
            self.assertEqual(nr.get_many(["nr2", "nr3"]), {"nr2": b"a"})
            self.assertTrue(nr.flush_all())
            self.assertIsNone(nr.get("nr"))
            self.assertEqual(nr.version(), VERSION)
        finally:
            nr.close()

    def test_noreply_raw_errors_suppressed(self):
        # noreply also suppresses error replies: only the final get answers.
        with self.d.connect() as sock:
            reply = exchange(sock, b"set txt 0 0 3 noreply\r\nabc\r\n"
                                   b"incr txt 1 noreply\r\n"
                                   b"incr nothere 1 noreply\r\n"
                                   b"add txt 0 0 1 noreply\r\nz\r\n"
                                   b"delete nothere noreply\r\n"
                                   b"touch nothere 0 noreply\r\n"
                                   b"get txt\r\n", b"END\r\n")
            self.assertEqual(reply, b"VALUE txt 0 3\r\nabc\r\nEND\r\n")

    # --- values ----------------------------------------------------------------------------

    def test_binary_values(self):
        self.assertTrue(self.mc.set("bin", BINARY_VALUE))
        self.assertEqual(self.mc.get("bin"), BINARY_VALUE)
        self.assertTrue(self.mc.set("crlf", b"\r\n"))
        self.assertTrue(self.mc.append("crlf", b"\r\n\r\n"))
        self.assertEqual(self.mc.get_many(["bin", "crlf"]),
                         {"bin": BINARY_VALUE, "crlf": b"\r\n\r\n\r\n"})
        value, token = self.mc.gets("bin")
        self.assertEqual(value, BINARY_VALUE)
        self.assertTrue(self.mc.cas("bin", b"\r\n" + BINARY_VALUE, token))
        self.assertEqual(self.mc.get("bin"), b"\r\n" + BINARY_VALUE)

    def test_100kb_values(self):
        other = bytes(reversed(KB100))
        self.assertTrue(self.mc.set("big1", KB100))
        self.assertTrue(self.mc.set("big2", other))
        self.assertEqual(self.mc.get("big1"), KB100)
        self.assertEqual(self.mc.get_many(["big1", "big2"]), {"big1": KB100, "big2": other})
        self.assertTrue(self.mc.append("big1", KB100))
        self.assertEqual(self.mc.get("big1"), KB100 + KB100)

    def test_too_large_value(self):
        self.mc.set("huge", b"old")
        with self.assertRaises(MemcacheServerError) as cm:
            self.mc.set("huge", b"x" * (1024 * 1024 + 1))
        self.assertIn(b"object too large for cache", cm.exception.args[0])
        self.assertIsNone(self.mc.get("huge"))  # a failed set removes the old value
        self.assertTrue(self.mc.set("huge", b"x" * (1024 * 1024 - 512)))
        self.assertEqual(len(self.mc.get("huge")), 1024 * 1024 - 512)

    # --- HashClient over two daemons -------------------------------------------------------

    def test_hash_client(self):
        servers = [("127.0.0.1", d.port) for d in self.daemons]
        hc = HashClient(servers, default_noreply=False, timeout=5, connect_timeout=5)
        singles = [Client(s, default_noreply=False, timeout=5) for s in servers]
        try:
            values = {f"hkey{i}": f"value-{i}".encode() for i in range(200)}
            self.assertEqual(hc.set_many(values), [])
            self.assertEqual(hc.get_many(list(values) + ["hmissing"]), values)
            # every key lives on exactly one daemon, and both daemons hold some
            counts = [0, 0]
            for key, value in values.items():
                found = [c.get(key) for c in singles]
                self.assertEqual(sorted(found, key=lambda v: v is None), [value, None], key)
                counts[found.index(value)] += 1
            self.assertTrue(all(counts), counts)
            self.assertEqual(sum(c.stats()[b"curr_items"] for c in singles), 200)
            self.assertTrue(hc.add("hnew", b"1"))
            self.assertFalse(hc.add("hnew", b"2"))
            self.assertEqual(hc.incr("hnew", 41), 42)
            self.assertTrue(hc.replace("hkey7", b"seven"))
            self.assertEqual(hc.get("hkey7"), b"seven")
            value, token = hc.gets("hkey8")
            self.assertEqual(value, b"value-8")
            self.assertTrue(hc.cas("hkey8", b"eight", token))
            self.assertTrue(hc.delete("hkey9"))
            self.assertIsNone(hc.get("hkey9"))
            self.assertTrue(hc.touch("hkey10", 100))
            hc.flush_all()
            self.assertEqual(hc.get_many(list(values)), {})
        finally:
            hc.close()
            for c in singles:
                c.close()


class DefaultModeTest(ClientBehaviour, unittest.TestCase):
    DAEMON_ARGS = []

    def test_plain_key_drops_a_path_namespace(self):
        # A namespace built with nested paths over telnet is a plain top-level key to
        # pymemcache: not a value (get misses), but one delete drops all of it.
        reply = raw(self.d, b"set users 42 name 0 0 3\r\nada\r\n"
                            b"set users 42 mail 0 0 5\r\na@b.c\r\n"
                            b"set users 7 name 0 0 3\r\nbob\r\n", b"STORED\r\nSTORED\r\nSTORED\r\n")
        self.assertEqual(reply, b"STORED\r\nSTORED\r\nSTORED\r\n")
        self.assertIsNone(self.mc.get("users"))
        self.assertEqual(raw(self.d, b"getch users\r\n", b"END\r\n"),
                         b"CHILD 42\r\nCHILD 7\r\nEND\r\n")
        self.assertTrue(self.mc.set("users", b"top"))  # a value beside the children
        self.assertEqual(self.mc.get("users"), b"top")
        self.assertEqual(raw(self.d, b"getn users 42 name\r\n", b"END\r\n"),
                         b"VALUE users 42 name 0 3\r\nada\r\nEND\r\n")
        self.assertTrue(self.mc.delete("users"))
        self.assertEqual(raw(self.d, b"getch users\r\n", b"END\r\n"), b"END\r\n")
        self.assertEqual(raw(self.d, b"getn users 7 name\r\n", b"END\r\n"), b"END\r\n")

    def test_delete_with_zero_is_a_path(self):
        # nested mode: "delete a 0" names the node a -> 0
        self.mc.set("a", b"v")
        self.assertEqual(raw(self.d, b"delete a 0\r\n"), b"NOT_FOUND\r\n")
        self.assertEqual(self.mc.get("a"), b"v")


class CompatModeTest(ClientBehaviour, unittest.TestCase):
    DAEMON_ARGS = ["--compat"]

    def test_legacy_delete_forms(self):
        self.mc.set("a", b"v")
        self.assertEqual(raw(self.d, b"delete a 0\r\n"), b"DELETED\r\n")
        self.assertEqual(raw(self.d, b"delete a b\r\n"),
                         b"CLIENT_ERROR bad command line format.  "
                         b"Usage: delete <key> [noreply]\r\n")
        self.assertEqual(raw(self.d, b"help\r\n"), b"ERROR\r\n")

    def test_extension_commands_available(self):
        self.mc.set("k", b"val", flags=9)
        self.assertEqual(raw(self.d, b"getn k\r\n", b"END\r\n"), b"VALUE k 9 3\r\nval\r\nEND\r\n")
        self.assertEqual(raw(self.d, b"getch\r\n", b"END\r\n"), b"CHILD k\r\nEND\r\n")
        self.assertEqual(raw(self.d, b"gettree\r\n", b"END\r\n"),
                         b"VALUE k 9 3\r\nval\r\nEND\r\n")


class SeparatorModeTest(ClientBehaviour, unittest.TestCase):
    DAEMON_ARGS = ["--key-separator", ":"]

    def fill_tenants(self):
        values = {
            "tenant1:user:1": b"alice",
            "tenant1:user:2": b"bob",
            "tenant1:user:10": b"carol",
            "tenant1:user:2:avatar": b"\x89PNG\r\n",
            "tenant1:settings": b"dark",
            "tenant2:user:1": b"dave",
            "tenant2:settings": b"light",
        }
        self.assertEqual(self.mc.set_many(values), [])
        return values

    def test_namespace_dropped_with_one_delete(self):
        values = self.fill_tenants()
        self.assertEqual(self.mc.get_many(list(values)), values)
        self.assertTrue(self.mc.delete("tenant1"))
        self.assertEqual(self.mc.get_many(list(values)),
                         {k: v for k, v in values.items() if k.startswith("tenant2:")})
        self.assertFalse(self.mc.delete("tenant1"))
        self.assertTrue(self.mc.set("tenant1:user:1", b"again"))  # the namespace can come back
        self.assertEqual(self.mc.get("tenant1:user:1"), b"again")
        self.assertIsNone(self.mc.get("tenant1:user:2"))

    def test_delete_one_user_subtree(self):
        self.fill_tenants()
        self.assertTrue(self.mc.delete("tenant1:user:2"))
        self.assertIsNone(self.mc.get("tenant1:user:2:avatar"))
        self.assertEqual(self.mc.get("tenant1:user:1"), b"alice")
        self.assertEqual(self.mc.get("tenant1:user:10"), b"carol")

    def test_getch_and_gettree_over_raw_socket(self):
        self.fill_tenants()
        self.assertEqual(raw(self.d, b"getch\r\n", b"END\r\n"),
                         b"CHILD tenant1\r\nCHILD tenant2\r\nEND\r\n")
        self.assertEqual(raw(self.d, b"getch tenant1\r\n", b"END\r\n"),
                         b"CHILD settings\r\nCHILD user\r\nEND\r\n")
        # bytewise order: "10" sorts before "2"
        self.assertEqual(raw(self.d, b"getch tenant1:user\r\n", b"END\r\n"),
                         b"CHILD 1\r\nCHILD 10\r\nCHILD 2\r\nEND\r\n")
        self.assertEqual(raw(self.d, b"gettree tenant1\r\n", b"\r\nEND\r\n"),
                         b"VALUE tenant1:settings 0 4\r\ndark\r\n"
                         b"VALUE tenant1:user:1 0 5\r\nalice\r\n"
                         b"VALUE tenant1:user:10 0 5\r\ncarol\r\n"
                         b"VALUE tenant1:user:2 0 3\r\nbob\r\n"
                         b"VALUE tenant1:user:2:avatar 0 6\r\n\x89PNG\r\n\r\n"
                         b"END\r\n")
        self.assertEqual(raw(self.d, b"getn tenant1:user:2\r\n", b"END\r\n"),
                         b"VALUE tenant1:user:2 0 3\r\nbob\r\nEND\r\n")
        self.assertTrue(self.mc.delete("tenant1"))
        self.assertEqual(raw(self.d, b"getch\r\n", b"END\r\n"), b"CHILD tenant2\r\nEND\r\n")
        self.assertEqual(raw(self.d, b"getch tenant1\r\n", b"END\r\n"), b"END\r\n")
        self.assertEqual(raw(self.d, b"gettree tenant1\r\n", b"END\r\n"), b"END\r\n")
        self.assertEqual(raw(self.d, b"gettree\r\n", b"\r\nEND\r\n"),
                         b"VALUE tenant2:settings 0 5\r\nlight\r\n"
                         b"VALUE tenant2:user:1 0 4\r\ndave\r\nEND\r\n")

    def test_inner_nodes(self):
        self.fill_tenants()
        self.assertIsNone(self.mc.get("tenant1:user"))  # children, no value: a miss
        self.assertFalse(self.mc.replace("tenant1:user", b"x"))
        self.assertTrue(self.mc.add("tenant1:user", b"list"))  # add works on a valueless node
        self.assertEqual(self.mc.get("tenant1:user"), b"list")
        self.assertEqual(self.mc.get("tenant1:user:1"), b"alice")  # children kept
        self.assertTrue(self.mc.set("tenant1", b"meta"))
        self.assertEqual(self.mc.get("tenant1:user:10"), b"carol")

    def test_nested_cas_incr_touch(self):
        self.fill_tenants()
        self.mc.set("tenant2:user:1:visits", b"5")
        self.assertEqual(self.mc.incr("tenant2:user:1:visits", 3), 8)
        value, token = self.mc.gets("tenant2:user:1")
        self.assertEqual(value, b"dave")
        self.assertTrue(self.mc.cas("tenant2:user:1", b"david", token))
        self.assertFalse(self.mc.cas("tenant2:user:1", b"dave", token))
        self.assertEqual(self.mc.get("tenant2:user:1:visits"), b"8")  # cas keeps children
        # one TTL bounds the whole namespace, including values stored without one
        self.assertTrue(self.mc.touch("tenant1", 1))
        self.assertEqual(self.mc.get("tenant1:user:2:avatar"), b"\x89PNG\r\n")
        time.sleep(2.2)
        self.assertEqual(self.mc.get_many(["tenant1:user:1", "tenant1:user:2:avatar",
                                           "tenant1:settings", "tenant2:user:1"]),
                         {"tenant2:user:1": b"david"})
        self.assertEqual(raw(self.d, b"getch\r\n", b"END\r\n"), b"CHILD tenant2\r\nEND\r\n")

    def test_key_prefix_client(self):
        # A client-side key_prefix ending in the separator gives each tenant its own subtree.
        t3 = Client(("127.0.0.1", self.d.port), key_prefix=b"tenant3:", default_noreply=False,
                    timeout=5)
        try:
            self.assertTrue(t3.set("user:1", b"erin"))
            self.assertEqual(t3.get_many(["user:1"]), {"user:1": b"erin"})
            self.assertEqual(self.mc.get("tenant3:user:1"), b"erin")
            self.assertTrue(self.mc.delete("tenant3"))
            self.assertIsNone(t3.get("user:1"))
        finally:
            t3.close()

    def test_path_errors(self):
        with self.assertRaises(MemcacheClientError) as cm:
            self.mc.set("a::b", b"x")
        self.assertEqual(cm.exception.args[0], b"empty path segment")
        with self.assertRaises(MemcacheClientError) as cm:
            self.mc.set(":".join(["d"] * 33), b"x")
        self.assertEqual(cm.exception.args[0], b"path too deep")
        self.assertTrue(self.mc.set(":".join(["d"] * 32), b"deep"))
        self.assertEqual(self.mc.get(":".join(["d"] * 32)), b"deep")


if __name__ == "__main__":
    unittest.main(verbosity=2)
