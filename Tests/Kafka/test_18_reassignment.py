"""Partition reassignment through the ensemble (KIP-455, ZooKeeper-mode controller), under load:

`paddock topics reassign` writes `/admin/reassign_partitions` as kafka-reassign-partitions does; the
controller adds the new replica (phase 1), which catches up and joins the ISR, then moves the leadership
into the target, drops the old replica and deletes the request (phase 2); the dropped broker deletes its
log. Every acknowledged record is still there, on the new replicas alone.
"""

import os
import signal
from collections import Counter

import pytest

from kafkacluster import record_batches, unique
from test_17_controller_duties import Load


def _assignment(c, topic):
    return c.get_json("/brokers/topics/%s" % topic)


def _replica_dir(broker, topic):
    return os.path.join(broker.log_dirs, "%s-0" % topic)


def _records_on_disk(broker, topic):
    """Records in broker's segment files of topic-0, if they cover offsets 0.. without gaps; else -1."""
    d = _replica_dir(broker, topic)
    end = 0
    for name in sorted(f for f in os.listdir(d) if f.endswith(".log")):
        for base, count, _ in record_batches(os.path.join(d, name)):
            if base != end:
                return -1
            end += count
    return end


@pytest.mark.timeout(120)
def test_reassignment_under_load_moves_the_partition_and_loses_nothing(cluster_factory, tmp_path):
    c = cluster_factory("reassign", extra_config=["auto.leader.rebalance.enable=false"])
    c.wait_listening()
    topic = unique("moved")
    c.create_topic(topic, [[1, 2]])
    c.wait(lambda: sorted(c.partition_state(topic, 0)["isr"]) == [1, 2], 30, "ISR [1, 2]")
    assert c.partition_state(topic, 0)["leader"] == 1
    b1, b3 = c.broker(1), c.broker(3)
    status, out = c.topics("reassign", "--topic", topic, "--partition", "5", "--replicas", "2", check=False)
    assert status == 1 and "non-existent partitions: %s-5" % topic in out, out
    status, out = c.topics("reassign", "--topic", topic, "--partition", "0", "--replicas", "2,9", check=False)
    assert status == 1 and "non-existent brokerIDs: 9" in out, out
    assert c.zk.exists("/admin/reassign_partitions") is None

    with Load(c, topic, 1) as load:
        c.wait(lambda: len(load.acks) >= 2000, 60, "2,000 acknowledgements before the reassignment")

        # Broker 3 frozen (well within the session timeout): the reassignment cannot finish meanwhile, so
        # a second request is refused and --verify reports it in progress.
        os.kill(b3.proc.pid, signal.SIGSTOP)
        try:
            status, out = c.topics("reassign", "--topic", topic, "--partition", "0", "--replicas", "2,3")
            assert status == 0 and "Successfully started partition reassignment for %s-0" % topic in out, out
            assert '{"version":1,"partitions":[{"topic":"%s","partition":0,"replicas":[1,2]}]}' % topic in out, out
            status, out = c.topics("reassign", "--topic", topic, "--partition", "0", "--replicas", "3,2", check=False)
            assert status == 1 and "There is an existing assignment running." in out, out
            status, out = c.topics("reassign", "--topic", topic, "--partition", "0", "--replicas", "2,3", "--verify",
                                   check=False)
            assert status == 1 and "Reassignment of partition %s-0 is still in progress." % topic in out, out
            # Phase 1 (unless the frozen broker is the controller): every replica listed, the new one
            # adding, the old one removing.
            if c.controller() != 3:
                c.wait(lambda: _assignment(c, topic).get("adding_replicas") == {"0": [3]}, 3, "phase 1 in the topic znode")
                moving = _assignment(c, topic)
                assert moving["partitions"]["0"] == [2, 3, 1] and moving["removing_replicas"] == {"0": [1]}, moving
        finally:
            os.kill(b3.proc.pid, signal.SIGCONT)

        # Phase 2 once broker 3 is in sync: leader 1 is not in the target, so 2 leads; 1 leaves.
        c.wait(lambda: _assignment(c, topic)["partitions"]["0"] == [2, 3], 60, "the target replicas in the topic znode")
        done = _assignment(c, topic)
        assert done["adding_replicas"] == {} and done["removing_replicas"] == {}, done
        state = c.partition_state(topic, 0)
        assert state["leader"] == 2 and sorted(state["isr"]) == [2, 3], state
        c.wait(lambda: c.zk.exists("/admin/reassign_partitions") is None, 10, "the request deleted")
        c.wait(lambda: not os.path.exists(_replica_dir(b1, topic)), 30, "broker 1's partition directory deleted")
        # The line is written once the directory is gone, so it may trail the check above by a moment.
        c.wait(lambda: "partition no longer assigned here; log deleted" in b1.logs_tail(400), 10,
               "broker 1 logging the deletion")

        before = len(load.acks)
        c.wait(lambda: len(load.acks) >= before + 1000, 60, "the load going on after the reassignment")

    assert not load.errors, load.errors[:3]
    assert len(load.acks) == load.sent, (len(load.acks), load.sent)
    twice = [k for k, n in Counter((p, o) for p, o, _ in load.acks).items() if n > 1]
    assert not twice, twice[:3]

    plan = tmp_path / "plan.json"
    plan.write_text('{"version":1,"partitions":[{"topic":"%s","partition":0,"replicas":[2,3]}]}' % topic)
    status, out = c.topics("reassign", "--reassignment-json-file", str(plan), "--verify")
    assert "Reassignment of partition %s-0 is complete." % topic in out, out
    assert not os.path.exists(_replica_dir(b1, topic))

    # Broker 3 holds a gapless copy up to the high watermark; with broker 1 gone, 2 and 3 serve everything.
    end = max(o for _, o, _ in load.acks) + 1
    c.wait(lambda: _records_on_disk(b3, topic) >= end, 30, "broker 3's segments covering offsets 0..%d" % end)
    b1.kill()
    got, _ = c.read_to_end(topic, 1)
    missing = [(p, o, v) for p, o, v in load.acks if got.get((p, o), (None, None))[1] != v]
    assert not missing, "%d of %d acknowledged records lost, e.g. %r" % (len(missing), len(load.acks), missing[:3])


