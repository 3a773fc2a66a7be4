"""SIGSTOP the leader and one follower: the remaining member stops serving; SIGCONT: service resumes
and no acknowledged write is lost."""

import time

import pytest
from kazoo.client import KazooClient
from kazoo.exceptions import ConnectionLoss, ConnectionClosedError, SessionExpiredError
from kazoo.handlers.threading import KazooTimeoutError

from ensemble import FAST_RECONNECT, NOT_SERVING, describe_diff, wait_until
from workload import Writer, check_all

STOP_DETECT_S = 15.0  # ZooKeeper: a follower gives up on a silent leader after syncLimit*tickTime = 2.5 s


@pytest.mark.timeout(120)
def test_minority_member_stops_serving_then_recovers(ens):
    leader = ens.wait_quorum()
    follower, alone = [m for m in ens if m is not leader]

    writers = []
    for k in range(2):
        w = Writer(ens.client(), "/part/w%d" % k, "w%d" % k)
        w.setup()
        writers.append(w)
    for w in writers:
        w.start()
    wait_until(lambda: sum(w.acks for w in writers) >= 100, timeout=30, msg="100 acknowledged writes")

    iso = ens.client(members=[alone], connection_retry=dict(FAST_RECONNECT))
    iso.create("/part/iso-before", b"before")

    t0 = time.monotonic()
    leader.pause()
    follower.pause()

    # the lone member notices and stops serving: srvr says so (no Mode line)
    def not_serving():
        text = alone.srvr()
        return text if (NOT_SERVING in text and "Mode:" not in text) else None
    text = wait_until(not_serving, timeout=STOP_DETECT_S, interval=0.1, msg="%s stops serving" % alone.name)
    print("\nPARTITION: %s not serving %.2fs after SIGSTOP of %s and %s: %r" % (
        alone.name, time.monotonic() - t0, leader.name, follower.name, text.strip()))
    assert alone.mode() is None
    assert alone.running  # it did not crash

    # its clients are cut off, and a write through it fails
    wait_until(lambda: not iso.connected, timeout=10, msg="the lone member's client loses its connection")
    with pytest.raises((ConnectionLoss, SessionExpiredError, KazooTimeoutError)):
        iso.create_async("/part/iso-during", b"during").get(timeout=3)
    # a fresh session cannot be established through it either
    fresh = KazooClient(hosts=alone.hosts, timeout=10.0, connection_retry=dict(max_tries=-1, delay=0.1, max_delay=0.5))
    try:
        with pytest.raises(KazooTimeoutError):
            fresh.start(timeout=3)
    finally:
        fresh.stop()
        fresh.close()
    acked_during = sum(w.acks for w in writers)
    time.sleep(1.0)  # not an assertion wait: give writers the chance to (wrongly) get acknowledgements
    assert sum(w.acks for w in writers) == acked_during, "writes acknowledged without a quorum"
    still = alone.srvr()
    assert NOT_SERVING in still, still
    # drop the queued iso-during create so it can never be sent once service resumes
    iso.stop()
    assert iso.connected is False
    isolated_for = time.monotonic() - t0

    leader.resume()
    follower.resume()
    t1 = time.monotonic()
    ens.wait_quorum(timeout=30)
    probe = ens.client(members=[alone])
    probe.create("/part/after", b"after")
    print("PARTITION: isolated %.2fs; after SIGCONT quorum and a write through %s in %.2fs (leader %s)" % (
        isolated_for, alone.name, time.monotonic() - t1, ens.find_leader().name))
    before_more = sum(w.acks for w in writers)
    wait_until(lambda: sum(w.acks for w in writers) >= before_more + 100, timeout=30,
               msg="writers make progress after the partition heals")
    for w in writers:
        w.stop()
        print("LOAD:", w.summary())
        assert w.unexpected == [], w.unexpected

    common = ens.wait_identical_dumps(timeout=30)
    dumps = {m.myid: ens.dump(m) for m in ens}
    assert all(d == common for d in dumps.values()), describe_diff(dumps)
    problems = check_all(writers, dumps)
    assert problems == [], "\n".join(problems[:30])
    assert common["/part/iso-before"][0] == b"before"
    assert "/part/iso-during" not in common
    assert common["/part/after"][0] == b"after"
