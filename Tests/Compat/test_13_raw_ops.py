"""Opcodes and wire details kazoo hides or lacks: multi sub-result codes, multiRead,
getAllChildrenNumber, create2 stat, notification header, ping."""

import rawzk


def test_multi_wire_results(server, zk, root):
    raw = rawzk.connect(server.client_port)
    try:
        zk.create(root + "/a", b"a")
        ops = [(rawzk.CREATE, rawzk.create_body(root + "/new")),
               (rawzk.SET_DATA, rawzk.set_data_body(root + "/a", b"x")),
               (rawzk.CHECK, rawzk.ustring(root + "/a") + rawzk.i32(7)),
               (rawzk.DELETE, rawzk.delete_body(root + "/a"))]
        err, res, zxid = raw.multi(ops)
        assert err == 0, "a failed multi still has ReplyHeader.err == 0"
        assert [(t, e) for t, e, _ in res] == [(-1, 0), (-1, 0), (-1, rawzk.BAD_VERSION), (-1, rawzk.RUNTIME_INCONSISTENCY)]
        assert zk.exists(root + "/new") is None

        ops = [(rawzk.CREATE, rawzk.create_body(root + "/new", b"n")),
               (rawzk.CREATE2, rawzk.create_body(root + "/new2")),
               (rawzk.SET_DATA, rawzk.set_data_body(root + "/a", b"x", 0)),
               (rawzk.CHECK, rawzk.ustring(root + "/a") + rawzk.i32(1)),
               (rawzk.DELETE, rawzk.delete_body(root + "/new2"))]
        err, res, zxid = raw.multi(ops)
        assert err == 0
        # ZooKeeper 3.8: a create2 inside multi answers like create (header type 1, path only, no stat)
        assert [t for t, _e, _ in res] == [rawzk.CREATE, rawzk.CREATE, rawzk.SET_DATA, rawzk.CHECK, rawzk.DELETE]
        assert [e for _t, e, _ in res] == [0, 0, 0, 0, 0]
        assert res[0][2] == root + "/new"
        assert res[1][2] == root + "/new2"
        assert zk.exists(root + "/new").czxid == zxid, "ReplyHeader.zxid of a multi = the zxid of all its ops"
        assert res[2][2].version == 1 and res[2][2].mzxid == zxid
        # empty multi
        err, res, _ = raw.multi([])
        assert (err, res) == (0, [])
    finally:
        raw.close_session()


def test_multi_read(server, zk, root):
    raw = rawzk.connect(server.client_port)
    try:
        zk.create(root + "/x", b"xdata")
        zk.create(root + "/x/k")
        ops = [(rawzk.GET_DATA, rawzk.path_watch_body(root + "/x")),
               (rawzk.GET_CHILDREN, rawzk.path_watch_body(root + "/x")),
               (rawzk.GET_DATA, rawzk.path_watch_body(root + "/missing"))]
        err, res, _ = raw.multi(ops, op=rawzk.MULTI_READ)
        assert err == 0
        assert res[0][0] == rawzk.GET_DATA and res[0][2][0] == b"xdata"
        assert res[1] == (rawzk.GET_CHILDREN, 0, ["k"])
        assert res[2][:2] == (-1, rawzk.NO_NODE), "multiRead failures do not abort the other reads"
        # mixing a write into multiRead is rejected
        err, res, _ = raw.multi([(rawzk.CREATE, rawzk.create_body(root + "/w"))], op=rawzk.MULTI_READ)
        assert err != 0 or any(e != 0 for _t, e, _ in res)
        assert zk.exists(root + "/w") is None
    finally:
        raw.close_session()


def test_get_all_children_number(server, zk, root):
    raw = rawzk.connect(server.client_port)
    try:
        for p in ("/a", "/a/b", "/a/b/c", "/d"):
            zk.create(root + p)
        assert raw.get_all_children_number(root) == (0, 4)
        assert raw.get_all_children_number(root + "/a") == (0, 2)
        assert raw.get_all_children_number(root + "/d") == (0, 0)
        assert raw.get_all_children_number(root + "/missing") == (rawzk.NO_NODE, None)
    finally:
        raw.close_session()


def test_reply_header_zxids_and_ping(server, zk, root):
    raw = rawzk.connect(server.client_port)
    try:
        rep = raw.call(rawzk.CREATE, rawzk.create_body(root + "/z"))
        assert rep.err == 0
        st = zk.exists(root + "/z")
        assert rep.zxid == st.czxid, "a write's ReplyHeader.zxid is the txn zxid"
        read = raw.call(rawzk.EXISTS, rawzk.path_watch_body(root + "/z"))
        assert read.zxid >= rep.zxid, "reads carry the server's last processed zxid"
        ping = raw.ping()
        assert (ping.xid, ping.err) == (-2, 0) and ping.zxid >= rep.zxid
        # failed write: error reply, still a zxid (the error txn is logged)
        bad = raw.call(rawzk.CREATE, rawzk.create_body(root + "/z"))
        assert bad.err == rawzk.NODE_EXISTS and bad.zxid > rep.zxid
        assert bad.body == b"", "no body after a non-zero err"
    finally:
        raw.close_session()


def test_close_session_reply(server):
    raw = rawzk.connect(server.client_port)
    rep = raw.call(rawzk.CLOSE_SESSION, b"")
    assert (rep.err, rep.body) == (0, b"") and rep.zxid > 0
    assert raw.wait_closed(5)
    raw.close()


def test_connect_response_shape(server):
    raw = rawzk.RawClient("127.0.0.1", server.client_port)
    raw.send_frame(rawzk.i32(0) + rawzk.i64(0) + rawzk.i32(5000) + rawzk.i64(0) + rawzk.buffer(bytes(16))
                   + rawzk.boolean(False))
    frame = raw.recv_frame()
    assert len(frame) == 37, "ConnectResponse: proto, timeout, sessionId, passwd(16), readOnly"
    r = rawzk.Reader(frame)
    assert (r.i32(), r.i32()) == (0, 5000)
    sid = r.i64()
    assert sid != 0 and len(r.buffer()) == 16 and r.boolean() is False
    raw.session_id = sid
    raw.close_session()

    # an old client without the readOnly byte (44-byte request) is accepted too
    old = rawzk.RawClient("127.0.0.1", server.client_port)
    old.send_frame(rawzk.i32(0) + rawzk.i64(0) + rawzk.i32(5000) + rawzk.i64(0) + rawzk.buffer(bytes(16)))
    frame = old.recv_frame()
    assert len(frame) in (36, 37)
    old.close_session()
