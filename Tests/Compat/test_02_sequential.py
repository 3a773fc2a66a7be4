"""Sequential nodes.

ZooKeeper 3.8 fact (DataNode.copyStat): the server stores per parent a counter of child
*creates*; the client-visible cversion is derived as 2*creates - numChildren (= creates +
deletes). The sequence suffix is the stored create counter, NOT the visible cversion:
after a child delete, the next suffix is lower than the visible cversion.
"""


def _creates(stat):
    # invert cversion = 2*creates - numChildren
    assert (stat.cversion + stat.numChildren) % 2 == 0
    return (stat.cversion + stat.numChildren) // 2


def test_sequential_suffixes_count_child_creates(zk, root):
    p = root + "/q"
    zk.create(p)
    a = zk.create(p + "/job-", b"a", sequence=True)
    b = zk.create(p + "/job-", b"b", sequence=True)
    c = zk.create(p + "/job-", b"c", sequence=True)
    assert [a, b, c] == [p + "/job-0000000000", p + "/job-0000000001", p + "/job-0000000002"]
    assert zk.get(b)[0] == b"b"
    st = zk.exists(p)
    assert (st.cversion, st.numChildren) == (3, 3)

    # a delete bumps the visible cversion but not the sequence counter
    zk.delete(b)
    st = zk.exists(p)
    assert (st.cversion, st.numChildren) == (4, 2)
    d = zk.create(p + "/job-", sequence=True)
    assert d == p + "/job-0000000003"
    st = zk.exists(p)
    assert (st.cversion, st.numChildren) == (5, 3)

    # a non-sequential child advances the counter; it is per parent, not per prefix
    zk.create(p + "/plain")
    e = zk.create(p + "/other-", sequence=True)
    assert e == p + "/other-0000000005"
    zk.delete(a)
    zk.delete(p + "/plain")
    st = zk.exists(p)
    assert (st.cversion, st.numChildren) == (9, 3)
    f = zk.create(p + "/job-", sequence=True)
    assert f == p + "/job-%010d" % _creates(st) == p + "/job-0000000006"
    assert sorted(zk.get_children(p)) == ["job-0000000002", "job-0000000003", "job-0000000006",
                                          "other-0000000005"]


def test_sequential_bare_parent_path(server, zk, root):
    """'parent/' is legal for a sequential create (the name is only the counter), and a
    sequential create of 'parent/.' yields '.0000000001' (validation runs on the final name)."""
    p = root + "/s"
    zk.create(p)
    name = zk.create(p + "/", sequence=True)
    assert name == p + "/0000000000"
    import rawzk

    raw = rawzk.connect(server.client_port)  # kazoo refuses "/." client-side (ValueError)
    try:
        assert raw.create(p + "/.", flags=rawzk.PERSISTENT_SEQUENTIAL) == (0, p + "/.0000000001")
        assert raw.create(p + "/.", flags=rawzk.PERSISTENT) == (rawzk.BAD_ARGUMENTS, None)
        assert raw.create(p + "/", flags=rawzk.PERSISTENT) == (rawzk.BAD_ARGUMENTS, None)
    finally:
        raw.close_session()


def test_ephemeral_sequential(zk, root):
    p = root + "/lock"
    zk.create(p)
    n1 = zk.create(p + "/lock-", ephemeral=True, sequence=True)
    n2 = zk.create(p + "/lock-", ephemeral=True, sequence=True)
    assert (n1, n2) == (p + "/lock-0000000000", p + "/lock-0000000001")
    st = zk.exists(n1)
    assert st.ephemeralOwner == zk.client_id[0]
    assert zk.exists(p).ephemeralOwner == 0
