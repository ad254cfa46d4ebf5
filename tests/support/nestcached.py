"""Starts a real nestcached on an ephemeral port for a test, and stops it.

Usage:
    with Daemon(["--compat"]) as d:
        sock = d.connect()
        ...

The binary comes from $NESTCACHED (set by ctest), else build/nestcached.
"""

import os
import socket
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def binary():
    path = os.environ.get("NESTCACHED") or os.path.join(ROOT, "build", "nestcached")
    if not os.path.exists(path):
        raise RuntimeError(f"nestcached not found at {path}; build first or set NESTCACHED")
    return path


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Daemon:
    """A nestcached process listening on 127.0.0.1:<ephemeral port>."""

    def __init__(self, args=(), threads=2):
        self.args = list(args)
        self.threads = threads
        self.proc = None
        self.port = None

    def start(self):
        for _ in range(5):  # another process may take the port between probe and bind
            self.port = free_port()
            cmd = self.command()
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE)
            if self._wait_ready():
                return self
            self.stop()
        raise RuntimeError(type(self).__name__ + " did not start: " + " ".join(cmd))

    def command(self):
        """The command line for self.port; subclasses start other servers the same way."""
        return [binary(), "-l", "127.0.0.1", "-p", str(self.port),
                "-t", str(self.threads)] + self.args

    def _wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.02)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()

    def connect(self, timeout=5.0):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def rss_bytes(pid):
    """The resident set size of process `pid` (VmRSS in /proc/PID/status), in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def read_until(sock, terminator, timeout=5.0):
    """Reads from sock until the bytes received end with `terminator`."""
    sock.settimeout(timeout)
    buf = b""
    while not buf.endswith(terminator):
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def read_to_eof(sock, timeout=5.0):
    """(bytes received, True if the server closed) within `timeout`; a reset counts as closed."""
    sock.settimeout(timeout)
    chunks = []  # joined once: appending to bytes copies it all at every recv
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks), True
            chunks.append(chunk)
    except ConnectionResetError:
        return b"".join(chunks), True
    except (TimeoutError, socket.timeout):
        return b"".join(chunks), False


def request(sock, data, terminator=b"\r\n"):
    sock.sendall(data)
    return read_until(sock, terminator)


def raw(daemon, data, terminator=b"\r\n"):
    """One request on a fresh connection to `daemon`; returns the reply bytes."""
    with daemon.connect() as sock:
        return request(sock, data, terminator)


def empty(test, daemon):
    """flush_all, then waits until `stats` agrees the cache is empty, so the next test starts
    from zero counters whatever the previous one left for the background reclaimer."""
    test.assertEqual(raw(daemon, b"flush_all\r\n"), b"OK\r\n")
    deadline = time.monotonic() + 5
    while b"STAT curr_items 0\r\n" not in raw(daemon, b"stats\r\n", b"END\r\n"):
        test.assertLess(time.monotonic(), deadline, "curr_items stays above 0 after flush_all")
        time.sleep(0.02)


class DaemonPair:
    """Mixed into a TestCase: two daemons started with DAEMON_ARGS for the class (so a hashing
    client really spreads keys), both emptied before each test. `d` is the first one."""

    DAEMON_ARGS = []

    @classmethod
    def setUpClass(cls):
        cls.daemons = [Daemon(cls.DAEMON_ARGS).start(), Daemon(cls.DAEMON_ARGS).start()]
        cls.d = cls.daemons[0]

    @classmethod
    def tearDownClass(cls):
        for d in cls.daemons:
            d.stop()

    def setUp(self):
        for d in self.daemons:
            empty(self, d)
