"""A session that expires while its member is stopped is not revived there: when the member comes
back (behind the leader, which expired the session), the client's reconnect is revalidated with the
leader and ends in an expired session, never in a brief CONNECTED."""

import threading
import time

import pytest
from kazoo.protocol.states import KazooState

from ensemble import wait_until

SESSION_TIMEOUT_S = 2.0


@pytest.mark.timeout(90)
def test_expired_session_is_not_revived_by_a_lagging_member(ens):
    leader = ens.wait_quorum()
    lagging, other = [m for m in ens if m is not leader]
    observer = ens.client(members=[leader, other])

    c = ens.client(members=[lagging], timeout=SESSION_TIMEOUT_S)
    c.ensure_path("/expire")
    c.create("/expire/eph", b"x", ephemeral=True)
    states = []
    lock = threading.Lock()

    def listener(state):
        with lock:
            states.append(state)

    c.add_listener(listener)

    lagging.pause()
    # The leader expires the session and its ephemeral goes, as seen through the other members.
    wait_until(lambda: observer.exists("/expire/eph") is None, timeout=30,
               msg="the leader expires the session of a client stuck on a stopped member")
    lagging.resume()
    wait_until(lambda: KazooState.LOST in list(states), timeout=30,
               msg="the client learns its session expired after %s resumes" % lagging.name)
    with lock:
        seen = list(states)
    lost_at = seen.index(KazooState.LOST)
    assert KazooState.CONNECTED not in seen[:lost_at], (
        "the stopped member reconnected an expired session before expiring it: %s" % seen)
    wait_until(lambda: (lagging.zxid() or 0) >= (leader.zxid() or 0), timeout=30,
               msg="%s catches up" % lagging.name)
    check = ens.client(members=[lagging])
    assert check.exists("/expire/eph") is None
