#!/usr/bin/python3
"""Differential sessions: the same bytes to a real memcached 1.6.18 and to nestcached.

    /usr/bin/python3 tests/compat/diff.py                          # every session, every mode
    /usr/bin/python3 tests/compat/diff.py --mode compat tests/compat/sessions/cas.txt
    /usr/bin/python3 tests/compat/diff.py --show tests/compat/sessions/cas.txt   # print replies

For each session file (tests/compat/sessions/*.txt) and each mode the file applies to, the runner
starts `memcached -u root -U 0 -l 127.0.0.1 -p <free port>` and nestcached (`--compat` in compat
mode, no mode flag in nested mode), sends both the identical bytes step by step, and requires the
two reply streams to be identical byte for byte after normalisation (below). Standard library only.

Session format (the transcript idea of proto-spec/protocol.md 11, without expected replies: the
reference is whatever memcached answers):

    # modes: compat nested     modes this file runs in (default: compat). "nested" only where
                               PRODUCT.md gives every command in the file memcached's meaning
    # args: -I 2k              arguments for both servers
    # memcached-args: ...      for memcached only (e.g. -o slab_chunk_max=2048 for a small -I)
    # nestcached-args: ...     for nestcached only
    # exclude: REASON          a deliberate difference: the file is not run (--all runs it) and the
                               reason is printed; proto-spec/protocol.md 10.1 documents each one
    >>> TEXT                   queue TEXT + "\\r\\n"
    >>>| ESCAPED               queue the bytes of a Python-escaped string, nothing appended
    ... sleep SECONDS          pause
    === reconnect              close both connections, open new ones
    === half-close             shut down the sending side of both connections (shutdown SHUT_WR)
    (anything else: comments, blank lines) ends the current step

A step is a run of consecutive >>> lines: its bytes go out in one write to each server, and the
runner then reads from both until each has been quiet for a moment (or has closed); before a
reconnect and at the end, a server whose replies still differ gets a few seconds more (a loaded
machine, a sanitizer build). Replies are compared as whole streams per connection, so a reply that one server sends later than the other
(memcached answers a too-large set only after the discarded data has arrived; we answer at once)
is not a difference, while any difference in bytes, order, or in whether and where the connection
is closed, is.

`${cas:KEY}` in a >>> TEXT line is replaced, for each server, by the cas unique of the last
`VALUE KEY ...` line that server sent in this session (its own number: cas uniques differ).

Normalisation, applied to reply lines only (never inside a data block, which VALUE framing skips):
`STAT <name> <value>` -> `STAT <name> <value>` with
the value replaced (names must match); every cas unique in a VALUE line -> `cas#N`, numbered per
server in order of first appearance (so "the same item's cas" and "a new cas" still compare); in
`lru_crawler metadump` lines (`key=... exp=... la=... cas=...`) are sorted (memcached lists its
LRUs' order, we list walk order), the last-access time -> `<la>` and the cas unique -> `cas#N` as
in VALUE lines (key, exp, fetch, cls and size are compared).
"""

import argparse
import concurrent.futures
import os
import re
import selectors
import shlex
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "support"))
import nestcached  # noqa: E402  (tests/support/nestcached.py)
from byte_files import txt_files, unescape as unescape_bytes  # noqa: E402
from memcached_ref import Memcached, binary as memcached_binary  # noqa: E402  (tests/support/memcached_ref.py)

SESSIONS = os.path.join(HERE, "sessions")
QUIET = 0.12         # a step's replies are complete once a server has sent nothing for this long
FIRST_BYTE = 0.5     # ... but wait at least this long for the first byte of a step's replies
FINAL_QUIET = 0.4    # at the end of a connection
MODES = ("compat", "nested")
CAS_RE = re.compile(r"\$\{cas:([^}]+)\}")
# The la= and cas= fields of `lru_crawler metadump` lines ("\n"-separated, before "END\r\n").
METADUMP_RE = re.compile(rb"((?:^|\n)key=\S* exp=-?\d+ )la=\d+ cas=(\d+)")


class SessionError(Exception):
    pass


def unescape(text):
    return unescape_bytes(text, SessionError)


