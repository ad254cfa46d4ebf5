#!/usr/bin/python3
"""nestcache-cli's interactive mode driven as a person would, through a pseudo-terminal (issue
15): type a command and read the screen, TAB to complete a command name and path segments
(asked of the server), the up arrow in a second session (history kept in a file), a value of
several lines (`set PATH <<EOF`); and the same commands piped in without a terminal.

    NESTCACHED=build/nestcached NESTCACHE_CLI=build/nestcache-cli /usr/bin/python3 tests/cli/test_interactive.py
"""

import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from nestcached import Daemon, ROOT  # noqa: E402

CLI = os.environ.get("NESTCACHE_CLI") or os.path.join(ROOT, "build", "nestcache-cli")
UP = b"\x1b[A"


def screen(raw):
    """What a person reads: terminal control sequences, bells and carriage returns removed."""
    text = raw.decode(errors="replace")
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    return text.replace("\x07", "").replace("\r", "")


class Terminal:
    """nestcache-cli with no command, on a pseudo-terminal."""

    def __init__(self, daemon, history):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the CLI on the terminal
            os.environ.update(TERM="xterm", NESTCACHE_HISTORY=history)
            os.execv(CLI, [CLI, "-p", str(daemon.port)])
        self.raw = b""
        self.prompt = f"nestcache 127.0.0.1:{daemon.port}> "
        self.wait_for(self.prompt)

    def read(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.raw += chunk

    def wait_for(self, text, count=1, timeout=10):
        """Reads until `text` is on the screen `count` times."""
        deadline = time.monotonic() + timeout
        while screen(self.raw).count(text) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} x{count} not on the screen:\n{screen(self.raw)}")
            self.read(0.05)

    def wait_end(self, text, timeout=10):
        """Reads until the screen ends with `text` (what the cursor follows)."""
        deadline = time.monotonic() + timeout
        while not screen(self.raw).endswith(text):
            if time.monotonic() > deadline:
                raise AssertionError(f"the screen does not end with {text!r}:\n"
                                     + screen(self.raw))
            self.read(0.05)

    def type(self, keys, settle=0.1):
        os.write(self.fd, keys)
        self.read(settle)

    def command(self, line):
        """Types `line` and Enter; waits for the next prompt; the screen from the line on."""
        prompts = screen(self.raw).count(self.prompt)
        start = len(screen(self.raw))
        os.write(self.fd, line + b"\r")
        self.wait_for(self.prompt, prompts + 1)
        return screen(self.raw)[start:]

    def close(self):
        os.write(self.fd, b"\x04")  # Ctrl-D on an empty line
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                os.close(self.fd)
                return os.waitstatus_to_exitcode(status)
            self.read(0.05)
            time.sleep(0.02)  # read() returns at once once the terminal is gone
        os.kill(self.pid, 9)
        os.waitpid(self.pid, 0)
        os.close(self.fd)
        raise AssertionError("the CLI did not end at Ctrl-D:\n" + repr(self.raw[-300:]))


def cli(daemon, *args, stdin=None):
    proc = subprocess.run([CLI, "-p", str(daemon.port)] + list(args), input=stdin,
                          capture_output=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr.decode(errors="replace")


class Interactive(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.history = os.path.join(self.tmp.name, "history")
        self.daemon = Daemon().start()

    def tearDown(self):
        self.daemon.stop()
        self.tmp.cleanup()

    def test_type_commands_and_read_the_screen(self):
        t = Terminal(self.daemon, self.history)
        self.assertEqual(t.command(b"set billing/prod/db_url 'postgres://db1 main'"),
                         "set billing/prod/db_url 'postgres://db1 main'\n" + t.prompt)
        self.assertEqual(t.command(b"get billing/prod/db_url"),
                         "get billing/prod/db_url\npostgres://db1 main\n" + t.prompt)
        self.assertIn('{"path":"billing/prod/db_url","value":"postgres://db1 main"',
                      t.command(b"-o json get billing/prod/db_url"))
        self.assertIn("billing\n└── prod\n    └── db_url = postgres://db1 main\n",
                      t.command(b"tree billing"))
        self.assertIn("nestcache-cli: not found: billing/nope\n", t.command(b"get billing/nope"))
        self.assertIn("unknown command 'bogus'", t.command(b"bogus"))
        self.assertIn("Usage: nestcache-cli [options] get PATH", t.command(b"help get"))
        self.assertIn("set PATH <<EOF", t.command(b"help"))
        self.assertEqual(t.close(), 0)  # the last command's code: help

    def test_tab_completes_commands_and_path_segments(self):
        for path in ("billing/prod/db_url", "billing/prod/pool", "billing/dev/db_url"):
            self.assertEqual(cli(self.daemon, "set", path, "v-" + path)[0], 0)
        t = Terminal(self.daemon, self.history)
        t.type(b"ge\t")
        t.wait_end("get ")
        t.type(b"bi\t")  # the only top-level node; it has children: a separator, no space
        t.wait_end("billing/")
        t.type(b"\t\t")  # two children: both listed
        t.wait_for("billing/dev")
        t.wait_for("billing/prod")
        t.type(b"p\t")
        t.wait_end("billing/prod/")
        t.type(b"po\t")
        t.wait_end("get billing/prod/pool ")
        out = t.command(b"")
        self.assertIn("\nv-billing/prod/pool\n", out)
        t.type(b"tr\t")
        t.wait_end("tree ")
        out = t.command(b"billing/d\tdb\t")
        self.assertIn("billing/dev/db_url \nbilling/dev/db_url = v-billing/dev/db_url\n",
                      out)
        t.type(b"get --r\t")
        t.wait_end("get --raw ")
        t.command(b"")
        self.assertEqual(t.close(), 1)  # the last command: get with no PATH

    def test_history_in_a_second_session(self):
        cli(self.daemon, "set", "app/greeting", "hello")
        t = Terminal(self.daemon, self.history)
        t.command(b"ls app")
        t.command(b"get app/greeting")
        self.assertEqual(t.close(), 0)
        with open(self.history, "rb") as f:
            self.assertIn(b"get\\040app/greeting", f.read())  # libedit's format (vis(3))
        t = Terminal(self.daemon, self.history)
        t.type(UP)
        t.wait_end("get app/greeting")
        t.type(UP)
        t.wait_end("ls app")
        t.type(b"\x1b[B")  # down: back to the later one
        self.assertIn("\nhello\n", t.command(b""))
        self.assertEqual(t.close(), 0)

    def test_multi_line_value(self):
        t = Terminal(self.daemon, self.history)
        t.type(b"set app/motd <<END\r")
        t.wait_for("\n> ")
        t.type(b"first line\r")
        t.wait_for("\n> ", 2)
        t.type(b"  second, indented\r")
        t.wait_for("\n> ", 3)
        t.command(b"END")
        self.assertEqual(cli(self.daemon, "get", "--raw", "app/motd")[1],
                         b"first line\n  second, indented")
        self.assertIn("give a VALUE, or <<EOF", t.command(b"set app/x"))
        self.assertEqual(t.close(), 1)

    def test_piped_without_a_terminal(self):
        script = (b"set app/a 1\nset app/b <<EOF\ntwo\nlines\nEOF\n-o json ls app\n"
                  b"get app/b\nget app/none\n")
        code, out, err = cli(self.daemon, stdin=script)
        self.assertEqual(out, b'["a","b"]\ntwo\nlines\n')
        self.assertEqual(err, "nestcache-cli: not found: app/none\n")
        self.assertEqual(code, 4)  # the last command's


if __name__ == "__main__":
    unittest.main(verbosity=2)
