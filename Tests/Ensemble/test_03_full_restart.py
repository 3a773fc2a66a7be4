"""Stop all three members (SIGTERM), start all three: the very same tree, zxids included."""

import time

import pytest
from kazoo.protocol.states import KazooState
from kazoo.security import make_digest_acl, OPEN_ACL_UNSAFE

from ensemble import wait_until


def build_tree(c):
    """A tree exercising every Stat field a dump compares."""
    c.create("/app", b"root of app")
    c.create("/app/config", b"v0")
    for v in range(1, 6):
        c.set("/app/config", b"v%d" % v)                      # version 5
    for i in range(30):
        c.create("/app/items/item-", b"item %d" % i, sequence=True, makepath=True)
    for i in range(0, 30, 3):
        c.delete("/app/items/item-%010d" % i)                 # cversion != numChildren
    c.create("/app/empty", b"")
    c.create("/app/big", b"x" * 200000)
    c.create("/app/deep/a/b/c/d", b"deep", makepath=True)
    acl = make_digest_acl("user", "pw", all=True)
    c.create("/app/acl", b"acl")
    c.set_acls("/app/acl", [acl] + list(OPEN_ACL_UNSAFE))      # aversion 1
    c.set_acls("/app/acl", list(OPEN_ACL_UNSAFE))              # aversion 2
    tx = c.transaction()
    tx.create("/app/tx1", b"t1")
    tx.create("/app/tx2", b"t2")
    tx.set_data("/app/config", b"v6")
    res = tx.commit()
    assert res[:2] == ["/app/tx1", "/app/tx2"] and res[2].version == 6, res


@pytest.mark.timeout(90)
def test_full_restart_preserves_tree_and_zxids(ens):
    c = ens.client()
    build_tree(c)
    holder = ens.client(timeout=20.0)
    states = []
    holder.add_listener(states.append)
    sid = holder.client_id[0]
    holder.create("/app/eph", b"ephemeral", ephemeral=True)
    c.stop()

    before = ens.wait_identical_dumps(timeout=30)
    assert before["/app/config"][0] == b"v6" and before["/app/config"][3] == 6
    assert before["/app/acl"][5] == 2
    assert before["/app/eph"][6] == sid
    assert before["/app/items"][4] == 40 and before["/app/items"][7] == 20  # 30 creates + 10 deletes
    max_zxid = max(max(v[1], v[2]) for v in before.values())
    zxids_before = {m.myid: m.zxid() for m in ens}

    t0 = time.monotonic()
    for m in ens:
        m.stop()
    assert not any(m.running for m in ens)
    ens.start()
    print("\nRESTART: all three stopped and back at quorum in %.2fs (leader %s)" % (
        time.monotonic() - t0, ens.wait_quorum().name))

    after = ens.wait_identical_dumps(timeout=30, reference=before)
    assert after == before
    for m in ens:
        assert m.zxid() >= zxids_before[m.myid], (m.name, hex(m.zxid()), hex(zxids_before[m.myid]))

    # the session that held an ephemeral across the restart is still the same session
    wait_until(lambda: holder.connected, timeout=20, msg="holder reconnected")
    assert holder.client_id[0] == sid and KazooState.LOST not in states
    assert holder.exists("/app/eph").ephemeralOwner == sid

    # new writes get zxids beyond everything from before the restart
    c2 = ens.client()
    st = c2.create("/app/after", b"after", include_data=True)[1]
    assert st.czxid > max_zxid
    assert c2.set("/app/config", b"v7").version == 7