class Session:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.modes = ["compat"]
        self.args, self.memcached_args, self.nestcached_args = [], [], []
        self.exclude = None
        self.steps = []  # ("send", [(lineno, bytes, is_text)]), ("sleep", s), ("reconnect", None)
        with open(path, encoding="utf-8") as f:
            self._parse(f.read())

    def _parse(self, text):
        pending = []

        def flush():
            if pending:
                self.steps.append(("send", list(pending)))
                pending.clear()

        for lineno, line in enumerate(text.split("\n"), 1):
            if line.endswith("\r"):
                line = line[:-1]
            if line.startswith(">>>|"):
                pending.append((lineno, unescape(line[5:] if line[4:5] == " " else line[4:]),
                                False))
                continue
            if line == ">>>" or line.startswith(">>> "):
                pending.append((lineno, line[4:] + "\r\n", True))
                continue
            flush()
            stripped = line.strip()
            if stripped.startswith("#"):
                body = stripped[1:].strip()
                for key in ("modes:", "args:", "memcached-args:", "nestcached-args:", "exclude:"):
                    if body.startswith(key):
                        value = body[len(key):].strip()
                        if key == "modes:":
                            self.modes = value.split()
                            bad = [m for m in self.modes if m not in MODES]
                            if bad or not self.modes:
                                raise SessionError(f"line {lineno}: unknown mode {bad}")
                        elif key == "exclude:":
                            self.exclude = value
                        else:
                            attr = key[:-1].replace("-", "_")
                            setattr(self, attr, getattr(self, attr) + shlex.split(value))
                continue
            if stripped == "":
                continue
            if stripped.startswith("... sleep"):
                try:
                    self.steps.append(("sleep", float(stripped[len("... sleep"):])))
                except ValueError:
                    raise SessionError(f"line {lineno}: bad sleep") from None
            elif stripped == "=== reconnect":
                self.steps.append(("reconnect", None))
            elif stripped == "=== half-close":
                self.steps.append(("half-close", None))
            else:
                raise SessionError(f"line {lineno}: unknown directive {line!r}")
        flush()
        if not any(kind == "send" for kind, _ in self.steps):
            raise SessionError("no >>> line")


# ---------------------------------------------------------------------------------------------
# The two servers' sides

class Peer:
    """One server's side of a session: its connection, its reply stream, its cas uniques."""

    def __init__(self, label, server):
        self.label = label
        self.server = server
        self.sock = None
        self.streams = []   # one bytearray per connection, "[closed]" appended on close
        self.marks = []     # (stream index, offset, step lineno): where each step's replies began
        self.closed = False
        self.cas = {}       # key -> cas unique (text) of the last VALUE line seen
        self._scan = 0      # how far the current stream has been scanned for VALUE lines

    def connect(self):
        if self.sock:
            self.sock.close()
        self.sock = self.server.connect()
        self.sock.setblocking(False)
        self.streams.append(bytearray())
        self.closed = False
        self._scan = 0

    def send(self, data, lineno):
        self.marks.append((len(self.streams) - 1, len(self.streams[-1]), lineno))
        if self.closed:
            return
        self.sock.setblocking(True)
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the close itself is seen (and recorded) by the read that follows
        finally:
            self.sock.setblocking(False)

    def half_close(self):
        if not self.closed:
            try:
                self.sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def on_readable(self):
        """Reads what is there; returns False once the peer has closed."""
        try:
            chunk = self.sock.recv(1 << 20)
        except BlockingIOError:
            return True
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.closed = True
            self.streams[-1] += b"[closed]"
            return False
        self.streams[-1] += chunk
        self._learn_cas()
        return True

    def _learn_cas(self):
        stream = self.streams[-1]
        while True:
            end = stream.find(b"\r\n", self._scan)
            if end < 0:
                return
            line = bytes(stream[self._scan:end])
            tokens = line.split(b" ")
            if tokens[0] == b"VALUE" and len(tokens) in (4, 5) and tokens[3].isdigit():
                size = int(tokens[3])
                if end + 2 + size + 2 > len(stream):
                    return  # the data block has not all arrived
                if len(tokens) == 5:
                    self.cas[tokens[1].decode("latin-1")] = tokens[4].decode("latin-1")
                self._scan = end + 2 + size + 2
            else:
                self._scan = end + 2

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None


