"""Runs every example in examples/ and checks what it does.

- namespaced_cache.py against a daemon started with --key-separator :
- config-store-telnet.txt replayed by tests/spec/replay.py against a fresh daemon
- the built embed_example binary ($EMBED_EXAMPLE, else build/embed_example)
- nestcached.conf loads (with its port moved to a free one)
- durable-config.conf: config survives kill -9, the cache beside it does not
- config-store-cli.txt: each `$` line run by /bin/sh against a fresh daemon, output compared
- config_reloader.py: follows changes, and a server killed and started again (RESYNC)

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/examples_test.py
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unittest

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
EXAMPLES = os.path.join(ROOT, "examples")
sys.path.insert(0, os.path.join(TESTS, "support"))
sys.path.insert(0, os.path.join(TESTS, "spec"))

from nestcached import Daemon, binary, free_port, request  # noqa: E402

# The `version` reply (protocol-decisions.md).
VERSION = "1.6.18"

EMBED_OUTPUT = """\
store acme user 1 name = Ada
store acme user 1 email = ada@acme.test
store acme user 2 name = Grace
store globex user 7 name = Hank
store globex plan = gold
read acme user 2 name -> Grace
read acme user -> (miss)
children of []: acme globex
children of [acme user]: 1 2
walk [acme]:
  acme user 1 email = ada@acme.test
  acme user 1 name = Ada
  acme user 2 name = Grace
remove acme -> deleted
children of []: globex
walk []:
  globex plan = gold
  globex user 7 name = Hank
