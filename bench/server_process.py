"""A server under test as a child process: started on a free loopback port, stopped with SIGTERM.

Shared by compare.py (throughput), rss_compare.py (memory) and callgrind_ops.py (instructions). Standard library only.
"""

import signal
import socket
import subprocess
import tempfile
import time


def ask(conn, request, until=b"END\r\n"):
    """Sends `request` on `conn` and reads until the reply ends with `until` (or EOF)."""
    conn.sendall(request)
    data = b""
    while not data.endswith(until):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def parse_stats(data):
    """A `stats` reply as {name: text}."""
    return {parts[1]: parts[2] for parts in
            (line.split(" ", 2) for line in data.decode().split("\r\n"))
            if len(parts) == 3 and parts[0] == "STAT"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


class Server:
    """`argv` running until stop(), once 127.0.0.1:`port` accepts connections."""

    def __init__(self, name, argv, port, env=None, start_timeout=10.0):
        self.name, self.port = name, port
        # A file, not a pipe: a server that logs a lot must never block on a full pipe.
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=self.log, env=env)
        try:
            wait_for_port(port, self.proc, start_timeout)
        except BaseException:
            self.stop()
            raise

    def check_alive(self):
        if self.proc.poll() is not None:
            self.log.seek(0)
            err = self.log.read().decode(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} died (exit {self.proc.returncode}): {err}")

    def stop(self, timeout=10.0):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def stats(self):
        """The server's `stats` as {name: text}."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            return parse_stats(ask(s, b"stats\r\n"))
