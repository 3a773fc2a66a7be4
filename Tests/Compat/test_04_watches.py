"""Watches: one-shot standard watches via kazoo; persistent / recursive via raw frames
(kazoo 2.11 has no addWatch API)."""

import rawzk
from util import Events, fence


def test_data_watch_fires_once(server, make_client, zk, root):
    other = make_client(server)
    p = root + "/d"
    zk.create(p, b"0")
    ev = Events()
    assert zk.get(p, watch=ev)[0] == b"0"
    other.set(p, b"1")
    e = ev.get()
    assert (e.type, e.state, e.path) == ("CHANGED", "CONNECTED", p)
    other.set(p, b"2")  # one-shot: the watch is gone
    fence(zk, root + "/fence")
    assert ev.empty()


def test_child_watch(server, make_client, zk, root):
    other = make_client(server)
    ev = Events()
    assert zk.get_children(root, watch=ev) == []
    other.create(root + "/kid")
    e = ev.get()
    assert (e.type, e.path) == ("CHILD", root)
    other.set(root, b"data change is not a child event")
    other.create(root + "/kid2")  # one-shot
    fence(zk, root + "-fence")
    assert ev.empty()
    # a child watch on a node fires NodeDeleted when the node itself is deleted
    ev2 = Events()
    zk.get_children(root + "/kid", watch=ev2)
    other.delete(root + "/kid")
    e = ev2.get()
    assert (e.type, e.path) == ("DELETED", root + "/kid")


def test_exists_watch_on_missing_node_fires_created(server, make_client, zk, root):
    other = make_client(server)
    p = root + "/later"
    ev = Events()
    assert zk.exists(p, watch=ev) is None
    other.create(p, b"x")
    e = ev.get()
    assert (e.type, e.path) == ("CREATED", p)


def test_delete_fires_deleted_for_data_and_exists_watchers(server, make_client, zk, root):
    other = make_client(server)
    p = root + "/gone"
    zk.create(p)
    ev_data, ev_exists = Events(), Events()
    zk.get(p, watch=ev_data)
    zk.exists(p, watch=ev_exists)
    other.delete(p)
    assert (ev_data.get().type, ev_exists.get().type) == ("DELETED", "DELETED")


def test_event_delivered_before_reply_of_later_read(server, zk, root):
    """'A client sees the watch event before the new data': on the wire, the notification for a
    change precedes the reply of any later read that observes the change (raw frames, so the
    order is the byte order of the stream)."""
    raw = rawzk.connect(server.client_port)
    try:
        p = root + "/order"
        zk.create(p, b"old")
        assert raw.get_data(p, watch=True)[1] == b"old"
        zk.set(p, b"new")
        for _ in range(1000):
            err, data, _st = raw.get_data(p)
            if data == b"new":
                break
        assert data == b"new"
        assert [(e.type, e.path) for e in raw.events] == [(rawzk.EV_NODE_DATA_CHANGED, p)]
    finally:
        raw.close_session()


def _expect(raw, etype, path):
    e = raw.wait_event(5)
    assert e is not None, "expected event %d %s, got nothing" % (etype, path)
    assert (e.type, e.state, e.path) == (etype, 3, path)
    # 3.8 sends zxid -1 in the notification header; 3.9+ sends the zxid of the change
    assert e.zxid == -1 or e.zxid > 0


def test_persistent_watch_fires_repeatedly(server, zk, root):
    raw = rawzk.connect(server.client_port)
    try:
        p = root + "/pw"
        zk.create(p)
        err, body = raw.add_watch(p, rawzk.ADD_WATCH_PERSISTENT)
        assert (err, body) == (0, b"\x00\x00\x00\x00"), "addWatch reply body is ErrorResponse{err=0}"
        zk.set(p, b"1")
        _expect(raw, rawzk.EV_NODE_DATA_CHANGED, p)
        zk.set(p, b"2")
        _expect(raw, rawzk.EV_NODE_DATA_CHANGED, p)
        zk.create(p + "/c")
        _expect(raw, rawzk.EV_NODE_CHILDREN_CHANGED, p)
        zk.set(p + "/c", b"x")  # not recursive: nothing for a child's data
        zk.delete(p + "/c")
        _expect(raw, rawzk.EV_NODE_CHILDREN_CHANGED, p)
        zk.delete(p)
        _expect(raw, rawzk.EV_NODE_DELETED, p)
        zk.create(p)
        _expect(raw, rawzk.EV_NODE_CREATED, p)
        assert raw.drain_events(0.3) == []
    finally:
        raw.close_session()


