"""CRUD and Stat semantics through kazoo."""

import time

import pytest
from kazoo.exceptions import BadVersionError, NodeExistsError, NoNodeError, NotEmptyError


def test_create_get_set_delete_and_versions(zk, root):
    p = root + "/n"
    assert zk.create(p, b"v0") == p
    data, st = zk.get(p)
    assert data == b"v0"
    assert (st.version, st.cversion, st.aversion, st.numChildren, st.dataLength) == (0, 0, 0, 0, 2)
    assert st.ephemeralOwner == 0
    assert st.czxid == st.mzxid == st.pzxid
    assert st.ctime == st.mtime
    now_ms = time.time() * 1000
    assert abs(st.ctime - now_ms) < 60_000, "ctime is milliseconds since the epoch"

    st1 = zk.set(p, b"value-1")
    assert (st1.version, st1.dataLength) == (1, 7)
    assert st1.czxid == st.czxid and st1.ctime == st.ctime
    assert st1.mzxid > st.mzxid
    assert st1.mtime >= st.mtime
    assert st1.pzxid == st.pzxid, "setData does not touch pzxid"
    st2 = zk.set(p, b"", version=1)
    assert (st2.version, st2.dataLength) == (2, 0)
    assert zk.get(p) == (b"", st2)

    with pytest.raises(BadVersionError):
        zk.set(p, b"x", version=1)
    with pytest.raises(BadVersionError):
        zk.delete(p, version=7)
    assert zk.get(p)[1].version == 2

    zk.delete(p, version=2)
    assert zk.exists(p) is None
    with pytest.raises(NoNodeError):
        zk.get(p)
    with pytest.raises(NoNodeError):
        zk.set(p, b"x")
    with pytest.raises(NoNodeError):
        zk.delete(p)


def test_parent_stat_after_child_create_and_delete(zk, root):
    p = root + "/parent"
    other = root + "/other"
    zk.create(other)
    _, st0 = zk.create(p, b"pdata", include_data=True)
    assert (st0.cversion, st0.numChildren) == (0, 0)

    _, cst = zk.create(p + "/c1", include_data=True)
    st1 = zk.exists(p)
    assert (st1.cversion, st1.numChildren) == (1, 1)
    assert st1.pzxid == cst.czxid, "pzxid = zxid of the last child create"
    assert st1.mzxid == st0.mzxid and st1.version == 0, "child create does not change parent mzxid/version"

    zk.create(p + "/c2")
    zk.set(p + "/c2", b"child-data")
    st2 = zk.exists(p)
    assert (st2.cversion, st2.numChildren) == (2, 2), "child setData does not bump parent cversion"

    # delete a child and setData another node in one multi: both get the same zxid,
    # so the parent's new pzxid must equal that node's new mzxid exactly
    t = zk.transaction()
    t.delete(p + "/c1")
    t.set_data(other, b"marker")
    res = t.commit()
    assert res[0] is True
    st3 = zk.exists(p)
    assert (st3.cversion, st3.numChildren) == (3, 1)
    assert st3.pzxid == res[1].mzxid, "pzxid = zxid of the child delete"
    assert st3.mzxid == st0.mzxid
    assert sorted(zk.get_children(p)) == ["c2"]


def test_errors(zk, root):
    p = root + "/e"
    zk.create(p)
    zk.create(p + "/child")
    with pytest.raises(NotEmptyError):
        zk.delete(p)
    with pytest.raises(NodeExistsError):
        zk.create(p)
    with pytest.raises(NoNodeError):
        zk.get(root + "/missing")
    with pytest.raises(NoNodeError):
        zk.create(root + "/missing/child")
    with pytest.raises(NoNodeError):
        zk.get_children(root + "/missing")
    assert zk.exists(root + "/missing") is None
    zk.delete(p, recursive=True)
    assert zk.exists(p) is None


def test_makepath_ensure_path_children(zk, root):
    deep = root + "/a/b/c"
    assert zk.create(deep, b"deep", makepath=True) == deep
    assert zk.get(deep)[0] == b"deep"
    assert zk.get(root + "/a")[0] == b"", "makepath parents are created empty"
    zk.ensure_path(root + "/a/b/c")  # already exists: no error
    zk.ensure_path(root + "/x/y")
    assert zk.exists(root + "/x/y") is not None
    for i in range(5):
        zk.create("%s/kids/k%d" % (root, i), makepath=True)
    kids, st = zk.get_children(root + "/kids", include_data=True)
    assert sorted(kids) == ["k%d" % i for i in range(5)]
    assert (st.numChildren, st.cversion) == (5, 5)
    assert sorted(zk.get_children(root)) == ["a", "kids", "x"]


def test_root_and_zookeeper_nodes(zk):
    assert "zookeeper" in zk.get_children("/")
    assert zk.exists("/") is not None
    assert "config" in zk.get_children("/zookeeper")
    assert "quota" in zk.get_children("/zookeeper")


def test_large_value_roundtrip(zk, root):
    value = bytes(range(256)) * 2000  # 512,000 bytes (< jute.maxbuffer 1 MiB)
    zk.create(root + "/big", value)
    data, st = zk.get(root + "/big")
    assert data == value and st.dataLength == len(value)
