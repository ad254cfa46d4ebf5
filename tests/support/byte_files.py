"""What the byte-session runners share: finding session files, and reading escaped bytes.

tests/spec/replay.py (proto-spec transcripts against nestcached) and tests/compat/diff.py
(sessions against memcached and nestcached) both take files and folders of *.txt, and both write
bytes in the files as Python escapes.
"""

import codecs
import os


def txt_files(paths):
    """Each path that is a file, and the *.txt files of each folder in name order."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, n) for n in os.listdir(p) if n.endswith(".txt"))
        else:
            files.append(p)
    return files


def unescape(text, error=ValueError):
    """The bytes of a Python-escaped string (\\r \\n \\t \\\\ \\xNN \\0 ...); a bad escape raises
    `error` with what was wrong."""
    try:
        return codecs.escape_decode(text.encode("utf-8"))[0]
    except ValueError as e:
        raise error(f"bad escape sequence: {e}") from None
