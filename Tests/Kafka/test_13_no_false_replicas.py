"""The broker never claims copies it does not have. A replica that was down when its topic was
created is not in the ISR (in the state znodes and in Metadata), so acks=all is held to
min.insync.replicas without it (NOT_ENOUGH_REPLICAS) until it has caught up and the leader adds it.
A partition whose only in-sync replica dies goes offline (leader -1, that replica kept as the last in
the ISR) instead of moving to a live replica that lacks acknowledged data (unclean election is off),
and comes back with every acknowledged message when that replica does; the others then catch up and
rejoin."""

import pytest
from kafka import KafkaProducer
from kafka.errors import NotEnoughReplicasError

from kafkacluster import unique

PARTITIONS = 3


def _send_all(c, topic, acks, count, bootstrap=None):
    """Sends `count` records round-robin over the partitions; returns (acked, errors)."""
    acked, errors = {}, []
    producer = KafkaProducer(bootstrap_servers=bootstrap or c.bootstrap, acks=acks, retries=0, linger_ms=2,
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


def _isrs(c, topic):
    return [c.partition_state(topic, p)["isr"] for p in range(PARTITIONS)]


@pytest.mark.timeout(150)
def test_a_replica_down_at_creation_is_not_in_sync_until_it_catches_up(fresh_cluster):
    c = fresh_cluster
    c.wait_listening()
    down = c.broker(next(b for b in (3, 2) if b != c.controller()))
    up = [b.id for b in c.brokers if b is not down]
    down.stop()
    c.wait(lambda: down.id not in c.registered_ids(), 30, "broker %d deregistered" % down.id)
    topic = unique("strict")
    c.topics("create", "--topic", topic, "--replica-assignment", ",".join(["%d:%d:%d" % (up[0], up[1], down.id)] * PARTITIONS),
             "--config", "min.insync.replicas=3")
    c.wait_leaders(topic, PARTITIONS, among=[up[0]])
    assert _isrs(c, topic) == [up] * PARTITIONS
    metadata = c.kcat_metadata(topic)
    for p in metadata["topics"][0]["partitions"]:
        assert [i["id"] for i in p["isrs"]] == up, p
        assert len(p["replicas"]) == 3, p

    # Two in-sync replicas are fewer than min.insync.replicas=3; acks=1 asks for none.
    acked, errors = _send_all(c, topic, acks="all", count=30)
    assert not acked, acked
    assert len(errors) == 30 and all(isinstance(e, NotEnoughReplicasError) for e in errors), errors[:3]
    acked, errors = _send_all(c, topic, acks=1, count=30)
    assert len(acked) == 30 and not errors, errors[:3]

    # Back, it fetches the records it missed and the leader adds it; acks=all is then answered.
    down.start()
    c.wait(lambda: _isrs(c, topic) == [up + [down.id]] * PARTITIONS, 60, "broker %d in every ISR" % down.id)
    acked, errors = _send_all(c, topic, acks="all", count=300)
    assert len(acked) == 300 and not errors, errors[:3]


@pytest.mark.timeout(180)
def test_a_partition_whose_only_insync_replica_dies_goes_offline(fresh_cluster):
    c = fresh_cluster
    c.wait_listening()
    topic = unique("offline")
    c.create_topic(topic, [[2, 1, 3]] * PARTITIONS)
    c.wait_leaders(topic, PARTITIONS, among=[2])
    c.wait(lambda: _isrs(c, topic) == [[2, 1, 3]] * PARTITIONS, 30, "every replica in sync")

    # Brokers 1 and 3 stop: the ISR is broker 2 alone, which takes acks=all (min.insync.replicas=1).
    for b in (1, 3):
        c.broker(b).stop()
    c.wait(lambda: _isrs(c, topic) == [[2]] * PARTITIONS, 40, "ISR of broker 2 alone")
    acked, errors = _send_all(c, topic, acks="all", count=3000, bootstrap=c.broker(2).address)
    assert len(acked) == 3000 and not errors, errors[:3]

    # Broker 2 dies and 1 and 3 come back without the records: they may not lead.
    c.broker(2).kill()
    for b in (1, 3):
        c.broker(b).start()
    c.wait_registered([1, 3], timeout=c.session_timeout_ms / 1000 * 2 + 30)
    offline = c.wait_offline(topic, PARTITIONS)
    assert all(s["isr"] == [2] for s in offline), offline

    c.restart_leading(c.broker(2), topic, PARTITIONS)
    got, _ = c.read_to_end(topic, PARTITIONS)
    missing = [k for k, v in acked.items() if k not in got or got[k][1] != v]
    assert not missing, "%d acknowledged records lost or changed, e.g. %r" % (len(missing), missing[:5])
    c.wait(lambda: all(sorted(i) == [1, 2, 3] for i in _isrs(c, topic)), 60, "brokers 1 and 3 back in sync")