@pytest.mark.timeout(120)
def test_kip455_apis_submit_list_and_cancel(cluster_factory):
    """AlterPartitionReassignments and ListPartitionReassignments (kafka-python's admin client, the
    flexible-version v0 requests): a reassignment submitted through the API is listed while its new
    replica's broker is frozen (it cannot catch up), a second one is merged in beside it, cancelling it moves
    the partition back, cancelling a partition that is not moving answers NO_REASSIGNMENT_IN_PROGRESS,
    and once broker 3 runs again the first one completes and the list is empty."""
    from kafka import TopicPartition
    from kafka.admin import KafkaAdminClient
    from kafka.errors import NoReassignmentInProgressError

    c = cluster_factory("kip455")
    c.wait_listening()
    # The client sends to the controller: it must not be the broker frozen below.
    ctrl = c.controller()
    a, b = sorted(x for x in (1, 2, 3) if x != ctrl)
    topic = unique("kip455")
    c.create_topic(topic, [[ctrl, a], [ctrl, a]])
    c.wait_leaders(topic, 2)
    # A client that knows the controller before broker b freezes (a frozen broker accepts connections
    # but never answers, so a client must not need it for metadata).
    admin = KafkaAdminClient(bootstrap_servers=c.bootstrap_of([c.broker(ctrl), c.broker(a)]),
                             request_timeout_ms=20000, metadata_max_age_ms=600000)
    stopped = c.broker(b)
    try:
        assert admin.list_partition_reassignments() == {}
        os.kill(stopped.proc.pid, signal.SIGSTOP)
        try:
            p0, p1 = TopicPartition(topic, 0), TopicPartition(topic, 1)
            result = admin.alter_partition_reassignments({p0: [a, b]})
            assert result == {p0: None}, result
            listed = c.wait(lambda: (lambda l: l if p0 in l else None)(admin.list_partition_reassignments()), 30,
                            "partition 0 listed as moving")
            assert sorted(listed[p0]["replicas"]) == [1, 2, 3], listed
            assert listed[p0]["adding_replicas"] == [b] and listed[p0]["removing_replicas"] == [ctrl], listed
            # Merged beside the first, then cancelled: partition 1 goes back to [ctrl, a].
            assert admin.alter_partition_reassignments({p1: [a, b]}) == {p1: None}
            c.wait(lambda: p1 in admin.list_partition_reassignments(), 30, "partition 1 listed as moving")
            assert admin.alter_partition_reassignments({p1: None}) == {p1: None}
            c.wait(lambda: p1 not in admin.list_partition_reassignments() and
                   sorted(c.get_json("/brokers/topics/%s" % topic)["partitions"]["1"]) == sorted([ctrl, a]), 30,
                   "partition 1 back on its replicas (in Kafka's originReplicas order)")
            refused = admin.alter_partition_reassignments({TopicPartition(topic, 1): None})
            assert refused[TopicPartition(topic, 1)] is NoReassignmentInProgressError, refused
            assert p0 in admin.list_partition_reassignments()
        finally:
            os.kill(stopped.proc.pid, signal.SIGCONT)
        c.wait(lambda: not admin.list_partition_reassignments(), 60, "every reassignment complete")
        assert c.get_json("/brokers/topics/%s" % topic)["partitions"]["0"] == [a, b]
        state = c.partition_state(topic, 0)
        assert state["leader"] == a and sorted(state["isr"]) == sorted([a, b]), state
    finally:
        admin.close()
