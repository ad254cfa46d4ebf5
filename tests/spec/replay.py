#!/usr/bin/python3
"""Replays proto-spec transcripts against a live nestcached, one fresh daemon per file.

    /usr/bin/python3 tests/spec/replay.py proto-spec/transcripts            # every *.txt in a dir
    /usr/bin/python3 tests/spec/replay.py --split 1 proto-spec/transcripts/cas.txt

The transcript format is specified in proto-spec/protocol.md, section "Transcripts":

    # args: --compat          daemon arguments (only before the first directive); ${datadir}
                              there is a fresh directory, removed after the replay
    >>> TEXT                  send TEXT + "\\r\\n"
    >>>| ESCAPED              send the bytes of a Python-escaped string, nothing appended
    <<< TEXT                  expect exactly TEXT + "\\r\\n" next
    <<<| ESCAPED              expect exactly these bytes next
    <<<~ REGEX                expect one line (without its "\\r\\n") fully matching REGEX;
                              named groups (?P<name>...) bind ${name}
    <<<+ REGEX                expect one or more such lines (greedy)
    ... sleep SECONDS         pause
    === closed                expect the server to close the connection now
    === reconnect             check the connection is quiet, close it, open a new one
    ${name}                   in >>> and <<< TEXT lines: the value bound by a <<<~ group

Consecutive >>> lines go out in one write (pipelining); the <<< lines that follow are read and
compared as they arrive; before a reconnect and at the end the runner checks that nothing more
arrives within 200 ms. Replays run in parallel (-j), each on its own daemon and port.

With --split N every file is replayed a second time (on a fresh daemon) with each write chopped
into N-byte sends. Without --split, sleep-free files that send little are replayed again with
1-byte sends, which keeps the fragmentation check cheap.

Importable: replay_file(path, daemon_binary=None, split=None) -> (ok, message).
Standard library only.
"""

import argparse
import concurrent.futures
import contextlib
import os
import tempfile
import shutil
import re
import shlex
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "support"))
import nestcached  # noqa: E402  (tests/support/nestcached.py)
from byte_files import txt_files, unescape as unescape_bytes  # noqa: E402

READ_TIMEOUT = 3.0       # seconds to wait for an expected reply
QUIET_WINDOW = 0.2       # nothing more may arrive within this window at the end
MAX_LINE = 1 << 20       # a <<<~ line longer than this is a failure, not a hang
AUTO_SPLIT_MAX_BYTES = 4096  # default run: 1-byte re-send of sleep-free files up to this size

VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class TranscriptSyntaxError(Exception):
    pass


class Mismatch(Exception):
    pass


# ---------------------------------------------------------------------------------------------
# Parsing

class Step:
    """One directive of a transcript. kind: send, expect, regex, repeat, sleep, closed, reconnect.

    For send/expect, `raw` tells whether `data` is literal bytes (the | forms) or text that may
    hold ${name} references (resolved at run time)."""

    def __init__(self, lineno, kind, data=None, raw=False, source=""):
        self.lineno = lineno
        self.kind = kind
        self.data = data
        self.raw = raw
        self.source = source


def unescape(text):
    return unescape_bytes(text, TranscriptSyntaxError)


def _operand(line, marker):
    rest = line[len(marker):]
    if rest == "":
        return ""
    if rest[0] != " ":
        return None
    return rest[1:]


