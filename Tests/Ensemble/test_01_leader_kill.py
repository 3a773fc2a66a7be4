"""SIGKILL the leader under write load: fast failover, sessions survive, no acknowledged write lost."""

import time

import pytest
from kazoo.exceptions import ConnectionLoss, SessionExpiredError
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.states import KazooState

from ensemble import describe_diff, wait_until
from workload import Writer, check_all

FAILOVER_LIMIT_S = 10.0


@pytest.mark.timeout(120)
def test_leader_kill_under_write_load(ens):
    leader = ens.wait_quorum()
    survivors = [m for m in ens if m is not leader]

    # the ephemeral holder is connected to the leader itself, so it has to move to a survivor
    holder = ens.client(hosts=ens.hosts_of([leader] + survivors), randomize_hosts=False, timeout=15.0)
    holder_states = []
    holder.add_listener(holder_states.append)
    sid = holder.client_id[0]
    holder.create("/eph", b"holder", ephemeral=True)
    assert holder.exists("/eph").ephemeralOwner == sid

    # probe: connected to the survivors only; measures when a write succeeds again
    probe = ens.client(members=survivors)
    probe.create("/probe")

    writers = []
    for k in range(4):
        w = Writer(ens.client(), "/load/w%d" % k, "w%d" % k)
        w.setup()
        writers.append(w)
    for w in writers:
        w.start()
    wait_until(lambda: sum(w.acks for w in writers) >= 200, timeout=30, msg="200 acknowledged writes before the kill")

    acks_at_kill = sum(w.acks for w in writers)
    t0 = time.monotonic()
    leader.kill()
    t_killed = time.monotonic()

    # a write through the survivors succeeds (the probe reconnects on its own)
    t_write = None
    probe_errors = []
    while time.monotonic() - t0 < FAILOVER_LIMIT_S + 20:
        try:
            probe.create_async("/probe/p-", b"after-kill", sequence=True).get(timeout=2.0)
            t_write = time.monotonic()
            break
        except (ConnectionLoss, SessionExpiredError, KazooTimeoutError) as e:
            probe_errors.append(repr(e))
            time.sleep(0.02)
    new_leader = ens.find_leader(survivors)
    t_leader_seen = time.monotonic()
    assert t_write is not None, "no write succeeded within %.0fs of the kill; errors=%r modes=%r" % (
        FAILOVER_LIMIT_S + 20, probe_errors[-5:], ens.modes())
    failover = t_write - t0
    print("\nFAILOVER: leader %s killed (SIGKILL took %.3fs); first successful write %.3fs after the kill; "
          "new leader %s; %d probe errors" % (leader.name, t_killed - t0, failover,
                                              new_leader.name if new_leader else None, len(probe_errors)))
    assert failover <= FAILOVER_LIMIT_S, "failover took %.2fs" % failover
    new_leader = ens.wait_quorum(members=survivors, timeout=10)
    assert new_leader is not leader
    print("FAILOVER: one leader + one follower among survivors confirmed %.3fs after the kill (%s leads)" % (
        time.monotonic() - t0, new_leader.name))

    # writers keep going after the failover
    wait_until(lambda: all(w.last_ack and w.last_ack > t_write for w in writers), timeout=30,
               msg="every writer acknowledged after the failover")
    wait_until(lambda: sum(w.acks for w in writers) >= acks_at_kill + 200, timeout=30,
               msg="200 more acknowledged writes after the kill")

    # the ephemeral-holding session survived: same id, still connected, ephemeral still owned by it
    wait_until(lambda: holder.connected, timeout=15, msg="holder reconnected")
    assert holder.client_id[0] == sid
    assert KazooState.LOST not in holder_states, holder_states
    st = holder.exists("/eph")
    assert st is not None and st.ephemeralOwner == sid
    assert holder.get("/eph")[0] == b"holder"

    # the killed member comes back as a follower
    leader.start()
    wait_until(lambda: ens.find_leader() is not None and leader.mode() == "follower", timeout=30,
               msg="restarted %s is a follower" % leader.name)
    ens.wait_quorum()

    for w in writers:
        w.stop()
        print("LOAD:", w.summary(), "errors:", len(w.errors), w.errors[:2])
        assert w.unexpected == [], w.unexpected
    assert sum(len(w.acked_creates) + len(w.acked_sets) for w in writers) >= 400

    common = ens.wait_identical_dumps(timeout=30)
    dumps = {m.myid: ens.dump(m) for m in ens}
    assert all(d == common for d in dumps.values()), describe_diff(dumps)
    problems = check_all(writers, dumps)
    assert problems == [], "\n".join(problems[:30])
    assert common["/eph"][0] == b"holder" and common["/eph"][6] == sid
    assert len([p for p in common if p.startswith("/probe/p-")]) >= 1
