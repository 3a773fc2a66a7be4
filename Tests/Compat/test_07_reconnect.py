"""Sessions survive a server restart (SIGTERM, same port and dataDir).

kazoo 2.11 fact (client side): on connection loss kazoo fires every pending watcher once with
a type NONE / state CONNECTING event and forgets it; it never sends SetWatches. So watch
re-registration after restart is tested with raw SetWatches / SetWatches2 frames.
"""

import pytest
from kazoo.protocol.states import KazooState

import rawzk
from util import Events, wait_until

FAST_RETRY = dict(max_tries=-1, delay=0.1, backoff=1.5, max_delay=0.5)


@pytest.mark.timeout(90)
def test_kazoo_session_resumes_after_restart(own_server, make_client):
    states = []
    c = make_client(own_server, timeout=20.0, connection_retry=FAST_RETRY)
    c.add_listener(states.append)
    sid, pwd = c.client_id
    c.create("/eph", b"e", ephemeral=True)
    c.create("/watched", b"v0")
    ev = Events()
    c.get("/watched", watch=ev)

    own_server.stop()  # SIGTERM: sessions are kept in the snapshot/log, not closed
    wait_until(lambda: KazooState.SUSPENDED in states, timeout=15, msg="client notices the outage")
    own_server.start()
    wait_until(lambda: c.connected and states[-1] == KazooState.CONNECTED, timeout=30,
               msg="client reconnects")
    assert KazooState.LOST not in states
    assert c.client_id == (sid, pwd), "same session after restart"

    other = make_client(own_server)
    st = other.exists("/eph")
    assert st is not None and st.ephemeralOwner == sid
    assert c.get("/eph")[0] == b"e"
    # kazoo-side behaviour, documented above
    assert [(e.type, e.state) for e in ev.session_events] == [("NONE", "CONNECTING")]
    # the session still owns its ephemeral: closing it now removes the node
    c.stop()
    assert other.exists("/eph") is None


@pytest.mark.timeout(90)
def test_raw_set_watches_after_restart(own_server, make_client):
    """Reattach the same session after a restart and re-register watches with SetWatches:
    watches whose node changed after relativeZxid fire at once; the others fire later."""
    zk = make_client(own_server, connection_retry=FAST_RETRY)
    for p in ("/a", "/b", "/k"):
        zk.create(p, b"0")
    raw = rawzk.connect(own_server.client_port, timeout_ms=20000)
    sid, pwd = raw.session_id, raw.passwd
    assert raw.create("/raw-eph", flags=rawzk.EPHEMERAL) == (0, "/raw-eph")
    raw.get_data("/a", watch=True)
    raw.get_data("/b", watch=True)
    raw.get_children("/k", watch=True)
    raw.exists("/new", watch=True)
    seen = raw.last_zxid
    raw.close()

    own_server.stop()
    own_server.start()
    wait_until(lambda: zk.connected, timeout=30, msg="helper reconnects")
    zk.set("/a", b"changed while the watcher was away")

    again = rawzk.RawClient("127.0.0.1", own_server.client_port)
    again.connect(timeout_ms=20000, session_id=sid, passwd=pwd, last_zxid=seen)
    assert again.session_id == sid and again.negotiated_timeout == 20000
    assert again.set_watches(seen, data=["/a", "/b"], exist=["/new"], child=["/k"]) == 0
    first = again.wait_event(5)
    assert (first.type, first.path) == (rawzk.EV_NODE_DATA_CHANGED, "/a")
    assert again.drain_events(0.3) == []
    zk.set("/b", b"1")
    zk.create("/k/x")
    zk.create("/new")
    got = sorted((e.type, e.path) for e in again.drain_events(0.5))
    assert got == [(rawzk.EV_NODE_CREATED, "/new"), (rawzk.EV_NODE_DATA_CHANGED, "/b"),
                   (rawzk.EV_NODE_CHILDREN_CHANGED, "/k")]
    assert zk.exists("/raw-eph").ephemeralOwner == sid
    again.close_session()
    assert zk.exists("/raw-eph") is None


@pytest.mark.timeout(60)
def test_raw_set_watches2_persistent(server, zk, root):
    """SetWatches2 (op 105) re-registers persistent-recursive watches on a new connection."""
    raw = rawzk.connect(server.client_port, timeout_ms=20000)
    sid, pwd = raw.session_id, raw.passwd
    raw.close()
    again = rawzk.RawClient("127.0.0.1", server.client_port)
    again.connect(timeout_ms=20000, session_id=sid, passwd=pwd)
    assert again.session_id == sid
    zxid = zk.exists(root).mzxid
    assert again.set_watches2(zxid, recursive=[root]) == 0
    zk.create(root + "/x")
    zk.create(root + "/x/y")
    zk.set(root + "/x/y", b"1")
    got = [(e.type, e.path) for e in again.drain_events(0.5)]
    assert got == [(rawzk.EV_NODE_CREATED, root + "/x"), (rawzk.EV_NODE_CREATED, root + "/x/y"),
                   (rawzk.EV_NODE_DATA_CHANGED, root + "/x/y")]
    again.close_session()