def test_persistent_recursive_watch(server, zk, root):
    raw = rawzk.connect(server.client_port)
    try:
        p = root + "/rw"
        zk.create(p)
        assert raw.add_watch(p, rawzk.ADD_WATCH_PERSISTENT_RECURSIVE)[0] == 0
        zk.create(p + "/a")
        zk.set(p + "/a", b"1")
        zk.create(p + "/a/b")
        zk.set(p + "/a/b", b"2")
        zk.delete(p + "/a/b")
        zk.set(p, b"top")
        zk.create(root + "/rw-sibling")  # outside the watched subtree
        got = [(e.type, e.path) for e in raw.drain_events(0.5)]
        assert got == [
            (rawzk.EV_NODE_CREATED, p + "/a"),
            (rawzk.EV_NODE_DATA_CHANGED, p + "/a"),
            (rawzk.EV_NODE_CREATED, p + "/a/b"),
            (rawzk.EV_NODE_DATA_CHANGED, p + "/a/b"),
            (rawzk.EV_NODE_DELETED, p + "/a/b"),
            (rawzk.EV_NODE_DATA_CHANGED, p),
        ], "recursive watches never send NodeChildrenChanged"
    finally:
        raw.close_session()


def test_check_and_remove_watches(server, zk, root):
    """checkWatches (17) / removeWatches (18). ZooKeeper 3.8.0 facts (see README):
    WatcherType Persistent(4)/PersistentRecursive(5) are rejected with MARSHALLINGERROR (-5);
    a persistent watch answers to Children(1)/Data(2)/Any(3); no server event on removal."""
    raw = rawzk.connect(server.client_port)
    try:
        p = root + "/cw"
        zk.create(p)
        assert raw.check_watches(p, rawzk.WATCHER_ANY) == rawzk.NO_WATCHER
        assert raw.remove_watches(p, rawzk.WATCHER_ANY) == rawzk.NO_WATCHER
        # standard data watch
        assert raw.get_data(p, watch=True)[0] == 0
        assert raw.check_watches(p, rawzk.WATCHER_DATA) == 0
        assert raw.check_watches(p, rawzk.WATCHER_CHILDREN) == rawzk.NO_WATCHER
        assert raw.remove_watches(p, rawzk.WATCHER_DATA) == 0
        assert raw.check_watches(p, rawzk.WATCHER_DATA) == rawzk.NO_WATCHER
        zk.set(p, b"no event")
        # persistent watch
        assert raw.add_watch(p, rawzk.ADD_WATCH_PERSISTENT)[0] == 0
        assert raw.check_watches(p, rawzk.WATCHER_ANY) == 0
        assert raw.check_watches(p, rawzk.WATCHER_DATA) == 0
        assert raw.check_watches(p, rawzk.WATCHER_CHILDREN) == 0
        assert raw.check_watches(p, rawzk.WATCHER_PERSISTENT) == rawzk.MARSHALLING_ERROR
        assert raw.remove_watches(p, rawzk.WATCHER_PERSISTENT) == rawzk.MARSHALLING_ERROR
        assert raw.remove_watches(p, rawzk.WATCHER_ANY) == 0
        assert raw.check_watches(p, rawzk.WATCHER_ANY) == rawzk.NO_WATCHER
        zk.set(p, b"still no event")
        zk.create(p + "/c")
        assert raw.drain_events(0.3) == []
    finally:
        raw.close_session()


def test_wchs_wchc_wchp_show_watches(server, zk, root):
    raw = rawzk.connect(server.client_port)
    try:
        p = root + "/w4"
        zk.create(p)
        raw.get_data(p, watch=True)
        raw.get_children(p, watch=True)
        wchp = server.fourlw("wchp")
        assert p in wchp.splitlines()
        assert "0x%x" % raw.session_id in wchp
        wchc = server.fourlw("wchc")
        assert "0x%x" % raw.session_id in wchc and p in wchc
        wchs = server.fourlw("wchs")
        assert "Total watches:" in wchs
    finally:
        raw.close_session()