def settle(peers, quiet, first_byte):
    """Reads from every open peer until each has been quiet for `quiet` seconds, having waited
    at least `first_byte` seconds for anything at all."""
    sel = selectors.DefaultSelector()
    start = time.monotonic()
    last = {}
    for p in peers:
        if not p.closed:
            sel.register(p.sock, selectors.EVENT_READ, p)
            last[p] = None
    try:
        while last:
            now = time.monotonic()
            deadlines = []
            for p, t in list(last.items()):
                deadline = (t + quiet) if t is not None else (start + first_byte)
                if now >= deadline:
                    sel.unregister(p.sock)
                    del last[p]
                else:
                    deadlines.append(deadline)
            if not last:
                break
            for key, _ in sel.select(min(deadlines) - now):
                p = key.data
                if p not in last:
                    continue
                if p.on_readable():
                    last[p] = time.monotonic()
                else:
                    sel.unregister(p.sock)
                    del last[p]
    finally:
        sel.close()


def settle_to_match(peers, timeout=3.0):
    """Settles; then, while the two reply streams differ, gives a slow server up to `timeout`
    seconds more (a loaded machine, a sanitizer build) before the difference is taken as one."""
    settle(peers, FINAL_QUIET, FINAL_QUIET)
    deadline = time.monotonic() + timeout
    while not normalised_equal(peers[0], peers[1]) and time.monotonic() < deadline:
        if all(p.closed for p in peers):
            break
        settle(peers, 0.2, 0.2)


def wait_for_cas(peers, keys, timeout=5.0):
    deadline = time.monotonic() + timeout
    while any(k not in p.cas for p in peers for k in keys):
        if time.monotonic() > deadline:
            missing = [(p.label, k) for p in peers for k in keys if k not in p.cas]
            raise SessionError(f"no cas unique seen for {missing}")
        settle(peers, QUIET, 0.05)


# ---------------------------------------------------------------------------------------------
# Normalising and comparing

class Normaliser:
    def __init__(self):
        self.cas = {}

    def _metadump(self, match):
        cas = b"cas#%d" % self.cas.setdefault(match.group(2), len(self.cas) + 1)
        return match.group(1) + b"la=<la> " + cas

    def __call__(self, stream):
        """The stream with STAT values and cas uniques replaced."""
        out = bytearray()
        i = 0
        n = len(stream)
        while i < n:
            end = stream.find(b"\r\n", i)
            if end < 0:
                out += stream[i:]
                break
            line = bytes(stream[i:end])
            i = end + 2
            tokens = line.split(b" ")
            if tokens[0] == b"VALUE" and len(tokens) in (4, 5) and tokens[3].isdigit():
                if len(tokens) == 5:
                    tokens[4] = b"cas#%d" % self.cas.setdefault(tokens[4], len(self.cas) + 1)
                out += b" ".join(tokens) + b"\r\n"
                size = int(tokens[3])
                out += stream[i:i + size]
                i += size
                continue
            if tokens[0] == b"STAT" and len(tokens) >= 3:
                line = b"STAT " + tokens[1] + b" <value>"
            elif line.startswith(b"key="):
                # One item per "\n"-ended line, in the order of memcached's LRUs or of our walk:
                # compared as a set (sorted by key, before cas uniques are numbered).
                items = line.split(b"\n")
                line = METADUMP_RE.sub(self._metadump, b"\n".join(sorted(items[:-1]) + items[-1:]))
            out += line + b"\r\n"
        return bytes(out)


def normalised_equal(reference, candidate):
    ref_norm, cand_norm = Normaliser(), Normaliser()
    return ([ref_norm(x) for x in reference.streams] ==
            [cand_norm(x) for x in candidate.streams])


def _show(data, limit=400):
    text = repr(bytes(data))
    return text if len(text) <= limit else text[:limit] + f"... ({len(data)} bytes)"


def compare(session, reference, candidate):
    """None if the normalised streams match, else a readable report."""
    ref_norm, cand_norm = Normaliser(), Normaliser()
    for index in range(max(len(reference.streams), len(candidate.streams))):
        a = ref_norm(reference.streams[index]) if index < len(reference.streams) else b""
        b = cand_norm(candidate.streams[index]) if index < len(candidate.streams) else b""
        if a == b:
            continue
        at = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
        # The step whose replies the first difference falls in (by the reference's offsets).
        lineno = None
        for stream, offset, line in reference.marks:
            if stream == index and len(Normaliser()(reference.streams[index][:offset])) <= at:
                lineno = line
        where = f"connection {index + 1}" + (f", step at line {lineno}" if lineno else "")
        return (f"{where}: the replies differ at byte {at}\n"
                f"    {reference.label:>10}: {_show(a[max(0, at - 60):at + 300])}\n"
                f"    {candidate.label:>10}: {_show(b[max(0, at - 60):at + 300])}")
    return None


