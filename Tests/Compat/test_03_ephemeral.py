"""Ephemeral nodes: lifetime bound to the session; no children; getEphemerals."""

import pytest
from kazoo.exceptions import NoChildrenForEphemeralsError

import rawzk
from util import wait_until


def test_ephemeral_removed_on_close(server, make_client, zk, root):
    owner = make_client(server)
    p = root + "/eph"
    owner.create(p, b"mine", ephemeral=True)
    st = zk.exists(p)
    assert st.ephemeralOwner == owner.client_id[0]
    assert st.ephemeralOwner != 0
    owner.stop()  # closeSession: ephemerals go in the same txn, before the reply
    assert zk.exists(p) is None


def test_ephemeral_cannot_have_children(zk, root):
    p = root + "/eph"
    zk.create(p, ephemeral=True)
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(p + "/child")
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(p + "/seq-", sequence=True)


@pytest.mark.timeout(40)
def test_ephemeral_removed_on_session_expiry(server, zk, root):
    """Raw session with the minimum timeout; drop TCP without closeSession; the server expires it."""
    raw = rawzk.connect(server.client_port, timeout_ms=1000)
    assert raw.negotiated_timeout == 1000
    p = root + "/expiring"
    err, path = raw.create(p, b"x", flags=rawzk.EPHEMERAL)
    assert (err, path) == (0, p)
    assert zk.exists(p).ephemeralOwner == raw.session_id
    raw.close()  # no closeSession
    wait_until(lambda: zk.exists(p) is None, timeout=15, msg="ephemeral removed after expiry")

    # the expired session cannot be resumed: ConnectResponse timeOut=0, sessionId=0
    again = rawzk.RawClient("127.0.0.1", server.client_port)
    again.connect(timeout_ms=1000, session_id=raw.session_id, passwd=raw.passwd)
    assert (again.negotiated_timeout, again.session_id) == (0, 0)
    assert again.wait_closed(5), "server closes the connection after refusing an expired session"


def test_session_timeout_clamped(server):
    lo = rawzk.connect(server.client_port, timeout_ms=10)
    hi = rawzk.connect(server.client_port, timeout_ms=10_000_000)
    try:
        assert lo.negotiated_timeout == 1000  # minSessionTimeout
        assert hi.negotiated_timeout == 30000  # maxSessionTimeout
        assert len(lo.passwd) == 16
        assert lo.session_id != hi.session_id
        assert lo.session_id >> 56 == 1, "high byte of the session id is the server id (myid=1)"
    finally:
        lo.close_session()
        hi.close_session()


def test_get_ephemerals_raw(server, zk, root):
    """getEphemerals (op 103; kazoo 2.11 has no API for it): the caller's own ephemerals by prefix."""
    raw = rawzk.connect(server.client_port)
    try:
        for n in ("a1", "a2", "b1"):
            assert raw.create("%s/%s" % (root, n), flags=rawzk.EPHEMERAL)[0] == 0
        zk.create(root + "/not-mine", ephemeral=True)
        err, lst = raw.get_ephemerals(root + "/a")
        assert err == 0 and sorted(lst) == [root + "/a1", root + "/a2"]
        err, lst = raw.get_ephemerals(root)
        assert err == 0 and sorted(lst) == [root + "/a1", root + "/a2", root + "/b1"]
        err, lst = raw.get_ephemerals("/")
        assert err == 0 and sorted(lst) == [root + "/a1", root + "/a2", root + "/b1"]
    finally:
        raw.close_session()
    assert zk.get_children(root) == ["not-mine"]