live nodes 5, values 2
protocol:
STORED\r
CHILD prod\r
END\r
VALUE app prod db_url 0 9\r
db.prod:5\r
END\r
"""


class NamespacedCacheExampleTest(unittest.TestCase):
    def test_runs_against_separator_daemon(self):
        with Daemon(["--key-separator", ":"]) as d:
            result = subprocess.run(
                [sys.executable, os.path.join(EXAMPLES, "namespaced_cache.py"),
                 "--server", d.address],
                capture_output=True, timeout=30)
            out = result.stdout.decode()
            self.assertEqual(result.returncode, 0, out + result.stderr.decode())
            self.assertEqual(result.stderr, b"")
            self.assertIn(f"connected to nestcached {VERSION} at {d.address}\n", out)
            self.assertIn("  set acme:user:1:profile = name=Ada\n", out)
            self.assertIn("  delete acme: True ok\n", out)
            self.assertNotIn("UNEXPECTED", out)
            self.assertTrue(out.endswith("done\n"), out)
            # what the program left behind: only globex, all of it
            with d.connect() as sock:
                self.assertEqual(request(sock, b"getch\r\n", b"END\r\n"),
                                 b"CHILD globex\r\nEND\r\n")
                tree = request(sock, b"gettree globex\r\n", b"\r\nEND\r\n")
                self.assertEqual(re.findall(rb"VALUE (\S+) ", tree),
                                 [b"globex:user:7:cart", b"globex:user:7:profile",
                                  b"globex:user:8:cart", b"globex:user:8:profile"])

    def test_fails_loudly_without_separator(self):
        # Without --key-separator, "acme" is not the tenant's namespace: the example says so.
        with Daemon() as d:
            result = subprocess.run(
                [sys.executable, os.path.join(EXAMPLES, "namespaced_cache.py"),
                 "--server", d.address],
                capture_output=True, timeout=30)
            self.assertEqual(result.returncode, 1, result.stdout.decode())
            self.assertIn("UNEXPECTED", result.stdout.decode())


class ConfigStoreTranscriptTest(unittest.TestCase):
    def test_replay(self):
        from replay import replay_file
        started = time.monotonic()
        ok, message = replay_file(os.path.join(EXAMPLES, "config-store-telnet.txt"),
                                  daemon_binary=binary())
        self.assertTrue(ok, message)
        # the walk-through sleeps 3 s for its TTL step: the replay really ran it
        self.assertGreaterEqual(time.monotonic() - started, 3.0)


class EmbedExampleTest(unittest.TestCase):
    def test_output(self):
        path = os.environ.get("EMBED_EXAMPLE")
        if not path:  # CMake puts it beside nestcached; else the default build dir
            beside = os.path.join(os.path.dirname(binary()), "embed_example")
            path = beside if os.path.exists(beside) else os.path.join(ROOT, "build",
                                                                      "embed_example")
        self.assertTrue(os.path.exists(path), f"{path} not built (cmake target embed_example)")
        result = subprocess.run([path], capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertEqual(result.stdout.decode(), EMBED_OUTPUT)
        self.assertEqual(result.stderr, b"")

    def test_source_is_short(self):
        with open(os.path.join(EXAMPLES, "embed", "embed_example.cc")) as f:
            self.assertLess(len(f.read().splitlines()), 100)


class DurableConfigTest(unittest.TestCase):
    def test_config_survives_kill_9_and_the_cache_does_not(self):
        with open(os.path.join(EXAMPLES, "durable-config.conf")) as f:
            text = f.read()
        port = free_port()
        with tempfile.TemporaryDirectory() as tmp:
            text, ports = re.subn(r"(?m)^port = 11211$", f"port = {port}", text)
            text, dirs = re.subn(r"(?m)^data-dir = .*$", f"data-dir = {tmp}/data", text)
            self.assertEqual((ports, dirs), (1, 1))
            path = os.path.join(tmp, "durable.conf")
            with open(path, "w") as f:
                f.write(text)

            def start():
                proc = subprocess.Popen([binary(), "--config", path], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
                deadline = time.monotonic() + 10
                while proc.poll() is None and time.monotonic() < deadline:
                    try:
                        return proc, socket.create_connection(("127.0.0.1", port), timeout=5)
                    except OSError:
                        time.sleep(0.05)
                proc.kill()
                self.fail("not listening: " + proc.stderr.read().decode())

            proc, sock = start()
            with sock:
                self.assertEqual(request(sock, b"set config db host 0 0 3\r\ndb1\r\n"),
                                 b"STORED\r\n")
                self.assertEqual(request(sock, b"set cache page 0 0 1\r\nx\r\n"), b"STORED\r\n")
            proc.kill()  # kill -9
            proc.wait(timeout=10)
            proc, sock = start()
            try:
                with sock:
                    self.assertEqual(request(sock, b"getn config db host\r\n", b"END\r\n"),
                                     b"VALUE config db host 0 3\r\ndb1\r\nEND\r\n")
                    self.assertEqual(request(sock, b"getn cache page\r\n", b"END\r\n"),
                                     b"END\r\n")
            finally:
                proc.terminate()
                proc.wait(timeout=10)


def cli_binary():
    """nestcache-cli: $NESTCACHE_CLI, else beside nestcached (CMake builds both in one place)."""
    path = os.environ.get("NESTCACHE_CLI") or os.path.join(os.path.dirname(binary()),
                                                           "nestcache-cli")
    if not os.path.exists(path):
        raise RuntimeError(f"{path} not built (cmake target nestcache-cli)")
    return path


def shell_steps(path):
    """[(command, expected output)] of a `$`-transcript (examples/config-store-cli.txt)."""
    steps = []
    with open(path) as f:
        for line in f.read().splitlines():
            if line.startswith("$ "):
                steps.append([line[2:], ""])
            elif line.startswith("#") or (not line and steps and not steps[-1][1]):
                continue
            elif line:
                steps[-1][1] += line + "\n"
    return [tuple(step) for step in steps]


class ConfigStoreCliTest(unittest.TestCase):
    def test_replay(self):
        steps = shell_steps(os.path.join(EXAMPLES, "config-store-cli.txt"))
        self.assertGreater(len(steps), 10)
        with Daemon() as d, tempfile.TemporaryDirectory() as tmp:
            # `nestcache-cli` on PATH is the built one, pointed at the daemon.
            bin_dir = os.path.join(tmp, "bin")
            os.mkdir(bin_dir)
            with open(os.path.join(bin_dir, "nestcache-cli"), "w") as f:
                f.write(f'#!/bin/sh\nexec "{os.path.abspath(cli_binary())}" -p {d.port} "$@"\n')
            os.chmod(os.path.join(bin_dir, "nestcache-cli"), 0o755)
            env = dict(os.environ, COLUMNS="80", PATH=bin_dir + ":" + os.environ["PATH"])
            work = os.path.join(tmp, "work")
            os.mkdir(work)
            for command, expected in steps:
                proc = subprocess.run(["/bin/sh", "-c", command], cwd=work,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      env=env, timeout=60)
                got = proc.stdout.decode()
                if proc.returncode != 0:
                    got += f"[exit {proc.returncode}]\n"
                self.assertEqual(got, expected, "$ " + command)


class ConfigReloaderTest(unittest.TestCase):
    def test_follows_changes_and_a_server_restart(self):
        import queue
        import threading

        def cli(*args):
            subprocess.run([cli_binary(), "-p", str(d.port)] + list(args), check=True,
                           capture_output=True, timeout=30)

        d = Daemon()
        d.start()
        cli("set", "billing/prod/db_url", "postgres://db1")
        cli("set", "billing/dev/db_url", "postgres://localhost")
        proc = subprocess.Popen(
            [sys.executable, os.path.join(EXAMPLES, "config_reloader.py"), "billing/prod",
             "-p", str(d.port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(os.environ, NESTCACHE_CLI=cli_binary()))
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(json.loads(line)) for line in proc.stdout],
                         daemon=True).start()
        try:
            self.assertEqual(lines.get(timeout=20), {"billing/prod/db_url": "postgres://db1"})
            cli("set", "billing/prod/pool", "20")
            self.assertEqual(lines.get(timeout=20), {"billing/prod/db_url": "postgres://db1",
                                                     "billing/prod/pool": "20"})
            cli("del", "billing/prod/db_url")
            self.assertEqual(lines.get(timeout=20), {"billing/prod/pool": "20"})
            # Killed and started again on its port (empty: no --data-dir): the watch resumes,
            # says RESYNC, and the reloader reads the (empty) subtree again.
            d.proc.kill()
            d.proc.wait()
            d.proc.stderr.close()
            d.proc = subprocess.Popen(d.command(), stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE)
            self.assertTrue(d._wait_ready())
            self.assertEqual(lines.get(timeout=20), {})
            cli("set", "billing/prod/db_url", "postgres://db2")
            self.assertEqual(lines.get(timeout=20), {"billing/prod/db_url": "postgres://db2"})
            self.assertTrue(lines.empty())
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()
            d.stop()

    def test_source_is_short(self):
        with open(os.path.join(EXAMPLES, "config_reloader.py")) as f:
            code = [line for line in f.read().split('"""')[2].splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
        self.assertLessEqual(len(code), 25)


