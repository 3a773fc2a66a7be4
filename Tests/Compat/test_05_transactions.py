"""multi (op 14) through kazoo's transaction API."""

from kazoo.exceptions import BadVersionError, NoNodeError, NodeExistsError, RolledBackError, RuntimeInconsistency
from kazoo.protocol.states import ZnodeStat


def test_transaction_success(zk, root):
    zk.create(root + "/existing", b"old")
    t = zk.transaction()
    t.create(root + "/new", b"fresh")
    t.set_data(root + "/existing", b"updated", version=0)
    t.check(root + "/existing", 1)  # sees the set_data above (ops apply in order)
    t.create(root + "/seq-", b"", sequence=True)
    t.delete(root + "/new")
    res = t.commit()
    assert len(res) == 5
    assert res[0] == root + "/new"
    assert isinstance(res[1], ZnodeStat) and res[1].version == 1
    assert res[2] is True
    assert res[3] == root + "/seq-0000000002"
    assert res[4] is True
    assert zk.get(root + "/existing")[0] == b"updated"
    assert zk.exists(root + "/new") is None
    # every op of the multi carries the same zxid
    st_existing = zk.exists(root + "/existing")
    st_seq = zk.exists(root + "/seq-0000000002")
    assert st_existing.mzxid == st_seq.czxid
    st_root = zk.exists(root)
    assert st_root.pzxid == st_seq.czxid
    # each op counts separately: 3 creates (existing, new, seq) + 1 delete
    assert (st_root.cversion, st_root.numChildren) == (4, 2)


def test_transaction_failure_rolls_back(zk, root):
    zk.create(root + "/a", b"a0")
    zk.create(root + "/b", b"b0")
    before_root = zk.exists(root)
    t = zk.transaction()
    t.create(root + "/c", b"c")
    t.set_data(root + "/a", b"a1")
    t.check(root + "/b", 5)  # wrong version -> fails
    t.set_data(root + "/b", b"b1")
    t.delete(root + "/a")
    res = t.commit()
    assert [type(r) for r in res] == [RolledBackError, RolledBackError, BadVersionError,
                                       RuntimeInconsistency, RuntimeInconsistency]
    assert zk.exists(root + "/c") is None
    assert zk.get(root + "/a")[0] == b"a0" and zk.get(root + "/a")[1].version == 0
    assert zk.get(root + "/b")[0] == b"b0"
    after_root = zk.exists(root)
    assert (after_root.cversion, after_root.numChildren, after_root.pzxid) == \
        (before_root.cversion, before_root.numChildren, before_root.pzxid)


def test_transaction_failure_first_and_last_op(zk, root):
    zk.create(root + "/x")
    t = zk.transaction()
    t.create(root + "/x")  # exists
    t.create(root + "/y")
    res = t.commit()
    assert [type(r) for r in res] == [NodeExistsError, RuntimeInconsistency]
    t = zk.transaction()
    t.create(root + "/y")
    t.delete(root + "/nope")
    res = t.commit()
    assert [type(r) for r in res] == [RolledBackError, NoNodeError]
    assert zk.get_children(root) == ["x"]


def test_transaction_ops_see_earlier_ops(zk, root):
    t = zk.transaction()
    t.create(root + "/p")
    t.create(root + "/p/c", b"child")
    t.check(root + "/p/c", 0)
    t.delete(root + "/p/c")
    t.delete(root + "/p")
    res = t.commit()
    assert res == [root + "/p", root + "/p/c", True, True, True]
    assert zk.get_children(root) == []


def test_empty_transaction(zk):
    assert zk.transaction().commit() == []
