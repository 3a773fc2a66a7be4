"""A session moves from member A to member B (reattached by id + password): its ephemerals and the
session stay; closing the session removes its ephemerals on every member."""

import time

import pytest
from kazoo.client import KazooClient

from ensemble import FAST_RECONNECT, wait_until

SESSION_TIMEOUT_S = 4.0


@pytest.mark.timeout(90)
def test_session_moves_between_members(ens):
    leader = ens.wait_quorum()
    a_member, b_member = [m for m in ens if m is not leader]  # two followers: both forward writes
    setup = ens.client()
    setup.create("/sm")

    # on A; never reconnects by itself (max_tries=0), so it cannot pull the session back from B
    a = ens.client(members=[a_member], timeout=SESSION_TIMEOUT_S, connection_retry=dict(max_tries=0))
    sid, passwd = a.client_id
    a.create("/sm/eph-a", b"created via A", ephemeral=True)
    a_states = []
    a.add_listener(a_states.append)
    negotiated = a._session_timeout / 1000.0 if getattr(a, "_session_timeout", None) else SESSION_TIMEOUT_S

    # B reattaches the very same session on another member
    b = ens.client(members=[b_member], timeout=SESSION_TIMEOUT_S, client_id=(sid, passwd),
                   connection_retry=dict(FAST_RECONNECT))
    assert b.client_id[0] == sid, "member B gave a different session: %#x vs %#x" % (b.client_id[0], sid)
    assert b.client_id[1] == passwd
    st = b.exists("/sm/eph-a")
    assert st is not None and st.ephemeralOwner == sid
    b.create("/sm/eph-b", b"created via B", ephemeral=True)
    assert b.exists("/sm/eph-b").ephemeralOwner == sid

    # every member sees both ephemerals owned by the session
    common = ens.wait_identical_dumps(timeout=20)
    assert common["/sm/eph-a"][6] == sid and common["/sm/eph-b"][6] == sid
    assert common["/sm/eph-a"][0] == b"created via A"

    # the session stays alive well past its timeout (B keeps it alive; nothing expires it)
    t_end = time.monotonic() + 2 * negotiated + 1
    while time.monotonic() < t_end:
        assert b.connected and b.client_id[0] == sid
        assert setup.exists("/sm/eph-a") is not None and setup.exists("/sm/eph-b") is not None
        time.sleep(0.25)
    assert b.exists("/sm/eph-a").ephemeralOwner == sid
    print("\nSESSION MOVE: session %#x moved %s -> %s; old client states %r" % (
        sid, a_member.name, b_member.name, a_states))

    # closing the session (via B) removes its ephemerals on all members, well before any expiry
    t0 = time.monotonic()
    b.stop()
    deadline_s = negotiated / 2

    def gone_everywhere():
        for m in ens:
            c = KazooClient(hosts=m.hosts, timeout=10.0)
            try:
                c.start(timeout=10)
                c.sync("/")
                if c.exists("/sm/eph-a") is not None or c.exists("/sm/eph-b") is not None:
                    return False
            finally:
                c.stop()
                c.close()
        return True
    wait_until(gone_everywhere, timeout=deadline_s, interval=0.1, msg="ephemerals gone on every member")
    print("SESSION MOVE: ephemerals gone on all members %.2fs after closeSession" % (time.monotonic() - t0))
    common = ens.wait_identical_dumps(timeout=20)
    assert "/sm/eph-a" not in common and "/sm/eph-b" not in common
    assert common["/sm"][7] == 0

    # the session is really gone: reattaching it is refused (kazoo reports it as expired)
    c = KazooClient(hosts=ens.hosts, timeout=SESSION_TIMEOUT_S, client_id=(sid, passwd),
                    connection_retry=dict(max_tries=2, delay=0.1))
    states = []
    c.add_listener(states.append)
    try:
        c.start(timeout=10)
    except Exception:
        pass
    try:
        wait_until(lambda: c.client_id is None or c.client_id[0] != sid or "LOST" in states, timeout=10,
                   msg="closed session not resumable")
    finally:
        c.stop()
        c.close()