def parse_transcript(text):
    """-> (daemon_args, [Step]). Raises TranscriptSyntaxError."""
    args = []
    steps = []
    seen_directive = False
    for lineno, line in enumerate(text.split("\n"), 1):
        if line.endswith("\r"):
            line = line[:-1]
        if line.strip() == "":
            continue
        if line.startswith("#"):
            body = line[1:].strip()
            if body.startswith("args:"):
                if seen_directive:
                    raise TranscriptSyntaxError(f"line {lineno}: '# args:' after the first directive")
                args += shlex.split(body[len("args:"):])
            continue
        seen_directive = True
        step = None
        for marker, kind, raw in ((">>>|", "send", True), (">>>", "send", False),
                                  ("<<<|", "expect", True), ("<<<~", "regex", False),
                                  ("<<<+", "repeat", False), ("<<<", "expect", False)):
            if line.startswith(marker):
                operand = _operand(line, marker)
                if operand is None:
                    continue
                if kind in ("regex", "repeat"):
                    if operand == "":
                        raise TranscriptSyntaxError(f"line {lineno}: empty regex")
                    data = operand
                elif raw:
                    data = unescape(operand)
                else:
                    data = operand + "\r\n"
                step = Step(lineno, kind, data, raw, line)
                break
        if step is None:
            if line.startswith("... sleep"):
                try:
                    seconds = float(line[len("... sleep"):].strip())
                except ValueError:
                    raise TranscriptSyntaxError(f"line {lineno}: bad sleep: {line!r}") from None
                step = Step(lineno, "sleep", seconds, source=line)
            elif line.strip() == "=== closed":
                step = Step(lineno, "closed", source=line)
            elif line.strip() == "=== reconnect":
                step = Step(lineno, "reconnect", source=line)
            else:
                raise TranscriptSyntaxError(f"line {lineno}: unknown directive: {line!r}")
        steps.append(step)
    return args, steps


def _substitute(text, variables, lineno, for_regex=False):
    def value(match):
        name = match.group(1)
        if name not in variables:
            raise Mismatch(f"line {lineno}: ${{{name}}} is not bound by an earlier <<<~ line")
        return re.escape(variables[name]) if for_regex else variables[name]
    return VAR_RE.sub(value, text)


def _resolve(step, variables):
    if step.raw:
        return step.data
    return _substitute(step.data, variables, step.lineno).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# The connection

class Connection:
    """A client socket with a read-ahead buffer; knows whether the peer has gone away."""

    def __init__(self, daemon, split):
        self.sock = daemon.connect()
        self.split = split
        self.buf = b""
        self.eof = False
        self.reset = False

    def close(self):
        with contextlib.suppress(OSError):
            self.sock.close()

    def send(self, data):
        try:
            if self.split:
                for i in range(0, len(data), self.split):
                    self.sock.sendall(data[i:i + self.split])
            else:
                self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            self.reset = True  # the peer closed; a later "=== closed" may expect exactly this

    def _recv(self, deadline):
        """Appends what arrives before `deadline` to buf; False on timeout or EOF."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            self.eof = self.reset = True
            return False
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def read_exact(self, expected, timeout=READ_TIMEOUT):
        """Reads len(expected) bytes, giving up early at the first differing byte.
        Returns the bytes read (shorter than expected on timeout, EOF or a mismatch)."""
        deadline = time.monotonic() + timeout
        while len(self.buf) < len(expected):
            if not expected.startswith(self.buf):
                break
            if not self._recv(deadline):
                break
        if not expected.startswith(self.buf[:len(expected)]):
            # Collect a little more, so the report shows what the server meant to say.
            grace = time.monotonic() + 0.1
            while len(self.buf) < len(expected) + 200 and self._recv(grace):
                pass
            got = self.buf[:len(expected) + 200]
            self.buf = b""
            return got
        got = self.buf[:len(expected)]
        self.buf = self.buf[len(expected):]
        return got

    def read_line(self, timeout=READ_TIMEOUT):
        """Returns one line including its "\\r\\n", or what arrived before timeout/EOF."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf and len(self.buf) < MAX_LINE:
            if not self._recv(deadline):
                break
        end = self.buf.find(b"\r\n")
        if end < 0:
            got, self.buf = self.buf, b""
            return got
        got = self.buf[:end + 2]
        self.buf = self.buf[end + 2:]
        return got

    def peek_line(self, timeout=READ_TIMEOUT):
        line = self.read_line(timeout)
        self.buf = line + self.buf
        return line

    def quiet(self, window=QUIET_WINDOW):
        """Returns the bytes that arrive within `window` (b"" when the line is quiet)."""
        deadline = time.monotonic() + window
        while self._recv(deadline):
            pass
        got, self.buf = self.buf, b""
        return got

    def closed(self, timeout=READ_TIMEOUT):
        """(True, b"") if the server closes without sending more; else (False, extra bytes)."""
        deadline = time.monotonic() + timeout
        while not self.eof and self._recv(deadline):
            pass
        got, self.buf = self.buf, b""
        return (self.eof and not got), got


