"""memcached's binary protocol, as a test needs it: request frames built byte by byte, replies
read back as packets. Written from memcached's doc/protocol_binary.xml (the 24-byte header,
the opcodes, the extras of each command) and nothing else; standard library only.

    frame = request(Op.SET, key=b"k", extras=set_extras(flags=5, exptime=0), value=b"v")
    with BinaryClient(port) as c:
        c.send(frame + request(Op.NOOP))
        packets = c.read_until_noop()

Used by tests/compat/binary_diff.py (the same frames to memcached 1.6.18 and nestcached) and
tests/integration/test_binary_protocol.py.
"""

import socket
import struct
import time

REQUEST_MAGIC = 0x80
RESPONSE_MAGIC = 0x81
HEADER = struct.Struct(">BBHBBHIIQ")  # magic opcode keylen extlen datatype vbucket|status
#                                        bodylen opaque cas


class Op:
    GET = 0x00
    SET = 0x01
    ADD = 0x02
    REPLACE = 0x03
    DELETE = 0x04
    INCREMENT = 0x05
    DECREMENT = 0x06
    QUIT = 0x07
    FLUSH = 0x08
    GETQ = 0x09
    NOOP = 0x0A
    VERSION = 0x0B
    GETK = 0x0C
    GETKQ = 0x0D
    APPEND = 0x0E
    PREPEND = 0x0F
    STAT = 0x10
    SETQ = 0x11
    ADDQ = 0x12
    REPLACEQ = 0x13
    DELETEQ = 0x14
    INCREMENTQ = 0x15
    DECREMENTQ = 0x16
    QUITQ = 0x17
    FLUSHQ = 0x18
    APPENDQ = 0x19
    PREPENDQ = 0x1A
    VERBOSITY = 0x1B
    TOUCH = 0x1C
    GAT = 0x1D
    GATQ = 0x1E
    SASL_LIST_MECHS = 0x20
    SASL_AUTH = 0x21
    SASL_STEP = 0x22
    GATK = 0x23
    GATKQ = 0x24


class Status:
    SUCCESS = 0x00
    KEY_ENOENT = 0x01
    KEY_EEXISTS = 0x02
    E2BIG = 0x03
    EINVAL = 0x04
    NOT_STORED = 0x05
    DELTA_BADVAL = 0x06
    AUTH_ERROR = 0x20
    UNKNOWN_COMMAND = 0x81
    ENOMEM = 0x82


def request(opcode, key=b"", extras=b"", value=b"", opaque=0, cas=0, bodylen=None,
            keylen=None, extlen=None, magic=REQUEST_MAGIC):
    """One request frame. bodylen/keylen/extlen override the lengths the header claims (for
    malformed frames); by default they are the lengths of what is given."""
    if isinstance(key, str):
        key = key.encode()
    if isinstance(value, str):
        value = value.encode()
    body = extras + key + value
    header = HEADER.pack(magic, opcode,
                         len(key) if keylen is None else keylen,
                         len(extras) if extlen is None else extlen,
                         0, 0,
                         len(body) if bodylen is None else bodylen,
                         opaque, cas)
    return header + body


def set_extras(flags=0, exptime=0):
    return struct.pack(">II", flags, exptime)


def arith_extras(delta=1, initial=0, exptime=0):
    return struct.pack(">QQI", delta, initial, exptime)


def exptime_extras(exptime):
    """touch, gat, gatq, gatk, gatkq, flush (a delay): one 32-bit time."""
    return struct.pack(">I", exptime)


class Packet:
    """One reply packet, its fields in host order."""

    __slots__ = ("magic", "opcode", "keylen", "extlen", "datatype", "status", "bodylen",
                 "opaque", "cas", "extras", "key", "value")

    def __init__(self, header, body):
        (self.magic, self.opcode, self.keylen, self.extlen, self.datatype, self.status,
         self.bodylen, self.opaque, self.cas) = HEADER.unpack(header)
        self.extras = body[:self.extlen]
        self.key = body[self.extlen:self.extlen + self.keylen]
        self.value = body[self.extlen + self.keylen:]

    @property
    def flags(self):
        return struct.unpack(">I", self.extras)[0] if len(self.extras) == 4 else None

    @property
    def number(self):
        """An incr/decr reply's new value."""
        return struct.unpack(">Q", self.value)[0]

    def fields(self, cas=None):
        """Every field as a tuple; `cas` replaces the cas unique (a normalised token)."""
        return (self.magic, self.opcode, self.keylen, self.extlen, self.datatype, self.status,
                self.bodylen, self.opaque, self.cas if cas is None else cas, self.extras,
                self.key, self.value)

    def __repr__(self):
        return (f"Packet(op=0x{self.opcode:02x} status=0x{self.status:02x} "
                f"opaque={self.opaque} cas={self.cas} extras={self.extras!r} key={self.key!r} "
                f"value={self.value[:64]!r}{'...' if len(self.value) > 64 else ''})")


def split_packets(data):
    """(packets, rest): the whole packets at the front of `data` and the bytes after them."""
    packets = []
    at = 0
    while len(data) - at >= HEADER.size:
        bodylen = struct.unpack_from(">I", data, at + 8)[0]
        end = at + HEADER.size + bodylen
        if len(data) < end:
            break
        packets.append(Packet(data[at:at + HEADER.size], data[at + HEADER.size:end]))
        at = end
    return packets, data[at:]


class BinaryClient:
    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.closed = False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            self.closed = True
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def packet(self):
        """The next reply packet (blocks)."""
        while True:
            packets, _ = split_packets(self.buf[:HEADER.size + self._claimed()])
            if packets:
                p = packets[0]
                self.buf = self.buf[HEADER.size + p.bodylen:]
                return p
            self._fill()

    def _claimed(self):
        if len(self.buf) < HEADER.size:
            return 0
        return struct.unpack_from(">I", self.buf, 8)[0]

    def call(self, opcode, **fields):
        """Sends one request and returns its reply packet."""
        self.send(request(opcode, **fields))
        return self.packet()

    def read_until_noop(self):
        """Reply packets up to and including the next NOOP reply."""
        out = []
        while True:
            p = self.packet()
            out.append(p)
            if p.opcode == Op.NOOP:
                return out

    def drain(self, quiet=0.15, first=0.5):
        """Every byte that arrives until the server has been quiet for `quiet` seconds (at least
        `first` seconds for the first byte); (bytes, closed)."""
        self.sock.settimeout(first)
        got = self.buf
        self.buf = b""
        closed = False
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(1 << 20)
            except socket.timeout:
                break
            if not chunk:
                closed = True
                break
            got += chunk
            self.sock.settimeout(quiet)
        return got, closed
