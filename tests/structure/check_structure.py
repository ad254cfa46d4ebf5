#!/usr/bin/python3
"""Checks the shape of the code that the compiler does not: the layers and the file sizes.

    /usr/bin/python3 tests/structure/check_structure.py        # from the project root

1. Layering. A module may include the public headers (include/nestcache/<module>/) of the
   modules below it only, so that the request path reads one way: socket -> server -> session
   -> protocol -> engine -> (watch ->) tree. `ALLOWED` below is the whole rule.
2. Size. No file under src/ has more than 500 lines (STYLE.md: small files with one job).

Exit status 0 when both hold; otherwise every breach is printed, one per line.
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_LINES = 500

# module -> the modules whose public headers it may include (itself always).
ALLOWED = {
    "common": set(),
    "protocol": {"common"},
    "tree": {"common"},
    "stats": {"common"},
    "config": {"common"},
    "persistence": {"common"},
    "watch": {"common", "tree"},
    "engine": {"common", "protocol", "tree", "stats", "watch"},
    "session": {"common", "protocol", "tree", "stats", "engine", "watch"},
    "durability": {"common", "protocol", "tree", "stats", "engine", "persistence"},
    "server": {"common", "protocol", "tree", "stats", "engine", "session", "config",
               "durability", "watch"},
    # The client side speaks the protocol over TCP and sees nothing of the server.
    "client": set(),
    "cli": {"client"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"nestcache/([a-z_]+)/')


def module_of(path):
    """The module a source or header belongs to, or None (main.cc and the like see all)."""
    parts = os.path.relpath(path, ROOT).split(os.sep)
    if parts[0] == "include" and len(parts) > 2:
        return parts[2]
    if parts[0] == "src" and len(parts) > 2:
        return parts[1]
    return None


def sources():
    for top in ("include", "src"):
        for folder, _, names in os.walk(os.path.join(ROOT, top)):
            for name in sorted(names):
                if name.endswith((".h", ".cc")):
                    yield os.path.join(folder, name)


def main():
    breaches = []
    for path in sources():
        shown = os.path.relpath(path, ROOT)
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        module = module_of(path)
        if module is not None:
            if module not in ALLOWED:
                breaches.append(f"{shown}: module '{module}' has no place in ALLOWED")
            else:
                for number, line in enumerate(lines, 1):
                    m = INCLUDE.match(line)
                    if m and m.group(1) != module and m.group(1) not in ALLOWED[module]:
                        breaches.append(f"{shown}:{number}: {module} includes {m.group(1)}")
        if shown.startswith("src" + os.sep) and len(lines) > MAX_LINES:
            breaches.append(f"{shown}: {len(lines)} lines (at most {MAX_LINES})")
    for breach in breaches:
        print(breach)
    print(f"check_structure: {len(breaches)} breach(es)")
    return 1 if breaches else 0


if __name__ == "__main__":
    sys.exit(main())