# ---------------------------------------------------------------------------------------------
# Running

def _show(data, limit=600):
    text = repr(bytes(data))
    return text if len(text) <= limit else text[:limit] + f"... ({len(data)} bytes)"


def _group_mismatch(lines, got):
    """lines: [(Step, bytes)] concatenated as expected; returns a report of the first difference."""
    expected = b"".join(b for _, b in lines)
    offset = 0
    for step, data in lines:
        part = got[offset:offset + len(data)]
        if part != data:
            where = f"line {step.lineno}: {step.source}"
            after = got[offset:offset + len(data) + 80]
            stopped = len(got) < len(expected) and expected.startswith(got)
            return (f"{where}\n"
                    f"    expected: {_show(data)}\n"
                    f"    got:      {_show(after)}"
                    f"{'  (then nothing: timeout or connection closed)' if stopped else ''}\n"
                    f"  whole reply group:\n"
                    f"    expected: {_show(expected)}\n"
                    f"    got:      {_show(got)}")
        offset += len(data)
    return None


def _run_steps(daemon, steps, split):
    variables = {}
    conn = Connection(daemon, split)
    try:
        i = 0
        while i < len(steps):
            step = steps[i]
            if step.kind == "send":
                data = b""
                while i < len(steps) and steps[i].kind == "send":
                    data += _resolve(steps[i], variables)
                    i += 1
                conn.send(data)
                continue
            if step.kind == "expect":
                lines = []
                while i < len(steps) and steps[i].kind == "expect":
                    lines.append((steps[i], _resolve(steps[i], variables)))
                    i += 1
                expected = b"".join(b for _, b in lines)
                got = conn.read_exact(expected)
                if got != expected:
                    raise Mismatch(_group_mismatch(lines, got))
                continue
            if step.kind in ("regex", "repeat"):
                pattern = _substitute(step.data, variables, step.lineno, for_regex=True)
                try:
                    regex = re.compile(pattern.encode("utf-8"), re.DOTALL)
                except re.error as e:
                    raise Mismatch(f"line {step.lineno}: bad regex: {e}") from None
                count = 0
                while True:
                    line = conn.peek_line() if count else conn.read_line()
                    match = regex.fullmatch(line[:-2]) if line.endswith(b"\r\n") else None
                    if match is None:
                        if count:
                            break  # the line stays buffered for the next directive
                        raise Mismatch(f"line {step.lineno}: {step.source}\n"
                                       f"    expected a line matching: {pattern!r}\n"
                                       f"    got:      {_show(line + conn.quiet(0.1))}")
                    if count:
                        conn.read_line()
                    for name, value in match.groupdict().items():
                        if value is not None:
                            variables[name] = value.decode("utf-8", "surrogateescape")
                    count += 1
                    if step.kind == "regex":
                        break
                i += 1
                continue
            if step.kind == "sleep":
                time.sleep(step.data)
            elif step.kind == "closed":
                ok, extra = conn.closed()
                if not ok:
                    what = f"got {_show(extra)}" if extra else "the connection stayed open"
                    raise Mismatch(f"line {step.lineno}: {step.source}\n"
                                   f"    expected the server to close the connection; {what}")
            elif step.kind == "reconnect":
                extra = conn.quiet()
                if extra:
                    raise Mismatch(f"line {step.lineno}: {step.source}\n"
                                   f"    unexpected bytes before reconnecting: {_show(extra)}")
                conn.close()
                conn = Connection(daemon, split)
            i += 1
        if not conn.eof:
            extra = conn.quiet()
            if extra:
                raise Mismatch(f"end of file\n    unexpected bytes after the last reply: {_show(extra)}")
    finally:
        conn.close()


@contextlib.contextmanager
def _binary_override(path):
    if path is None:
        yield
        return
    old = os.environ.get("NESTCACHED")
    os.environ["NESTCACHED"] = path
    try:
        yield
    finally:
        if old is None:
            del os.environ["NESTCACHED"]
        else:
            os.environ["NESTCACHED"] = old