def run(session, mode, nestcached_binary=None, show=False):
    """Runs one session in one mode. Returns (ok, message)."""
    memcached = Memcached(session.args + session.memcached_args)
    ours_args = (["--compat"] if mode == "compat" else []) + session.args + session.nestcached_args
    ours = nestcached.Daemon(ours_args)
    try:
        memcached.start()
        ours.start()
    except RuntimeError as e:
        memcached.stop()
        ours.stop()
        return False, str(e)
    peers = [Peer("memcached", memcached), Peer("nestcached", ours)]
    try:
        for p in peers:
            p.connect()
        for kind, value in session.steps:
            if kind == "sleep":
                time.sleep(value)
            elif kind == "reconnect":
                settle_to_match(peers)
                for p in peers:
                    p.connect()
            elif kind == "half-close":
                for p in peers:
                    p.half_close()
                settle(peers, FINAL_QUIET, FINAL_QUIET)
            else:
                keys = {k for _, data, is_text in value if is_text for k in CAS_RE.findall(data)}
                if keys:
                    wait_for_cas(peers, keys)
                for p in peers:
                    data = b""
                    for _, part, is_text in value:
                        if is_text:
                            part = CAS_RE.sub(lambda m: p.cas[m.group(1)], part).encode(
                                "utf-8", "surrogateescape")
                        data += part
                    p.send(data, value[0][0])
                settle(peers, QUIET, FIRST_BYTE)
        settle_to_match(peers)
        if show:
            for p in peers:
                for index, stream in enumerate(p.streams):
                    print(f"--- {p.label}, connection {index + 1}:")
                    print(bytes(stream).decode("latin-1"))
        report = compare(session, peers[0], peers[1])
        code = ours.proc.poll()
        if code is not None:
            report = (report or "") + f"\n  (nestcached exited with status {code})"
        return report is None, report or ""
    except (SessionError, OSError) as e:
        return False, f"{type(e).__name__}: {e}"
    finally:
        for p in peers:
            p.close()
        memcached.stop()
        ours.stop()


def collect(paths):
    return txt_files(paths or [SESSIONS])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="session files or directories (default: sessions/)")
    parser.add_argument("--mode", choices=MODES + ("all",), default="all",
                        help="run only the files' runs in this mode (default: every mode a file lists)")
    parser.add_argument("--binary", help="nestcached to run (default: $NESTCACHED or build/nestcached)")
    parser.add_argument("--all", action="store_true", help="run excluded files too")
    parser.add_argument("--show", action="store_true", help="print both reply streams")
    parser.add_argument("-j", "--jobs", type=int, default=6, help="sessions run at once (default 6)")
    opts = parser.parse_args(argv)
    if opts.binary:
        os.environ["NESTCACHED"] = opts.binary
    try:
        memcached_binary()
    except RuntimeError as e:
        print(e)
        return 1

    runs, failed, excluded = [], 0, 0
    for path in collect(opts.paths):
        try:
            session = Session(path)
        except (OSError, SessionError) as e:
            print(f"FAIL  {path}: cannot use session: {e}")
            failed += 1
            continue
        if session.exclude and not opts.all:
            print(f"skip  {session.name}: excluded: {session.exclude}")
            excluded += 1
            continue
        for mode in session.modes:
            if opts.mode in ("all", mode):
                runs.append((session, mode))

    def timed(item):
        t0 = time.monotonic()
        ok, message = run(item[0], item[1], show=opts.show)
        return ok, message, time.monotonic() - t0

    passed = 0
    started = time.monotonic()
    jobs = 1 if opts.show else max(1, opts.jobs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for (session, mode), (ok, message, seconds) in zip(runs, pool.map(timed, runs)):
            label = f"{session.name} [{mode}]"
            if ok:
                passed += 1
                print(f"ok    {label} ({seconds:.2f}s)")
            else:
                failed += 1
                print(f"FAIL  {label}\n  {message}\n")
            sys.stdout.flush()
    print(f"({len(runs)} runs in {time.monotonic() - started:.1f}s, {excluded} files excluded)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not runs else 0


if __name__ == "__main__":
    sys.exit(main())
