"""A client as naive as seed 000's (shared/seeds/000_*.txt), ported to Python 3.

It trusts one recv() per reply: recv(64) after a set (sent as two writes, line then data),
recv(1024) after a get and one recv() after stats, whose lines it splits into exactly three
tokens until END. Values are pickled and base64-encoded onto one line. Such a client works
only if every reply arrives whole and alone, as memcached sends it; the scenario runs against
real memcached 1.6.18 too, and must give the same results there.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_naive_client.py
"""

import base64
import os
import pickle
import socket
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from memcached_ref import Memcached  # noqa: E402
from nestcached import Daemon  # noqa: E402


class MyMemcache:
    """The seed's client: set, get and stats over a raw socket, one recv per reply."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.settimeout(5)

    def connect(self, host, port):
        self.sock.connect((host, port))

    def close(self):
        self.sock.close()

    def set(self, key, value, exptime=0, flags=0):
        serialized = base64.b64encode(pickle.dumps(value))
        self.sock.send(b"set %s %d %d %d\r\n" % (key.encode(), flags, exptime, len(serialized)))
        self.sock.send(serialized + b"\r\n")
        return self.sock.recv(64) == b"STORED\r\n"

    def get(self, key):
        self.sock.send(b"get %s\r\n" % key.encode())
        lines = self.sock.recv(1024).splitlines()
        return pickle.loads(base64.b64decode(lines[1]))

    def stats(self):
        self.sock.send(b"stats\r\n")
        # The seed read 1024 bytes; a 1.6 server's stats are longer than that, memcached's too,
        # so this reads one buffer of a size that holds them: still one recv for the reply.
        lines = self.sock.recv(65536).splitlines()
        values = {}
        for line in lines:
            if line == b"END":
                break
            _, key, value = line.split()
            values[key.decode()] = value.decode()
        return values


VALUES = {
    "string_key": "string_value",
    "list_key": ["a", "b", "c"],
    "tuple_key": (1, 2, 3),
    "dict_key": {"a": 1, "b": 2, "c": 3},
    "unicode_key": "ключ 鍵 🔑",
    "bytes_key": bytes(range(256)),
}


def scenario(port):
    client = MyMemcache()
    client.connect("127.0.0.1", port)
    try:
        before = client.stats()
        results = {}
        for key, value in VALUES.items():
            results[key] = (client.set(key, value), client.get(key))
        # The same key again, and a value that replaces it.
        results["again"] = (client.set("string_key", 42), client.get("string_key"))
        after = client.stats()
    finally:
        client.close()
    return before, results, after


class NaiveClientTest(unittest.TestCase):
    def check(self, port, reference_results):
        before, results, after = scenario(port)
        self.assertEqual(results, reference_results)
        for key, value in VALUES.items():
            self.assertEqual(results[key], (True, value), key)
        self.assertEqual(results["again"], (True, 42))
        for stats in (before, after):
            for name in ("pid", "uptime", "version", "curr_items", "cmd_get", "cmd_set",
                         "get_hits", "get_misses", "curr_connections"):
                self.assertIn(name, stats)
        self.assertEqual(int(before["curr_items"]), 0)
        self.assertEqual(int(after["curr_items"]), len(VALUES))
        self.assertEqual(int(after["cmd_set"]) - int(before["cmd_set"]), len(VALUES) + 1)
        self.assertEqual(int(after["get_hits"]) - int(before["get_hits"]), len(VALUES) + 1)
        self.assertEqual(after["pid"], before["pid"])

    def reference(self):
        with Memcached() as m:
            _, results, _ = scenario(m.port)
        return results

    def test_compat_mode(self):
        expected = self.reference()
        with Daemon(["--compat"]) as d:
            self.check(d.port, expected)

    def test_nested_mode(self):
        expected = self.reference()
        with Daemon() as d:
            self.check(d.port, expected)

    def test_many_clients_one_after_another(self):
        with Daemon(["--compat"]) as d:
            for i in range(50):
                client = MyMemcache()
                client.connect("127.0.0.1", d.port)
                self.assertTrue(client.set(f"k{i}", {"i": i}))
                self.assertEqual(client.get(f"k{i}"), {"i": i})
                self.assertEqual(client.stats()["curr_items"], str(i + 1))
                client.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
