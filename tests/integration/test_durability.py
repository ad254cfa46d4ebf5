"""Durability of the nestcached daemon (--data-dir): crashes, damaged journals and full disks,
seen from outside, through the protocol, the exit status and stderr.

- kill -9 at random moments under 8 concurrent pipelined writers, five times in a row on the
  same data dir, for --fsync always and everysec: every acknowledged set is there with its
  value and flags (or a later set of the same key that was sent), nothing else is, cas uniques
  survive, and uniques handed out after a restart are above every one seen before;
- the journal damaged by hand between runs (proto-spec/persistence.md section 4): a torn tail
  (cut with one log line), a flipped byte before the tail (exit 65 naming file and offset, or
  a cut with --truncate-corrupt-journal), missing segments, foreign and empty files;
- a data dir that cannot be created, --persist, SIGTERM with --fsync no, absolute expiry across
  a restart, and a full disk (a small tmpfs; skipped when mount is not allowed).

Each daemon runs on an ephemeral port; data dirs are temp dirs removed afterwards. The journal
is parsed here only to find frame offsets (section 2: 40-byte header, then `length u32, crc
u32, body`, padded to 8).

Run: NESTCACHED=build/nestcached /usr/bin/python3 tests/integration/test_durability.py
"""

import glob
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))

from nestcached import Daemon, binary, free_port  # noqa: E402

EX_DATAERR = 65
EX_IOERR = 74
SEGMENT_HEADER = 40
SEGMENT_SIZE = 64 * 1024 * 1024


# --- a tiny memcache text client --------------------------------------------------------------

class Client:
    """One connection; requests are sent as bytes, replies read one at a time."""

    def __init__(self, daemon, timeout=10.0):
        self.sock = daemon.connect(timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(262144)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + 2:]
                return out
            self._fill()

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def value(self):
        """One getns/gets reply of one key: None (END) or (flags, data, cas)."""
        first = self.line()
        if first == b"END":
            return None
        if not first.startswith(b"VALUE "):
            raise AssertionError(f"unexpected reply {first!r}")
        _, flags, size, cas = first.rsplit(b" ", 3)
        data = self.exact(int(size) + 2)
        if data[-2:] != b"\r\n":
            raise AssertionError(f"value not followed by CRLF: {first!r}")
        end = self.line()
        if end != b"END":
            raise AssertionError(f"expected END after one value, got {end!r}")
        return int(flags), data[:-2], int(cas)

    def set(self, key, data, flags=0, exptime=0):
        self.send(set_request(key, data, flags, exptime))
        return self.line()

    def getns(self, key):
        self.send(b"getns " + key.encode() + b"\r\n")
        return self.value()

    def stats(self):
        self.send(b"stats\r\n")
        out = {}
        while True:
            line = self.line()
            if line == b"END":
                return out
            _, name, val = line.decode().split(" ", 2)
            out[name] = val


def set_request(key, data, flags=0, exptime=0):
    return b"set %s %d %d %d\r\n%s\r\n" % (key.encode(), flags, exptime, len(data), data)


def stats_of(daemon):
    with Client(daemon) as c:
        return c.stats()


def getns_of(daemon, key):
    with Client(daemon) as c:
        return c.getns(key)


def read_all(daemon, keys):
    """{key: (flags, data, cas)} of the keys present, by pipelined getns on one connection."""
    out = {}
    with Client(daemon, timeout=20) as c:
        for i in range(0, len(keys), 200):
            part = keys[i:i + 200]
            c.send(b"".join(b"getns " + k.encode() + b"\r\n" for k in part))
            for k in part:
                v = c.value()
                if v is not None:
                    out[k] = v
    return out


# --- daemons -----------------------------------------------------------------------------------

class DurableDaemon(Daemon):
    """A Daemon whose stderr goes to a file, so it can be read while and after it runs."""

    def __init__(self, args=(), threads=2):
        super().__init__(args, threads)
        self._err = tempfile.NamedTemporaryFile(prefix="nestcached-err-", delete=False)
        self._err.close()

    def start(self):
        for _ in range(5):
            self.port = free_port()
            with open(self._err.name, "wb") as err:
                self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                             stdout=subprocess.DEVNULL, stderr=err)
            if self._wait_ready(timeout=30.0):
                return self
            self.proc.kill()
            self.proc.wait(timeout=10)
            if EX_DATAERR == self.proc.returncode:
                break
        raise RuntimeError(f"nestcached did not start ({self.proc.returncode}): "
                           f"{' '.join(self.command())}\n{self.stderr()}")

    def stderr(self):
        with open(self._err.name, "rb") as f:
            return f.read().decode(errors="replace")

    def kill9(self):
        self.proc.kill()
        self.proc.wait(timeout=10)

    def terminate(self):
        """SIGTERM, and the exit status."""
        self.proc.terminate()
        return self.proc.wait(timeout=20)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def cleanup(self):
        self.stop()
        try:
            os.unlink(self._err.name)
        except OSError:
            pass


