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
    """memcached -u root -U 0 -l 127.0.0.1 -p <free port> -o no_lru_crawler,no_lru_maintainer
    [args].

    Without its background LRU threads memcached's replies depend on the bytes sent alone: the
    maintainer and the crawler take references to items now and then, and memcached rewrites an
    incr's shorter number in place (padded with spaces) only while nobody else holds the item,
    else it stores a new item of the exact length. With them on, incr-decr.txt's padding came
    out either way from one run to the next (seen once in the ASan suite)."""

    def command(self):
        return [binary(), "-u", "root", "-U", "0", "-l", "127.0.0.1",
                "-p", str(self.port), "-o", "no_lru_crawler,no_lru_maintainer"] + self.args
