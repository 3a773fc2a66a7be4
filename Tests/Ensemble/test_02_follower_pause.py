"""SIGSTOP a follower, write on through the other two members, SIGCONT: the follower catches up."""

import time

import pytest

from ensemble import wait_until
from workload import bulk_create, check_present

PAUSE_S = 5.0
CREATES = 400  # + CREATES/2 setData + 25 deletes = 625 writes while paused


@pytest.mark.timeout(90)
def test_paused_follower_catches_up(ens):
    leader = ens.wait_quorum()
    paused, other = [m for m in ens if m is not leader]
    c = ens.client(members=[leader, other])
    before = bulk_create(c, "/pause", 50, prefix="before")
    zxid_before = paused.zxid()

    paused.pause()
    t0 = time.monotonic()
    during = bulk_create(c, "/pause", CREATES, prefix="during")
    # setData / delete too, so the catch-up has more than creates to replay
    for i in range(0, CREATES, 2):
        st = c.set("/pause/during-%04d" % i, b"set-%d" % i)
        assert st.version == 1
        during["/pause/during-%04d" % i] = (b"set-%d" % i, 1)
    # keep writing for at least PAUSE_S, so the leader gives up on the paused follower
    # (ZooKeeper drops a learner after syncLimit*tickTime = 2.5 s; Raft's election timeout is shorter)
    # (setData on one node: the tree, and so the dumps, stay small)
    c.create("/pause-extra", b"0")
    extra = 0
    while time.monotonic() - t0 < PAUSE_S:
        sets = [c.set_async("/pause-extra", b"%d" % (extra + k + 1)) for k in range(20)]
        for k, a in enumerate(sets):
            assert a.get(timeout=20).version == extra + k + 1
        extra += len(sets)
    deleted = []
    for i in range(1, 50, 2):
        c.delete("/pause/before-%04d" % i)
        deleted.append("/pause/before-%04d" % i)
    writes = CREATES + CREATES // 2 + len(deleted) + 1 + extra
    assert writes >= 500
    print("\nPAUSE: %d writes acknowledged in %.2fs while %s was stopped" % (
        writes, time.monotonic() - t0, paused.name))
    # the paused member has not seen any of it
    assert paused.paused and paused.zxid() is None
    expected_zxid = ens.find_leader([leader, other]).zxid()

    paused.resume()
    t1 = time.monotonic()
    wait_until(lambda: (paused.zxid() or 0) >= expected_zxid, timeout=30,
               msg="%s's zxid reaches %#x" % (paused.name, expected_zxid))
    common = ens.wait_identical_dumps(timeout=30)
    print("PAUSE: %s caught up (zxid %#x -> %#x, dumps identical) %.2fs after SIGCONT" % (
        paused.name, zxid_before, paused.zxid(), time.monotonic() - t1))
    d = ens.dump(paused)
    assert d == common
    assert d == ens.dump(ens.wait_quorum())
    assert check_present({p: v for p, v in during.items() if isinstance(v, bytes)}, d) == []
    assert check_present({p: v[0] for p, v in during.items() if isinstance(v, tuple)}, d, version=1) == []
    assert check_present({p: v for p, v in before.items() if p not in deleted}, d) == []
    assert d["/pause-extra"][0] == b"%d" % extra and d["/pause-extra"][3] == extra
    assert all(p not in d for p in deleted)
    assert d["/pause"][7] == 50 - len(deleted) + CREATES
