"""A small memcached meta-protocol client, written from memcached's doc/protocol.txt the way
Dalli 5 (Ruby) and meta-memcache-py use it: every command a meta command, gets pipelined with
`q`, `k` and `O` and closed with `mn`, keys that are not plain text sent in base64 (`b`).

Standard library only; one blocking socket. Used by tests/integration/test_meta_client.py.
"""

import base64
import socket


class MetaError(Exception):
    """The server answered an error line (ERROR, CLIENT_ERROR ..., SERVER_ERROR ...)."""


def _key_token(key):
    """(token, flags): a text key as it is, any other bytes in base64 with the `b` flag."""
    if isinstance(key, str):
        key = key.encode()
    if key and all(0x21 <= c <= 0x7E for c in key) and len(key) <= 250:
        return key, []
    return base64.b64encode(key), [b"b"]


class MetaClient:
    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    # ---- reading ----

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        if line == b"ERROR" or line.startswith((b"CLIENT_ERROR ", b"SERVER_ERROR ")):
            raise MetaError(line.decode(errors="replace"))
        return line

    def _block(self, size):
        while len(self.buf) < size + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:size], self.buf[size + 2:]
        return data

    def _reply(self):
        """(code, {flag letter: value text}, data or None) of one meta reply."""
        tokens = self._line().split(b" ")
        code, data = tokens[0].decode(), None
        rest = tokens[1:]
        if code == "VA":
            size = int(rest[0])
            rest = rest[1:]
            data = self._block(size)
        flags = {t[:1].decode(): t[1:].decode() for t in rest if t}
        return code, flags, data

    def _send(self, *lines):
        self.sock.sendall(b"".join(lines))

    @staticmethod
    def _command(verb, key, *flags, data=None):
        token, extra = _key_token(key)
        words = [verb, token]
        if data is not None:
            words.append(str(len(data)).encode())
        words += [f.encode() if isinstance(f, str) else f for f in flags] + extra
        line = b" ".join(words) + b"\r\n"
        return line + (data + b"\r\n" if data is not None else b"")

    # ---- the client's calls ----

    def get(self, key):
        """(value, client flags) or None: `mg <key> v f`."""
        self._send(self._command(b"mg", key, "v", "f"))
        code, flags, data = self._reply()
        if code == "EN":
            return None
        return data, int(flags["f"])

    def get_multi(self, keys):
        """{key: value} of the hits: one quiet `mg <key> v k O<i> q` per key, then `mn`; a miss
        sends nothing, so the replies are told apart by their opaque."""
        self._send(*(self._command(b"mg", key, "v", "k", f"O{i}", "q")
                     for i, key in enumerate(keys)), b"mn\r\n")
        found = {}
        while True:
            code, flags, data = self._reply()
            if code == "MN":
                return found
            assert code == "VA", code
            found[keys[int(flags["O"])]] = data

    def set(self, key, value, ttl=0, client_flags=0, cas=None, mode=None, quiet=False):
        """`ms`: True when stored (HD), False for NS / EX / NF. Quiet: nothing is read."""
        flags = [f"T{ttl}", f"F{client_flags}", "c"]
        if cas is not None:
            flags.append(f"C{cas}")
        if mode is not None:
            flags.append(f"M{mode}")
        if quiet:
            flags.append("q")
        self._send(self._command(b"ms", key, *flags, data=value))
        if quiet:
            return None
        code, returned, _ = self._reply()
        if code == "HD":
            self.last_cas = int(returned["c"])
        return code == "HD"

    def noop(self):
        """`mn`, and the replies of quiet commands sent before it (their failures)."""
        self._send(b"mn\r\n")
        replies = []
        while True:
            reply = self._reply()
            if reply[0] == "MN":
                return replies
            replies.append(reply)

    def delete(self, key):
        self._send(self._command(b"md", key))
        return self._reply()[0] == "HD"

    def incr(self, key, delta=1, initial=None, ttl=0):
        """`ma <key> v D<delta>` (with N and J: created at `initial` on a miss): the new value."""
        flags = ["v", f"D{delta}"]
        if initial is not None:
            flags += [f"N{ttl}", f"J{initial}"]
        self._send(self._command(b"ma", key, *flags))
        code, _, data = self._reply()
        return int(data) if code == "VA" else None

    def ttl(self, key):
        """The seconds left (-1: none) or None on a miss: `mg <key> t` (pymemcache 4's TTL read)."""
        self._send(self._command(b"mg", key, "t"))
        code, flags, _ = self._reply()
        return None if code == "EN" else int(flags["t"])

    def touch(self, key, ttl):
        self._send(self._command(b"mg", key, f"T{ttl}"))
        return self._reply()[0] == "HD"

    def get_or_lease(self, key, lease_ttl=30, recache_below=None):
        """Stale-while-revalidate: `mg <key> v c t N<lease> [R<s>]`. (value or None, won): the
        caller that gets `won` recomputes the value; the others use what they got."""
        flags = ["v", "c", "t", f"N{lease_ttl}"]
        if recache_below is not None:
            flags.append(f"R{recache_below}")
        self._send(self._command(b"mg", key, *flags))
        code, returned, data = self._reply()
        self.last_cas = int(returned.get("c", 0))
        won = "W" in returned
        return (data if data else None), won

    def invalidate(self, key):
        """`md <key> I T30`: the value stays, stale, for the next reader to recompute."""
        self._send(self._command(b"md", key, "I", "T30"))
        return self._reply()[0] == "HD"