def start_failing(args, timeout=10.0):
    """Runs a daemon that should not start: (exit status, stderr, seconds, port ever opened)."""
    port = free_port()
    cmd = [binary(), "-l", "127.0.0.1", "-p", str(port), "-t", "2"] + list(args)
    started = time.monotonic()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err)
        opened = False
        try:
            while proc.poll() is None and time.monotonic() - started < timeout:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                        opened = True
                    break  # serving: no need to wait for the timeout
                except OSError:
                    pass
                time.sleep(0.01)
            if proc.poll() is None:
                proc.kill()
            code = proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        elapsed = time.monotonic() - started
        err.seek(0)
        return code, err.read().decode(errors="replace"), elapsed, opened


# --- the journal on disk -----------------------------------------------------------------------

def segments(data_dir):
    return sorted(glob.glob(os.path.join(data_dir, "journal-*.seg")))


def frames(path):
    """[(offset, length)] of the frames of a segment, up to the first all-zero frame header."""
    with open(path, "rb") as f:
        data = f.read()
    out = []
    at = SEGMENT_HEADER
    while at + 8 <= len(data):
        length, crc = struct.unpack_from("<II", data, at)
        if length == 0 and crc == 0:
            break
        out.append((at, length))
        at += 8 + (length + 7) // 8 * 8
    return out


def last_nonzero(path):
    """The offset of the last non-zero byte of the file (-1 if all zeros)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        pos = size
        step = 1 << 20
        while pos > 0:
            start = max(0, pos - step)
            f.seek(start)
            chunk = f.read(pos - start).rstrip(b"\0")
            if chunk:
                return start + len(chunk) - 1
            pos = start
    return -1


def patch(path, offset, data):
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


class TempDirTest(unittest.TestCase):
    """A temp dir per test (self.tmp; the data dir is self.data) and daemons stopped after."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="nestcache-dur-")
        self.data = os.path.join(self.tmp, "data")
        self.daemons = []

    def tearDown(self):
        for d in self.daemons:
            d.cleanup()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def daemon(self, *extra, data_dir=None, threads=2):
        d = DurableDaemon(["--data-dir", data_dir or self.data] + list(extra), threads=threads)
        self.daemons.append(d)
        return d.start()


# --- 1. kill -9 under concurrent pipelined writers ---------------------------------------------

class Writer(threading.Thread):
    """Sends pipelined batches of sets (and now and then a getns of the key just set) on its own
    connection until the connection fails. For each key: the (flags, data) sent, in order, how
    many of them were acknowledged (STORED; replies come in order, so a prefix), and the cas
    unique of the ones a getns saw."""

    def __init__(self, daemon, keys, seed, barrier):
        super().__init__(daemon=True)
        self.daemon_ = daemon
        self.keys = keys
        self.rng = random.Random(seed)
        self.barrier = barrier
        self.sent = {}    # key -> [(flags, data)]
        self.acked = {}   # key -> number of leading entries of sent[key] acknowledged
        self.cas = {}     # (key, index) -> cas unique a getns returned for that set
        self.errors = []
        self.batches = 0

    def run(self):
        try:
            client = Client(self.daemon_, timeout=10)
        except OSError as e:
            self.errors.append(f"connect: {e}")
            self.barrier.abort()
            return
        try:
            self.barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            client.close()
            return
        try:
            while True:
                self.batch(client)
        except TimeoutError:
            self.errors.append("no reply within 10 s")  # a kill closes, it does not hang
        except (ConnectionError, OSError):
            pass  # the kill
        except AssertionError as e:
            self.errors.append(str(e))
        finally:
            client.close()

    def batch(self, client):
        rng = self.rng
        ops = []
        out = []
        for _ in range(rng.randint(1, 24)):
            key = rng.choice(self.keys)
            data = rng.randbytes(rng.randint(0, 2000))
            flags = rng.getrandbits(32)
            history = self.sent.setdefault(key, [])
            history.append((flags, data))
            self.acked.setdefault(key, 0)
            ops.append(("set", key, len(history) - 1))
            out.append(set_request(key, data, flags))
            if rng.random() < 0.15:
                ops.append(("getns", key, len(history) - 1))
                out.append(b"getns " + key.encode() + b"\r\n")
        # Recorded as sent before a byte leaves: whatever reached the server may be applied.
        client.send(b"".join(out))
        for op, key, index in ops:
            if op == "set":
                reply = client.line()
                if reply != b"STORED":
                    raise AssertionError(f"set {key}: {reply!r}")
                if index != self.acked[key]:
                    raise AssertionError(f"reply out of order for {key}")
                self.acked[key] = index + 1
            else:
                got = client.value()
                if got is None or got[:2] != self.sent[key][index]:
                    raise AssertionError(f"getns {key} right after its set: {got!r}")
                self.cas[(key, index)] = got[2]
        self.batches += 1


