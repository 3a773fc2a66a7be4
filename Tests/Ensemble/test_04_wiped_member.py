"""A follower loses its whole dataDir (myid kept): it rebuilds from the others."""

import os
import time

import pytest

from ensemble import wait_until
from workload import bulk_create, check_present


@pytest.mark.timeout(90)
def test_wiped_member_rebuilds_from_the_others(ens):
    leader = ens.wait_quorum()
    wiped, other = [m for m in ens if m is not leader]
    c = ens.client(members=[leader, other])
    early = bulk_create(c, "/wipe", 200, prefix="early")
    for i in range(0, 200, 4):
        c.set("/wipe/early-%04d" % i, b"changed")

    wiped.stop()
    wiped.wipe()
    assert sorted(os.listdir(wiped.data_dir)) == ["myid"]

    late = bulk_create(c, "/wipe", 400, prefix="late")
    for i in range(1, 200, 4):
        c.delete("/wipe/early-%04d" % i)
    c.create("/wipe-marker", b"last write before restart")
    expected_zxid = ens.find_leader([leader, other]).zxid()

    t0 = time.monotonic()
    wiped.start()
    state = {}

    def caught_up():
        state.update(mode=wiped.mode(), zxid=hex(wiped.zxid() or 0),
                     leader_view={k: v for k, v in (ens.find_leader() or leader).mntr().items()
                                  if "follower" in k})
        return state["mode"] == "follower" and int(state["zxid"], 16) >= expected_zxid
    try:
        wait_until(caught_up, timeout=30, interval=0.2)
    except AssertionError:
        raise AssertionError("wiped %s did not catch up to zxid %#x within 30s: %r" % (
            wiped.name, expected_zxid, state)) from None
    common = ens.wait_identical_dumps(timeout=30)
    print("\nWIPE: %s rebuilt (zxid %#x, %d nodes) %.2fs after start; dataDir now %s" % (
        wiped.name, wiped.zxid(), len(common), time.monotonic() - t0, sorted(os.listdir(wiped.data_dir))))
    d = ens.dump(wiped)
    assert d == ens.dump(ens.wait_quorum()) == common
    assert check_present(late, d) == []
    assert check_present({p: v for i, (p, v) in enumerate(sorted(early.items())) if i % 4 not in (0, 1)}, d) == []
    assert check_present({p: b"changed" for i, p in enumerate(sorted(early)) if i % 4 == 0}, d, version=1) == []
    assert all(p not in d for i, p in enumerate(sorted(early)) if i % 4 == 1)
    assert d["/wipe"][7] == 150 + 400
    assert d["/wipe-marker"][0] == b"last write before restart"

    # the rebuilt member is a full voter: with the other follower down, leader + rebuilt member
    # still commit writes, and the rebuilt member has them
    other.stop()
    wait_until(lambda: ens.find_leader([leader, wiped]) is not None, timeout=20, msg="a leader among two")
    c2 = ens.client(members=[m for m in (leader, wiped)])
    c2.create("/wipe-after", b"quorum of leader + rebuilt member")
    d2 = ens.dump(wiped)
    assert d2["/wipe-after"][0] == b"quorum of leader + rebuilt member"
    other.start()
    ens.wait_quorum()
    ens.wait_identical_dumps(timeout=30)
