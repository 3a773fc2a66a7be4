"""A tiny synchronous ZooKeeper wire-protocol (Jute) client for what kazoo 2.11 cannot do:
malformed input, closing a TCP connection without closeSession, reattaching a session,
and opcodes kazoo 2.11 does not expose (createContainer 19, createTTL 21, addWatch 106,
checkWatches 17, removeWatches 18, getEphemerals 103, getAllChildrenNumber 104,
whoAmI 107, multiRead 22).

Framing: int32 big-endian length + payload, both ways.
"""

import socket
import struct
import time
from collections import namedtuple

# opcodes
CREATE, DELETE, EXISTS, GET_DATA, SET_DATA, GET_ACL, SET_ACL, GET_CHILDREN = 1, 2, 3, 4, 5, 6, 7, 8
SYNC, PING, GET_CHILDREN2, CHECK, MULTI, CREATE2 = 9, 11, 12, 13, 14, 15
CHECK_WATCHES, REMOVE_WATCHES, CREATE_CONTAINER, CREATE_TTL, MULTI_READ = 17, 18, 19, 21, 22
AUTH, SET_WATCHES, GET_EPHEMERALS, GET_ALL_CHILDREN_NUMBER, SET_WATCHES2 = 100, 101, 103, 104, 105
ADD_WATCH, WHO_AM_I, CLOSE_SESSION = 106, 107, -11

# create flags (CreateMode)
PERSISTENT, EPHEMERAL, PERSISTENT_SEQUENTIAL, EPHEMERAL_SEQUENTIAL = 0, 1, 2, 3
CONTAINER, PERSISTENT_WITH_TTL, PERSISTENT_SEQUENTIAL_WITH_TTL = 4, 5, 6

# error codes
OK, RUNTIME_INCONSISTENCY, MARSHALLING_ERROR, UNIMPLEMENTED, BAD_ARGUMENTS = 0, -2, -5, -6, -8
NO_NODE, NO_AUTH, BAD_VERSION, NO_CHILDREN_FOR_EPHEMERALS = -101, -102, -103, -108
NODE_EXISTS, NOT_EMPTY, SESSION_EXPIRED, INVALID_ACL, NO_WATCHER = -110, -111, -112, -114, -121

# watch modes / watcher types / event types
ADD_WATCH_PERSISTENT, ADD_WATCH_PERSISTENT_RECURSIVE = 0, 1
WATCHER_CHILDREN, WATCHER_DATA, WATCHER_ANY, WATCHER_PERSISTENT, WATCHER_PERSISTENT_RECURSIVE = 1, 2, 3, 4, 5
EV_NODE_CREATED, EV_NODE_DELETED, EV_NODE_DATA_CHANGED, EV_NODE_CHILDREN_CHANGED = 1, 2, 3, 4

OPEN_ACL_UNSAFE = [(31, "world", "anyone")]

Stat = namedtuple("Stat", "czxid mzxid ctime mtime version cversion aversion ephemeralOwner "
                          "dataLength numChildren pzxid")
Event = namedtuple("Event", "type state path zxid")
Reply = namedtuple("Reply", "xid zxid err body")


class ConnectionClosed(Exception):
    pass


# ----------------------------------------------------------------- encoding
def i32(v):
    return struct.pack(">i", v)


def i64(v):
    return struct.pack(">q", v)


def boolean(v):
    return b"\x01" if v else b"\x00"


def ustring(s):
    if s is None:
        return i32(-1)
    b = s.encode("utf-8") if isinstance(s, str) else s
    return i32(len(b)) + b


buffer = ustring


def acl_vector(acls):
    out = i32(len(acls))
    for perms, scheme, ident in acls:
        out += i32(perms) + ustring(scheme) + ustring(ident)
    return out


def string_vector(items):
    return i32(len(items)) + b"".join(ustring(s) for s in items)


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def i32(self):
        (v,) = struct.unpack_from(">i", self.data, self.pos)
        self.pos += 4
        return v

    def i64(self):
        (v,) = struct.unpack_from(">q", self.data, self.pos)
        self.pos += 8
        return v

    def boolean(self):
        v = self.data[self.pos]
        self.pos += 1
        return v != 0

    def buffer(self):
        n = self.i32()
        if n < 0:
            return None
        v = self.data[self.pos:self.pos + n]
        self.pos += n
        return v

    def ustring(self):
        b = self.buffer()
        return None if b is None else b.decode("utf-8")

    def stat(self):
        return Stat(*struct.unpack_from(">qqqqiiiqiiq", self.data, self._adv(68)))

    def string_vector(self):
        n = self.i32()
        return None if n < 0 else [self.ustring() for _ in range(n)]

    def _adv(self, n):
        p = self.pos
        self.pos += n
        return p

    @property
    def remaining(self):
        return len(self.data) - self.pos


# ------------------------------------------------------------ request bodies
def create_body(path, data=b"", acl=OPEN_ACL_UNSAFE, flags=PERSISTENT):
    return ustring(path) + buffer(data) + acl_vector(acl) + i32(flags)