class KillNineTest(TempDirTest):
    WRITERS = 8
    ROUNDS = 5
    NESTED = 48  # keys "w<t> k<i>" per writer
    FLAT = 16    # keys "f<t>x<i>" per writer

    def all_keys(self):
        keys = ["probe"]
        for t in range(self.WRITERS):
            keys += [f"w{t} k{i}" for i in range(self.NESTED)]
            keys += [f"f{t}x{i}" for i in range(self.FLAT)]
        return keys

    def run_policy(self, policy):
        rng = random.Random(f"{policy}-{time.time()}")
        keys = self.all_keys()
        known = {}        # key -> (flags, data, cas): the state found after the last restart
        max_cas = 0       # the highest cas unique seen so far
        d = self.daemon("--fsync", policy)
        for rnd in range(self.ROUNDS):
            where = f"--fsync {policy}, round {rnd}"
            # Each writer writes half its keys this round; the other half must stay as they are.
            barrier = threading.Barrier(self.WRITERS + 1)
            writers = []
            for t in range(self.WRITERS):
                own = [f"w{t} k{i}" for i in range(self.NESTED)] + \
                      [f"f{t}x{i}" for i in range(self.FLAT)]
                writers.append(Writer(d, rng.sample(own, len(own) // 2), rng.random(), barrier))
            for w in writers:
                w.start()
            barrier.wait(timeout=20)
            time.sleep(rng.uniform(0.05, 0.4))
            d.kill9()
            for w in writers:
                w.join(timeout=20)
                self.assertFalse(w.is_alive(), f"{where}: a writer hangs after the kill")
                self.assertEqual(w.errors, [], where)
            self.assertGreater(sum(sum(w.acked.values()) for w in writers), 0,
                               f"{where}: nothing was acknowledged before the kill")
            for w in writers:
                for c in w.cas.values():
                    max_cas = max(max_cas, c)

            d.cleanup()
            self.daemons.remove(d)
            d = self.daemon("--fsync", policy)
            found = read_all(d, keys)
            for key in keys:
                got = found.get(key)
                base = known.get(key)
                writer = next((w for w in writers if key in w.sent), None)
                if writer is None:
                    self.assertEqual(got, base, f"{where}: {key} was not written this round")
                    continue
                sent, acked = writer.sent[key], writer.acked[key]
                # Allowed: the last acknowledged set or any sent after it; with none
                # acknowledged, also the value from before the round (or nothing).
                first = acked - 1 if acked > 0 else 0
                allowed = {i for i in range(first, len(sent))}
                if got is None:
                    self.assertTrue(acked == 0 and base is None,
                                    f"{where}: {key} lost; {acked} of {len(sent)} sets "
                                    f"acknowledged")
                    continue
                matches = [i for i in allowed if sent[i] == got[:2]]
                if not matches:
                    self.assertTrue(acked == 0 and base is not None and got == base,
                                    f"{where}: {key} has flags {got[0]}, {len(got[1])} bytes, "
                                    f"which is neither its last acknowledged set (of "
                                    f"{acked}/{len(sent)}), a later one, nor its old value")
                    continue
                for i in matches:
                    if (key, i) in writer.cas:
                        self.assertEqual(got[2], writer.cas[(key, i)],
                                         f"{where}: {key}: cas unique changed by the restart")
            stats = stats_of(d)
            self.assertEqual(int(stats["curr_items"]), len(found),
                             f"{where}: values other than the ones sent appeared")
            self.assertGreater(int(stats["persist_replayed_records"]), 0, where)
            for v in found.values():
                max_cas = max(max_cas, v[2])
            with Client(d) as c:
                self.assertEqual(c.set("probe", b"after round %d" % rnd), b"STORED")
                probe = c.getns("probe")
            self.assertGreater(probe[2], max_cas,
                               f"{where}: a set after the restart reuses a cas unique")
            max_cas = probe[2]
            found["probe"] = probe
            known = found

    def test_kill9_fsync_always(self):
        self.run_policy("always")

    def test_kill9_fsync_everysec(self):
        self.run_policy("everysec")


# --- 2-5. damage to the journal ----------------------------------------------------------------

class JournalDamageTest(TempDirTest):
    def write_keys(self, d, count, prefix="j"):
        """Sets `prefix k<i>` for i < count one by one; returns {key: (flags, data, cas)}."""
        out = {}
        with Client(d) as c:
            for i in range(count):
                key = f"{prefix} k{i}"
                data = b"value-%d-" % i + b"x" * (i * 7 % 90) + b"!"
                self.assertEqual(c.set(key, data, flags=i), b"STORED")
                out[key] = c.getns(key)
        return out

    def test_torn_tail_is_cut_with_one_log_line(self):
        d = self.daemon("--fsync", "always")
        before = self.write_keys(d, 10)
        with Client(d) as c:
            self.assertEqual(c.set("j last", b"old value!", flags=1), b"STORED")
            old = c.getns("j last")
            self.assertEqual(c.set("j last", b"new value!", flags=2), b"STORED")
        d.kill9()
        [seg] = segments(self.data)
        last_frame, length = frames(seg)[-1]
        end = last_nonzero(seg)
        self.assertEqual(end, last_frame + 8 + length - 1, "the last record ends the file")
        patch(seg, end - 3, b"\0" * 4)  # the record's last 4 bytes: incomplete

        d2 = self.daemon("--fsync", "always")
        err = d2.stderr()
        torn = [line for line in err.splitlines() if "torn tail" in line]
        self.assertEqual(len(torn), 1, err)
        self.assertIn(os.path.basename(seg), torn[0])
        self.assertIn(f"offset {last_frame}", torn[0])
        self.assertEqual(read_all(d2, list(before)), before)
        self.assertEqual(getns_of(d2, "j last"), old, "the torn set must not be loaded")
        self.assertLess(last_nonzero(seg), last_frame, "the torn bytes were not zeroed")
        # Appending after the repair, then a crash: a clean journal with both.
        with Client(d2) as c:
            self.assertEqual(c.set("j after", b"appended", flags=3), b"STORED")
            after = c.getns("j after")
        d2.kill9()
        d3 = self.daemon("--fsync", "always")
        self.assertNotIn("torn tail", d3.stderr())
        self.assertEqual(read_all(d3, list(before) + ["j last", "j after"]),
                         dict(before, **{"j last": old, "j after": after}))

    def damage_mid_journal(self):
        """20 keys, one record each; flips a byte in the 11th record's body. Returns (keys
        before, keys after, the segment, the damaged frame's offset, highest cas)."""
        d = self.daemon("--fsync", "always")
        written = self.write_keys(d, 20)
        self.assertEqual(d.terminate(), 0)
        [seg] = segments(self.data)
        fs = frames(seg)
        self.assertEqual(len(fs), 20)
        at, length = fs[10]
        with open(seg, "rb") as f:
            f.seek(at + 8 + length // 2)
            byte = f.read(1)
        patch(seg, at + 8 + length // 2, bytes([byte[0] ^ 0x5A]))
        keys = list(written)
        return ({k: written[k] for k in keys[:10]}, keys[10:], seg, at,
                max(v[2] for v in written.values()))

    def test_flipped_byte_mid_journal_refuses_to_start(self):
        kept, _, seg, at, _ = self.damage_mid_journal()
        code, err, took, opened = start_failing(["--data-dir", self.data])
        self.assertEqual(code, EX_DATAERR, err)
        self.assertLess(took, 5.0)
        self.assertFalse(opened, "the port opened on a damaged journal")
        self.assertIn(seg, err)
        self.assertIn(f"offset {at}", err)
        self.assertEqual(glob.glob(os.path.join(self.data, "*.dropped")), [])

    def test_truncate_corrupt_journal_keeps_records_before_damage(self):
        kept, dropped, seg, at, _ = self.damage_mid_journal()
        d = self.daemon("--truncate-corrupt-journal")
        err = d.stderr()
        self.assertIn("cut there on purpose", err)
        self.assertIn(f"offset {at}", err)
        self.assertEqual(read_all(d, list(kept) + dropped), kept)
        self.assertEqual(glob.glob(os.path.join(self.data, "*.dropped")), [seg + ".dropped"])
        # The cut is on disk: a plain restart is clean.
        d.kill9()
        d2 = self.daemon()
        self.assertEqual(read_all(d2, list(kept) + dropped), kept)

    def test_truncate_corrupt_journal_never_reuses_a_cas_unique(self):
        """persistence.md 4.4: "cas uniques are never handed out twice". The records after the
        damage held uniques a client may still have (from gets); a cas with one of them must
        not match a value stored after the cut."""
        kept, dropped, _, _, highest = self.damage_mid_journal()
        d = self.daemon("--truncate-corrupt-journal")
        with Client(d) as c:
            self.assertEqual(c.set("j new", b"after the cut"), b"STORED")
            got = c.getns("j new")
        self.assertGreater(got[2], highest,
                           "a unique handed out before the cut is handed out again")

    def test_foreign_file_and_leftover_temp_segment_are_ignored(self):
        d = self.daemon()
        written = self.write_keys(d, 3)
        self.assertEqual(d.terminate(), 0)
        with open(os.path.join(self.data, "notes.txt"), "w") as f:
            f.write("operator notes\n")
        tmp = os.path.join(self.data, "journal-0000000000000100.seg.tmp")
        with open(tmp, "wb") as f:
            f.write(b"garbage of an interrupted cut")
        d2 = self.daemon()
        self.assertEqual(read_all(d2, list(written)), written)
        self.assertTrue(os.path.exists(os.path.join(self.data, "notes.txt")))
        self.assertFalse(os.path.exists(tmp), "the writer removes a cut's temp file")

    def test_empty_file_named_like_a_segment_is_refused(self):
        d = self.daemon()
        self.write_keys(d, 3)
        self.assertEqual(d.terminate(), 0)
        empty = os.path.join(self.data, "journal-00000000000000ff.seg")
        open(empty, "wb").close()
        code, err, took, opened = start_failing(["--data-dir", self.data])
        self.assertEqual(code, EX_DATAERR, err)
        self.assertLess(took, 5.0)
        self.assertFalse(opened)
        self.assertIn(empty, err)

    def test_empty_file_as_the_only_segment_is_refused(self):
        os.mkdir(self.data)
        empty = os.path.join(self.data, "journal-00000000000000ff.seg")
        open(empty, "wb").close()
        code, err, _, opened = start_failing(["--data-dir", self.data])
        self.assertEqual(code, EX_DATAERR, err)
        self.assertFalse(opened)
        self.assertIn(empty, err)


class MissingSegmentTest(unittest.TestCase):
    """Three segments, made once (~140 MB of 500 KB values, -I 1m), copied for each test."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="nestcache-dur-seg-")
        cls.data = os.path.join(cls.tmp, "data")
        # No automatic snapshot: past 64 MiB one would take the first segments away, which are
        # what these tests remove by hand.
        d = DurableDaemon(["--data-dir", cls.data, "--fsync", "no", "-I", "1m", "-m", "64",
                           "--snapshot-min-journal-mb", "0"])
        ok = False
        try:
            d.start()
            rng = random.Random(7)
            cls.first = {}
            started = time.monotonic()
            with Client(d, timeout=60) as c:
                i = 0
                while len(segments(cls.data)) < 3:
                    if time.monotonic() - started > 60:
                        raise AssertionError("3 segments take over 60 s")
                    key = f"big k{i % 8}"
                    data = rng.randbytes(500 * 1024)
                    reply = c.set(key, data, flags=i)
                    if reply != b"STORED":
                        raise AssertionError(f"set {key}: {reply!r}")
                    if len(segments(cls.data)) == 1:
                        cls.first[key] = (i, data)
                    i += 1
                # A few small keys in the third segment.
                for k in range(5):
                    if c.set(f"small k{k}", b"tail %d" % k) != b"STORED":
                        raise AssertionError("set small")
            cls.build_seconds = time.monotonic() - started
            if d.terminate() != 0:
                raise AssertionError("SIGTERM did not exit 0: " + d.stderr())
            ok = True
        finally:
            d.cleanup()
            if not ok:
                shutil.rmtree(cls.tmp, ignore_errors=True)
        cls.names = segments(cls.data)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="nestcache-dur-copy-")
        self.copy = os.path.join(self.dir, "data")
        shutil.copytree(self.data, self.copy)
        self.segs = segments(self.copy)
        self.assertEqual(len(self.segs), 3)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_intact_journal_of_three_segments_loads(self):
        d = DurableDaemon(["--data-dir", self.copy, "-I", "1m"])
        try:
            d.start()
            stats = stats_of(d)
            self.assertEqual(stats["persist_segments"], "3")
            with Client(d) as c:
                self.assertEqual(c.getns("small k4")[1], b"tail 4")
        finally:
            d.cleanup()

    def test_missing_middle_segment_refuses_to_start(self):
        os.unlink(self.segs[1])
        code, err, took, opened = start_failing(["--data-dir", self.copy, "-I", "1m"])
        self.assertEqual(code, EX_DATAERR, err)
        self.assertLess(took, 10.0)
        self.assertFalse(opened)
        # Found where the continuity breaks: the segment after the gap is named, at offset 0,
        # with the revision the journal ends at before the gap (the missing file's name - 1).
        self.assertIn(self.segs[2] + " offset 0", err)
        self.assertIn("missing segment", err)
        missing_first = int(os.path.basename(self.segs[1])[8:24], 16)
        self.assertIn(f"ends at {missing_first - 1};", err)

    def test_missing_middle_segment_with_truncate_keeps_the_first(self):
        os.unlink(self.segs[1])
        d = DurableDaemon(["--data-dir", self.copy, "-I", "1m", "--truncate-corrupt-journal"])
        try:
            d.start()
            self.assertIn("cut there on purpose", d.stderr())
            keys = [f"big k{i}" for i in range(8)] + [f"small k{i}" for i in range(5)]
            found = read_all(d, keys)
            self.assertEqual({k: v[:2] for k, v in found.items()}, self.first)
            self.assertEqual(glob.glob(os.path.join(self.copy, "*.dropped")),
                             [self.segs[2] + ".dropped"])
        finally:
            d.cleanup()

    def test_missing_first_segment_refuses_to_start(self):
        """The second segment's header says revisions came before it (previous last revision >
        0) and no snapshot covers them: loading it alone would silently serve a tree without
        the first segment's changes."""
        os.unlink(self.segs[0])
        code, err, took, opened = start_failing(["--data-dir", self.copy, "-I", "1m"])
        self.assertEqual(code, EX_DATAERR,
                         f"started without the first segment (stderr {err!r})")
        self.assertFalse(opened, "the port opened without the first segment")
        # Says where and from which revision on: the second segment follows revision
        # (its name - 1), which nothing on disk covers.
        self.assertIn(self.copy, err)
        self.assertIn(str(int(os.path.basename(self.segs[1])[8:24], 16) - 1), err)


# --- 6-9. options and lifecycle ----------------------------------------------------------------

class SnapshotTest(TempDirTest):
    def wait_for_snapshots(self, d, count, timeout=20.0):
        deadline = time.monotonic() + timeout
        while int(stats_of(d)["persist_snapshots"]) < count:
            self.assertLess(time.monotonic(), deadline, "the snapshot was not taken")
            time.sleep(0.05)

    def test_kill_9_after_a_snapshot_loses_nothing(self):
        """`snapshot` writes the tree beside the journal and drops the segments it covers; a kill -9
        afterwards restarts from the snapshot and the journal after it, values, flags and cas
        intact."""
        d = self.daemon("--fsync", "always")
        keys = [f"s k{i}" for i in range(300)]
        with Client(d) as c:
            for i, key in enumerate(keys):
                self.assertEqual(c.set(key, b"before %d" % i, flags=i), b"STORED")
            c.send(b"snapshot\r\n")
            self.assertEqual(c.line(), b"OK")
        self.wait_for_snapshots(d, 1)
        with Client(d) as c:
            for i, key in enumerate(keys[:100]):
                self.assertEqual(c.set(key, b"after %d" % i, flags=i + 1000), b"STORED")
            c.send(b"delete s k299\r\n")
            self.assertEqual(c.line(), b"DELETED")
        expected = read_all(d, keys)
        self.assertEqual(len(expected), 299)
        names = os.listdir(self.data)
        self.assertEqual(len([n for n in names if n.endswith(".snap")]), 1, names)
        self.assertEqual(len([n for n in names if n.endswith(".seg")]), 1, names)
        d.kill9()
        d2 = self.daemon()
        self.assertEqual(read_all(d2, keys), expected)
        stats = stats_of(d2)
        self.assertGreaterEqual(int(stats["persist_replayed_records"]), 299)
        self.assertGreater(int(stats["persist_last_snapshot_bytes"]), 0)

    def test_journal_growth_takes_a_snapshot_by_itself(self):
        """--snapshot-min-journal-mb 1: past a megabyte of journal a snapshot is taken without
        being asked, and the journal before it goes."""
        d = self.daemon("--snapshot-min-journal-mb", "1")
        value = b"v" * 2000
        with Client(d) as c:
            for i in range(1200):  # about 2.4 MB of records
                self.assertEqual(c.set(f"g k{i % 50}", value), b"STORED")
        self.wait_for_snapshots(d, 1)
        d.kill9()
        d2 = self.daemon()
        got = read_all(d2, [f"g k{i}" for i in range(50)])
        self.assertEqual(len(got), 50)
        self.assertTrue(all(v[1] == value for v in got.values()))


class LifecycleTest(TempDirTest):
    def test_data_dir_below_a_regular_file(self):
        regular = os.path.join(self.tmp, "file")
        with open(regular, "w") as f:
            f.write("not a directory\n")
        path = os.path.join(regular, "data")
        code, err, took, opened = start_failing(["--data-dir", path])
        self.assertEqual(code, EX_IOERR, err)
        self.assertLess(took, 5.0)
        self.assertFalse(opened)
        self.assertIn(path, err)
        self.assertIn("Not a directory", err)

    def test_data_dir_whose_parent_is_missing_is_made(self):
        """The data directory is made with its parents (as etcd does), and used."""
        path = os.path.join(self.tmp, "missing", "data")
        d = self.daemon(data_dir=path)
        with Client(d) as c:
            self.assertEqual(c.set("config a", b"1"), b"STORED")
        self.assertTrue(any(n.endswith(".seg") for n in os.listdir(path)))

    def test_persist_journals_only_the_named_namespace(self):
        d = self.daemon("--persist", "config", "--fsync", "always")
        with Client(d) as c:
            writes = [("config db host", b"db1"), ("config db port", b"5432"),
                      ("config name", b"svc"), ("cache page 1", b"<html>"),
                      ("cache page 2", b"<body>"), ("cache", b"top"), ("other", b"flat")]
            for key, data in writes:
                self.assertEqual(c.set(key, data), b"STORED")
            self.assertEqual(c.set("config name", b"svc2"), b"STORED")
            c.send(b"delete cache page 1\r\n")
            self.assertEqual(c.line(), b"DELETED")
            stats = c.stats()
            self.assertEqual(stats["persist_records"], "4")
            self.assertEqual(stats["persist_namespaces"], "config")
            config = {k: c.getns(k) for k in ("config db host", "config db port", "config name")}
        d.kill9()
        d2 = self.daemon("--persist", "config")
        keys = [k for k, _ in writes]
        self.assertEqual(read_all(d2, keys), config)
        stats = stats_of(d2)
        self.assertEqual(stats["curr_items"], "3")
        self.assertEqual(stats["persist_replayed_records"], "4")

    def test_sigterm_with_fsync_no_keeps_everything_acknowledged(self):
        d = self.daemon("--fsync", "no")
        rng = random.Random(3)
        keys = [f"s{i % 7} k{i}" for i in range(300)] + [f"flat{i}" for i in range(100)]
        with Client(d) as c:
            c.send(b"".join(set_request(k, rng.randbytes(rng.randint(0, 3000)),
                                        rng.getrandbits(32)) for k in keys))
            for k in keys:
                self.assertEqual(c.line(), b"STORED", k)
        written = read_all(d, keys)
        self.assertEqual(len(written), len(keys))
        self.assertEqual(d.terminate(), 0, d.stderr())
        d2 = self.daemon("--fsync", "no")
        self.assertEqual(read_all(d2, keys), written)

    def test_expiry_stays_absolute_across_restarts(self):
        d = self.daemon("--fsync", "always")
        set_at = time.time()
        with Client(d) as c:
            self.assertEqual(c.set("e short", b"soon gone", exptime=4), b"STORED")
            self.assertEqual(c.set("e long", b"stays", exptime=100), b"STORED")
            self.assertEqual(c.set("eflat", b"stays too", exptime=100), b"STORED")
            long_ = c.getns("e long")
        d.kill9()
        # At once: the short one is still there (the restart does not drop expiring values).
        d2 = self.daemon("--fsync", "always")
        self.assertLess(time.time() - set_at, 3.0, "restart too slow for this check")
        self.assertIsNotNone(getns_of(d2, "e short"))
        self.assertEqual(d2.terminate(), 0)
        # Restarted after its deadline, which passed while no daemon ran: gone.
        time.sleep(max(0.0, set_at + 5.2 - time.time()))
        d3 = self.daemon("--fsync", "always")
        with Client(d3) as c:
            self.assertIsNone(c.getns("e short"))
            self.assertEqual(c.getns("e long"), long_)
            c.send(b"gets eflat\r\n")  # the flat key through gets as well
            self.assertEqual(c.value()[1], b"stays too")


# --- 10. full disk -----------------------------------------------------------------------------

class FullDiskTest(unittest.TestCase):
    """A tmpfs of a given size; skipped when this process may not mount one."""

    def setUp(self):
        self.mnt = tempfile.mkdtemp(prefix="nestcache-dur-tmpfs-")
        self.mounted = False
        self.daemons = []

    def mount(self, size):
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                                 self.mnt], capture_output=True, timeout=20)
        if result.returncode != 0:
            self.skipTest(f"cannot mount a tmpfs: {result.stderr.decode().strip()}")
        self.mounted = True

    def tearDown(self):
        for d in self.daemons:
            d.cleanup()
        if self.mounted:
            subprocess.run(["umount", self.mnt], timeout=20, check=False)
        shutil.rmtree(self.mnt, ignore_errors=True)

    def test_no_room_for_the_first_segment_refuses_to_start(self):
        """The first 64 MiB segment is preallocated when the journal is opened, before the port
        opens (journal_writer.cc, JournalWriter::open -> cut): on a 4 MiB disk the daemon exits
        74 (EX_IOERR: the disk failed, the data is fine) naming the segment and the full disk."""
        self.mount("4m")
        data = os.path.join(self.mnt, "data")
        code, err, took, opened = start_failing(["--data-dir", data])
        self.assertEqual(code, EX_IOERR, err)
        self.assertLess(took, 5.0)
        self.assertFalse(opened)
        self.assertIn(os.path.join(data, "journal-0000000000000001.seg"), err)
        self.assertIn("out of disk space", err)
        self.assertEqual(os.listdir(data), [], "a partial segment was left behind")

    def test_full_disk_refuses_writes_then_recovers(self):
        """Room for one segment only (a filler file takes the rest): when the segment is full the
        next one cannot be cut, so writes answer SERVER_ERROR out of disk space while reads go
        on; removing the filler lets writes in again; nothing acknowledged is lost."""
        self.mount("136m")
        filler = os.path.join(self.mnt, "filler")
        with open(filler, "wb") as f:
            os.posix_fallocate(f.fileno(), 0, 68 * 1024 * 1024)
        data = os.path.join(self.mnt, "data")
        # No automatic snapshot: it would write a file and drop the full segment, freeing the room
        # whose lack is the test.
        d = DurableDaemon(["--data-dir", data, "--fsync", "always", "-I", "1m", "-m", "64",
                           "--snapshot-min-journal-mb", "0"])
        self.daemons.append(d)
        d.start()
        rng = random.Random(11)
        stored = {}
        refused = 0
        with Client(d, timeout=30) as c:
            for i in range(400):
                key = f"fill k{i % 16}"
                value = rng.randbytes(256 * 1024)
                reply = c.set(key, value, flags=i)
                if reply == b"STORED":
                    self.assertEqual(refused, 0, "a write was accepted after a refusal")
                    stored[key] = (i, value)
                else:
                    self.assertEqual(reply, b"SERVER_ERROR out of disk space")
                    refused += 1
                    if refused >= 3:
                        break
            self.assertEqual(refused, 3, "the disk never filled")
            self.assertGreater(len(stored), 0)
            got = c.getns("fill k0")
            self.assertIsNotNone(got, "reads must go on while the disk is full")
            stats = c.stats()
            self.assertEqual(stats["persist_disk_full"], "1")
            self.assertGreaterEqual(int(stats["persist_refused_writes"]), 3)
            # Asked again after the retry interval (100 ms), the disk is still full.
            time.sleep(0.3)
            self.assertEqual(c.set("fill k0", rng.randbytes(256 * 1024)),
                             b"SERVER_ERROR out of disk space")
            # Room again: a write that needs the next segment is accepted soon.
            os.unlink(filler)
            deadline = time.monotonic() + 5
            while True:
                value = rng.randbytes(256 * 1024)
                reply = c.set("fill k1", value, flags=7)
                if reply == b"STORED":
                    stored["fill k1"] = (7, value)
                    break
                self.assertEqual(reply, b"SERVER_ERROR out of disk space")
                self.assertLess(time.monotonic(), deadline, "writes stay refused after room")
                time.sleep(0.05)
            self.assertEqual(c.set("fill small", b"room again"), b"STORED")
            self.assertEqual(c.stats()["persist_disk_full"], "0")
        err = d.stderr()
        self.assertIn("out of disk space", err)
        self.assertIn("writes are accepted", err)
        self.assertEqual(len(segments(data)), 2)
        d.kill9()
        d2 = DurableDaemon(["--data-dir", data, "-I", "1m", "-m", "64"])
        self.daemons.append(d2)
        d2.start()
        found = read_all(d2, list(stored) + ["fill small"])
        for key, (flags, value) in stored.items():
            self.assertEqual(found[key][:2], (flags, value), key)
        self.assertEqual(found["fill small"][1], b"room again")


if __name__ == "__main__":
    unittest.main()
