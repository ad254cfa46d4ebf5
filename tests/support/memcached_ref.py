"""Starts the reference server, a real memcached 1.6.18 (Debian package memcached), on an
ephemeral loopback port, for tests that compare nestcached with it.

Usage:
    with Memcached() as m:
        sock = m.connect()

The binary is $MEMCACHED, else memcached on PATH, else /usr/bin/memcached.
"""

import os
import shutil
import socket
import subprocess
import time

from nestcached import free_port


def binary():
    path = os.environ.get("MEMCACHED") or shutil.which("memcached") or "/usr/bin/memcached"
    if not os.path.exists(path):
        raise RuntimeError("memcached not found: install the Debian package memcached "
                           "(scripts/deps test does)")
    return path


class Memcached:
    """memcached -u root -U 0 -l 127.0.0.1 -p <free port> [args]."""

    def __init__(self, args=()):
        self.args = list(args)
        self.proc = None
        self.port = None

    def start(self):
        for _ in range(5):  # another process may take the port between probe and bind
            self.port = free_port()
            cmd = [binary(), "-u", "root", "-U", "0", "-l", "127.0.0.1",
                   "-p", str(self.port)] + self.args
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self.proc.poll() is None:
                try:
                    socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                    return self
                except OSError:
                    time.sleep(0.02)
            self.stop()
        raise RuntimeError("memcached did not start: " + " ".join(cmd))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

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
