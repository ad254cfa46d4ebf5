"""python-memcached (`import memcache`) against two live nestcached daemons.

The client hashes keys over both servers. The behaviours run in the default nested mode and in
--compat mode; a third class runs with --key-separator ':' and keeps each tenant's namespace on
one server (python-memcached's (hash, key) tuples), so one delete drops the tenant.

python-memcached hides protocol errors (it logs them and marks the server dead), so every test
also checks that no server was marked dead.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_python_memcached.py
"""

import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from nestcached import DaemonPair, raw  # noqa: E402

import memcache  # noqa: E402

# The `version` reply and `stats` version (protocol-decisions.md).
VERSION = "1.6.18"


def holder(daemons, key):
    """Indexes of the daemons on which `key` (a single token) has a value."""
    found = []
    for i, d in enumerate(daemons):
        reply = raw(d, b"get " + key.encode() + b"\r\n", b"END\r\n")
        if reply != b"END\r\n":
            found.append(i)
    return found


class Behaviour(DaemonPair):
    def setUp(self):
        super().setUp()
        self.mc = memcache.Client([d.address for d in self.daemons], cache_cas=True,
                                  socket_timeout=5)

    def tearDown(self):
        dead = [str(s) for s in self.mc.servers if s.deaduntil]
        self.mc.disconnect_all()
        self.assertEqual(dead, [], "python-memcached marked servers dead (a protocol error)")

    def test_set_get_types(self):
        self.assertTrue(self.mc.set("text", "héllo wörld"))
        self.assertTrue(self.mc.set("number", 42))
        self.assertTrue(self.mc.set("blob", b"\x00\r\n\xff"))
        self.assertTrue(self.mc.set("obj", {"a": [1, 2, (3, 4)]}))
        self.assertEqual(self.mc.get("text"), "héllo wörld")
        self.assertEqual(self.mc.get("number"), 42)
        self.assertEqual(self.mc.get("blob"), b"\x00\r\n\xff")
        self.assertEqual(self.mc.get("obj"), {"a": [1, 2, (3, 4)]})
        self.assertIsNone(self.mc.get("missing"))

    def test_set_multi_get_multi_with_prefix(self):
        mapping = {f"k{i}": f"v{i}" for i in range(60)}
        self.assertEqual(self.mc.set_multi(mapping, key_prefix="app_"), [])
        got = self.mc.get_multi(list(mapping) + ["nokey"], key_prefix="app_")
        self.assertEqual(got, mapping)
        # the prefix really is part of the key on the server, and the keys are spread
        self.assertIsNone(self.mc.get("k1"))
        self.assertEqual(self.mc.get("app_k1"), "v1")
        where = [holder(self.daemons, "app_" + k) for k in mapping]
        self.assertTrue(all(len(w) == 1 for w in where), where)
        self.assertEqual({w[0] for w in where}, {0, 1})
        self.assertEqual(self.mc.get_multi(["k1", "k2"]), {})
        self.assertEqual(self.mc.get_multi(["k1", "k2"], key_prefix="other_"), {})
        self.assertEqual(self.mc.delete_multi(["k1", "k2"], key_prefix="app_"), 1)
        self.assertEqual(self.mc.get_multi(["k1", "k2", "k3"], key_prefix="app_"), {"k3": "v3"})

    def test_cas(self):
        other = memcache.Client([d.address for d in self.daemons], socket_timeout=5)
        try:
            self.mc.set("ck", "one")
            self.assertEqual(self.mc.gets("ck"), "one")
            self.assertTrue(self.mc.cas("ck", "two"))
            self.assertEqual(other.get("ck"), "two")
            # the cached unique is now stale: a cas must be refused (EXISTS)
            self.assertFalse(self.mc.cas("ck", "three"))
            self.assertEqual(other.get("ck"), "two")
            self.assertEqual(self.mc.gets("ck"), "two")
            other.set("ck", "changed")  # another writer changes the unique
            self.assertFalse(self.mc.cas("ck", "four"))
            self.assertEqual(self.mc.get("ck"), "changed")
            self.assertEqual(self.mc.gets("ck"), "changed")
            other.delete("ck")
            self.assertFalse(self.mc.cas("ck", "five"))  # NOT_FOUND
            self.assertIsNone(self.mc.get("ck"))
        finally:
            other.disconnect_all()

    def test_incr_decr(self):
        self.assertIsNone(self.mc.incr("cnt"))
        self.assertIsNone(self.mc.decr("cnt"))
        self.mc.set("cnt", 5)
        self.assertEqual(self.mc.incr("cnt"), 6)
        self.assertEqual(self.mc.incr("cnt", 10), 16)
        self.assertEqual(self.mc.decr("cnt", 7), 9)
        self.assertEqual(self.mc.decr("cnt", 100), 0)
        self.assertEqual(self.mc.get("cnt"), 0)
        self.mc.set("cnt2", "99")
        self.assertEqual(self.mc.incr("cnt2", 1), 100)
        self.assertEqual(self.mc.get("cnt2"), "100")

    def test_delete(self):
        self.mc.set("dk", "x")
        self.assertEqual(self.mc.delete("dk"), 1)
        self.assertIsNone(self.mc.get("dk"))
        self.assertEqual(self.mc.delete("dk"), 1)  # NOT_FOUND is success to this client
        self.assertEqual(holder(self.daemons, "dk"), [])

    def test_add_replace(self):
        self.assertFalse(self.mc.replace("ar", "x"))
        self.assertIsNone(self.mc.get("ar"))
        self.assertTrue(self.mc.add("ar", "first"))
        self.assertFalse(self.mc.add("ar", "second"))
        self.assertEqual(self.mc.get("ar"), "first")
        self.assertTrue(self.mc.replace("ar", "third"))
        self.assertEqual(self.mc.get("ar"), "third")
        self.assertTrue(self.mc.append("ar", "-tail"))
        self.assertTrue(self.mc.prepend("ar", "head-"))
        self.assertEqual(self.mc.get("ar"), "head-third-tail")

    def test_touch_and_expiry(self):
        # 2 s, not 1: a 1 s deadline can pass before the next request if the clock ticks first.
        self.assertTrue(self.mc.set("exp", "soon", time=2))
        self.assertTrue(self.mc.set("stay", "here"))
        self.assertEqual(self.mc.touch("stay", 100), 1)
        self.assertEqual(self.mc.get("exp"), "soon")
        time.sleep(3.2)
        self.assertIsNone(self.mc.get("exp"))
        self.assertEqual(self.mc.get("stay"), "here")

    def test_get_stats(self):
        for d in self.daemons:
            self.assertEqual(raw(d, b"stats reset\r\n"), b"RESET\r\n")
        self.mc.set_multi({f"s{i}": i for i in range(20)})
        self.mc.get_multi([f"s{i}" for i in range(25)])
        stats = self.mc.get_stats()
        self.assertEqual(len(stats), 2)
        by_port = {}
        for name, values in stats:
            port = int(name.split(":")[1].split(" ")[0])
            by_port[port] = values
        self.assertEqual(set(by_port), {d.port for d in self.daemons})
        for d in self.daemons:
            values = by_port[d.port]
            self.assertEqual(values["pid"], str(d.proc.pid))
            self.assertEqual(values["version"], VERSION)
            self.assertEqual(values["nestcache_version"], "0.1.0")
            self.assertEqual(values["threads"], "2")
            self.assertIn("tree_nodes", values)
            self.assertGreaterEqual(int(values["curr_connections"]), 1)
        self.assertEqual(sum(int(v["curr_items"]) for v in by_port.values()), 20)
        self.assertEqual(sum(int(v["get_hits"]) for v in by_port.values()), 20)
        self.assertEqual(sum(int(v["get_misses"]) for v in by_port.values()), 5)
        settings = self.mc.get_stats("settings")
        self.assertEqual(len(settings), 2)
        for _, values in settings:
            self.assertIn("maxconns", values)

    def test_flush_all(self):
        self.mc.set_multi({"f1": "1", "f2": "2", "f3": "3"})
        self.mc.flush_all()
        self.assertEqual(self.mc.get_multi(["f1", "f2", "f3"]), {})