def create_ttl_body(path, data=b"", acl=OPEN_ACL_UNSAFE, flags=PERSISTENT_WITH_TTL, ttl=1000):
    return ustring(path) + buffer(data) + acl_vector(acl) + i32(flags) + i64(ttl)


def path_watch_body(path, watch=False):
    return ustring(path) + boolean(watch)


def delete_body(path, version=-1):
    return ustring(path) + i32(version)


def set_data_body(path, data, version=-1):
    return ustring(path) + buffer(data) + i32(version)


def multi_body(ops):
    """MultiOperationRecord: [(opcode, body)] -> MultiHeader{type, done=false, err=-1} + body ...
    terminated by MultiHeader{-1, true, -1}."""
    out = b""
    for op, body in ops:
        out += i32(op) + boolean(False) + i32(-1) + body
    return out + i32(-1) + boolean(True) + i32(-1)


def parse_multi_response(body, ops):
    """-> list of (type, err, decoded) per sub-result. Decoding by the request's opcode."""
    r = Reader(body)
    out = []
    i = 0
    while True:
        typ, done, err = r.i32(), r.boolean(), r.i32()
        if done:
            break
        req_op = ops[i][0] if i < len(ops) else None
        i += 1
        if typ == -1:
            out.append((typ, r.i32(), None))
        elif typ in (CREATE,):
            out.append((typ, err, r.ustring()))
        elif typ in (CREATE2, CREATE_CONTAINER, CREATE_TTL):
            out.append((typ, err, (r.ustring(), r.stat())))
        elif typ == SET_DATA:
            out.append((typ, err, r.stat()))
        elif typ == GET_DATA:
            out.append((typ, err, (r.buffer(), r.stat())))
        elif typ == GET_CHILDREN:
            out.append((typ, err, r.string_vector()))
        else:  # delete, check: no body
            out.append((typ, err, None))
        del req_op
    return out


