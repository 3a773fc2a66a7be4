"""Session reattach ("move" on one member), TTL nodes (createTTL, op 21) and container nodes
(createContainer, op 19). kazoo 2.11 has neither TTL nor container support, so raw frames.

ZooKeeper 3.8 facts: TTL and container nodes report ephemeralOwner=0 to clients
(DataTree.getClientEphemeralOwner hides the internal marker); createContainer (op 19) makes a
container whatever its flags field says; a plain create/create2 with flags=4 (CONTAINER) is
accepted but makes an ordinary PERSISTENT node (never reaped); TTL needs
extendedTypesEnabled. Both are reaped by ContainerManager every znode.container.checkIntervalMs
(1000 ms here); a container that never had a child is never reaped (maxNeverUsedIntervalMs=0).
"""

import pytest

import rawzk
from util import wait_until


def test_session_reattach_closes_old_connection(server, zk, root):
    a = rawzk.connect(server.client_port, timeout_ms=10000)
    assert a.create(root + "/owned", flags=rawzk.EPHEMERAL) == (0, root + "/owned")
    b = rawzk.RawClient("127.0.0.1", server.client_port)
    b.connect(timeout_ms=10000, session_id=a.session_id, passwd=a.passwd, last_zxid=a.last_zxid)
    try:
        assert (b.session_id, b.negotiated_timeout, b.passwd) == (a.session_id, 10000, a.passwd)
        assert a.wait_closed(5), "the session's previous connection is closed by the server"
        err, lst = b.get_ephemerals(root)
        assert (err, lst) == (0, [root + "/owned"])
        assert zk.exists(root + "/owned").ephemeralOwner == a.session_id
    finally:
        b.close_session()
        a.close()
    assert zk.exists(root + "/owned") is None


def test_session_reattach_wrong_password(server):
    a = rawzk.connect(server.client_port, timeout_ms=10000)
    bad = rawzk.RawClient("127.0.0.1", server.client_port)
    bad.connect(timeout_ms=10000, session_id=a.session_id, passwd=bytes(16) if a.passwd != bytes(16) else b"\x01" * 16)
    assert (bad.negotiated_timeout, bad.session_id) == (0, 0)
    assert bad.passwd == bytes(16) or bad.passwd in (b"", None)
    assert bad.wait_closed(5)
    bad.close()
    # the session itself is still valid with the right password
    good = rawzk.RawClient("127.0.0.1", server.client_port)
    good.connect(timeout_ms=10000, session_id=a.session_id, passwd=a.passwd)
    assert good.session_id == a.session_id
    good.close_session()
    a.close()


def test_unknown_session_id(server):
    c = rawzk.RawClient("127.0.0.1", server.client_port)
    c.connect(timeout_ms=10000, session_id=0x0100000000abcdef, passwd=b"\x07" * 16)
    assert (c.negotiated_timeout, c.session_id) == (0, 0)
    assert c.wait_closed(5)


@pytest.mark.timeout(40)
def test_ttl_node_expires(server, zk, root):
    raw = rawzk.connect(server.client_port, timeout_ms=30000)  # outlives the polling
    try:
        p = root + "/ttl"
        err, path, st = raw.create2(rawzk.CREATE_TTL, rawzk.create_ttl_body(p, b"t", ttl=1000))
        assert (err, path) == (0, p)
        assert st.ephemeralOwner == 0 and st.dataLength == 1 and st.czxid == st.mzxid
        assert zk.exists(p).ephemeralOwner == 0
        # sequential TTL
        err, spath, _ = raw.create2(rawzk.CREATE_TTL, rawzk.create_ttl_body(
            root + "/sttl-", flags=rawzk.PERSISTENT_SEQUENTIAL_WITH_TTL, ttl=1000))
        assert (err, spath) == (0, root + "/sttl-0000000001")
        # a TTL node with a child is kept while the child exists
        kept = root + "/ttl-parent"
        assert raw.create2(rawzk.CREATE_TTL, rawzk.create_ttl_body(kept, ttl=1000))[0] == 0
        zk.create(kept + "/child")
        # a long TTL is not reaped
        assert raw.create2(rawzk.CREATE_TTL, rawzk.create_ttl_body(root + "/long", ttl=3600_000))[0] == 0
        wait_until(lambda: zk.exists(p) is None and zk.exists(spath) is None, timeout=20,
                   msg="TTL nodes reaped")
        assert zk.exists(kept) is not None
        assert zk.exists(root + "/long") is not None
        zk.delete(kept + "/child")
        wait_until(lambda: zk.exists(kept) is None, timeout=20, msg="TTL parent reaped after last child")
        assert zk.exists(root + "/long") is not None
    finally:
        raw.close_session()