class DefaultModeTest(Behaviour, unittest.TestCase):
    DAEMON_ARGS = []

    def test_delete_with_time_is_a_path_in_nested_mode(self):
        # python-memcached's delete(key, time=0) sends "delete key 0". In nested mode that
        # names the node key -> 0, so the value stays (documented decision).
        self.mc.set("legacy", "v")
        self.mc.delete("legacy", time=0)
        self.assertEqual(self.mc.get("legacy"), "v")


class CompatModeTest(Behaviour, unittest.TestCase):
    DAEMON_ARGS = ["--compat"]

    def test_delete_with_time_legacy_form(self):
        self.mc.set("legacy", "v")
        self.assertEqual(self.mc.delete("legacy", time=0), 1)
        self.assertIsNone(self.mc.get("legacy"))


class SeparatorModeTest(Behaviour, unittest.TestCase):
    DAEMON_ARGS = ["--key-separator", ":"]

    def test_tenant_pinned_to_one_server_dropped_by_one_delete(self):
        # (hash, key) tuples keep a whole tenant on one server, so its namespace is one subtree.
        tenants = {"acme": 11, "globex": 12}
        for tenant, pin in tenants.items():
            for u in range(5):
                for field in ("name", "cart"):
                    # (set_multi cannot take (hash, key) tuples in python-memcached 1.58)
                    self.assertTrue(self.mc.set((pin, f"{tenant}:user:{u}:{field}"),
                                                f"{tenant}-{u}-{field}"))
        got = self.mc.get_multi([(11, f"user:{u}:name") for u in range(5)], key_prefix="acme:")
        self.assertEqual(got, {f"user:{u}:name": f"acme-{u}-name" for u in range(5)})
        self.assertEqual(self.mc.get((12, "globex:user:3:cart")), "globex-3-cart")
        self.assertEqual(self.mc.delete((11, "acme")), 1)
        self.assertEqual(self.mc.get_multi([(11, f"user:{u}:name") for u in range(5)],
                                           key_prefix="acme:"), {})
        self.assertEqual(self.mc.get((12, "globex:user:3:cart")), "globex-3-cart")
        for d in self.daemons:  # no server keeps anything of acme
            self.assertEqual(raw(d, b"getch acme\r\n", b"END\r\n"), b"END\r\n")
            self.assertEqual(raw(d, b"gettree acme\r\n", b"END\r\n"), b"END\r\n")

    def test_nested_cas_and_incr(self):
        self.mc.set("shop:cart:7:items", 3)
        self.assertEqual(self.mc.incr("shop:cart:7:items", 2), 5)
        self.assertEqual(self.mc.gets("shop:cart:7:items"), 5)
        self.assertTrue(self.mc.cas("shop:cart:7:items", 9))
        self.assertEqual(self.mc.get("shop:cart:7:items"), 9)
        self.assertTrue(self.mc.add("shop:cart:7", "cart seven"))  # valueless inner node
        self.assertEqual(self.mc.get("shop:cart:7"), "cart seven")
        self.assertEqual(self.mc.get("shop:cart:7:items"), 9)


if __name__ == "__main__":
    unittest.main(verbosity=2)