# ------------------------------------------------------------------- client
class RawClient:
    """One TCP connection. call() returns Reply and queues any watch events seen."""

    def __init__(self, host, port, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.io_timeout = timeout
        self.xid = 0
        self.events = []
        self.session_id = None
        self.passwd = None
        self.negotiated_timeout = None
        self.read_only = None
        self.last_zxid = 0  # highest zxid seen in a reply header (for reconnect / setWatches)

    # -- raw bytes
    def send_raw(self, data):
        self.sock.sendall(data)

    def send_frame(self, payload):
        # A server that refuses the frame may close (RST) while we are still sending it.
        try:
            self.sock.sendall(i32(len(payload)) + payload)
        except (ConnectionResetError, BrokenPipeError) as e:
            raise ConnectionClosed("connection closed while sending: %s" % e)

    def _recv_exact(self, n, deadline):
        chunks, got = [], 0
        while got < n:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("timed out reading %d bytes" % n)
            self.sock.settimeout(remaining)
            try:
                c = self.sock.recv(n - got)
            except ConnectionResetError as e:
                raise ConnectionClosed("connection reset") from e
            if not c:
                raise ConnectionClosed("EOF after %d/%d bytes" % (got, n))
            chunks.append(c)
            got += len(c)
        return b"".join(chunks)

    def recv_frame(self, timeout=None):
        deadline = time.monotonic() + (self.io_timeout if timeout is None else timeout)
        (n,) = struct.unpack(">i", self._recv_exact(4, deadline))
        return self._recv_exact(n, deadline)

    def wait_closed(self, timeout=10.0):
        """True if the server closes the connection (EOF/RST) within timeout; data is discarded."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                c = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not c:
                return True
        return False

    # -- session
    def connect(self, timeout_ms=10000, session_id=0, passwd=b"\x00" * 16, last_zxid=0, read_only=False):
        req = i32(0) + i64(last_zxid) + i32(timeout_ms) + i64(session_id) + buffer(passwd) + boolean(read_only)
        self.send_frame(req)
        r = Reader(self.recv_frame())
        proto = r.i32()
        self.negotiated_timeout = r.i32()
        self.session_id = r.i64()
        self.passwd = r.buffer()
        self.read_only = r.boolean() if r.remaining else None
        return proto

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def close_session(self):
        rep = self.call(CLOSE_SESSION, b"")
        self.close()
        return rep

    # -- requests
    def next_xid(self):
        self.xid += 1
        return self.xid

    def call(self, op, body=b"", xid=None, timeout=None):
        if xid is None:
            xid = self.next_xid()
        self.send_frame(i32(xid) + i32(op) + body)
        return self.read_reply(xid, timeout)

    def read_reply(self, xid, timeout=None):
        deadline = time.monotonic() + (self.io_timeout if timeout is None else timeout)
        while True:
            frame = self.recv_frame(max(0.01, deadline - time.monotonic()))
            r = Reader(frame)
            rxid, zxid, err = r.i32(), r.i64(), r.i32()
            if zxid > self.last_zxid:
                self.last_zxid = zxid
            if rxid == -1:
                self.events.append(Event(r.i32(), r.i32(), r.ustring(), zxid))
                continue
            if rxid == -2 and xid != -2:  # stray ping reply
                continue
            if rxid != xid:
                raise AssertionError("xid out of order: expected %d got %d" % (xid, rxid))
            return Reply(rxid, zxid, err, frame[16:])

    def ping(self):
        self.send_frame(i32(-2) + i32(PING))
        return self.read_reply(-2)

    def wait_event(self, timeout=5.0):
        """Next watch event (from the queue or the socket); None on timeout."""
        if self.events:
            return self.events.pop(0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                frame = self.recv_frame(max(0.01, deadline - time.monotonic()))
            except socket.timeout:
                return None
            r = Reader(frame)
            rxid, zxid, _err = r.i32(), r.i64(), r.i32()
            if rxid == -1:
                return Event(r.i32(), r.i32(), r.ustring(), zxid)
        return None

    def drain_events(self, quiet=0.5):
        """All events that arrive until `quiet` seconds pass without one."""
        out = list(self.events)
        self.events.clear()
        while True:
            ev = self.wait_event(quiet)
            if ev is None:
                return out
            out.append(ev)

    # -- convenience wrappers (return (err, decoded))
    def create(self, path, data=b"", flags=PERSISTENT, acl=OPEN_ACL_UNSAFE):
        rep = self.call(CREATE, create_body(path, data, acl, flags))
        return rep.err, (Reader(rep.body).ustring() if rep.err == 0 else None)

    def create2(self, op, body):
        rep = self.call(op, body)
        if rep.err != 0:
            return rep.err, None, None
        r = Reader(rep.body)
        return rep.err, r.ustring(), r.stat()

    def exists(self, path, watch=False):
        rep = self.call(EXISTS, path_watch_body(path, watch))
        return rep.err, (Reader(rep.body).stat() if rep.err == 0 else None)

    def get_data(self, path, watch=False):
        rep = self.call(GET_DATA, path_watch_body(path, watch))
        if rep.err != 0:
            return rep.err, None, None
        r = Reader(rep.body)
        return rep.err, r.buffer(), r.stat()

    def set_data(self, path, data, version=-1):
        rep = self.call(SET_DATA, set_data_body(path, data, version))
        return rep.err, (Reader(rep.body).stat() if rep.err == 0 else None)

    def delete(self, path, version=-1):
        return self.call(DELETE, delete_body(path, version)).err

    def get_children(self, path, watch=False):
        rep = self.call(GET_CHILDREN, path_watch_body(path, watch))
        return rep.err, (Reader(rep.body).string_vector() if rep.err == 0 else None)

    def add_watch(self, path, mode):
        rep = self.call(ADD_WATCH, ustring(path) + i32(mode))
        return rep.err, rep.body

    def remove_watches(self, path, wtype):
        return self.call(REMOVE_WATCHES, ustring(path) + i32(wtype)).err

    def check_watches(self, path, wtype):
        return self.call(CHECK_WATCHES, ustring(path) + i32(wtype)).err

    def get_ephemerals(self, prefix="/"):
        rep = self.call(GET_EPHEMERALS, ustring(prefix))
        return rep.err, (Reader(rep.body).string_vector() if rep.err == 0 else None)

    def get_all_children_number(self, path):
        rep = self.call(GET_ALL_CHILDREN_NUMBER, ustring(path))
        return rep.err, (Reader(rep.body).i32() if rep.err == 0 else None)

    def who_am_i(self):
        rep = self.call(WHO_AM_I, b"")
        if rep.err != 0:
            return rep.err, None
        r = Reader(rep.body)
        n = r.i32()
        return rep.err, [(r.ustring(), r.ustring()) for _ in range(n)]

    def multi(self, ops, op=MULTI):
        rep = self.call(op, multi_body(ops))
        return rep.err, (parse_multi_response(rep.body, ops) if rep.err == 0 else None), rep.zxid

    def set_watches(self, relative_zxid, data=(), exist=(), child=()):
        """SetWatches (op 101, xid -8)."""
        body = i64(relative_zxid) + string_vector(list(data)) + string_vector(list(exist)) + string_vector(list(child))
        return self.call(SET_WATCHES, body, xid=-8).err

    def set_watches2(self, relative_zxid, data=(), exist=(), child=(), persistent=(), recursive=()):
        """SetWatches2 (op 105, xid -8): adds persistent and persistent-recursive watch lists."""
        body = (i64(relative_zxid) + string_vector(list(data)) + string_vector(list(exist))
                + string_vector(list(child)) + string_vector(list(persistent)) + string_vector(list(recursive)))
        return self.call(SET_WATCHES2, body, xid=-8).err

    def add_auth(self, scheme, auth):
        self.send_frame(i32(-4) + i32(AUTH) + i32(0) + ustring(scheme) + buffer(auth))
        return self.read_reply(-4).err


def connect(hosts_or_port, timeout_ms=10000, **kw):
    if isinstance(hosts_or_port, int):
        host, port = "127.0.0.1", hosts_or_port
    else:
        host, port = hosts_or_port.split(",")[0].rsplit(":", 1)
        port = int(port)
    c = RawClient(host, port)
    c.connect(timeout_ms=timeout_ms, **kw)
    return c
