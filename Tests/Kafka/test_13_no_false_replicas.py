"""The broker never claims copies it does not have. Brokers do not replicate yet, so a topic with
replication factor 3 has an ISR of its leader alone, in the state znodes and in Metadata; an
acks=all produce is held to min.insync.replicas against that ISR (NOT_ENOUGH_REPLICAS when the
topic asks for 2), and a partition whose leader dies goes offline (leader -1) instead of moving to
a replica with an empty log, then comes back with every acknowledged message when the leader does."""

import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import NotEnoughReplicasError

from kafkacluster import unique

PARTITIONS = 3


def _create(c, topic, min_insync):
    admin = KafkaAdminClient(bootstrap_servers=c.bootstrap, request_timeout_ms=10000)
    try:
        admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=3,
                                      topic_configs={"min.insync.replicas": str(min_insync)})])
    finally:
        admin.close()
    states = c.wait_leaders(topic, PARTITIONS)
    c.wait_metadata_leaders(topic, PARTITIONS)
    return states


def _send_all(c, topic, acks, count):
    """Sends `count` records round-robin over the partitions; returns (acked, errors)."""
    acked, errors = {}, []
    producer = KafkaProducer(bootstrap_servers=c.bootstrap, acks=acks, retries=0, linger_ms=2,
                             request_timeout_ms=5000, max_block_ms=10000)
    try:
        for i in range(count):
            value = b"v%05d" % i
            producer.send(topic, value=value, partition=i % PARTITIONS) \
                .add_callback(lambda m, v=value: acked.__setitem__((m.partition, m.offset), v)) \
                .add_errback(errors.append)
        producer.flush(timeout=60)
    finally:
        producer.close(timeout=10)
    return acked, errors


@pytest.mark.timeout(150)
def test_isr_lists_only_the_leader_and_acks_all_respects_min_insync(fresh_cluster):
    c = fresh_cluster
    c.wait_listening()
    strict = unique("strict")
    states = _create(c, strict, min_insync=2)
    for p, s in states.items():
        assert s["isr"] == [s["leader"]], (p, s)
    metadata = c.kcat_metadata(strict)
    for p in metadata["topics"][0]["partitions"]:
        assert [i["id"] for i in p["isrs"]] == [p["leader"]], p
        assert len(p["replicas"]) == 3, p

    # acks=all: one in-sync replica is fewer than min.insync.replicas=2.
    acked, errors = _send_all(c, strict, acks="all", count=30)
    assert not acked, acked
    assert len(errors) == 30 and all(isinstance(e, NotEnoughReplicasError) for e in errors), errors[:3]
    # acks=1 does not ask for replicas: the leader's append is the answer.
    acked, errors = _send_all(c, strict, acks=1, count=30)
    assert len(acked) == 30 and not errors, errors[:3]

    # With min.insync.replicas=1 (the default), acks=all is answered once the leader has appended.
    lenient = unique("lenient")
    _create(c, lenient, min_insync=1)
    acked, errors = _send_all(c, lenient, acks="all", count=300)
    assert len(acked) == 300 and not errors, errors[:3]


@pytest.mark.timeout(180)
def test_dead_leader_takes_its_partitions_offline_not_to_an_empty_replica(fresh_cluster):
    c = fresh_cluster
    c.wait_listening()
    topic = unique("offline")
    c.create_topic(topic, [[2, 1, 3]] * PARTITIONS)
    c.wait_leaders(topic, PARTITIONS, among=[2])
    c.wait_metadata_leaders(topic, PARTITIONS)
    acked, errors = _send_all(c, topic, acks="all", count=3000)
    assert len(acked) == 3000 and not errors, errors[:3]

    victim = c.broker(2)
    victim.kill()
    offline = c.wait_offline(topic, PARTITIONS)
    assert all(s["isr"] == [2] for s in offline), offline

    c.restart_leading(victim, topic, PARTITIONS)
    got, _ = c.read_to_end(topic, PARTITIONS)
    missing = [k for k, v in acked.items() if k not in got or got[k][1] != v]
    assert not missing, "%d acknowledged records lost or changed, e.g. %r" % (len(missing), missing[:5])
