"""Starts the reference server, a real memcached 1.6.18 (Debian package memcached), on an
ephemeral loopback port, for tests that compare nestcached with it.

Usage:
    with Memcached() as m:
        sock = m.connect()

The binary is $MEMCACHED, else memcached on PATH, else /usr/bin/memcached.
"""

import os
import shutil

from nestcached import Daemon


def binary():
    path = os.environ.get("MEMCACHED") or shutil.which("memcached") or "/usr/bin/memcached"
    if not os.path.exists(path):
        raise RuntimeError("memcached not found: install the Debian package memcached "
                           "(scripts/deps test does)")
    return path


class Memcached(Daemon):
    """memcached -u root -U 0 -l 127.0.0.1 -p <free port> [args]."""

    def command(self):
        return [binary(), "-u", "root", "-U", "0", "-l", "127.0.0.1",
                "-p", str(self.port)] + self.args