def replay_file(path, daemon_binary=None, split=None):
    """Replays one transcript on a fresh daemon. Returns (ok, message); message is "" on success
    and a readable expected/got report (with transcript line numbers) on failure.

    daemon_binary overrides $NESTCACHED for this call (by setting the variable while the daemon
    starts, so concurrent callers should pass None and set $NESTCACHED once). split=N chops every
    write into N-byte sends."""
    try:
        with open(path, encoding="utf-8") as f:
            args, steps = parse_transcript(f.read())
    except (OSError, TranscriptSyntaxError) as e:
        return False, f"{path}: cannot use transcript: {e}"
    data_dir = None
    if any("${datadir}" in arg for arg in args):
        data_dir = tempfile.mkdtemp(prefix="nestcache-spec-")
        args = [arg.replace("${datadir}", data_dir) for arg in args]
    with _binary_override(daemon_binary):
        daemon = nestcached.Daemon(args)
        try:
            daemon.start()
        except RuntimeError as e:
            if data_dir:
                shutil.rmtree(data_dir, ignore_errors=True)
            return False, f"{path}: {e}"
    try:
        try:
            _run_steps(daemon, steps, split)
        except (Mismatch, OSError) as e:
            what = str(e) if isinstance(e, Mismatch) else f"socket error: {e!r}"
            code = daemon.proc.poll()
            if code is not None:
                what += f"\n  (the daemon exited with status {code})"
            return False, f"{path}{' (split ' + str(split) + ')' if split else ''}: {what}"
        code = daemon.proc.poll()
        if code is not None:
            return False, f"{path}: the daemon exited with status {code} during the replay"
        return True, ""
    finally:
        daemon.stop()
        if data_dir:
            shutil.rmtree(data_dir, ignore_errors=True)


def transcript_stats(path):
    """(bytes sent, has sleep) for choosing the default fragmentation re-runs."""
    with open(path, encoding="utf-8") as f:
        _, steps = parse_transcript(f.read())
    sent = sum(len(s.data) for s in steps if s.kind == "send")
    return sent, any(s.kind == "sleep" for s in steps)



def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="transcript files or directories of *.txt")
    parser.add_argument("--split", type=int, metavar="N",
                        help="also replay every file with its writes chopped into N-byte sends")
    parser.add_argument("--binary", help="nestcached to run (default: $NESTCACHED or build/nestcached)")
    parser.add_argument("-j", "--jobs", type=int, default=4,
                        help="replays run at once, each on its own daemon (default 4)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print failures and the summary only")
    opts = parser.parse_args(argv)
    if opts.split is not None and opts.split < 1:
        parser.error("--split needs N >= 1")
    if opts.binary:
        os.environ["NESTCACHED"] = opts.binary  # set once, before any worker starts

    runs = []
    for path in txt_files(opts.paths):
        runs.append((path, None))
        if opts.split:
            runs.append((path, opts.split))
        else:
            try:
                sent, sleeps = transcript_stats(path)
            except (OSError, TranscriptSyntaxError):
                continue  # reported by the plain run
            if not sleeps and sent <= AUTO_SPLIT_MAX_BYTES:
                runs.append((path, 1))

    def timed(run):
        t0 = time.monotonic()
        ok, message = replay_file(run[0], None, run[1])
        return ok, message, time.monotonic() - t0

    passed = failed = 0
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        # Results are printed in file order, whatever order they finish in.
        for (path, split), (ok, message, seconds) in zip(runs, pool.map(timed, runs)):
            label = path + (f" [split {split}]" if split else "")
            if ok:
                passed += 1
                if not opts.quiet:
                    print(f"ok    {label} ({seconds:.2f}s)")
            else:
                failed += 1
                print(f"FAIL  {label}\n  {message}\n")
            sys.stdout.flush()
    if not opts.quiet:
        print(f"({len(runs)} replays in {time.monotonic() - started:.1f}s)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed or not runs else 0


if __name__ == "__main__":
    sys.exit(main())
