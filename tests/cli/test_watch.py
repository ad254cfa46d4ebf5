#!/usr/bin/python3
"""nestcache-cli watch end to end against real nestcached daemons on ephemeral ports (issue 15):
events made by another client, printed as text and JSON; the resume after the server is killed
and started again (without --data-dir: RESYNC; with it: seamless, or RESYNC when the changes
made meanwhile are not in the history); CANCELED for a slow consumer, resumed with no change
lost; `-- CMD` and its environment; bad arguments.

    NESTCACHED=build/nestcached NESTCACHE_CLI=build/nestcache-cli /usr/bin/python3 tests/cli/test_watch.py
"""

import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from nestcached import Daemon, ROOT, raw, read_until, request  # noqa: E402

CLI = os.environ.get("NESTCACHE_CLI") or os.path.join(ROOT, "build", "nestcache-cli")
PY = "/usr/bin/python3"


class Watch:
    """nestcache-cli watch running in the background; its stdout and stderr lines are collected
    as they come."""

    def __init__(self, daemon, *args, env=None):
        self.proc = subprocess.Popen([CLI, "-p", str(daemon.port), "watch"] + list(args),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.out = queue.Queue()
        self.err = []
        self.err_lock = threading.Lock()
        self.lines = []
        self.pumps = [threading.Thread(target=self._pump_out, daemon=True),
                      threading.Thread(target=self._pump_err, daemon=True)]
        for pump in self.pumps:
            pump.start()

    def _pump_out(self):
        for line in self.proc.stdout:
            self.out.put(line.decode(errors="replace").rstrip("\n"))

    def _pump_err(self):
        for line in self.proc.stderr:
            with self.err_lock:
                self.err.append(line.decode(errors="replace").rstrip("\n"))

    def next_lines(self, count, timeout=20):
        """The next `count` lines of stdout (fails the test after `timeout` seconds)."""
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            try:
                got.append(self.out.get(timeout=max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                raise AssertionError(f"only {got} of {count} lines; stderr: {self.stderr()}")
        self.lines += got
        return got

    def stderr(self):
        with self.err_lock:
            return "\n".join(self.err)

    def wait_stderr(self, pattern, timeout=20):
        """The first match of `pattern` in stderr, waited for."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(pattern, self.stderr())
            if m:
                return m
            if self.proc.poll() is not None:
                time.sleep(0.1)  # let the pump read the last lines
                m = re.search(pattern, self.stderr())
                if m:
                    return m
                break
            time.sleep(0.02)
        raise AssertionError(f"no /{pattern}/ in stderr: {self.stderr()}")

    def watching_after(self):
        return int(self.wait_stderr(r"watching \S+ after revision (\d+)").group(1))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=10)
        for pump in self.pumps:
            pump.join(timeout=5)
        self.proc.stdout.close()
        self.proc.stderr.close()


def cli(daemon, *args, stdin=None):
    proc = subprocess.run([CLI, "-p", str(daemon.port)] + list(args), input=stdin,
                          capture_output=True, timeout=60)
    return proc.returncode, proc.stdout, proc.stderr.decode(errors="replace")


def revision(daemon, path):
    """The cas unique (= revision) of the value at `path` (spaced segments)."""
    reply = raw(daemon, b"getns " + path.encode() + b"\r\n", b"END\r\n")
    return int(reply.split(b"\r\n")[0].split(b" ")[-1])


def restart(daemon, extra_args=()):
    """Starts `daemon` again on its port (after it was killed)."""
    daemon.proc = subprocess.Popen(daemon.command() + list(extra_args),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert daemon._wait_ready(), "did not start again"


def kill(daemon):
    daemon.proc.kill()
    daemon.proc.wait()
    daemon.proc.stderr.close()


class Events(unittest.TestCase):
    def test_changes_by_another_client_are_printed(self):
        with Daemon() as d:
            w = Watch(d, "billing")
            try:
                w.watching_after()
                with d.connect() as s:
                    self.assertEqual(request(s, b"set billing prod db_url 0 0 14\r\n"
                                                b"postgres://db1\r\n"), b"STORED\r\n")
                    r1 = revision(d, "billing prod db_url")
                    self.assertEqual(request(s, b"set other x 0 0 1\r\nx\r\n"), b"STORED\r\n")
                    self.assertEqual(request(s, b"set billing prod pool 5 0 2\r\n20\r\n"),
                                     b"STORED\r\n")
                    r2 = revision(d, "billing prod pool")
                    self.assertEqual(request(s, b"set billing bin 0 0 3\r\n\x00\x01\n\r\n"),
                                     b"STORED\r\n")
                    r3 = revision(d, "billing bin")
                    self.assertEqual(request(s, b"touch billing prod pool 2000000000\r\n"),
                                     b"TOUCHED\r\n")
                    self.assertEqual(request(s, b"delete billing prod\r\n"), b"DELETED\r\n")
                    self.assertEqual(request(s, b"flush_all\r\n"), b"OK\r\n")
                lines = w.next_lines(6)
                self.assertEqual(lines[:3], [
                    f"SET {r1} billing/prod/db_url = postgres://db1",
                    f"SET {r2} billing/prod/pool = 20  (flags 5, exptime 0)",
                    f"SET {r3} billing/bin = <3 bytes>"])
                self.assertEqual(lines[3], f"TOUCH {r3 + 1} billing/prod/pool exptime=2000000000")
                self.assertEqual(lines[4], f"DELETE {r3 + 2} billing/prod")
                self.assertEqual(lines[5], f"FLUSH {r3 + 3}")
                self.assertTrue(w.out.empty())  # `other x` is not below billing
            finally:
                w.stop()

    def test_json_lines_and_from(self):
        with Daemon() as d:
            # Open one watch so that the server keeps a history to resume from.
            w0 = Watch(d, "a")
            start = w0.watching_after()
            cli(d, "set", "a/b", "text\nwith newline", "--flags", "3")
            cli(d, "set", "a/c", stdin=b"\xff\xfe")
            w0.next_lines(2)
            w0.stop()
            w = Watch(d, "-o", "json", "a", "--from", str(start), "--count", "2")
            try:
                got = [json.loads(line) for line in w.next_lines(2)]
                self.assertEqual(got[0], {"event": "SET", "revision": start + 1, "path": "a/b",
                                          "value": "text\nwith newline", "flags": 3, "exptime": 0})
                self.assertEqual(got[1], {"event": "SET", "revision": start + 2, "path": "a/c",
                                          "value_base64": "//4=", "flags": 0, "exptime": 0})
                self.assertEqual(w.proc.wait(timeout=10), 0)  # --count 2
            finally:
                w.stop()


class Resume(unittest.TestCase):
    def test_restart_without_data_dir_says_resync(self):
        # The new server numbers its changes from 0 again and holds no history: the watch
        # cannot know what changed while it was away, and says so (RESYNC), then goes on.
        d = Daemon()
        d.start()
        w = Watch(d, "app")
        try:
            w.watching_after()
            for i in range(3):
                cli(d, "set", f"app/k{i}", "v")
            self.assertEqual([line.split(" ")[0] for line in w.next_lines(3)], ["SET"] * 3)
            kill(d)
            w.wait_stderr(r"connection lost")
            time.sleep(0.3)  # a refused connection or two, retried with backoff
            restart(d)
            w.wait_stderr(r"restarted without --data-dir.*resync")
            resync, = w.next_lines(1)
            self.assertRegex(resync, r"^RESYNC \d+ app$")
            w.wait_stderr(r"resumed app after revision %s" % resync.split(" ")[1])
            cli(d, "set", "app/new", "1")
            self.assertEqual(w.next_lines(1), [f"SET {revision(d, 'app new')} app/new = 1"])
            self.assertIsNone(w.proc.poll())
        finally:
            w.stop()
            d.stop()

    def test_restart_with_data_dir(self):
        with tempfile.TemporaryDirectory() as tmp:
            args = ["--data-dir", tmp, "--fsync", "always"]
            d = Daemon(args)
            d.start()
            w = Watch(d, "app")
            try:
                w.watching_after()
                cli(d, "set", "app/a", "1")
                r1 = revision(d, "app a")
                self.assertEqual(w.next_lines(1), [f"SET {r1} app/a = 1"])
                # Killed and started again: the revisions go on from the journal, but the
                # history of changes is in memory, and the new process starts watching above
                # every revision of the old one (protocol.md 5.16): COMPACTED, so RESYNC.
                kill(d)
                w.wait_stderr(r"connection lost")
                restart(d)
                w.wait_stderr(r"no longer holds the changes after revision %d" % r1)
                self.assertRegex(w.next_lines(1)[0], r"^RESYNC \d+ app$")
                cli(d, "set", "app/b", "2")
                r2 = revision(d, "app b")
                self.assertGreater(r2, r1)
                self.assertEqual(w.next_lines(1), [f"SET {r2} app/b = 2"])
                # A change made while the watch is away is in the journal, not in the in-memory
                # history of the new process: the server answers COMPACTED, the watch RESYNC.
                kill(d)
                w.wait_stderr(r"connection lost(.|\n)*connection lost")
                other = Daemon(args)
                other.start()  # the same data directory on another port
                cli(other, "set", "app/c", "3")
                r3 = revision(other, "app c")
                other.stop()
                restart(d)
                w.wait_stderr(r"no longer holds the changes after revision %d" % r2)
                [line] = w.next_lines(1)
                self.assertRegex(line, r"^RESYNC \d+ app$")
                self.assertGreater(int(line.split()[1]), r3)
                cli(d, "set", "app/d", "4")
                self.assertEqual(w.next_lines(1), [f"SET {revision(d, 'app d')} app/d = 4"])
                self.assertNotIn("SET %d" % r3, "\n".join(w.lines))
            finally:
                w.stop()
                d.stop()

    def test_compacted_resync_and_no_resync(self):
        with Daemon() as d:
            # Before the first watch the server keeps no history: --from 1 is too old.
            cli(d, "set", "a/x", "1")
            cli(d, "set", "a/y", "2")
            code, out, err = cli(d, "watch", "a", "--from", "1", "--no-resync")
            self.assertEqual((code, out), (5, b""), err)
            # The history starts where watching started: the wall clock in microseconds.
            m = re.search(r"no longer holds the changes after revision 1 \(its history starts at "
                          r"(\d+)\)", err)
            self.assertIsNotNone(m, err)
            floor = int(m.group(1))
            w = Watch(d, "a", "--from", "1")
            try:
                self.assertEqual(w.next_lines(1), [f"RESYNC {floor} a"])
                w.wait_stderr(r"resumed a after revision %d" % floor)
                cli(d, "set", "a/z", "3")
                self.assertEqual(w.next_lines(1), [f"SET {revision(d, 'a z')} a/z = 3"])
            finally:
                w.stop()

    def test_canceled_slow_consumer_loses_nothing(self):
        # A 1 KB queue per watch, a command that takes 0.1 s per event, and values of 256 KB
        # written at full speed (more than the sockets' buffers hold): the server cancels the
        # watch; it resumes from the revision the CANCELED line gives, and every change comes
        # through exactly once.
        with Daemon(["--watch-queue-kb", "1"]) as d:
            w = Watch(d, "load", "--", "sh", "-c",
                      'cat >/dev/null; echo "$NESTCACHE_EVENT $NESTCACHE_REVISION $NESTCACHE_PATH";'
                      ' sleep 0.1')
            try:
                w.watching_after()
                made = []
                with d.connect() as s:
                    for i in range(48):
                        size = 256 * 1024 if i % 3 else 10
                        self.assertEqual(request(s, b"set load k%d 0 0 %d\r\n%s\r\n"
                                                 % (i % 5, size, b"v" * size)), b"STORED\r\n")
                        made.append((revision(d, f"load k{i % 5}"), f"load/k{i % 5}"))
                lines = w.next_lines(len(made), timeout=60)
                seen = [(int(line.split(" ")[1]), line.split(" ")[2]) for line in lines]
                self.assertEqual(seen, made)  # in order, none lost, none twice
                self.assertRegex(w.stderr(), r"canceled the watch \(slow consumer\); resuming")
                stats = raw(d, b"stats\r\n", b"END\r\n").decode()
                self.assertNotIn("STAT watch_canceled_slow 0\r\n", stats)
                time.sleep(0.5)
                self.assertTrue(w.out.empty())
            finally:
                w.stop()


class Command(unittest.TestCase):
    def test_environment_and_stdin(self):
        script = ("import json, os, sys\n"
                  "env = {k: v for k, v in os.environ.items() if k.startswith('NESTCACHE_')}\n"
                  "env['stdin'] = sys.stdin.buffer.read().hex()\n"
                  "print(json.dumps(env, sort_keys=True), flush=True)\n")
        with Daemon() as d:
            env = dict(os.environ, NESTCACHE_VALUE="stale", NESTCACHE_OTHER="kept")
            w = Watch(d, "cfg", "--count", "5", "--", PY, "-c", script, env=env)
            try:
                w.watching_after()
                cli(d, "set", "cfg/db/url", "--flags", "7", "--ttl", "2000000000",
                    stdin=b"a b\nc")
                r = revision(d, "cfg db url")
                cli(d, "set", "cfg/cert", stdin=b"\x00bin")
                cli(d, "del", "cfg/db")
                self.assertEqual(raw(d, b"touch cfg cert 2100000000\r\n"), b"TOUCHED\r\n")
                self.assertEqual(raw(d, b"flush_all\r\n"), b"OK\r\n")
                lines = w.next_lines(5)
                self.assertEqual(w.proc.wait(timeout=10), 0, w.stderr())
            finally:
                w.stop()
            got = [json.loads(line) for line in lines]
            # What the test's own environment passes down (NESTCACHE_CLI, NESTCACHE_SANITIZER
            # under scripts/test's sanitizer runs) is not the CLI's doing.
            got = [{k: v for k, v in e.items() if k not in os.environ} for e in got]
            base = {"NESTCACHE_OTHER": "kept"}
            self.assertEqual(got, [
                dict(base, NESTCACHE_EVENT="SET", NESTCACHE_REVISION=str(r),
                     NESTCACHE_PATH="cfg/db/url", NESTCACHE_VALUE="a b\nc", NESTCACHE_FLAGS="7",
                     NESTCACHE_EXPTIME="2000000000", stdin=b"a b\nc".hex()),
                # a NUL byte cannot be in the environment: the value is on stdin only
                dict(base, NESTCACHE_EVENT="SET", NESTCACHE_REVISION=str(r + 1),
                     NESTCACHE_PATH="cfg/cert", NESTCACHE_FLAGS="0", NESTCACHE_EXPTIME="0",
                     stdin=b"\x00bin".hex()),
                dict(base, NESTCACHE_EVENT="DELETE", NESTCACHE_REVISION=str(r + 2),
                     NESTCACHE_PATH="cfg/db", stdin=""),
                dict(base, NESTCACHE_EVENT="TOUCH", NESTCACHE_REVISION=str(r + 3),
                     NESTCACHE_PATH="cfg/cert", NESTCACHE_EXPTIME="2100000000", stdin=""),
                dict(base, NESTCACHE_EVENT="FLUSH", NESTCACHE_REVISION=str(r + 4),
                     NESTCACHE_PATH="/", stdin=""),
            ])

    def test_failing_command_is_reported_and_the_watch_goes_on(self):
        with Daemon() as d:
            w = Watch(d, "a", "--count", "2", "--", "sh", "-c", 'exit "$NESTCACHE_FLAGS"')
            try:
                w.watching_after()
                cli(d, "set", "a/b", "x", "--flags", "3")
                cli(d, "set", "a/b", "y")
                self.assertEqual(w.proc.wait(timeout=20), 0)
                self.assertIn("'sh' exited with status 3 for SET", w.stderr())
            finally:
                w.stop()
            w = Watch(d, "a", "--", "/no/such/program")
            try:
                w.watching_after()
                cli(d, "set", "a/b", "x")
                self.assertEqual(w.proc.wait(timeout=20), 1)
                self.assertIn("cannot run '/no/such/program'", w.stderr())
            finally:
                w.stop()


class BadArguments(unittest.TestCase):
    def test_usage_and_refusals(self):
        with Daemon() as d:
            self.assertEqual(cli(d, "watch")[0], 1)
            self.assertEqual(cli(d, "watch", "a", "--from", "-1")[0], 1)
            self.assertEqual(cli(d, "watch", "a", "--")[0], 1)
            self.assertEqual(cli(d, "watch", "a", "--bogus")[0], 1)
            code, _, err = cli(d, "watch", "a", "--from", "99999999999999999")
            self.assertEqual(code, 3)
            self.assertIn("revision 99999999999999999 is in the future", err)
            port = d.port
        proc = subprocess.run([CLI, "-p", str(port), "watch", "a"], capture_output=True,
                              timeout=30)
        self.assertEqual(proc.returncode, 2)  # the first connection is not retried


if __name__ == "__main__":
    unittest.main(verbosity=2)
