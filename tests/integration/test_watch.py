"""watchtree over real sockets against a live nestcached (protocol.md 5.16).

1. A telnet-style session: one client watches `billing prod` while another changes it; every
   change arrives, in revision order, with its full value; a change elsewhere does not.
2. watchtree inside a pipeline: the requests before it are answered, then the stream starts;
   what the client sends afterwards is dropped.
3. A client that never reads: its watch ends with CANCELED <rev> slow consumer; the writers and
   another watcher are not slowed or stopped; resumed from <rev>, nothing is missing.
4. Many watchers (2,000 connections) of one subtree: each receives the change; `stats` counts
   them, and they go when their connections close.
5. After a restart the history is empty: a resume from an earlier revision gets COMPACTED
   (never a silent skip), and revisions keep growing.
6. Idle watches get PROGRESS <rev>.

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_watch.py
"""

import os
import re
import resource
import socket
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from nestcached import Daemon, read_to_eof, read_until, request  # noqa: E402

EVENT = re.compile(rb"(SET|TOUCH|DELETE|EXPIRE|EVICT|UNSET|FLUSH|GRAFT|PROGRESS) (\d+)(.*?)\r\n")


# 2,000 watchers are 2,000 sockets here and in the daemon (which inherits the limit).
_soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(max(_soft, 8192), _hard), _hard))


def parse(stream):
    """[(word, revision, rest-of-line, data)] from a stream's bytes (whole events only)."""
    events, at = [], 0
    while True:
        m = EVENT.match(stream, at)
        if not m:
            return events, stream[at:]
        at = m.end()
        data = None
        if m.group(1) == b"SET":
            size = int(m.group(3).split()[-1])
            if len(stream) < at + size + 2:
                return events, stream[m.start():]
            data = stream[at:at + size]
            at += size + 2
        events.append((m.group(1).decode(), int(m.group(2)), m.group(3).strip(), data))


def first_line(sock, timeout=5.0):
    """The stream's first line, read a byte at a time: the events behind it stay in the socket
    for collect()."""
    sock.settimeout(timeout)
    line = b""
    while not line.endswith(b"\r\n"):
        byte = sock.recv(1)
        if not byte:
            break
        line += byte
    return line


def watch(daemon, line):
    sock = daemon.connect()
    sock.sendall(line)
    return sock, first_line(sock)


def collect(sock, count, timeout=10.0):
    """Reads until `count` events (PROGRESS excluded) have arrived."""
    sock.settimeout(timeout)
    buf, events = b"", []
    deadline = time.monotonic() + timeout
    while len([e for e in events if e[0] != "PROGRESS"]) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"only {len(events)} events: {events[-3:]}")
        chunk = sock.recv(65536)
        if not chunk:
            break
        buf += chunk
        got, buf = parse(buf)
        events += got
    return [e for e in events if e[0] != "PROGRESS"]