class SampleConfigTest(unittest.TestCase):
    def test_sample_config_loads(self):
        with open(os.path.join(EXAMPLES, "nestcached.conf")) as f:
            text = f.read()
        port = free_port()
        text, count = re.subn(r"(?m)^port = 11211$", f"port = {port}", text)
        self.assertEqual(count, 1)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "nestcached.conf")
            with open(path, "w") as f:
                f.write(text)
            proc = subprocess.Popen([binary(), "--config", path], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            try:
                deadline = time.monotonic() + 10
                sock = None
                while sock is None and proc.poll() is None and time.monotonic() < deadline:
                    try:
                        sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                    except OSError:
                        time.sleep(0.05)
                self.assertIsNotNone(sock, "not listening: " + (
                    proc.stderr.read().decode() if proc.poll() is not None else "timeout"))
                with sock:
                    self.assertEqual(request(sock, b"version\r\n"),
                                     b"VERSION " + VERSION.encode() + b"\r\n")
                    stats = request(sock, b"stats\r\n", b"END\r\n").decode()
                    self.assertIn("STAT threads 4\r\n", stats)
                    self.assertIn(f"STAT limit_maxbytes {64 * 1024 * 1024}\r\n", stats)
                    # nested mode (compat = false): a path of two segments
                    self.assertEqual(request(sock, b"set app env 0 0 1\r\nv\r\n"), b"STORED\r\n")
                    self.assertEqual(request(sock, b"getch app\r\n", b"END\r\n"),
                                     b"CHILD env\r\nEND\r\n")
            finally:
                proc.terminate()
                proc.wait(timeout=10)
                proc.stderr.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
