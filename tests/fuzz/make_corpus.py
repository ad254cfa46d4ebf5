#!/usr/bin/python3
"""Writes the fuzzers' seed corpus: the bytes each proto-spec transcript and each compat session
sends, after a settings byte (fuzz_input.h) that matches the file's daemon arguments, once read
all at once and once a byte at a time; and the frames of each binary scenario of
tests/compat/binary_diff.py, in nested and compat mode.

    /usr/bin/python3 tests/fuzz/make_corpus.py OUTPUT_DIR
"""

import codecs
import hashlib
import os
import re
import shlex
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCES = [os.path.join(ROOT, "proto-spec", "transcripts"),
           os.path.join(ROOT, "tests", "compat", "sessions")]
MAX_SEED = 8 * 1024  # longer files are cut: the fuzzers explore small inputs faster


def sent_bytes(text):
    """(daemon args, bytes sent) of a transcript or a compat session."""
    args, data = [], b""
    for line in text.split("\n"):
        line = line.rstrip("\r")
        if line.startswith("#"):
            body = line[1:].strip()
            for key in ("args:", "nestcached-args:"):
                if body.startswith(key):
                    args += shlex.split(body[len(key):])
        elif line.startswith(">>>|"):
            data += codecs.escape_decode(line[5:].encode())[0]
        elif line == ">>>" or line.startswith(">>> "):
            data += re.sub(r"\$\{[^}]*\}", "1", line[4:]).encode() + b"\r\n"
    return args, data


def settings(args, modes):
    byte = 0
    if "--compat" in args or modes == ["compat"]:
        byte |= 1
    if "--key-separator" in args:
        byte |= 2
    if "-I" in args:
        byte |= 4
    if "--max-depth" in args:
        byte |= 8
    if "--strict-parents" in args:
        byte |= 16
    return byte


def main(out):
    os.makedirs(out, exist_ok=True)
    count = 0
    for source in SOURCES:
        for name in sorted(os.listdir(source)):
            if not name.endswith(".txt"):
                continue
            with open(os.path.join(source, name), encoding="utf-8") as f:
                text = f.read()
            args, data = sent_bytes(text)
            modes = re.search(r"^# modes:(.*)$", text, re.M)
            modes = modes.group(1).split() if modes else (["compat"] if "sessions" in source
                                                          else [])
            base = settings(args, modes)
            for chunking in (0, 1 << 5):  # all at once; a byte at a time
                seed = bytes([base | chunking]) + data[:MAX_SEED]
                digest = hashlib.sha1(seed).hexdigest()[:16]
                with open(os.path.join(out, f"{name[:-4]}-{digest}"), "wb") as f:
                    f.write(seed)
                count += 1
    sys.path.insert(0, os.path.join(ROOT, "tests", "compat"))
    import binary_diff  # noqa: E402  (its scenarios: the binary frames the real memcached saw)
    for name, steps in binary_diff.SCENARIOS.items():
        data = b"".join(step for step in steps if isinstance(step, bytes))
        for base in (0, 1):
            for chunking in (0, 1 << 5):
                seed = bytes([base | chunking]) + data[:MAX_SEED]
                digest = hashlib.sha1(seed).hexdigest()[:16]
                with open(os.path.join(out, f"binary-{name}-{digest}"), "wb") as f:
                    f.write(seed)
                count += 1
    print(f"{count} seeds in {out}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