class WatchTest(unittest.TestCase):
    def setUp(self):
        self.daemon = Daemon(["--watch-queue-kb", "64", "--watch-progress-interval", "1",
                              "-c", "4096"], threads=2).start()

    def tearDown(self):
        self.daemon.stop()

    def test_a_telnet_session_sees_every_change_of_its_subtree(self):
        writer = self.daemon.connect()
        self.assertEqual(request(writer, b"set billing prod db_url 0 0 9\r\npg://old1\r\n"),
                         b"STORED\r\n")
        watcher, head = watch(self.daemon, b"watchtree 0 billing prod\r\n")
        self.assertRegex(head, rb"^WATCHING \d+\r\n$")
        start = int(head.split()[1])
        request(writer, b"set billing prod db_url 0 0 9\r\npg://new2\r\n")
        request(writer, b"set billing dev db_url 0 0 3\r\ndev\r\n")  # elsewhere: not seen
        request(writer, b"touch billing prod db_url 300\r\n")
        request(writer, b"set billing prod pool 0 0 2\r\n10\r\n")
        request(writer, b"incr billing prod pool 5\r\n")
        request(writer, b"delete billing prod\r\n")
        request(writer, b"flush_all\r\n")
        events = collect(watcher, 6)
        self.assertEqual([e[0] for e in events], ["SET", "TOUCH", "SET", "SET", "DELETE", "FLUSH"])
        self.assertEqual(events[0][3], b"pg://new2")
        self.assertEqual(events[0][2], b"billing prod db_url 0 0 9")
        self.assertEqual(events[3][3], b"15")
        revisions = [e[1] for e in events]
        self.assertEqual(revisions, sorted(revisions))
        self.assertGreater(revisions[0], start)
        # A value's cas unique is the revision of the change that stored it.
        request(writer, b"set billing prod x 0 0 1\r\n1\r\n")
        [event] = collect(watcher, 1)
        gets = request(writer, b"getns billing prod x\r\n", b"END\r\n")
        self.assertEqual(int(gets.split(b"\r\n")[0].split()[-1]), event[1])

    def test_in_a_pipeline_earlier_requests_are_answered_then_the_stream_starts(self):
        sock = self.daemon.connect()
        sock.sendall(b"set ns a 0 0 1\r\n1\r\nwatchtree 0 ns\r\nget ns\r\nset ns b 0 0 1\r\n2\r\n")
        head = read_until(sock, b"\r\n")
        while head.count(b"\r\n") < 2:
            head += read_until(sock, b"\r\n")
        self.assertRegex(head, rb"^STORED\r\nWATCHING \d+\r\n$")
        with self.daemon.connect() as writer:
            request(writer, b"set ns c 0 0 1\r\n3\r\n")
        events = collect(sock, 1)
        self.assertEqual(events[0][2], b"ns c 0 0 1", "the set after watchtree was dropped")

    def test_a_client_that_never_reads_is_canceled_without_stopping_the_others(self):
        slow = self.daemon.connect()
        slow.sendall(b"watchtree 0 bulk\r\n")
        head = first_line(slow)
        start = int(head.split()[1])
        fast, _ = watch(self.daemon, b"watchtree 0 bulk\r\n")
        writer = self.daemon.connect()
        value = b"v" * 4000
        # ~12 MB of events: more than the kernel buffers the slow client's socket, and far more
        # than its 64 KB queue. Sent in rounds a reading client keeps up with.
        count = 3000
        fast_events, fast_buf = [], b""
        for first in range(0, count, 10):
            writer.sendall(b"".join(b"set bulk k%d 0 0 4000 noreply\r\n" % (i % 50) + value +
                                    b"\r\n" for i in range(first, first + 10)))
            self.assertEqual(request(writer, b"mn\r\n"), b"MN\r\n")
            # The reading watcher reads each round as it comes.
            fast.settimeout(10)
            while len(fast_events) < first + 10:
                chunk = fast.recv(1 << 20)
                self.assertTrue(chunk, "the reading watcher's stream ended")
                got, fast_buf = parse(fast_buf + chunk)
                fast_events += [e for e in got if e[0] != "PROGRESS"]
        self.assertEqual(len(fast_events), count, "the reading watcher got every event")
        stream, closed = read_to_eof(slow, timeout=20)
        self.assertTrue(closed, "the slow watch was closed")
        events, rest = parse(stream)
        m = re.fullmatch(rb"CANCELED (\d+) slow consumer\r\n", rest)
        self.assertIsNotNone(m, rest[:80])
        resume = int(m.group(1))
        self.assertEqual(resume, events[-1][1] if events else start)
        # Resumed from where it was told, it gets every change it had not seen.
        again, head = watch(self.daemon, b"watchtree %d bulk\r\n" % resume)
        self.assertTrue(head.startswith(b"WATCHING "), head)
        rest_events = collect(again, count - len(events), 30)
        self.assertEqual([e[1] for e in events + rest_events], [e[1] for e in fast_events])
        stats = request(writer, b"stats\r\n", b"END\r\n")
        self.assertIn(b"STAT watch_canceled_slow 1\r\n", stats)

    def test_two_thousand_watchers_of_one_subtree_each_get_the_change(self):
        watchers = []
        for _ in range(2000):
            sock = self.daemon.connect()
            sock.sendall(b"watchtree 0 cfg\r\n")
            watchers.append(sock)
        for sock in watchers:
            self.assertTrue(read_until(sock, b"\r\n").startswith(b"WATCHING "))
        with self.daemon.connect() as writer:
            self.assertIn(b"STAT watchers 2000\r\n", request(writer, b"stats\r\n", b"END\r\n"))
            request(writer, b"set cfg flag 0 0 2\r\non\r\n")
            for sock in watchers:
                [event] = collect(sock, 1)
                self.assertEqual(event[3], b"on")
            for sock in watchers:
                sock.close()
            deadline = time.monotonic() + 10
            while b"STAT watchers 0\r\n" not in request(writer, b"stats\r\n", b"END\r\n"):
                self.assertLess(time.monotonic(), deadline, "closed watches are forgotten")
                time.sleep(0.05)

    def test_an_idle_watch_gets_progress(self):
        sock, head = watch(self.daemon, b"watchtree 0 quiet\r\n")
        with self.daemon.connect() as writer:
            request(writer, b"set loud 0 0 1\r\n1\r\n")
        line = read_until(sock, b"\r\n", timeout=5)
        self.assertRegex(line, rb"^PROGRESS \d+\r\n$")
        self.assertGreater(int(line.split()[1]), int(head.split()[1]))

    def test_after_a_restart_a_resume_is_compacted_and_revisions_go_on(self):
        with self.daemon.connect() as writer:
            request(writer, b"set a 0 0 1\r\n1\r\n")
        _, head = watch(self.daemon, b"watchtree 0\r\n")
        seen = int(head.split()[1])
        self.daemon.stop()
        self.daemon.start()
        with self.daemon.connect() as writer:
            request(writer, b"set a 0 0 1\r\n1\r\n")
            sock = self.daemon.connect()
            sock.sendall(b"watchtree %d\r\n" % seen)
            stream, closed = read_to_eof(sock)
            self.assertTrue(closed)
            self.assertRegex(stream, rb"^COMPACTED \d+\r\n$")


class DurableWatchTest(unittest.TestCase):
    def test_with_a_data_dir_revisions_continue_across_a_restart(self):
        import tempfile
        with tempfile.TemporaryDirectory() as data:
            daemon = Daemon(["--data-dir", data]).start()
            try:
                _, head = watch(daemon, b"watchtree 0\r\n")
                with daemon.connect() as writer:
                    request(writer, b"set a 0 0 1\r\n1\r\n")
                    request(writer, b"delete a\r\n")
                daemon.stop()
                daemon.start()
                _, head2 = watch(daemon, b"watchtree 0\r\n")
                self.assertGreater(int(head2.split()[1]), int(head.split()[1]) + 1)
            finally:
                daemon.stop()


if __name__ == "__main__":
    unittest.main()