def test_ttl_invalid(server, root):
    raw = rawzk.connect(server.client_port, timeout_ms=30000)  # outlives the polling
    try:
        for ttl in (0, -1, 1 << 40, 1 << 41):
            assert raw.create2(rawzk.CREATE_TTL, rawzk.create_ttl_body(root + "/bad", ttl=ttl))[0] == \
                rawzk.BAD_ARGUMENTS, ttl
        for flags in (rawzk.PERSISTENT, rawzk.EPHEMERAL, rawzk.CONTAINER):
            assert raw.create2(rawzk.CREATE_TTL, rawzk.create_ttl_body(root + "/bad", flags=flags, ttl=1000))[0] \
                == rawzk.BAD_ARGUMENTS, flags
        assert raw.create(root + "/bad", flags=rawzk.PERSISTENT_WITH_TTL) == (rawzk.BAD_ARGUMENTS, None)
        # the largest TTL (2^40 - 1 ms) is accepted
        assert raw.create2(rawzk.CREATE_TTL, rawzk.create_ttl_body(root + "/max", ttl=(1 << 40) - 1))[0] == 0
    finally:
        raw.close_session()


@pytest.mark.timeout(40)
def test_container_removed_after_last_child(server, zk, root):
    raw = rawzk.connect(server.client_port, timeout_ms=30000)  # outlives the polling
    try:
        c = root + "/cont"
        err, path, st = raw.create2(rawzk.CREATE_CONTAINER, rawzk.create_body(c, b"c", flags=rawzk.CONTAINER))
        assert (err, path) == (0, c)
        assert st.ephemeralOwner == 0
        never_used = root + "/never-used"
        assert raw.create2(rawzk.CREATE_CONTAINER, rawzk.create_body(never_used, flags=rawzk.CONTAINER))[0] == 0
        # createContainer ignores the flags field; plain create with flags=4 is NOT a container
        c2 = root + "/cont-flags0"
        assert raw.create2(rawzk.CREATE_CONTAINER, rawzk.create_body(c2, flags=rawzk.PERSISTENT))[0] == 0
        c3 = root + "/flags4-via-create"
        assert raw.create(c3, flags=rawzk.CONTAINER) == (0, c3)
        c3b = root + "/flags4-via-create2"
        assert raw.create2(rawzk.CREATE2, rawzk.create_body(c3b, flags=rawzk.CONTAINER))[0] == 0
        for node in (c, c2, c3, c3b):
            zk.create(node + "/a")
            zk.create(node + "/b")
        zk.delete(c + "/a")
        # still has a child: not reaped
        zk.delete(c2 + "/a")
        zk.delete(c2 + "/b")
        for node in (c3, c3b):
            zk.delete(node + "/a")
            zk.delete(node + "/b")
        wait_until(lambda: zk.exists(c2) is None, timeout=20, msg="container reaped")
        assert zk.exists(c) is not None and zk.get_children(c) == ["b"]
        zk.delete(c + "/b")
        wait_until(lambda: zk.exists(c) is None, timeout=20, msg="container reaped after last child")
        assert zk.exists(never_used) is not None, "a container that never had children is kept"
        assert zk.exists(c3) is not None and zk.exists(c3b) is not None, "flags=4 via create is persistent"
        # a container can hold an ephemeral child; the session end makes it reapable
        c4 = root + "/cont-eph"
        assert raw.create2(rawzk.CREATE_CONTAINER, rawzk.create_body(c4, flags=rawzk.CONTAINER))[0] == 0
        assert raw.create(c4 + "/e", flags=rawzk.EPHEMERAL) == (0, c4 + "/e")
    finally:
        raw.close_session()  # removes c4/e -> c4 becomes reapable
    wait_until(lambda: zk.exists(root + "/cont-eph") is None, timeout=20, msg="container reaped after ephemeral child")
