"""Malformed or hostile input on the client port. After each case a fresh kazoo client must
still work (the `healthy` check)."""

import socket
import struct

import pytest
from kazoo.exceptions import BadArgumentsError, NoNodeError

import rawzk


def _send_and_expect_close(port, data, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        s.settimeout(timeout)
        try:
            got = s.recv(4096)
        except ConnectionResetError:
            got = b""
        assert got == b"", "server answered %r instead of closing" % got[:64]
    finally:
        s.close()


@pytest.mark.parametrize("data", [
    pytest.param(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", id="http-garbage"),
    pytest.param(b"\xde\xad\xbe\xef" * 256, id="binary-garbage"),
    pytest.param(struct.pack(">i", 0x7FFFFFFF) + b"\x00" * 16, id="len-2GiB"),
    pytest.param(struct.pack(">i", -1), id="len-minus-1"),
    pytest.param(struct.pack(">i", -2147483648), id="len-int-min"),
    pytest.param(struct.pack(">i", 0), id="len-0"),
    pytest.param(struct.pack(">i", 8) + b"abcdefgh", id="short-connect-request"),
    pytest.param(struct.pack(">iii", 8, 1, rawzk.EXISTS), id="request-before-handshake"),
])
def test_garbage_before_handshake_closes(server, healthy, data):
    _send_and_expect_close(server.client_port, data)
    healthy()


def test_connect_with_future_zxid_is_refused(server, healthy):
    """lastZxidSeen beyond the server's zxid: ZooKeeper closes without a ConnectResponse."""
    c = rawzk.RawClient("127.0.0.1", server.client_port)
    with pytest.raises(rawzk.ConnectionClosed):
        c.connect(last_zxid=1 << 60)
    c.close()
    healthy()


def test_oversize_frame_after_handshake_closes(server, healthy):
    c = rawzk.connect(server.client_port)
    c.send_raw(struct.pack(">i", 2_000_000) + b"\x00" * 64)  # > jute.maxbuffer (1,048,575)
    assert c.wait_closed(5)
    c.close()
    c = rawzk.connect(server.client_port)
    with pytest.raises(rawzk.ConnectionClosed):
        c.set_data("/", b"x" * 1_100_000)
    c.close()
    healthy()


def test_value_just_under_maxbuffer_is_accepted(server, zk, root, healthy):
    value = b"v" * 1_040_000
    zk.create(root + "/almost-1MiB", value)
    assert zk.get(root + "/almost-1MiB")[0] == value


def test_unknown_opcode(server, healthy):
    """ZooKeeper 3.8.0 answers ReplyHeader{xid, zxid=-1, err=-6 UNIMPLEMENTED} and then closes
    the connection. Accepted here: that, or the connection closed without a reply."""
    for op in (999, 0, 10, 23, 99):
        c = rawzk.connect(server.client_port)
        try:
            xid = c.next_xid()
            c.send_frame(rawzk.i32(xid) + rawzk.i32(op))
            try:
                rep = c.read_reply(xid, timeout=5)
            except rawzk.ConnectionClosed:
                rep = None
            if rep is not None:
                assert (rep.xid, rep.err) == (xid, rawzk.UNIMPLEMENTED), "op %d" % op
                assert rep.zxid == -1
                assert c.wait_closed(5), "op %d: ZooKeeper closes after UNIMPLEMENTED" % op
        finally:
            c.close()
    healthy()


def test_known_opcodes_with_bad_bodies(server, healthy):
    c = rawzk.connect(server.client_port)
    try:
        # truncated create body -> MARSHALLINGERROR, connection stays open
        assert c.call(rawzk.CREATE, rawzk.ustring("/x")).err == rawzk.MARSHALLING_ERROR
        # server-internal opcodes from a client
        assert c.call(-10, b"").err == rawzk.MARSHALLING_ERROR  # createSession
        assert c.call(20, rawzk.delete_body("/zookeeper")).err == rawzk.BAD_ARGUMENTS  # deleteContainer
        assert c.call(rawzk.MULTI_READ, b"").err == rawzk.MARSHALLING_ERROR
        # unknown create flags
        assert c.create("/bad-flags", flags=99) == (rawzk.BAD_ARGUMENTS, None)
        # TTL mode through plain create
        assert c.create("/ttl-via-create", flags=rawzk.PERSISTENT_WITH_TTL) == (rawzk.BAD_ARGUMENTS, None)
        assert c.exists("/")[0] == 0, "connection still usable"
        # xids are not checked for uniqueness or sign
        assert c.call(rawzk.EXISTS, rawzk.path_watch_body("/"), xid=-5)[:1] == (-5,)
        assert c.call(rawzk.EXISTS, rawzk.path_watch_body("/"), xid=7).err == 0
        assert c.call(rawzk.EXISTS, rawzk.path_watch_body("/"), xid=7).err == 0
    finally:
        c.close_session()
    healthy()


@pytest.mark.parametrize("path,err", [
    ("foo", rawzk.BAD_ARGUMENTS),
    ("", rawzk.BAD_ARGUMENTS),
    ("/.", rawzk.BAD_ARGUMENTS),
    ("/x\x00y", rawzk.BAD_ARGUMENTS),
    ("/x\x01", rawzk.BAD_ARGUMENTS),
    ("/x\u007f", rawzk.BAD_ARGUMENTS),
    ("/x\ufff0", rawzk.BAD_ARGUMENTS),
    # ZooKeeper looks up the parent before validating the name: the parent of "R//b" is "R/",
    # which does not exist -> NONODE rather than BADARGUMENTS
    ("R//b", rawzk.NO_NODE),
    ("R/./b", rawzk.NO_NODE),
    ("R/", rawzk.BAD_ARGUMENTS),
    ("R/.", rawzk.BAD_ARGUMENTS),
    ("R/..", rawzk.BAD_ARGUMENTS),
])
def test_illegal_paths_raw(server, root, healthy, path, err):
    c = rawzk.connect(server.client_port)
    try:
        path = path.replace("R", root, 1) if path.startswith("R") else path
        assert c.create(path, b"x") == (err, None)
    finally:
        c.close_session()
    healthy()


def test_reserved_nodes(server, healthy):
    c = rawzk.connect(server.client_port)
    try:
        assert c.delete("/") == rawzk.BAD_ARGUMENTS
        assert c.delete("/zookeeper") == rawzk.BAD_ARGUMENTS
        assert c.delete("/zookeeper/quota") == rawzk.BAD_ARGUMENTS
        assert c.set_data("/zookeeper/config", b"x")[0] == rawzk.NO_AUTH
        err, data, st = c.get_data("/zookeeper/config")
        assert err == 0 and b"server.1=127.0.0.1:" in data and b"version=" in data
        assert (st.czxid, st.version, st.aversion) == (0, -1, -1)
        assert c.get_data("")[0] == 0, "getData(\"\") is answered as the root (no path check on reads)"
        # sync does not check that the path exists
        rep = c.call(rawzk.SYNC, rawzk.ustring("/no/such/node"))
        assert rep.err == 0 and rawzk.Reader(rep.body).ustring() == "/no/such/node"
    finally:
        c.close_session()
    healthy()


def test_illegal_paths_kazoo(zk, root, healthy):
    """kazoo validates some paths itself (ValueError) and normalises others."""
    with pytest.raises(ValueError):
        zk.create(root + "/.")
    with pytest.raises(ValueError):
        zk.create(root + "/a/../b")
    with pytest.raises(NoNodeError):
        zk.create(root + "/missing//b")
    with pytest.raises((BadArgumentsError, ValueError)):
        zk.create(root + "/x\x00y")
