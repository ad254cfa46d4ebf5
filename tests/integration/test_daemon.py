"""The nestcached binary itself: options, --config, pid file, signals, connection limit.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_daemon.py
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from nestcached import Daemon, binary, free_port, read_to_eof, read_until, request  # noqa: E402

# The protocol's `version` reply (protocol-decisions.md); --version prints "nestcached 0.1.0".
VERSION_REPLY = b"VERSION 1.6.18\r\n"


def run(args, timeout=10):
    return subprocess.run([binary()] + args, stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout)


def wait_listening(proc, port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class CommandLineTest(unittest.TestCase):
    def test_help(self):
        result = run(["--help"])
        self.assertEqual(result.returncode, 0, result.stderr)
        text = result.stdout.decode()
        tokens = set(re.split(r"[\s,\[\]=]+", text))
        for option in ("-p", "--port", "-l", "--listen", "-t", "--threads", "-c", "-m",
                       "--memory-limit", "-M", "-I", "--max-item-size", "-U", "-P", "-o", "-v",
                       "--compat", "--key-separator", "--strict-parents", "--max-depth",
                       "--config", "--help", "--version"):
            self.assertIn(option, tokens, f"--help does not list {option}")
        self.assertIn("nestcached", text)

    def test_short_help(self):
        result = run(["-h"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout, run(["--help"]).stdout)

    def test_version(self):
        for flag in ("--version", "-V"):
            result = run([flag])
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(result.stdout.decode().strip(), "nestcached 0.1.0")

    def assert_refused(self, args, *mentions):
        result = run(args)
        self.assertNotEqual(result.returncode, 0, f"{args} was accepted")
        err = result.stderr.decode()
        self.assertTrue(err.endswith("\n"), repr(err))
        lines = err.splitlines()
        self.assertEqual(len(lines), 1, f"{args}: stderr {err!r}")
        self.assertTrue(any(m in lines[0] for m in mentions),
                        f"{args}: {lines[0]!r} names none of {mentions}")

    def test_bad_options(self):
        self.assert_refused(["--bogus"], "bogus")
        self.assert_refused(["-t", "0"], "-t", "thread")
        self.assert_refused(["-p", "notanumber"], "notanumber", "port")
        self.assert_refused(["-U", "5"], "-U", "UDP", "udp")
        self.assert_refused(["-p", "70000"], "-p", "port")
        self.assert_refused(["--key-separator", "ab"], "separator")
        self.assert_refused(["--max-depth", "0"], "depth")
        self.assert_refused(["-I", "12q"], "-I", "item")
        self.assert_refused(["--config", "/nonexistent/nestcached.conf"],
                            "/nonexistent/nestcached.conf")


class SignalTest(unittest.TestCase):
    ROUNDS = 5  # shutdown races show up only sometimes: stop a few daemons per signal

    def stop_once(self, signum, clients):
        d = Daemon().start()
        conns = []
        try:
            conns = [d.connect() for _ in range(clients)]
            for c in conns:
                self.assertEqual(request(c, b"set k 0 0 1\r\nv\r\n"), b"STORED\r\n")
            if clients >= 3:
                conns[1].sendall(b"get k")  # a command half sent
                conns[2].sendall(b"set half 0 0 10\r\nabc")  # a value half sent
            d.proc.send_signal(signum)
            try:
                code = d.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                d.proc.kill()
                d.proc.wait()
                code = "still running after 10 s"
            self.assertEqual(code, 0, f"{signal.Signals(signum).name} with {clients} clients")
            for c in conns:
                _, closed = read_to_eof(c)
                self.assertTrue(closed, "a client connection stayed open after the stop")
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", d.port), timeout=1).close()
        finally:
            for c in conns:
                c.close()
            d.stop()

    def test_sigterm(self):
        for n in range(self.ROUNDS):
            self.stop_once(signal.SIGTERM, clients=[0, 1, 3, 3, 8][n])

    def test_sigint(self):
        for n in range(self.ROUNDS):
            self.stop_once(signal.SIGINT, clients=[0, 1, 3, 3, 8][n])


class PidFileTest(unittest.TestCase):
    def test_pid_file(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "nestcached.pid")
            with Daemon(["-P", path]) as d:
                with open(path) as f:
                    self.assertEqual(f.read().strip(), str(d.proc.pid))
                with d.connect() as sock:
                    stats = request(sock, b"stats\r\n", b"END\r\n").decode()
                self.assertIn(f"STAT pid {d.proc.pid}\r\n", stats)


class ConfigFileTest(unittest.TestCase):
    def start(self, config_text, extra_args=()):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        path = os.path.join(tmp.name, "nestcached.conf")
        with open(path, "w") as f:
            f.write(config_text)
        proc = subprocess.Popen([binary(), "--config", path] + list(extra_args),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def stop():
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)
            proc.stderr.close()
        self.addCleanup(stop)
        return proc

    def test_port_and_compat_from_file(self):
        port = free_port()
        proc = self.start("# a test config\n"
                          f"port = {port}\n"
                          "listen = 127.0.0.1   # loopback only\n"
                          "\n"
                          "compat = true\n"
                          "threads = 3\n"
                          "max-depth = 5\n")
        self.assertTrue(wait_listening(proc, port), proc.stderr.read1().decode()
                        if proc.poll() is not None else "not listening")
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            # compat mode: one key token, memcached's delete usage error, no help
            self.assertEqual(request(sock, b"delete x y\r\n"),
                             b"CLIENT_ERROR bad command line format.  "
                             b"Usage: delete <key> [noreply]\r\n")
            self.assertEqual(request(sock, b"help\r\n"), b"ERROR\r\n")
            self.assertEqual(request(sock, b"set a 0 0 1\r\nv\r\n"), b"STORED\r\n")
            self.assertEqual(request(sock, b"delete a 0\r\n"), b"DELETED\r\n")
            stats = request(sock, b"stats\r\n", b"END\r\n").decode()
            self.assertIn("STAT threads 3\r\n", stats)
            settings = request(sock, b"stats settings\r\n", b"END\r\n").decode()
            self.assertIn(f"STAT tcpport {port}\r\n", settings)

    def test_nested_mode_when_compat_false(self):
        port = free_port()
        proc = self.start(f"port = {port}\nlisten = 127.0.0.1\ncompat = false\n")
        self.assertTrue(wait_listening(proc, port))
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            self.assertEqual(request(sock, b"delete x y\r\n"), b"NOT_FOUND\r\n")

    def test_command_line_overrides_file(self):
        # options.cc's contract: file options first, the command line wins.
        file_port, cli_port = free_port(), free_port()
        proc = self.start(f"port = {file_port}\nlisten = 127.0.0.1\nthreads = 3\n",
                          ["-p", str(cli_port), "-t", "2"])
        self.assertTrue(wait_listening(proc, cli_port),
                        proc.stderr.read().decode() if proc.poll() is not None else "")
        with socket.create_connection(("127.0.0.1", cli_port), timeout=5) as sock:
            self.assertIn(b"STAT threads 2\r\n", request(sock, b"stats\r\n", b"END\r\n"))

    def test_unknown_key_refused(self):
        port = free_port()
        proc = self.start(f"port = {port}\nno-such-option = 1\n")
        self.assertNotEqual(proc.wait(timeout=10), 0)
        err = proc.stderr.read().decode()
        self.assertEqual(len(err.splitlines()), 1, err)
        self.assertIn("no-such-option", err)


class ConnectionLimitTest(unittest.TestCase):
    def test_conn_limit(self):
        with Daemon(["-c", "2"]) as d:
            time.sleep(0.3)  # let the server notice the readiness probe has gone
            first, second = d.connect(), d.connect()
            for c in (first, second):
                self.assertEqual(request(c, b"version\r\n"), VERSION_REPLY)
            third = d.connect()
            data, closed = read_to_eof(third)
            self.assertEqual(data, b"ERROR Too many open connections\r\n")
            self.assertTrue(closed)
            third.close()
            # the two accepted connections are unaffected
            for c in (first, second):
                self.assertEqual(request(c, b"set k 0 0 1\r\nv\r\n"), b"STORED\r\n")
            # a slot freed by a closing client can be taken again
            first.close()
            deadline = time.monotonic() + 5
            while True:
                again = d.connect()
                again.sendall(b"version\r\n")
                reply = read_until(again, b"\r\n")
                if reply == VERSION_REPLY or time.monotonic() > deadline:
                    break
                again.close()
                time.sleep(0.05)
            self.assertEqual(reply, VERSION_REPLY)
            stats = request(again, b"stats\r\n", b"END\r\n").decode()
            self.assertIn("STAT curr_connections 2\r\n", stats)
            again.close()
            second.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
